"""A separate, migrated database for concurrency tests.

Race tests (and backup/restore) cannot use the rolled-back `db` fixture (one connection). Each
module gets its own app on its own database — a SQLite file, or with
TEST_DATABASE_URL a PostgreSQL database created for the module and dropped
after — so two threads can each hold their own connection.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url

from base_ops import create_app
from base_ops.config import TestConfig
from base_ops.extensions import db


def _admin_dsn(url) -> str:
    return url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)


@contextmanager
def new_database(tmp, label: str, dialect: str | None = None) -> Iterator[str]:
    """Yield the URL of a new, empty database; drop it after.

    dialect "postgresql" (needs TEST_DATABASE_URL for the server) or "sqlite"; by default the one the
    suite runs on.
    """
    import psycopg

    pg_url = os.environ.get("TEST_DATABASE_URL")
    dialect = dialect or ("postgresql" if pg_url else "sqlite")
    if dialect == "sqlite":
        yield f"sqlite:///{tmp / f'{label}.sqlite3'}"
        return
    url = make_url(pg_url)
    name = f"base_ops_{label}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(_admin_dsn(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_admin_dsn(url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_on(database_url: str, upload_folder) -> object:
    """A test app on that database (a small pool on PostgreSQL so racing threads each get a connection)."""
    engine_options = {"pool_pre_ping": True, "pool_size": 5} if database_url.startswith("postgresql") else {}
    return create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, UPLOAD_FOLDER=str(upload_folder),
                      SQLALCHEMY_ENGINE_OPTIONS=engine_options)


def dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def separate_app(tmp_path_factory, label: str, build_site: Callable) -> Iterator:
    """Yield an app on a fresh migrated database after `build_site(app)`; drop the database after."""
    from flask_migrate import upgrade

    tmp = tmp_path_factory.mktemp(label)
    with new_database(tmp, label) as database_url:
        app = app_on(database_url, tmp / "uploads")
        try:
            with app.app_context():
                upgrade()
                build_site(app)
                db.session.remove()
            yield app
        finally:
            dispose(app)


def race(app, work, *args_per_thread) -> list[str]:
    """Run work(*args) in one thread per args, each in its own app context, released by one barrier.

    Each worker first reads (so a SQLite worker holds a read snapshot when the race starts, the hard case),
    then waits at the barrier. Returns "ok", a domain error code, or the repr of anything unexpected.
    """
    from base_ops.core.errors import DomainError

    barrier = threading.Barrier(len(args_per_thread), timeout=30)
    results: list[str] = []
    lock = threading.Lock()

    def run(*args):
        outcome = None
        with app.app_context():
            try:
                prepared = work(barrier, *args)
                outcome = "ok" if prepared is None else prepared
            except DomainError as error:
                outcome = error.code
            except Exception as error:
                outcome = repr(error)
            finally:
                db.session.remove()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=args) for args in args_per_thread]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a racer hung"
    return sorted(results)

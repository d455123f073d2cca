"""A database that is restarting or unreachable gives a clear 503, never a 500 traceback page.

docs/security.md "Reliability": a database restart during load → the app recovers by itself (pool
pre-ping) and nothing half-written remains. Requests caught in the restart must fail cleanly: 503
`database_unavailable` with Retry-After, for the API (docs/api.md's error body) and for pages. The
full restart under load is `make load` (tests/load); these tests prove the handler on its own.
"""

from __future__ import annotations

import socket
import sqlite3
from datetime import UTC, datetime

import psycopg
import pytest
from psycopg import errors as pg_errors
from sqlalchemy import event, exc, text

from base_ops import create_app
from base_ops.config import TestConfig
from base_ops.core import permissions
from base_ops.core.errors import is_database_unavailable
from base_ops.extensions import db

MESSAGE = "数据库暂时无法连接"  # the default UI language (zh_CN) of "The database is not reachable just now"


def _closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def unreachable_app():
    """The app configured for a PostgreSQL server that is not there (down, or restarting)."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/base_ops_unreachable"
    return create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url,
                      SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "connect_args": {"connect_timeout": 3}})


def test_api_answers_503_with_the_error_body_when_the_database_is_down(unreachable_app):
    """The bearer token cannot be checked without the database: 503 database_unavailable, not 500."""
    response = unreachable_app.test_client().get("/api/v1/residents", headers={"Authorization": "Bearer abc"})
    assert response.status_code == 503
    body = response.get_json()
    assert body["error"]["code"] == "database_unavailable"
    assert MESSAGE in body["error"]["message"]
    assert response.headers["Retry-After"].isdigit()
    assert response.headers["Cache-Control"] == "no-store"


def test_page_answers_503_page_and_keeps_the_session_when_the_database_is_down(unreachable_app):
    """A signed-in user whose session cannot be loaded gets the 503 page (drawn without the
    database) and stays signed in: a database restart must not log everyone out."""
    client = unreachable_app.test_client()
    now = datetime.now(UTC).timestamp()
    with client.session_transaction() as session:
        session.update({"_user_id": "1:0", "login_at": now, "last_seen": now, "lang": "en"})
    response = client.get("/residents")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "The database is not reachable just now" in page  # the session's language (en) still applies
    assert "Traceback" not in page
    assert response.headers["Retry-After"].isdigit()
    with client.session_transaction() as session:
        assert session["_user_id"] == "1:0"


def test_statement_killed_in_flight_answers_503_and_the_next_request_is_served(app, monkeypatch):
    """The restart's view from inside a request: the server ends the session mid-statement
    (SQLSTATE 57P01, what `pg_ctl restart -m fast` sends). The request gets 503; the next one is
    served on a fresh connection (pool_pre_ping). On SQLite, which has no server to end a
    session, the route raises the error psycopg would raise."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    fresh = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    is_pg = url.startswith("postgresql")

    @fresh.get("/__killed")
    def killed():
        if is_pg:
            db.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
            db.session.execute(text("SELECT 1"))
        else:
            raise exc.OperationalError("SELECT 1", {}, pg_errors.AdminShutdown("terminating connection"))
        return "not reached"

    @fresh.get("/__alive")
    def alive():
        return {"one": db.session.execute(text("SELECT 1")).scalar()}

    monkeypatch.setitem(permissions.ENDPOINT_ACCESS, "killed", permissions.PUBLIC)
    monkeypatch.setitem(permissions.ENDPOINT_ACCESS, "alive", permissions.PUBLIC)
    client = fresh.test_client()
    response = client.get("/__killed")
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert MESSAGE in response.get_data(as_text=True)
    assert client.get("/__alive").get_json() == {"one": 1}
    with fresh.app_context():
        db.engine.dispose()


def test_connection_lost_after_the_last_statement_does_not_fail_the_served_request(app, monkeypatch):
    """Found by `make load`: the restart ended a request's session after its last statement; the
    ROLLBACK at the end of the request then raised out of the WSGI call and gunicorn answered a bare
    500 to a page that had been built. The response must go out as built. On PostgreSQL another
    connection ends the session (as the restart does); on SQLite the connection is closed under
    SQLAlchemy's feet."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    fresh = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)

    @fresh.get("/__lost")
    def lost():
        pid = db.session.execute(text("SELECT pg_backend_pid()" if url.startswith("postgresql") else "SELECT 1"))
        if url.startswith("postgresql"):
            with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", (pid.scalar(),))
        else:
            db.session.connection().connection.dbapi_connection.close()
        return "served"

    @fresh.get("/__alive")
    def alive():
        return {"one": db.session.execute(text("SELECT 1")).scalar()}

    monkeypatch.setitem(permissions.ENDPOINT_ACCESS, "lost", permissions.PUBLIC)
    monkeypatch.setitem(permissions.ENDPOINT_ACCESS, "alive", permissions.PUBLIC)
    client = fresh.test_client()
    response = client.get("/__lost")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "served")
    assert client.get("/__alive").get_json() == {"one": 1}
    with fresh.app_context():
        db.engine.dispose()


def _refuse(*_args, **_kwargs):
    raise _wrapped(pg_errors.AdminShutdown("terminating connection due to administrator command"))


def test_database_gone_after_a_page_committed_still_sends_the_page(app, db, world, login_as, monkeypatch):
    """Found by `make load`: a request committed, the restart began, and the response headers hook
    read current_user — whose fields the commit had expired — from the database: a 500 page for a
    change that was saved. The headers hook must not need the database."""
    def saved_then_gone():
        db.session.commit()  # expires the signed-in user's fields, as every commit does
        event.listen(db.engine, "before_cursor_execute", _refuse)  # PostgreSQL shuts down now
        return "saved"

    monkeypatch.setitem(app.view_functions, "home.index", saved_then_gone)
    client = login_as(world.manager_a)
    try:
        response = client.get("/")
    finally:
        if event.contains(db.engine, "before_cursor_execute", _refuse):
            event.remove(db.engine, "before_cursor_execute", _refuse)
    assert (response.status_code, response.get_data(as_text=True)) == (200, "saved")
    assert response.headers["Cache-Control"] == "no-store"  # still a signed-in page: never cached


def test_database_error_outside_the_view_answers_503_not_a_bare_500(app, monkeypatch):
    """An error raised after the view (a response hook) reaches the 500 handler, not the view's: it
    must still be the 503 page, drawn without the database."""
    fresh = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       PROPAGATE_EXCEPTIONS=False)  # as in production: testing would re-raise it instead

    @fresh.get("/__hook")
    def hook():
        return "built"

    @fresh.after_request
    def failing_hook(response):
        raise _wrapped(pg_errors.AdminShutdown("terminating connection due to administrator command"))

    monkeypatch.setitem(permissions.ENDPOINT_ACCESS, "hook", permissions.PUBLIC)
    response = fresh.test_client().get("/__hook")
    assert response.status_code == 503
    assert MESSAGE in response.get_data(as_text=True)


def _wrapped(orig: BaseException, cls=exc.OperationalError) -> exc.DBAPIError:
    return cls("SELECT 1", {}, orig)


@pytest.mark.parametrize("error", [
    _wrapped(pg_errors.AdminShutdown("terminating connection due to administrator command")),
    _wrapped(pg_errors.CannotConnectNow("the database system is starting up")),
    _wrapped(pg_errors.TooManyConnections("sorry, too many clients already")),
    _wrapped(pg_errors.ConnectionFailure("connection failure")),
    _wrapped(psycopg.OperationalError("connection failed: Connection refused")),
    exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"),
], ids=["admin_shutdown", "starting_up", "too_many_connections", "class_08", "refused", "pool_timeout"])
def test_unavailable_errors_are_recognised(error):
    assert is_database_unavailable(error)


@pytest.mark.parametrize("error", [
    _wrapped(sqlite3.OperationalError("database is locked")),  # SQLite busy: 409 busy, handled elsewhere
    _wrapped(pg_errors.UniqueViolation("duplicate key"), exc.IntegrityError),
    _wrapped(pg_errors.UndefinedTable("relation does not exist"), exc.ProgrammingError),
    _wrapped(pg_errors.QueryCanceled("canceling statement due to statement timeout")),
    ValueError("not a database error"),
], ids=["sqlite_locked", "unique_violation", "undefined_table", "statement_timeout", "value_error"])
def test_other_errors_are_not_taken_for_an_unavailable_database(error):
    """A bug or a constraint must stay visible as what it is, not be hidden behind a 503."""
    assert not is_database_unavailable(error)


def test_a_bug_still_answers_500(app, monkeypatch):
    """The 503 path is only for an unreachable database: an ordinary error is still a logged 500."""
    fresh = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])

    @fresh.get("/__bug")
    def bug():
        raise _wrapped(pg_errors.UndefinedTable("relation does not exist"), exc.ProgrammingError)

    monkeypatch.setitem(permissions.ENDPOINT_ACCESS, "bug", permissions.PUBLIC)
    assert fresh.test_client().get("/__bug").status_code == 500

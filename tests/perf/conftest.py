"""The benchmark database and the results table (`make bench`; marker `perf`, never part of `make test`).

The bench has a PostgreSQL database of its own (PG_BENCH_URL, default .../bench), never the
`test` database: it is created if missing, migrated, and seeded once at province scale
(`flask seed synthetic --scale province`, in a subprocess so its memory does not count
against the export's). Every figure is measured in the same run and printed as one table:
measured value, target, and ok or MISSED. A missed target does not fail the run; a crash or a
wrong number (a report differing from the hand-written SQL) does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
BENCH_URL = os.environ.get("PG_BENCH_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench")


@dataclass
class Result:
    name: str
    value: float
    unit: str
    target: float
    better: str  # "lower" or "higher"

    @property
    def ok(self) -> bool:
        return self.value <= self.target if self.better == "lower" else self.value >= self.target

    def line(self) -> str:
        sign = "≤" if self.better == "lower" else "≥"
        return (f"  {self.name:<58}{self.value:>10.2f} {self.unit:<6}{sign} {self.target:<8g}"
                f"{'ok' if self.ok else 'MISSED'}")


RESULTS: list[Result] = []
NOTES: list[str] = []


def record(name: str, value: float, unit: str, target: float, better: str = "lower") -> Result:
    result = Result(name, value, unit, target, better)
    RESULTS.append(result)
    print(result.line(), flush=True)
    return result


def pytest_terminal_summary(terminalreporter):
    if not RESULTS:
        return
    write = terminalreporter.write_line
    write("")
    write("=" * 96)
    write(f"  base_ops benchmarks — {BENCH_URL.rsplit('@', 1)[-1]}, {os.cpu_count()} CPU cores")
    write(f"  {'measure':<58}{'value':>10} {'unit':<6}  {'target':<8}result")
    write("-" * 96)
    for result in RESULTS:
        write(result.line())
    for note in NOTES:
        write(f"  note: {note}")
    missed = sum(not r.ok for r in RESULTS)
    write("-" * 96)
    write(f"  {len(RESULTS) - missed} of {len(RESULTS)} targets met" + (f"; {missed} MISSED" if missed else ""))
    write("=" * 96)


def _ensure_database(url: str) -> None:
    parts = make_url(url)
    name = parts.database
    admin = parts.set(database="postgres", drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


@pytest.fixture(scope="session")
def bench_env() -> dict:
    """Environment for `flask` and gunicorn against the bench database."""
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL",)}
    env.update(DATABASE_URL=BENCH_URL, FLASK_APP="base_ops", BASE_OPS_ENV="development")
    return env


@pytest.fixture(scope="session")
def bench_app(bench_env):
    """The app on the bench database: migrated, seeded at province scale once."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from base_ops import create_app
    from base_ops.accounts.models import User
    from base_ops.config import Config
    from base_ops.extensions import db
    from base_ops.seed.synthetic import USERNAMES

    _ensure_database(BENCH_URL)
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=BENCH_URL, RATELIMIT_ENABLED=False)
    with app.app_context():
        upgrade()
        seeded = db.session.execute(select(User.id).where(User.username == USERNAMES["province"])).first()
        db.session.remove()
    if not seeded:
        print("\nseeding the bench database at province scale (once; takes several minutes) ...", flush=True)
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "flask", "seed", "synthetic", "--scale", "province"], cwd=ROOT,
                       env=bench_env, check=True)
        NOTES.append(f"seeded the province data set in this run: {time.monotonic() - started:.0f} s")
    return app

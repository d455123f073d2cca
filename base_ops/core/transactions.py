"""One transaction per use case: roll back on refusal, and SQLite's write-lock etiquette.

Shared by the services that race for the same rows (beds, enrolments, ...).
"""

from __future__ import annotations

from functools import wraps

from base_ops.core.errors import DomainError
from base_ops.extensions import db


def atomic(use_case):
    """A refused use case leaves nothing behind: roll back what it flushed and release the locks it took."""

    @wraps(use_case)
    def wrapper(*args, **kwargs):
        try:
            return use_case(*args, **kwargs)
        except DomainError:
            db.session.rollback()
            raise

    return wrapper


def end_read_snapshot() -> None:
    """SQLite: end a read-only transaction before the use case's first write.

    A transaction that has already read cannot later wait for the write lock
    (its snapshot may be stale, so SQLite fails it at once with "database is
    locked"); ending it lets the first write queue for the lock (busy_timeout)
    and every read after it see the latest committed data. Nothing is written
    yet, so committing here commits nothing. Writing requests already begin
    with BEGIN IMMEDIATE (core.db); this covers the CLI and worker threads.
    """
    session = db.session
    if session.get_bind().dialect.name == "sqlite" and not (session.new or session.dirty or session.deleted):
        session.commit()


from base_ops.core.unit_of_work import is_busy  # noqa: E402,F401  (moving to core/unit_of_work.py)

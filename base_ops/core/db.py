"""Declarative model base with a naming convention so Alembic names constraints."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import has_request_context, request
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes on both databases (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTCDateTime column")
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):  # noqa: ARG002
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Model(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys, wait for locks, let SQLAlchemy own transactions.

    pysqlite's own transaction handling breaks SAVEPOINT (used by the per-test
    rollback) and defers BEGIN; the SQLAlchemy-documented recipe turns it off and
    emits BEGIN ourselves (see the begin listener in create_app).
    """
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    """On SQLite, a request that may write takes the write lock when its transaction begins.

    SQLite serialises writers; a deferred transaction that read first and then
    tries to write after another writer committed fails at once ("database is
    locked") instead of waiting. BEGIN IMMEDIATE makes writing requests queue
    for the lock (busy_timeout) up front; reads (GET) stay concurrent under WAL.
    """
    if conn.dialect.name == "sqlite":
        immediate = has_request_context() and request.method in WRITING_METHODS
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

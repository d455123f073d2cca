"""One unit of work per use case (issue 16, item 1): the only place in the application that commits or
rolls back.

A use case — a page's POST, an API call, a CLI command, one step of a background job — runs inside
`unit_of_work()` (or is a service function decorated with `@use_case`):

    with unit_of_work():
        stay = admit(...)          # flushes, raises domain errors; never commits
        assign_bed(...)            # another use case composes: it joins this unit, it does not commit

On leaving the block the unit commits once. On any error it rolls everything back, and the error
the caller sees is in domain words:
- an IntegrityError becomes the DomainError registered for the violated constraint (by constraint
  name, or by table when a database reports no name — SQLite names only CHECK constraints) via
  `on_constraint`, or one given to this unit in `conflicts=`; an unknown violation stays a bug
  (a 500 with its traceback logged), never silently swallowed;
- SQLite's "database is locked" after its busy timeout becomes `busy()` (409 busy, or the use
  case's own Conflict): the user may simply try again.

Units nest: only the outermost commits or rolls back, so a service that uses another composes
inside the same transaction — no `commit=False` flags. A caller that catches a domain error from
an inner use case must not go on writing in the same unit after a failed flush (the session needs
the rollback the outer unit does).

SQLite etiquette lives here too. A transaction that has read cannot later wait for the write lock:
SQLite fails it at once with "database is locked" (its snapshot may be stale). So the outermost
unit ends a read-only transaction the request opened (user loader, scope lookups) before the use
case starts, and `before_first_write()` does it again right before a compare-and-set when nothing
has been written yet. Writing requests begin with BEGIN IMMEDIATE anyway (core/db.py); this
covers the CLI, worker threads and tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import wraps

from flask_babel import gettext as _
from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint, event
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from base_ops.core.errors import Conflict, DomainError
from base_ops.extensions import db

ErrorFactory = Callable[[], DomainError]

_DEPTH = "unit_of_work_depth"
_WROTE = "unit_of_work_wrote"

# constraint name (or table name) -> the domain error its violation means, registered by each domain
_CONSTRAINT_ERRORS: dict[str, ErrorFactory] = {}


def on_constraint(name: str, error: ErrorFactory) -> None:
    """Register the domain error a violated constraint means, wherever it is violated.

    `name` is the constraint's or index's name (the naming convention of core/db.py gives it), or a
    table's name for "any unique/exclusion violation on this table" where the rule is the table's.
    """
    _CONSTRAINT_ERRORS[name] = error


def busy() -> Conflict:
    """SQLite's lock timeout ran out: a conflict the user may retry, not a crash."""
    return Conflict(_("The system is busy with another change. Please try again."), code="busy")


def is_busy(error: OperationalError) -> bool:
    """SQLite's lock timeout ran out (the user may simply try again)."""
    message = str(error.orig).lower()
    return "locked" in message or "busy" in message


# ---------------------------------------------------------------- the unit

@contextmanager
def unit_of_work(*, conflicts: Mapping[str, ErrorFactory] | None = None,
                 on_busy: ErrorFactory | None = None) -> Iterator[Session]:
    """Run a use case as one transaction: commit once at the end, roll back on any error.

    conflicts: constraint or table name -> domain error, for this use case only (they take
    precedence over the ones registered with `on_constraint`).
    on_busy: the error for a busy SQLite (default: 409 busy).
    Nested units join the outermost one: they map errors the same way but neither commit nor
    roll back.
    """
    session = db.session
    depth = session.info.get(_DEPTH, 0)
    outermost = depth == 0
    if outermost:
        _end_read_snapshot(session)
    session.info[_DEPTH] = depth + 1
    try:
        yield session
        if outermost:
            session.commit()
    except IntegrityError as error:
        if outermost:
            session.rollback()
        mapped = domain_error_for(error, conflicts)
        if mapped is None:
            raise
        raise mapped from None
    except OperationalError as error:
        if outermost:
            session.rollback()
        if is_busy(error):
            raise (on_busy or busy)() from None
        raise
    except BaseException:
        if outermost:
            session.rollback()
        raise
    finally:
        session.info[_DEPTH] = depth


def use_case(function=None, *, conflicts: Mapping[str, ErrorFactory] | None = None,
             on_busy: ErrorFactory | None = None):
    """Decorate a service function so that it runs in a unit of work (its own, or its caller's)."""

    def decorate(inner):
        @wraps(inner)
        def wrapper(*args, **kwargs):
            with unit_of_work(conflicts=conflicts, on_busy=on_busy):
                return inner(*args, **kwargs)

        return wrapper

    return decorate(function) if function is not None else decorate


def in_unit_of_work() -> bool:
    return db.session.info.get(_DEPTH, 0) > 0


def flush(*, conflicts: Mapping[str, ErrorFactory] | None = None) -> None:
    """Flush now, so a violated constraint is refused in domain words here (the unit then rolls back).

    A use case flushes early when what follows depends on the row being accepted (its id, or the
    loser of a race learning it lost before doing more work).
    """
    try:
        db.session.flush()
    except IntegrityError as error:
        mapped = domain_error_for(error, conflicts)
        if mapped is None:
            raise
        raise mapped from None
    except OperationalError as error:
        if is_busy(error):
            raise busy() from None
        raise


def discard() -> None:
    """Drop whatever the failed request had begun (the error handlers' last word)."""
    db.session.rollback()


def before_first_write() -> None:
    """SQLite: end the read snapshot right before the use case's first write, if nothing is written yet.

    The compare-and-set of core/transitions.py calls this after its checks: the UPDATE then waits for
    a racing writer's lock (busy_timeout) instead of failing at once, and the compare decides. Once
    the transaction has written it holds the write lock, and nothing needs ending.
    """
    session = db.session
    if session.info.get(_WROTE):
        return
    _end_read_snapshot(session)


def _end_read_snapshot(session: Session) -> None:
    """Commit a transaction that has only read (committing commits nothing; see the module docstring)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.new or session.dirty or session.deleted or session.info.get(_WROTE):
        return
    session.commit()


# ---------------------------------------------------------------- constraint names

_SQLITE_VIOLATION = re.compile(r"(UNIQUE|CHECK|NOT NULL|FOREIGN KEY) constraint failed(?::\s*(.+))?", re.S)


def violated(error: IntegrityError) -> tuple[str | None, str | None]:
    """(constraint name, table name) of a violation, as far as the database tells them.

    PostgreSQL reports both (psycopg's `diag`). SQLite names a CHECK constraint, and for a UNIQUE one
    its columns ("UNIQUE constraint failed: stays.resident_id"): the table is read from them and the
    name looked up among the unique constraints and indexes the models declare.
    """
    diag = getattr(error.orig, "diag", None)
    if diag is not None and (getattr(diag, "constraint_name", None) or getattr(diag, "table_name", None)):
        return diag.constraint_name, diag.table_name
    match = _SQLITE_VIOLATION.search(str(error.orig))
    if not match:
        return None, None
    kind, detail = match.group(1), (match.group(2) or "").strip()
    if kind == "CHECK":
        return detail or None, _table_of_check(detail)
    if kind == "UNIQUE" and detail:
        if detail.startswith("index "):
            name = detail.removeprefix("index ").strip("'\"")
            return name, _table_of_index(name)
        columns = [c.strip() for c in detail.split(",")]
        table = columns[0].split(".", 1)[0]
        names = frozenset(c.split(".", 1)[-1] for c in columns)
        return _unique_name(table, names), table
    if kind == "NOT NULL" and detail:
        return None, detail.split(".", 1)[0]
    return None, None


def domain_error_for(error: IntegrityError, conflicts: Mapping[str, ErrorFactory] | None = None) -> DomainError | None:
    """The domain error a violation means: by constraint name first, then by table; None if unknown."""
    name, table = violated(error)
    for key in (name, table):
        if key is None:
            continue
        if conflicts and key in conflicts:
            return conflicts[key]()
        if key in _CONSTRAINT_ERRORS:
            return _CONSTRAINT_ERRORS[key]()
    return None


def _tables():
    return db.Model.metadata.tables


def _unique_name(table_name: str, columns: frozenset[str]) -> str | None:
    table = _tables().get(table_name)
    if table is None:
        return None
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint) \
                and frozenset(c.name for c in constraint.columns) == columns:
            return constraint.name
    for index in table.indexes:
        if index.unique and frozenset(c.name for c in index.columns) == columns:
            return index.name
    return None


def _table_of_index(name: str) -> str | None:
    for table in _tables().values():
        if any(index.name == name for index in table.indexes):
            return table.name
    return None


def _table_of_check(name: str) -> str | None:
    for table in _tables().values():
        if any(getattr(constraint, "name", None) == name for constraint in table.constraints):
            return table.name
    return None


# ---------------------------------------------------------------- bookkeeping of writes

@event.listens_for(Session, "after_flush")
def _note_flush(session, flush_context):
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _note_dml(orm_execute_state):
    if orm_execute_state.is_update or orm_execute_state.is_delete or orm_execute_state.is_insert:
        orm_execute_state.session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_ended(session):
    session.info.pop(_WROTE, None)

"""Date arithmetic that compiles on both SQLite and PostgreSQL.

Reports and rosters aggregate nights in SQL (architecture.md rule 7); SQLite
has no date type, so each function compiles to the dialect's own idiom.
"""

from __future__ import annotations

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Date, Integer


class days_between(FunctionElement):
    """days_between(a, b) = b - a in whole days."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(days_between)
def _days_between_default(element, compiler, **kw):
    a, b = list(element.clauses)
    return f"({compiler.process(b, **kw)} - {compiler.process(a, **kw)})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    a, b = list(element.clauses)
    return f"CAST(julianday({compiler.process(b, **kw)}) - julianday({compiler.process(a, **kw)}) AS INTEGER)"


class greatest_date(FunctionElement):
    type = Date()
    inherit_cache = True
    name = "greatest_date"


@compiles(greatest_date)
def _greatest_default(element, compiler, **kw):
    return f"GREATEST({compiler.process(element.clauses, **kw)})"


@compiles(greatest_date, "sqlite")
def _greatest_sqlite(element, compiler, **kw):
    return f"MAX({compiler.process(element.clauses, **kw)})"


class least_date(FunctionElement):
    type = Date()
    inherit_cache = True
    name = "least_date"


@compiles(least_date)
def _least_default(element, compiler, **kw):
    return f"LEAST({compiler.process(element.clauses, **kw)})"


@compiles(least_date, "sqlite")
def _least_sqlite(element, compiler, **kw):
    return f"MIN({compiler.process(element.clauses, **kw)})"

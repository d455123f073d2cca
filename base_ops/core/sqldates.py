"""Date arithmetic that compiles on both SQLite and PostgreSQL.

Reports and rosters aggregate nights in SQL (docs/architecture.md rule 7); SQLite
has no date type, so each function compiles to the dialect's own idiom.
"""

from __future__ import annotations

from sqlalchemy import literal_column
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


class add_months(FunctionElement):
    """add_months(d, n): the same day n months later, clamped to the month's end (31 Jan + 1 → 28/29 Feb).

    `n` must be a Python int: it is inlined as a literal column, so it is part of the statement's
    cache key (an attribute would not be, and a cached statement for 3 months would serve 6).
    PostgreSQL's interval arithmetic clamps this way; SQLite's date(d, '+n months') would roll over
    into the next month, so it is clamped explicitly.
    """

    type = Date()
    inherit_cache = True
    name = "add_months"

    def __init__(self, expr, months: int):
        super().__init__(expr, literal_column(str(int(months))))


@compiles(add_months)
def _add_months_default(element, compiler, **kw):
    expr, months = list(element.clauses)
    return f"CAST(({compiler.process(expr, **kw)} + INTERVAL '{months.name} months') AS DATE)"


@compiles(add_months, "sqlite")
def _add_months_sqlite(element, compiler, **kw):
    expr, months = list(element.clauses)
    d = compiler.process(expr, **kw)
    n = int(months.name)
    day_offset = f"'+' || (CAST(strftime('%d', {d}) AS INTEGER) - 1) || ' days'"
    same_day = f"date({d}, 'start of month', '+{n} months', {day_offset})"
    month_end = f"date({d}, 'start of month', '+{n + 1} months', '-1 day')"
    return f"MIN({same_day}, {month_end})"

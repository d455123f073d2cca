"""Read-only selects for release notices and the work calendar, always through the actor's scope.

A notice is in scope when its receiving county lies in the actor's region
(county officers) or is the county of one of the actor's bases (base managers).
Nobody else sees notices: the admin manages the system, not people's files.
"""

from __future__ import annotations

import calendar as month_calendar
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, false, func, select

from base_ops.accounts.models import Role
from base_ops.core.errors import NotFound
from base_ops.core.scope import region_filter
from base_ops.core.workdays import WorkCalendarDay
from base_ops.extensions import db
from base_ops.intake.models import ReleaseNotice
from base_ops.org.models import Region, RegionLevel

STATUSES = ("due_today", "overdue", "upcoming", "all")
UPCOMING_DAYS = 14


def notice_scope_filter(actor) -> ColumnElement[bool]:
    column = ReleaseNotice.receiving_region_code
    if actor.role == Role.COUNTY_OFFICER:
        return region_filter(actor, column)
    if actor.role == Role.BASE_MANAGER:
        codes = sorted({base.region_code for base in actor.bases})
        return column.in_(codes) if codes else false()
    return false()


def notices_in_scope(actor) -> Select:
    return select(ReleaseNotice).where(notice_scope_filter(actor))


def get_notice(actor, notice_id: int) -> ReleaseNotice:
    """The notice if it exists and is in the actor's scope; 404 otherwise (no leak)."""
    notice = db.session.execute(
        notices_in_scope(actor).where(ReleaseNotice.id == notice_id)
    ).scalar_one_or_none()
    if notice is None:
        raise NotFound(_("No such release notice."))
    return notice


def list_clauses(on: date) -> dict[str, ColumnElement[bool]]:
    """due_today / overdue: receipt not sent and due that day / before it; upcoming: release within 14 days."""
    pending = ReleaseNotice.feedback_sent_on.is_(None)
    return {
        "due_today": and_(pending, ReleaseNotice.feedback_due_on == on),
        "overdue": and_(pending, ReleaseNotice.feedback_due_on < on),
        "upcoming": ReleaseNotice.expected_release_on.between(on, on + timedelta(days=UPCOMING_DAYS)),
    }


def status_clause(status: str, on: date) -> ColumnElement[bool] | None:
    """The filter of one list; None for all notices."""
    return list_clauses(on).get(status)


def notices_by_status(actor, status: str, on: date) -> Select:
    stmt = notices_in_scope(actor)
    clause = status_clause(status, on)
    return stmt if clause is None else stmt.where(clause)


def ordered(stmt: Select, status: str) -> Select:
    """Most urgent first: by receipt deadline, by release date for the upcoming list, newest for all."""
    if status in ("due_today", "overdue"):
        return stmt.order_by(ReleaseNotice.feedback_due_on, ReleaseNotice.id)
    if status == "upcoming":
        return stmt.order_by(ReleaseNotice.expected_release_on, ReleaseNotice.id)
    return stmt.order_by(ReleaseNotice.received_on.desc(), ReleaseNotice.id.desc())


def status_counts(actor, on: date) -> dict[str, int]:
    """The number of notices in each list, in one query."""
    columns = [func.count().filter(clause).label(name) for name, clause in list_clauses(on).items()]
    row = db.session.execute(
        select(*columns, func.count().label("all")).select_from(ReleaseNotice).where(notice_scope_filter(actor))
    ).one()
    return dict(row._mapping)


def feedback_status(notice: ReleaseNotice, on: date) -> str:
    """sent, due_today, overdue or pending (due later)."""
    if notice.feedback_sent_on is not None:
        return "sent"
    if notice.feedback_due_on == on:
        return "due_today"
    return "overdue" if notice.feedback_due_on < on else "pending"


def calendar_month(year: int, month: int) -> list[list[dict | None]]:
    """Weeks (Monday first) of a month; each day {day, is_workday, known, source, note}, None outside it."""
    first = date(year, month, 1)
    last = date(year, month, month_calendar.monthrange(year, month)[1])
    rows = {row.day: row for row in db.session.execute(
        select(WorkCalendarDay).where(WorkCalendarDay.day.between(first, last))
    ).scalars()}
    weeks = []
    for week in month_calendar.Calendar().monthdatescalendar(year, month):
        cells: list[dict | None] = []
        for day in week:
            if day.month != month:
                cells.append(None)
                continue
            row = rows.get(day)
            cells.append({
                "day": day,
                "is_workday": row.is_workday if row else day.weekday() < 5,
                "known": row is not None,
                "source": row.source if row else None,
                "note": row.note if row else None,
                "is_weekend": day.weekday() >= 5,
            })
        weeks.append(cells)
    return weeks


def calendar_years() -> tuple[int | None, int | None]:
    """First and last year the table knows."""
    first, last = db.session.execute(select(func.min(WorkCalendarDay.day), func.max(WorkCalendarDay.day))).one()
    return (first.year if first else None, last.year if last else None)


def region_names(codes) -> dict[str, str]:
    """{code: name} for the regions shown on a page, in one query."""
    codes = sorted({c for c in codes if c})
    if not codes:
        return {}
    return dict(db.session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())


def receiving_counties(actor) -> list[tuple[str, str]]:
    """(code, name) of the counties the actor may register notices for."""
    stmt = select(Region.code, Region.name).where(Region.level == RegionLevel.COUNTY).order_by(Region.code)
    if actor.role == Role.BASE_MANAGER:
        stmt = stmt.where(Region.code.in_(sorted({base.region_code for base in actor.bases})))
    elif actor.role == Role.COUNTY_OFFICER:
        stmt = stmt.where(region_filter(actor, Region.code))
    else:
        stmt = stmt.where(false())
    return [(code, name) for code, name in db.session.execute(stmt)]

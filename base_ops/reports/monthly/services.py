"""Monthly reports (月报): a county submits a finished month, its figures frozen as submitted; a correction is a
new version with a reason and every older version stays readable; officers above the county see which of their
counties submitted by the deadline and the roll-up of the submitted figures (docs/domain.md "Rates and reports").

The schedule (docs/domain.md, "Report schedule in practice"): county → city by the 3rd of the following month
(the county's policy `monthly_report_due_day`, default 3). A county is on time when its first version was
submitted on or before the due day, in China time; a later correction does not make it late, nor does it make a
late report on time.

Scope: a county officer of a county submits for that county only; officers of a city or province read the
counties under them but do not submit for them; a region outside the officer's region is not found. Who submits
and who corrects is declared on the model (`MonthlyReport.can`); a submission is one unit of work, and the unique
(region, month, version) decides between two submissions of the same version (409 version_exists).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import exists, select, update

from base_ops.accounts.models import Role
from base_ops.core import audit, clock
from base_ops.core.db import utcnow
from base_ops.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from base_ops.core.scope import region_code_prefix, region_contains
from base_ops.core.unit_of_work import before_first_write, flush, on_constraint, use_case
from base_ops.extensions import db
from base_ops.org.models import Base, Region, RegionLevel
from base_ops.policies import services as policies
from base_ops.reports.metrics import figures as F
from base_ops.reports.metrics.periods import month_start
from base_ops.reports.models import MonthlyMove, MonthlyReport

MONTH = re.compile(r"^((?:19|20)\d{2})-(0[1-9]|1[0-2])$")  # 1900-2099: months around them exist
REASON_MAX = 2000
RECENT_MONTHS = 12


class Status(enum.StrEnum):
    ON_TIME = "on_time"  # first version submitted on or before the due day
    LATE = "late"  # first version submitted after the due day
    MISSING = "missing"  # not submitted, the due day has not passed yet
    OVERDUE = "overdue"  # not submitted, and the due day has passed


@dataclass(frozen=True)
class CountyMonth:
    """Where one county stands for one month."""

    region: Region
    month: str
    due_on: date
    status: Status
    first: MonthlyReport | None  # version 1: decides on time or late
    latest: MonthlyReport | None  # the version that counts (in the roll-up)

    @property
    def submitted(self) -> bool:
        return self.latest is not None

    @property
    def submittable(self) -> bool:
        return is_finished(self.month)


@dataclass(frozen=True)
class Board:
    """The counties under a city or province for a month, and the roll-up of their latest versions."""

    region: Region
    month: str
    due_on: date
    counties: list[CountyMonth]
    rollup: dict  # figures.sum_counts over the latest submitted versions

    @property
    def included(self) -> int:
        return sum(1 for c in self.counties if c.submitted)

    @property
    def expected(self) -> int:
        return len(self.counties)

    def count(self, status: Status) -> int:
        return sum(1 for c in self.counties if c.status == status)


# ---------------------------------------------------------------- months and the deadline

def parse_month(value, field: str = "month") -> str:
    value = (value or "").strip() if isinstance(value, str) else ""
    if not MONTH.match(value):
        raise ValidationFailed.on(field, _("must be a month written YYYY-MM"))
    return value


def _ym(month: str) -> tuple[int, int]:
    return int(month[:4]), int(month[5:])


def shift_month(month: str, by: int) -> str:
    year, mon = _ym(month)
    return month_start(date(year, mon, 1), -by).strftime("%Y-%m")


def current_month() -> str:
    return clock.today().strftime("%Y-%m")


def is_finished(month: str) -> bool:
    """Only a finished month can be reported: its figures no longer move with the days."""
    return month < current_month()


def last_finished_month() -> str:
    return shift_month(current_month(), -1)


def recent_months(count: int = RECENT_MONTHS) -> list[str]:
    """The last `count` finished months, the most recent first."""
    last = last_finished_month()
    return [shift_month(last, -i) for i in range(count)]


def due_on(month: str, region_code: str) -> date:
    """County → city by the due day of the following month: the county's policy in that month
    (monthly_report_due_day, default the 3rd; docs/domain.md "Rates and reports"). A city's board uses the
    city's own."""
    year, mon = _ym(shift_month(month, 1))
    day = policies.applied("monthly_report_due_day", region_code, date(year, mon, 1)).whole
    return date(year, mon, day)


def submitted_on(report: MonthlyReport) -> date:
    """The day of submission where the bases are (China Standard Time)."""
    return report.submitted_at.astimezone(clock.LOCAL_ZONE).date()


def status_of(first: MonthlyReport | None, month: str, region_code: str) -> Status:
    due = due_on(month, region_code)
    if first is not None:
        return Status.ON_TIME if submitted_on(first) <= due else Status.LATE
    return Status.OVERDUE if clock.today() > due else Status.MISSING


# ---------------------------------------------------------------- scope

def _require_officer(actor) -> None:
    if actor is None or getattr(actor, "role", None) != Role.COUNTY_OFFICER or not actor.region_code:
        raise PermissionDenied(_("Monthly reports are for county officers."))


def region_in_scope(actor, region_code) -> Region:
    """The region if it lies within the officer's region; otherwise not found (never confirm it exists)."""
    _require_officer(actor)
    code = (region_code or "").strip() if isinstance(region_code, str) else ""
    region = db.session.get(Region, code) if re.fullmatch(r"\d{6}", code) else None
    if region is None or not code.startswith(region_code_prefix(actor.region_code)):
        raise NotFound(_("No such region in your scope."), fields={"region_code": [_("not found")]})
    return region


def county_in_scope(actor, region_code) -> Region:
    region = region_in_scope(actor, region_code)
    if RegionLevel(region.level) != RegionLevel.COUNTY:
        raise ValidationFailed.on("region_code", _("must be a county: monthly reports are submitted by counties"))
    return region


def counties_reporting(region: Region, month: str) -> list[Region]:
    """The counties under a city or province that report: those with a base, or that submitted this month."""
    has_base = exists().where(Base.region_code == Region.code)
    has_report = exists().where(MonthlyReport.region_code == Region.code, MonthlyReport.month == month)
    stmt = (select(Region).where(region_contains(Region.code, region.code), Region.level == RegionLevel.COUNTY,
                                 has_base | has_report).order_by(Region.code))
    return list(db.session.scalars(stmt))


# ---------------------------------------------------------------- submitting

def _busy() -> Conflict:
    return Conflict(_("Another change is being saved. Please try again."), code="busy")


def _version_taken_here() -> Conflict:
    """Wherever a version is stored twice (submit_month names the version and the month itself)."""
    return Conflict(MonthlyReport.transitions.moved_first(), code="version_exists")


on_constraint("uq_monthly_reports_version", _version_taken_here)


def _take_write_lock() -> None:
    """SQLite: end the read snapshot and take the write lock with a no-op UPDATE, which waits for a concurrent
    writer (busy_timeout) instead of failing at once (then: the use case's 409 busy); the version read after it
    is the latest committed one. PostgreSQL needs nothing: the unique (region, month, version) decides between
    two writers."""
    before_first_write()
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(MonthlyReport).where(MonthlyReport.id == 0).values(version=MonthlyReport.version))


def latest_version_number(region_code: str, month: str) -> int:
    """0 when the month has not been submitted."""
    stmt = select(MonthlyReport.version).where(MonthlyReport.region_code == region_code,
                                               MonthlyReport.month == month)
    return db.session.scalar(stmt.order_by(MonthlyReport.version.desc()).limit(1)) or 0


def _require_submitter(actor, region_code) -> Region:
    """Only the officer of the county itself submits; officers above read (docs/domain.md: county → city).

    Asked before the month is read, so before it is known whether this will be version 1 or a correction:
    the model declares the same officer for both moves."""
    region = region_in_scope(actor, region_code)
    MonthlyReport.transitions.require_mover(actor, MonthlyMove.SUBMIT, instance=region)
    return region


@use_case(on_busy=_busy)
def submit_month(actor, region_code, month, reason=None, *, version: int | None = None) -> MonthlyReport:
    """Freeze the county's figures of a finished month as a new version.

    Version 1 needs no reason; any later version is a correction and needs one. `version`, when given, is
    the version the caller means to create (the form sends it): if someone else got there first the caller
    gets a Conflict instead of silently stacking a second correction on top.
    """
    from base_ops.reports.metrics import queries as metrics

    region = _require_submitter(actor, region_code)
    month = parse_month(month)
    if not is_finished(month):
        raise ValidationFailed.on("month", _("%(month)s is not over yet; a month is reported once it has ended.",
                                             month=month))
    reason = reason.strip() if isinstance(reason, str) and reason.strip() else None
    if reason is not None and len(reason) > REASON_MAX:
        raise ValidationFailed.on("reason", _("must be at most %(max)s characters", max=REASON_MAX))
    # The figures are read before the write lock so the lock is held only for the insert.
    values = metrics.month_figures(region.code, month)
    _take_write_lock()
    number = latest_version_number(region.code, month) + 1
    if version is not None and version != number:
        raise _version_taken(month, version)
    if MonthlyReport.needs_reason(MonthlyReport.next_move(number - 1)) and reason is None:
        raise ValidationFailed.on("reason", _("This month was already submitted (version %(n)s); a correction "
                                              "needs a reason.", n=number - 1))
    report = MonthlyReport(region_code=region.code, month=month, version=number, figures=values, reason=reason,
                           submitted_by_id=actor.id, submitted_at=utcnow())
    db.session.add(report)
    # Two submissions of the same version at once: the unique (region, month, version) decides, and the
    # loser is told before anything else is written.
    flush(conflicts={"uq_monthly_reports_version": lambda: _version_taken(month, number)})
    audit.record(actor, "monthly_report_submitted", report, region_code=region.code, month=month, version=number,
                 reason=reason)
    return report


def _version_taken(month: str, number: int) -> Conflict:
    return Conflict(_("Version %(n)s of %(month)s has just been submitted by someone else; reload the page to "
                      "see it.", n=number, month=month), code="version_exists")


# ---------------------------------------------------------------- reading

def _reports_of(region_codes: list[str], months: list[str]) -> dict[tuple[str, str], list[MonthlyReport]]:
    """Every version of these counties × months, in version order, in one query."""
    found: dict[tuple[str, str], list[MonthlyReport]] = {}
    if not region_codes or not months:
        return found
    stmt = (select(MonthlyReport).where(MonthlyReport.region_code.in_(region_codes), MonthlyReport.month.in_(months))
            .order_by(MonthlyReport.region_code, MonthlyReport.month, MonthlyReport.version))
    for report in db.session.scalars(stmt):
        found.setdefault((report.region_code, report.month), []).append(report)
    return found


def _county_month(region: Region, month: str, versions: list[MonthlyReport]) -> CountyMonth:
    first = versions[0] if versions else None
    latest = versions[-1] if versions else None
    return CountyMonth(region, month, due_on(month, region.code), status_of(first, month, region.code), first,
                       latest)


def versions(actor, region_code, month) -> list[MonthlyReport]:
    """Every submitted version of a county's month, oldest first."""
    region = county_in_scope(actor, region_code)
    month = parse_month(month)
    return _reports_of([region.code], [month]).get((region.code, month), [])


def latest(actor, region_code, month) -> MonthlyReport | None:
    found = versions(actor, region_code, month)
    return found[-1] if found else None


def get_version(actor, region_code, month, version) -> MonthlyReport:
    for report in versions(actor, region_code, month):
        if report.version == version:
            return report
    raise NotFound(_("No such version of this monthly report."), fields={"version": [_("not found")]})


def county_month(actor, region_code, month) -> CountyMonth:
    region = county_in_scope(actor, region_code)
    month = parse_month(month)
    return _county_month(region, month, _reports_of([region.code], [month]).get((region.code, month), []))


def county_months(actor, region_code, months: list[str]) -> list[CountyMonth]:
    """A county's standing for each of these months (its list of recent months)."""
    region = county_in_scope(actor, region_code)
    found = _reports_of([region.code], months)
    return [_county_month(region, month, found.get((region.code, month), [])) for month in months]


def board(actor, region_code, month) -> Board:
    """For a city or province: each county under it × the month, and the roll-up of the latest versions.

    Rates in the roll-up are recomputed from the summed counts, never averaged (figures.sum_counts).
    """
    region = region_in_scope(actor, region_code)
    if RegionLevel(region.level) == RegionLevel.COUNTY:
        raise ValidationFailed.on("region_code", _("must be a city or province; a county has its own versions"))
    month = parse_month(month)
    counties = counties_reporting(region, month)
    found = _reports_of([c.code for c in counties], [month])
    rows = [_county_month(c, month, found.get((c.code, month), [])) for c in counties]
    rollup = F.sum_counts([row.latest.figures for row in rows if row.latest is not None])
    return Board(region, month, due_on(month, region.code), rows, rollup)


def live_figures(actor, region_code, month) -> dict:
    """The figures as they stand now (not frozen): what a submission would store."""
    from base_ops.reports.metrics import queries as metrics

    region = county_in_scope(actor, region_code)
    return metrics.month_figures(region.code, parse_month(month))


def regions_to_pick(actor) -> list[Region]:
    """For an officer above the county: his own region and, for a province, its cities."""
    _require_officer(actor)
    own = db.session.get(Region, actor.region_code)
    if own is None or RegionLevel(own.level) == RegionLevel.COUNTY:
        return []
    cities = []
    if RegionLevel(own.level) == RegionLevel.PROVINCE:
        cities = list(db.session.scalars(select(Region).where(region_contains(Region.code, own.code),
                                                              Region.level == RegionLevel.CITY)
                                         .order_by(Region.code)))
    return [own, *cities]


# ---------------------------------------------------------------- presenting figures

# The sections of the monthly report page; together they hold every figure of figures.MONTHLY once.
SECTIONS = [
    ("occupancy", [*F.OCCUPANCY, F.BY_KEY["residents_at_end"]]),
    ("placements", F.SERVED + F.PLACEMENTS),
    ("length_of_stay", F.LENGTH_OF_STAY),
    ("retention", F.RETENTION),
    ("training", F.TRAINING),
    ("handover", F.HANDOVER),
    ("subsidies", F.SUBSIDIES),
    ("follow_up", F.FOLLOW_UP),
]


def sections(values: dict) -> list[tuple[str, list[tuple[F.Figure, str]]]]:
    """(section key, [(figure, value as text)]) for a page; a figure missing from old frozen figures shows "—"."""
    return [(key, [(figure, F.display(figure, values.get(figure.key))) for figure in group])
            for key, group in SECTIONS]


@dataclass(frozen=True)
class FigureLine:
    figure: F.Figure
    frozen: str | None  # as submitted (None when no version is shown)
    live: str  # as the data stand now
    differs: bool  # the data changed since the version was submitted


def compare(live: dict, frozen: dict | None) -> list[tuple[str, list[FigureLine]]]:
    """The month page: each figure as submitted next to its value now, so an officer sees what a correction
    would change."""
    out = []
    for key, group in SECTIONS:
        lines = []
        for figure in group:
            now = F.display(figure, live.get(figure.key))
            then = F.display(figure, frozen.get(figure.key)) if frozen is not None else None
            lines.append(FigureLine(figure, then, now, then is not None and then != now))
        out.append((key, lines))
    return out


def submitted_at_local(report: MonthlyReport) -> datetime:
    return report.submitted_at.astimezone(clock.LOCAL_ZONE)

"""The filter of every report, resolved against the actor's scope before any query runs.

Reports go upward (docs/domain.md "Rates and reports"): a county officer sees the bases
of his region (a county, or every county under his city or province), a base
manager his own bases. A request for a region or base outside that scope is
answered as not found (docs/security.md "Object scope": county X asking for county Y's report).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from base_ops.accounts.models import Role
from base_ops.core import bounds
from base_ops.core.errors import NotFound, ValidationFailed
from base_ops.core.scope import region_code_prefix, region_level_of
from base_ops.extensions import db

DIMENSIONS = ("base", "month", "region")
MAX_PERIOD_DAYS = 366 * 5


@dataclass(frozen=True)
class ReportFilter:
    """A period [start, end) over the bases of a region, or a list of bases, grouped by dimensions.

    `region_code` narrows to the bases under that region; `base_ids` (when not None) to those
    bases only. `group_by` holds one or more of DIMENSIONS; "region" groups by the region one
    level below `region_code` (a province's cities, a city's counties; a county groups as itself).
    """

    start: date
    end: date
    region_code: str | None = None
    base_ids: tuple[int, ...] | None = None
    group_by: tuple[str, ...] = ("base",)

    @property
    def region_prefix(self) -> str | None:
        return region_code_prefix(self.region_code) if self.region_code else None

    @property
    def child_level(self) -> str:
        """The level rows are grouped at for group_by=region."""
        level = region_level_of(self.region_code) if self.region_code else "province"
        return {"province": "city", "city": "county", "county": "county"}[level]

    def describe(self) -> dict:
        """The filter as plain values, for spreadsheet headers, export jobs and monthly reports."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "region_code": self.region_code,
                "base_ids": list(self.base_ids) if self.base_ids is not None else None,
                "group_by": list(self.group_by)}


def parse_group_by(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """"base", "base,month" or a list → a tuple of known dimensions, in a stable order."""
    if value is None or value == "":
        return ("base",)
    parts = value.split(",") if isinstance(value, str) else list(value)
    parts = [p.strip() for p in parts if p.strip()]
    unknown = [p for p in parts if p not in DIMENSIONS]
    if unknown or not parts:
        raise ValidationFailed.on("group_by", _("Unknown grouping %(value)s; use base, month or region.",
                                                value=",".join(unknown) or str(value)))
    return tuple(d for d in DIMENSIONS if d in parts)


def resolve_filter(actor, *, start: date, end: date, region_code: str | None = None, base_id: int | None = None,
                   group_by=None) -> ReportFilter:
    """Check the period, and narrow the actor's scope by the requested region or base.

    Raises ValidationFailed for a bad period or grouping, NotFound for a region or base the
    actor may not see (never an empty report that would confirm it exists).
    """
    from base_ops.org.models import Base, Region

    dims = parse_group_by(group_by)
    # Pages, API and exports each read the period and base their own way: the bounds hold for all of them.
    bounds.check_date("from", start)
    bounds.check_date("to", end)
    bounds.check_id("base_id", base_id)
    if end <= start:
        raise ValidationFailed.on("to", _("The end of the period must be after its start."))
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationFailed.on("to", _("A report covers at most five years."))

    if actor.role == Role.COUNTY_OFFICER and actor.region_code:
        scope_code = actor.region_code
        if region_code:
            if db.session.get(Region, region_code) is None or not _within(region_code, scope_code):
                raise NotFound(_("No such region in your scope."), fields={"region_code": [_("not found")]})
            scope_code = region_code
        base_ids = None
        if base_id is not None:
            base = db.session.get(Base, base_id)
            if base is None or not _within(base.region_code, scope_code):
                raise NotFound(_("No such base in your scope."), fields={"base_id": [_("not found")]})
            base_ids = (base.id,)
        return ReportFilter(start, end, scope_code, base_ids, dims)

    if actor.role == Role.BASE_MANAGER:
        mine = tuple(sorted(actor.base_ids))
        if region_code:
            raise NotFound(_("No such region in your scope."), fields={"region_code": [_("not found")]})
        if base_id is not None:
            if base_id not in mine:
                raise NotFound(_("No such base in your scope."), fields={"base_id": [_("not found")]})
            mine = (base_id,)
        # A manager's report is grouped by his bases; "region" would group them by county.
        return ReportFilter(start, end, None, mine, dims)

    raise NotFound(_("No reports in your scope."))


def _within(code: str, scope_code: str) -> bool:
    return code.startswith(region_code_prefix(scope_code))


def bases_in(f: ReportFilter):
    """SQL: the ids of the bases a filter covers."""
    from base_ops.org.models import Base

    query = select(Base.id)
    if f.region_prefix:
        query = query.where(Base.region_code.startswith(f.region_prefix, autoescape=True))
    if f.base_ids is not None:
        query = query.where(Base.id.in_(f.base_ids))
    return query


def scope_names(f: ReportFilter) -> tuple[str | None, list[str] | None]:
    """(region name, base names) a filter covers, for the lines above a spreadsheet and page titles."""
    from base_ops.org.models import Base, Region

    region_name = None
    if f.region_code:
        region = db.session.get(Region, f.region_code)
        region_name = region.name if region else f.region_code
    base_names = None
    if f.base_ids is not None:
        base_names = list(db.session.scalars(select(Base.name).where(Base.id.in_(f.base_ids)).order_by(Base.name)))
    return region_name, base_names


def scope_name(f: ReportFilter) -> str:
    """The filter's scope in words: its bases when narrowed to bases, else its region."""
    region_name, base_names = scope_names(f)
    if base_names is not None:
        return "、".join(base_names) or "—"
    return region_name or "—"

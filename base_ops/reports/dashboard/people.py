"""The people behind a report number (drill-down), and the trail of regions above the current view.

The lists reuse the export queries (reports/exports/spreadsheets.py), so a page and its download always hold the
same people; ID numbers are masked there. Scope was resolved into the filter before we get here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from base_ops.core.scope import region_code_prefix, region_level_of
from base_ops.extensions import db
from base_ops.reports.exports import spreadsheets as exports
from base_ops.reports.metrics.filters import ReportFilter

PER_PAGE = 50


@dataclass
class Listing:
    kind: str
    destination: str | None
    headers: list[str]
    rows: list[list]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PER_PAGE))


def listing(f: ReportFilter, kind: str, destination: str | None, page: int = 1) -> Listing:
    from base_ops.intake.models import Stay

    spec = exports.KINDS[kind]
    stmt = spec.select(f)
    if destination and kind in ("leavers", "residents"):
        stmt = stmt.where(Stay.destination == destination)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    page = max(1, min(page, max(1, -(-total // PER_PAGE))))
    rows = db.session.execute(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return Listing(kind, destination, [column.header for column in spec.columns], list(spec.rows(iter(rows), f)),
                   total, page)


def trail(actor, f: ReportFilter) -> list[tuple[str, str]]:
    """(region code, name) from the actor's own region down to the filter's region, for breadcrumbs."""
    from base_ops.org.models import Region

    if not f.region_code or not getattr(actor, "region_code", None):
        return []
    codes = []
    for level, code in (("province", f.region_code[:2] + "0000"), ("city", f.region_code[:4] + "00"),
                        ("county", f.region_code)):
        if code.startswith(region_code_prefix(actor.region_code)) and level_rank(level) <= \
                level_rank(region_level_of(f.region_code)) and code not in codes:
            codes.append(code)
    names = dict(db.session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())
    return [(code, names[code]) for code in codes if code in names]


def level_rank(level: str) -> int:
    return {"province": 0, "city": 1, "county": 2}[level]

"""The county officer's work waiting (issue 17: "each role's home page lists its work waiting, each item a
link to where it is done"): claims to approve, approved claims to put in a payment batch, monthly reports
(月报) not yet submitted. Read-only, through the domains' own queries; home writes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from base_ops.extensions import db
from base_ops.org.models import RegionLevel
from base_ops.reports.monthly import services as monthly
from base_ops.subsidies import queries as claims
from base_ops.subsidies.models import Claim, ClaimStatus

# How many finished months back a report not submitted is still listed (the monthly page has them all).
MONTHS_BACK = 3


@dataclass
class ReportDue:
    region_code: str
    region_name: str
    month: str
    is_overdue: bool


@dataclass
class OfficerWork:
    claims_to_approve: int = 0
    claims_to_batch: int = 0
    reports_due: list[ReportDue] = field(default_factory=list)


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def for_officer(actor) -> OfficerWork:
    """The reviewed claims waiting for this officer's approval, the approved ones not yet in a batch, and the
    recent finished months whose report is not submitted: his county's, or under a city the counties'."""
    queue = claims.queue_for(actor)
    work = OfficerWork(claims_to_approve=_count(queue.where(Claim.status == ClaimStatus.REVIEWED)),
                       claims_to_batch=_count(queue.where(Claim.status == ClaimStatus.APPROVED)))
    if not actor.region_code:
        return work
    own = monthly.region_in_scope(actor, actor.region_code)
    months = [monthly.shift_month(monthly.last_finished_month(), -n) for n in range(MONTHS_BACK)]
    if RegionLevel(own.level) == RegionLevel.COUNTY:
        rows = monthly.county_months(actor, own.code, months)
    else:
        rows = [row for month in months[:1] for row in monthly.board(actor, own.code, month).counties]
    work.reports_due = [ReportDue(row.region.code, row.region.name, row.month, row.status == monthly.Status.OVERDUE)
                        for row in rows if not row.submitted]
    return work

"""Read-only selects for follow-up: dues and contacts, always through the actor's scope.

A base manager sees the dues of stays at his bases (the schedule belongs to the stay that ended: the person's
last), a county officer those of his region's bases (org.queries.base_ids_filter).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, func, select

from base_ops.core.scope import region_contains
from base_ops.extensions import db
from base_ops.followup.models import DueStatus, FollowUp, FollowUpDue
from base_ops.intake.models import Stay
from base_ops.org.models import Base
from base_ops.org.queries import base_ids_filter
from base_ops.residents.models import Resident


def status_filter(status: str | None, day: date):
    """The SQL condition for a due's status on `day` (FollowUpDue.status_on)."""
    d = FollowUpDue
    open_ = (d.done_follow_up_id.is_(None), d.cancelled_on.is_(None))
    return {
        DueStatus.DONE.value: (d.done_follow_up_id.is_not(None),),
        DueStatus.CANCELLED.value: (d.done_follow_up_id.is_(None), d.cancelled_on.is_not(None)),
        DueStatus.MISSED.value: (*open_, d.closes_on <= day),
        DueStatus.DUE.value: (*open_, d.closes_on > day),
        # 脱管: the open dues (due or missed) of people flagged missing
        "missing": (*open_, Resident.missing_since.is_not(None)),
    }.get(status or "", ())


def dues_in_scope(actor, *, status: str | None, day: date, region_code: str | None = None,
                  base_id: int | None = None) -> Select:
    """Dues of stays at the actor's bases, filtered by status on `day`, region (the base's) and base; soonest
    first for open dues, latest first for done ones (the caller pages by id)."""
    stmt = (select(FollowUpDue).join(Stay, Stay.id == FollowUpDue.stay_id).join(Base, Base.id == Stay.base_id)
            .join(Resident, Resident.id == FollowUpDue.resident_id)
            .where(base_ids_filter(actor, Stay.base_id), *status_filter(status, day)))
    if region_code:
        stmt = stmt.where(region_contains(Base.region_code, region_code))
    if base_id is not None:
        stmt = stmt.where(Stay.base_id == base_id)
    return stmt


def due_page(actor, *, status: str | None, day: date, region_code: str | None, base_id: int | None,
             page: int, per_page: int) -> tuple[list[FollowUpDue], int]:
    """One page of dues for the page (ordered by day, then person) and the count."""
    stmt = dues_in_scope(actor, status=status, day=day, region_code=region_code, base_id=base_id)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    order = (FollowUpDue.due_on.desc(),) if status == DueStatus.DONE.value else (FollowUpDue.due_on,)
    rows = db.session.scalars(stmt.order_by(*order, Resident.name, FollowUpDue.id)
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return list(rows), total


def missing_page(actor, *, region_code: str | None, base_id: int | None, page: int,
                 per_page: int) -> tuple[list[Resident], int]:
    """People flagged 脱管 whose schedule is at the actor's bases, the longest missing first."""
    stay_ids = (select(FollowUpDue.resident_id).join(Stay, Stay.id == FollowUpDue.stay_id)
                .join(Base, Base.id == Stay.base_id).where(base_ids_filter(actor, Stay.base_id)))
    if region_code:
        stay_ids = stay_ids.where(region_contains(Base.region_code, region_code))
    if base_id is not None:
        stay_ids = stay_ids.where(Stay.base_id == base_id)
    stmt = select(Resident).where(Resident.missing_since.is_not(None), Resident.id.in_(stay_ids))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(stmt.order_by(Resident.missing_since, Resident.name, Resident.id)
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return list(rows), total


def missing_count(actor) -> int:
    """People flagged 脱管 in the actor's scope (the county officer's home)."""
    return missing_page(actor, region_code=None, base_id=None, page=1, per_page=1)[1]


def follow_ups_of(resident_id: int) -> list[FollowUp]:
    return list(db.session.scalars(select(FollowUp).where(FollowUp.resident_id == resident_id)
                                   .order_by(FollowUp.contacted_on.desc(), FollowUp.id.desc())))


def dues_of(resident_id: int) -> list[FollowUpDue]:
    return list(db.session.scalars(select(FollowUpDue).where(FollowUpDue.resident_id == resident_id)
                                   .order_by(FollowUpDue.due_on, FollowUpDue.id)))


# ---------------------------------------------------------------- views (API shapes)


def follow_up_view(follow_up: FollowUp) -> dict:
    return {"id": follow_up.id, "resident_id": follow_up.resident_id, "contacted_on": follow_up.contacted_on,
            "method": follow_up.method.value, "outcome": follow_up.outcome.value, "note": follow_up.note,
            "recorded_by": follow_up.recorded_by.display_name if follow_up.recorded_by else None,
            "base_id": follow_up.base_id, "region_code": follow_up.region_code, "created_at": follow_up.created_at}


def due_view(due: FollowUpDue, day: date) -> dict:
    done = due.done_follow_up
    return {"id": due.id, "resident": {"id": due.resident.id, "name": due.resident.name},
            "stay_id": due.stay_id, "sequence": due.sequence, "due_on": due.due_on, "closes_on": due.closes_on,
            "status": due.status_on(day).value, "missing_since": due.resident.missing_since,
            "done": None if done is None else {"id": done.id, "contacted_on": done.contacted_on,
                                               "method": done.method.value, "outcome": done.outcome.value}}

"""Read-only selects for referrals, placements and retention checks, through the actor's scope,
and the candidate view an enterprise is allowed (docs/domain.md "Employers, jobs and placements").

Scope: an enterprise user sees the referrals and placements of his enterprise; base
managers and county officers those of the bases in their scope (the referring base).
What an enterprise may see of a candidate is built here, field by field, from an
allow-list: name, sex, age, skills, courses completed and certificates. Not the diet
(清真 reveals a religion, 病号餐 a health condition: PIPL art. 28). Never the ID number,
offence, sentence, prison, release date, risk, health notes, bank account or case notes.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, false, func, select
from sqlalchemy.orm import lazyload, selectinload

from base_ops.accounts.models import Role, User
from base_ops.core.clock import today
from base_ops.core.errors import NotFound
from base_ops.enterprises.models import Enterprise, JobPosting, PlacementAgreement
from base_ops.extensions import db
from base_ops.intake.models import Stay
from base_ops.org.models import Base
from base_ops.org.queries import base_ids_filter
from base_ops.placements.models import Placement, Referral, ReferralEvent, ReferralStatus
from base_ops.residents.models import Resident

# Retention checks (still employed?) at 1, 3, 6 and 12 months (docs/domain.md).
CHECK_MARKS = (1, 3, 6, 12)
# A check falls due this many days ahead of its date (the "due soon" list), and a check
# made that early already answers it.
DUE_WINDOW_DAYS = 14


# ---------------------------------------------------------------- scope

def referral_scope_filter(actor) -> ColumnElement[bool]:
    if actor.role == Role.ENTERPRISE:
        return Referral.enterprise_id == actor.enterprise_id if actor.enterprise_id else false()
    if actor.role in (Role.BASE_MANAGER, Role.COUNTY_OFFICER):
        return base_ids_filter(actor, Referral.base_id)
    return false()


def placement_scope_filter(actor) -> ColumnElement[bool]:
    if actor.role == Role.ENTERPRISE:
        return Placement.enterprise_id == actor.enterprise_id if actor.enterprise_id else false()
    if actor.role in (Role.BASE_MANAGER, Role.COUNTY_OFFICER):
        return Placement.referral_id.in_(select(Referral.id).where(base_ids_filter(actor, Referral.base_id)))
    return false()


def referrals_in_scope(actor, *, status: str | None = None, posting_id: int | None = None) -> Select:
    stmt = select(Referral).where(referral_scope_filter(actor))
    if status:
        stmt = stmt.where(Referral.status == ReferralStatus(status))
    if posting_id:
        stmt = stmt.where(Referral.posting_id == posting_id)
    return stmt


def get_referral(actor, referral_id: int) -> Referral:
    referral = db.session.execute(
        referrals_in_scope(actor).where(Referral.id == referral_id)
    ).unique().scalar_one_or_none()
    if referral is None:
        raise NotFound(_("No such referral."))
    return referral


def placements_in_scope(actor, *, active_only: bool = False) -> Select:
    """Placements with their checks loaded in one more query (no N+1 on the lists)."""
    stmt = select(Placement).where(placement_scope_filter(actor)).options(selectinload(Placement.checks))
    if active_only:
        stmt = stmt.where(Placement.is_cancelled.is_(False), Placement.ended_on.is_(None))
    return stmt


def get_placement(actor, placement_id: int) -> Placement:
    placement = db.session.execute(
        placements_in_scope(actor).where(Placement.id == placement_id)
    ).unique().scalar_one_or_none()
    if placement is None:
        raise NotFound(_("No such placement."))
    return placement


def referrals_of_posting(actor, posting: JobPosting) -> list[Referral]:
    return list(db.session.execute(
        referrals_in_scope(actor, posting_id=posting.id).order_by(Referral.id)
    ).unique().scalars())


def hires_within(agreement: PlacementAgreement) -> int:
    """The enterprise's hires (not undone) that started within the agreement's period: what its hire
    quota counts (docs/domain.md "Placement agreements"). Counting by period, not by version, keeps the
    hires made before a change of terms within the same period, and lets a renewal start afresh."""
    return db.session.scalar(
        select(func.count()).select_from(Placement).where(
            Placement.enterprise_id == agreement.enterprise_id, Placement.is_cancelled.is_(False),
            Placement.started_on >= agreement.starts_on, Placement.started_on <= agreement.ends_on)
    ) or 0


def placement_of_referral(referral_id: int) -> Placement | None:
    return db.session.execute(
        select(Placement).where(Placement.referral_id == referral_id)
    ).unique().scalar_one_or_none()


def placements_of_resident(resident_id: int) -> list[Placement]:
    """The person's placements (hires), newest first, for the resident's file (一人一档).

    The caller has already resolved the resident through the actor's scope. Each
    placement has `.referral.posting` (title, enterprise) loaded.
    """
    return list(db.session.execute(
        select(Placement).where(Placement.resident_id == resident_id)
        .order_by(Placement.started_on.desc(), Placement.id.desc())
    ).unique().scalars())


def open_stay_in_scope(actor, resident_id: int) -> Stay | None:
    """The person's open stay at one of the actor's bases (a manager refers from his base)."""
    return db.session.execute(
        select(Stay).where(Stay.resident_id == resident_id, Stay.discharged_on.is_(None),
                           base_ids_filter(actor, Stay.base_id))
    ).unique().scalar_one_or_none()


def open_stay_of(resident_id: int) -> Stay | None:
    """The person's open stay anywhere (at most one in the system)."""
    return db.session.execute(
        select(Stay).where(Stay.resident_id == resident_id, Stay.discharged_on.is_(None))
    ).unique().scalar_one_or_none()


def left_for_this_job(placement: Placement) -> bool:
    """The stay the resident was in at the hire was closed as `employed` (discharge to this job)."""
    from base_ops.intake.models import Destination

    if placement.stay_id is None:
        return False
    stay = db.session.get(Stay, placement.stay_id)
    return stay is not None and stay.discharged_on is not None and stay.destination == Destination.EMPLOYED


def can_undo(placement: Placement) -> bool:
    """A hire can be undone while nothing was built on it: no check, no end, no discharge to it."""
    return not (placement.is_cancelled or placement.ended_on is not None or placement.checks
                or left_for_this_job(placement))


def referable_residents(actor, posting: JobPosting | None = None) -> list[tuple[int, str]]:
    """(id, label) of residents with an open stay at the actor's bases (not yet referred to the posting)."""
    stmt = (
        select(Resident.id, Resident.name, Base.name)
        .join(Stay, Stay.resident_id == Resident.id).join(Base, Base.id == Stay.base_id)
        .where(Stay.discharged_on.is_(None), base_ids_filter(actor, Stay.base_id))
        .order_by(Resident.name, Resident.id)
    )
    if posting is not None:
        stmt = stmt.where(Resident.id.not_in(select(Referral.resident_id).where(Referral.posting_id == posting.id)))
    rows = db.session.execute(stmt).all()
    return [(rid, f"{name} · {base_name}") for rid, name, base_name in rows]


# ---------------------------------------------------------------- what an enterprise may see

def completed_courses_of(resident_ids: list[int]) -> dict[int, list[dict]]:
    """Completed courses with their certificates, per person, from the training module in one
    query for the whole page (title, skill, certificate type and number only)."""
    try:
        from base_ops.training.queries import courses_of_residents
    except ImportError:  # the training module is not there: no courses to show
        return {}
    return {
        resident_id: [
            {"title": c.get("title"), "skill": c.get("skill"), "certificate_type": c.get("certificate_type"),
             "certificate_number": c.get("certificate_number")}
            for c in courses if c.get("completed")
        ]
        for resident_id, courses in courses_of_residents(resident_ids).items()
    }


def candidate(resident: Resident, courses: list[dict], on: date | None = None) -> dict:
    """The candidate as an enterprise may see him (docs/domain.md "What an enterprise may see"): an explicit
    allow-list, without the diet (sensitive personal information, PIPL art. 28; the kitchen has it in meals)."""
    return {
        "name": resident.name,
        "sex": str(resident.sex.value if hasattr(resident.sex, "value") else resident.sex),
        "age": resident.age_on(on or today()),
        "skills": sorted({c["skill"] for c in courses if c.get("skill")}),
        "courses": courses,
    }


def _names(user_ids) -> dict[int, str]:
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def _events_by_referral(referral_ids: list[int]) -> dict[int, list[dict]]:
    events = list(db.session.execute(
        select(ReferralEvent).where(ReferralEvent.referral_id.in_(referral_ids)).order_by(ReferralEvent.id)
    ).scalars()) if referral_ids else []
    names = _names(e.actor_id for e in events)
    grouped: dict[int, list[dict]] = {rid: [] for rid in referral_ids}
    for e in events:
        grouped[e.referral_id].append({"from_status": e.from_status, "to_status": e.to_status, "at": e.at,
                                       "by": names.get(e.actor_id)})
    return grouped


def events_of(referral: Referral) -> list[dict]:
    return _events_by_referral([referral.id])[referral.id]


def referral_views(actor, referrals: list[Referral], on: date | None = None) -> list[dict]:
    """Referrals for pages and the API, in a fixed number of queries whatever the page's size.
    Staff also get `resident_id` and `base_id`; an enterprise gets the candidate's allowed fields only."""
    ids = [r.id for r in referrals]
    events = _events_by_referral(ids)
    hired = dict(db.session.execute(
        select(Placement.referral_id, Placement.id).where(Placement.referral_id.in_(ids),
                                                          Placement.is_cancelled.is_(False))
    ).all()) if ids else {}
    base_names = dict(db.session.execute(
        select(Base.id, Base.name).where(Base.id.in_({r.base_id for r in referrals}))
    ).all()) if ids else {}
    courses = completed_courses_of(sorted({r.resident_id for r in referrals}))
    candidates: dict[int, dict] = {}
    views = []
    for referral in referrals:
        if referral.resident_id not in candidates:
            candidates[referral.resident_id] = candidate(referral.resident, courses.get(referral.resident_id, []), on)
        view = {
            "id": referral.id, "posting_id": referral.posting_id, "posting_title": referral.posting.title,
            "enterprise_id": referral.enterprise_id, "enterprise_name": referral.posting.enterprise.name,
            "status": ReferralStatus(referral.status).value, "referred_at": referral.created_at,
            "base_name": base_names.get(referral.base_id), "candidate": candidates[referral.resident_id],
            "events": events[referral.id], "placement_id": hired.get(referral.id),
        }
        if actor.role != Role.ENTERPRISE:
            view["resident_id"] = referral.resident_id
            view["base_id"] = referral.base_id
        views.append(view)
    return views


def referral_view(actor, referral: Referral, on: date | None = None) -> dict:
    return referral_views(actor, [referral], on)[0]


# ---------------------------------------------------------------- retention checks

def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_on(started_on: date, mark: int) -> date:
    return add_months(started_on, mark)


def mark_for_check(started_on: date, checked_on: date, recorded: set[int]) -> int | None:
    """The mark (1, 3, 6, 12) a check made on `checked_on` answers, or None for an extra check.

    The latest mark whose date is at most DUE_WINDOW_DAYS ahead, if it is later than
    every mark already answered (a late check answers the latest mark it reached).
    """
    answered = max(recorded, default=0)
    reached = [m for m in CHECK_MARKS if due_on(started_on, m) - timedelta(days=DUE_WINDOW_DAYS) <= checked_on]
    candidates = [m for m in reached if m > answered]
    return max(candidates) if candidates else None


def next_mark(recorded: set[int]) -> int | None:
    answered = max(recorded, default=0)
    return next((m for m in CHECK_MARKS if m > answered), None)


@dataclass
class DueCheck:
    placement: Placement
    mark: int
    due_on: date
    overdue: bool

    @property
    def days(self) -> int:
        return abs((self.due_on - today()).days)


def next_check(placement: Placement) -> tuple[int, date] | None:
    """(mark, date) of the next retention check, or None when all are done or it is over."""
    if placement.is_cancelled or placement.ended_on is not None:
        return None
    checks = sorted(placement.checks, key=lambda c: (c.checked_on, c.id))
    if checks and not checks[-1].employed:
        return None  # no longer employed: end the placement rather than keep checking
    mark = next_mark({c.month_mark for c in checks if c.month_mark})
    return None if mark is None else (mark, due_on(placement.started_on, mark))


def due_checks(actor, on: date | None = None, within_days: int = DUE_WINDOW_DAYS) -> list[DueCheck]:
    """Retention checks falling due in the next `within_days` days, and the overdue ones, soonest first.

    Two steps, so a base with years of placements does not load every one with its resident,
    posting and enterprise: first the active placements' start dates and checks only (none can be
    due before its first month is over), then the due ones in full."""
    on = on or today()
    horizon = on + timedelta(days=within_days)
    shortest_first_month = timedelta(days=28)
    candidates = db.session.execute(
        placements_in_scope(actor, active_only=True)
        .where(Placement.started_on <= horizon - shortest_first_month)
        .options(lazyload(Placement.referral), lazyload(Placement.resident))
    ).unique().scalars()
    upcoming_by_id = {}
    for placement in candidates:
        upcoming = next_check(placement)
        if upcoming is not None and upcoming[1] <= horizon:
            upcoming_by_id[placement.id] = upcoming
    if not upcoming_by_id:
        return []
    placements = db.session.execute(
        select(Placement).where(Placement.id.in_(upcoming_by_id))
    ).unique().scalars()
    due = [DueCheck(p, upcoming_by_id[p.id][0], upcoming_by_id[p.id][1], upcoming_by_id[p.id][1] < on)
           for p in placements]
    return sorted(due, key=lambda d: (d.due_on, d.placement.id))


def agreement_versions(placements: list[Placement]) -> dict[int, int]:
    """{agreement id: version} of the placements' agreements, in one query for a whole page."""
    ids = sorted({p.agreement_id for p in placements if p.agreement_id})
    if not ids:
        return {}
    return dict(db.session.execute(
        select(PlacementAgreement.id, PlacementAgreement.version).where(PlacementAgreement.id.in_(ids))
    ).all())


def placement_view(actor, placement: Placement, versions: dict[int, int] | None = None) -> dict:
    """A placement for the API; staff also get `resident_id` and `stay_id`. A list passes `versions`
    (agreement_versions of its page) so its rows cost no query each."""
    if versions is None:
        versions = agreement_versions([placement])
    upcoming = next_check(placement)
    view = {
        "id": placement.id, "referral_id": placement.referral_id, "candidate_name": placement.resident.name,
        "enterprise_id": placement.enterprise_id, "enterprise_name": db.session.get(Enterprise,
                                                                                     placement.enterprise_id).name,
        "posting_id": placement.referral.posting_id, "posting_title": placement.referral.posting.title,
        "agreement_id": placement.agreement_id, "agreement_version": versions.get(placement.agreement_id),
        "started_on": placement.started_on, "contract_months": placement.contract_months,
        "monthly_wage": placement.monthly_wage, "social_insurance": placement.social_insurance,
        "ended_on": placement.ended_on, "end_reason": placement.end_reason, "is_cancelled": placement.is_cancelled,
        "checks": [{"id": c.id, "month_mark": c.month_mark, "checked_on": c.checked_on, "employed": c.employed}
                   for c in placement.checks],
        "next_check": None if upcoming is None else {"month_mark": upcoming[0], "due_on": upcoming[1]},
    }
    if actor.role != Role.ENTERPRISE:
        view["resident_id"] = placement.resident_id
        view["stay_id"] = placement.stay_id
    return view


def due_check_view(due: DueCheck) -> dict:
    return {"placement_id": due.placement.id, "candidate_name": due.placement.resident.name,
            "enterprise_name": due.placement.referral.posting.enterprise.name, "month_mark": due.mark,
            "due_on": due.due_on, "overdue": due.overdue}


def pipeline_counts(actor) -> dict[str, int]:
    """{status: referrals} in the actor's scope (the enterprise's home page)."""
    rows = db.session.execute(
        select(Referral.status, func.count()).where(referral_scope_filter(actor)).group_by(Referral.status)
    ).all()
    counts = {s.value: 0 for s in ReferralStatus}
    for status, count in rows:
        counts[ReferralStatus(status).value] = count
    return counts

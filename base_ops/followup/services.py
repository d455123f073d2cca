"""Follow-up use cases: the schedule made at discharge and the contacts recorded after it
(docs/domain.md "Follow-up after discharge"; seed 001 三、第三 每半年跟踪教育一次; seed 002 二(三)3 帮教期).

The schedule is policy (policies/keys.py follow_up_*), decided by the person's 户籍 county on the day of
discharge, like the support years. A contact closes the dues whose window it falls in; `missing` flags the
person 脱管, `reoffended` records the reoffence (the living allowance stops), `deceased` and `reoffended`
cancel what is left.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from base_ops.accounts.models import Role
from base_ops.core import audit
from base_ops.core.clock import today
from base_ops.core.errors import PermissionDenied, ValidationFailed
from base_ops.core.unit_of_work import flush, use_case
from base_ops.extensions import db
from base_ops.followup.models import ENDING_OUTCOMES, FOUND_OUTCOMES, ContactMethod, FollowUp, FollowUpDue, Outcome
from base_ops.intake.models import Destination, Stay
from base_ops.placements.queries import add_months
from base_ops.policies.services import applied

# A contact this many days before a due already counts for it (docs/domain.md "Follow-up after discharge").
EARLY_DAYS = 15
NOTE_MAX_CHARS = 2000
EARLY_KEYS = ("follow_up_month_1", "follow_up_month_2", "follow_up_month_3", "follow_up_month_4")
INTERVAL_KEY = "follow_up_interval_months"
# No schedule after these discharges: the person is in custody again, or dead.
NOT_FOLLOWED = frozenset({Destination.REOFFENDED, Destination.DECEASED})


def schedule_months(region_code: str | None, on: date) -> tuple[list[int], int]:
    """The early offsets (months after discharge, ascending, once each) and the interval after them, as the
    户籍 county's policy in force on the day of discharge sets them."""
    early = sorted({applied(key, region_code, on).whole for key in EARLY_KEYS})
    return early, applied(INTERVAL_KEY, region_code, on).whole


def schedule_dates(discharged_on: date, support_ends_on: date, early: list[int],
                   interval: int) -> list[tuple[date, date]]:
    """[(due_on, closes_on)]: the early offsets, then every `interval` months after the last, while the day is
    within the support period; each window closes at the next due, the last the day after the period ends."""
    offsets = list(early)
    months = offsets[-1] if offsets else 0
    while True:
        months += interval
        if add_months(discharged_on, months) > support_ends_on:
            break
        offsets.append(months)
    days = [d for d in (add_months(discharged_on, m) for m in offsets) if d <= support_ends_on]
    ends = [*days[1:], support_ends_on + timedelta(days=1)]
    return list(zip(days, ends, strict=True))


def _dues_for(stay: Stay) -> list[tuple[date, date]]:
    resident = stay.resident
    early, interval = schedule_months(resident.hukou_region_code, stay.discharged_on)
    return schedule_dates(stay.discharged_on, resident.support_ends_on, early, interval)


def schedule_after_discharge(stay: Stay) -> list[FollowUpDue]:
    """The follow-up dues of a discharged stay (docs/domain.md "Follow-up after discharge"): none after a
    discharge as reoffended or deceased. Idempotent: only missing sequences are added. Dues still open from an
    earlier stay of the person are cancelled from this discharge (the new schedule replaces them). Composes in
    the caller's unit of work (the discharge); writes no audit row of its own (the discharge has one)."""
    if stay.discharged_on is None or Destination(stay.destination) in NOT_FOLLOWED:
        return []
    existing = set(db.session.scalars(select(FollowUpDue.sequence).where(FollowUpDue.stay_id == stay.id)))
    db.session.execute(
        update(FollowUpDue)
        .where(FollowUpDue.resident_id == stay.resident_id, FollowUpDue.stay_id != stay.id,
               FollowUpDue.done_follow_up_id.is_(None), FollowUpDue.cancelled_on.is_(None),
               FollowUpDue.closes_on > stay.discharged_on)
        .values(cancelled_on=stay.discharged_on).execution_options(synchronize_session=False))
    added = [FollowUpDue(resident_id=stay.resident_id, stay_id=stay.id, sequence=n, due_on=due_on, closes_on=closes_on)
             for n, (due_on, closes_on) in enumerate(_dues_for(stay), start=1) if n not in existing]
    db.session.add_all(added)
    return added


def _last_stay_ids_subquery():
    return select(Stay.resident_id, db.func.max(Stay.id).label("stay_id")).group_by(Stay.resident_id).subquery()


@use_case
def schedule_all() -> int:
    """`flask follow-ups schedule`: the dues of every discharged stay that has none yet (data from before the
    schedule existed); each person's last stay only, as a discharge would have made them. Idempotent."""
    last = _last_stay_ids_subquery()
    stays = db.session.scalars(
        select(Stay).join(last, last.c.stay_id == Stay.id)
        .where(Stay.discharged_on.is_not(None), Stay.destination.not_in([d.value for d in NOT_FOLLOWED]),
               ~select(FollowUpDue.id).where(FollowUpDue.stay_id == Stay.id).exists())
        .order_by(Stay.id)).all()
    return sum(len(schedule_after_discharge(stay)) for stay in stays)


# ---------------------------------------------------------------- recording a contact


def _last_stay(resident_id: int) -> Stay | None:
    return db.session.scalars(select(Stay).where(Stay.resident_id == resident_id)
                              .order_by(Stay.admitted_on.desc(), Stay.id.desc()).limit(1)).first()


def _choice(field: str, value, enum_cls):
    try:
        return enum_cls(value)
    except ValueError:
        raise ValidationFailed.on(field, _("is not one of the allowed values")) from None


def _clean(resident, contacted_on, method, outcome, note) -> tuple[Stay, date, ContactMethod, Outcome, str | None]:
    stay = _last_stay(resident.id)
    if stay is None or stay.discharged_on is None:
        raise ValidationFailed.on("contacted_on", _("%(name)s has not been discharged: follow-up starts after "
                                                    "the discharge", name=resident.name), code="not_discharged")
    if not isinstance(contacted_on, date):
        raise ValidationFailed.on("contacted_on", _("must be a date YYYY-MM-DD"))
    if contacted_on > today():
        raise ValidationFailed.on("contacted_on", _("must not be in the future"))
    if contacted_on < stay.discharged_on:
        raise ValidationFailed.on("contacted_on", _("must not be before the discharge on %(date)s",
                                                    date=stay.discharged_on.isoformat()))
    method_value = _choice("method", method, ContactMethod)
    outcome_value = _choice("outcome", outcome, Outcome)
    text = note.strip() if isinstance(note, str) else None
    if note is not None and not isinstance(note, str):
        raise ValidationFailed.on("note", _("must be text"))
    if text and len(text) > NOTE_MAX_CHARS:
        raise ValidationFailed.on("note", _("must be at most %(max)s characters", max=NOTE_MAX_CHARS))
    return stay, contacted_on, method_value, outcome_value, text or None


@use_case
def record_follow_up(actor, resident, *, contacted_on, method, outcome, note=None) -> FollowUp:
    """A contact after discharge by a base manager or a county officer (the caller has resolved the resident
    through the actor's scope). Not in the future, not before the discharge (422 naming the field).

    It closes every open due of the person whose window holds the day: due_on − 15 days ≤ contacted_on <
    closes_on (docs/domain.md "Follow-up after discharge"). `missing` flags the person 脱管 from that day
    (residents.services.record_missing); a later stable, employed or unemployed contact clears it;
    `reoffended` records the reoffence that day unless an earlier one is recorded (the living allowance stops
    from the month after, docs/domain.md "Living allowance"); `reoffended` and `deceased` cancel the dues left."""
    from base_ops.residents import services as residents  # the residents' file is theirs to write

    if actor is None or actor.role not in (Role.BASE_MANAGER, Role.COUNTY_OFFICER):
        raise PermissionDenied(_("Follow-up contacts are recorded by the base manager or the county officer."))
    stay, contacted_on, method_value, outcome_value, text = _clean(resident, contacted_on, method, outcome, note)
    base_id = region_code = None
    if actor.role == Role.BASE_MANAGER:
        base_ids = actor.base_ids or []
        base_id = stay.base_id if stay.base_id in base_ids else (base_ids[0] if base_ids else None)
    else:
        region_code = actor.region_code
    follow_up = FollowUp(resident_id=resident.id, contacted_on=contacted_on, method=method_value,
                         outcome=outcome_value, note=text, recorded_by_id=actor.id, base_id=base_id,
                         region_code=region_code)
    db.session.add(follow_up)
    flush()
    open_dues = (FollowUpDue.resident_id == resident.id, FollowUpDue.done_follow_up_id.is_(None),
                 FollowUpDue.cancelled_on.is_(None))
    closed = db.session.execute(
        update(FollowUpDue)
        .where(*open_dues, FollowUpDue.due_on <= contacted_on + timedelta(days=EARLY_DAYS),
               FollowUpDue.closes_on > contacted_on)
        .values(done_follow_up_id=follow_up.id).execution_options(synchronize_session=False)).rowcount
    if outcome_value in ENDING_OUTCOMES:
        db.session.execute(update(FollowUpDue).where(*open_dues, FollowUpDue.closes_on > contacted_on)
                           .values(cancelled_on=contacted_on).execution_options(synchronize_session=False))
    for row in [o for o in db.session.identity_map.values() if isinstance(o, FollowUpDue)]:
        db.session.expire(row)  # the UPDATEs above bypassed the session
    audit.record(actor, "follow_up_recorded", follow_up, resident_id=resident.id, outcome=outcome_value.value,
                 method=method_value.value, contacted_on=contacted_on.isoformat(), dues_closed=closed)
    if outcome_value is Outcome.MISSING:
        residents.record_missing(actor, resident, on=contacted_on)
    elif outcome_value in FOUND_OUTCOMES and resident.missing_since is not None \
            and resident.missing_since <= contacted_on:
        residents.clear_missing(actor, resident)
    elif outcome_value is Outcome.REOFFENDED and (resident.reoffended_on is None
                                                  or resident.reoffended_on > contacted_on):
        residents.record_reoffence(actor, resident, on=contacted_on)
    return follow_up

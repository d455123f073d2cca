"""Stay use cases: admission, leave, absence without leave, return, discharge.

docs/domain.md "Who is served" and "At the base". Each use case takes plain values
and the actor, checks everything before writing, audits, and runs as one unit of
work (core/unit_of_work.py): it commits once, or joins its caller's unit (a
placement's discharge to employment), and a refusal rolls everything back. One
open stay per person in the whole system is held by the partial unique index
uq_stays_one_open_per_resident (registered below: its violation is 409
open_stay_exists); the check here only gives the friendly message first.
Discharge is the stay's one move on the shared state machine (`Stay.transitions`):
a compare-and-set on discharged_on IS NULL, so of two racing discharges one wins.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm.attributes import set_committed_value

from base_ops.accounts.models import Role
from base_ops.beds import services as beds
from base_ops.beds.services import StayClosed
from base_ops.core import audit, clock
from base_ops.core.errors import Conflict, NotEligible, PermissionDenied, ValidationFailed
from base_ops.core.transitions import compare_and_set
from base_ops.core.unit_of_work import flush, on_constraint, use_case
from base_ops.extensions import db
from base_ops.intake.models import Absence, Destination, Leave, Stay, StayState
from base_ops.intake.stays.rules import eligibility_problem
from base_ops.org.queries import get_base
from base_ops.policies import services as policies
from base_ops.residents.queries import get_resident

REASON_MAX = 500


class OpenStayExists(Conflict):
    code = "open_stay_exists"


def _absence_open() -> Conflict:
    return Conflict(_("An absence is already open: record his return first."), code="absence_open")


# What the database's own guards mean, wherever they are violated (a concurrent request got there first).
OPEN_STAY_INDEX = "uq_stays_one_open_per_resident"
on_constraint(OPEN_STAY_INDEX, lambda: OpenStayExists(_("This person already has an open stay.")))
on_constraint("uq_absences_one_open_per_stay", _absence_open)


def absence_flag_nights(region_code: str, on: date) -> int:
    """More nights than this away without leave is flagged (脱管 risk): the base's county policy on the day
    (docs/domain.md "Leave and absence"; policies/keys.py absence_flag_nights)."""
    return policies.applied("absence_flag_nights", region_code, on).whole


def absence_close_nights(region_code: str, on: date) -> int:
    """From this many nights away the stay may be closed as self_left: the base's county policy on the day
    (docs/domain.md "Leave and absence"; policies/keys.py self_left_nights)."""
    return policies.applied("self_left_nights", region_code, on).whole


def _require_manager(actor) -> None:
    """Intake, leave and discharge are the base manager's daily work (docs/domain.md "People who use it")."""
    if getattr(actor, "role", None) != Role.BASE_MANAGER:
        raise PermissionDenied(_("Only a base manager records admissions, leave and discharges."))


def _not_future(field: str, day: date) -> None:
    if day > clock.today():
        raise ValidationFailed.on(field, _("must not be in the future"))


def _text(value: str | None, field: str, *, required: bool, max_length: int) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationFailed.on(field, _("is required"))
        return None
    if len(value) > max_length:
        raise ValidationFailed.on(field, _("must be at most %(max)s characters", max=max_length))
    return value


def _stay_closed(stay: Stay) -> StayClosed:
    return StayClosed(_("This stay was discharged on %(date)s.", date=stay.discharged_on.isoformat()))


def _require_open(stay: Stay) -> None:
    if not stay.is_open:
        raise _stay_closed(stay)


# ---------------------------------------------------------------- admission

@use_case
def admit(actor, *, resident_id: int, base_id: int, admitted_on: date, bed_id: int | None = None,
          referral_source: str | None = None, override_reason: str | None = None) -> Stay:
    """Admit a resident to a base (入住), optionally into a bed from the first night.

    Refuses (nothing written): a base or resident outside the manager's scope
    (404); a date in the future or before release (422 admitted_on); a child
    under the county policy's minimum age, 16 by default (422 minor: refer to school,
    seed 000 art. 14); someone past his support period (422 not_eligible, seed 002 二(三)3);
    someone outside the admitted categories (三无, key subject, special hardship; seed 004 item 7)
    or aged 16-17 unless an override reason is given, which is audited
    (422 not_eligible); a second open stay anywhere (409 open_stay_exists).
    """
    _require_manager(actor)
    beds.lock_for_change(resident_id=resident_id, bed_ids=(bed_id,) if bed_id else ())
    base = get_base(actor, base_id)
    resident = get_resident(actor, resident_id)
    _not_future("admitted_on", admitted_on)
    if admitted_on < resident.released_on:
        raise ValidationFailed.on("admitted_on", _("must not be before the release on %(date)s",
                                                   date=resident.released_on.isoformat()))
    referral_source = _text(referral_source, "referral_source", required=False, max_length=100)
    override_reason = _text(override_reason, "override_reason", required=False, max_length=REASON_MAX)
    # A child who has not finished compulsory schooling goes to school, not to a base: the age is the base's
    # county policy on the day of admission (seed 000 art. 14 sets 16 for Shanxi; policies/keys.py).
    minimum_age = policies.applied("minimum_admission_age", base.region_code, admitted_on)
    if resident.age_on(admitted_on) < minimum_age.whole:
        raise ValidationFailed.on(
            "resident_id",
            _("%(name)s is under %(age)s: refer him or her to school instead (%(source)s).", name=resident.name,
              age=minimum_age.whole, source=minimum_age.citation()),
            code="minor")
    if admitted_on > resident.support_ends_on:
        raise NotEligible.on("admitted_on", _("is outside the support period, which ended on %(date)s",
                                              date=resident.support_ends_on.isoformat()))
    problem = eligibility_problem(resident, admitted_on)  # the seeds ask the same rule
    if problem and not override_reason:
        raise NotEligible.on("override_reason", _("%(problem)s Admission needs an override reason.",
                                                  problem=problem))
    if open_stay_id(resident.id) is not None:
        raise OpenStayExists(_("%(name)s already has an open stay. Discharge it first.", name=resident.name),
                             fields={"resident_id": [_("has an open stay")]})
    last_discharge = db.session.scalar(select(func.max(Stay.discharged_on)).where(Stay.resident_id == resident.id))
    if last_discharge and admitted_on < last_discharge:
        raise ValidationFailed.on("admitted_on", _("must not be before the previous discharge on %(date)s",
                                                   date=last_discharge.isoformat()))
    stay = Stay(resident_id=resident.id, base_id=base.id, admitted_on=admitted_on, referral_source=referral_source,
                override_reason=override_reason if problem else None, admitted_by_id=actor.id)
    db.session.add(stay)
    # A concurrent admission of the same person won the index: say so with his name (read now: after a
    # failed flush the session cannot load anything).
    name = resident.name
    flush(conflicts={OPEN_STAY_INDEX: lambda: OpenStayExists(_("%(name)s already has an open stay.", name=name))})
    details = {"resident_id": resident.id, "base_id": base.id, "admitted_on": admitted_on.isoformat()}
    if problem:
        details.update(override=True, override_reason=override_reason, eligibility_problem=problem)
    audit.record(actor, "stay_admitted", stay, **details)
    if bed_id:
        beds.place_in_bed(actor, stay, bed_id, admitted_on)  # joins this unit: stay and bed commit together
    return stay


# ---------------------------------------------------------------- leave and absence

def _within_stay(stay: Stay, field: str, day: date) -> None:
    if day < stay.admitted_on:
        raise ValidationFailed.on(field, _("must not be before the admission on %(date)s",
                                           date=stay.admitted_on.isoformat()))


@use_case
def record_leave(actor, stay: Stay, *, start_on: date, end_on: date, reason: str) -> Leave:
    """Nights [start_on, end_on) away with permission (请假外出): the bed stays held, no meals.

    Refuses: a closed stay (409 stay_closed); end_on not after start_on or a start
    before admission (422); a leave overlapping another (409 leave_overlaps).
    """
    _require_manager(actor)
    reason = _text(reason, "reason", required=True, max_length=200)
    _require_open(stay)
    _within_stay(stay, "start_on", start_on)
    if end_on <= start_on:
        raise ValidationFailed.on("end_on", _("must be after the first night away (%(date)s)",
                                              date=start_on.isoformat()))
    clash = db.session.execute(
        select(Leave).where(Leave.stay_id == stay.id, Leave.start_on < end_on, Leave.end_on > start_on).limit(1)
    ).scalar_one_or_none()
    if clash is not None:
        raise Conflict(_("This overlaps the leave of %(start)s to %(end)s.", start=clash.start_on.isoformat(),
                         end=clash.end_on.isoformat()), code="leave_overlaps",
                       fields={"start_on": [_("overlaps another leave")]})
    leave = Leave(stay_id=stay.id, start_on=start_on, end_on=end_on, reason=reason, recorded_by_id=actor.id)
    db.session.add(leave)
    audit.record(actor, "leave_recorded", leave, stay_id=stay.id, start_on=start_on.isoformat(),
                 end_on=end_on.isoformat())
    return leave


@use_case
def record_absence(actor, stay: Stay, *, start_on: date, note: str | None = None) -> Absence:
    """He did not come back and has no leave: away without leave from the night `start_on`.

    Refuses: a closed stay (409 stay_closed); a date before admission or in the
    future (422 start_on); an absence already open (409 absence_open); a night
    inside an earlier absence or a leave, or before a later absence (409 absence_overlaps).
    """
    _require_manager(actor)
    note = _text(note, "note", required=False, max_length=200)
    _require_open(stay)
    _within_stay(stay, "start_on", start_on)
    _not_future("start_on", start_on)
    if db.session.execute(select(Absence.id).where(Absence.stay_id == stay.id,
                                                   Absence.returned_on.is_(None))).first():
        raise _absence_open()
    # No absence is open (checked above): an earlier one must have ended, none may begin later.
    overlapping_absence = select(Absence.id).where(Absence.stay_id == stay.id,
                                                   or_(Absence.returned_on > start_on, Absence.start_on > start_on))
    overlapping_leave = select(Leave.id).where(Leave.stay_id == stay.id, Leave.start_on <= start_on,
                                               Leave.end_on > start_on)
    if db.session.execute(overlapping_absence.union_all(overlapping_leave)).first():
        raise Conflict(_("He was on leave or already recorded as absent that night."), code="absence_overlaps",
                       fields={"start_on": [_("overlaps a leave or an absence")]})
    absence = Absence(stay_id=stay.id, start_on=start_on, note=note, recorded_by_id=actor.id)
    db.session.add(absence)
    flush()  # uq_absences_one_open_per_stay refuses a concurrent request's second absence (409 absence_open)
    audit.record(actor, "absence_recorded", absence, stay_id=stay.id, start_on=start_on.isoformat())
    return absence


@use_case
def record_return(actor, absence: Absence, *, returned_on: date) -> Absence:
    """He came back: the absence covers nights [start_on, returned_on).

    Refuses: an absence already closed (409 absence_closed); a return on or before
    the first night away, or in the future (422 returned_on).
    """
    _require_manager(actor)
    if absence.returned_on is not None:
        raise Conflict(_("This absence was already closed on %(date)s.", date=absence.returned_on.isoformat()),
                       code="absence_closed")
    _require_open(absence.stay)
    if returned_on <= absence.start_on:
        raise ValidationFailed.on("returned_on", _("must be after the first night away (%(date)s)",
                                                   date=absence.start_on.isoformat()))
    _not_future("returned_on", returned_on)
    absence.returned_on = returned_on
    audit.record(actor, "absence_returned", absence, stay_id=absence.stay_id, returned_on=returned_on.isoformat(),
                 nights=(returned_on - absence.start_on).days)
    return absence


# ---------------------------------------------------------------- discharge

@use_case
def discharge(actor, stay: Stay, *, discharged_on: date, destination: str, note: str | None = None) -> Stay:
    """Close the stay (离站) with a destination of docs/domain.md; ends the bed from that night.

    Refuses (nothing written): an actor who is not the manager of the stay's base (403); a stay
    already closed (409 stay_closed, also for the loser of two racing discharges); a date
    before admission or in the future, an unknown destination, `other` without a
    note, a date before an open absence began (422, naming the field).
    The bed assignment ends at discharged_on (half-open: that night is free),
    later assignments are removed, and an open absence ends that day. A discharge as `reoffended`
    records the reoffence on the person that day, unless an earlier one is recorded (docs/domain.md
    "Living allowance": the allowance stops from the month after).
    """
    machine = Stay.transitions
    machine.require_mover(actor, StayState.DISCHARGED, instance=stay)
    beds.lock_for_change(resident_id=stay.resident_id)
    db.session.refresh(stay)
    # The machine's own refusal is 409 invalid_transition; a closed stay keeps its documented stay_closed.
    if not machine.allowed(stay.state, StayState.DISCHARGED):
        raise _stay_closed(stay)
    try:
        destination_value = Destination(destination)
    except ValueError:
        raise ValidationFailed.on("destination", _("is not one of the destinations")) from None
    note = _text(note, "note", required=destination_value is Destination.OTHER, max_length=REASON_MAX)
    if discharged_on < stay.admitted_on:
        raise ValidationFailed.on("discharged_on", _("must not be before the admission on %(date)s",
                                                     date=stay.admitted_on.isoformat()))
    _not_future("discharged_on", discharged_on)
    absence = open_absence(stay.id)
    if absence is not None and discharged_on < absence.start_on:
        raise ValidationFailed.on("discharged_on", _("must not be before the absence that began on %(date)s",
                                                     date=absence.start_on.isoformat()))
    # The move itself: open means discharged_on IS NULL, so the compare-and-set compares with NULL
    # (core.transitions.transition compares a status column with its value, which a stay has not).
    values = {"destination": destination_value, "discharge_note": note}
    if not compare_and_set(Stay, stay.id, None, discharged_on, column="discharged_on", values=values):
        raise StayClosed(machine.moved_first())
    set_committed_value(stay, "discharged_on", discharged_on)
    for name, value in values.items():
        set_committed_value(stay, name, value)
    if absence is not None:
        if discharged_on == absence.start_on:
            db.session.delete(absence)  # not a single night away: no absence at all
        else:
            absence.returned_on = discharged_on
    ended = beds.end_assignments(stay, discharged_on)
    audit.record(actor, machine.audit_action, stay, discharged_on=discharged_on.isoformat(),
                 destination=destination_value.value, days=(discharged_on - stay.admitted_on).days,
                 bed_ids=sorted({a.bed_id for a in ended}))
    if destination_value is Destination.REOFFENDED:
        from base_ops.residents import services as residents  # the residents' file is theirs to write

        resident = stay.resident
        if resident.reoffended_on is None or resident.reoffended_on > discharged_on:
            residents.record_reoffence(actor, resident, on=discharged_on)
    from base_ops.followup import services as followup  # the follow-up schedule is theirs to write

    followup.schedule_after_discharge(stay)  # contacts due through the support period, same unit of work
    return stay


def open_stay_id(resident_id: int) -> int | None:
    """The person's open stay anywhere in the system (not only in the actor's scope)."""
    return db.session.scalar(select(Stay.id).where(Stay.resident_id == resident_id, Stay.discharged_on.is_(None)))


def open_absence(stay_id: int) -> Absence | None:
    return db.session.execute(
        select(Absence).where(Absence.stay_id == stay_id, Absence.returned_on.is_(None))
    ).scalar_one_or_none()


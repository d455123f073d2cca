"""Placement use cases: referrals (推荐) and their pipeline, the hire (a placement), undoing it,
retention checks, the end of a placement, and discharge to employment in one step.

The pipeline (docs/domain.md "Employers, jobs and placements"): referred -> interviewing
-> offered -> hired, or it ends declined_by_employer, declined_by_resident or
withdrawn. Every move is a ReferralEvent (who, when, from, to) and an audit row, both
declared with the referral's state machine (models.Referral.transitions); a placement's
moves (active -> ended or undone, undone -> active again) are declared on the model too.
A hire takes one open position of the posting with a conditional UPDATE in the
same unit of work (enterprises.services.take_position), so the last position is
never taken twice; undoing the hire gives it back. Each use case runs as one unit of
work (core/unit_of_work.py), which commits once.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from base_ops.accounts.models import Role
from base_ops.core import audit, transitions
from base_ops.core.clock import today
from base_ops.core.errors import Conflict, PermissionDenied, ValidationFailed
from base_ops.core.unit_of_work import before_first_write, flush, use_case
from base_ops.enterprises import bars
from base_ops.enterprises import queries as enterprise_queries
from base_ops.enterprises import services as enterprise_services
from base_ops.enterprises.models import PostingStatus
from base_ops.extensions import db
from base_ops.placements import queries
from base_ops.placements.models import (
    HIRING_ROLES,
    PLACEMENT_STATE_COLUMNS,
    Placement,
    PlacementState,
    Referral,
    ReferralStatus,
    RetentionCheck,
    record_placement_move,
    record_referral_event,
)
from base_ops.residents import queries as resident_queries

S = ReferralStatus
P = PlacementState
MAX_CONTRACT_MONTHS = 120
MAX_START_AHEAD_DAYS = 90
REASON_MAX = 200


def _invalid(current: str, target: str) -> Conflict:
    return enterprise_services.invalid_transition(current, target)


def _require_role(actor, roles, message: str) -> None:
    if actor is None or actor.role not in roles:
        raise PermissionDenied(message)


def _date(value, field: str) -> date:
    if not isinstance(value, date):
        raise ValidationFailed.on(field, _("is required"))
    return value


def _not_future(value: date, field: str) -> date:
    if value > today():
        raise ValidationFailed.on(field, _("must not be in the future"))
    return value


def _hired_already() -> Conflict:
    return Conflict(_("This referral is already hired."), code="placement_exists")


def _check_exists() -> Conflict:
    return Conflict(_("This retention check is already recorded."), code="check_exists")


def _not_ended() -> Conflict:
    return Conflict(_("The placement could not be ended."), code="conflict")


def _move_referral_outside_pipeline(actor, referral: Referral, expected: ReferralStatus,
                                    target: ReferralStatus) -> None:
    """The hire (offered -> hired) and its undoing (hired -> offered), which the pipeline table leaves out
    (POST /referrals/<id>/status cannot make them): the same compare-and-set and the same history row as a
    pipeline move, but the audit row is the placement's. 409 invalid_transition, naming the status found,
    when someone else moved the referral first."""
    referral_id = referral.id
    before_first_write()
    if not transitions.compare_and_set(Referral, referral_id, expected, target):
        found = db.session.scalar(select(Referral.status).where(Referral.id == referral_id))
        raise _invalid(S(found).value, target.value)
    set_committed_value(referral, "status", target)
    record_referral_event(actor, referral, expected.value, target)


def _move_placement(actor, placement: Placement, target: PlacementState, values: dict | None = None) -> None:
    """A move of the placement's state machine (models.Placement.transitions), compare-and-set on the state
    it was read in, recorded as the model declares (its audit row).

    core.transitions.transition() compares and sets one status column; a placement has none (its state is
    `is_cancelled` and `ended_on`), so the condition and the columns come from the model here.
    """
    current = placement.state
    Placement.transitions.require(actor, current, target, instance=placement)
    placement_id = placement.id
    columns = {**PLACEMENT_STATE_COLUMNS[target], **(values or {})}
    before_first_write()
    result = db.session.execute(
        update(Placement).where(Placement.id == placement_id, Placement.in_state(current)).values(columns)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(Placement.transitions.moved_first(), code="invalid_transition")
    for name, value in columns.items():
        set_committed_value(placement, name, value)
    Placement.transitions.event(actor, placement, current.value, target.value)


# ---------------------------------------------------------------- referrals

@use_case
def refer(actor, *, posting_id: int, resident_id: int) -> Referral:
    """A base manager refers a resident with an open stay at one of his bases to an open posting.

    404 for a posting or resident outside his scope; 422 barred_job for a job the law closes to him
    (docs/domain.md "Lawful bars on some jobs"); 422 no_open_stay; 409 posting_not_open,
    409 posting_full (no position left), 409 referral_exists (once per posting and resident).
    """
    _require_role(actor, (Role.BASE_MANAGER,), _("Residents are referred by their base manager."))
    posting = enterprise_queries.get_posting(actor, posting_id)
    resident = resident_queries.get_resident(actor, resident_id)
    bar = posting.bar
    if bars.is_barred(bar, resident):
        problem = _("is a %(job)s job, closed by law to %(barred)s (%(law)s %(article)s): the base does not refer "
                    "its residents to it", job=bar.job, barred=bar.barred, law=bar.law, article=bar.article)
        raise ValidationFailed(_("%(name)s cannot be referred to “%(title)s”: it %(problem)s.", name=resident.name,
                                 title=posting.title, problem=problem),
                               fields={"posting_id": [problem]}, code="barred_job")
    stay = queries.open_stay_in_scope(actor, resident.id)
    if stay is None:
        raise ValidationFailed.on("resident_id", _("has no open stay at your bases"), code="no_open_stay")
    if PostingStatus(posting.status) != PostingStatus.OPEN:
        raise Conflict(_("The posting is not open for referrals."), code="posting_not_open")
    if posting.open_positions <= 0:
        raise Conflict(_("Every position of this posting is filled."), code="posting_full")
    existing = db.session.execute(
        select(Referral.id).where(Referral.posting_id == posting.id, Referral.resident_id == resident.id)
    ).scalar_one_or_none()
    exists = Conflict(_("%(name)s is already referred to this posting.", name=resident.name), code="referral_exists",
                      extra={"id": existing} if existing else None)
    if existing is not None:
        raise exists
    posting_id, enterprise_id, resident_id, base_id = posting.id, posting.enterprise_id, resident.id, stay.base_id
    before_first_write()
    referral = Referral(posting_id=posting_id, resident_id=resident_id, enterprise_id=enterprise_id,
                        base_id=base_id, status=S.REFERRED, referred_by_id=actor.id)
    db.session.add(referral)
    # a referral made at the same moment hits the unique constraint: the loser learns it here
    flush(conflicts={"uq_referrals_posting_id_resident_id": lambda: exists})
    record_referral_event(actor, referral, None, S.REFERRED)
    audit.record(actor, "referral_created", referral, posting_id=posting_id, resident_id=resident_id,
                 enterprise_id=enterprise_id, base_id=base_id)
    return referral


@use_case
def move_referral(actor, referral: Referral, *, status: str) -> Referral:
    """Move a referral along the pipeline (every status but `hired`, which is a placement).

    409 invalid_transition for a move the pipeline does not have; 403 for a move that
    is not the actor's to make. The model's declaration records the move (event and audit rows).
    """
    try:
        target = S(status)
    except ValueError:
        raise ValidationFailed.on("status", _("is not a referral status")) from None
    if target == S.HIRED:
        raise ValidationFailed.on("status", _("a hire is recorded as a placement (POST /placements)"))
    transitions.transition(referral, target, actor=actor, expected=S(referral.status))
    return referral


# ---------------------------------------------------------------- placements

def _placement_values(started_on, contract_months, monthly_wage, social_insurance) -> dict:
    started_on = _date(started_on, "started_on")
    if started_on > today() + timedelta(days=MAX_START_AHEAD_DAYS):
        raise ValidationFailed.on("started_on", _("must be within %(days)s days from today", days=MAX_START_AHEAD_DAYS))
    if isinstance(contract_months, bool) or not isinstance(contract_months, int) \
            or not 1 <= contract_months <= MAX_CONTRACT_MONTHS:
        raise ValidationFailed.on("contract_months", _("must be between %(low)s and %(high)s",
                                                       low=1, high=MAX_CONTRACT_MONTHS))
    if not isinstance(social_insurance, bool):
        raise ValidationFailed.on("social_insurance", _("must be true or false"))
    return {"started_on": started_on, "contract_months": contract_months,
            "monthly_wage": enterprise_services.money(monthly_wage, "monthly_wage"),
            "social_insurance": social_insurance}


@use_case(conflicts={"uq_placements_referral_id": _hired_already})
def hire(actor, referral: Referral, *, started_on: date, contract_months: int, monthly_wage,
         social_insurance: bool) -> Placement:
    """The hire: the offered referral becomes `hired`, one open position is taken, and a
    placement records the terms with the agreement version in force.

    409 invalid_transition unless the referral is `offered`; 409 posting_full when no
    position is left (the conditional UPDATE decides, under concurrent hires too);
    409 quota_reached when the agreement in force has its hire quota of hires already
    (docs/domain.md "Placement agreements": the agreement's terms include a hire quota),
    counted under the agreement's row lock so two hires at once cannot both take the last place.
    """
    _require_role(actor, HIRING_ROLES, _("Hires are recorded by the enterprise or the base manager."))
    values = _placement_values(started_on, contract_months, monthly_wage, social_insurance)
    current = S(referral.status)
    if current != S.OFFERED:
        raise _invalid(current.value, S.HIRED.value)
    referral_id, posting_id, resident_id, enterprise_id = (referral.id, referral.posting_id, referral.resident_id,
                                                           referral.enterprise_id)
    _move_referral_outside_pipeline(actor, referral, S.OFFERED, S.HIRED)
    if not enterprise_services.take_position(posting_id):
        raise Conflict(_("Every position of this posting is filled."), code="posting_full")
    agreement = enterprise_services.hold_current_agreement(enterprise_id)
    if agreement is not None and queries.hires_within(agreement) >= agreement.hire_quota:
        raise Conflict(_("The agreement's hire quota of %(quota)s is reached (%(start)s to %(end)s): no more hires "
                         "under it until the county officer changes the agreement.", quota=agreement.hire_quota,
                         start=agreement.starts_on.isoformat(), end=agreement.ends_on.isoformat()),
                       code="quota_reached", extra={"hire_quota": agreement.hire_quota})
    stay = queries.open_stay_of(resident_id)
    values.update(agreement_id=agreement.id if agreement else None, stay_id=stay.id if stay else None)
    placement = queries.placement_of_referral(referral_id)
    if placement is not None:
        # The hire of this referral was undone before (no checks, not ended): the row is used
        # again, since the model keeps one placement per referral.
        _move_placement(actor, placement, P.ACTIVE, values)
        return placement
    placement = Placement(referral_id=referral_id, resident_id=resident_id, enterprise_id=enterprise_id,
                          is_cancelled=False, **values)
    db.session.add(placement)
    flush(conflicts={"uq_placements_referral_id": _hired_already})  # a second hire at the same moment: 409
    record_placement_move(actor, placement, None, P.ACTIVE)
    return placement


def _require_active(placement: Placement) -> None:
    if placement.is_cancelled:
        raise Conflict(_("This hire was undone."), code="placement_cancelled")
    if placement.ended_on is not None:
        raise Conflict(_("This placement has ended."), code="placement_ended")


@use_case
def cancel_placement(actor, placement: Placement) -> Placement:
    """Undo a hire recorded by mistake: the referral goes back to `offered` and the posting
    gets its position back (a posting that was full takes referrals again).

    Only before any retention check or end was recorded: after that, end the placement.
    """
    _require_role(actor, HIRING_ROLES, _("Hires are undone by the enterprise or the base manager."))
    if placement.is_cancelled:
        raise _invalid("cancelled", "cancelled")
    if placement.ended_on is not None or placement.checks:
        raise Conflict(_("Retention checks or an end are recorded: end the placement instead of undoing it."),
                       code="invalid_transition")
    if queries.left_for_this_job(placement):
        raise Conflict(_("The resident left the base for this job: end the placement instead of undoing it."),
                       code="invalid_transition")
    posting_id = placement.referral.posting_id
    _move_referral_outside_pipeline(actor, placement.referral, S.HIRED, S.OFFERED)
    enterprise_services.return_position(posting_id)
    _move_placement(actor, placement, P.CANCELLED)
    return placement


@use_case(conflicts={"uq_retention_checks_mark": _check_exists})
def record_check(actor, placement: Placement, *, checked_on: date, employed: bool) -> RetentionCheck:
    """Still employed? The check answers the 1, 3, 6 or 12-month mark it reached (computed from
    the start date), or is an extra check between marks."""
    _require_role(actor, HIRING_ROLES, _("Retention checks are recorded by the enterprise or the base manager."))
    _require_active(placement)
    checked_on = _not_future(_date(checked_on, "checked_on"), "checked_on")
    if checked_on < placement.started_on:
        raise ValidationFailed.on("checked_on", _("must not be before the start on %(date)s",
                                                  date=placement.started_on.isoformat()))
    if not isinstance(employed, bool):
        raise ValidationFailed.on("employed", _("must be true or false"))
    recorded = {c.month_mark for c in placement.checks if c.month_mark}
    mark = queries.mark_for_check(placement.started_on, checked_on, recorded)
    placement_id = placement.id
    before_first_write()
    check = RetentionCheck(placement_id=placement_id, month_mark=mark, checked_on=checked_on, employed=employed,
                           checked_by_id=actor.id)
    db.session.add(check)
    audit.record(actor, "retention_checked", check, placement_id=placement_id, month_mark=mark,
                 checked_on=checked_on.isoformat(), employed=employed)
    return check


@use_case(conflicts={"ck_placements_ends_after_start": _not_ended})
def end_placement(actor, placement: Placement, *, ended_on: date, reason: str) -> Placement:
    """The placement ended (contract over, quit, dismissed...) on a date, with a reason."""
    _require_role(actor, HIRING_ROLES, _("Placements are ended by the enterprise or the base manager."))
    _require_active(placement)
    ended_on = _not_future(_date(ended_on, "ended_on"), "ended_on")
    if ended_on < placement.started_on:
        raise ValidationFailed.on("ended_on", _("must not be before the start on %(date)s",
                                                date=placement.started_on.isoformat()))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.on("reason", _("is required"))
    if len(reason) > REASON_MAX:
        raise ValidationFailed.on("reason", _("must be at most %(max)s characters", max=REASON_MAX))
    _move_placement(actor, placement, P.ENDED, {"ended_on": ended_on, "end_reason": reason})
    return placement


@use_case
def discharge_to_employment(actor, placement: Placement, *, discharged_on: date):
    """A resident placed while in a stay leaves the base for the job in one step: the stays
    module's discharge with destination `employed` (docs/domain.md "Discharge destinations")."""
    from base_ops.intake.stays import services as stays

    _require_role(actor, (Role.BASE_MANAGER,), _("Discharge is the base manager's work."))
    if placement.is_cancelled:
        raise Conflict(_("This hire was undone."), code="placement_cancelled")
    stay = queries.open_stay_in_scope(actor, placement.resident_id)
    if stay is None:
        raise Conflict(_("%(name)s has no open stay at your bases.", name=placement.resident.name),
                       code="no_open_stay")
    note = _("Employed by %(enterprise)s (placement %(id)s)", enterprise=placement.referral.posting.enterprise.name,
             id=placement.id)
    return stays.discharge(actor, stay, discharged_on=_date(discharged_on, "discharged_on"), destination="employed",
                           note=note)

"""Placement use cases: referrals (推荐) and their pipeline, the hire (a placement), undoing it,
retention checks, the end of a placement, and discharge to employment in one step.

The pipeline (docs/domain.md "Employers, jobs and placements"): referred -> interviewing
-> offered -> hired, or it ends declined_by_employer, declined_by_resident or
withdrawn. Every move is a ReferralEvent (who, when, from, to) and an audit row.
A hire takes one open position of the posting with a conditional UPDATE in the
same transaction (enterprises.services.take_position), so the last position is
never taken twice; undoing the hire gives it back.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from base_ops.accounts.models import Role
from base_ops.core import audit, transitions
from base_ops.core.clock import today
from base_ops.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from base_ops.enterprises import queries as enterprise_queries
from base_ops.enterprises import services as enterprise_services
from base_ops.enterprises.models import PostingStatus
from base_ops.extensions import db
from base_ops.placements import queries
from base_ops.placements.models import Placement, Referral, ReferralEvent, ReferralStatus, RetentionCheck
from base_ops.residents import queries as resident_queries

S = ReferralStatus
HIRING_ROLES = (Role.ENTERPRISE, Role.BASE_MANAGER)
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


def _start_writing() -> None:
    """SQLite: end the read snapshot the request opened before the first write, so the write
    waits for the lock instead of failing at once (the beds module does the same)."""
    session = db.session
    if session.get_bind().dialect.name == "sqlite" and not (session.new or session.dirty or session.deleted):
        session.commit()


def _commit(conflict: DomainError, *, flush_only: bool = False) -> None:
    """Commit (or flush); a constraint the database enforced, or a busy SQLite, is a 409, never a 500."""
    try:
        db.session.flush() if flush_only else db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise conflict from None
    except OperationalError as error:
        db.session.rollback()
        if "locked" in str(error.orig).lower() or "busy" in str(error.orig).lower():
            raise Conflict(_("Another change is being saved. Please try again."), code="busy") from None
        raise


def _event(actor, referral: Referral, previous: str | None, status: ReferralStatus) -> None:
    db.session.add(ReferralEvent(referral_id=referral.id, from_status=previous, to_status=status.value,
                                 actor_id=getattr(actor, "id", None)))


def _set_status(referral_id: int, expected: ReferralStatus, target: ReferralStatus) -> bool:
    """Compare-and-set on the referral's status outside the pipeline table (the hire and its undoing):
    False when someone else moved it first."""
    return transitions.compare_and_set(Referral, referral_id, expected, target)


# ---------------------------------------------------------------- referrals

def refer(actor, *, posting_id: int, resident_id: int) -> Referral:
    """A base manager refers a resident with an open stay at one of his bases to an open posting.

    404 for a posting or resident outside his scope; 422 no_open_stay; 409 posting_not_open,
    409 posting_full (no position left), 409 referral_exists (once per posting and resident).
    """
    _require_role(actor, (Role.BASE_MANAGER,), _("Residents are referred by their base manager."))
    posting = enterprise_queries.get_posting(actor, posting_id)
    resident = resident_queries.get_resident(actor, resident_id)
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
    _start_writing()
    referral = Referral(posting_id=posting_id, resident_id=resident_id, enterprise_id=enterprise_id,
                        base_id=base_id, status=S.REFERRED, referred_by_id=actor.id)
    db.session.add(referral)
    _commit(exists, flush_only=True)  # a referral made at the same moment hits the unique constraint
    _event(actor, referral, None, S.REFERRED)
    audit.record(actor, "referral_created", referral, posting_id=posting_id, resident_id=resident_id,
                 enterprise_id=enterprise_id, base_id=base_id)
    _commit(exists)
    return referral


def move_referral(actor, referral: Referral, *, status: str) -> Referral:
    """Move a referral along the pipeline (every status but `hired`, which is a placement).

    409 invalid_transition for a move the pipeline does not have; 403 for a move that
    is not the actor's to make.
    """
    try:
        target = S(status)
    except ValueError:
        raise ValidationFailed.on("status", _("is not a referral status")) from None
    if target == S.HIRED:
        raise ValidationFailed.on("status", _("a hire is recorded as a placement (POST /placements)"))
    current = S(referral.status)
    transitions.transition(referral, target, actor=actor, expected=current)
    _event(actor, referral, current.value, target)
    audit.record(actor, "referral_status_changed", referral, previous=current.value, status=target.value)
    _commit(_invalid(current.value, target.value))
    db.session.refresh(referral)
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


def hire(actor, referral: Referral, *, started_on: date, contract_months: int, monthly_wage,
         social_insurance: bool) -> Placement:
    """The hire: the offered referral becomes `hired`, one open position is taken, and a
    placement records the terms with the agreement version in force.

    409 invalid_transition unless the referral is `offered`; 409 posting_full when no
    position is left (the conditional UPDATE decides, under concurrent hires too).
    """
    _require_role(actor, HIRING_ROLES, _("Hires are recorded by the enterprise or the base manager."))
    values = _placement_values(started_on, contract_months, monthly_wage, social_insurance)
    current = S(referral.status)
    if current != S.OFFERED:
        raise _invalid(current.value, S.HIRED.value)
    referral_id, posting_id, resident_id = referral.id, referral.posting_id, referral.resident_id
    _start_writing()
    if not _set_status(referral_id, S.OFFERED, S.HIRED):
        db.session.rollback()
        raise _invalid(S(db.session.get(Referral, referral_id).status).value, S.HIRED.value)
    if not enterprise_services.take_position(posting_id):
        db.session.rollback()
        raise Conflict(_("Every position of this posting is filled."), code="posting_full")
    agreement = enterprise_queries.current_agreement(referral.enterprise_id)
    stay = queries.open_stay_of(resident_id)
    placement = queries.placement_of_referral(referral_id)
    if placement is None:
        placement = Placement(referral_id=referral_id, resident_id=resident_id, enterprise_id=referral.enterprise_id)
        db.session.add(placement)
    # else: the hire of this referral was undone before (no checks, not ended): the row is
    # used again, since the model keeps one placement per referral.
    placement.agreement_id = agreement.id if agreement else None
    placement.stay_id = stay.id if stay else None
    placement.is_cancelled = False
    placement.ended_on = None
    placement.end_reason = None
    for name, value in values.items():
        setattr(placement, name, value)
    _commit(Conflict(_("This referral is already hired."), code="placement_exists"), flush_only=True)
    _event(actor, referral, S.OFFERED.value, S.HIRED)
    audit.record(actor, "placement_created", placement, referral_id=referral_id, posting_id=posting_id,
                 enterprise_id=referral.enterprise_id, agreement_id=placement.agreement_id,
                 started_on=values["started_on"].isoformat(), contract_months=values["contract_months"],
                 monthly_wage=str(values["monthly_wage"]), social_insurance=values["social_insurance"])
    _commit(Conflict(_("This referral is already hired."), code="placement_exists"))
    db.session.refresh(referral)
    return placement


def _require_active(placement: Placement) -> None:
    if placement.is_cancelled:
        raise Conflict(_("This hire was undone."), code="placement_cancelled")
    if placement.ended_on is not None:
        raise Conflict(_("This placement has ended."), code="placement_ended")


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
    placement_id, referral_id = placement.id, placement.referral_id
    posting_id = placement.referral.posting_id
    _start_writing()
    if not _set_status(referral_id, S.HIRED, S.OFFERED):
        db.session.rollback()
        raise _invalid(S(db.session.get(Referral, referral_id).status).value, S.OFFERED.value)
    enterprise_services.return_position(posting_id)
    placement = db.session.get(Placement, placement_id)
    placement.is_cancelled = True
    _event(actor, placement.referral, S.HIRED.value, S.OFFERED)
    audit.record(actor, "placement_cancelled", placement, referral_id=referral_id, posting_id=posting_id)
    _commit(_invalid("hired", "offered"))
    return placement


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
    _start_writing()
    check = RetentionCheck(placement_id=placement_id, month_mark=mark, checked_on=checked_on, employed=employed,
                           checked_by_id=actor.id)
    db.session.add(check)
    audit.record(actor, "retention_checked", check, placement_id=placement_id, month_mark=mark,
                 checked_on=checked_on.isoformat(), employed=employed)
    _commit(Conflict(_("This retention check is already recorded."), code="check_exists"))
    return check


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
    _start_writing()
    placement.ended_on = ended_on
    placement.end_reason = reason
    audit.record(actor, "placement_ended", placement, ended_on=ended_on.isoformat(), reason=reason)
    _commit(Conflict(_("The placement could not be ended."), code="conflict"))
    return placement


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

"""Claim use cases: create (amount computed by subsidies.rules, one claim per (kind, subject,
month) held by the unique constraint) and the one life cycle of docs/domain.md "Subsidies and
relief": draft → submitted → reviewed → approved → paid, rejected at review or approval.

The moves and who makes each are declared once on the model (`Claim.transitions`). Each use case
runs in one unit of work (core/unit_of_work.py): it checks the actor's role (403), scope (404) and
the move (409) in that order, then `transitions.transition` makes the move with a compare-and-set
UPDATE (a double-clicked submit makes one transition; the other click gets 409) and records the
ClaimEvent and the audit row; the unit commits once. A batch paying its claims calls `mark_paid`
inside its own unit: the claims are paid together or not at all.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from base_ops.core import audit, bounds, transitions
from base_ops.core.clock import today
from base_ops.core.errors import Conflict, NotEligible, NotFound, PermissionDenied, ValidationFailed
from base_ops.core.roles import Role
from base_ops.core.scope import regions_up_from
from base_ops.core.transitions import invalid_transition
from base_ops.core.unit_of_work import before_first_write, use_case
from base_ops.enterprises.models import PlacementAgreement
from base_ops.extensions import db
from base_ops.intake.models import ReleaseNotice
from base_ops.intake.notices import queries as notices_queries
from base_ops.org.models import Base, DibaoStandard
from base_ops.placements import queries as placement_queries
from base_ops.policies import services as policies
from base_ops.residents import queries as resident_queries
from base_ops.residents.models import Resident
from base_ops.subsidies import queries, rules
from base_ops.subsidies.models import (
    REJECTED_BY,
    Claim,
    ClaimKind,
    ClaimStatus,
    claim_event,
    claim_in_scope,
    claimant_role,
)

K, S = ClaimKind, ClaimStatus
ENTERPRISE_KINDS = frozenset(queries.ENTERPRISE_KINDS)
MONTHLY_KINDS = frozenset({K.POST_SUBSIDY, K.INSURANCE_SUBSIDY, K.LIVING_ALLOWANCE})
REASON_MAX = 1000
REVIEWERS = frozenset(REJECTED_BY.values())


def _names_of(*codes: str) -> dict[str, str]:
    """Region names for a claim's rule text (org/queries.py region_name)."""
    from base_ops.org.queries import region_name

    return {code: region_name(code) for code in codes if code}


def _not_eligible(error: rules.NotEligible) -> NotEligible:
    """A pure rule's refusal (subsidies.rules) as the domain's one eligibility error."""
    return NotEligible(_("Not eligible: %(reason)s", reason=error.reason), fields={error.field: [error.reason]})


def _busy() -> Conflict:
    return Conflict(_("Another change is being saved. Please try again."), code="busy")


def _require_role(actor, roles, message: str) -> None:
    if actor is None or getattr(actor, "role", None) not in roles:
        raise PermissionDenied(message)


def _require_scope(actor, claim: Claim) -> None:
    """404 for a claim outside the actor's scope, exactly like a missing one (the model's rule)."""
    if not claim_in_scope(actor, claim):
        raise NotFound(_("No such claim."))


# ---------------------------------------------------------------- computing

def terms_of(agreement: PlacementAgreement) -> rules.Terms:
    """An agreement's subsidy terms, as subsidies.rules reads them (also for the demo history in seed)."""
    return rules.Terms(
        starts_on=agreement.starts_on, ends_on=agreement.ends_on, min_contract_months=agreement.min_contract_months,
        one_time_subsidy=agreement.one_time_subsidy, one_time_after_months=agreement.one_time_after_months,
        post_subsidy_monthly=agreement.post_subsidy_monthly, post_subsidy_max_months=agreement.post_subsidy_max_months,
        insurance_subsidy_monthly=agreement.insurance_subsidy_monthly,
        insurance_subsidy_max_months=agreement.insurance_subsidy_max_months, budget=agreement.budget)


def hire_of(placement) -> rules.Hire:
    """A placement as subsidies.rules reads a hire: start, contract, insurance, end, and the retention
    checks that found the person not employed (also for the demo history in seed)."""
    return rules.Hire(started_on=placement.started_on, contract_months=placement.contract_months,
                      social_insurance=placement.social_insurance, ended_on=placement.ended_on,
                      not_employed_on=tuple(c.checked_on for c in placement.checks if not c.employed))


def _month(kind: ClaimKind, month: str | None) -> str:
    if kind not in MONTHLY_KINDS:
        if month:
            raise ValidationFailed.on("month", _("is not used for this kind of claim"))
        return ""
    try:
        rules.parse_month(month)
    except (ValueError, TypeError):
        raise ValidationFailed.on("month", _("must be a month YYYY-MM")) from None
    bounds.parse_month("month", month)  # within the app's dates: the rules count months on from it
    return month


def _earlier_claims(kind: ClaimKind, subject_key: str, period: str) -> int:
    return db.session.execute(
        select(func.count(Claim.id)).where(Claim.kind == kind, Claim.subject_key == subject_key,
                                           Claim.period != period, Claim.status != S.REJECTED)
    ).scalar_one()


def dibao_table(hukou_region_code: str, year: int) -> dict[tuple[str, int], Decimal]:
    """The 低保 standards of the year for a 户籍 region and the regions above it, {(region, year): monthly},
    as subsidies.rules.living_allowance takes them (also for the demo history in seed)."""
    rows = db.session.execute(
        select(DibaoStandard.region_code, DibaoStandard.monthly).where(
            DibaoStandard.region_code.in_(regions_up_from(hukou_region_code)), DibaoStandard.year == year)
    ).all()
    return {(code, year): Decimal(monthly) for code, monthly in rows}


def allowance_terms(hukou_region_code: str, month_first) -> tuple[rules.AllowanceTerms, int | None]:
    """The living allowance's numbers for a 户籍 county in the month claimed (docs/domain.md "Policy differs by
    region and changes over time") and the policy that set the number of months."""
    full, grace, step = (policies.applied(key, hukou_region_code, month_first)
                         for key in ("living_allowance_months", "registration_grace_days", "lateness_step_days"))
    terms = rules.AllowanceTerms(full.whole, grace.whole, step.whole, policies.cite((full, grace, step)))
    return terms, full.policy_id


def handover_terms(receiving_region_code: str, received_on, prison_region_code: str
                   ) -> tuple[rules.HandoverTerms, int | None]:
    """The handover tiers of the receiving county on the day of receipt, and the policy that set the tier paid."""
    values = {key: policies.applied(key, receiving_region_code, received_on) for key in rules.HANDOVER_KEYS}
    paid, _label = rules.handover_tier(prison_region_code, receiving_region_code)
    terms = rules.HandoverTerms({k: v.value for k, v in values.items()}, values[paid].citation())
    return terms, values[paid].policy_id


def _enterprise_claim(actor, kind: ClaimKind, placement_id, period: str) -> dict:
    if not isinstance(placement_id, int) or isinstance(placement_id, bool):
        raise ValidationFailed.on("placement_id", _("is required"))
    placement = placement_queries.get_placement(actor, placement_id)
    subject_key = f"placement:{placement.id}"
    agreement = db.session.get(PlacementAgreement, placement.agreement_id) if placement.agreement_id else None
    values = {"kind": kind, "subject_key": subject_key, "period": period, "placement_id": placement.id,
              "resident_id": placement.resident_id, "enterprise_id": placement.enterprise_id,
              "base_id": placement.referral.base_id}

    def compute():
        if placement.is_cancelled:
            raise rules.NotEligible("placement_id", _("the hire was undone"))
        if agreement is None:
            raise rules.NotEligible("placement_id", _("the hire has no agreement"))
        if kind == K.ONE_TIME_HIRE:
            return rules.one_time_hire(terms_of(agreement), hire_of(placement), claimed_on=today())
        return rules.monthly_subsidy(kind.value, terms_of(agreement), hire_of(placement), month=period,
                                     earlier_claims=_earlier_claims(kind, subject_key, period),
                                     current_month=rules.month_key(today()))

    values["agreement_id"] = agreement.id if agreement else None
    values["payee_name"] = agreement.enterprise.name if agreement else None
    values["payee_account"] = None
    return {"values": values, "compute": compute}


def person_of(resident) -> rules.Person:
    """The resident's facts the living allowance is decided on (also for the seed's history)."""
    return rules.Person(released_on=resident.released_on, registered_on=resident.registered_on,
                        hukou_region_code=resident.hukou_region_code, subject_type=str(resident.subject_type),
                        hardship_recorded_on=resident.hardship_recorded_on, dibao_since=resident.dibao_since,
                        reoffended_on=resident.reoffended_on)


def _living_claim(actor, resident_id, period: str) -> dict:
    if not isinstance(resident_id, int) or isinstance(resident_id, bool):
        raise ValidationFailed.on("resident_id", _("is required"))
    resident = resident_queries.get_resident(actor, resident_id)
    person = person_of(resident)
    first = rules.parse_month(period)
    terms, policy_id = allowance_terms(resident.hukou_region_code, first)

    def compute():
        return rules.living_allowance(person, month=period, terms=terms,
                                      dibao=dibao_table(resident.hukou_region_code, first.year),
                                      region_names=_names_of(*regions_up_from(resident.hukou_region_code)))

    values = {"kind": K.LIVING_ALLOWANCE, "subject_key": f"resident:{resident.id}", "period": period,
              "resident_id": resident.id, "base_id": resident.base_id, "payee_name": resident.name,
              "payee_account": resident.bank_account, "policy_id": policy_id}
    return {"values": values, "compute": compute}


def _handover_claim(actor, notice_id) -> dict:
    if not isinstance(notice_id, int) or isinstance(notice_id, bool):
        raise ValidationFailed.on("release_notice_id", _("is required"))
    notice = notices_queries.get_notice(actor, notice_id)
    base_id = None
    if notice.resident_id:
        base_id = resident_queries.get_resident(actor, notice.resident_id).base_id
    else:
        base_id = next((b.id for b in actor.bases if b.region_code == notice.receiving_region_code), None)
    if base_id is None:
        raise NotFound(_("No such release notice."))
    base = db.session.get(Base, base_id)

    terms, policy_id = handover_terms(notice.receiving_region_code, notice.received_on, notice.prison_region_code)

    def compute():
        return rules.handover(is_key_subject=notice.is_key_subject, collected_on=notice.collected_on,
                              prison_region_code=notice.prison_region_code,
                              receiving_region_code=notice.receiving_region_code, terms=terms,
                              region_names=_names_of(notice.prison_region_code, notice.receiving_region_code))

    values = {"kind": K.HANDOVER, "subject_key": f"notice:{notice.id}", "period": "",
              "release_notice_id": notice.id, "resident_id": notice.resident_id, "base_id": base_id,
              "payee_name": base.name, "payee_account": None, "region_code": notice.receiving_region_code,
              "policy_id": policy_id}
    return {"values": values, "compute": compute}


def _existing(kind: ClaimKind, subject_key: str, period: str) -> Claim | None:
    return db.session.execute(
        select(Claim).where(Claim.kind == kind, Claim.subject_key == subject_key, Claim.period == period)
    ).scalar_one_or_none()


def _spec(actor, kind: ClaimKind, period: str, *, placement_id=None, resident_id=None,
          release_notice_id=None) -> dict:
    if kind in ENTERPRISE_KINDS:
        return _enterprise_claim(actor, kind, placement_id, period)
    if kind == K.LIVING_ALLOWANCE:
        return _living_claim(actor, resident_id, period)
    return _handover_claim(actor, release_notice_id)


def _recompute(actor, claim: Claim) -> tuple[Decimal, str, int | None]:
    """The amount, rule and policy again from today's facts and the policy in force on the claim's deciding
    day (a corrected claim resubmitted; an approved claim is never recomputed)."""
    kind = K(claim.kind)
    spec = _spec(actor, kind, claim.period, placement_id=claim.placement_id, resident_id=claim.resident_id,
                 release_notice_id=claim.release_notice_id)
    try:
        return (*spec["compute"](), spec["values"].get("policy_id"))
    except rules.NotEligible as error:
        raise _not_eligible(error) from None


def amount_under_policies(claim: Claim) -> tuple[Decimal, str, int | None] | None:
    """The amount, rule line and policy a living-allowance or handover claim gets from its facts and the
    policies as they answer now (None: no longer eligible). For a new policy's preview and for the drafts it
    changes; the claim's facts are read directly, the caller (an admin entering a policy) sees no person."""
    if claim.kind == K.LIVING_ALLOWANCE and claim.resident_id is not None:
        resident = db.session.get(Resident, claim.resident_id)
        first = rules.parse_month(claim.period)
        terms, policy_id = allowance_terms(resident.hukou_region_code, first)
        try:
            amount, rule = rules.living_allowance(
                person_of(resident), month=claim.period, terms=terms,
                dibao=dibao_table(resident.hukou_region_code, first.year),
                region_names=_names_of(*regions_up_from(resident.hukou_region_code)))
        except rules.NotEligible:
            return None
        return amount, rule, policy_id
    if claim.kind == K.HANDOVER and claim.release_notice_id is not None:
        notice = db.session.get(ReleaseNotice, claim.release_notice_id)
        terms, policy_id = handover_terms(notice.receiving_region_code, notice.received_on, notice.prison_region_code)
        try:
            amount, rule = rules.handover(is_key_subject=notice.is_key_subject, collected_on=notice.collected_on,
                                          prison_region_code=notice.prison_region_code,
                                          receiving_region_code=notice.receiving_region_code, terms=terms,
                                          region_names=_names_of(notice.prison_region_code,
                                                                 notice.receiving_region_code))
        except rules.NotEligible:
            return None
        return amount, rule, policy_id
    return Decimal(claim.amount), claim.rule, claim.policy_id


@use_case(on_busy=_busy)
def create_claim(actor, *, kind, placement_id=None, resident_id=None, release_notice_id=None,
                 month=None) -> tuple[Claim, bool]:
    """File a claim with its amount computed by the rules (never typed). One claim per (kind,
    subject, month): a repeated request — even at the same moment — returns the existing claim
    with False. Enterprise users file the enterprise kinds for their placements; base managers
    the living allowance of their residents and the handover subsidy of their county's notices.
    422 not_eligible with the reason."""
    try:
        kind = K(kind)
    except ValueError:
        raise ValidationFailed.on("kind", _("is not a kind of claim")) from None
    if kind in ENTERPRISE_KINDS:
        _require_role(actor, (Role.ENTERPRISE,), _("Enterprise subsidies are claimed by the enterprise."))
    else:
        _require_role(actor, (Role.BASE_MANAGER,), _("This subsidy is claimed by the base manager."))
    period = _month(kind, month)
    spec = _spec(actor, kind, period, placement_id=placement_id, resident_id=resident_id,
                 release_notice_id=release_notice_id)
    values = spec["values"]
    existing = _existing(kind, values["subject_key"], period)
    if existing is not None:
        return existing, False
    try:
        amount, rule = spec["compute"]()
    except rules.NotEligible as error:
        raise _not_eligible(error) from None
    if "region_code" not in values:
        values["region_code"] = db.session.get(Base, values["base_id"]).region_code
    claim = Claim(status=S.DRAFT, amount=amount, rule=rule, created_by_id=actor.id, **values)
    # SQLite: the insert then waits for a concurrent writer's lock instead of failing at once. Nothing
    # may be read between here and the insert (the claim is built before, with the actor's id).
    before_first_write()
    try:
        # In a savepoint: the loser of "the same claim filed at the same moment" still has its
        # transaction to read the winner's claim in (the unique (kind, subject_key, period) decided).
        with db.session.begin_nested():
            db.session.add(claim)
    except IntegrityError:
        existing = _existing(kind, values["subject_key"], period)
        if existing is None:
            raise
        return existing, False
    db.session.add(claim_event(actor, claim, None, S.DRAFT))
    audit.record(actor, "claim_created", claim, kind=kind.value, subject=values["subject_key"], period=period,
                 amount=str(amount))
    return claim, True


# ---------------------------------------------------------------- the life cycle

def _move(actor, claim: Claim, target: ClaimStatus, *, values: dict | None = None) -> Claim:
    """One move as Claim.transitions declares it: 409 invalid_transition (naming both statuses) for a move
    the life cycle lacks, then the compare-and-set with its ClaimEvent and audit row."""
    current = _status(claim)
    if not Claim.transitions.allowed(current, target):
        raise invalid_transition(current.value, target.value)
    transitions.transition(claim, target, actor=actor, expected=current, values=values)
    return claim


def _status(claim: Claim) -> ClaimStatus:
    return S(claim.status)


@use_case(on_busy=_busy)
def submit(actor, claim: Claim) -> Claim:
    """draft → submitted, or a corrected rejected claim → submitted again (at most
    `max_resubmissions` times: 409 too_many_resubmissions), its amount and rule computed again
    from the corrected facts (422 not_eligible if they no longer qualify). The enterprise submits its
    enterprise claims; the base manager the living allowance and handover claims."""
    if claimant_role(claim.kind) == Role.ENTERPRISE:
        _require_role(actor, (Role.ENTERPRISE,), _("Enterprise subsidies are submitted by the enterprise."))
    else:
        _require_role(actor, (Role.BASE_MANAGER,), _("This claim is submitted by the base manager."))
    _require_scope(actor, claim)
    if _status(claim) != S.REJECTED:
        return _move(actor, claim, S.SUBMITTED)
    limit = policies.applied("max_resubmissions", claim.region_code, today()).whole
    if claim.resubmissions >= limit:
        raise Conflict(_("A rejected claim can be resubmitted at most %(max)s times.", max=limit),
                       code="too_many_resubmissions")
    amount, rule, policy_id = _recompute(actor, claim)
    return _move(actor, claim, S.SUBMITTED, values={"resubmissions": claim.resubmissions + 1, "reason_code": None,
                                                    "reason": None, "amount": amount, "rule": rule,
                                                    "policy_id": policy_id})


def _reason(reason_code, reason) -> tuple[str, str]:
    if not reason_code or reason_code not in queries.active_reason_codes():
        raise ValidationFailed.on("reason_code", _("is not a rejection reason"))
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed.on("reason", _("is required"))
    if len(text) > REASON_MAX:
        raise ValidationFailed.on("reason", _("must be at most %(max)s characters", max=REASON_MAX))
    return reason_code, text


@use_case(on_busy=_busy)
def review(actor, claim: Claim, *, decision: str, reason_code: str | None = None, reason: str | None = None) -> Claim:
    """The base manager's first review: submitted → reviewed, or rejected with a reason code."""
    _require_role(actor, (Role.BASE_MANAGER,), _("Claims are reviewed by the base manager."))
    if decision not in ("approve", "reject"):
        raise ValidationFailed.on("decision", _("must be approve or reject"))
    _require_scope(actor, claim)
    if decision == "reject":
        return reject(actor, claim, reason_code=reason_code, reason=reason)
    return _move(actor, claim, S.REVIEWED)


@use_case(on_busy=_busy)
def approve(actor, claim: Claim) -> Claim:
    """The county officer of the claim's region: reviewed → approved; 409 budget_exceeded when
    the agreement's approved + paid claims would exceed its budget. The budget is read after the
    status UPDATE, with the agreement row locked (FOR UPDATE on PostgreSQL; on SQLite the UPDATE
    took the write lock), so two approvals at once cannot both fit in the last of the budget; a
    refusal rolls the move back with the unit of work."""
    _require_role(actor, (Role.COUNTY_OFFICER,), _("Claims are approved by the county officer."))
    _require_scope(actor, claim)
    from base_ops.subsidies.payees import require_payee_account  # issue 21: never approved for nobody

    payee = require_payee_account(claim, S.APPROVED)
    agreement_id, amount = claim.agreement_id, Decimal(claim.amount)
    _move(actor, claim, S.APPROVED, values=payee)
    if agreement_id is not None:
        budget = db.session.execute(
            select(PlacementAgreement.budget).where(PlacementAgreement.id == agreement_id).with_for_update()
        ).scalar_one()
        others = queries.committed_total(agreement_id) - amount  # this claim is already approved here
        if not rules.within_budget(Decimal(budget), others, amount):
            raise Conflict(_("Approving %(amount)s would exceed the agreement's budget of %(budget)s.",
                             amount=amount, budget=budget), code="budget_exceeded")
    return claim


@use_case(on_busy=_busy)
def reject(actor, claim: Claim, *, reason_code: str | None, reason: str | None) -> Claim:
    """Reject at review (base manager, a submitted claim) or at approval (county officer, a
    reviewed claim), with a reason code from the admin's list and text."""
    _require_role(actor, REVIEWERS, _("Claims are rejected by their reviewers."))
    _require_scope(actor, claim)
    current = _status(claim)
    if not Claim.transitions.allowed(current, S.REJECTED):
        raise invalid_transition(current.value, S.REJECTED.value)
    if not claim.can(S.REJECTED, actor):
        raise PermissionDenied(_("This claim is not at your stage."))
    code, text = _reason(reason_code, reason)
    return _move(actor, claim, S.REJECTED, values={"reason_code": code, "reason": text})


@use_case(on_busy=_busy)
def mark_paid(actor, claim: Claim) -> Claim:
    """The county officer of the claim's region: approved → paid. A batch pays its claims inside its
    own unit of work (they are paid together or not at all)."""
    _require_role(actor, (Role.COUNTY_OFFICER,), _("Claims are paid by the county officer."))
    _require_scope(actor, claim)
    from base_ops.subsidies.payees import require_payee_account  # issue 21: never paid to nobody

    return _move(actor, claim, S.PAID, values=require_payee_account(claim, S.PAID))

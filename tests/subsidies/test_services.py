"""Claim use cases through the services: create (computed, idempotent), the life cycle with
every role's permission for every transition, resubmissions, the budget, events and audit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from base_ops.core.audit import AuditEvent
from base_ops.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from base_ops.core.unit_of_work import unit_of_work
from base_ops.subsidies import queries, services
from base_ops.subsidies.models import Claim, ClaimEvent, ClaimStatus
from tests.subsidies.conftest import advance

ROLES = ["enterprise_user", "enterprise_other", "manager_a", "manager_b", "officer_x", "officer_y", "admin", "auditor",
         "trainer_a"]


@pytest.fixture
def actors(sw, factory):
    other = factory.enterprise("330106", uscc="91330110MA2H1YAB2Y", name="别家企业")
    sw.enterprise_other = factory.user("enterprise", username="enterprise_o", enterprise=other)
    return sw


def _outcome(call) -> str:
    try:
        call()
    except PermissionDenied:
        return "403"
    except NotFound:
        return "404"
    except Conflict as error:
        return error.code
    except ValidationFailed as error:
        return error.code
    return "ok"


def _events(db, claim) -> int:
    return db.session.scalar(select(func.count()).select_from(ClaimEvent).where(ClaimEvent.claim_id == claim.id))


def _living(sw, month="2026-09"):
    return services.create_claim(sw.manager_a, kind="living_allowance", resident_id=sw.resident_a.id, month=month)[0]


# ---------------------------------------------------------------- permissions, every role, every transition

ALLOWED = {
    "submit": {"enterprise_user": "ok", "enterprise_other": "404"},
    "submit_living": {"manager_a": "ok", "manager_b": "404"},
    "review": {"manager_a": "ok", "manager_b": "404"},
    "approve": {"officer_x": "ok", "officer_y": "404"},
    "reject_review": {"manager_a": "ok", "manager_b": "404", "officer_x": "403", "officer_y": "404"},
    "reject_approval": {"officer_x": "ok", "officer_y": "404", "manager_a": "403", "manager_b": "404"},
    "pay": {"officer_x": "ok", "officer_y": "404"},
}
SETUP = {"submit": "draft", "submit_living": "draft", "review": "submitted", "approve": "reviewed",
         "reject_review": "submitted", "reject_approval": "reviewed", "pay": "approved"}
TARGET = {"submit": "submitted", "submit_living": "submitted", "review": "reviewed", "approve": "approved",
          "reject_review": "rejected", "reject_approval": "rejected", "pay": "paid"}


def _call(move, actor, claim):
    if move.startswith("submit"):
        return lambda: services.submit(actor, claim)
    if move == "review":
        return lambda: services.review(actor, claim, decision="approve")
    if move == "approve":
        return lambda: services.approve(actor, claim)
    if move.startswith("reject"):
        return lambda: services.reject(actor, claim, reason_code="not_employed", reason="当月未在岗")
    return lambda: services.mark_paid(actor, claim)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("move", list(ALLOWED))
def test_each_transition_is_permitted_to_its_role_and_scope_only(actors, post_claim, db, move, role):
    claim = _living(actors) if move == "submit_living" else post_claim(SETUP[move])
    before = _events(db, claim)
    expected = ALLOWED[move].get(role, "403")
    assert _outcome(_call(move, getattr(actors, role), claim)) == expected
    db.session.refresh(claim)
    if expected == "ok":
        assert claim.status == TARGET[move]
        assert _events(db, claim) == before + 1
    else:
        assert claim.status == SETUP[move]
        assert _events(db, claim) == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ["post_subsidy", "living_allowance", "handover"])
def test_who_may_create_which_kind(actors, db, kind, role):
    args = {"post_subsidy": {"placement_id": actors.placement_a.id, "month": "2026-11"},
            "living_allowance": {"resident_id": actors.resident_a.id, "month": "2026-10"},
            "handover": {"release_notice_id": actors.notice_x.id}}[kind]
    allowed = {"post_subsidy": {"enterprise_user": "ok", "enterprise_other": "404"},
               "living_allowance": {"manager_a": "ok", "manager_b": "404"},
               "handover": {"manager_a": "ok", "manager_b": "404"}}[kind]
    expected = allowed.get(role, "403")
    assert _outcome(lambda: services.create_claim(getattr(actors, role), kind=kind, **args)) == expected
    assert db.session.scalar(select(func.count()).select_from(Claim)) == (1 if expected == "ok" else 0)


# ---------------------------------------------------------------- create

def test_create_computes_amount_and_rule_and_is_audited(sw, db):
    claim, created = services.create_claim(sw.enterprise_user, kind="insurance_subsidy",
                                           placement_id=sw.placement_a.id, month="2026-12")
    assert created and claim.status == "draft"
    assert claim.amount == Decimal("800.00") and "社保补贴" in claim.rule
    assert claim.agreement_id == sw.agreement.id and claim.region_code == "330106"
    assert claim.base_id == sw.base_a.id and claim.subject_key == f"placement:{sw.placement_a.id}"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "claim_created")) == 1


def test_repeated_create_returns_the_existing_claim(sw, db):
    first, created = services.create_claim(sw.enterprise_user, kind="post_subsidy", placement_id=sw.placement_a.id,
                                           month="2026-11")
    again, created_again = services.create_claim(sw.enterprise_user, kind="post_subsidy",
                                                 placement_id=sw.placement_a.id, month="2026-11")
    assert created and not created_again and again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(Claim)) == 1


def test_the_unique_constraint_decides_when_the_lookup_misses(sw, db, monkeypatch):
    first, _ = services.create_claim(sw.enterprise_user, kind="post_subsidy", placement_id=sw.placement_a.id,
                                     month="2026-11")
    real = services._existing
    calls = []

    def miss_first(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(services, "_existing", miss_first)
    again, created = services.create_claim(sw.enterprise_user, kind="post_subsidy", placement_id=sw.placement_a.id,
                                           month="2026-11")
    assert not created and again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(Claim)) == 1


@pytest.mark.parametrize("month, field", [("2026-10", "month"), ("2027-01", "month")])
def test_not_eligible_months_write_nothing(sw, db, month, field):
    with pytest.raises(ValidationFailed) as info:
        services.create_claim(sw.enterprise_user, kind="post_subsidy", placement_id=sw.placement_a.id, month=month)
    assert info.value.code == "not_eligible" and field in info.value.fields
    assert db.session.scalar(select(func.count()).select_from(Claim)) == 0


def test_bad_input_names_the_field(sw):
    for kwargs, field in [({"kind": "bonus"}, "kind"), ({"kind": "post_subsidy", "month": "2026-11"}, "placement_id"),
                          ({"kind": "post_subsidy", "placement_id": sw.placement_a.id, "month": "11/2026"}, "month"),
                          ({"kind": "one_time_hire", "placement_id": sw.placement_a.id, "month": "2026-11"}, "month")]:
        with pytest.raises(ValidationFailed) as info:
            services.create_claim(sw.enterprise_user, **kwargs)
        assert field in info.value.fields


def test_insurance_not_for_an_uninsured_hire_and_max_months_count_non_rejected_claims(sw, db, english):
    sw.agreement.post_subsidy_max_months = 1
    db.session.commit()
    first, _ = services.create_claim(sw.enterprise_user, kind="post_subsidy", placement_id=sw.placement_a.id,
                                     month="2026-11")
    with pytest.raises(ValidationFailed, match="maximum"):
        services.create_claim(sw.enterprise_user, kind="post_subsidy", placement_id=sw.placement_a.id,
                              month="2026-12")
    advance(sw, first, "rejected")
    _second, created = services.create_claim(sw.enterprise_user, kind="post_subsidy", placement_id=sw.placement_a.id,
                                            month="2026-12")
    assert created
    sw.placement_a.social_insurance = False
    db.session.commit()
    with pytest.raises(ValidationFailed, match="insured"):
        services.create_claim(sw.enterprise_user, kind="insurance_subsidy", placement_id=sw.placement_a.id,
                              month="2026-12")


def test_one_time_hire_after_six_months(sw, monkeypatch, english):
    with pytest.raises(ValidationFailed, match="retained"):
        services.create_claim(sw.enterprise_user, kind="one_time_hire", placement_id=sw.placement_a.id)
    monkeypatch.setattr(services, "today", lambda: date(2027, 5, 10))
    claim, created = services.create_claim(sw.enterprise_user, kind="one_time_hire", placement_id=sw.placement_a.id)
    assert created and claim.amount == Decimal("3000.00") and claim.period == ""


def test_living_allowance_of_a_late_registered_resident_shows_reduced_months(sw, db):
    sw.resident_a.released_on = date(2026, 7, 1)
    sw.resident_a.registered_on = date(2026, 9, 10)  # 71 days after release: 41 late → 2 months less
    db.session.commit()
    claim = _living(sw, "2026-12")
    assert claim.amount == Decimal("1100.00")
    assert "可享 4 个月" in claim.rule and "第 4 个月" in claim.rule
    assert "户籍地 西湖区" in claim.rule and "330106" not in claim.rule  # places by name (issue 17)
    assert claim.payee_name == "张三" and claim.payee_account == sw.resident_a.bank_account
    with pytest.raises(ValidationFailed) as info:
        _living(sw, "2027-01")
    assert info.value.code == "not_eligible"


def test_living_allowance_needs_a_dibao_standard(sw, db):
    sw.resident_a.hukou_region_code = "330110"
    db.session.commit()
    from base_ops.org.queries import region_name

    with pytest.raises(ValidationFailed, match=region_name("330110")):  # the place by name (issue 17)
        _living(sw, "2026-09")


def test_handover_once_per_notice_and_only_when_collected(sw, db, english):
    claim, created = services.create_claim(sw.manager_a, kind="handover", release_notice_id=sw.notice_x.id)
    assert created and claim.amount == Decimal("300.00")  # prison 330110, receiving 330106: same city
    again, created = services.create_claim(sw.manager_a, kind="handover", release_notice_id=sw.notice_x.id)
    assert not created and again.id == claim.id
    db.session.delete(claim.events[0])
    db.session.delete(claim)
    sw.notice_x.collected_on = None
    db.session.commit()
    with pytest.raises(ValidationFailed, match="collected"):
        services.create_claim(sw.manager_a, kind="handover", release_notice_id=sw.notice_x.id)


# ---------------------------------------------------------------- life cycle

def test_double_submit_makes_one_transition(sw, post_claim, db):
    claim = post_claim()
    services.submit(sw.enterprise_user, claim)
    with pytest.raises(Conflict) as info:
        services.submit(sw.enterprise_user, claim)
    assert info.value.code == "invalid_transition"
    assert db.session.scalar(select(func.count()).select_from(ClaimEvent).where(
        ClaimEvent.claim_id == claim.id, ClaimEvent.to_status == "submitted")) == 1


def test_a_stale_object_cannot_move_twice(sw, post_claim, db):
    """The compare-and-set decides even when the caller's copy still says draft."""
    claim = post_claim()
    services.submit(sw.enterprise_user, claim)
    set_committed_value(claim, "status", ClaimStatus.DRAFT)  # what a request loaded before the first committed
    with pytest.raises(Conflict) as info:
        services.submit(sw.enterprise_user, claim)
    assert info.value.code == "invalid_transition"
    assert _events(db, claim) == 2


@pytest.mark.parametrize("status, move", [("draft", "review"), ("draft", "approve"), ("submitted", "approve"),
                                          ("reviewed", "pay"), ("paid", "approve"), ("approved", "submit"),
                                          ("rejected", "approve"), ("paid", "reject_approval")])
def test_illegal_moves_are_invalid_transitions(sw, post_claim, status, move):
    claim = post_claim(status)
    actor = {"review": sw.manager_a, "submit": sw.enterprise_user}.get(move, sw.officer_x)
    assert _outcome(_call(move, actor, claim)) == "invalid_transition"


def test_rejection_needs_a_known_reason_and_resubmission_is_limited(sw, post_claim, db):
    claim = post_claim("submitted")
    with pytest.raises(ValidationFailed) as info:
        services.reject(sw.manager_a, claim, reason_code="because", reason="x")
    assert "reason_code" in info.value.fields
    with pytest.raises(ValidationFailed) as info:
        services.review(sw.manager_a, claim, decision="reject", reason_code="duplicate", reason=" ")
    assert "reason" in info.value.fields
    services.review(sw.manager_a, claim, decision="reject", reason_code="duplicate", reason="重复")
    assert claim.status == "rejected" and claim.reason_code == "duplicate"
    for round_ in (1, 2):
        services.submit(sw.enterprise_user, claim)
        assert claim.resubmissions == round_ and claim.reason_code is None
        services.review(sw.manager_a, claim, decision="approve")
        services.reject(sw.officer_x, claim, reason_code="other", reason="再核")
    with pytest.raises(Conflict) as info:
        services.submit(sw.enterprise_user, claim)
    assert info.value.code == "too_many_resubmissions"
    assert claim.status == "rejected"
    rejected = [e for e in claim.events if e.to_status == "rejected"]
    assert [e.reason_code for e in rejected] == ["duplicate", "other", "other"]


def test_approval_beyond_the_budget_is_refused(sw, post_claim, db):
    sw.agreement.budget = Decimal("1000.00")
    db.session.commit()
    first = post_claim("reviewed", month="2026-11")
    second = post_claim("reviewed", month="2026-12")
    services.approve(sw.officer_x, first)
    with pytest.raises(Conflict) as info:
        services.approve(sw.officer_x, second)
    assert info.value.code == "budget_exceeded"
    db.session.refresh(second)
    assert second.status == "reviewed"
    assert queries.committed_total(sw.agreement.id) == Decimal("600.00")


def test_every_move_is_an_event_and_an_audit_row(sw, post_claim, db):
    claim = post_claim("paid")
    assert [(e.from_status, e.to_status) for e in claim.events] == [
        (None, "draft"), ("draft", "submitted"), ("submitted", "reviewed"), ("reviewed", "approved"),
        ("approved", "paid")]
    assert [e.actor_id for e in claim.events] == [sw.enterprise_user.id, sw.enterprise_user.id, sw.manager_a.id,
                                                  sw.officer_x.id, sw.officer_x.id]
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("claim_%"))
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["claim_created", "claim_submitted", "claim_reviewed", "claim_approved", "claim_paid"]


# ---------------------------------------------------------------- queries

def test_scope_and_queues(actors, post_claim, db):
    claim = post_claim("submitted")
    living = _living(actors)
    visible = {role: set(db.session.scalars(queries.claims_in_scope(getattr(actors, role)).with_only_columns(
        Claim.id))) for role in ROLES}
    assert visible["enterprise_user"] == {claim.id}
    assert visible["manager_a"] == visible["officer_x"] == {claim.id, living.id}
    for role in ("enterprise_other", "manager_b", "officer_y", "admin", "auditor", "trainer_a"):
        assert visible[role] == set()
    queue = {role: set(db.session.scalars(queries.queue_for(getattr(actors, role)).with_only_columns(Claim.id)))
             for role in ("enterprise_user", "manager_a", "officer_x")}
    assert queue == {"enterprise_user": set(), "manager_a": {claim.id, living.id}, "officer_x": set()}
    services.review(actors.manager_a, claim, decision="approve")
    assert set(db.session.scalars(queries.queue_for(actors.officer_x).with_only_columns(Claim.id))) == {claim.id}
    services.approve(actors.officer_x, claim)
    assert set(db.session.scalars(queries.queue_for(actors.officer_x).with_only_columns(Claim.id))) == {claim.id}
    with pytest.raises(NotFound):
        queries.get_claim(actors.manager_b, claim.id)


def test_payee_account_is_masked_unless_visible(sw):
    claim = _living(sw)
    assert queries.claim_view(sw.officer_x, claim)["payee_account"] == sw.resident_a.bank_account
    masked = queries.claim_view(sw.manager_a, claim)["payee_account"]
    assert masked.endswith("3445") and sw.resident_a.bank_account not in masked


def test_a_resubmitted_claim_is_computed_again_from_the_corrected_facts(sw, post_claim, db):
    claim = post_claim("rejected", kind="insurance_subsidy")
    sw.agreement.insurance_subsidy_monthly = Decimal("850.00")
    db.session.commit()
    services.submit(sw.enterprise_user, claim)
    assert claim.amount == Decimal("850.00") and "850.00" in claim.rule and claim.resubmissions == 1
    services.reject(sw.manager_a, claim, reason_code="not_employed", reason="未参保")
    sw.placement_a.social_insurance = False
    db.session.commit()
    with pytest.raises(ValidationFailed) as info:
        services.submit(sw.enterprise_user, claim)
    assert info.value.code == "not_eligible"
    db.session.refresh(claim)
    assert claim.status == "rejected" and claim.resubmissions == 1


def test_payments_compose_in_the_callers_unit_of_work(sw, post_claim, db):
    """Batches pay all their claims in one unit of work: mark_paid joins the caller's unit and commits
    nothing itself, so a refusal after it undoes the claims already moved."""
    first = post_claim("approved", month="2026-11")
    second = post_claim("approved", month="2026-12")
    first_id, second_id = first.id, second.id
    with pytest.raises(RuntimeError), unit_of_work():
        services.mark_paid(sw.officer_x, first)
        services.mark_paid(sw.officer_x, second)
        raise RuntimeError("a later refusal")
    statuses = db.session.scalars(select(Claim.status).where(Claim.id.in_([first_id, second_id]))).all()
    assert statuses == ["approved", "approved"]

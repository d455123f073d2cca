"""Concurrency (issue 6 "Done when"): two approvals that together exceed the agreement's budget —
exactly one succeeds; the same claim filed twice at once — one row; a double-clicked submit, approve
or batch "Mark paid" — one transition (issue 16: the models' compare-and-set). Each test runs two
threads on their own connections (tests.race_support), released together by a barrier, on SQLite
(file) and on PostgreSQL with TEST_DATABASE_URL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from base_ops.extensions import db
from tests.race_support import race, separate_app
from tests.subsidies.conftest import TODAY


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    yield from separate_app(tmp_path_factory, "claim_race", _site)


def _site(app) -> None:
    from base_ops.accounts.services import create_user
    from base_ops.enterprises.services import create_enterprise
    from base_ops.org import services as org
    from tests.conftest import REGIONS

    org.load_regions([{"code": c, "name": n, "level": lvl, "parent_code": p} for c, n, lvl, p in REGIONS])
    base = org.create_base(None, name="竞争基地", region_code="330106", address="测试路 9 号")
    enterprise = create_enterprise(None, name="竞争企业", uscc="91330106MA27XK3L01", region_code="330106",
                                   contact_name="王经理", contact_phone="0571-88000000")
    for username, role, extra in [("race_enterprise", "enterprise", {"enterprise_id": enterprise.id}),
                                  ("race_manager", "base_manager", {"base_ids": [base.id]}),
                                  ("race_officer", "county_officer", {"region_code": "330106"})]:
        create_user(None, username=username, role=role, password="Correct-Horse-42", **extra)
    from base_ops.accounts.models import User
    from base_ops.subsidies.payees import set_bank_account

    # Claims are approved and paid only with a payee account (issue 21).
    officer = db.session.scalar(select(User).where(User.username == "race_officer"))
    set_bank_account(officer, enterprise, "6217000010000000001")
    app.config["RACE_BASE_ID"] = base.id
    app.config["RACE_ENTERPRISE_ID"] = enterprise.id


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: TODAY)
    monkeypatch.setattr("base_ops.subsidies.services.today", lambda: TODAY)


def _user(username):
    from base_ops.accounts.models import User

    return db.session.scalar(select(User).where(User.username == username))


def _placement(app, budget: str) -> int:
    """A fresh agreement with `budget`, a resident hired under it: the placement's id."""
    import uuid

    from base_ops.enterprises.models import JobPosting, PlacementAgreement
    from base_ops.placements.models import Placement, Referral
    from base_ops.residents.models import Resident

    with app.app_context():
        enterprise_id, base_id = app.config["RACE_ENTERPRISE_ID"], app.config["RACE_BASE_ID"]
        db.session.execute(PlacementAgreement.__table__.update().values(is_current=False))
        agreement = PlacementAgreement(
            enterprise_id=enterprise_id, version=1 + (db.session.scalar(select(func.count()).select_from(
                PlacementAgreement)) or 0), starts_on=date(2026, 1, 1), ends_on=date(2027, 12, 31), hire_quota=10,
            min_contract_months=12, one_time_subsidy=Decimal("3000.00"), one_time_after_months=6,
            post_subsidy_monthly=Decimal("600.00"), post_subsidy_max_months=12,
            insurance_subsidy_monthly=Decimal("800.00"), insurance_subsidy_max_months=36, budget=Decimal(budget))
        posting = JobPosting(enterprise_id=enterprise_id, title="保洁员", description="保洁", positions=3,
                             open_positions=2, wage_min=Decimal("3500"), wage_max=Decimal("4200"), location="杭州",
                             provides_housing=True, status="open")
        person = Resident(id_number=f"330106199001{uuid.uuid4().int % 10**6:06d}", name="竞", sex="male",
                          birth_on=date(1990, 1, 1), hukou_region_code="330106", subject_type="released",
                          released_on=date(2026, 8, 1), is_homeless=True, has_no_relatives=True,
                          is_unemployed=True, base_id=base_id)
        db.session.add_all([agreement, posting, person])
        db.session.flush()
        referral = Referral(posting_id=posting.id, resident_id=person.id, enterprise_id=enterprise_id,
                            base_id=base_id, status="hired")
        db.session.add(referral)
        db.session.flush()
        placement = Placement(referral_id=referral.id, resident_id=person.id, enterprise_id=enterprise_id,
                              agreement_id=agreement.id, started_on=date(2026, 10, 5), contract_months=12,
                              monthly_wage=Decimal("3800"), social_insurance=True)
        db.session.add(placement)
        db.session.commit()
        return placement.id


def _claim(app, placement_id: int, month: str, status: str) -> int:
    from base_ops.subsidies import services

    with app.app_context():
        claim, _ = services.create_claim(_user("race_enterprise"), kind="post_subsidy", placement_id=placement_id,
                                         month=month)
        if status in ("submitted", "reviewed"):
            services.submit(_user("race_enterprise"), claim)
        if status == "reviewed":
            services.review(_user("race_manager"), claim, decision="approve")
        return claim.id


def _count(app, stmt) -> int:
    with app.app_context():
        return db.session.scalar(stmt)


def _approve(barrier, claim_id):
    from base_ops.subsidies import queries, services

    actor = _user("race_officer")
    claim = queries.get_claim(actor, claim_id)
    barrier.wait()
    services.approve(actor, claim)


@pytest.mark.parametrize("round_", range(3))
def test_two_approvals_beyond_the_budget_one_succeeds(race_app, round_):
    from base_ops.subsidies.models import Claim

    placement_id = _placement(race_app, "1000.00")  # room for one 600.00 claim, not two
    first = _claim(race_app, placement_id, "2026-11", "reviewed")
    second = _claim(race_app, placement_id, "2026-12", "reviewed")
    assert race(race_app, _approve, (first,), (second,)) == ["budget_exceeded", "ok"]
    approved = _count(race_app, select(func.count()).select_from(Claim).where(
        Claim.id.in_([first, second]), Claim.status == "approved"))
    assert approved == 1


def test_two_approvals_within_the_budget_both_succeed(race_app):
    placement_id = _placement(race_app, "1200.00")
    first = _claim(race_app, placement_id, "2026-11", "reviewed")
    second = _claim(race_app, placement_id, "2026-12", "reviewed")
    assert race(race_app, _approve, (first,), (second,)) == ["ok", "ok"]


def _create(barrier, placement_id):
    from base_ops.subsidies import services

    actor = _user("race_enterprise")
    barrier.wait()
    claim, created = services.create_claim(actor, kind="post_subsidy", placement_id=placement_id, month="2026-11")
    return f"{'created' if created else 'existing'}:{claim.id}"


def test_the_same_claim_filed_twice_at_once_is_one_claim(race_app):
    from base_ops.subsidies.models import Claim

    placement_id = _placement(race_app, "100000.00")
    results = race(race_app, _create, (placement_id,), (placement_id,))
    kinds = sorted(r.split(":")[0] for r in results)
    assert kinds == ["created", "existing"], results
    assert len({r.split(":")[1] for r in results}) == 1
    assert _count(race_app, select(func.count()).select_from(Claim).where(
        Claim.subject_key == f"placement:{placement_id}")) == 1


def _submit(barrier, claim_id):
    from base_ops.subsidies import queries, services

    actor = _user("race_enterprise")
    claim = queries.get_claim(actor, claim_id)
    barrier.wait()
    services.submit(actor, claim)


def test_a_double_clicked_submit_is_one_transition(race_app):
    from base_ops.subsidies.models import ClaimEvent

    placement_id = _placement(race_app, "100000.00")
    claim_id = _claim(race_app, placement_id, "2026-11", "draft")
    assert race(race_app, _submit, (claim_id,), (claim_id,)) == ["invalid_transition", "ok"]
    assert _count(race_app, select(func.count()).select_from(ClaimEvent).where(
        ClaimEvent.claim_id == claim_id, ClaimEvent.to_status == "submitted")) == 1


def test_a_double_clicked_approve_approves_once(race_app):
    """Claim.transitions' compare-and-set: one approval wins, the other click gets 409."""
    from base_ops.core.audit import AuditEvent
    from base_ops.subsidies.models import ClaimEvent

    placement_id = _placement(race_app, "100000.00")
    claim_id = _claim(race_app, placement_id, "2026-11", "reviewed")
    assert race(race_app, _approve, (claim_id,), (claim_id,)) == ["invalid_transition", "ok"]
    assert _count(race_app, select(func.count()).select_from(ClaimEvent).where(
        ClaimEvent.claim_id == claim_id, ClaimEvent.to_status == "approved")) == 1
    assert _count(race_app, select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "claim_approved", AuditEvent.object_id == str(claim_id))) == 1


def _pay(barrier, batch_id):
    from base_ops.subsidies import batches

    actor = _user("race_officer")
    batch = batches.get_batch(actor, batch_id)
    barrier.wait()
    batches.mark_batch_paid(actor, batch)


def test_a_double_clicked_mark_paid_pays_the_batch_once(race_app):
    from base_ops.subsidies import batches, services
    from base_ops.subsidies.models import Claim, ClaimEvent

    placement_id = _placement(race_app, "100000.00")
    claim_id = _claim(race_app, placement_id, "2026-10", "reviewed")
    with race_app.app_context():
        officer = _user("race_officer")
        services.approve(officer, db.session.get(Claim, claim_id))
        batch_id = batches.create_batch(officer, "330106", "2026-10").id
    assert race(race_app, _pay, (batch_id,), (batch_id,)) == ["invalid_transition", "ok"]
    assert _count(race_app, select(func.count()).select_from(ClaimEvent).where(
        ClaimEvent.claim_id == claim_id, ClaimEvent.to_status == "paid")) == 1

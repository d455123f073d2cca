"""The claim's and the batch's state machines declared on the models (issue 16 item 2): the move table,
who makes each move (role, the claim kind's claimant, scope), and that the page, the model and the
service agree — a button is shown exactly when the service accepts the move."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from base_ops.core.errors import Conflict, NotFound, PermissionDenied
from base_ops.core.roles import Role
from base_ops.subsidies import batches, queries, services
from base_ops.subsidies.models import (
    BATCH_MOVES,
    CLAIM_MOVES,
    BatchStatus,
    Claim,
    ClaimKind,
    ClaimStatus,
    PaymentBatch,
    claim_in_scope,
)
from tests.subsidies.conftest import advance

S, K = ClaimStatus, ClaimKind
STATUSES = ["draft", "submitted", "reviewed", "approved", "rejected", "paid"]
KINDS = ["post_subsidy", "living_allowance", "handover"]
ROLES = ["enterprise_user", "enterprise_other", "manager_a", "manager_b", "officer_x", "officer_y", "officer_city",
         "admin", "auditor", "trainer_a"]


# ---------------------------------------------------------------- the table

def test_the_claim_life_cycle_table():
    assert {
        S.DRAFT: {S.SUBMITTED},
        S.SUBMITTED: {S.REVIEWED, S.REJECTED},
        S.REVIEWED: {S.APPROVED, S.REJECTED},
        S.APPROVED: {S.PAID},
        S.PAID: set(),
        S.REJECTED: {S.SUBMITTED},
    } == CLAIM_MOVES
    assert set(CLAIM_MOVES) == set(ClaimStatus)


def test_the_batch_table():
    assert {BatchStatus.OPEN: {BatchStatus.PAID}, BatchStatus.PAID: set()} == BATCH_MOVES


# ---------------------------------------------------------------- who moves (no database: the rule itself)

ENTERPRISE = SimpleNamespace(role=Role.ENTERPRISE, enterprise_id=7, base_ids=[], region_code=None)
MANAGER = SimpleNamespace(role=Role.BASE_MANAGER, enterprise_id=None, base_ids=[3], region_code=None)
OFFICER = SimpleNamespace(role=Role.COUNTY_OFFICER, enterprise_id=None, base_ids=[], region_code="330106")
CITY_OFFICER = SimpleNamespace(role=Role.COUNTY_OFFICER, enterprise_id=None, base_ids=[], region_code="330100")
OUTSIDERS = [SimpleNamespace(role=Role.ENTERPRISE, enterprise_id=8, base_ids=[], region_code=None),
             SimpleNamespace(role=Role.BASE_MANAGER, enterprise_id=None, base_ids=[4], region_code=None),
             SimpleNamespace(role=Role.COUNTY_OFFICER, enterprise_id=None, base_ids=[], region_code="330110")]
OTHERS = [SimpleNamespace(role=role, enterprise_id=7, base_ids=[3], region_code="330106")
          for role in (Role.ADMIN, Role.AUDITOR, Role.TRAINER)]

# kind -> status -> {actor: the moves it may make}; an actor not named makes none
WHO = {
    "enterprise": {
        S.DRAFT: {"enterprise": [S.SUBMITTED]},
        S.SUBMITTED: {"manager": [S.REVIEWED, S.REJECTED]},
        S.REVIEWED: {"officer": [S.APPROVED, S.REJECTED]},
        S.APPROVED: {"officer": [S.PAID]},
        S.REJECTED: {"enterprise": [S.SUBMITTED]},
        S.PAID: {},
    },
    "base": {
        S.DRAFT: {"manager": [S.SUBMITTED]},
        S.SUBMITTED: {"manager": [S.REVIEWED, S.REJECTED]},
        S.REVIEWED: {"officer": [S.APPROVED, S.REJECTED]},
        S.APPROVED: {"officer": [S.PAID]},
        S.REJECTED: {"manager": [S.SUBMITTED]},
        S.PAID: {},
    },
}


def _claim(kind: ClaimKind, status: ClaimStatus) -> Claim:
    enterprise_id = 7 if kind in (K.ONE_TIME_HIRE, K.POST_SUBSIDY, K.INSURANCE_SUBSIDY) else None
    return Claim(kind=kind, status=status, enterprise_id=enterprise_id, base_id=3, region_code="330106")


@pytest.mark.parametrize("status", list(ClaimStatus))
@pytest.mark.parametrize("kind", list(ClaimKind))
def test_who_makes_each_move_of_each_kind(kind, status):
    claim = _claim(kind, status)
    group = "enterprise" if claim.enterprise_id else "base"
    expected = WHO[group][status]
    actors = {"enterprise": ENTERPRISE, "manager": MANAGER, "officer": OFFICER}
    for name, actor in actors.items():
        assert claim.moves_for(actor) == expected.get(name, []), (name, kind, status)
        for target in ClaimStatus:
            assert claim.can(target, actor) == (target in expected.get(name, []))
    # an officer of the city above the county is the county's officer too
    assert claim.moves_for(CITY_OFFICER) == expected.get("officer", [])
    for actor in OUTSIDERS + OTHERS + [None]:
        assert claim.moves_for(actor) == []


def test_the_base_manager_does_not_submit_the_enterprises_claim():
    """The page used to offer "submit" to any owner; the service lets only the kind's claimant submit."""
    for kind in (K.ONE_TIME_HIRE, K.POST_SUBSIDY, K.INSURANCE_SUBSIDY):
        for status in (S.DRAFT, S.REJECTED):
            assert not _claim(kind, status).can(S.SUBMITTED, MANAGER)
            assert _claim(kind, status).can(S.SUBMITTED, ENTERPRISE)
    for kind in (K.LIVING_ALLOWANCE, K.HANDOVER):
        assert _claim(kind, S.DRAFT).can(S.SUBMITTED, MANAGER)
        assert not _claim(kind, S.DRAFT).can(S.SUBMITTED, ENTERPRISE)


def test_the_batch_is_paid_by_an_officer_of_its_region():
    batch = PaymentBatch(region_code="330106", period="2026-11", status=BatchStatus.OPEN)
    assert batch.moves_for(OFFICER) == [BatchStatus.PAID] and batch.can(BatchStatus.PAID, CITY_OFFICER)
    for actor in [OUTSIDERS[2], ENTERPRISE, MANAGER, *OTHERS, None]:
        assert not batch.can(BatchStatus.PAID, actor)
    batch.status = BatchStatus.PAID
    assert batch.moves_for(OFFICER) == []


# ---------------------------------------------------------------- model, service and page agree

@pytest.fixture
def actors(sw, factory):
    other = factory.enterprise("330106", uscc="91330110MA2H1YAB2Y", name="别家企业")
    sw.enterprise_other = factory.user("enterprise", username="enterprise_o", enterprise=other)
    sw.officer_city = factory.user("county_officer", username="officer_city", region_code="330100")
    return sw


def _make(world, kind: str, status: str) -> Claim:
    if kind == "post_subsidy":
        claim, _ = services.create_claim(world.enterprise_user, kind=kind, placement_id=world.placement_a.id,
                                         month="2026-11")
    elif kind == "living_allowance":
        claim, _ = services.create_claim(world.manager_a, kind=kind, resident_id=world.resident_a.id, month="2026-09")
    else:
        claim, _ = services.create_claim(world.manager_a, kind=kind, release_notice_id=world.notice_x.id)
    return advance(world, claim, status)


CALLS = {
    S.SUBMITTED: lambda actor, claim: services.submit(actor, claim),
    S.REVIEWED: lambda actor, claim: services.review(actor, claim, decision="approve"),
    S.APPROVED: lambda actor, claim: services.approve(actor, claim),
    S.REJECTED: lambda actor, claim: services.reject(actor, claim, reason_code="other", reason="再核"),
    S.PAID: lambda actor, claim: services.mark_paid(actor, claim),
}


def _accepted(db, actor, claim: Claim) -> set[ClaimStatus]:
    """The moves the service accepts from this actor; each accepted move is undone for the next try."""
    saved = {c: getattr(claim, c) for c in ("status", "resubmissions", "reason_code", "reason", "amount", "rule")}
    accepted = set()
    for target, call in CALLS.items():
        try:
            call(actor, claim)
        except (PermissionDenied, NotFound):
            continue
        except Conflict as error:
            assert error.code == "invalid_transition", error.code
            continue
        accepted.add(target)
        db.session.execute(update(Claim).where(Claim.id == claim.id).values(**saved))
        db.session.commit()
        db.session.refresh(claim)
    return accepted


def _buttons(client, claim: Claim) -> set[ClaimStatus] | None:
    """The moves the claim's page offers (None: the page is not the actor's to see)."""
    response = client.get(f"/claims/{claim.id}")
    if response.status_code in (403, 404):
        return None
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    shown = {S.SUBMITTED: 'id="submit-claim"' in page, S.REVIEWED: 'id="review-approve"' in page,
             S.APPROVED: 'id="approve-claim"' in page,
             S.REJECTED: bool(re.search(rf'action="/claims/{claim.id}/reject"', page)
                              or 'name="decision" value="reject"' in page)}
    return {move for move, present in shown.items() if present}


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("kind", KINDS)
def test_the_page_shows_exactly_the_moves_the_service_accepts(actors, db, login_as, kind, status):
    claim = _make(actors, kind, status)
    for role in ROLES:
        actor = getattr(actors, role)
        model = set(claim.moves_for(actor))
        accepted = _accepted(db, actor, claim)
        assert model == accepted, (role, kind, status)
        buttons = _buttons(login_as(actor), claim)
        if buttons is None:
            assert not accepted, (role, kind, status)
        else:  # a single claim is paid only through its batch: the page has no "pay" button
            assert buttons == accepted - {S.PAID}, (role, kind, status)


def test_the_rows_scope_is_the_lists_scope(actors, db):
    """models.claim_in_scope (one claim, for the moves) and queries.claim_scope_filter (SQL, for lists)."""
    claims = [_make(actors, kind, "draft") for kind in KINDS]
    for role in ROLES:
        actor = getattr(actors, role)
        listed = set(db.session.scalars(select(Claim.id).where(queries.claim_scope_filter(actor))))
        assert {c.id for c in claims if claim_in_scope(actor, c)} == listed, role


def test_the_batch_page_offers_mark_paid_while_the_batch_may_be_paid(actors, db, login_as):
    _make(actors, "post_subsidy", "approved")
    batch = batches.create_batch(actors.officer_x, "330106", "2026-11")
    officer = login_as(actors.officer_x)
    assert 'id="pay-batch"' in officer.get(f"/batches/{batch.id}").get_data(as_text=True)
    batches.mark_batch_paid(actors.officer_x, batch)
    assert 'id="pay-batch"' not in officer.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert login_as(actors.officer_y).get(f"/batches/{batch.id}").status_code == 404

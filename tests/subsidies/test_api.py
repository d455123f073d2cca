"""The claims API (docs/api.md "Claims"): status codes, error codes, scope, masking, and every
transition's permission for every role through HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from base_ops.subsidies.models import Claim, ClaimEvent
from tests.subsidies.test_services import ALLOWED, ROLES, SETUP, TARGET

URL = "/api/v1/claims"


@pytest.fixture
def actors(sw, factory):
    other = factory.enterprise("330106", uscc="91330110MA2H1YAB2Y", name="别家企业")
    sw.enterprise_other = factory.user("enterprise", username="enterprise_o", enterprise=other)
    return sw


def _post(client, headers, user, path, body=None):
    return client.post(path, json=body if body is not None else {}, headers=headers(user))


def _count(db, model=Claim) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


POST_BODY = {"kind": "post_subsidy", "month": "2026-11"}


def test_create_then_the_same_again_returns_the_existing_claim(sw, client, api_headers, db):
    body = {**POST_BODY, "placement_id": sw.placement_a.id}
    first = _post(client, api_headers, sw.enterprise_user, URL, body)
    assert first.status_code == 201, first.json
    assert first.json["amount"] == "600.00" and first.json["status"] == "draft" and "岗位补贴" in first.json["rule"]
    assert first.json["month"] == "2026-11" and first.json["agreement_id"] == sw.agreement.id
    again = _post(client, api_headers, sw.enterprise_user, URL, body)
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    assert _count(db) == 1


@pytest.mark.parametrize("extra", [{"amount": "99999.00"}, {"rule": "I say so"}, {"status": "approved"},
                                   {"region_code": "330110"}])
def test_amount_and_other_server_fields_are_refused(sw, client, api_headers, db, extra):
    body = {**POST_BODY, "placement_id": sw.placement_a.id, **extra}
    response = _post(client, api_headers, sw.enterprise_user, URL, body)
    assert response.status_code == 422
    assert next(iter(extra)) in response.json["error"]["fields"]
    assert _count(db) == 0


@pytest.mark.parametrize("body, field", [({"kind": "bonus"}, "kind"), ({"kind": "post_subsidy", "month": "2026-13",
                                                                       "placement_id": 1}, "month"),
                                         ({"kind": "post_subsidy", "placement_id": "1", "month": "2026-11"},
                                          "placement_id"), ({}, "kind")])
def test_bad_input_is_422_naming_the_field(sw, client, api_headers, db, body, field):
    response = _post(client, api_headers, sw.enterprise_user, URL, body)
    assert response.status_code == 422 and field in response.json["error"]["fields"]
    assert _count(db) == 0


def test_not_eligible_is_422_with_the_reason(sw, client, api_headers, db):
    response = _post(client, api_headers, sw.enterprise_user, URL,
                     {"kind": "post_subsidy", "placement_id": sw.placement_a.id, "month": "2026-10"})
    assert response.status_code == 422
    assert response.json["error"]["code"] == "not_eligible" and response.json["error"]["fields"]["month"]
    assert _count(db) == 0


def test_other_enterprises_placement_is_404(actors, client, api_headers, db):
    response = _post(client, api_headers, actors.enterprise_other, URL, {**POST_BODY,
                                                                         "placement_id": actors.placement_a.id})
    assert response.status_code == 404 and _count(db) == 0


def test_late_registered_residents_allowance_shows_reduced_months(sw, client, api_headers, db):
    from datetime import date

    sw.resident_a.released_on = date(2026, 6, 1)
    sw.resident_a.registered_on = date(2026, 9, 10)  # 101 days: 71 late → 3 months less
    db.session.commit()
    body = {"kind": "living_allowance", "resident_id": sw.resident_a.id, "month": "2026-11"}
    response = _post(client, api_headers, sw.manager_a, URL, body)
    assert response.status_code == 201 and "可享 3 个月" in response.json["rule"]
    assert response.json["amount"] == "1100.00"
    late = _post(client, api_headers, sw.manager_a, URL, {**body, "month": "2026-12"})
    assert late.status_code == 422 and late.json["error"]["code"] == "not_eligible"


# ---------------------------------------------------------------- transitions through HTTP

def _http_call(move, client, headers, user, claim_id):
    path = f"{URL}/{claim_id}"
    if move.startswith("submit"):
        return _post(client, headers, user, path + "/submit")
    if move == "review":
        return _post(client, headers, user, path + "/review", {"decision": "approve"})
    if move == "approve":
        return _post(client, headers, user, path + "/approve")
    if move.startswith("reject"):
        return _post(client, headers, user, path + "/reject", {"reason_code": "not_employed", "reason": "未在岗"})
    return _post(client, headers, user, path + "/pay")


MATRIX = {"submit": {"enterprise_user", "enterprise_other", "manager_a", "manager_b"},
          "submit_living": {"enterprise_user", "enterprise_other", "manager_a", "manager_b"},
          "review": {"manager_a", "manager_b"}, "approve": {"officer_x", "officer_y"},
          "reject_review": {"manager_a", "manager_b", "officer_x", "officer_y"},
          "reject_approval": {"manager_a", "manager_b", "officer_x", "officer_y"},
          "pay": {"officer_x", "officer_y"}}
HTTP = {"ok": 200, "403": 403, "404": 404}


def _expected_http(move, role) -> int:
    if role not in MATRIX[move]:
        return 403
    scoped_out = {"enterprise_other", "manager_b", "officer_y"}
    if move == "submit_living" and role in ("enterprise_user", "enterprise_other"):
        return 404  # enterprises do not see living-allowance claims at all
    if role in scoped_out:
        return 404
    return HTTP[ALLOWED[move].get(role, "403")]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("move", list(ALLOWED))
def test_each_transition_through_the_api(actors, post_claim, client, api_headers, db, move, role):
    from base_ops.subsidies import services

    if move == "submit_living":
        claim = services.create_claim(actors.manager_a, kind="living_allowance", resident_id=actors.resident_a.id,
                                      month="2026-09")[0]
    else:
        claim = post_claim(SETUP[move])
    response = _http_call(move, client, api_headers, getattr(actors, role), claim.id)
    expected = _expected_http(move, role)
    assert response.status_code == expected, (response.status_code, response.json)
    db.session.refresh(claim)
    assert claim.status == (TARGET[move] if expected == 200 else SETUP[move])
    if expected == 200:
        assert response.json["status"] == TARGET[move]


def test_double_submit_is_one_transition(sw, post_claim, client, api_headers, db):
    claim = post_claim()
    assert _post(client, api_headers, sw.enterprise_user, f"{URL}/{claim.id}/submit").status_code == 200
    second = _post(client, api_headers, sw.enterprise_user, f"{URL}/{claim.id}/submit")
    assert second.status_code == 409 and second.json["error"]["code"] == "invalid_transition"
    assert db.session.scalar(select(func.count()).select_from(ClaimEvent).where(
        ClaimEvent.claim_id == claim.id, ClaimEvent.to_status == "submitted")) == 1


def test_review_reject_needs_a_reason_code(sw, post_claim, client, api_headers):
    claim = post_claim("submitted")
    path = f"{URL}/{claim.id}/review"
    bad = _post(client, api_headers, sw.manager_a, path, {"decision": "reject"})
    assert bad.status_code == 422 and "reason_code" in bad.json["error"]["fields"]
    odd = _post(client, api_headers, sw.manager_a, path, {"decision": "maybe"})
    assert odd.status_code == 422 and "decision" in odd.json["error"]["fields"]
    ok = _post(client, api_headers, sw.manager_a, path, {"decision": "reject", "reason_code": "missing_evidence",
                                                         "reason": "缺合同"})
    assert ok.status_code == 200 and ok.json["status"] == "rejected" and ok.json["reason_code"] == "missing_evidence"


def test_reject_body_is_strict(sw, post_claim, client, api_headers):
    claim = post_claim("submitted")
    response = _post(client, api_headers, sw.manager_a, f"{URL}/{claim.id}/reject", {"reason_code": "other"})
    assert response.status_code == 422 and "reason" in response.json["error"]["fields"]


def test_budget_exceeded_is_409(sw, post_claim, client, api_headers, db):
    sw.agreement.budget = Decimal("1000.00")
    db.session.commit()
    first, second = post_claim("reviewed", month="2026-11"), post_claim("reviewed", month="2026-12")
    assert _post(client, api_headers, sw.officer_x, f"{URL}/{first.id}/approve").status_code == 200
    refused = _post(client, api_headers, sw.officer_x, f"{URL}/{second.id}/approve")
    assert refused.status_code == 409 and refused.json["error"]["code"] == "budget_exceeded"


def test_illegal_move_is_409(sw, post_claim, client, api_headers):
    claim = post_claim("reviewed")
    response = _post(client, api_headers, sw.officer_x, f"{URL}/{claim.id}/pay")
    assert response.status_code == 409 and response.json["error"]["code"] == "invalid_transition"


def test_too_many_resubmissions_is_409(sw, post_claim, client, api_headers, db):
    from base_ops.subsidies import services

    claim = post_claim("rejected")
    claim.resubmissions = 2
    db.session.commit()
    response = _post(client, api_headers, sw.enterprise_user, f"{URL}/{claim.id}/submit")
    assert response.status_code == 409 and response.json["error"]["code"] == "too_many_resubmissions"
    assert services  # the service is the one the API calls


# ---------------------------------------------------------------- reads

def test_list_is_scoped_filtered_and_paginated(actors, post_claim, client, api_headers):
    from base_ops.subsidies import services

    november = post_claim("submitted", month="2026-11")
    december = post_claim("draft", month="2026-12")
    living = services.create_claim(actors.manager_a, kind="living_allowance", resident_id=actors.resident_a.id,
                                   month="2026-09")[0]

    def ids(user, query=""):
        response = client.get(f"{URL}{query}", headers=api_headers(user))
        assert response.status_code == 200, response.json
        return [item["id"] for item in response.json["items"]]

    assert ids(actors.enterprise_user) == [november.id, december.id]
    assert ids(actors.manager_a) == [november.id, december.id, living.id]
    assert ids(actors.officer_x, "?kind=living_allowance") == [living.id]
    assert ids(actors.officer_x, "?status=submitted") == [november.id]
    assert ids(actors.officer_x, "?month=2026-12") == [december.id]
    assert ids(actors.manager_b) == ids(actors.officer_y) == ids(actors.enterprise_other) == []
    page = client.get(f"{URL}?limit=2", headers=api_headers(actors.manager_a)).json
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = client.get(f"{URL}?limit=2&cursor={page['next_cursor']}", headers=api_headers(actors.manager_a)).json
    assert [i["id"] for i in rest["items"]] == [living.id] and rest["next_cursor"] is None
    bad = client.get(f"{URL}?status=lost", headers=api_headers(actors.manager_a))
    assert bad.status_code == 422 and "status" in bad.json["error"]["fields"]


def test_detail_masks_the_payee_account_and_hides_other_scopes(actors, client, api_headers):
    from base_ops.subsidies import services

    living = services.create_claim(actors.manager_a, kind="living_allowance", resident_id=actors.resident_a.id,
                                   month="2026-09")[0]
    account = actors.resident_a.bank_account
    officer = client.get(f"{URL}/{living.id}", headers=api_headers(actors.officer_x))
    assert officer.status_code == 200 and officer.json["payee_account"] == account
    manager = client.get(f"{URL}/{living.id}", headers=api_headers(actors.manager_a))
    assert manager.status_code == 200 and account not in manager.text and manager.json["payee_account"].endswith("3445")
    for user in (actors.manager_b, actors.officer_y, actors.enterprise_user):
        assert client.get(f"{URL}/{living.id}", headers=api_headers(user)).status_code == 404
    for user in (actors.admin, actors.auditor, actors.trainer_a):
        assert client.get(f"{URL}/{living.id}", headers=api_headers(user)).status_code == 403
    assert client.get(f"{URL}/{living.id}").status_code == 401

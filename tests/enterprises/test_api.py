"""The enterprises part of docs/api.md: POST /enterprises, agreements (versions), postings with
`422 discriminatory_content` naming the phrase, open/close (`409 invalid_transition`),
GET /postings?status=open; scope (404), strict bodies (422), nothing written on refusal."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from base_ops.enterprises.models import Enterprise, JobPosting, PlacementAgreement
from tests.enterprises.conftest import USCC_OTHER, agreement_body, posting_body


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


ENTERPRISE = {"name": "余杭制造有限公司", "uscc": USCC_OTHER, "region_code": "330110", "contact_name": "李经理",
              "contact_phone": "0571-86000000"}


def test_admin_creates_an_enterprise(world, client, api_headers, db):
    response = client.post("/api/v1/enterprises", headers=api_headers(world.admin), json=ENTERPRISE)
    assert response.status_code == 201, response.json
    assert response.json["id"] > 0 and response.json["uscc"] == USCC_OTHER
    assert set(response.json) == {"id", "name", "uscc", "region_code", "contact_name", "contact_phone"}


def test_county_officer_of_another_region_gets_403_and_nothing_is_written(world, client, api_headers, db):
    response = client.post("/api/v1/enterprises", headers=api_headers(world.officer_x), json=ENTERPRISE)
    assert response.status_code == 403
    assert list(response.json["error"]["fields"]) == ["region_code"]
    assert _count(db, Enterprise) == 1
    ok = client.post("/api/v1/enterprises", headers=api_headers(world.officer_y), json=ENTERPRISE)
    assert ok.status_code == 201


@pytest.mark.parametrize(("overrides", "field", "status"), [
    ({"uscc": "91330110MA2H1YAB2F"}, "uscc", 422),
    ({"uscc": "９１３３０１１０ＭＡ２Ｈ１ＹＡＢ２Ｙ"}, "uscc", 422),
    ({"region_code": "999999"}, "region_code", 422),
    ({"contact_phone": "call me"}, "contact_phone", 422),
    ({"role": "admin"}, "role", 422),  # unknown field
])
def test_enterprise_bad_input(world, client, api_headers, db, overrides, field, status):
    response = client.post("/api/v1/enterprises", headers=api_headers(world.admin), json={**ENTERPRISE, **overrides})
    assert response.status_code == status, response.json
    assert field in response.json["error"]["fields"]
    assert _count(db, Enterprise) == 1


def test_duplicate_enterprise_is_409_enterprise_exists(world, client, api_headers):
    response = client.post("/api/v1/enterprises", headers=api_headers(world.admin),
                           json={**ENTERPRISE, "uscc": world.enterprise.uscc, "region_code": "330106"})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "enterprise_exists" and response.json["error"]["id"] == world.enterprise.id


def test_agreement_versions_through_the_api(world, client, api_headers, db):
    headers = api_headers(world.officer_x)
    url = f"/api/v1/enterprises/{world.enterprise.id}/agreements"
    response = client.post(url, headers=headers, json=agreement_body())
    assert response.status_code == 201, response.json
    data = response.json
    assert (data["version"], data["supersedes_id"], data["is_current"]) == (2, world.agreement.id, True)
    assert data["one_time_subsidy"] == "5000.00" and data["budget"] == "200000.00"
    history = client.get(url, headers=headers).json
    assert [(a["version"], a["is_current"]) for a in history] == [(2, True), (1, False)]
    assert history[1]["one_time_subsidy"] == "3000.00"  # the old terms, unchanged
    old = client.get(f"/api/v1/agreements/{world.agreement.id}", headers=api_headers(world.enterprise_user))
    assert old.status_code == 200 and old.json["is_current"] is False


@pytest.mark.parametrize(("overrides", "field"), [
    ({"ends_on": "2026-12-01"}, "ends_on"),
    ({"hire_quota": "20"}, "hire_quota"),
    ({"budget": "-5.00"}, "budget"),
    ({"one_time_subsidy": "12.345"}, "one_time_subsidy"),
    ({"budget": None}, "budget"),
    ({"version": 7}, "version"),
    ({"is_current": False}, "is_current"),
])
def test_agreement_bad_input_writes_nothing(world, client, api_headers, db, overrides, field):
    response = client.post(f"/api/v1/enterprises/{world.enterprise.id}/agreements",
                           headers=api_headers(world.officer_x), json=agreement_body(**overrides))
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]
    assert _count(db, PlacementAgreement) == 1


def test_agreement_scope(world, client, api_headers):
    url = f"/api/v1/enterprises/{world.enterprise.id}/agreements"
    assert client.post(url, headers=api_headers(world.officer_y), json=agreement_body()).status_code == 404
    assert client.get(url, headers=api_headers(world.officer_y)).status_code == 404
    assert client.post(url, headers=api_headers(world.enterprise_user), json=agreement_body()).status_code == 403
    assert client.post(url, headers=api_headers(world.manager_a), json=agreement_body()).status_code == 403


def test_create_posting_returns_a_draft(world, client, api_headers, db):
    response = client.post("/api/v1/postings", headers=api_headers(world.enterprise_user),
                           json=posting_body(world.enterprise.id))
    assert response.status_code == 201, response.json
    data = response.json
    assert (data["status"], data["positions"], data["open_positions"], data["is_full"]) == ("draft", 2, 2, False)
    assert (data["wage_min"], data["wage_max"]) == ("3600.00", "4500.00")


def test_discriminatory_posting_is_422_naming_the_phrase(world, client, api_headers, db):
    body = posting_body(world.enterprise.id, requirements="身体健康，无 犯罪·记录，有前科者勿扰")
    response = client.post("/api/v1/postings", headers=api_headers(world.enterprise_user), json=body)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "discriminatory_content"
    assert error["phrase"] == "无犯罪记录"
    assert "无犯罪记录" in error["message"]
    assert list(error["fields"]) == ["requirements"] and "无犯罪记录" in error["fields"]["requirements"][0]
    assert _count(db, JobPosting) == 1


@pytest.mark.parametrize(("overrides", "field"), [
    ({"positions": 0}, "positions"),
    ({"positions": "2"}, "positions"),
    ({"wage_max": "1000.00"}, "wage_max"),
    ({"provides_housing": None}, "provides_housing"),
    ({"status": "open"}, "status"),  # mass assignment refused
    ({"open_positions": 99}, "open_positions"),
])
def test_posting_bad_input(world, client, api_headers, db, overrides, field):
    response = client.post("/api/v1/postings", headers=api_headers(world.enterprise_user),
                           json=posting_body(world.enterprise.id, **overrides))
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]
    assert _count(db, JobPosting) == 1


def test_open_close_and_invalid_transition(world, client, api_headers):
    headers = api_headers(world.enterprise_user)
    posting_id = client.post("/api/v1/postings", headers=headers, json=posting_body(world.enterprise.id)).json["id"]
    closed_draft = client.post(f"/api/v1/postings/{posting_id}/close", headers=headers)
    assert closed_draft.status_code == 409 and closed_draft.json["error"]["code"] == "invalid_transition"
    opened = client.post(f"/api/v1/postings/{posting_id}/open", headers=headers)
    assert opened.status_code == 200 and opened.json["status"] == "open"
    again = client.post(f"/api/v1/postings/{posting_id}/open", headers=headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "invalid_transition"
    closed = client.post(f"/api/v1/postings/{posting_id}/close", headers=headers)
    assert closed.status_code == 200 and closed.json["status"] == "closed"


def test_list_postings_by_status_and_scope(world, client, api_headers, factory):
    headers = api_headers(world.enterprise_user)
    draft_id = client.post("/api/v1/postings", headers=headers, json=posting_body(world.enterprise.id)).json["id"]
    open_list = client.get("/api/v1/postings?status=open", headers=headers).json
    assert [p["id"] for p in open_list["items"]] == [world.posting.id] and open_list["next_cursor"] is None
    assert {p["id"] for p in client.get("/api/v1/postings", headers=headers).json["items"]} == {world.posting.id,
                                                                                                 draft_id}
    manager = client.get("/api/v1/postings", headers=api_headers(world.manager_a)).json
    assert [p["id"] for p in manager["items"]] == [world.posting.id]  # drafts are the enterprise's own
    assert client.get("/api/v1/postings?status=bogus", headers=headers).status_code == 422
    other = factory.user("enterprise", username="other_e", enterprise=factory.enterprise("330110", uscc=USCC_OTHER))
    other_headers = api_headers(other)
    assert client.get("/api/v1/postings", headers=other_headers).json["items"] == []
    for url in (f"/api/v1/postings/{world.posting.id}", f"/api/v1/postings/{draft_id}"):
        assert client.get(url, headers=other_headers).status_code == 404
    assert client.post(f"/api/v1/postings/{draft_id}/open", headers=other_headers).status_code == 404
    assert client.get(f"/api/v1/enterprises/{world.enterprise.id}", headers=other_headers).status_code == 404
    assert client.get(f"/api/v1/agreements/{world.agreement.id}", headers=other_headers).status_code == 404


def test_posting_for_someone_elses_enterprise_is_refused(world, client, api_headers, db):
    response = client.post("/api/v1/postings", headers=api_headers(world.enterprise_user),
                           json=posting_body(world.enterprise.id + 1))
    assert response.status_code == 422 and "enterprise_id" in response.json["error"]["fields"]
    assert _count(db, JobPosting) == 1


def test_list_paginates(world, client, api_headers):
    headers = api_headers(world.enterprise_user)
    for _ in range(3):
        client.post("/api/v1/postings", headers=headers, json=posting_body(world.enterprise.id))
    first = client.get("/api/v1/postings?limit=2", headers=headers).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = client.get(f"/api/v1/postings?limit=2&cursor={first['next_cursor']}", headers=headers).json
    assert len(second["items"]) == 2 and second["next_cursor"] is None

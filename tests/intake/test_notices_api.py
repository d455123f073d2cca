"""The release-notice part of docs/api.md: create, receipt, collection, lists; error codes, scope, mass assignment."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from base_ops.intake.models import ReleaseNotice
from tests.intake.test_notices import ID_N1, ID_N2, freeze_today, notice_count


@pytest.fixture
def frozen_today(monkeypatch):
    return freeze_today(monkeypatch)


URL = "/api/v1/release-notices"


def body(**overrides) -> dict:
    data = {
        "id_number": ID_N1, "name": "赵六", "prison_name": "浙江省第一监狱", "prison_region_code": "330110",
        "expected_release_on": "2026-12-18", "received_on": "2026-11-20", "receiving_region_code": "330106",
        "risk_assessment": "再犯风险较高", "relief_advice": "建议临时救助", "is_key_subject": True,
    }
    data.update(overrides)
    return data


def test_create_returns_the_whole_notice_with_its_deadline(world, client, api_headers, frozen_today):
    response = client.post(URL, headers=api_headers(world.manager_a), json=body())
    assert response.status_code == 201, response.json
    notice = response.json
    assert notice["id"] > 0
    assert notice["feedback_due_on"] == "2026-11-27"
    assert notice["feedback_due_is_estimate"] is False
    assert notice["feedback_status"] == "pending"
    assert notice["id_number"] == "330106********001X"  # masked: first 6, last 4
    assert ID_N1 not in response.get_data(as_text=True)
    for field in ("name", "prison_name", "prison_region_code", "receiving_region_code", "risk_assessment",
                  "relief_advice", "is_key_subject", "expected_release_on", "received_on"):
        assert notice[field] == body()[field]
    assert notice["feedback_sent_on"] is None and notice["collected_on"] is None


def test_create_over_a_year_the_calendar_does_not_know_is_an_estimate(world, client, api_headers, monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: date(2031, 3, 10))
    response = client.post(URL, headers=api_headers(world.officer_x),
                           json=body(received_on="2031-03-03", expected_release_on="2031-04-01"))
    assert response.status_code == 201
    assert (response.json["feedback_due_on"], response.json["feedback_due_is_estimate"]) == ("2031-03-10", True)


@pytest.mark.parametrize("extra", [{"feedback_sent_on": "2026-11-20"}, {"resident_id": 1}, {"created_by_id": 1},
                                   {"feedback_due_on": "2030-01-01"}, {"status": "sent"}, {"base_id": 2}])
def test_unknown_fields_are_refused(world, client, api_headers, db, frozen_today, extra):
    before = notice_count(db)
    response = client.post(URL, headers=api_headers(world.manager_a), json=body(**extra))
    assert response.status_code == 422
    assert set(extra) <= set(response.json["error"]["fields"])
    assert notice_count(db) == before


def test_missing_and_malformed_fields_are_422_naming_them(world, client, api_headers, db, frozen_today):
    headers = api_headers(world.manager_a)
    missing = client.post(URL, headers=headers, json={"name": "赵六"})
    assert missing.status_code == 422
    assert {"id_number", "prison_name", "received_on", "is_key_subject"} <= set(missing.json["error"]["fields"])
    bad = client.post(URL, headers=headers, json=body(received_on="20-11-2026", is_key_subject="perhaps"))
    assert bad.status_code == 422
    assert {"received_on", "is_key_subject"} <= set(bad.json["error"]["fields"])
    service = client.post(URL, headers=headers, json=body(id_number="330106198501010029", received_on="2026-11-21"))
    assert service.status_code == 422
    assert service.json["error"]["code"] == "validation_error"
    assert set(service.json["error"]["fields"]) == {"id_number", "received_on"}
    assert db.session.scalar(select(func.count()).select_from(ReleaseNotice).where(
        ReleaseNotice.name == "赵六")) == 0


def test_receiving_county_outside_scope_is_422(world, client, api_headers, db, frozen_today, english):
    response = client.post(URL, headers=api_headers(world.manager_a), json=body(receiving_region_code="330110"))
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"receiving_region_code": ["is outside your scope"]}


def test_duplicate_is_409_notice_exists_with_id(world, client, api_headers, frozen_today):
    headers = api_headers(world.manager_a)
    first = client.post(URL, headers=headers, json=body())
    again = client.post(URL, headers=headers, json=body(name="改名"))
    assert again.status_code == 409
    assert again.json["error"]["code"] == "notice_exists"
    assert again.json["error"]["id"] == first.json["id"]


def test_get_in_scope_and_404_outside(world, client, api_headers, db):
    from base_ops.core.audit import AuditEvent

    notice_id = world.notice_x.id
    ok = client.get(f"{URL}/{notice_id}", headers=api_headers(world.manager_a))
    assert ok.status_code == 200
    assert ok.json["name"] == "王五" and ok.json["is_key_subject"] is True
    assert "risk_assessment" in ok.json
    viewed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "notice_viewed")).all()
    assert [(e.object_id, e.actor_username, e.details_dict["via"]) for e in viewed] == [
        (str(notice_id), "manager_a", "api")]
    for outsider in (world.manager_b, world.officer_y):
        response = client.get(f"{URL}/{notice_id}", headers=api_headers(outsider))
        assert response.status_code == 404
        assert response.json["error"]["code"] == "not_found"
        assert "王五" not in response.get_data(as_text=True)
    assert client.get(f"{URL}/999999", headers=api_headers(world.manager_a)).status_code == 404


@pytest.mark.parametrize("role", ["admin", "auditor", "trainer_a", "enterprise_user"])
def test_roles_without_notices_are_403(world, client, api_headers, role):
    user = getattr(world, role)
    assert client.get(f"{URL}/{world.notice_x.id}", headers=api_headers(user)).status_code == 403
    assert client.post(URL, headers=api_headers(user), json=body()).status_code == 403


def test_feedback_then_409(world, client, api_headers, db, frozen_today):
    url = f"{URL}/{world.notice_x.id}/feedback"
    headers = api_headers(world.officer_x)
    response = client.post(url, headers=headers, json={"sent_on": "2026-11-18", "arrangement": "12月20日接回"})
    assert response.status_code == 200
    assert response.json["feedback_sent_on"] == "2026-11-18"
    assert response.json["feedback_status"] == "sent"
    assert response.json["feedback_arrangement"] == "12月20日接回"
    assert "risk_assessment" not in response.json  # only the audited GET of one notice carries it
    again = client.post(url, headers=headers, json={"sent_on": "2026-11-19", "arrangement": "x"})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "feedback_exists"


def test_feedback_errors(world, client, api_headers, db, frozen_today):
    url = f"{URL}/{world.notice_x.id}/feedback"
    headers = api_headers(world.manager_a)
    early = client.post(url, headers=headers, json={"sent_on": "2026-11-15", "arrangement": "x"})
    assert early.status_code == 422 and list(early.json["error"]["fields"]) == ["sent_on"]
    future = client.post(url, headers=headers, json={"sent_on": "2026-11-21", "arrangement": "x"})
    assert future.status_code == 422 and list(future.json["error"]["fields"]) == ["sent_on"]
    extra = client.post(url, headers=headers, json={"sent_on": "2026-11-18", "arrangement": "x", "on_time": True})
    assert extra.status_code == 422 and "on_time" in extra.json["error"]["fields"]
    outsider = client.post(url, headers=api_headers(world.manager_b), json={"sent_on": "2026-11-18",
                                                                             "arrangement": "x"})
    assert outsider.status_code == 404
    db.session.refresh(world.notice_x)
    assert world.notice_x.feedback_sent_on is None


def test_collection(world, client, api_headers, db, frozen_today):
    url = f"{URL}/{world.notice_x.id}/collection"
    outsider = client.post(url, headers=api_headers(world.manager_b),
                           json={"collected_on": "2026-11-20", "collected_by": "x"})
    assert outsider.status_code == 404
    future = client.post(url, headers=api_headers(world.manager_a),
                         json={"collected_on": "2026-11-21", "collected_by": "陈干事"})
    assert future.status_code == 422 and list(future.json["error"]["fields"]) == ["collected_on"]
    ok = client.post(url, headers=api_headers(world.manager_a),
                     json={"collected_on": "2026-11-20", "collected_by": "陈干事"})
    assert ok.status_code == 200
    assert (ok.json["collected_on"], ok.json["collected_by"]) == ("2026-11-20", "陈干事")
    again = client.post(url, headers=api_headers(world.manager_a),
                        json={"collected_on": "2026-11-20", "collected_by": "陈干事"})
    assert again.status_code == 409 and again.json["error"]["code"] == "collection_exists"


def test_collection_of_a_non_key_subject_is_422_not_key_subject(world, client, api_headers, frozen_today):
    headers = api_headers(world.manager_a)
    notice = client.post(URL, headers=headers, json=body(is_key_subject=False)).json
    response = client.post(f"{URL}/{notice['id']}/collection", headers=headers,
                           json={"collected_on": "2026-11-20", "collected_by": "陈干事"})
    assert response.status_code == 422
    assert response.json["error"]["code"] == "not_key_subject"


def test_lists_by_status_scope_and_pagination(world, client, api_headers, frozen_today):
    headers = api_headers(world.manager_a)
    due_today = client.post(URL, headers=headers, json=body(received_on="2026-11-13",
                                                             expected_release_on="2026-11-30")).json
    later = client.post(URL, headers=headers, json=body(id_number=ID_N2, expected_release_on="2027-03-01")).json

    def ids(status, user=world.manager_a, **params):
        response = client.get(URL, headers=api_headers(user), query_string={"status": status, **params})
        assert response.status_code == 200
        return [n["id"] for n in response.json["items"]]

    assert ids("due_today") == [due_today["id"]]
    assert ids("overdue") == []
    assert ids("upcoming") == [due_today["id"]]
    assert ids("all") == [world.notice_x.id, due_today["id"], later["id"]]
    assert ids("all", world.manager_b) == []
    items = client.get(URL, headers=headers).json["items"]
    assert all("risk_assessment" not in n and "relief_advice" not in n for n in items)
    assert all("*" in n["id_number"] for n in items)
    first = client.get(URL, headers=headers, query_string={"limit": 2}).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = client.get(URL, headers=headers, query_string={"limit": 2, "cursor": first["next_cursor"]}).json
    assert [n["id"] for n in rest["items"]] == [later["id"]] and rest["next_cursor"] is None
    bad = client.get(URL, headers=headers, query_string={"status": "everything"})
    assert bad.status_code == 422 and "status" in bad.json["error"]["fields"]


def test_openapi_documents_the_notice_paths(client):
    spec = client.get("/api/v1/openapi.json").json
    for path in ("/api/v1/release-notices", "/api/v1/release-notices/{notice_id}",
                 "/api/v1/release-notices/{notice_id}/feedback", "/api/v1/release-notices/{notice_id}/collection"):
        assert path in spec["paths"], path

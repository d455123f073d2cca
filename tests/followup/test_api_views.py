"""Follow-up over the API and on the pages: shapes, scope (another base's manager 404, enterprise 403), 422s."""

from __future__ import annotations

from datetime import date

import pytest


def _post(client, api_headers, user, resident_id, **body):
    data = {"contacted_on": "2026-12-01", "method": "phone", "outcome": "stable", **body}
    return client.post(f"/api/v1/residents/{resident_id}/follow-ups", headers=api_headers(user), json=data)


def test_post_returns_the_whole_contact_and_the_list_shows_the_due_done(discharged, client, api_headers):
    world = discharged
    response = _post(client, api_headers, world.manager_a, world.resident_a.id, note="电话联系，在家")
    assert response.status_code == 201, response.json
    body = response.json
    assert set(body) == {"id", "resident_id", "contacted_on", "method", "outcome", "note", "recorded_by",
                         "base_id", "region_code", "created_at"}
    assert body["contacted_on"] == "2026-12-01" and body["base_id"] == world.base_a.id
    done = client.get("/api/v1/follow-ups?status=done", headers=api_headers(world.officer_x)).json
    assert [(i["resident"], i["sequence"], i["status"]) for i in done["items"]] == [
        ({"id": world.resident_a.id, "name": "张三"}, 1, "done")]
    assert done["items"][0]["done"]["id"] == body["id"] and done["items"][0]["due_on"] == "2026-12-10"
    due = client.get("/api/v1/follow-ups?status=due&limit=2", headers=api_headers(world.manager_a)).json
    assert [i["sequence"] for i in due["items"]] == [4, 5] and due["next_cursor"]  # 2 and 3 were missed
    assert client.get("/api/v1/follow-ups", headers=api_headers(world.manager_b)).json["items"] == []
    assert client.get(f"/api/v1/follow-ups?region_code=330110&base_id={world.base_a.id}",
                      headers=api_headers(world.officer_x)).json["items"] == []


def test_scope_another_bases_manager_404_and_enterprise_403(discharged, client, api_headers):
    world = discharged
    assert _post(client, api_headers, world.manager_b, world.resident_a.id).status_code == 404
    assert _post(client, api_headers, world.officer_y, world.resident_a.id).status_code == 404
    assert _post(client, api_headers, world.enterprise_user, world.resident_a.id).status_code == 403
    assert client.get("/api/v1/follow-ups", headers=api_headers(world.enterprise_user)).status_code == 403


@pytest.mark.parametrize(("field", "body"), [
    ("contacted_on", {"contacted_on": "2030-01-01"}), ("contacted_on", {"contacted_on": "2026-11-01"}),
    ("contacted_on", {"contacted_on": "tomorrow"}), ("method", {"method": "letter"}),
    ("outcome", {"outcome": "ok"}), ("note", {"note": "x" * 2001}),
])
def test_bad_bodies_are_422_naming_the_field(discharged, client, api_headers, field, body):
    response = _post(client, api_headers, discharged.manager_a, discharged.resident_a.id, **body)
    assert response.status_code == 422 and field in response.json["error"]["fields"], response.json


def test_missing_on_the_page_reaches_the_county_list(discharged, login_as, db, today_is):
    world = discharged
    today_is(date(2027, 3, 1))  # within the password's age
    client = login_as(world.manager_a)
    page = client.get(f"/residents/{world.resident_a.id}")
    assert page.status_code == 200 and 'id="follow-up-form"' in page.text
    response = client.post(f"/residents/{world.resident_a.id}/follow-ups",
                           data={"contacted_on": "2027-02-01", "method": "visit", "outcome": "missing"})
    assert response.status_code == 302
    bad = client.post(f"/residents/{world.resident_a.id}/follow-ups",
                      data={"contacted_on": "2027-03-02", "method": "visit", "outcome": "missing"})
    assert bad.status_code == 422
    client = login_as(world.officer_x)
    listing = client.get("/follow-ups?status=missing")
    assert listing.status_code == 200 and "张三" in listing.text
    due = client.get("/follow-ups")
    assert due.status_code == 200 and "张三" in due.text
    db.session.refresh(world.resident_a)
    assert world.resident_a.missing_since == date(2027, 2, 1)


def test_the_officers_home_counts_the_missing(discharged, login_as, today_is):
    from base_ops.followup import services

    world = discharged
    today_is(date(2027, 3, 1))
    services.record_follow_up(world.manager_a, world.resident_a, contacted_on=date(2027, 2, 1), method="visit",
                              outcome="missing")
    page = login_as(world.officer_x).get("/")
    assert page.status_code == 200 and "missing-alert" in page.text and "/follow-ups?status=missing" in page.text
    assert "missing-alert" not in login_as(world.officer_y).get("/").text


def test_a_base_id_that_is_no_id_is_422_naming_it(world, login_as, client, api_headers, today_is):
    today_is(date(2027, 3, 1))
    page = login_as(world.officer_x).get("/follow-ups?base_id=99999999999999999999")
    assert page.status_code == 422
    api = client.get("/api/v1/follow-ups?base_id=99999999999999999999", headers=api_headers(world.officer_x))
    assert api.status_code == 422 and "base_id" in api.json["error"]["fields"]

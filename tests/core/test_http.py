"""Security headers, caching, error pages, escaping (docs/security.md "Input and output")."""

from __future__ import annotations

XSS = '"><img src=x onerror=alert(1)>'


def test_security_headers_on_every_response(world, client, login_as):
    for response in (client.get("/login"), login_as(world.manager_a).get("/bases"), client.get("/api/v1/openapi.json")):
        headers = response.headers
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"]


def test_personal_pages_are_not_cached(world, login_as):
    response = login_as(world.manager_a).get(f"/bases/{world.base_a.id}")
    assert response.headers["Cache-Control"] == "no-store"


def test_hsts_in_production_only(app, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_error_pages_are_friendly(world, login_as, client):
    manager = login_as(world.manager_a)
    missing = manager.get("/no/such/page")
    assert missing.status_code == 404
    assert "<html" in missing.get_data(as_text=True)
    api_missing = client.get("/api/v1/nothing")
    assert api_missing.status_code == 404
    assert api_missing.json["error"]["code"] == "not_found"


def test_names_are_escaped(factory, world, login_as):
    base = factory.base("330106", name=XSS)
    body = login_as(world.manager_a if False else world.admin).get("/bases").get_data(as_text=True)
    assert XSS not in body
    assert "&#34;&gt;&lt;img" in body or "&quot;&gt;&lt;img" in body
    detail = login_as(world.admin).get(f"/bases/{base.id}").get_data(as_text=True)
    assert "<img src=x" not in detail


def test_sql_injection_in_filters_has_no_effect(world, login_as):
    client = login_as(world.auditor)
    response = client.get("/audit?username=' OR '1'='1&action=x' OR 1=1 --")
    assert response.status_code == 200
    assert "No events match" in response.get_data(as_text=True) or "没有" in response.get_data(as_text=True)


def test_csrf_is_enforced_on_forms(app, world, db):
    from base_ops.core.db import utcnow

    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        db.session.refresh(world.admin)
        now = utcnow().timestamp()
        with client.session_transaction() as session:
            session.update({"_user_id": world.admin.get_id(), "login_at": now, "last_seen": now, "auth_at": now})
        response = client.post("/admin/reference/dibao", data={"region_code": "330106", "year": 2026, "monthly": "1"})
        assert response.status_code == 400
        # The API uses bearer tokens and is exempt.
        from base_ops.accounts.services import issue_token

        token, _ = issue_token(world.admin, via="test")
        api = client.put("/api/v1/reference/dibao/330106/2026", json={"monthly": "1.00"},
                         headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 200
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_get_never_changes_state(app, world, login_as):
    client = login_as(world.manager_a)
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_database_errors_reach_the_logs_without_personal_numbers(world, db, caplog):
    """A failed statement's text goes to logs: it must not hold an ID number (docs/security.md "Audit",
    GB/T 35273-2020). The engine hides the parameters; PostgreSQL's own DETAIL names the duplicate key,
    so every log record is masked as well (core/logs.py)."""
    import logging

    import pytest
    from sqlalchemy.exc import IntegrityError

    from base_ops.residents.models import Resident

    id_number = world.resident_a.id_number
    copy = Resident(**{c.key: getattr(world.resident_a, c.key) for c in Resident.__table__.columns if c.key != "id"})
    db.session.add(copy)
    with pytest.raises(IntegrityError) as caught:
        db.session.flush()
    db.session.rollback()
    assert "hidden due to hide_parameters" in str(caught.value)
    with caplog.at_level(logging.ERROR):
        logging.getLogger("base_ops.test").error("saving %s failed: %s", id_number, caught.value,
                                                 exc_info=caught.value)
    logged = caplog.text
    assert "saving" in logged and "IntegrityError" in logged
    assert id_number not in logged
    assert f"{id_number[:4]}**********{id_number[-2:]}" in logged


def test_masking_keeps_other_numbers():
    from base_ops.core.logs import mask

    assert mask("card 6222020200112233445, id 11010519491231002X") == "card 6222**********45, id 1101**********2X"
    assert mask("request took 1234 ms, job 20261122") == "request took 1234 ms, job 20261122"


def test_a_nul_character_in_a_query_or_form_field_is_refused_naming_the_field(world, db, login_as, api_headers):
    """PostgreSQL text cannot hold a NUL: refused up front (422), never a database error and a 500."""
    from sqlalchemy import func, select

    from base_ops.residents.models import Resident

    def residents() -> int:
        return db.session.execute(select(func.count()).select_from(Resident)).scalar_one()

    manager = login_as(world.manager_a)
    page = manager.get("/residents?q=%E5%BC%A0%00")
    assert page.status_code == 422
    api = manager.get("/api/v1/regions?parent=33%0001", headers=api_headers(world.manager_a))
    assert api.status_code == 422
    assert "parent" in api.json["error"]["fields"]
    before = residents()
    form = manager.post("/residents/new", data={"name": "王\x00五", "id_number": "11010519491231002X"})
    assert form.status_code == 422
    assert "name" in form.get_data(as_text=True)
    assert residents() == before


def test_an_api_action_without_a_body_refuses_one(world, client, api_headers):
    """docs/api.md: unknown body fields are a 422 — also where the operation takes no body at all."""
    headers = api_headers(world.enterprise_user)
    refused = client.post(f"/api/v1/postings/{world.posting.id}/close", json={"status": "open", "positions": 9},
                          headers=headers)
    assert refused.status_code == 422
    assert set(refused.json["error"]["fields"]) == {"status", "positions"}
    assert world.posting.status == "open"
    done = client.post(f"/api/v1/postings/{world.posting.id}/close", headers=headers)
    assert done.status_code == 200, done.json


def test_a_body_that_is_not_json_is_a_422(client):
    """docs/api.md: invalid input is a 422 with the error body, whatever the input's shape."""
    answer = client.post("/api/v1/auth/tokens", data="{not json", content_type="application/json")
    assert answer.status_code == 422
    assert answer.json["error"]["code"] == "validation_error"

"""Security round 2 (issue 15): sign-in, sessions, tokens and redirects, attacked from outside.

One test (or one parametrised family) per finding; each failed on the code before the fix:
1. tokens outlive the password (change, reset, TOTP reset, logout, role change, disabling);
2. open redirect through `next` (tab, CR/LF, backslash…) at sign-in, second step, re-auth, export form;
3. the API skips a forced password change;
6. user enumeration by timing and by `403 account_locked`, and lockout an outsider can use;
7. the typed user name (maybe a password or an ID number) kept in the audit log;
8. TOTP replaced from a live session without the password or the current code, secret in the cookie;
9. the production guard bypassed by FLASK_DEBUG, and a key of one repeated letter;
10. (accepted risk) `409 resident_exists` names the file at another base: every attempt is audited.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import subprocess
import sys
import zlib
from datetime import timedelta
from urllib.parse import quote, urljoin, urlsplit

import pyotp
import pytest
from sqlalchemy import select

from base_ops import create_app
from base_ops.accounts import services
from base_ops.accounts.models import User
from base_ops.config import PROJECT_ROOT, ProductionConfig
from base_ops.core.audit import AuditEvent
from base_ops.core.db import utcnow
from tests.conftest import PASSWORD

NEW_PASSWORD = "Another-Long-Passphrase-7"
OTHER_ADDRESS = {"REMOTE_ADDR": "203.0.113.9"}


def _token(client, username, password=PASSWORD, otp=None) -> dict:
    body = {"username": username, "password": password}
    if otp:
        body["otp"] = otp
    response = client.post("/api/v1/auth/tokens", json=body)
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.json['token']}"}


def _api_ok(client, headers) -> bool:
    status = client.get("/api/v1/bases", headers=headers).status_code
    assert status in (200, 401)
    return status == 200


def _sign_in(client, username, password=PASSWORD, **kwargs):
    return client.post("/login", data={"username": username, "password": password}, **kwargs)


# ---------------------------------------------------------------- 1. tokens end with the sessions

def _change_own_password(world, app, login_as, db):
    login_as(world.manager_a).post("/account/password", data={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})


def _admin_resets_password(world, app, login_as, db):
    login_as(world.admin).post(f"/admin/users/{world.manager_a.id}/password", data={"new_password": NEW_PASSWORD})


def _admin_resets_totp(world, app, login_as, db):
    login_as(world.admin).post(f"/admin/users/{world.manager_a.id}/totp")


def _logout(world, app, login_as, db):
    login_as(world.manager_a).post("/logout")


def _admin_disables(world, app, login_as, db):
    login_as(world.admin).post(f"/admin/users/{world.manager_a.id}", data={
        "display_name": "M", "role": "base_manager", "base_ids": [world.base_a.id]})  # is_enabled unticked


def _admin_changes_scope(world, app, login_as, db):
    login_as(world.admin).post(f"/admin/users/{world.manager_a.id}", data={
        "display_name": "M", "role": "base_manager", "base_ids": [world.base_a.id, world.base_b.id],
        "is_enabled": "y"})


def _admin_signs_out_everywhere(world, app, login_as, db):
    login_as(world.admin).post(f"/admin/users/{world.manager_a.id}/sessions/end")


def _user_revokes_the_token(world, app, login_as, db):
    client = login_as(world.manager_a)
    page = client.get("/account/tokens").get_data(as_text=True)
    token_id = re.search(r"/account/tokens/(\d+)/revoke", page).group(1)
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302


@pytest.mark.parametrize("event", [
    _change_own_password, _admin_resets_password, _admin_resets_totp, _logout, _admin_disables,
    _admin_changes_scope, _admin_signs_out_everywhere, _user_revokes_the_token,
], ids=lambda f: f.__name__.strip("_"))
def test_a_token_ends_with_the_users_sessions(world, app, client, login_as, db, event):
    headers = _token(client, "manager_a")
    browser = app.test_client()
    _sign_in(browser, "manager_a")
    assert _api_ok(client, headers) and browser.get("/").status_code == 200
    event(world, app, login_as, db)
    assert not _api_ok(client, headers), "the token still opens the API"
    if event is not _user_revokes_the_token:  # revoking one token leaves the sessions alone
        assert browser.get("/").status_code == 302, "the other browser session still works"


def test_the_account_page_lists_only_the_users_own_live_tokens(world, client, login_as, db):
    _token(client, "manager_a")
    other = _token(client, "manager_b")
    page = login_as(world.manager_a).get("/account/tokens")
    assert page.status_code == 200
    assert len(re.findall(r"/account/tokens/\d+/revoke", page.get_data(as_text=True))) == 1
    # Someone else's token id: not found, and that token lives on.
    from base_ops.accounts.models import ApiToken

    others = db.session.scalars(select(ApiToken.id).where(ApiToken.user_id == world.manager_b.id)).all()
    answer = login_as(world.manager_a).post(f"/account/tokens/{others[-1]}/revoke")
    assert answer.status_code == 404
    assert _api_ok(client, other)


def test_the_admin_sees_a_users_tokens(world, client, login_as):
    """The user's page lists each live token (by how it was issued) until the admin signs him out everywhere."""
    admin = login_as(world.admin)
    url = f"/admin/users/{world.manager_a.id}"
    assert admin.get(url).get_data(as_text=True).count("通过接口登录") == 0
    _token(client, "manager_a")
    _token(client, "manager_a")
    assert admin.get(url).get_data(as_text=True).count("通过接口登录") == 2
    admin.post(f"{url}/sessions/end")
    page = login_as(world.admin).get(url).get_data(as_text=True)
    assert page.count("通过接口登录") == 0 and "该用户目前没有有效的 API 令牌" in page


# ---------------------------------------------------------------- 2. open redirect

HOSTILE_TARGETS = [
    "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example", " //evil.example",
    "//evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example/", "https:evil.example",
    "http:/evil.example", "/%09/evil.example", "\x0b//evil.example", "/\u3000/evil.example",
    "/x\r\nSet-Cookie: planted=1", "javascript:alert(1)", "/" * 3 + "evil.example",
]


def _lands_on_this_site(location: str) -> bool:
    """Read the Location as a browser does: tabs and newlines dropped, spaces trimmed, \\ as /."""
    assert not re.search(r"[\x00-\x1f\x7f]", location), "a control character in Location"
    seen = re.sub(r"[\t\n\r]", "", location).strip(" \x00\x0b\x0c").replace("\\", "/")
    return urlsplit(urljoin("http://base-ops.test/here/", seen)).netloc == "base-ops.test"


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_next_after_sign_in_stays_on_this_site(world, client, target):
    response = client.post(f"/login?next={quote(target, safe='')}",
                           data={"username": "manager_a", "password": PASSWORD})
    assert response.status_code == 302
    assert _lands_on_this_site(response.headers["Location"])


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_next_after_the_second_step_stays_on_this_site(world, client, target):
    _sign_in(client, "officer_x", query_string={"next": target})
    code = pyotp.TOTP(world.officer_x.totp_secret).now()
    response = client.post("/login/otp", data={"code": code})
    assert response.status_code == 302
    assert _lands_on_this_site(response.headers["Location"])


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_next_after_reauthentication_stays_on_this_site(world, login_as, target):
    client = login_as(world.manager_a)
    response = client.post("/account/reauth", query_string={"next": target}, data={"password": PASSWORD})
    assert response.status_code == 302
    assert _lands_on_this_site(response.headers["Location"])


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_the_export_forms_next_stays_on_this_site(world, login_as, target):
    client = login_as(world.officer_x)
    refused = client.post("/exports/", data={"kind": "overview", "from": "bad", "to": "2026-11-30", "next": target})
    assert refused.status_code == 302
    assert _lands_on_this_site(refused.headers["Location"])
    with client.session_transaction() as session:
        session["auth_at"] -= 3600  # not fresh: sent to re-authenticate, then back
    stale = client.post("/exports/", data={"kind": "overview", "from": "2026-11-01", "to": "2026-11-30",
                                           "next": target})
    assert "/account/reauth" in stale.headers["Location"]
    back = client.post(stale.headers["Location"], data={"password": PASSWORD})
    assert _lands_on_this_site(back.headers["Location"])


def test_a_local_next_still_works(world, client):
    response = client.post("/login?next=/residents%3Fq%3D%E5%BC%A0", data={"username": "manager_a",
                                                                          "password": PASSWORD})
    assert response.headers["Location"] == "/residents?q=张" or response.headers["Location"].startswith("/residents")


def test_the_language_switch_returns_only_to_this_site(world, client):
    for referrer in ("http://evil.example/", "http://localhost/\t/evil.example", "http://localhost@evil.example/"):
        response = client.post("/language", data={"lang": "en"}, headers={"Referer": referrer})
        assert response.status_code == 302
        assert _lands_on_this_site(response.headers["Location"])


# ---------------------------------------------------------------- 3. a forced password change holds on the API

def test_an_admin_set_password_gives_no_token_until_changed(world, client, login_as):
    login_as(world.admin).post(f"/admin/users/{world.manager_a.id}/password", data={"new_password": NEW_PASSWORD})
    refused = client.post("/api/v1/auth/tokens", json={"username": "manager_a", "password": NEW_PASSWORD})
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "password_change_required"
    browser = client
    _sign_in(browser, "manager_a", NEW_PASSWORD)
    browser.post("/account/password", data={"current_password": NEW_PASSWORD, "new_password": PASSWORD + "-x",
                                            "confirm": PASSWORD + "-x"})
    assert _api_ok(client, _token(client, "manager_a", PASSWORD + "-x"))


def test_an_expired_password_gives_no_token_and_ends_the_ones_it_had(world, client, db):
    headers = _token(client, "manager_a")
    world.manager_a.password_changed_at = utcnow() - timedelta(days=181)
    db.session.commit()
    assert not _api_ok(client, headers)
    refused = client.post("/api/v1/auth/tokens", json={"username": "manager_a", "password": PASSWORD})
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "password_change_required"


# ---------------------------------------------------------------- 6. no enumeration, no lockout by outsiders

def test_unknown_and_known_names_check_a_hash_alike(world, client, monkeypatch):
    calls = []
    real = services.verify_password
    monkeypatch.setattr(services, "verify_password", lambda h, p: calls.append(h) or real(h, p))
    client.post("/api/v1/auth/tokens", json={"username": "nobody_here", "password": "whatever-123456"})
    client.post("/api/v1/auth/tokens", json={"username": "manager_a", "password": "whatever-123456"})
    assert len(calls) == 2, "an unknown name must cost one hash check, like a known one"


def test_unknown_and_known_names_get_the_same_answers_through_the_lock(world, client):
    def answers(username):
        return [(r.status_code, r.json["error"]["code"], r.json["error"]["message"])
                for r in (client.post("/api/v1/auth/tokens", json={"username": username, "password": "wrong-wrong-1"})
                          for _ in range(6))]

    known, unknown = answers("manager_a"), answers("nobody_here")
    assert known == unknown
    assert [a[0] for a in known] == [401, 401, 401, 401, 403, 403]


def test_failures_from_one_address_do_not_lock_the_owner_out(world, app, client):
    for _ in range(10):
        client.post("/login", data={"username": "manager_a", "password": "wrong-wrong-1"})
    locked = client.post("/api/v1/auth/tokens", json={"username": "manager_a", "password": PASSWORD})
    assert locked.status_code == 403
    owner = app.test_client()
    response = owner.post("/login", data={"username": "manager_a", "password": PASSWORD},
                          environ_base=OTHER_ADDRESS)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_the_admin_sees_and_lifts_a_lock(world, client, login_as):
    for _ in range(5):
        client.post("/login", data={"username": "manager_a", "password": "wrong-wrong-1"})
    admin = login_as(world.admin)
    unlock = f"/admin/users/{world.manager_a.id}/unlock"
    assert unlock in admin.get("/admin/users").get_data(as_text=True)  # the button shows for a locked user only
    assert f"/admin/users/{world.manager_a.id}\"" in admin.get("/").get_data(as_text=True)  # home: locked accounts
    admin.post(unlock)
    assert unlock not in admin.get("/admin/users").get_data(as_text=True)
    assert client.post("/api/v1/auth/tokens", json={"username": "manager_a", "password": PASSWORD}).status_code == 201


# ---------------------------------------------------------------- 7. what was typed stays out of the log

@pytest.mark.parametrize("typed", ["330106198702020038", "My-Secret-Passw0rd!", "Correct-Horse-42"])
def test_a_typed_name_is_never_kept_in_the_audit_log(world, client, db, typed):
    before = db.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) or 0
    for _ in range(6):
        client.post("/login", data={"username": typed, "password": "wrong-wrong-1"})
        client.post("/api/v1/auth/tokens", json={"username": typed, "password": "wrong-wrong-1"})
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.seq > before)).all()
    assert {r.action for r in rows} >= {"login_failed", "account_locked", "login_refused_locked"}
    for row in rows:
        text = json.dumps(row.content(), ensure_ascii=False, default=str)
        assert typed not in text and typed[:8] not in text and typed[-6:] not in text


# ---------------------------------------------------------------- 8. changing the second factor

def _cookie_session(client) -> str:
    """Everything the session cookie carries, decoded (it is signed, not encrypted)."""
    value = client.get_cookie("session").value
    compressed = value.startswith(".")
    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(raw) if compressed else raw).decode()


def test_a_live_session_alone_cannot_replace_the_second_factor(world, app, db):
    officer = world.officer_x
    client = app.test_client()
    _sign_in(client, "officer_x")
    client.post("/login/otp", data={"code": pyotp.TOTP(officer.totp_secret).now()})
    old_secret = officer.totp_secret
    page = client.get("/account/totp").get_data(as_text=True)
    assert 'name="password"' in page and 'name="current_code"' in page
    # The old way: a code for a secret the attacker chose, no password.
    chosen = pyotp.random_base32()
    with client.session_transaction() as session:
        session["enrol_secret"] = chosen
    client.post("/account/totp", data={"code": pyotp.TOTP(chosen).now()})
    db.session.refresh(officer)
    assert officer.totp_secret == old_secret
    # The password without the current code is not enough either.
    no_code = client.post("/account/totp", data={"password": PASSWORD, "current_code": "000000"})
    assert no_code.status_code == 200
    db.session.refresh(officer)
    assert officer.totp_pending_secret is None and officer.totp_secret == old_secret


def test_replacing_the_second_factor_needs_password_and_code_and_ends_the_rest(world, app, client, db):
    officer = world.officer_x
    browser = app.test_client()
    _sign_in(browser, "officer_x")
    browser.post("/login/otp", data={"code": pyotp.TOTP(officer.totp_secret).at(utcnow() - timedelta(seconds=30))})
    headers = _token(client, "officer_x", otp=pyotp.TOTP(officer.totp_secret).now())
    shown = browser.post("/account/totp", data={
        "password": PASSWORD, "current_code": pyotp.TOTP(officer.totp_secret).at(utcnow() + timedelta(seconds=30))})
    assert shown.status_code == 200
    db.session.refresh(officer)
    new_secret = officer.totp_pending_secret
    assert new_secret and new_secret in shown.get_data(as_text=True)
    assert new_secret not in _cookie_session(browser)
    done = browser.post("/account/totp", data={"code": pyotp.TOTP(new_secret).now()})
    assert done.status_code == 302
    db.session.refresh(officer)
    assert officer.totp_secret == new_secret and officer.totp_pending_secret is None
    assert browser.get("/").status_code == 200  # this session lives on
    assert not _api_ok(client, headers)  # the token made under the old factor does not


def test_enrolment_at_sign_in_keeps_the_key_out_of_the_cookie(factory, client, db):
    admin = factory.user("admin", username="enrolling_admin")
    _sign_in(client, "enrolling_admin")
    db.session.refresh(admin)
    assert admin.totp_pending_secret
    assert admin.totp_pending_secret not in _cookie_session(client)


# ---------------------------------------------------------------- 9. the production guard

@pytest.mark.parametrize("key", ["a" * 32, "a" * 64, "abcd" * 8, "0123456789" * 4])
def test_production_refuses_a_guessable_key(monkeypatch, key):
    monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY=key)


def test_production_accepts_a_random_key(monkeypatch):
    key = secrets.token_hex(32)
    monkeypatch.setenv("SECRET_KEY", key)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    assert create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY=key).debug is False


def test_production_refuses_flask_debug_from_the_environment(monkeypatch):
    key = secrets.token_hex(32)
    monkeypatch.setenv("SECRET_KEY", key)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="DEBUG"):
        create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY=key)


def test_flask_debug_run_refuses_to_start_in_production(tmp_path):
    """As an operator would start it: `flask --debug run` must not serve Werkzeug's console."""
    env = {**os.environ, "BASE_OPS_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "FLASK_APP": "base_ops",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}"}
    env.pop("FLASK_DEBUG", None)
    result = subprocess.run([sys.executable, "-m", "flask", "--debug", "run", "--port", "0"], env=env,
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr


# ---------------------------------------------------------------- 10. accepted risk: resident_exists is audited

def test_every_resident_exists_answer_is_audited(world, api_headers, client, db):
    headers = api_headers(world.manager_b)
    existing = world.resident_a  # a file at base A
    body = {"id_number": existing.id_number, "name": "试探", "hukou_region_code": "330106",
            "subject_type": "released", "released_on": "2026-10-01", "is_homeless": True, "has_no_relatives": True,
            "is_unemployed": True, "reoffend_risk": False, "state_security": False, "false_identity": False}
    before = db.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) or 0
    response = client.post("/api/v1/residents", json=body, headers=headers)
    assert response.status_code == 409, response.get_json()
    assert response.json["error"]["code"] == "resident_exists"
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.seq > before,
                                                       AuditEvent.action == "resident_exists_refused")).all()
    assert len(rows) == 1
    assert rows[0].actor_username == world.manager_b.username and rows[0].object_id == str(existing.id)
    assert existing.id_number not in rows[0].details


def test_user_model_has_no_account_wide_lock():
    """The lock lives per name and address (SignInThrottle); an account-wide one would come back as a
    way for outsiders to lock people out."""
    assert not hasattr(User, "locked_until")


# ---------------------------------------------------------------- beyond the list: a stolen session

@pytest.mark.parametrize(("url", "field"), [
    ("/account/password", "current_password"), ("/account/reauth", "password"), ("/account/totp", "password")])
def test_a_live_session_is_no_way_to_guess_the_password(world, login_as, db, url, field):
    """Found attacking from outside: the password change and re-authentication forms checked the current
    password without counting failures, so a stolen cookie could guess it at leisure."""
    client = login_as(world.manager_a)
    with client.session_transaction() as session:
        session["auth_at"] -= 3600  # a stale sign-in: re-authentication would refresh it
    extra = {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD} if field == "current_password" else {}
    for _ in range(5):
        client.post(url, data={field: "wrong-guess-123", **extra})
    right = client.post(url, data={field: PASSWORD, **extra})
    db.session.refresh(world.manager_a)
    assert services.verify_password(world.manager_a.password_hash, PASSWORD), "the password was changed"
    assert world.manager_a.totp_pending_secret is None
    assert right.status_code in (200, 302)
    if url == "/account/reauth":
        with client.session_transaction() as session:
            assert utcnow().timestamp() - session["auth_at"] > 3000  # not refreshed by the right password
    assert world.manager_a.id in services.locked_user_ids()

"""docs/security.md "Authentication and sessions", tested through the pages, the API and the services."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from base_ops import create_app
from base_ops.accounts import services
from base_ops.accounts.models import User
from base_ops.config import Config, ProductionConfig, TestConfig
from base_ops.core.audit import AuditEvent
from base_ops.core.db import utcnow
from tests.conftest import PASSWORD


def _login(client, username, password=PASSWORD, **kwargs):
    return client.post("/login", data={"username": username, "password": password}, **kwargs)


def _actions(db, username):
    return [e.action for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.actor_username == username).order_by(AuditEvent.seq))]


# ---------------------------------------------------------------- hashing and policy

def test_same_password_gives_different_hashes(factory):
    a = factory.user("base_manager", bases=[factory.base()])
    b = factory.user("base_manager", bases=a.bases)
    assert a.password_hash != b.password_hash
    assert PASSWORD not in a.password_hash


def test_production_hash_is_scrypt(app):
    from base_ops.accounts.passwords import hash_password

    with app.test_request_context():
        app.config["PASSWORD_HASH_METHOD"] = "scrypt"
        try:
            assert hash_password("Some-Long-Passphrase").startswith("scrypt:")
        finally:
            app.config["PASSWORD_HASH_METHOD"] = TestConfig.PASSWORD_HASH_METHOD
    assert not hasattr(Config, "PASSWORD_HASH_METHOD")  # production uses werkzeug's scrypt default


@pytest.mark.parametrize(("password", "problem"), [
    ("short1A!", "at least 10"),
    ("password123", "too common"),
    ("1234567890", "too common"),
    ("aaaaaaaaaaaa", "too common"),
    ("xmanager_zz-long", "user name"),
])
def test_password_policy_refuses(factory, password, problem):
    from flask_babel import force_locale

    from base_ops.core.errors import ValidationFailed

    with force_locale("en"), pytest.raises(ValidationFailed) as caught:
        services.create_user(None, username="manager_zz", role="admin", password=password)
    assert "password" in caught.value.fields
    assert any(problem in p for p in caught.value.fields["password"])


def test_complexity_rule_is_configurable(app, factory):
    from base_ops.core.errors import ValidationFailed

    app.config["PASSWORD_REQUIRE_COMPLEXITY"] = True
    try:
        with pytest.raises(ValidationFailed):
            services.create_user(None, username="cx", role="admin", password="onlylowercaseletters")
        services.create_user(None, username="cx2", role="admin", password="Mixed-Case-123")
    finally:
        app.config["PASSWORD_REQUIRE_COMPLEXITY"] = False


# ---------------------------------------------------------------- lockout

def _throttle(db, username):
    from base_ops.accounts.models import SignInThrottle

    return db.session.scalar(select(SignInThrottle).where(
        SignInThrottle.name_digest == services._name_digest(username)))


def test_fifth_failure_locks_for_fifteen_minutes_even_with_right_password(world, client, db):
    for _ in range(4):
        assert _login(client, "manager_a", "wrong-password-x").status_code == 200
    assert _throttle(db, "manager_a").locked_until is None
    _login(client, "manager_a", "wrong-password-x")
    locked_until = _throttle(db, "manager_a").locked_until
    assert locked_until is not None
    assert timedelta(minutes=14) < locked_until - utcnow() <= timedelta(minutes=15)
    # The right password no longer works while locked (from this address).
    response = _login(client, "manager_a")
    assert response.status_code == 200
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert "account_locked" in _actions(db, "manager_a")
    assert _actions(db, "manager_a").count("login_failed") == 5
    assert "login_refused_locked" in _actions(db, "manager_a")


def test_lock_expires(world, db):
    for _ in range(4):
        with pytest.raises(services.AuthenticationFailed):
            services.authenticate("manager_a", "nope-nope-nope")
    with pytest.raises(services.AccountLocked):  # the fifth failure answers "locked" at once
        services.authenticate("manager_a", "nope-nope-nope")
    with pytest.raises(services.AccountLocked):
        services.authenticate("manager_a", PASSWORD)
    later = utcnow() + timedelta(minutes=16)
    assert services.authenticate("manager_a", PASSWORD, now=later).username == "manager_a"


def test_failures_outside_the_window_do_not_add_up(world, db):
    start = utcnow()
    for i in range(4):
        with pytest.raises(services.AuthenticationFailed):
            services.authenticate("manager_a", "nope-nope-nope", now=start + timedelta(seconds=i))
    with pytest.raises(services.AuthenticationFailed):
        services.authenticate("manager_a", "nope-nope-nope", now=start + timedelta(minutes=20))
    throttle = _throttle(db, "manager_a")
    assert throttle.locked_until is None
    assert throttle.failures == 1


def test_same_message_for_unknown_user_and_wrong_password(world, client, db):
    unknown = _login(client, "no_such_user", "whatever-123456").get_data(as_text=True)
    wrong = _login(client, "manager_a", "whatever-123456").get_data(as_text=True)
    assert _flash(unknown) == _flash(wrong)
    failure = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed")
                                 .order_by(AuditEvent.seq)).first()
    assert failure.actor_username is None  # what was typed is not kept (it may be a password)
    assert failure.object_id == services.typed_name_ref("no_such_user")
    assert failure.result == "failure"


def _flash(html: str) -> str:
    start = html.index('class="alert')
    return html[start:html.index("</div>", start)]


def test_api_lockout_and_errors(world, client):
    bad = client.post("/api/v1/auth/tokens", json={"username": "manager_a", "password": "wrong-wrong"})
    assert bad.status_code == 401
    assert bad.json["error"]["code"] == "invalid_credentials"
    for _ in range(3):
        client.post("/api/v1/auth/tokens", json={"username": "manager_a", "password": "wrong-wrong"})
    fifth = client.post("/api/v1/auth/tokens", json={"username": "manager_a", "password": "wrong-wrong"})
    assert fifth.status_code == 403
    locked = client.post("/api/v1/auth/tokens", json={"username": "manager_a", "password": PASSWORD})
    assert locked.status_code == 403
    assert locked.json["error"]["code"] == "account_locked"


def test_login_rate_limit_answers_429(factory):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://", RATELIMIT_ENABLED=True,
                     LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    with app.app_context():
        from base_ops.extensions import db

        db.create_all()
        statuses = [client.post("/login", data={"username": "x", "password": "y"}).status_code for _ in range(4)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3] == 429


def test_token_endpoint_is_rate_limited_like_the_sign_in_form(factory):
    """The API's way to sign in may not be a way round the form's limit (docs/security.md "Rate limit on login")."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://", RATELIMIT_ENABLED=True,
                     LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    with app.app_context():
        from base_ops.extensions import db

        db.create_all()
        answers = [client.post("/api/v1/auth/tokens", json={"username": "x", "password": "y" * 10})
                   for _ in range(4)]
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert answers[3].json["error"]["code"] == "rate_limited"


# ---------------------------------------------------------------- second factor

def test_county_officer_cannot_reach_any_page_before_totp(world, client):
    response = _login(client, "officer_x")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login/otp")
    assert client.get("/").headers["Location"].startswith("/login")
    assert client.get("/bases").status_code == 302
    wrong = client.post("/login/otp", data={"code": "000000"})
    assert wrong.status_code == 200
    assert client.get("/").status_code == 302
    code = pyotp.TOTP(world.officer_x.totp_secret).now()
    done = client.post("/login/otp", data={"code": code})
    assert done.status_code == 302
    assert client.get("/").status_code == 200


def test_required_role_without_totp_must_enrol_first(factory, client, db):
    admin = factory.user("admin", username="fresh_admin")
    response = _login(client, "fresh_admin")
    assert response.headers["Location"].endswith("/login/totp-setup")
    page = client.get("/login/totp-setup")
    assert page.status_code == 200
    assert "<svg" in page.get_data(as_text=True)
    assert client.get("/").status_code == 302
    with client.session_transaction() as session:
        assert "secret" not in session["pending"]  # the key being enrolled never travels in the cookie
    db.session.refresh(admin)
    secret = admin.totp_pending_secret
    assert secret and secret in page.get_data(as_text=True)
    client.post("/login/totp-setup", data={"code": pyotp.TOTP(secret).now()})
    db.session.refresh(admin)
    assert admin.totp_enabled and admin.totp_secret == secret
    assert client.get("/").status_code == 200


def test_optional_totp_for_other_roles(world, client):
    response = _login(client, "manager_a")
    assert response.headers["Location"] == "/"


def test_api_token_needs_otp_where_required(world, client):
    no_otp = client.post("/api/v1/auth/tokens", json={"username": "officer_x", "password": PASSWORD})
    assert no_otp.status_code == 401
    assert no_otp.json["error"]["code"] == "otp_required"
    otp = pyotp.TOTP(world.officer_x.totp_secret).now()
    ok = client.post("/api/v1/auth/tokens", json={"username": "officer_x", "password": PASSWORD, "otp": otp})
    assert ok.status_code == 201
    assert ok.json["token"] and ok.json["expires_at"]


# ---------------------------------------------------------------- sessions

def test_login_starts_a_new_session(world, client):
    with client.session_transaction() as session:
        session["planted"] = "attacker-value"
    _login(client, "manager_a")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{world.manager_a.id}:")


def test_replayed_cookie_after_logout_is_rejected(world, client, app):
    _login(client, "manager_a")
    cookie = client.get_cookie("session").value
    assert client.get("/").status_code == 200
    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    response = replay.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_password_change_ends_other_sessions(world, app, db):
    first, second = app.test_client(), app.test_client()
    _login(first, "manager_a")
    _login(second, "manager_a")
    response = first.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "A-New-Passphrase-9", "confirm": "A-New-Passphrase-9"})
    assert response.status_code == 302
    assert first.get("/").status_code == 200  # this session lives on
    assert second.get("/").status_code == 302  # the other one is dead
    assert "password_changed" in _actions(db, "manager_a")


def test_role_change_ends_sessions(world, app, db, login_as):
    victim = app.test_client()
    _login(victim, "manager_a")
    admin = login_as(world.admin)
    response = admin.post(f"/admin/users/{world.manager_a.id}", data={
        "display_name": "M", "role": "trainer", "base_ids": [world.base_a.id], "is_enabled": "y"})
    assert response.status_code == 302
    db.session.refresh(world.manager_a)
    assert world.manager_a.role == "trainer"
    assert victim.get("/").status_code == 302


def test_idle_timeout(world, client):
    _login(client, "manager_a")
    with client.session_transaction() as session:
        session["last_seen"] -= 31 * 60
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_absolute_timeout(world, client):
    _login(client, "manager_a")
    with client.session_transaction() as session:
        session["login_at"] -= 12 * 3600 + 1
    assert client.get("/").status_code == 302


def test_cookie_flags(world, client):
    response = _login(client, "manager_a")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_sensitive_admin_view_needs_fresh_login(world, login_as):
    client = login_as(world.admin)
    with client.session_transaction() as session:
        session["auth_at"] -= 3600
    response = client.get("/admin/users/new")
    assert response.status_code == 302
    assert "/account/reauth" in response.headers["Location"]
    confirm = client.post(response.headers["Location"], data={"password": PASSWORD})
    assert confirm.headers["Location"] == "/admin/users/new"
    assert client.get("/admin/users/new").status_code == 200


@pytest.mark.parametrize("target", ["https://elsewhere.example/", "//elsewhere.example/x", "/\\elsewhere"])
def test_next_to_another_site_is_ignored(world, client, target):
    response = client.post(f"/login?next={target}", data={"username": "manager_a", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_expired_password_must_be_changed(world, client, db):
    world.manager_a.password_changed_at = utcnow() - timedelta(days=181)
    db.session.commit()
    response = _login(client, "manager_a")
    assert response.headers["Location"] == "/account/password"
    assert client.get("/bases").headers["Location"] == "/account/password"


def test_disabled_user_token_dies(world, client, api_headers, db):
    headers = api_headers(world.manager_a)
    assert client.get("/api/v1/bases", headers=headers).status_code == 200
    world.manager_a.is_enabled = False
    db.session.commit()
    assert client.get("/api/v1/bases", headers=headers).status_code == 401


def test_api_ignores_session_cookies(world, client):
    _login(client, "manager_a")
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/bases").status_code == 401


# ---------------------------------------------------------------- production guard

@pytest.mark.parametrize("problem", ["debug", "short_key", "insecure_cookie", "no_csrf"])
def test_production_refuses_unsafe_settings(monkeypatch, problem):
    key = secrets.token_hex(32)
    monkeypatch.setenv("SECRET_KEY", "short" if problem == "short_key" else key)
    overrides = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "short" if problem == "short_key" else key}
    if problem == "debug":
        overrides["DEBUG"] = True
    if problem == "insecure_cookie":
        overrides["SESSION_COOKIE_SECURE"] = False
    if problem == "no_csrf":
        overrides["WTF_CSRF_ENABLED"] = False
    with pytest.raises(RuntimeError, match="Refusing to start"):
        create_app(ProductionConfig, **overrides)


def test_production_refuses_demo_passwords(monkeypatch, tmp_path):
    from flask_migrate import upgrade

    from base_ops.extensions import db
    from base_ops.seed.loaders import load_demo

    url = f"sqlite:///{tmp_path / 'prod.sqlite3'}"
    dev = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with dev.app_context():
        upgrade()
        load_demo()
        db.session.remove()
    key = secrets.token_hex(32)
    monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="demo passwords"):
        create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=key)
    with dev.app_context():
        for user in db.session.scalars(select(User)):
            user.has_seeded_password = False
        db.session.commit()
        db.session.remove()
    prod = create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=key)
    assert prod.config["SESSION_COOKIE_SECURE"] is True


def test_totp_code_cannot_be_replayed(world, app):
    first, second = app.test_client(), app.test_client()
    code = pyotp.TOTP(world.officer_x.totp_secret).now()
    _login(first, "officer_x")
    assert first.post("/login/otp", data={"code": code}).status_code == 302
    assert first.get("/").status_code == 200
    _login(second, "officer_x")
    replay = second.post("/login/otp", data={"code": code})
    assert replay.status_code == 200  # refused: stays on the code page
    assert second.get("/").status_code == 302

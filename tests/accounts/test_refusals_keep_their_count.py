"""Issue 16, one unit of work: a refused attempt keeps what it counts and audits, and nothing else.

Every refusal below raises after a unit of its own has committed the failure (docs/security.md "Lockout":
a wrong password or code counts, wherever it is typed) and its audit row; had they shared the unit of
the refused change, its rollback would have taken them too. A user name taken by a racing request
between the check and the insert is refused exactly like the check.
"""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import insert, select

from base_ops.accounts import services
from base_ops.accounts.models import Role, SignInThrottle, User
from base_ops.core.audit import AuditEvent
from base_ops.core.db import utcnow
from base_ops.core.errors import ValidationFailed
from tests.conftest import PASSWORD


def _failures(db, user) -> int:
    throttle = db.session.scalar(select(SignInThrottle).where(
        SignInThrottle.name_digest == services._name_digest(user.username)))
    return 0 if throttle is None else throttle.failures


def _audited(db, user, action) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.object_type == "User", AuditEvent.object_id == str(user.id))))


def _wrong_code(secret: str) -> str:
    """A six-digit code of none of the three time steps verify_otp accepts."""
    totp = pyotp.TOTP(secret)
    step = totp.timecode(utcnow())
    taken = {totp.generate_otp(s) for s in (step - 1, step, step + 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in taken)


def test_a_wrong_current_password_on_the_change_form_counts_and_changes_nothing(world, db):
    user = world.manager_a
    before = user.password_hash
    with pytest.raises(ValidationFailed) as caught:
        services.change_password(user, "not-my-password-1", "Brand-New-Pass-77")
    assert "current_password" in caught.value.fields
    assert _failures(db, user) == 1
    assert len(_audited(db, user, "password_change_failed")) == 1
    assert len(_audited(db, user, "login_failed")) == 1
    db.session.refresh(user)
    assert user.password_hash == before


def test_a_refused_new_password_counts_nothing(world, db):
    user = world.manager_a
    with pytest.raises(ValidationFailed) as caught:
        services.change_password(user, PASSWORD, PASSWORD)
    assert "new_password" in caught.value.fields
    assert _failures(db, user) == 0
    assert _audited(db, user, "password_changed") == []


def test_a_wrong_password_at_the_second_factor_change_counts(world, db):
    user = world.officer_x
    with pytest.raises(ValidationFailed) as caught:
        services.begin_totp_change(user, "not-my-password-1", None)
    assert "password" in caught.value.fields
    assert _failures(db, user) == 1
    db.session.refresh(user)
    assert user.totp_pending_secret is None


def test_a_wrong_current_code_at_the_second_factor_change_counts(world, db):
    user = world.officer_x
    with pytest.raises(ValidationFailed) as caught:
        services.begin_totp_change(user, PASSWORD, _wrong_code(user.totp_secret))
    assert "current_code" in caught.value.fields
    assert _failures(db, user) == 1
    assert [e.details_dict["reason"] for e in _audited(db, user, "login_failed")] == ["bad_otp"]
    db.session.refresh(user)
    assert user.totp_pending_secret is None
    assert _audited(db, user, "totp_change_started") == []


def test_a_wrong_code_for_the_new_key_counts_and_enrols_nothing(world, db):
    user = world.manager_a
    secret = services.begin_totp_change(user, PASSWORD, None)
    with pytest.raises(ValidationFailed) as caught:
        services.enrol_totp(user, _wrong_code(secret))
    assert "code" in caught.value.fields
    assert _failures(db, user) == 1
    db.session.refresh(user)
    assert (user.totp_enabled, user.totp_pending_secret) == (False, secret)
    services.enrol_totp(user, pyotp.TOTP(secret).now())
    db.session.refresh(user)
    assert (user.totp_enabled, user.totp_secret, user.totp_pending_secret) == (True, secret, None)
    assert len(_audited(db, user, "totp_enrolled")) == 1


def test_a_token_refused_for_an_expired_password_is_audited(world, db):
    with pytest.raises(services.PasswordChangeRequired):
        services.refuse_token_until_password_changed(world.manager_a)
    assert len(_audited(db, world.manager_a, "api_token_refused")) == 1


def test_a_user_name_taken_meanwhile_is_refused_like_the_check(world, db, monkeypatch):
    """Another administrator's request inserts the name after this one checked it (simulated in the
    step between the check and the insert): the unique constraint refuses it as 422 user_exists."""
    real = services._resolve_scope

    def racing(*args):
        db.session.execute(insert(User).values(username="newcomer", display_name="other", role=Role.AUDITOR,
                                               password_hash="x"))
        return real(*args)

    monkeypatch.setattr(services, "_resolve_scope", racing)
    with pytest.raises(ValidationFailed) as caught:
        services.create_user(None, username="newcomer", role="auditor", password=PASSWORD)
    assert caught.value.code == "user_exists"
    assert list(caught.value.fields) == ["username"]

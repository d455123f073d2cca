"""Account use cases: authenticate, second factor, passwords, user management, tokens.

Each takes plain values and the actor and commits once; every outcome that
security.md lists (login success and failure, lockout, password change, user
and role changes) is audited in the same transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import pyotp
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from base_ops.accounts.models import ApiToken, Role, User
from base_ops.accounts.passwords import hash_password, password_problems, verify_password
from base_ops.core import audit
from base_ops.core.db import utcnow
from base_ops.core.errors import AuthenticationFailed, NotFound, PermissionDenied, ValidationFailed
from base_ops.extensions import db


def _generic_login_error() -> str:
    """The same message whether or not the user exists (security.md)."""
    return _("Wrong user name or password.")


class AccountLocked(PermissionDenied):
    code = "account_locked"


class OtpRequired(AuthenticationFailed):
    code = "otp_required"


# ---------------------------------------------------------------- sign-in

def authenticate(username: str, password: str, now: datetime | None = None) -> User:
    """Check a password, counting failures in the database (lockout across workers).

    security.md: 5 failures in 15 minutes lock the account for 15 minutes; the
    same message whether or not the user exists; every failure and lockout audited.
    """
    now = now or utcnow()
    user = db.session.execute(
        select(User).where(User.username == username).with_for_update(of=User)
    ).scalar_one_or_none()
    if user is None:
        audit.record(None, "login_failed", result="failure", username=username[:64], reason="unknown_user")
        db.session.commit()
        raise AuthenticationFailed(_generic_login_error())
    if user.is_locked(now):
        audit.record(user, "login_refused_locked", user, result="denied")
        db.session.commit()
        raise AccountLocked(_("This account is locked after repeated failures. Try again later."))
    if not user.is_enabled or not verify_password(user.password_hash, password):
        register_failure(user, now, reason="disabled" if not user.is_enabled else "bad_password")
        db.session.commit()
        raise AuthenticationFailed(_generic_login_error())
    return user


def register_failure(user: User, now: datetime, reason: str) -> None:
    cfg = current_app.config
    window_start = user.failed_login_window_started_at
    if window_start is None or now - window_start > cfg["LOCKOUT_WINDOW"]:
        user.failed_login_window_started_at = now
        user.failed_login_count = 0
    user.failed_login_count += 1
    audit.record(user, "login_failed", user, result="failure", reason=reason, failures=user.failed_login_count)
    if user.failed_login_count >= cfg["LOCKOUT_THRESHOLD"]:
        user.locked_until = now + cfg["LOCKOUT_DURATION"]
        user.failed_login_count = 0
        user.failed_login_window_started_at = None
        audit.record(user, "account_locked", user, result="denied", until=user.locked_until.isoformat())


def requires_second_factor(user: User) -> bool:
    return user.totp_enabled or str(user.role) in current_app.config["MFA_REQUIRED_ROLES"]


def verify_otp(user: User, code: str, now: datetime | None = None, secret: str | None = None) -> bool:
    """A 6-digit TOTP code for the user's secret (or a secret being enrolled);
    a failure counts towards lockout."""
    now = now or utcnow()
    secret = secret or user.totp_secret
    code = (code or "").strip().replace(" ", "")
    step = _matching_step(secret, code, now) if secret and code.isdigit() else None
    # A code already used (replayed within its validity window) is refused too.
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        register_failure(user, now, reason="bad_otp")
        db.session.commit()
        return False
    user.totp_last_step = step
    return True


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (of now-30 s, now, now+30 s) whose code matches, else None."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def complete_login(user: User, method: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    user.failed_login_count = 0
    user.failed_login_window_started_at = None
    user.last_login_at = now
    audit.record(user, "login", user, method=method)
    db.session.commit()


def password_expired(user: User, now: datetime | None = None) -> bool:
    max_age = current_app.config["PASSWORD_MAX_AGE_DAYS"]
    if not max_age:
        return False
    return (now or utcnow()) - user.password_changed_at > timedelta(days=max_age)


def logout(user: User) -> None:
    """Ends this and every other session of the user (session version)."""
    user.end_sessions()
    audit.record(user, "logout", user)
    db.session.commit()


# ---------------------------------------------------------------- TOTP enrolment

def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=current_app.config["TOTP_ISSUER"])


def enrol_totp(user: User, secret: str, code: str, now: datetime | None = None) -> None:
    """Turn on the second factor once the user proves the app shows the right code."""
    if not verify_otp(user, code, now, secret=secret):
        raise ValidationFailed.on("code", _("does not match the code shown by the authenticator app"))
    user.totp_secret = secret
    user.totp_enabled = True
    audit.record(user, "totp_enrolled", user)
    db.session.commit()


def reset_totp(actor: User, user: User) -> None:
    user.totp_secret = None
    user.totp_enabled = False
    user.end_sessions()
    audit.record(actor, "totp_reset", user)
    db.session.commit()


# ---------------------------------------------------------------- passwords

def _check_policy(password: str, username: str, field: str = "new_password") -> None:
    problems = password_problems(password, username)
    if problems:
        raise ValidationFailed(f"{field}: " + "; ".join(problems), fields={field: problems})


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Own password change; ends the user's other sessions."""
    if not verify_password(user.password_hash, current_password):
        audit.record(user, "password_change_failed", user, result="failure")
        db.session.commit()
        raise ValidationFailed.on("current_password", _("is not correct"))
    if verify_password(user.password_hash, new_password):
        raise ValidationFailed.on("new_password", _("must differ from the current password"))
    _check_policy(new_password, user.username)
    _set_password(user, new_password)
    audit.record(user, "password_changed", user)
    db.session.commit()


def _set_password(user: User, password: str, seeded: bool = False) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.has_seeded_password = seeded
    user.end_sessions()


def set_password_by_admin(actor: User, user: User, new_password: str) -> None:
    _check_policy(new_password, user.username)
    _set_password(user, new_password)
    user.locked_until = None
    # An admin-set password is known to the admin: the user must change it.
    user.password_changed_at = datetime(2000, 1, 1, tzinfo=utcnow().tzinfo)
    audit.record(actor, "password_reset", user)
    db.session.commit()


def unlock(actor: User, user: User) -> None:
    user.locked_until = None
    user.failed_login_count = 0
    user.failed_login_window_started_at = None
    audit.record(actor, "account_unlocked", user)
    db.session.commit()


# ---------------------------------------------------------------- user management

def _resolve_scope(role: Role, region_code: str | None, base_ids: list[int], enterprise_id: int | None):
    from base_ops.enterprises.models import Enterprise
    from base_ops.org.models import Base, Region

    fields: dict[str, list[str]] = {}
    bases: list = []
    if role == Role.COUNTY_OFFICER:
        if not region_code:
            fields["region_code"] = [_("is required for a county officer")]
        elif db.session.get(Region, region_code) is None:
            fields["region_code"] = [_("no region with code %(code)s", code=region_code)]
    elif region_code:
        fields["region_code"] = [_("only county officers have a region")]
    if role in (Role.BASE_MANAGER, Role.TRAINER):
        bases = list(db.session.execute(select(Base).where(Base.id.in_(base_ids))).scalars())
        missing = sorted(set(base_ids) - {b.id for b in bases})
        if missing:
            fields["base_ids"] = [_("no base with id %(ids)s", ids=", ".join(map(str, missing)))]
        elif not bases:
            fields["base_ids"] = [_("at least one base is required")]
        elif role == Role.TRAINER and len(bases) != 1:
            fields["base_ids"] = [_("a trainer works at exactly one base")]
    elif base_ids:
        fields["base_ids"] = [_("only base managers and trainers have bases")]
    if role == Role.ENTERPRISE:
        if enterprise_id is None:
            fields["enterprise_id"] = [_("is required for an enterprise user")]
        elif db.session.get(Enterprise, enterprise_id) is None:
            fields["enterprise_id"] = [_("no enterprise with id %(id)s", id=enterprise_id)]
    elif enterprise_id is not None:
        fields["enterprise_id"] = [_("only enterprise users have an enterprise")]
    if fields:
        raise ValidationFailed("; ".join(f"{k}: {v[0]}" for k, v in fields.items()), fields=fields)
    return bases


def create_user(
    actor: User | None,
    *,
    username: str,
    role: Role | str,
    password: str,
    display_name: str | None = None,
    region_code: str | None = None,
    base_ids: list[int] | None = None,
    enterprise_id: int | None = None,
    seeded_password: bool = False,
) -> User:
    """Create an account with one role and the scope that role needs."""
    try:
        role = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise ValidationFailed.on("role", _("must be one of %(roles)s", roles=roles)) from None
    username = (username or "").strip()
    if not username or len(username) > 64 or not username.replace("_", "").replace(".", "").replace("-", "").isalnum():
        raise ValidationFailed.on("username", _("use 1-64 letters, digits, '.', '-' or '_'"))
    if db.session.execute(select(User.id).where(User.username == username)).first():
        raise ValidationFailed.on("username", _("is already taken"), code="user_exists")
    if not seeded_password:
        _check_policy(password, username, field="password")
    bases = _resolve_scope(role, region_code, base_ids or [], enterprise_id)
    user = User(
        username=username,
        display_name=(display_name or username).strip(),
        role=role,
        region_code=region_code or None,
        enterprise_id=enterprise_id,
        password_hash="",
        session_version=1,
    )
    user.bases = bases
    _set_password(user, password, seeded=seeded_password)
    db.session.add(user)
    audit.record(actor, "user_created", user, role=role.value, region_code=region_code,
                 base_ids=[b.id for b in bases], enterprise_id=enterprise_id)
    db.session.commit()
    return user


def update_user(
    actor: User,
    user: User,
    *,
    display_name: str,
    role: Role | str,
    region_code: str | None,
    base_ids: list[int],
    enterprise_id: int | None,
    is_enabled: bool,
) -> User:
    """Change role, scope or status; a role or scope change ends the user's sessions."""
    role = Role(role)
    if user.id == actor.id and (role != user.role or not is_enabled):
        raise ValidationFailed.on("role", _("you cannot change your own role or disable yourself"))
    bases = _resolve_scope(role, region_code, base_ids, enterprise_id)
    changed_access = (
        role != user.role
        or (region_code or None) != user.region_code
        or sorted(b.id for b in bases) != sorted(user.base_ids)
        or enterprise_id != user.enterprise_id
        or is_enabled != user.is_enabled
    )
    before = {"role": str(user.role), "region_code": user.region_code, "base_ids": user.base_ids,
              "enterprise_id": user.enterprise_id, "is_enabled": user.is_enabled}
    user.display_name = display_name.strip() or user.username
    user.role = role
    user.region_code = region_code or None
    user.bases = bases
    user.enterprise_id = enterprise_id
    user.is_enabled = is_enabled
    if changed_access:
        user.end_sessions()
        revoke_tokens(user)
    audit.record(actor, "user_updated", user, before=before,
                 after={"role": role.value, "region_code": user.region_code, "base_ids": [b.id for b in bases],
                        "enterprise_id": enterprise_id, "is_enabled": is_enabled})
    db.session.commit()
    return user


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


# ---------------------------------------------------------------- API tokens

def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, via: str) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(hours=current_app.config["API_TOKEN_HOURS"])
    db.session.add(ApiToken(user_id=user.id, token_hash=_token_digest(token), expires_at=expires_at))
    audit.record(user, "api_token_issued", user, via=via)
    db.session.commit()
    return token, expires_at


def user_for_token(token: str) -> User | None:
    """The token's user, unless it expired, was revoked, or the user was disabled."""
    row = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == _token_digest(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    if not row.user.is_enabled:
        return None
    return row.user


def revoke_tokens(user: User) -> None:
    now = utcnow()
    for token in db.session.execute(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).scalars():
        token.revoked_at = now

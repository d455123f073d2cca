"""Account use cases: authenticate, second factor, passwords, user management, tokens.

Each takes plain values and the actor and runs as one unit of work (core/unit_of_work.py); every
outcome that docs/security.md lists (login success and failure, lockout, password change, user
and role changes) is audited in the same transaction. A refused attempt that must still count (a
wrong password or code, a locked name, a refused token) writes its failure and audit rows in a unit
of its own and raises after it: the refusal does not roll back its own bookkeeping.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

import pyotp
from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from base_ops.accounts.models import ApiToken, Role, SignInThrottle, User
from base_ops.accounts.passwords import hash_password, password_problems, verify_password
from base_ops.core import audit
from base_ops.core.db import utcnow
from base_ops.core.errors import AuthenticationFailed, NotFound, PermissionDenied, ValidationFailed
from base_ops.core.unit_of_work import on_constraint, unit_of_work, use_case
from base_ops.extensions import db

# Shape only (one @, a dot in the domain, no spaces): the digest is the test that it arrives.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _email(value: str | None) -> str | None:
    """An address for the reminder digest, or None; 422 on the field when it is not one."""
    email = (value or "").strip() or None
    if email is not None and (len(email) > 254 or not EMAIL.fullmatch(email)):
        raise ValidationFailed.on("email", _("must be an e-mail address"))
    return email


def _generic_login_error() -> str:
    """The same message whether or not the user exists, is disabled or typed a wrong password."""
    return _("Wrong user name or password.")


def _locked_message() -> str:
    """The same for every name, known or not: the lock is on this name from this address."""
    minutes = int(current_app.config["LOCKOUT_DURATION"].total_seconds() // 60)
    return _("Too many failed sign-ins with this user name from your address. Try again in %(minutes)d minutes.",
             minutes=minutes)


class AccountLocked(PermissionDenied):
    code = "account_locked"


class OtpRequired(AuthenticationFailed):
    code = "otp_required"


class PasswordChangeRequired(PermissionDenied):
    code = "password_change_required"


def _username_taken() -> ValidationFailed:
    return ValidationFailed.on("username", _("is already taken"), code="user_exists")


# Two administrators creating one name at once: the loser is told as if the check had seen it.
on_constraint("uq_users_username", _username_taken)


# ---------------------------------------------------------------- sign-in

@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to check when no user has the typed name, so an unknown name costs the same time as a
    known one (no user enumeration by timing)."""
    return hash_password(secrets.token_urlsafe(16))


def _client_address() -> str:
    if has_request_context() and request.remote_addr:
        return request.remote_addr[:45]
    return "local"


def _name_digest(username: str) -> str:
    """The typed name as a keyed digest: it may be a mistyped password or an ID number (never stored)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, username.encode(), hashlib.sha256).hexdigest()


def typed_name_ref(username: str) -> str:
    """What the audit log keeps of a name that is no account: 10 hex digits of its keyed digest, so
    repeated attempts on one name can be grouped, and nothing of what was typed."""
    return _name_digest(username)[:10]


def _throttle(username: str, address: str) -> SignInThrottle | None:
    return db.session.execute(
        select(SignInThrottle)
        .where(SignInThrottle.name_digest == _name_digest(username), SignInThrottle.address == address)
        .with_for_update()
    ).scalar_one_or_none()


def authenticate(username: str, password: str, now: datetime | None = None) -> User:
    """Check a password; failures are counted per typed name and client address in the database.

    docs/security.md, README "Sign-in, sessions and tokens": 5 failures in 15 minutes for one name from one
    address lock that name *at that address* for 15 minutes (403 account_locked, even with the right
    password); other addresses, and so the account's owner, are not locked out. Unknown names are
    counted and answered exactly like known ones, and a password hash is checked either way, so neither
    the answers nor their timing tell whether an account exists. Every failure and lock is audited.
    """
    now = now or utcnow()
    address = _client_address()
    refusal = None
    # The refusal is raised after the unit, so the failure it counts and its audit rows are kept.
    with unit_of_work():
        user = db.session.execute(
            select(User).where(User.username == username).with_for_update(of=User)
        ).scalar_one_or_none()
        throttle = _throttle(username, address)
        password_ok = verify_password(user.password_hash if user is not None else _dummy_hash(), password)
        if throttle is not None and throttle.is_locked(now):
            _audit_sign_in(user, username, "login_refused_locked", result="denied")
            refusal = AccountLocked(_locked_message())
        elif user is None or not user.is_enabled or not password_ok:
            reason = "unknown_user" if user is None else ("disabled" if not user.is_enabled else "bad_password")
            locked = register_failure(username, user, now, reason=reason)
            refusal = AccountLocked(_locked_message()) if locked else AuthenticationFailed(_generic_login_error())
    if refusal is not None:
        raise refusal
    return user


def _audit_sign_in(user: User | None, username: str, action: str, **details) -> None:
    if user is not None:
        audit.record(user, action, user, **details)
    else:
        audit.record(None, action, object_type="typed_name", object_id=typed_name_ref(username),
                     name_length=len(username), **details)


def register_failure(username: str, user: User | None, now: datetime, reason: str) -> bool:
    """Count one failed sign-in for this name from this address; True when it now locks.

    It writes in the caller's unit; a caller that then refuses calls it in a unit that ends before
    the refusal is raised (`_count_failure`), or the count would be rolled back with the refusal."""
    cfg = current_app.config
    address = _client_address()
    throttle = _throttle(username, address)
    if throttle is None:
        throttle = _new_throttle(username, address, user, now)
    if now - throttle.window_started_at > cfg["LOCKOUT_WINDOW"]:
        throttle.window_started_at = now
        throttle.failures = 0
    throttle.failures += 1
    _audit_sign_in(user, username, "login_failed", result="failure", reason=reason, failures=throttle.failures)
    if throttle.failures < cfg["LOCKOUT_THRESHOLD"]:
        return False
    throttle.locked_until = now + cfg["LOCKOUT_DURATION"]
    throttle.failures = 0
    throttle.window_started_at = now
    _audit_sign_in(user, username, "account_locked", result="denied", until=throttle.locked_until.isoformat())
    return True


def _count_failure(username: str, user: User | None, now: datetime, reason: str) -> bool:
    """`register_failure` in a unit of its own, committed before the caller raises its refusal."""
    with unit_of_work():
        return register_failure(username, user, now, reason=reason)


def _new_throttle(username: str, address: str, user: User | None, now: datetime) -> SignInThrottle:
    """The (name, address) row, made in a savepoint: a concurrent failure may have made it first.

    Not a conflict to refuse but a race to join: the savepoint undoes only the losing insert, and the
    failure is counted on the winner's row in the same unit."""
    throttle = SignInThrottle(name_digest=_name_digest(username), address=address,
                              user_id=user.id if user is not None else None, failures=0, window_started_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(throttle)
    except IntegrityError:
        throttle = _throttle(username, address)
    return throttle


def locked_user_ids(now: datetime | None = None) -> set[int]:
    """Accounts that are locked at one address or more just now (the administrator's lists)."""
    now = now or utcnow()
    return set(db.session.scalars(
        select(SignInThrottle.user_id).where(SignInThrottle.user_id.is_not(None), SignInThrottle.locked_until > now)
    ))


def locked_accounts(now: datetime | None = None) -> list:
    """(id, username, locked_until, addresses) of each account locked somewhere now (admin's home)."""
    now = now or utcnow()
    return list(db.session.execute(
        select(User.id, User.username, func.max(SignInThrottle.locked_until).label("locked_until"),
               func.count().label("addresses"))
        .join(SignInThrottle, SignInThrottle.user_id == User.id)
        .where(SignInThrottle.locked_until > now)
        .group_by(User.id, User.username)
        .order_by(User.username)
    ))


def requires_second_factor(user: User) -> bool:
    return user.totp_enabled or str(user.role) in current_app.config["MFA_REQUIRED_ROLES"]


@use_case
def verify_otp(user: User, code: str, now: datetime | None = None, secret: str | None = None) -> bool:
    """A 6-digit TOTP code for the user's secret (or a secret being enrolled);
    a failure counts towards the lock of this name at this address.

    A use case of its own that answers rather than raises: the failure it counts, or the code it
    spends, is committed either way. A caller that refuses on False calls it before its own unit."""
    now = now or utcnow()
    secret = secret or user.totp_secret
    code = (code or "").strip().replace(" ", "")
    step = _matching_step(secret, code, now) if secret and code.isdigit() else None
    # A code already used (replayed within its validity window) is refused too; a new key being
    # enrolled has had no code used yet.
    replayed = (step is not None and secret == user.totp_secret and user.totp_last_step is not None
                and step <= user.totp_last_step)
    if step is None or replayed:
        register_failure(user.username, user, now, reason="bad_otp")
        return False
    user.totp_last_step = step
    return True


def is_locked_here(user: User, now: datetime | None = None) -> bool:
    """Is this user's name locked at the client's address (checked again at the second step)?"""
    throttle = _throttle(user.username, _client_address())
    return throttle is not None and throttle.is_locked(now or utcnow())


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (of now-30 s, now, now+30 s) whose code matches, else None."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


@use_case
def complete_login(user: User, method: str, now: datetime | None = None) -> None:
    """A successful sign-in clears the failures of this name at this address."""
    now = now or utcnow()
    throttle = _throttle(user.username, _client_address())
    if throttle is not None:
        db.session.delete(throttle)
    user.last_login_at = now
    audit.record(user, "login", user, method=method)


def password_expired(user: User, now: datetime | None = None) -> bool:
    max_age = current_app.config["PASSWORD_MAX_AGE_DAYS"]
    if not max_age:
        return False
    return (now or utcnow()) - user.password_changed_at > timedelta(days=max_age)


@use_case
def logout(user: User) -> None:
    """Ends this and every other session of the user, and the user's API tokens (session version)."""
    user.end_sessions()
    audit.record(user, "logout", user)


# ---------------------------------------------------------------- TOTP enrolment

def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=current_app.config["TOTP_ISSUER"])


@use_case
def begin_totp_at_sign_in(user: User) -> str:
    """A user whose role requires a second factor and who has none enrols right after the password:
    a new secret, kept on the user until confirmed (never in the cookie)."""
    if not user.totp_pending_secret:
        user.totp_pending_secret = pyotp.random_base32()
    return user.totp_pending_secret


def begin_totp_change(user: User, password: str, current_code: str | None, now: datetime | None = None) -> str:
    """From the account page, setting up or replacing the second factor needs the password and, when
    one is on, a code of the current one: a session left open, or a stolen cookie, is not enough.
    The checks come before the unit: a wrong password or code is counted, and kept, before the refusal."""
    if is_locked_here(user, now):
        raise AccountLocked(_locked_message())
    if not verify_password(user.password_hash, password or ""):
        _count_failure(user.username, user, now or utcnow(), reason="bad_password")
        raise ValidationFailed.on("password", _("is not correct"))
    if user.totp_enabled and not verify_otp(user, current_code or "", now):
        raise ValidationFailed.on("current_code", _("does not match the code shown by the authenticator app"))
    with unit_of_work():
        user.totp_pending_secret = pyotp.random_base32()
        audit.record(user, "totp_change_started", user)
    return user.totp_pending_secret


def enrol_totp(user: User, code: str, now: datetime | None = None) -> None:
    """Turn on the pending second factor once the user proves the app shows the right code; a new
    second factor ends the user's other sessions and tokens (the caller starts this session anew).
    The code is checked before the unit: a wrong one is counted, and kept, before the refusal."""
    secret = user.totp_pending_secret
    if not secret:
        raise ValidationFailed.on("code", _("start the set-up again: no new key is waiting"))
    if not verify_otp(user, code, now, secret=secret):
        raise ValidationFailed.on("code", _("does not match the code shown by the authenticator app"))
    with unit_of_work():
        replaced = user.totp_enabled
        user.totp_secret = secret
        user.totp_enabled = True
        user.totp_pending_secret = None
        user.end_sessions()
        audit.record(user, "totp_replaced" if replaced else "totp_enrolled", user)


@use_case
def reset_totp(actor: User, user: User) -> None:
    user.totp_secret = None
    user.totp_enabled = False
    user.totp_pending_secret = None
    user.end_sessions()
    audit.record(actor, "totp_reset", user)


# ---------------------------------------------------------------- passwords

def _check_policy(password: str, username: str, field: str = "new_password") -> None:
    problems = password_problems(password, username)
    if problems:
        raise ValidationFailed(f"{field}: " + "; ".join(problems), fields={field: problems})


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Own password change; ends the user's other sessions and tokens.

    A wrong current password counts as a failed sign-in (a stolen session must not become a way to
    guess the password at leisure), and a paused name is refused here too."""
    now = utcnow()
    if is_locked_here(user, now):
        raise AccountLocked(_locked_message())
    if not verify_password(user.password_hash, current_password):
        with unit_of_work():  # ends before the refusal: the failure is counted and kept
            audit.record(user, "password_change_failed", user, result="failure")
            register_failure(user.username, user, now, reason="bad_password")
        raise ValidationFailed.on("current_password", _("is not correct"))
    with unit_of_work():
        if verify_password(user.password_hash, new_password):
            raise ValidationFailed.on("new_password", _("must differ from the current password"))
        _check_policy(new_password, user.username)
        _set_password(user, new_password)
        audit.record(user, "password_changed", user)


def _set_password(user: User, password: str, seeded: bool = False) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.has_seeded_password = seeded
    user.end_sessions()


@use_case
def set_password_by_admin(actor: User, user: User, new_password: str) -> None:
    _check_policy(new_password, user.username)
    _set_password(user, new_password)
    # An admin-set password is known to the admin: the user must change it.
    user.password_changed_at = datetime(2000, 1, 1, tzinfo=utcnow().tzinfo)
    audit.record(actor, "password_reset", user)


@use_case
def unlock(actor: User, user: User) -> None:
    """Lift the user's locks at every address."""
    for throttle in db.session.scalars(select(SignInThrottle).where(SignInThrottle.user_id == user.id)):
        db.session.delete(throttle)
    audit.record(actor, "account_unlocked", user)


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


@use_case
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
    email: str | None = None,
) -> User:
    """Create an account with one role and the scope that role needs (and an e-mail address for the
    reminder digest, optional)."""
    try:
        role = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise ValidationFailed.on("role", _("must be one of %(roles)s", roles=roles)) from None
    username = (username or "").strip()
    if not username or len(username) > 64 or not username.replace("_", "").replace(".", "").replace("-", "").isalnum():
        raise ValidationFailed.on("username", _("use 1-64 letters, digits, '.', '-' or '_'"))
    if db.session.execute(select(User.id).where(User.username == username)).first():
        raise _username_taken()
    if not seeded_password:
        _check_policy(password, username, field="password")
    bases = _resolve_scope(role, region_code, base_ids or [], enterprise_id)
    email = _email(email)
    user = User(
        username=username,
        email=email,
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
    return user


@use_case
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
    email: str | None = None,
) -> User:
    """Change role, scope, status or e-mail address; a role or scope change ends the user's sessions."""
    role = Role(role)
    email = _email(email)
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
    user.email = email
    if changed_access:
        user.end_sessions()  # and so the user's API tokens
    audit.record(actor, "user_updated", user, before=before,
                 after={"role": role.value, "region_code": user.region_code, "base_ids": [b.id for b in bases],
                        "enterprise_id": enterprise_id, "is_enabled": is_enabled})
    return user


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


# ---------------------------------------------------------------- API tokens

def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@use_case
def issue_token(user: User, via: str) -> tuple[str, datetime]:
    """A new bearer token, valid until it expires, is revoked, or the user's sessions end."""
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(hours=current_app.config["API_TOKEN_HOURS"])
    db.session.add(ApiToken(user_id=user.id, token_hash=_token_digest(token), expires_at=expires_at,
                            session_version=user.session_version, issued_via=via[:16]))
    audit.record(user, "api_token_issued", user, via=via)
    return token, expires_at


def refuse_token_until_password_changed(user: User) -> None:
    """An expired or administrator-set password opens nothing but the password page: no API token either.
    The refusal is audited in a unit of its own, kept though the request fails."""
    with unit_of_work():
        audit.record(user, "api_token_refused", user, result="denied", reason="password_change_required")
    raise PasswordChangeRequired(_("Your password has expired or was set by an administrator. Change it on the "
                                   "web (Account → Change password) before asking for a token."))


def user_for_token(token: str) -> User | None:
    """The token's user, unless the token expired or was revoked, the user's sessions ended since it was
    issued (ApiToken.is_valid), or the user must change the password first (as on the web)."""
    row = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == _token_digest(token))
    ).scalar_one_or_none()
    if row is None or not row.is_valid(utcnow()) or password_expired(row.user):
        return None
    return row.user


def active_tokens(user: User) -> list[ApiToken]:
    """The tokens that still open the API, newest first (the account page and the admin's user page)."""
    rows = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
                               ApiToken.expires_at > utcnow(), ApiToken.session_version == user.session_version)
        .order_by(ApiToken.id.desc())
    )
    return list(rows)


@use_case
def revoke_token(actor: User, user: User, token_id: int) -> None:
    """End one of the user's tokens (own account page, or the administrator)."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None or token.revoked_at is not None:
        raise NotFound(_("No such token."))
    token.revoked_at = utcnow()
    audit.record(actor, "api_token_revoked", token, owner_id=user.id)


@use_case
def end_all_sessions(actor: User, user: User) -> None:
    """The administrator signs a user out everywhere: every session and every token."""
    user.end_sessions()
    audit.record(actor, "sessions_ended", user)

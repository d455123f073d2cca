"""Who is asking: cookie sessions for pages, bearer tokens for the API.

A session cookie stores "user_id:session_version"; the loader rejects it once
the user's version moved on (logout, password or role change), so a replayed
old cookie is worthless. The API ignores cookies entirely and accepts only
bearer tokens, which is why it can be exempt from CSRF.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, current_user
from sqlalchemy.orm import lazyload

from base_ops.core.api import is_api_request
from base_ops.core.db import utcnow
from base_ops.core.redirects import path_of_same_site_url
from base_ops.extensions import db


def init_login_manager(login_manager: LoginManager) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = None  # the session version does this job

    @login_manager.user_loader
    def load_user(user_key: str):
        from base_ops.accounts.models import User

        if is_api_request():
            return None
        try:
            user_id, version = (int(part) for part in user_key.split(":"))
        except ValueError:
            return None
        # Bases and enterprise only when a page asks for them: most pages of a county officer never do,
        # and this runs on every request (two statements fewer; README "Performance").
        user = db.session.get(User, user_id, options=[lazyload(User.bases), lazyload(User.enterprise)])
        if user is None or not user.is_enabled or user.session_version != version:
            return None
        return user

    @login_manager.request_loader
    def load_user_from_token(req):
        from base_ops.accounts.services import user_for_token

        if not is_api_request():
            return None
        header = req.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return user_for_token(token.strip())


def login_rate_limit() -> str:
    """Flask-Limiter's limit for every way to sign in: the forms and POST /api/v1/auth/tokens
    (docs/security.md "Rate limit on login"; LOGIN_RATE_LIMIT, per client address)."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def start_session(user) -> None:
    """A new session at login: nothing from the anonymous session survives."""
    from flask_login import login_user

    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user, remember=False)
    now = utcnow().timestamp()
    session["login_at"] = now
    session["last_seen"] = now
    session["auth_at"] = now
    session.permanent = True


def is_fresh() -> bool:
    auth_at = session.get("auth_at")
    window = current_app.config["FRESH_LOGIN_WINDOW"].total_seconds()
    return auth_at is not None and utcnow().timestamp() - auth_at <= window


def fresh_login_required(view):
    """Sensitive views need a password typed within the last few minutes (docs/security.md)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user.is_authenticated and not is_fresh():
            flash(_("Please confirm your password to continue."), "info")
            # `back`: the page the user came from, where the download-started page leads back to.
            back = path_of_same_site_url(request.referrer, request.host)
            return redirect(url_for("accounts.reauthenticate", next=request.full_path, back=back))
        return view(*args, **kwargs)

    return wrapper

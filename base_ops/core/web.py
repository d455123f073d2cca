"""Request hooks shared by pages and API: access control, session timeouts,
security headers, error rendering, language choice."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from base_ops.core import audit
from base_ops.core.api import error_body, is_api_request
from base_ops.core.db import utcnow
from base_ops.core.errors import DomainError
from base_ops.core.permissions import ANY_USER, PUBLIC, access_for
from base_ops.extensions import db

log = logging.getLogger(__name__)

bp = Blueprint("core", __name__)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
}


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.post("/language")
def set_language():
    code = request.form.get("lang", "")
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.referrer or ""
    # Only same-site paths: never an open redirect.
    if not target.startswith(request.host_url):
        return redirect(url_for("home.index"))
    return redirect(target)


def _session_expired(now: datetime) -> bool:
    cfg = current_app.config
    last_seen = session.get("last_seen")
    login_at = session.get("login_at")
    if last_seen is None or login_at is None:
        return True
    if now.timestamp() - last_seen > cfg["SESSION_IDLE_TIMEOUT"].total_seconds():
        return True
    return now.timestamp() - login_at > cfg["SESSION_ABSOLUTE_TIMEOUT"].total_seconds()


def enforce_session_timeouts():
    """Idle 30 minutes and absolute 12 hours (security.md), for cookie sessions."""
    if is_api_request() or request.endpoint == "static":
        return None
    if not current_user.is_authenticated:
        return None
    now = utcnow()
    if _session_expired(now):
        logout_user()
        session.clear()
        flash(_("Your session has expired. Please sign in again."), "warning")
        return redirect(url_for("accounts.login"))
    session["last_seen"] = now.timestamp()
    return None


def enforce_access():
    """The permission matrix, for every request (fail closed)."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no route: the 404/405 handler answers
    rule = access_for(endpoint)
    if rule == PUBLIC:
        return None
    if not current_user.is_authenticated:
        if is_api_request():
            return jsonify(error_body("unauthenticated", _("Authentication required: send a bearer token."))), 401
        next_url = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("accounts.login", next=next_url))
    if rule == ANY_USER or (rule is not None and current_user.role in rule):
        return None
    if rule is None:
        log.error("endpoint %s is missing from the permission matrix", endpoint)
    audit.record(current_user, "access_denied", result="denied", object_type="endpoint", object_id=endpoint)
    db.session.commit()
    return _error_response(403, _("You do not have permission to open this page."))


def security_headers(response):
    csp = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers.setdefault("Content-Security-Policy", csp)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("HSTS"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint != "static" and (current_user.is_authenticated or is_api_request()):
        # Pages and API answers may carry personal data: never cache them.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def _error_response(status: int, message: str, code: str | None = None, fields: dict | None = None):
    if is_api_request():
        return jsonify(error_body(code or HTTP_CODES.get(status, "error"), message, fields)), status
    return render_template("errors/error.html", status=status, message=message), status


def handle_http_exception(error: HTTPException):
    data = getattr(error, "data", None) or {}
    status = error.code or 500
    if status == 422 and "messages" in data:
        # webargs validation: {"json": {"field": ["problem"]}} -> {"field": [...]}
        fields: dict[str, list[str]] = {}
        for location_errors in data["messages"].values():
            for field, problems in location_errors.items():
                fields[field] = _flatten(problems)
        names = ", ".join(sorted(fields))
        return _error_response(422, _("Invalid input: %(fields)s", fields=names), "validation_error", fields)
    messages = {
        400: _("The request could not be understood."),
        404: _("This page does not exist, or it is outside your scope."),
        405: _("This action is not allowed here."),
        413: _("The upload is too large."),
        429: _("Too many attempts. Please wait a minute and try again."),
    }
    message = data.get("message") or messages.get(status) or error.description or error.name
    return _error_response(status, message)


def _flatten(problems) -> list[str]:
    if isinstance(problems, dict):
        return [f"{k}: {p}" for k, v in problems.items() for p in _flatten(v)]
    if isinstance(problems, list):
        return [str(p) for p in problems]
    return [str(problems)]


def handle_domain_error(error: DomainError):
    db.session.rollback()
    if is_api_request():
        body = error_body(error.code, error.message, error.fields)
        body["error"].update(error.extra)
        return jsonify(body), error.status
    return _error_response(error.status, error.message, error.code, error.fields)


def handle_unexpected(error: Exception):
    db.session.rollback()
    if isinstance(error, OperationalError) and "locked" in str(error.orig):
        # SQLite busy beyond its timeout: a conflict the user can retry, not a crash.
        return _error_response(409, _("The system is busy with another change. Please try again."), "busy")
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _error_response(500, _("Something went wrong on our side. The error has been logged."))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(enforce_session_timeouts)
    app.before_request(enforce_access)
    app.after_request(security_headers)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(Exception, handle_unexpected)

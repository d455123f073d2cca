"""Request hooks shared by pages and API: access control, session timeouts,
security headers, error rendering, language choice."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import (
    Blueprint,
    Flask,
    Request,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
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

from base_ops.core import audit, bounds
from base_ops.core.api import (
    IdConverter,
    TextConverter,
    error_body,
    is_api_path,
    is_api_request,
    translate_problem,
)
from base_ops.core.db import WRITING_METHODS, utcnow
from base_ops.core.errors import DatabaseUnavailable, DomainError, ValidationFailed, is_database_unavailable
from base_ops.core.permissions import ANY_USER, PUBLIC, access_for
from base_ops.core.redirects import path_of_same_site_url
from base_ops.core.unit_of_work import busy, discard, is_busy, unit_of_work
from base_ops.extensions import db, login_manager

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
    503: "database_unavailable",
}
RETRY_AFTER_SECONDS = 5  # a PostgreSQL restart takes a few seconds
LAST_SEEN_STEP_SECONDS = 15


class BaseOpsRequest(Request):
    """Pages take HTML forms only; a JSON body is the API's alone.

    Flask-WTF reads a JSON body as the form's data whenever there is one, so a body that did not parse (or
    nested deep enough for RecursionError) raised inside every form a page builds, even the sign-out form
    of the error page: the error could not be drawn, a 500. To pages a JSON body is now no form at all."""

    @property
    def is_json(self) -> bool:
        return super().is_json and is_api_path(self.path)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.post("/language")
def set_language():
    code = request.form.get("lang", "")
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    # Back to the page it came from, if that is on this site (core.redirects: never an open redirect).
    return redirect(path_of_same_site_url(request.referrer, request.host) or url_for("home.index"))


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
    """Idle 30 minutes and absolute 12 hours (docs/security.md), for cookie sessions."""
    if is_api_request() or request.endpoint == "static":
        return None
    # The cookie says whether someone signed in; the user row is loaded only when a page needs it, so a
    # signed-in request to a public endpoint costs no query (issue 20: the signed-in floor).
    if session.get("_user_id") is None:
        return None
    now = utcnow()
    if _session_expired(now):
        logout_user()
        session.clear()
        flash(_("Your session has expired. Please sign in again."), "warning")
        return redirect(url_for("accounts.login"))
    # Rewritten (and the cookie re-signed) at most every LAST_SEEN_STEP seconds, not on every request; the
    # idle timeout is 30 minutes, so it ends at most that much later.
    if now.timestamp() - session["last_seen"] >= LAST_SEEN_STEP_SECONDS:
        session["last_seen"] = now.timestamp()
    return None


def refuse_nul_characters():
    """A NUL in a query string or form field is refused up front, naming the field (422): PostgreSQL text
    cannot hold one, so it would otherwise end as a database error and a 500 wherever the value is
    used (API bodies are checked by StrictSchema, path parameters by TextConverter)."""
    sources = [request.args, request.form] if request.method in WRITING_METHODS else [request.args]
    for source in sources:
        for field, value in source.items(multi=True):
            if "\x00" in field or "\x00" in value:
                raise ValidationFailed.on(field.replace("\x00", ""), _("must not contain a NUL character"))


def refuse_unreadable_json():
    """A JSON body nested too deep or holding an endless number is refused up front (422 naming the body),
    before any schema or view reads it (bounds.check_json_body). Pages read no JSON: BaseOpsRequest."""
    if request.is_json:
        bounds.check_json_body(request.get_data(cache=True))


def refuse_body_where_none_is_taken():
    """docs/api.md: unknown body fields are a 422. An API action that takes no body (submit, approve, open,
    close, cancel…) has no schema to refuse them, so a JSON object sent to it is refused here, each key
    named, instead of being silently ignored."""
    if request.method not in WRITING_METHODS or not is_api_request() or not request.is_json:
        return
    if request.endpoint is None:
        return  # no such route or method: the 404/405 handler answers
    view = current_app.view_functions.get(request.endpoint)
    arguments = (getattr(view, "_apidoc", None) or {}).get("arguments", {}).get("parameters", [])
    if any(argument.get("in") in ("json", "form", "files") for argument in arguments):
        return  # the schema decides
    body = request.get_json(silent=True)
    if body in (None, {}):
        return
    problem = _("Unknown field.")
    if isinstance(body, dict):
        raise ValidationFailed(_("This operation takes no request body."), fields={key: [problem] for key in body})
    raise ValidationFailed(_("This operation takes no request body."))


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
    with unit_of_work():
        audit.record(current_user, "access_denied", result="denied", object_type="endpoint", object_id=endpoint)
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
    # "_user_id" (Flask-Login's key) rather than current_user: after a commit the user's fields are expired
    # and reading them would ask the database again, which may be restarting by now (tests/load).
    if request.endpoint != "static" and (session.get("_user_id") is not None or is_api_request()):
        # Pages and API answers may carry personal data: never cache them.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def _error_response(status: int, message: str, code: str | None = None, fields: dict | None = None):
    if is_api_request():
        return jsonify(error_body(code or HTTP_CODES.get(status, "error"), message, fields)), status
    return render_template("errors/error.html", status=status, message=message), status


def handle_http_exception(error: HTTPException):
    original = getattr(error, "original_exception", None)  # a 500 for an error outside the view
    if original is not None and is_database_unavailable(original):
        return handle_database_unavailable(original)
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
    if status == 400 and is_api_request():
        # A body that is not JSON at all (webargs answers 400): docs/api.md knows bad input only as 422.
        return _error_response(422, _("The request body is not valid JSON."), "validation_error")
    messages = {
        400: _("The request could not be understood."),
        404: _("This page does not exist, or it is outside your scope."),
        405: _("This action is not allowed here."),
        413: _("The upload is too large."),
        429: _("Too many attempts. Please wait a minute and try again."),
    }
    message = data.get("message") or messages.get(status) or error.description or error.name
    response = make_response(_error_response(status, message))
    if status == 405 and getattr(error, "valid_methods", None):
        # RFC 9110: a 405 names the methods the resource does allow (werkzeug's own page would).
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _flatten(problems) -> list[str]:
    if isinstance(problems, dict):
        return [f"{k}: {p}" for k, v in problems.items() for p in _flatten(v)]
    if isinstance(problems, list):
        return [translate_problem(str(p)) for p in problems]
    return [translate_problem(str(problems))]


def handle_domain_error(error: DomainError):
    discard()
    if is_api_request():
        body = error_body(error.code, error.message, error.fields)
        body["error"].update(error.extra)
        return jsonify(body), error.status
    return _error_response(error.status, error.message, error.code, error.fields)


def handle_database_unavailable(error: Exception):
    """503 with Retry-After while the database restarts or is unreachable, never a 500 page.

    Nothing here may touch the database: the session's dead transaction is dropped and the page
    is drawn as for a visitor (the signed-in user could not be loaded, and his session cookie is
    left as it is). The next request gets a fresh connection (pool_pre_ping) once the server is back.
    """
    # The driver's message only: SQLAlchemy's own text carries the statement's parameters (names, ID numbers).
    log.warning("database unavailable on %s %s: %s", request.method, request.path, getattr(error, "orig", error))
    try:
        discard()
    except Exception:  # the connection is gone: nothing to roll back
        log.debug("rollback after a lost connection failed", exc_info=True)
    g._login_user = login_manager.anonymous_user()  # Flask-Login's per-request user
    unavailable = DatabaseUnavailable(_("The database is not reachable just now (it may be restarting). Please "
                                        "try again in a moment; if you were saving something, check whether it "
                                        "was saved."))
    response = make_response(_error_response(unavailable.status, unavailable.message, unavailable.code))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def handle_unexpected(error: Exception):
    if is_database_unavailable(error):
        return handle_database_unavailable(error)
    discard()
    if isinstance(error, OperationalError) and is_busy(error):
        # SQLite busy beyond its timeout: a conflict the user can retry, not a crash.
        conflict = busy()
        return _error_response(conflict.status, conflict.message, conflict.code)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _error_response(500, _("Something went wrong on our side. The error has been logged."))


def init_app(app: Flask) -> None:
    app.request_class = BaseOpsRequest
    # Before any route is added:
    app.url_map.converters.update({"int": IdConverter, "default": TextConverter, "string": TextConverter})
    app.register_blueprint(bp)
    app.before_request(enforce_session_timeouts)
    app.before_request(enforce_access)
    app.before_request(refuse_nul_characters)
    app.before_request(refuse_unreadable_json)
    app.before_request(refuse_body_where_none_is_taken)
    app.after_request(security_headers)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(Exception, handle_unexpected)
    app.teardown_appcontext(end_session_quietly_if_database_lost)


def end_session_quietly_if_database_lost(_error: BaseException | None = None) -> None:
    """Close the request's session; if its connection died meanwhile (a database restart between the
    request's last statement and its end), drop it instead of failing the finished response.

    Runs before Flask-SQLAlchemy's own teardown (teardowns run in reverse order of registration),
    which then finds nothing left to close. Without it the ROLLBACK on the dead connection raised
    out of the WSGI call and gunicorn answered a bare 500 to a request that had been served.
    Whatever the request committed is committed; a dead transaction has nothing left to undo.
    """
    try:
        db.session.remove()
    except Exception as error:
        if not is_database_unavailable(error):
            raise
        log.warning("database connection lost at the end of a request: %s", getattr(error, "orig", error))
        db.session.registry.clear()  # the connection is already invalidated: forget the session

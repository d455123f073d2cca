"""Domain errors: named in domain words, carrying the API code and status.

Services raise these; views turn them into a flash message, the API into the
error body of docs/api.md: {"error": {"code", "message", "fields"}}.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 409
    code = "conflict"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None,
                 code: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code
        self.extra = extra or {}


class ValidationFailed(DomainError):
    """Bad input: 422, with the fields at fault."""

    status = 422
    code = "validation_error"

    @classmethod
    def on(cls, field: str, problem: str, code: str | None = None) -> ValidationFailed:
        return cls(f"{field}: {problem}", fields={field: [problem]}, code=code)


class NotEligible(ValidationFailed):
    """A person or claim does not meet an eligibility rule (admission, enrolment, subsidy): 422 not_eligible,
    naming the field at fault. The one class for every such refusal."""

    code = "not_eligible"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class NotFound(DomainError):
    """Missing or outside the actor's scope: the two are deliberately the same."""

    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class AuthenticationFailed(DomainError):
    status = 401
    code = "invalid_credentials"


class DatabaseUnavailable(DomainError):
    """The database cannot be reached just now (restarting, down, out of connections): 503, try again.

    docs/security.md "Reliability": a database restart during load is survived — requests caught in it
    get this clear answer, never a 500 traceback page, and the next request after the restart is
    served again (pool_pre_ping replaces the dead pooled connections).
    """

    status = 503
    code = "database_unavailable"


# PostgreSQL SQLSTATEs (appendix A) meaning "the server is not there for you right now": class 08
# (connection exception) and these: admin_shutdown (pg_ctl stop/restart -m fast ends the sessions),
# crash_shutdown, cannot_connect_now (still starting up), too_many_connections.
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def is_database_unavailable(error: BaseException) -> bool:
    """Whether an exception from SQLAlchemy means the database is unreachable, not that a statement is wrong.

    True for: the pool waiting in vain for a connection; a connection SQLAlchemy found dead (and
    invalidated); a PostgreSQL error of the SQLSTATEs above; a psycopg failure with no SQLSTATE at
    all (refused, reset, lost: the server never answered). A bad statement, a constraint or SQLite's
    "database is locked" are not: they keep their own handling.
    """
    from sqlalchemy import exc

    if isinstance(error, exc.TimeoutError):  # QueuePool limit reached and pool_timeout ran out
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate:
        return sqlstate.startswith("08") or sqlstate in UNAVAILABLE_SQLSTATES
    return isinstance(error, exc.OperationalError) and type(error.orig).__module__.startswith("psycopg")

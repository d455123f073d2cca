"""Domain errors: named in domain words, carrying the API code and status.

Services raise these; views turn them into a flash message, the API into the
error body of api.md: {"error": {"code", "message", "fields"}}.
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

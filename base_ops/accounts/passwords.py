"""Password hashing and policy (docs/security.md: length ≥ 10, common passwords refused;
complexity and maximum age configurable)."""

from __future__ import annotations

from functools import lru_cache
from itertools import pairwise

from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from base_ops.config import PROJECT_ROOT

COMMON_PASSWORDS_FILE = PROJECT_ROOT / "seed" / "common_passwords.txt"


def hash_password(password: str) -> str:
    # werkzeug's default is scrypt with a random salt per hash.
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _is_trivial(password: str) -> bool:
    """One repeated character, or a run of consecutive characters (1234567890, abcdefghij)."""
    if len(set(password)) == 1:
        return True
    steps = {ord(b) - ord(a) for a, b in pairwise(password)}
    return steps in ({1}, {-1})


def password_problems(password: str, username: str | None = None) -> list[str]:
    """Human-readable reasons the password is refused; empty when it is acceptable."""
    cfg = current_app.config
    problems = []
    minimum = cfg["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        problems.append(_("must be at least %(minimum)d characters long", minimum=minimum))
    lowered = password.lower()
    if lowered in _common_passwords() or _is_trivial(password):
        problems.append(_("is too common or too easy to guess"))
    if username and username.lower() in lowered:
        problems.append(_("must not contain the user name"))
    if cfg["PASSWORD_REQUIRE_COMPLEXITY"]:
        classes = sum(
            [
                any(c.islower() for c in password),
                any(c.isupper() for c in password),
                any(c.isdigit() for c in password),
                any(not c.isalnum() for c in password),
            ]
        )
        if classes < 3:
            problems.append(_("must mix at least three of: lower case, upper case, digits, symbols"))
    return problems

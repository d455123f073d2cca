"""Configuration classes, read from the environment (twelve-factor style)."""

from __future__ import annotations

import math
import os
from collections import Counter
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


class Config:
    """Defaults for the embedded set-up (SQLite under instance/)."""

    ENV_NAME = "development"
    DEBUG = False
    TESTING = False
    # No hard-coded fallback key: without SECRET_KEY a random key is made per
    # process (sessions then die at restart), and production refuses to start.
    SECRET_KEY = os.environ.get("SECRET_KEY") or os.urandom(32).hex()
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or (
        f"sqlite:///{PROJECT_ROOT / 'instance' / 'base_ops.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL")
    # Reverse proxies in front of the app (nginx = 1). Their X-Forwarded-For/-Proto/-Host are trusted
    # for that many hops, so audit rows and rate limits see the client's address, not the proxy's.
    PROXY_HOPS = _env_int("PROXY_HOPS", 0)
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER") or str(PROJECT_ROOT / "instance" / "uploads")
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)
    EXPORT_BACKGROUND_ROWS = _env_int("EXPORT_BACKGROUND_ROWS", 20_000)  # larger exports run as background jobs
    EXPORT_FOLDER = os.environ.get("EXPORT_FOLDER") or str(PROJECT_ROOT / "instance" / "exports")  # job files
    EXPORT_KEEP_HOURS = _env_int("EXPORT_KEEP_HOURS", 24)  # a job's file is deleted this long after it is ready
    # Who runs export jobs: "auto" = RQ when REDIS_URL is set, else a worker thread; tests use "inline".
    EXPORT_RUNNER = os.environ.get("EXPORT_RUNNER") or "auto"

    # Sessions (docs/security.md: HttpOnly, SameSite=Lax, Secure in production;
    # idle 30 minutes, absolute 12 hours).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    SESSION_IDLE_TIMEOUT = timedelta(minutes=_env_int("SESSION_IDLE_MINUTES", 30))
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=_env_int("SESSION_ABSOLUTE_HOURS", 12))
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("SESSION_ABSOLUTE_HOURS", 12))
    FRESH_LOGIN_WINDOW = timedelta(minutes=_env_int("FRESH_LOGIN_MINUTES", 10))
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)

    # Password policy (docs/security.md; MLPS asks for complexity and maximum age,
    # ASVS discourages them: complexity off, maximum age 180 days by default).
    PASSWORD_MIN_LENGTH = _env_int("PASSWORD_MIN_LENGTH", 10)
    PASSWORD_REQUIRE_COMPLEXITY = _env_bool("PASSWORD_REQUIRE_COMPLEXITY", False)
    PASSWORD_MAX_AGE_DAYS = _env_int("PASSWORD_MAX_AGE_DAYS", 180)
    LOCKOUT_THRESHOLD = _env_int("LOCKOUT_THRESHOLD", 5)
    LOCKOUT_WINDOW = timedelta(minutes=_env_int("LOCKOUT_WINDOW_MINUTES", 15))
    LOCKOUT_DURATION = timedelta(minutes=_env_int("LOCKOUT_MINUTES", 15))
    # Second factor: required for these roles, optional for the others.
    MFA_REQUIRED_ROLES = tuple(
        r.strip()
        for r in os.environ.get("MFA_REQUIRED_ROLES", "admin,auditor,county_officer").split(",")
        if r.strip()
    )
    TOTP_ISSUER = os.environ.get("TOTP_ISSUER", "base_ops")
    API_TOKEN_HOURS = _env_int("API_TOKEN_HOURS", 8)

    # Flask-Limiter: Redis storage when REDIS_URL is set, memory otherwise.
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    # Redis down (tests/load, README "Load and faults"): limits fall back to each process's memory
    # (logged; Redis is tried again now and then) and an error beyond that is logged, not a 500; a
    # hung Redis stalls a sign-in by at most a second.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1} if REDIS_URL else {}
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "20 per minute")

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the session's own timeouts bound the token

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")

    # flask-smorest / OpenAPI
    API_TITLE = "base_ops API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    API_PAGE_DEFAULT = 50
    API_PAGE_MAX = 500
    # The daily reminder digest (reminders/mail.py): sent only when MAIL_SERVER is set; links use BASE_URL.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_FROM = os.environ.get("MAIL_FROM", "base-ops@localhost")
    BASE_URL = os.environ.get("BASE_URL", "http://localhost:8000")

    HSTS = False

    @classmethod
    def check(cls, app) -> None:
        """Development and tests accept any settings."""


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production-0123456789"  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    # Tests use a cheap hash; the algorithm is the same family as production.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - not a password


# A session-signing key must not be guessable: 32 characters of one repeated letter, or a word
# typed four times, pass a length check. The estimate below (Shannon entropy of the key's own
# characters times its length) is an upper bound on what the key can hold; a random key from
# `secrets.token_hex(32)` scores about 245 (a 32-digit hex key about 115), "a" * 32 scores 0.
MIN_SECRET_KEY_BITS = 90


def estimated_entropy_bits(key: str) -> float:
    """Shannon entropy of the key's characters times its length; 0 for a key that walks the alphabet
    ("0123456789…", "abcabc…") or repeats a character, whatever its length."""
    if not key:
        return 0.0
    steps = [ord(b) - ord(a) for a, b in pairwise(key)]
    if sum(1 for step in steps if abs(step) <= 1) > len(steps) / 2:
        return 0.0
    counts = Counter(key)
    return -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values()) * len(key)


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    HSTS = True

    @classmethod
    def check(cls, app) -> None:
        """Refuse to start with unsafe settings (docs/security.md, production guard)."""
        problems = []
        # `flask run` reads FLASK_DEBUG (set by it or by `flask --debug run`) only after the app is made,
        # and then serves Werkzeug's interactive console: the environment decides, not app.debug alone.
        if app.debug or app.config.get("DEBUG") or _env_bool("FLASK_DEBUG", False):
            problems.append("DEBUG is on (DEBUG or FLASK_DEBUG)")
        key = os.environ.get("SECRET_KEY") or ""
        if app.config.get("SECRET_KEY") != key or len(key) < 32:
            problems.append("SECRET_KEY must be set in the environment, at least 32 characters")
        elif estimated_entropy_bits(key) < MIN_SECRET_KEY_BITS:
            problems.append(f"SECRET_KEY is too predictable (about {estimated_entropy_bits(key):.0f} bits; "
                            f"at least {MIN_SECRET_KEY_BITS} needed): make one with "
                            "python -c 'import secrets; print(secrets.token_hex(32))'")
        if not app.config.get("SESSION_COOKIE_SECURE"):
            problems.append("SESSION_COOKIE_SECURE is off")
        if not app.config.get("WTF_CSRF_ENABLED"):
            problems.append("CSRF protection is off")
        if problems:
            raise RuntimeError("Refusing to start in production: " + "; ".join(problems))


CONFIGS = {"development": Config, "testing": TestConfig, "production": ProductionConfig}


def config_from_env() -> type[Config]:
    return CONFIGS[os.environ.get("BASE_OPS_ENV", "development")]

"""Redis down: the sign-in forms keep working and keep their rate limit (in memory per process).

docs/security.md "Rate limit on login" (on the sign-in forms) and "Reliability" (the app keeps
serving when a dependency restarts). Redis holds the shared limit counters; when it is
unreachable Flask-Limiter falls back to the process's memory (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED)
instead of answering 500. The live version, Redis stopped under load, is `make load`.
"""

from __future__ import annotations

import socket

from base_ops import create_app
from base_ops.config import TestConfig


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_login_limit_falls_back_to_memory_when_redis_is_unreachable(app):
    """Three sign-in posts against a limit of two a minute with Redis gone: 200, 200, 429 — never 500.
    The posts are empty forms, refused before any database access, so only the limiter is exercised."""
    fresh = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute",
                       RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{_closed_port()}/0",
                       RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": 1, "socket_timeout": 1})
    client = fresh.test_client()
    statuses = [client.post("/login", data={}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]

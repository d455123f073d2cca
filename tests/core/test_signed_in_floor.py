"""The floor of a signed-in request (issue 20): a public endpoint costs a signed-in user no SQL — the user
row is read only when a page needs it — and the session's idle clock is rewritten at most every
LAST_SEEN_STEP_SECONDS, not on every request; the idle timeout still ends a session."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from base_ops.core import web
from base_ops.core.db import utcnow


def _statements(app, db, action) -> list[str]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen


def test_signed_in_healthz_runs_no_sql(app, db, world, login_as):
    client = login_as(world.officer_x)
    assert client.get("/healthz").status_code == 200
    assert _statements(app, db, lambda: client.get("/healthz")) == []
    # A page still loads the user and answers as that user.
    assert client.get("/residents").status_code == 200


def test_last_seen_moves_in_steps_and_idle_still_ends_the_session(app, db, world, login_as):
    client = login_as(world.officer_x)
    with client.session_transaction() as session:
        recent = utcnow().timestamp() - 2
        session["last_seen"] = recent
    client.get("/residents")
    with client.session_transaction() as session:
        assert session["last_seen"] == recent  # 2 s old: not rewritten
        session["last_seen"] = utcnow().timestamp() - web.LAST_SEEN_STEP_SECONDS - 1
    client.get("/residents")
    with client.session_transaction() as session:
        assert utcnow().timestamp() - session["last_seen"] < 5  # stale: moved to now
        session["last_seen"] = (utcnow() - app.config["SESSION_IDLE_TIMEOUT"] - timedelta(seconds=1)).timestamp()
    response = client.get("/residents")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # Even a public endpoint ends an idle session: the next page asks to sign in.
    assert client.get("/residents").status_code == 302

"""Use cases of reminders: the daily run and dismissing an item.

The run is one unit of work (docs/architecture.md rule 4): it asks every source (reminders/sources.py) for
the day's candidates, inserts those not yet stored, and closes (done) the open items no source returns any
more: the thing was done. An item once done or dismissed is never reopened: the insert skips any stored
(user, kind, object, due day), whatever its status, in the database itself (ON CONFLICT DO NOTHING on the
unique constraint), so two runs on one day add nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from base_ops.core import clock
from base_ops.core.db import utcnow
from base_ops.core.errors import NotFound
from base_ops.core.transitions import transition
from base_ops.core.unit_of_work import before_first_write, use_case
from base_ops.extensions import db
from base_ops.reminders import sources
from base_ops.reminders.models import Reminder, ReminderStatus

CHUNK = 500  # rows per INSERT / UPDATE statement (SQLite's limit on bound parameters)


@dataclass
class RunResult:
    day: date
    added: int
    closed: int
    open: int


def candidates_on(day: date) -> dict[tuple, sources.Candidate]:
    """Every source's candidates for `day`, once each (a user may be reached twice: manager and claimant)."""
    found: dict[tuple, sources.Candidate] = {}
    for source in sources.SOURCES:
        for candidate in source(day):
            found.setdefault(candidate.key, candidate)
    return found


def _insert(rows: list[dict]) -> int:
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    added = 0
    for start in range(0, len(rows), CHUNK):
        # RETURNING counts what was really inserted (rowcount of a multi-row insert is not reliable everywhere).
        result = db.session.execute(insert(Reminder).values(rows[start:start + CHUNK]).on_conflict_do_nothing()
                                    .returning(Reminder.id))
        added += len(result.all())
    return added


@use_case
def run(day: date | None = None) -> RunResult:
    """Compute the day's items for everyone; see the module's docstring."""
    day = day or clock.today()
    found = candidates_on(day)
    open_rows = db.session.execute(
        select(Reminder.id, Reminder.user_id, Reminder.kind, Reminder.object_type, Reminder.object_id,
               Reminder.due_on).where(Reminder.status == ReminderStatus.OPEN)
    ).all()
    stored = {(r.user_id, str(r.kind), r.object_type, r.object_id, r.due_on) for r in open_rows}
    to_close = [r.id for r in open_rows if (r.user_id, str(r.kind), r.object_type, r.object_id, r.due_on) not in found]
    before_first_write()
    rows = [{"user_id": c.user_id, "kind": c.kind, "object_type": c.object_type, "object_id": c.object_id,
             "due_on": c.due_on, "status": str(ReminderStatus.OPEN), "created_on": day}
            for key, c in found.items() if key not in stored]
    added = _insert(rows) if rows else 0
    now = utcnow()
    for start in range(0, len(to_close), CHUNK):
        db.session.execute(update(Reminder).where(Reminder.id.in_(to_close[start:start + CHUNK]),
                                                  Reminder.status == ReminderStatus.OPEN)
                           .values(status=ReminderStatus.DONE, closed_at=now))
    open_count = db.session.execute(
        select(func.count()).select_from(Reminder).where(Reminder.status == ReminderStatus.OPEN)
    ).scalar_one()
    return RunResult(day=day, added=added, closed=len(to_close), open=open_count)


def get_reminder(actor, reminder_id: int) -> Reminder:
    """The actor's own item; anyone else's is 404 (no leak that it exists)."""
    reminder = db.session.execute(
        select(Reminder).where(Reminder.id == reminder_id, Reminder.user_id == actor.id)
    ).scalar_one_or_none()
    if reminder is None:
        raise NotFound(_("No such reminder."))
    return reminder


@use_case
def dismiss(actor, reminder_id: int) -> Reminder:
    """The owner puts an open item away (it never comes back); dismissing a closed one changes nothing."""
    reminder = get_reminder(actor, reminder_id)
    if reminder.status == ReminderStatus.OPEN:
        # Compare-and-set on status (core/transitions.py): a run closing it at the same moment wins, and this
        # request gets 409 invalid_transition.
        transition(reminder, ReminderStatus.DISMISSED, actor=actor, values={"closed_at": utcnow()})
    return reminder

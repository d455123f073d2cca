"""Read-only selects of reminders: always the reader's own items."""

from __future__ import annotations

from sqlalchemy import Select, func, select

from base_ops.extensions import db
from base_ops.reminders.models import Reminder, ReminderStatus

# The "done" tab shows what closed, by itself or dismissed.
CLOSED = (ReminderStatus.DONE, ReminderStatus.DISMISSED)


def reminders_of(actor, status: str = "open") -> Select:
    """The actor's open items, or closed ones (done or dismissed); unordered (the API pages by id)."""
    stmt = select(Reminder).where(Reminder.user_id == actor.id)
    if status == "open":
        return stmt.where(Reminder.status == ReminderStatus.OPEN)
    return stmt.where(Reminder.status.in_(CLOSED))


def page_of(actor, status: str = "open", limit: int = 200) -> list[Reminder]:
    """The inbox page: open items soonest due first, closed ones last closed first."""
    stmt = reminders_of(actor, status)
    order = ((Reminder.due_on, Reminder.id) if status == "open" else (Reminder.closed_at.desc(), Reminder.id.desc()))
    return list(db.session.execute(stmt.order_by(*order).limit(limit)).scalars())


def open_count(user_id: int) -> int:
    """The top bar's badge: one COUNT on the (user_id, status) index."""
    return db.session.execute(
        select(func.count()).select_from(Reminder)
        .where(Reminder.user_id == user_id, Reminder.status == ReminderStatus.OPEN)
    ).scalar_one()

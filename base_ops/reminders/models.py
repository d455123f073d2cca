"""Reminder tables: each user's items, and the day each user's mail digest went out.

An item is stored as its kind and the object it is about, never as a sentence: the title is built when
it is shown, in the reader's language, from the object (reminders/vocabulary.py).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from base_ops.core.enums import enum_column
from base_ops.core.transitions import StateMachine
from base_ops.extensions import db


class ReminderKind(enum.StrEnum):
    RECEIPT_DUE = "receipt_due"
    ARRIVAL_EXPECTED = "arrival_expected"
    OVERSTAY = "overstay"
    ABSENCE = "absence"
    RETENTION_CHECK_DUE = "retention_check_due"
    CLAIM_WAITING = "claim_waiting"
    MONTHLY_REPORT_DUE = "monthly_report_due"
    SUPPORT_ENDING = "support_ending"
    ALLOWANCE_ENDING = "allowance_ending"
    FOLLOW_UP_DUE = "follow_up_due"


class ReminderStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"  # the thing was done: the daily run found no candidate for it any more
    DISMISSED = "dismissed"  # the owner put it away


# An open item is closed by the daily run (done: in bulk, a compare-and-set on status = open for all the
# items at once, services.run) or dismissed by its owner; a closed item never opens again.
REMINDER_MOVES = {
    ReminderStatus.OPEN: frozenset({ReminderStatus.DONE, ReminderStatus.DISMISSED}),
    ReminderStatus.DONE: frozenset(),
    ReminderStatus.DISMISSED: frozenset(),
}


def _reminder_mover(actor, reminder, target) -> bool:
    """Only the owner dismisses his item; `done` is the run's alone (no user makes it)."""
    return (target == ReminderStatus.DISMISSED and reminder is not None
            and getattr(actor, "id", None) == reminder.user_id)


def _status_word(status: str) -> str:
    from base_ops.reminders.vocabulary import STATUS_LABELS  # the vocabulary imports the models

    return str(STATUS_LABELS.get(ReminderStatus(status), status))


def _moved_first() -> str:
    return _("This reminder was closed in the meantime; reload the page.")


class Reminder(db.Model):
    """One item of one user's inbox. (user, kind, object, due day) is unique in the database, so an item
    never repeats and two runs on one day add nothing (docs/architecture.md rule 5)."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[ReminderKind] = mapped_column(enum_column(ReminderKind, "reminder_kind"))
    object_type: Mapped[str] = mapped_column(String(30))  # notice, stay, absence, placement, claim, region, resident
    object_id: Mapped[str] = mapped_column(String(20))  # an id, or a region code with a month ("330106:2026-11")
    due_on: Mapped[date]
    status: Mapped[ReminderStatus] = mapped_column(enum_column(ReminderStatus, "reminder_status"),
                                                   default=ReminderStatus.OPEN)
    created_on: Mapped[date]  # the day of the run that found it
    closed_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("user_id", "kind", "object_type", "object_id", "due_on"),
        # The top bar's count: one indexed COUNT per signed-in request (issue 20 measures the floor).
        Index("ix_reminders_user_id_status", "user_id", "status"),
    )

    transitions = StateMachine(moves=REMINDER_MOVES, movers=_reminder_mover, words=_status_word,
                               moved_first=_moved_first)


class ReminderDigest(db.Model):
    """The day a user's digest was mailed: at most one a day, whatever the number of runs."""

    __tablename__ = "reminder_digests"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    sent_on: Mapped[date] = mapped_column(primary_key=True)

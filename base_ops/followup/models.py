"""Follow-up tables: the contacts due after a discharge (follow_up_dues) and the contacts made (follow_ups).

The schedule and the rule that closes a due are in docs/domain.md "Follow-up after discharge".
"""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from base_ops.core.db import TimestampMixin
from base_ops.core.enums import enum_column
from base_ops.extensions import db


class ContactMethod(enum.StrEnum):
    VISIT = "visit"  # 走访
    PHONE = "phone"  # 电话
    OTHER = "other"


class Outcome(enum.StrEnum):
    STABLE = "stable"  # 稳定
    EMPLOYED = "employed"  # 就业
    UNEMPLOYED = "unemployed"  # 未就业
    MISSING = "missing"  # 脱管: not found, whereabouts unknown
    REOFFENDED = "reoffended"  # 重新犯罪
    DECEASED = "deceased"  # 死亡


# Outcomes that clear a 脱管 flag: the person has been found and is settled (docs/domain.md "Follow-up after
# discharge"); `unemployed` is found too, so it clears it as well.
FOUND_OUTCOMES = frozenset({Outcome.STABLE, Outcome.EMPLOYED, Outcome.UNEMPLOYED})
# Outcomes after which no further contact is due: the remaining dues are cancelled.
ENDING_OUTCOMES = frozenset({Outcome.REOFFENDED, Outcome.DECEASED})


class DueStatus(enum.StrEnum):
    """Read from the row (there is no status column): done, cancelled, missed (its window closed), or due."""

    DUE = "due"
    DONE = "done"
    MISSED = "missed"
    CANCELLED = "cancelled"


class FollowUp(TimestampMixin, db.Model):
    """One contact with a person after his discharge (帮教回访), by a base manager or a county officer."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    contacted_on: Mapped[date]
    method: Mapped[ContactMethod] = mapped_column(enum_column(ContactMethod, "follow_up_method"))
    outcome: Mapped[Outcome] = mapped_column(enum_column(Outcome, "follow_up_outcome"))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The recorder's side: his base (a manager) or his region (a county officer).
    base_id: Mapped[int | None] = mapped_column(ForeignKey("bases.id"))
    region_code: Mapped[str | None] = mapped_column(String(6))

    recorded_by = relationship("User", lazy="joined")

    __table_args__ = (Index("ix_follow_ups_resident_contacted", "resident_id", "contacted_on"),)


class FollowUpDue(TimestampMixin, db.Model):
    """A contact due after a discharge: `sequence` 1, 2, … of the stay's schedule, due on `due_on`; a contact
    in [due_on − 15 days, closes_on) closes it (closes_on: the next due's day, or the day after the support
    period ends for the last)."""

    __tablename__ = "follow_up_dues"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    stay_id: Mapped[int] = mapped_column(ForeignKey("stays.id"))
    sequence: Mapped[int]
    due_on: Mapped[date] = mapped_column(index=True)
    closes_on: Mapped[date]
    done_follow_up_id: Mapped[int | None] = mapped_column(ForeignKey("follow_ups.id"))
    cancelled_on: Mapped[date | None]

    resident = relationship("Resident", lazy="joined")
    done_follow_up = relationship("FollowUp", lazy="joined")

    __table_args__ = (
        UniqueConstraint("stay_id", "sequence"),
        CheckConstraint("sequence > 0", name="sequence_positive"),
        CheckConstraint("closes_on > due_on", name="closes_after_due"),
    )

    def status_on(self, day: date) -> DueStatus:
        if self.done_follow_up_id is not None:
            return DueStatus.DONE
        if self.cancelled_on is not None:
            return DueStatus.CANCELLED
        return DueStatus.MISSED if self.closes_on <= day else DueStatus.DUE

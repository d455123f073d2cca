"""Courses, sessions, enrolments and attendance (docs/domain.md "Training").

Capacity is held by the database: `courses.enrolled_count` is incremented in
the same transaction as the enrolment and a CHECK keeps it within capacity, so
two enrolments racing for the last place cannot both succeed. Attendance is
unique per (session, resident): saving again updates, never duplicates.
An enrolment's status (enrolled, withdrawn) is a state machine declared on the model
(core/transitions.py), which also records each move's audit row.
"""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from base_ops.core import audit
from base_ops.core.db import TimestampMixin
from base_ops.core.enums import enum_column
from base_ops.core.roles import Role
from base_ops.core.transitions import StateMachine
from base_ops.extensions import db


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    LATE = "late"
    ABSENT = "absent"
    EXCUSED = "excused"


class EnrolmentStatus(enum.StrEnum):
    ENROLLED = "enrolled"
    WITHDRAWN = "withdrawn"


class Course(TimestampMixin, db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("bases.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    skill: Mapped[str] = mapped_column(String(30))  # 电焊, 烹饪, 家政, 电工, 叉车 ... (older rows: 保安)
    trainer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    capacity: Mapped[int]
    enrolled_count: Mapped[int] = mapped_column(default=0)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    # Completion when the course has ended and the attendance rate meets this (default 80%).
    completion_threshold: Mapped[Decimal] = mapped_column(Numeric(4, 3), default=Decimal("0.800"))
    certificate_type: Mapped[str | None] = mapped_column(String(100))

    base = relationship("Base", lazy="joined")
    trainer = relationship("User", lazy="joined")
    sessions: Mapped[list[CourseSession]] = relationship(back_populates="course", order_by="CourseSession.held_on")

    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("enrolled_count >= 0 AND enrolled_count <= capacity", name="within_capacity"),
        CheckConstraint("hours > 0", name="hours_positive"),
        CheckConstraint("completion_threshold > 0 AND completion_threshold <= 1", name="threshold_fraction"),
    )


class CourseSession(TimestampMixin, db.Model):
    __tablename__ = "course_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    held_on: Mapped[date]
    hours: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    topic: Mapped[str | None] = mapped_column(String(100))

    course: Mapped[Course] = relationship(back_populates="sessions")

    __table_args__ = (
        UniqueConstraint("course_id", "held_on"),
        CheckConstraint("hours > 0", name="hours_positive"),
    )


E = EnrolmentStatus
# Withdrawn from a course, a resident may be enrolled again (the same row: one per course and resident).
ENROLMENT_MOVES: dict[EnrolmentStatus, frozenset[EnrolmentStatus]] = {
    E.ENROLLED: frozenset({E.WITHDRAWN}),
    E.WITHDRAWN: frozenset({E.ENROLLED}),
}
# The base manager enrols and withdraws (the trainer teaches and marks attendance).
ENROLMENT_MOVERS: dict[EnrolmentStatus, frozenset[Role]] = {
    E.ENROLLED: frozenset({Role.BASE_MANAGER}),
    E.WITHDRAWN: frozenset({Role.BASE_MANAGER}),
}
# Each move has its own audit action, so the record of a move is the machine's `event` (its one
# `audit_action` could not say "enrolled" and "withdrawn"); a first enrolment writes the same row.
ENROLMENT_AUDIT_ACTIONS = {E.ENROLLED.value: "resident_enrolled", E.WITHDRAWN.value: "resident_withdrawn"}


def record_enrolment_move(actor, enrolment: Enrolment, previous: str | None, status: str) -> None:
    """The audit row of an enrolment (a first one, or enrolled again) or a withdrawal."""
    audit.record(actor, ENROLMENT_AUDIT_ACTIONS[str(status)], enrolment, course_id=enrolment.course_id,
                 resident_id=enrolment.resident_id)


def _status_word(status: str) -> str:
    """The translated word for a status in messages (imported late: the vocabulary imports the models)."""
    from base_ops.training.vocabulary import enrolment_status_word

    return enrolment_status_word(status)


def _moved_first() -> str:
    return _("Someone else changed this enrolment first. Reload and try again.")


class Enrolment(TimestampMixin, db.Model):
    __tablename__ = "enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    stay_id: Mapped[int] = mapped_column(ForeignKey("stays.id"))
    enrolled_on: Mapped[date]
    status: Mapped[EnrolmentStatus] = mapped_column(enum_column(EnrolmentStatus, "enrolment_status"),
                                                    default=EnrolmentStatus.ENROLLED)
    certificate_number: Mapped[str | None] = mapped_column(String(50))
    certificate_on: Mapped[date | None]

    course: Mapped[Course] = relationship(lazy="joined")
    resident = relationship("Resident", lazy="joined")

    __table_args__ = (
        UniqueConstraint("course_id", "resident_id"),
        # A certificate number is recorded once per course (NULLs, not yet certified, do not clash).
        UniqueConstraint("course_id", "certificate_number"),
    )

    transitions = StateMachine(moves=ENROLMENT_MOVES, movers=ENROLMENT_MOVERS, words=_status_word,
                               moved_first=_moved_first, event=record_enrolment_move)

    @classmethod
    def may_move(cls, actor, status: str, move: str, *, certified: bool = False) -> bool:
        """Whether the actor may move an enrolment in `status` to `move`; a certificate holder is not withdrawn
        (for the course page's rows, which are not Enrolment objects)."""
        if move == E.WITHDRAWN and certified:
            return False
        return cls.transitions.may(actor, EnrolmentStatus(status), move)

    def can(self, move: str, actor) -> bool:
        """Whether the actor may move this enrolment to `move` now (the page shows "withdraw" by it)."""
        return self.may_move(actor, self.status, move, certified=bool(self.certificate_number))

    def moves_for(self, actor) -> list[EnrolmentStatus]:
        return [move for move in self.transitions.moves_for(actor, EnrolmentStatus(self.status), instance=self)
                if self.can(move, actor)]


class Attendance(TimestampMixin, db.Model):
    __tablename__ = "attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("course_sessions.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus, "attendance_status"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        UniqueConstraint("session_id", "resident_id"),
        Index("ix_attendance_enrolment_status", "enrolment_id", "status"),
    )

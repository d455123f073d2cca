"""Courses, sessions, enrolments and attendance (docs/domain.md "Training").

Capacity is held by the database: `courses.enrolled_count` is incremented in
the same transaction as the enrolment and a CHECK keeps it within capacity, so
two enrolments racing for the last place cannot both succeed. Attendance is
unique per (session, resident): saving again updates, never duplicates.
"""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from base_ops.core.db import TimestampMixin
from base_ops.core.enums import enum_column
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
    skill: Mapped[str] = mapped_column(String(30))  # 电焊, 烹饪, 家政, 电工, 叉车, 保安 ...
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

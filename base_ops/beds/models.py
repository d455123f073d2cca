"""Bed assignments: nights [start_on, end_on) a resident holds a bed.

No double-booking (docs/domain.md "At the base"): a bed holds at most one resident
per night and a resident at most one bed per night. On PostgreSQL two exclusion
constraints (btree_gist, daterange overlap) hold it; on SQLite, which has none,
partial unique indexes hold the open-ended case and the assigning service takes
the database write lock before checking overlaps (see beds.services).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from base_ops.core.db import TimestampMixin
from base_ops.extensions import db


class BedAssignment(TimestampMixin, db.Model):
    __tablename__ = "bed_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    stay_id: Mapped[int] = mapped_column(ForeignKey("stays.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    bed_id: Mapped[int] = mapped_column(ForeignKey("beds.id"), index=True)
    start_on: Mapped[date]
    end_on: Mapped[date | None] = mapped_column(index=True)  # assignments overlapping a month (reports)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    bed = relationship("Bed", lazy="joined")
    stay = relationship("Stay")

    __table_args__ = (
        CheckConstraint("end_on IS NULL OR end_on > start_on", name="assignment_not_empty"),
        Index("uq_bed_assignments_open_bed", "bed_id", unique=True,
              sqlite_where=text("end_on IS NULL"), postgresql_where=text("end_on IS NULL")),
        Index("uq_bed_assignments_open_resident", "resident_id", unique=True,
              sqlite_where=text("end_on IS NULL"), postgresql_where=text("end_on IS NULL")),
        Index("ix_bed_assignments_bed_nights", "bed_id", "start_on", "end_on"),
    )

    def covers(self, night: date) -> bool:
        return self.start_on <= night and (self.end_on is None or night < self.end_on)

"""Background export jobs and submitted monthly reports (月报).

An export job is the record of one large spreadsheet built off the request: who
asked for what, how far it has got, where the file is and when it goes away
(kept 24 hours). A monthly report version is frozen once written: the app has no
update path for it; a correction is a new version with a reason (docs/domain.md
"Rates and reports").
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from base_ops.core.db import TimestampMixin
from base_ops.core.enums import enum_column
from base_ops.extensions import db


class ExportStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"  # the file was deleted after its 24 hours


class ExportJob(TimestampMixin, db.Model):
    __tablename__ = "export_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # which export, e.g. "placements"
    params: Mapped[dict] = mapped_column(JSON, default=dict)  # the filter used, as plain JSON values
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[ExportStatus] = mapped_column(enum_column(ExportStatus, "export_status"),
                                                 default=ExportStatus.QUEUED, index=True)
    rows_total: Mapped[int | None]
    rows_done: Mapped[int] = mapped_column(default=0)
    filename: Mapped[str | None] = mapped_column(String(200))  # the name offered on download
    stored_name: Mapped[str | None] = mapped_column(String(80), unique=True)  # file under EXPORT_FOLDER
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None] = mapped_column(index=True)

    requested_by = relationship("User")

    __table_args__ = (
        CheckConstraint("rows_done >= 0", name="rows_done_not_negative"),
    )


class MonthlyReport(TimestampMixin, db.Model):
    """One submitted version of a county's month; figures frozen as JSON."""

    __tablename__ = "monthly_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    version: Mapped[int]
    figures: Mapped[dict] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)  # required from version 2 on (a correction)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime]

    submitted_by = relationship("User")
    region = relationship("Region", lazy="joined")

    __table_args__ = (
        UniqueConstraint("region_code", "month", "version", name="uq_monthly_reports_version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("version = 1 OR reason IS NOT NULL", name="correction_has_reason"),
        Index("ix_monthly_reports_region_month", "region_code", "month"),
    )

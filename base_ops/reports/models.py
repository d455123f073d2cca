"""Background export jobs and submitted monthly reports (月报).

An export job is the record of one large spreadsheet built off the request: who
asked for what, how far it has got, where the file is and when it goes away
(kept 24 hours). No user moves a job: the runner and the purge do (`SYSTEM`), as
`ExportJob.transitions` declares. A monthly report version is frozen once written:
the app has no update path for it; a correction is a new version with a reason
(docs/domain.md "Rates and reports"); who submits and who corrects is declared on
`MonthlyReport`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from base_ops.core.db import TimestampMixin
from base_ops.core.enums import enum_column
from base_ops.core.errors import PermissionDenied
from base_ops.core.roles import Role
from base_ops.core.transitions import StateMachine
from base_ops.extensions import db
from base_ops.org.models import RegionLevel


class ExportStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"  # the file was deleted after its 24 hours


class _System:
    """The actor of the moves no user makes: the export runner (RQ worker or thread) and the purge.

    The kernel's state machine turns a None actor away before it asks the movers, so the system acts
    under this name. It has no id, role or user name: nothing of it is stored.
    """

    id = None
    role = None
    username = None

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = _System()

E = ExportStatus
# The life of an export job (reports/exports/services.py). A runner claims a queued job, finishes or fails
# it, and puts a running job back in the queue when the database went away mid-run (it is tried again);
# the purge expires a finished job's file and fails a job whose runner is gone (queued or running too long).
# There is no cancel.
EXPORT_MOVES: dict[ExportStatus, frozenset[ExportStatus]] = {
    E.QUEUED: frozenset({E.RUNNING, E.FAILED}),
    E.RUNNING: frozenset({E.DONE, E.FAILED, E.QUEUED}),
    E.DONE: frozenset({E.EXPIRED}),
    E.FAILED: frozenset(),
    E.EXPIRED: frozenset(),
}


def _only_the_system(actor, job: ExportJob | None, target: ExportStatus) -> bool:
    """Every move of a job is the system's; the requester only asks for it and downloads it."""
    return actor is SYSTEM


def _job_moved_first() -> str:
    return _("Another runner moved this export first.")


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

    transitions = StateMachine(moves=EXPORT_MOVES, movers=_only_the_system, moved_first=_job_moved_first)

    def can(self, move: str, actor) -> bool:
        """Whether the actor may move this job to `move` now (only SYSTEM ever may)."""
        return self.transitions.may(actor, ExportStatus(self.status), move, instance=self)


class MonthlyMove(enum.StrEnum):
    """What a county's officer does to its month; each makes a new frozen version."""

    SUBMIT = "submit"  # version 1
    CORRECT = "correct"  # version 2 on: needs a reason


# A county's month has no status column: it is unsubmitted until version 1, then submitted, and each move
# adds a version. The compare-and-set is the unique (region, month, version): of two submissions of the same
# version, the database keeps one (reports/monthly/services.py maps the violation to 409 version_exists).
MONTHLY_MOVES: dict[str, frozenset[MonthlyMove]] = {
    "unsubmitted": frozenset({MonthlyMove.SUBMIT}),
    "submitted": frozenset({MonthlyMove.CORRECT}),
}
# A correction says why (the CHECK correction_has_reason holds it in the database too).
NEEDS_REASON = frozenset({MonthlyMove.CORRECT})


def _own_county_officer(actor, region, move: MonthlyMove) -> bool:
    """Only a county officer of the county itself submits or corrects its month; officers of a city or
    province read the counties under them (docs/domain.md: county → city). `region` is the county's Region."""
    return (getattr(actor, "role", None) == Role.COUNTY_OFFICER and region is not None
            and bool(actor.region_code) and region.code == actor.region_code
            and RegionLevel(region.level) == RegionLevel.COUNTY)


def _not_own_county() -> PermissionDenied:
    return PermissionDenied(_("Only the county's own officer submits its monthly report."))


def _version_moved_first() -> str:
    return _("Someone else submitted this month at the same time; reload the page to see it.")


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

    transitions = StateMachine(moves=MONTHLY_MOVES, movers=_own_county_officer, refused=_not_own_county,
                               moved_first=_version_moved_first)

    @classmethod
    def next_move(cls, latest_version: int) -> MonthlyMove:
        """The move that makes the next version of a month whose latest is `latest_version` (0: none yet)."""
        (move,) = cls.transitions.moves["unsubmitted" if latest_version == 0 else "submitted"]
        return move

    @classmethod
    def can(cls, move: MonthlyMove, actor, region) -> bool:
        """Whether the actor makes `move` on this county's months (the month page shows its form by it, the
        service refuses by it). `region` is the county's Region: there may be no version yet to ask."""
        return cls.transitions.is_mover(actor, move, instance=region)

    @staticmethod
    def needs_reason(move: MonthlyMove) -> bool:
        return move in NEEDS_REASON


# ---------------------------------------------------------------- monthly summaries kept ready (issue 20)

# The additive measures a dashboard sums, in the order of the metric statements (reports/metrics/queries.py).
# Counts of distinct people (residents served) do not add across months and are not kept here.
SUMMARY_COUNTS = (
    "bed_nights_available", "bed_nights_occupied",
    "leavers", "leavers_counted", "leavers_employed", "reoffended", "stay_days_total",
    "stay_le_30", "stay_31_60", "stay_61_90", "stay_91_180", "stay_gt_180",
    "retention_3_reached", "retention_3_employed", "retention_6_reached", "retention_6_employed",
    "enrolments", "completions", "attendance_attended", "attendance_expected",
    "claims_approved", "claims_paid", "claims_filed",
)
SUMMARY_AMOUNTS = ("claims_approved_amount", "claims_paid_amount", "claims_filed_amount")


class ReportSummary(db.Model):
    """The measures of one base in one month (its summarized days), as the live statements counted them when the
    summary was built (`flask reports summarize`, reports/summaries.py). Each metric's statement writes its own
    rows, then the build folds them into one "overview" row per base and month. Claims filed are kept per kind
    and current status ("claims_filed" rows, the dashboard's claims tables); other rows leave both empty."""

    __tablename__ = "report_summaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    base_id: Mapped[int] = mapped_column(ForeignKey("bases.id"))
    metric: Mapped[str] = mapped_column(String(20))
    claim_kind: Mapped[str] = mapped_column(String(30), default="")
    claim_status: Mapped[str] = mapped_column(String(20), default="")
    bed_nights_available: Mapped[int] = mapped_column(default=0)
    bed_nights_occupied: Mapped[int] = mapped_column(default=0)
    leavers: Mapped[int] = mapped_column(default=0)
    leavers_counted: Mapped[int] = mapped_column(default=0)
    leavers_employed: Mapped[int] = mapped_column(default=0)
    reoffended: Mapped[int] = mapped_column(default=0)
    stay_days_total: Mapped[int] = mapped_column(default=0)
    stay_le_30: Mapped[int] = mapped_column(default=0)
    stay_31_60: Mapped[int] = mapped_column(default=0)
    stay_61_90: Mapped[int] = mapped_column(default=0)
    stay_91_180: Mapped[int] = mapped_column(default=0)
    stay_gt_180: Mapped[int] = mapped_column(default=0)
    retention_3_reached: Mapped[int] = mapped_column(default=0)
    retention_3_employed: Mapped[int] = mapped_column(default=0)
    retention_6_reached: Mapped[int] = mapped_column(default=0)
    retention_6_employed: Mapped[int] = mapped_column(default=0)
    enrolments: Mapped[int] = mapped_column(default=0)
    completions: Mapped[int] = mapped_column(default=0)
    attendance_attended: Mapped[int] = mapped_column(default=0)
    attendance_expected: Mapped[int] = mapped_column(default=0)
    claims_approved: Mapped[int] = mapped_column(default=0)
    claims_approved_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=0)
    claims_paid: Mapped[int] = mapped_column(default=0)
    claims_paid_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=0)
    claims_filed: Mapped[int] = mapped_column(default=0)
    claims_filed_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=0)

    __table_args__ = (
        # One row per base, month and kind of row: a build that ran twice cannot double a figure (the months'
        # primary key already refuses the second of two concurrent builds; this holds for any writer).
        Index("uq_report_summaries_row", "month", "base_id", "metric", "claim_kind", "claim_status", unique=True),
    )


class ReportSummaryMonth(db.Model):
    """A month the summaries hold: its days before `summarized_until` (the next month's first day for a closed
    month; the build's day for the current month), and when it was built — the page's "as of" time. A month
    without a row here, and the days from `summarized_until` on, are read from the live statements."""

    __tablename__ = "report_summary_months"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    summarized_until: Mapped[date]
    built_at: Mapped[datetime]

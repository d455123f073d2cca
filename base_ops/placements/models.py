"""Referrals (推荐), their status history, placements (hires) and retention checks."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from base_ops.core.db import TimestampMixin, utcnow
from base_ops.core.enums import enum_column
from base_ops.core.roles import Role
from base_ops.core.transitions import StateMachine
from base_ops.extensions import db


class ReferralStatus(enum.StrEnum):
    REFERRED = "referred"
    INTERVIEWING = "interviewing"
    OFFERED = "offered"
    HIRED = "hired"
    DECLINED_BY_EMPLOYER = "declined_by_employer"
    DECLINED_BY_RESIDENT = "declined_by_resident"
    WITHDRAWN = "withdrawn"


ACTIVE_REFERRAL_STATUSES = (ReferralStatus.REFERRED, ReferralStatus.INTERVIEWING, ReferralStatus.OFFERED)

S = ReferralStatus
# Moves POST /referrals/<id>/status may make; `hired` only through a placement, and back to
# `offered` only by undoing it.
REFERRAL_MOVES: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    S.REFERRED: frozenset({S.INTERVIEWING, S.DECLINED_BY_EMPLOYER, S.DECLINED_BY_RESIDENT, S.WITHDRAWN}),
    S.INTERVIEWING: frozenset({S.OFFERED, S.DECLINED_BY_EMPLOYER, S.DECLINED_BY_RESIDENT, S.WITHDRAWN}),
    S.OFFERED: frozenset({S.DECLINED_BY_EMPLOYER, S.DECLINED_BY_RESIDENT, S.WITHDRAWN}),
    S.HIRED: frozenset(),
    S.DECLINED_BY_EMPLOYER: frozenset(),
    S.DECLINED_BY_RESIDENT: frozenset(),
    S.WITHDRAWN: frozenset(),
}
# Who makes which move: the enterprise runs its interviews and offers; the base manager
# withdraws his referral; either may record that the resident declined.
REFERRAL_MOVERS: dict[ReferralStatus, frozenset[Role]] = {
    S.INTERVIEWING: frozenset({Role.ENTERPRISE}),
    S.OFFERED: frozenset({Role.ENTERPRISE}),
    S.DECLINED_BY_EMPLOYER: frozenset({Role.ENTERPRISE}),
    S.DECLINED_BY_RESIDENT: frozenset({Role.ENTERPRISE, Role.BASE_MANAGER}),
    S.WITHDRAWN: frozenset({Role.BASE_MANAGER}),
}


def _status_word(status: str) -> str:
    """The translated word for a status in messages (imported late: the vocabulary imports the models)."""
    from base_ops.enterprises.vocabulary import status_word

    return status_word(status)


def _moved_first() -> str:
    return _("Someone else moved this referral first. Reload and try again.")


class Referral(TimestampMixin, db.Model):
    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("job_postings.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("bases.id"), index=True)
    status: Mapped[ReferralStatus] = mapped_column(enum_column(ReferralStatus, "referral_status"),
                                                   default=ReferralStatus.REFERRED)
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    posting = relationship("JobPosting", lazy="joined")
    resident = relationship("Resident", lazy="joined")
    events: Mapped[list[ReferralEvent]] = relationship(order_by="ReferralEvent.id")

    __table_args__ = (UniqueConstraint("posting_id", "resident_id"),)

    transitions = StateMachine(moves=REFERRAL_MOVES, movers=REFERRAL_MOVERS, words=_status_word,
                               moved_first=_moved_first)

    def can(self, move: str, actor) -> bool:
        """Whether the actor may move this referral to `move` now (the pages show the button by it)."""
        return self.transitions.may(actor, ReferralStatus(self.status), move, instance=self)

    def moves_for(self, actor) -> list[ReferralStatus]:
        """The pipeline moves this actor may make from the current status, in pipeline order."""
        return self.transitions.moves_for(actor, ReferralStatus(self.status), instance=self)


class ReferralEvent(db.Model):
    """Each move of a referral through the pipeline: who, when, from and to."""

    __tablename__ = "referral_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(String(200))


class Placement(TimestampMixin, db.Model):
    """A hire: one per referral; the agreement version in force at the hire drives subsidies."""

    __tablename__ = "placements"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), unique=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("placement_agreements.id"), index=True)
    stay_id: Mapped[int | None] = mapped_column(ForeignKey("stays.id"), index=True)
    started_on: Mapped[date]
    contract_months: Mapped[int]
    monthly_wage: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    social_insurance: Mapped[bool]
    ended_on: Mapped[date | None]
    end_reason: Mapped[str | None] = mapped_column(String(200))
    is_cancelled: Mapped[bool] = mapped_column(default=False)  # the hire was undone

    referral = relationship("Referral", lazy="joined")
    resident = relationship("Resident", lazy="joined")
    checks: Mapped[list[RetentionCheck]] = relationship(order_by="RetentionCheck.checked_on")

    __table_args__ = (
        CheckConstraint("contract_months > 0", name="contract_positive"),
        CheckConstraint("monthly_wage >= 0", name="wage_not_negative"),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ends_after_start"),
        Index("ix_placements_started_on", "started_on"),
    )


class RetentionCheck(TimestampMixin, db.Model):
    """Still employed? Checked at 1, 3, 6 and 12 months (docs/domain.md)."""

    __tablename__ = "retention_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"), index=True)
    month_mark: Mapped[int | None]  # 1, 3, 6 or 12 when the check answers a due mark
    checked_on: Mapped[date]
    employed: Mapped[bool]
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        Index("uq_retention_checks_mark", "placement_id", "month_mark", unique=True,
              sqlite_where=text("month_mark IS NOT NULL"), postgresql_where=text("month_mark IS NOT NULL")),
        CheckConstraint("month_mark IS NULL OR month_mark IN (1, 3, 6, 12)", name="known_mark"),
    )

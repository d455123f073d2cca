"""Referrals (推荐), their status history, placements (hires) and retention checks.

Referrals and placements declare their state machines here (core/transitions.py): the moves, who
makes each, and what each move records (a referral's event row and audit row, a placement's audit row).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint, and_, false, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from base_ops.core import audit
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


def record_referral_event(actor, referral: Referral, previous: str | None, status: str) -> None:
    """The referral's history row of a move (who, when, from, to): every pipeline move, and the hire
    and its undoing, which move the referral outside the pipeline table."""
    db.session.add(ReferralEvent(referral_id=referral.id, from_status=previous, to_status=str(status),
                                 actor_id=getattr(actor, "id", None)))


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
                               moved_first=_moved_first, event=record_referral_event,
                               audit_action="referral_status_changed")

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


class PlacementState(enum.StrEnum):
    """A placement's state. Placements have no status column: the state is read from `is_cancelled` and
    `ended_on` (PlacementState.of), and a move writes those columns (PLACEMENT_STATE_COLUMNS)."""

    ACTIVE = "active"  # employed: checks are recorded, it may be ended or (if nothing was built on it) undone
    ENDED = "ended"  # contract over, quit, dismissed...: end_reason says which
    CANCELLED = "cancelled"  # the hire was undone (recorded by mistake)

    @classmethod
    def of(cls, is_cancelled: bool, ended_on: date | None) -> PlacementState:
        if is_cancelled:
            return cls.CANCELLED
        return cls.ACTIVE if ended_on is None else cls.ENDED


P = PlacementState
# An active placement ends or is undone; an undone one becomes active again when its referral is hired
# again (one placement per referral: the row is used again); an ended placement stays ended.
PLACEMENT_MOVES: dict[PlacementState, frozenset[PlacementState]] = {
    P.ACTIVE: frozenset({P.ENDED, P.CANCELLED}),
    P.ENDED: frozenset(),
    P.CANCELLED: frozenset({P.ACTIVE}),
}
# The enterprise and the base manager record hires, and so end or undo them.
HIRING_ROLES = frozenset({Role.ENTERPRISE, Role.BASE_MANAGER})
PLACEMENT_MOVERS: dict[PlacementState, frozenset[Role]] = {state: HIRING_ROLES for state in PlacementState}
# What a move to each state writes besides the move's own values (the end date and reason, the new terms).
PLACEMENT_STATE_COLUMNS: dict[PlacementState, dict[str, object]] = {
    P.ACTIVE: {"is_cancelled": False, "ended_on": None, "end_reason": None},
    P.ENDED: {},
    P.CANCELLED: {"is_cancelled": True},
}
PLACEMENT_AUDIT_ACTIONS = {P.ACTIVE: "placement_created", P.ENDED: "placement_ended",
                           P.CANCELLED: "placement_cancelled"}


def _placement_word(state: str) -> str:
    """The translated word for a placement's state in messages (imported late: the vocabulary imports the models)."""
    from base_ops.placements.vocabulary import placement_state_word

    return placement_state_word(state)


def _placement_moved_first() -> str:
    return _("Someone else changed this placement first. Reload and try again.")


def record_placement_move(actor, placement: Placement, previous: str | None, state: str) -> None:
    """The audit row of a hire (a new placement, or an undone one hired again), an undone hire or an end,
    with the details each says (read from the placement, which has its new values)."""
    state = PlacementState(state)
    if state == P.ACTIVE:
        details = {"referral_id": placement.referral_id, "posting_id": placement.referral.posting_id,
                   "enterprise_id": placement.enterprise_id, "agreement_id": placement.agreement_id,
                   "started_on": placement.started_on.isoformat(), "contract_months": placement.contract_months,
                   "monthly_wage": str(placement.monthly_wage), "social_insurance": placement.social_insurance}
    elif state == P.CANCELLED:
        details = {"referral_id": placement.referral_id, "posting_id": placement.referral.posting_id}
    else:
        details = {"ended_on": placement.ended_on.isoformat(), "reason": placement.end_reason}
    audit.record(actor, PLACEMENT_AUDIT_ACTIONS[state], placement, **details)


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

    transitions = StateMachine(moves=PLACEMENT_MOVES, movers=PLACEMENT_MOVERS, words=_placement_word,
                               moved_first=_placement_moved_first, event=record_placement_move)

    @property
    def state(self) -> PlacementState:
        return PlacementState.of(self.is_cancelled, self.ended_on)

    @classmethod
    def in_state(cls, state: PlacementState):
        """The SQL condition "the row is in this state", for the compare-and-set of a move."""
        if state == P.CANCELLED:
            return cls.is_cancelled == true()
        not_cancelled = cls.is_cancelled == false()
        return and_(not_cancelled, cls.ended_on.is_(None) if state == P.ACTIVE else cls.ended_on.is_not(None))

    def can(self, move: str, actor) -> bool:
        """Whether the actor may move this placement to `move` now (end, undo); undoing also needs nothing
        built on the hire (placements.queries.can_undo)."""
        return self.transitions.may(actor, self.state, move, instance=self)

    def moves_for(self, actor) -> list[PlacementState]:
        return self.transitions.moves_for(actor, self.state, instance=self)


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

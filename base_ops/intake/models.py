"""Release notices, stays, leave and absences (the working-day calendar is core.workdays).

A stay is on the shared state machine (core/transitions.py) without a status column: it is open while
discharged_on IS NULL, and its one move, open -> discharged, is declared on `Stay` with its mover.
"""

from __future__ import annotations

import enum
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from base_ops.accounts.models import Role
from base_ops.core.db import TimestampMixin
from base_ops.core.enums import enum_column
from base_ops.core.errors import PermissionDenied
from base_ops.core.transitions import StateMachine
from base_ops.extensions import db


class ReleaseNotice(TimestampMixin, db.Model):
    """A prison's 《刑满释放人员通知书》 and what the receiving office did with it (seed 004 item 4)."""

    __tablename__ = "release_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(50))
    prison_name: Mapped[str] = mapped_column(String(100))
    prison_region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    expected_release_on: Mapped[date] = mapped_column(index=True)
    received_on: Mapped[date]
    receiving_region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    risk_assessment: Mapped[str | None] = mapped_column(Text)  # 回归社会危险性评估意见
    relief_advice: Mapped[str | None] = mapped_column(Text)  # 救助建议
    is_key_subject: Mapped[bool] = mapped_column(default=False)
    # Receipt (回执) due within the receiving county's policy's working days of receipt (5 by default).
    feedback_due_on: Mapped[date] = mapped_column(index=True)
    feedback_due_is_estimate: Mapped[bool] = mapped_column(default=False)
    feedback_sent_on: Mapped[date | None]
    feedback_arrangement: Mapped[str | None] = mapped_column(Text)
    # 必接必送: collection of a key subject from the prison.
    collected_on: Mapped[date | None]
    collected_by: Mapped[str | None] = mapped_column(String(100))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        CheckConstraint("feedback_sent_on IS NULL OR feedback_sent_on >= received_on", name="feedback_after_receipt"),
        # One notice per person and expected release (the service's 409 notice_exists, held here).
        UniqueConstraint("id_number", "expected_release_on"),
    )


class Destination(enum.StrEnum):
    """Discharge destinations (docs/domain.md "At the base")."""

    EMPLOYED = "employed"
    RETURNED_HOME = "returned_home"
    RELATIVES = "relatives"
    ASSISTANCE_INSTITUTION = "assistance_institution"
    SELF_LEFT = "self_left"
    EXPELLED = "expelled"
    REOFFENDED = "reoffended"
    HOSPITAL = "hospital"
    DECEASED = "deceased"
    OTHER = "other"


# Destinations left out of the placement-rate denominator (docs/domain.md "Discharge destinations").
EXCLUDED_FROM_PLACEMENT_RATE = frozenset({Destination.HOSPITAL, Destination.DECEASED})


class StayState(enum.StrEnum):
    """Where a stay is in its life, read from discharged_on (there is no status column)."""

    OPEN = "open"
    DISCHARGED = "discharged"


# A stay is closed once (离站); nothing reopens it or corrects a discharge: a person who comes back
# is admitted again (a new stay).
STAY_MOVES: dict[StayState, frozenset[StayState]] = {
    StayState.OPEN: frozenset({StayState.DISCHARGED}),
    StayState.DISCHARGED: frozenset(),
}


def _stay_mover(actor, stay: Stay | None, target: StayState) -> bool:
    """Discharge is the daily work of the manager of the stay's base (docs/domain.md "People who use it")."""
    return actor.role == Role.BASE_MANAGER and stay is not None and stay.base_id in actor.base_ids


def _not_a_manager() -> PermissionDenied:
    return PermissionDenied(_("Only a base manager records admissions, leave and discharges."))


def _state_word(state: str) -> str:
    """The translated word for a state in messages (imported late: the vocabulary imports the models)."""
    from base_ops.intake.vocabulary import STAY_STATE_LABELS

    return str(STAY_STATE_LABELS[StayState(state)])


def _discharged_first() -> str:
    return _("Someone else discharged this stay first. Reload and try again.")


class Stay(TimestampMixin, db.Model):
    """One admission of one person to one base. At most one open stay per person
    in the whole system: a partial unique index holds it on both databases."""

    __tablename__ = "stays"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("bases.id"))  # indexed with resident_id below
    admitted_on: Mapped[date]
    discharged_on: Mapped[date | None] = mapped_column(index=True)  # leavers of a period (reports)
    destination: Mapped[Destination | None] = mapped_column(enum_column(Destination, "destination"))
    discharge_note: Mapped[str | None] = mapped_column(Text)
    referral_source: Mapped[str | None] = mapped_column(String(100))
    # Admission of someone outside the eligible categories needs a reason (audited).
    override_reason: Mapped[str | None] = mapped_column(Text)
    admitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    resident = relationship("Resident", lazy="joined")
    base = relationship("Base", lazy="joined")
    leaves: Mapped[list[Leave]] = relationship(back_populates="stay", order_by="Leave.start_on")
    absences: Mapped[list[Absence]] = relationship(back_populates="stay", order_by="Absence.start_on")

    __table_args__ = (
        Index(
            "uq_stays_one_open_per_resident",
            "resident_id",
            unique=True,
            sqlite_where=text("discharged_on IS NULL"),
            postgresql_where=text("discharged_on IS NULL"),
        ),
        # A resident is in the scope of every base he stayed at: the resident list reads this index
        # alone (index-only) to find them (README "Performance").
        Index("ix_stays_base_id_resident_id", "base_id", "resident_id"),
        CheckConstraint("discharged_on IS NULL OR discharged_on >= admitted_on", name="discharge_after_admission"),
        CheckConstraint("(discharged_on IS NULL) = (destination IS NULL)", name="destination_with_discharge"),
    )

    # The audit row of a discharge is written by the service, which knows its details (days, beds);
    # there is no event table for stays.
    transitions = StateMachine(moves=STAY_MOVES, movers=_stay_mover, words=_state_word, refused=_not_a_manager,
                               moved_first=_discharged_first, audit_action="stay_discharged")

    @property
    def is_open(self) -> bool:
        return self.discharged_on is None

    @property
    def state(self) -> StayState:
        return StayState.OPEN if self.discharged_on is None else StayState.DISCHARGED

    def can(self, move: str, actor) -> bool:
        """Whether the actor may make `move` on this stay now (the stay page shows the discharge form by it)."""
        return self.transitions.may(actor, self.state, move, instance=self)

    def moves_for(self, actor) -> list[StayState]:
        """The moves this actor may make from the stay's state."""
        return self.transitions.moves_for(actor, self.state, instance=self)


class Leave(TimestampMixin, db.Model):
    """Nights [start_on, end_on) away with permission: the bed stays held, no meals served."""

    __tablename__ = "leaves"

    id: Mapped[int] = mapped_column(primary_key=True)
    stay_id: Mapped[int] = mapped_column(ForeignKey("stays.id"), index=True)
    start_on: Mapped[date]
    end_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    stay: Mapped[Stay] = relationship(back_populates="leaves")

    __table_args__ = (CheckConstraint("end_on > start_on", name="leave_not_empty"),)


class Absence(TimestampMixin, db.Model):
    """Nights away without leave, from start_on until returned_on (NULL = still away).

    More nights than the base's county policy allows (3 by default) is flagged (脱管 risk); after 30 nights
    the stay can be closed as self_left (docs/domain.md, configurable)."""

    __tablename__ = "absences"

    id: Mapped[int] = mapped_column(primary_key=True)
    stay_id: Mapped[int] = mapped_column(ForeignKey("stays.id"), index=True)
    start_on: Mapped[date]
    returned_on: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    stay: Mapped[Stay] = relationship(back_populates="absences")

    __table_args__ = (
        CheckConstraint("returned_on IS NULL OR returned_on > start_on", name="absence_not_empty"),
        Index("uq_absences_one_open_per_stay", "stay_id", unique=True,
              sqlite_where=text("returned_on IS NULL"), postgresql_where=text("returned_on IS NULL")),
    )

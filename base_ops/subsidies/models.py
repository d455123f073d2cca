"""Claims with one life cycle, their history and evidence, payment batches and rejection reasons
(docs/domain.md "Subsidies and relief"); the rates the amounts are computed from are policy documents
(base_ops/policies/).

One claim per (kind, subject, period) is held by a unique constraint: a repeated
request finds the existing claim. Amounts are computed by the rules, never typed.

The claim's life cycle and the batch's are declared here once (`Claim.transitions`,
`PaymentBatch.transitions`, core/transitions.py): which moves exist and who makes each, scope
included. The services make the moves through them; the pages ask `claim.moves_for(actor)` /
`batch.can(move, actor)`, so a button is shown exactly when the service would accept the move.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from base_ops.core import audit
from base_ops.core.db import TimestampMixin, utcnow
from base_ops.core.enums import enum_column
from base_ops.core.roles import Role
from base_ops.core.scope import region_code_prefix
from base_ops.core.transitions import StateMachine
from base_ops.extensions import db


class ClaimKind(enum.StrEnum):
    ONE_TIME_HIRE = "one_time_hire"
    POST_SUBSIDY = "post_subsidy"
    INSURANCE_SUBSIDY = "insurance_subsidy"
    LIVING_ALLOWANCE = "living_allowance"
    HANDOVER = "handover"


class ClaimStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    REVIEWED = "reviewed"
    APPROVED = "approved"
    PAID = "paid"
    REJECTED = "rejected"


class BatchStatus(enum.StrEnum):
    OPEN = "open"
    PAID = "paid"


K, S = ClaimKind, ClaimStatus
# The enterprise claims these for its hires; the base manager claims the others (living allowance, handover).
ENTERPRISE_KINDS = (K.ONE_TIME_HIRE, K.POST_SUBSIDY, K.INSURANCE_SUBSIDY)

# The one life cycle (docs/domain.md "Subsidies and relief"): draft -> submitted -> reviewed ->
# approved -> paid, rejected at review or at approval; a rejected claim, corrected, is submitted again.
CLAIM_MOVES: dict[ClaimStatus, frozenset[ClaimStatus]] = {
    S.DRAFT: frozenset({S.SUBMITTED}),
    S.SUBMITTED: frozenset({S.REVIEWED, S.REJECTED}),
    S.REVIEWED: frozenset({S.APPROVED, S.REJECTED}),
    S.APPROVED: frozenset({S.PAID}),
    S.PAID: frozenset(),
    S.REJECTED: frozenset({S.SUBMITTED}),
}
# A claim is rejected by the reviewer of the stage it is at.
REJECTED_BY: dict[ClaimStatus, Role] = {S.SUBMITTED: Role.BASE_MANAGER, S.REVIEWED: Role.COUNTY_OFFICER}
# The audit log names each move (readers of the log and its reports rely on these names).
CLAIM_AUDIT_ACTIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, S.SUBMITTED): "claim_submitted",
    (S.REJECTED, S.SUBMITTED): "claim_resubmitted",
    (S.SUBMITTED, S.REVIEWED): "claim_reviewed",
    (S.REVIEWED, S.APPROVED): "claim_approved",
    (S.SUBMITTED, S.REJECTED): "claim_rejected",
    (S.REVIEWED, S.REJECTED): "claim_rejected",
    (S.APPROVED, S.PAID): "claim_paid",
}


def claimant_role(kind) -> Role:
    """Who files and submits a claim of this kind: the enterprise its hires' subsidies, the base
    manager the living allowance and the handover subsidy."""
    return Role.ENTERPRISE if ClaimKind(kind) in ENTERPRISE_KINDS else Role.BASE_MANAGER


def claim_movers(claim: Claim, target) -> frozenset[Role]:
    """The role that makes the move to `target` on this claim: the claimant submits, the base manager
    reviews, the county officer approves and pays, the stage's reviewer rejects (by the claim's status)."""
    if target == S.SUBMITTED:
        return frozenset({claimant_role(claim.kind)})
    if target == S.REVIEWED:
        return frozenset({Role.BASE_MANAGER})
    if target in (S.APPROVED, S.PAID):
        return frozenset({Role.COUNTY_OFFICER})
    if target == S.REJECTED and claim.status in REJECTED_BY:
        return frozenset({REJECTED_BY[ClaimStatus(claim.status)]})
    return frozenset()


def claim_in_scope(actor, claim: Claim) -> bool:
    """The claim is the actor's to see: his enterprise's, his bases', or his region's to approve and pay.
    The row-by-row twin of subsidies.queries.claim_scope_filter (the lists' SQL); a test holds them equal."""
    role = getattr(actor, "role", None)
    if role == Role.ENTERPRISE:
        return actor.enterprise_id is not None and claim.enterprise_id == actor.enterprise_id
    if role == Role.BASE_MANAGER:
        return claim.base_id is not None and claim.base_id in actor.base_ids
    if role == Role.COUNTY_OFFICER and actor.region_code:
        return claim.region_code.startswith(region_code_prefix(actor.region_code))
    return False


def _claim_mover(actor, claim: Claim, target) -> bool:
    """The move's role, on a claim in the actor's scope: exactly what the services enforce (403/404)."""
    return claim is not None and actor.role in claim_movers(claim, target) and claim_in_scope(actor, claim)


def _claim_moved(actor, claim: Claim, previous: str, target: str) -> None:
    """Every move's ClaimEvent and audit row. The audit row is written here, not by `audit_action`,
    because the log names each move (claim_submitted, claim_resubmitted, ...) and the kernel's
    `audit_action` is one name per machine. A rejection's reason is on the claim by now (the move's values)."""
    rejected = target == S.REJECTED
    db.session.add(claim_event(actor, claim, previous, target, reason_code=claim.reason_code if rejected else None,
                               reason=claim.reason if rejected else None))
    audit.record(actor, CLAIM_AUDIT_ACTIONS[(previous, target)], claim, previous=previous, status=target,
                 **({"reason_code": claim.reason_code} if rejected else {}))


def claim_event(actor, claim: Claim, previous: str | None, target: str, *, reason_code: str | None = None,
                reason: str | None = None) -> ClaimEvent:
    """The history row of a claim's move (previous None: the claim was created)."""
    return ClaimEvent(claim_id=claim.id, from_status=previous, to_status=target, actor_id=actor.id,
                      reason_code=reason_code, reason=reason)


def _claim_moved_first() -> str:
    return _("Someone else moved this claim first. Reload and try again.")


# A batch is gathered open and marked paid once, by a county officer of its region.
BATCH_MOVES: dict[BatchStatus, frozenset[BatchStatus]] = {
    BatchStatus.OPEN: frozenset({BatchStatus.PAID}),
    BatchStatus.PAID: frozenset(),
}


def _batch_mover(actor, batch: PaymentBatch, target) -> bool:
    """A county officer whose region holds the batch's county (subsidies.batches.batch_scope_filter's rule)."""
    return (batch is not None and actor.role == Role.COUNTY_OFFICER and bool(actor.region_code)
            and batch.region_code.startswith(region_code_prefix(actor.region_code)))


def _batch_paid_first() -> str:
    return _("This batch is already paid.")


class RejectionReason(TimestampMixin, db.Model):
    """Codes for rejecting a claim; an admin maintains the list."""

    __tablename__ = "rejection_reasons"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(default=True)


class PaymentBatch(TimestampMixin, db.Model):
    """A county's approved claims of a month, paid together (专款专用: every amount traceable)."""

    __tablename__ = "payment_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    status: Mapped[BatchStatus] = mapped_column(enum_column(BatchStatus, "batch_status"), default=BatchStatus.OPEN)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_at: Mapped[datetime | None]
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    transitions = StateMachine(moves=BATCH_MOVES, movers=_batch_mover, moved_first=_batch_paid_first,
                               audit_action="payment_batch_paid")

    def can(self, move: str, actor) -> bool:
        """Whether the actor may move this batch to `move` now (the page shows "Mark paid" by it)."""
        return self.transitions.may(actor, BatchStatus(self.status), move, instance=self)

    def moves_for(self, actor) -> list[BatchStatus]:
        return self.transitions.moves_for(actor, BatchStatus(self.status), instance=self)

    @property
    def number(self) -> str:
        """The batch's readable number, period, county code and id: "2026-11-330106-018" (docs/architecture.md
        rule 11: a document by its readable number, never a bare #id)."""
        return f"{self.period}-{self.region_code}-{self.id:03d}"


class Claim(TimestampMixin, db.Model):
    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ClaimKind] = mapped_column(enum_column(ClaimKind, "claim_kind"), index=True)
    status: Mapped[ClaimStatus] = mapped_column(enum_column(ClaimStatus, "claim_status"),
                                                default=ClaimStatus.DRAFT, index=True)
    # What the claim is for: "placement:12", "resident:5" or "notice:7", and the month ('' if none).
    subject_key: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(7), default="")
    placement_id: Mapped[int | None] = mapped_column(ForeignKey("placements.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    release_notice_id: Mapped[int | None] = mapped_column(ForeignKey("release_notices.id"))
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("placement_agreements.id"), index=True)
    # The policy document the amount was computed under (empty: the system default, or the agreement alone).
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("policies.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    base_id: Mapped[int | None] = mapped_column(ForeignKey("bases.id"), index=True)
    # The county whose bureau approves and pays.
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    rule: Mapped[str] = mapped_column(Text)
    payee_name: Mapped[str | None] = mapped_column(String(200))
    payee_account: Mapped[str | None] = mapped_column(String(40))
    resubmissions: Mapped[int] = mapped_column(default=0)
    reason_code: Mapped[str | None] = mapped_column(ForeignKey("rejection_reasons.code"))
    reason: Mapped[str | None] = mapped_column(Text)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("payment_batches.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    events: Mapped[list[ClaimEvent]] = relationship(order_by="ClaimEvent.id")
    evidence: Mapped[list[Evidence]] = relationship(order_by="Evidence.id")
    batch: Mapped[PaymentBatch | None] = relationship()

    __table_args__ = (
        UniqueConstraint("kind", "subject_key", "period"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("resubmissions >= 0", name="resubmissions_not_negative"),
        Index("ix_claims_region_status", "region_code", "status"),
        # The dashboards count the claims filed today live (reports/summaries.py, migration 0015).
        Index("ix_claims_created_at", "created_at"),
    )

    # Statuses in messages are the codes, as the API's `from`/`to` have always been.
    transitions = StateMachine(moves=CLAIM_MOVES, movers=_claim_mover, moved_first=_claim_moved_first,
                               event=_claim_moved)

    def can(self, move: str, actor) -> bool:
        """Whether the actor may move this claim to `move` now (role, scope and the claim's status)."""
        return self.transitions.may(actor, ClaimStatus(self.status), move, instance=self)

    def moves_for(self, actor) -> list[ClaimStatus]:
        """The moves this actor may make on this claim now, in life-cycle order (the page's buttons)."""
        return self.transitions.moves_for(actor, ClaimStatus(self.status), instance=self)

    @property
    def number(self) -> str:
        """The claim's readable number, year filed, approving county and id: "2026-330106-00208"
        (docs/architecture.md rule 11: a document by its readable number, never a bare #id)."""
        year = self.created_at.year if self.created_at else ""
        return f"{year}-{self.region_code}-{self.id:05d}"


class ClaimEvent(db.Model):
    """Every move of a claim: who, when, from, to, and why."""

    __tablename__ = "claim_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Indexed: the dashboards count today's approvals and payments live (reports/summaries.py, migration 0015).
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    reason_code: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)


class Evidence(TimestampMixin, db.Model):
    """An uploaded file (contract, insurance record, receipt) stored outside static/."""

    __tablename__ = "claim_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # contract | insurance | receipt | other
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

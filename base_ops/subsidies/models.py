"""Claims with one life cycle, their history and evidence, payment batches, and the
configurable rates the amounts are computed from (docs/domain.md "Subsidies and relief").

One claim per (kind, subject, period) is held by a unique constraint: a repeated
request finds the existing claim. Amounts are computed by the rules, never typed.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from base_ops.core.db import TimestampMixin, utcnow
from base_ops.core.enums import enum_column
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


class SubsidySetting(TimestampMixin, db.Model):
    """A configurable rate or threshold (admin-maintained reference data), e.g. handover amounts."""

    __tablename__ = "subsidy_settings"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    note: Mapped[str | None] = mapped_column(String(200))


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
    )


class ClaimEvent(db.Model):
    """Every move of a claim: who, when, from, to, and why."""

    __tablename__ = "claim_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
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

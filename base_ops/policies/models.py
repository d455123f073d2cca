"""Published policy documents and the rule values they set (docs/domain.md "Policy differs by region
and changes over time").

A policy is a document a province, city or county (or the state, `region_code` empty) published:
title, 文号, issuing body, the days it is in force, and the rule values it sets, each with the
article that sets it. The value that applies to a case is looked up by `policies.services.applied`.

A policy is never edited in place: it can be ended (its last day set) and a new one takes over
from the next day, so a claim computed under it keeps pointing at the text it applied.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from base_ops.core.db import TimestampMixin
from base_ops.extensions import db


class Policy(TimestampMixin, db.Model):
    __tablename__ = "policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Empty for a national document; else a province PP0000, city PPCC00 or county PPCCDD code.
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    document_no: Mapped[str | None] = mapped_column(String(100))
    issued_by: Mapped[str | None] = mapped_column(String(100))
    effective_from: Mapped[date]
    # The last day in force (inclusive); empty while in force without end.
    effective_to: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("policies.id"))

    rules: Mapped[list[PolicyRule]] = relationship(order_by="PolicyRule.key", cascade="all, delete-orphan",
                                                   back_populates="policy")

    __table_args__ = (
        CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="policy_dates_in_order"),
    )

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def cited(self, article: str | None = None) -> str:
        """《title》（文号）第N条 — how a page and a claim's rule line name this document."""
        text = f"《{self.title}》"
        if self.document_no:
            text += f"（{self.document_no}）"
        if article:
            text += article
        return text


class PolicyRule(db.Model):
    """One rule value a policy sets (policies.keys.RULE_KEYS names the keys the engine knows)."""

    __tablename__ = "policy_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(50))
    value: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    article: Mapped[str | None] = mapped_column(String(50))

    policy: Mapped[Policy] = relationship(back_populates="rules")

    __table_args__ = (UniqueConstraint("policy_id", "key"),)

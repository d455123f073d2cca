"""Partner enterprises, their placement agreements (versioned), job postings and the phrase list
of the discrimination screen; enterprise user accounts are scoped to one enterprise."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from base_ops.core import audit
from base_ops.core.db import TimestampMixin
from base_ops.core.enums import enum_column
from base_ops.core.errors import PermissionDenied
from base_ops.core.roles import Role
from base_ops.core.transitions import StateMachine
from base_ops.enterprises.bars import Bar, bar_for_title
from base_ops.extensions import db
from base_ops.org.models import Region


class Enterprise(TimestampMixin, db.Model):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # 统一社会信用代码 (GB 32100-2015), validated with stdnum.cn.uscc.
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(30))
    # The account its claims are paid to (收款账号); approval refuses a claim without one (issue 21).
    bank_account: Mapped[str | None] = mapped_column(String(40))

    region: Mapped[Region] = relationship(lazy="joined")


class PostingStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class PlacementAgreement(TimestampMixin, db.Model):
    """A version of a 安置协议 (seed 002 二(四)3(2), seed 003 item 3).

    Agreements are versioned: a change makes a new row with `version + 1` that
    supersedes the old one, and claims keep pointing at the version they were
    computed under (docs/domain.md "Employers, jobs and placements").
    """

    __tablename__ = "placement_agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("placement_agreements.id"))
    is_current: Mapped[bool] = mapped_column(default=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    hire_quota: Mapped[int]
    min_contract_months: Mapped[int] = mapped_column(default=12)
    one_time_subsidy: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    one_time_after_months: Mapped[int] = mapped_column(default=6)
    post_subsidy_monthly: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    post_subsidy_max_months: Mapped[int] = mapped_column(default=12)
    insurance_subsidy_monthly: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    insurance_subsidy_max_months: Mapped[int] = mapped_column(default=36)
    budget: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("enterprise_id", "version"),
        Index("uq_placement_agreements_current", "enterprise_id", unique=True,
              sqlite_where=text("is_current"), postgresql_where=text("is_current")),
        CheckConstraint("ends_on > starts_on", name="ends_after_start"),
        CheckConstraint("hire_quota >= 0 AND min_contract_months >= 0 AND one_time_after_months >= 0 "
                        "AND post_subsidy_max_months >= 0 AND insurance_subsidy_max_months >= 0",
                        name="counts_not_negative"),
        CheckConstraint("one_time_subsidy >= 0 AND post_subsidy_monthly >= 0 AND insurance_subsidy_monthly >= 0 "
                        "AND budget >= 0", name="amounts_not_negative"),
    )


class DiscriminatoryPhrase(TimestampMixin, db.Model):
    """Reference data for the posting screen (seed 000 art. 20/35); an admin can extend it."""

    __tablename__ = "discriminatory_phrases"

    id: Mapped[int] = mapped_column(primary_key=True)
    phrase: Mapped[str] = mapped_column(String(50), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)


# The posting life cycle (docs/domain.md): draft -> open -> closed; nothing else.
POSTING_MOVES: dict[PostingStatus, frozenset[PostingStatus]] = {
    PostingStatus.DRAFT: frozenset({PostingStatus.OPEN}),
    PostingStatus.OPEN: frozenset({PostingStatus.CLOSED}),
    PostingStatus.CLOSED: frozenset(),
}


def _posting_mover(actor, posting: JobPosting, target: PostingStatus) -> bool:
    """Only the enterprise's own users open and close its postings."""
    return actor.role == Role.ENTERPRISE and posting is not None and posting.enterprise_id == actor.enterprise_id


def _not_the_owner() -> PermissionDenied:
    return PermissionDenied(_("Only the enterprise's own users open and close its postings."))


def _status_word(status: str) -> str:
    """The translated word for a status in messages (imported late: the vocabulary imports the models)."""
    from base_ops.enterprises.vocabulary import status_word

    return status_word(status)


def _moved_first() -> str:
    return _("Someone else opened or closed this posting first. Reload and try again.")


# Each move of a posting has its own audit action (the log reads "opened", "closed"): the machine's
# single `audit_action` cannot say that, so the posting's record of a move is its `event`.
POSTING_AUDIT_ACTIONS = {PostingStatus.OPEN.value: "posting_opened", PostingStatus.CLOSED.value: "posting_closed"}


def _record_move(actor, posting: JobPosting, previous: str | None, status: str) -> None:
    """The audit row of an opened or closed posting (no event table: the audit log is its history)."""
    audit.record(actor, POSTING_AUDIT_ACTIONS[status], posting, previous=previous)


class JobPosting(TimestampMixin, db.Model):
    __tablename__ = "job_postings"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    requirements: Mapped[str | None] = mapped_column(Text)
    positions: Mapped[int]
    open_positions: Mapped[int]
    wage_min: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    wage_max: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    location: Mapped[str] = mapped_column(String(200))
    provides_housing: Mapped[bool] = mapped_column(default=False)
    status: Mapped[PostingStatus] = mapped_column(enum_column(PostingStatus, "posting_status"),
                                                  default=PostingStatus.DRAFT, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint("positions > 0", name="positions_positive"),
        CheckConstraint("open_positions >= 0 AND open_positions <= positions", name="open_within_positions"),
        CheckConstraint("wage_min >= 0 AND wage_max >= wage_min", name="wage_range"),
    )

    transitions = StateMachine(moves=POSTING_MOVES, movers=_posting_mover, words=_status_word,
                               refused=_not_the_owner, moved_first=_moved_first, event=_record_move)

    @property
    def bar(self) -> Bar | None:
        """The law closing this job to people with a record, read from the title (postings have no job-kind
        field), or None (docs/domain.md "Lawful bars on some jobs"): the posting is allowed and says so, and
        the base refers no resident to it."""
        return bar_for_title(self.title)

    def can(self, move: str, actor) -> bool:
        """Whether the actor may move this posting to `move` now (the page shows open/close by it)."""
        return self.transitions.may(actor, PostingStatus(self.status), move, instance=self)

"""The audit log (MLPS 安全审计): append-only, hash-chained, written in the caller's transaction.

Every service calls `record(...)` in the same transaction as its change, so if
the audit row cannot be written the change rolls back too. Rows are chained:
each row's hash covers its content and the previous row's hash, and a head row
(locked FOR UPDATE on PostgreSQL; SQLite serialises writers anyway) keeps the
chain linear under concurrent writers and lets `verify` notice a deleted tail.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import ForeignKey, Index, String, Text, event, select
from sqlalchemy.orm import Mapped, mapped_column

from base_ops.core.db import utcnow
from base_ops.extensions import db

GENESIS_HASH = "0" * 64
# Never in the log: passwords, tokens, secrets, second-factor codes (docs/security.md).
FORBIDDEN_DETAIL_KEYS = re.compile(r"password|token|secret|otp|bank|id_number", re.I)
# An 18-character ID number that slipped into a value is masked to first 6 + last 4.
ID_NUMBER_PATTERN = re.compile(r"\b(\d{6})\d{8}(\d{3}[\dXx])\b")


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    occurred_at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_username: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(16))
    ip: Mapped[str | None] = mapped_column(String(45))
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_events_occurred_at", "occurred_at"),
        Index("ix_audit_events_object", "object_type", "object_id"),
        Index("ix_audit_events_actor_id", "actor_id"),
    )

    def content(self) -> list[Any]:
        return [
            self.seq,
            self.occurred_at.isoformat(),
            self.actor_id,
            self.actor_username,
            self.actor_role,
            self.action,
            self.object_type,
            self.object_id,
            self.result,
            self.ip,
            self.details,
            self.prev_hash,
        ]

    def compute_hash(self) -> str:
        payload = json.dumps(self.content(), ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()

    @property
    def details_dict(self) -> dict:
        return json.loads(self.details or "{}")


class AuditChainHead(db.Model):
    """One row: the last sequence number and hash of the chain."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(mapper, connection, target):
    raise RuntimeError("audit events are append-only")


def _clean_details(details: dict[str, Any]) -> str:
    for key in details:
        if FORBIDDEN_DETAIL_KEYS.search(key):
            raise ValueError(f"audit details must not carry {key!r}")

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return ID_NUMBER_PATTERN.sub(r"\1********\2", value)
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        if isinstance(value, int | float | bool) or value is None:
            return value
        return str(value)

    return json.dumps(clean(details), ensure_ascii=False, sort_keys=True, default=str)


def _lock_head() -> AuditChainHead:
    head = db.session.execute(
        select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(id=1, last_seq=0, last_hash=GENESIS_HASH)
        db.session.add(head)
        db.session.flush()
    return head


def record(
    actor,
    action: str,
    obj: Any = None,
    *,
    result: str = "success",
    object_type: str | None = None,
    object_id: Any = None,
    username: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Append one audit row in the current transaction (the caller commits)."""
    if obj is not None:
        if getattr(obj, "id", None) is None:
            db.session.flush()
        object_type = object_type or type(obj).__name__
        object_id = obj.id if object_id is None else object_id
    actor_id = getattr(actor, "id", None) if actor is not None else None
    role = getattr(actor, "role", None)
    head = _lock_head()
    row = AuditEvent(
        seq=head.last_seq + 1,
        occurred_at=utcnow(),
        actor_id=actor_id,
        actor_username=getattr(actor, "username", None) or username,
        actor_role=str(role) if role else None,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        result=result,
        ip=_client_ip(),
        details=_clean_details(details),
        prev_hash=head.last_hash,
    )
    row.hash = row.compute_hash()
    head.last_seq = row.seq
    head.last_hash = row.hash
    db.session.add(row)
    db.session.flush()
    return row


def _client_ip() -> str | None:
    if not has_request_context():
        return "cli"
    return request.remote_addr


@dataclass
class VerifyResult:
    ok: bool
    rows_checked: int
    bad_seq: int | None = None
    reason: str | None = None


def verify(batch_size: int = 5000) -> VerifyResult:
    """Walk the chain in order; report the first row whose hash or link is wrong."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    stmt = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch_size)
    rows = db.session.execute(stmt).scalars()
    for row in rows:
        if row.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"row seq {expected_seq} is missing")
        if row.prev_hash != expected_prev:
            return VerifyResult(False, checked, row.seq, "link to the previous row is broken")
        if row.compute_hash() != row.hash:
            return VerifyResult(False, checked, row.seq, "content does not match its hash")
        expected_prev = row.hash
        expected_seq += 1
        checked += 1
    head = db.session.get(AuditChainHead, 1)
    last_seq = head.last_seq if head else 0
    if last_seq != checked:
        return VerifyResult(False, checked, checked + 1, f"chain ends at {checked} but the head says {last_seq}")
    if head is not None and head.last_hash != expected_prev:
        return VerifyResult(False, checked, checked, "head hash does not match the last row")
    return VerifyResult(True, checked)

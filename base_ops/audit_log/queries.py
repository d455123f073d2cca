"""Audit log search, shared by the page and the API."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, select

from base_ops.core.audit import AuditEvent
from base_ops.core.clock import LOCAL_ZONE


def search(*, action: str | None = None, username: str | None = None, object_type: str | None = None,
           object_id: str | None = None, result: str | None = None, from_on: date | None = None,
           to_on: date | None = None) -> Select:
    """Events matching the filters; dates are local days, `to_on` inclusive."""
    stmt = select(AuditEvent)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if username:
        stmt = stmt.where(AuditEvent.actor_username == username)
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    if result:
        stmt = stmt.where(AuditEvent.result == result)
    if from_on:
        stmt = stmt.where(AuditEvent.occurred_at >= datetime.combine(from_on, time(), LOCAL_ZONE))
    if to_on:
        stmt = stmt.where(AuditEvent.occurred_at < datetime.combine(to_on + timedelta(days=1), time(), LOCAL_ZONE))
    return stmt

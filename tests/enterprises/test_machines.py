"""A job posting's state machine declared on the model (issue 16, core/transitions.py): the declaration,
not the service, records each move's audit row ("posting_opened", "posting_closed"), and a move made
from a status read earlier is refused by the compare-and-set."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from base_ops.core import transitions
from base_ops.core.audit import AuditEvent
from base_ops.core.errors import Conflict, PermissionDenied
from base_ops.enterprises import services
from base_ops.enterprises.models import JobPosting, PostingStatus


def _draft(world) -> JobPosting:
    return services.create_posting(world.enterprise_user, enterprise_id=world.enterprise.id, title="保洁员",
                                   description="负责园区保洁", positions=2, wage_min="3000", wage_max="3600",
                                   location="杭州市西湖区", provides_housing=False)


def _last_audit(db) -> AuditEvent:
    return db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()


def test_each_move_records_its_own_audit_row_through_the_declaration(world, db):
    posting = _draft(world)
    transitions.transition(posting, PostingStatus.OPEN, actor=world.enterprise_user)
    row = _last_audit(db)
    assert (row.action, row.object_id, row.details_dict) == ("posting_opened", str(posting.id), {"previous": "draft"})
    transitions.transition(posting, PostingStatus.CLOSED, actor=world.enterprise_user)
    row = _last_audit(db)
    assert (row.action, row.details_dict) == ("posting_closed", {"previous": "open"})
    assert posting.status == PostingStatus.CLOSED


def test_a_move_from_a_stale_status_or_by_another_is_refused(world, db):
    posting = _draft(world)
    with pytest.raises(PermissionDenied):
        transitions.transition(posting, PostingStatus.OPEN, actor=world.manager_a)
    services.open_posting(world.enterprise_user, posting)
    with pytest.raises(Conflict) as stale:  # read as a draft, opened meanwhile
        transitions.transition(posting, PostingStatus.OPEN, actor=world.enterprise_user,
                               expected=PostingStatus.DRAFT)
    assert stale.value.code == "invalid_transition"
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "posting_opened",
                                                           AuditEvent.object_id == str(posting.id))).all()) == 1

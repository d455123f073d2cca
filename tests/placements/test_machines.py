"""State machines declared on the models (issue 16, core/transitions.py): a placement's (active -> ended or
undone, undone -> active again) with who makes each move and what the page asks it; and a referral's
declaration recording its event row and audit row for every pipeline move."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from base_ops.core import transitions
from base_ops.core.audit import AuditEvent
from base_ops.core.errors import Conflict
from base_ops.core.roles import Role
from base_ops.placements import services
from base_ops.placements.models import Placement, PlacementState, ReferralEvent, ReferralStatus
from tests.placements.conftest import hire

P = PlacementState


class _Actor:
    def __init__(self, role):
        self.role, self.id = role, None


def test_the_placement_table():
    assert Placement.transitions.moves == {P.ACTIVE: frozenset({P.ENDED, P.CANCELLED}),
                                           P.CANCELLED: frozenset({P.ACTIVE}),
                                           P.ENDED: frozenset()}


@pytest.mark.parametrize("role", list(Role))
def test_the_enterprise_and_the_base_manager_make_the_placement_moves(role):
    makes = role in (Role.ENTERPRISE, Role.BASE_MANAGER)
    for current, target in ((P.ACTIVE, P.ENDED), (P.ACTIVE, P.CANCELLED), (P.CANCELLED, P.ACTIVE)):
        assert Placement.transitions.may(_Actor(role), current, target) is makes
    assert not Placement.transitions.may(_Actor(role), P.ENDED, P.ACTIVE)


def test_the_state_is_read_from_the_columns_and_asked_in_sql(world, db, offered):
    placement = hire(world, offered)
    assert placement.state == P.ACTIVE
    assert placement.moves_for(world.enterprise_user) == [P.ENDED, P.CANCELLED]
    assert placement.moves_for(world.officer_x) == []

    def in_state(state):
        return db.session.scalar(select(func.count()).select_from(Placement)
                                 .where(Placement.id == placement.id, Placement.in_state(state)))

    assert (in_state(P.ACTIVE), in_state(P.ENDED), in_state(P.CANCELLED)) == (1, 0, 0)
    services.end_placement(world.manager_a, placement, ended_on=date(2026, 11, 18), reason="合同到期")
    assert placement.state == P.ENDED and placement.moves_for(world.manager_a) == []
    assert not placement.can(P.CANCELLED, world.enterprise_user)
    assert (in_state(P.ACTIVE), in_state(P.ENDED), in_state(P.CANCELLED)) == (0, 1, 0)


def test_undone_then_hired_again_moves_the_same_row_and_records_each_move(world, db, offered, job):
    placement = hire(world, offered)
    services.cancel_placement(world.enterprise_user, placement)
    assert placement.state == P.CANCELLED and placement.moves_for(world.enterprise_user) == [P.ACTIVE]
    again = hire(world, offered, contract_months=24)
    assert again.id == placement.id and again.state == P.ACTIVE and again.contract_months == 24
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "Placement",
                                                                 AuditEvent.object_id == str(placement.id))
                                 .order_by(AuditEvent.seq)).all()
    assert actions == ["placement_created", "placement_cancelled", "placement_created"]


def test_the_placement_page_shows_end_and_undo_by_the_machine(world, db, offered, login_as):
    placement = hire(world, offered)
    page = login_as(world.enterprise_user).get(f"/placements/{placement.id}").get_data(as_text=True)
    assert f"/placements/{placement.id}/cancel" in page and f"/placements/{placement.id}/end" in page
    services.end_placement(world.enterprise_user, placement, ended_on=date(2026, 11, 18), reason="个人原因")
    page = login_as(world.enterprise_user).get(f"/placements/{placement.id}").get_data(as_text=True)
    assert f"/placements/{placement.id}/cancel" not in page and f"/placements/{placement.id}/end" not in page


def test_a_referral_move_records_its_event_and_audit_row_through_the_declaration(world, db, job):
    referral = services.refer(world.manager_a, posting_id=job.id, resident_id=world.resident_a.id)
    transitions.transition(referral, ReferralStatus.INTERVIEWING, actor=world.enterprise_user)
    event = db.session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
                               .order_by(ReferralEvent.id.desc()).limit(1)).one()
    assert (event.from_status, event.to_status, event.actor_id) == \
        ("referred", "interviewing", world.enterprise_user.id)
    row = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert (row.action, row.object_id, row.details_dict["previous"], row.details_dict["status"]) == \
        ("referral_status_changed", str(referral.id), "referred", "interviewing")
    with pytest.raises(Conflict) as stale:  # read as "referred", moved meanwhile: the compare-and-set refuses
        transitions.transition(referral, ReferralStatus.WITHDRAWN, actor=world.manager_a,
                               expected=ReferralStatus.REFERRED)
    assert stale.value.code == "invalid_transition"

"""The state machine kernel (base_ops.core.transitions): the move table, who makes a move, and the
compare-and-set that lets one of two racing moves win and answers the other with a 409."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import update

from base_ops.core.errors import Conflict, PermissionDenied
from base_ops.core.roles import Role
from base_ops.core.transitions import StateMachine, transition
from base_ops.enterprises.models import JobPosting, PostingStatus

# A small pipeline of plain strings: new -> doing -> done, or new/doing -> dropped.
MACHINE = StateMachine(
    moves={"new": frozenset({"doing", "dropped"}), "doing": frozenset({"done", "dropped"}),
           "done": frozenset(), "dropped": frozenset()},
    movers={"doing": frozenset({Role.ENTERPRISE}), "done": frozenset({Role.ENTERPRISE}),
            "dropped": frozenset({Role.ENTERPRISE, Role.BASE_MANAGER})},
    moved_first=lambda: "Someone else moved it first.",
)
ENTERPRISE = SimpleNamespace(role=Role.ENTERPRISE)
MANAGER = SimpleNamespace(role=Role.BASE_MANAGER)


def test_allowed_follows_the_table_whoever_asks():
    assert MACHINE.allowed("new", "doing")
    assert not MACHINE.allowed("new", "done")
    assert not MACHINE.allowed("done", "dropped")
    assert not MACHINE.allowed("unknown", "doing")


def test_may_needs_the_move_and_the_role():
    assert MACHINE.may(ENTERPRISE, "new", "doing")
    assert not MACHINE.may(MANAGER, "new", "doing")
    assert MACHINE.may(MANAGER, "doing", "dropped")
    assert not MACHINE.may(ENTERPRISE, "new", "done")  # the role makes it, the table lacks it
    assert not MACHINE.may(None, "new", "dropped")


def test_moves_for_lists_the_actors_moves_in_declared_order():
    assert MACHINE.moves_for(ENTERPRISE, "new") == ["doing", "dropped"]
    assert MACHINE.moves_for(ENTERPRISE, "doing") == ["done", "dropped"]
    assert MACHINE.moves_for(MANAGER, "new") == ["dropped"]
    assert MACHINE.moves_for(MANAGER, "done") == []


def test_require_answers_409_for_a_missing_move_before_403_for_the_role():
    with pytest.raises(Conflict) as error:
        MACHINE.require(MANAGER, "new", "done")
    assert error.value.code == "invalid_transition"
    assert error.value.extra == {"from": "new", "to": "done"}
    with pytest.raises(PermissionDenied) as denied:
        MACHINE.require(MANAGER, "new", "doing")
    assert set(denied.value.fields) == {"status"}


def test_a_callable_decides_by_the_row():
    machine = StateMachine(moves={"a": frozenset({"b"})}, moved_first=lambda: "raced",
                           movers=lambda actor, row, target: row is not None and row.owner == actor.name)
    alice = SimpleNamespace(role=Role.ENTERPRISE, name="alice")
    assert machine.may(alice, "a", "b", instance=SimpleNamespace(owner="alice"))
    assert not machine.may(alice, "a", "b", instance=SimpleNamespace(owner="bob"))


# ---------------------------------------------------------------- compare-and-set on a real row

def _draft(world):
    from base_ops.enterprises import services

    return services.create_posting(world.enterprise_user, enterprise_id=world.enterprise.id, title="保洁员",
                                   description="负责园区日常保洁", positions=1, wage_min="3000", wage_max="3500",
                                   location="杭州市西湖区", provides_housing=False)


def test_transition_moves_the_row(world, db):
    posting = _draft(world)
    transition(posting, PostingStatus.OPEN, actor=world.enterprise_user)
    db.session.commit()
    db.session.refresh(posting)
    assert posting.status == PostingStatus.OPEN


def test_a_stale_expected_status_loses_with_409(world, db):
    """Two requests read `draft`; the first opens it. The second, still holding `draft`, gets a 409."""
    posting = _draft(world)
    db.session.execute(update(JobPosting).where(JobPosting.id == posting.id).values(status=PostingStatus.OPEN)
                       .execution_options(synchronize_session=False))  # the other request, behind our back
    assert posting.status == PostingStatus.DRAFT  # what this request read
    with pytest.raises(Conflict) as error:
        transition(posting, PostingStatus.OPEN, actor=world.enterprise_user)
    assert error.value.code == "invalid_transition"
    assert error.value.message == JobPosting.transitions.moved_first()
    assert error.value.extra == {"from": "draft", "to": "open"}  # docs/api.md: every invalid_transition names both


def test_expected_overrides_the_status_read(world, db):
    posting = _draft(world)
    with pytest.raises(Conflict) as error:  # the table has open -> closed, but the row is a draft
        transition(posting, PostingStatus.CLOSED, actor=world.enterprise_user, expected=PostingStatus.OPEN)
    assert error.value.code == "invalid_transition"
    assert error.value.message == JobPosting.transitions.moved_first()


def test_transition_refuses_a_move_not_the_actors(world, db):
    posting = _draft(world)
    with pytest.raises(PermissionDenied):
        transition(posting, PostingStatus.OPEN, actor=world.manager_a)
    with pytest.raises(Conflict) as error:
        transition(posting, PostingStatus.CLOSED, actor=world.enterprise_user)
    assert error.value.code == "invalid_transition"
    assert set(error.value.extra) == {"from", "to"}


def test_the_move_records_its_event_and_audit_row_once(world, db, monkeypatch):
    """The machine's event and audit action (a name, or one per move) are recorded by transition itself."""
    from base_ops.core import audit

    posting = _draft(world)
    events, actions = [], []
    machine = JobPosting.transitions
    monkeypatch.setattr(machine, "event", lambda actor, row, previous, status: events.append((previous, status)))
    monkeypatch.setattr(machine, "audit_action", lambda previous, status: f"posting_{previous}_to_{status}")
    real_record = audit.record
    monkeypatch.setattr(audit, "record", lambda actor, action, *a, **k: (actions.append((action, k)),
                                                                         real_record(actor, action, *a, **k))[1])
    transition(posting, PostingStatus.OPEN, actor=world.enterprise_user, details={"reason": "ready"})
    assert events == [("draft", "open")]
    assert actions == [("posting_draft_to_open", {"previous": "draft", "status": "open", "reason": "ready"})]
    assert posting.status == PostingStatus.OPEN  # the instance says what the row says

"""An enrolment's state machine declared on the model (issue 16, core/transitions.py): its table, who makes
each move, what the page asks it, and that a move records its audit row through the declaration."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from base_ops.core import transitions
from base_ops.core.audit import AuditEvent
from base_ops.core.errors import Conflict, PermissionDenied
from base_ops.core.roles import Role
from base_ops.training import services
from base_ops.training.models import Course, Enrolment, EnrolmentStatus
from tests.training.conftest import make_course, resident_with_stay

E = EnrolmentStatus


def test_the_table_withdraws_an_enrolment_and_enrols_it_again():
    assert Enrolment.transitions.moves == {E.ENROLLED: frozenset({E.WITHDRAWN}),
                                           E.WITHDRAWN: frozenset({E.ENROLLED})}
    assert not Enrolment.transitions.allowed(E.ENROLLED, E.ENROLLED)
    assert not Enrolment.transitions.allowed(E.WITHDRAWN, E.WITHDRAWN)


@pytest.mark.parametrize("role", list(Role))
def test_only_the_base_manager_makes_the_moves(role):
    class Actor:
        pass

    actor = Actor()
    actor.role = role
    expected = role == Role.BASE_MANAGER
    assert Enrolment.may_move(actor, "enrolled", E.WITHDRAWN) is expected
    assert Enrolment.may_move(actor, "withdrawn", E.ENROLLED) is expected


def test_a_certificate_holder_is_not_withdrawn(world, db):
    enrolment = world.enrolment_a
    assert enrolment.can(E.WITHDRAWN, world.manager_a)
    assert enrolment.moves_for(world.manager_a) == [E.WITHDRAWN]
    assert not enrolment.can(E.WITHDRAWN, world.trainer_a) and enrolment.moves_for(world.trainer_a) == []
    enrolment.certificate_number = "HG-1"
    assert not enrolment.can(E.WITHDRAWN, world.manager_a) and enrolment.moves_for(world.manager_a) == []
    assert not Enrolment.may_move(world.manager_a, "enrolled", E.WITHDRAWN, certified=True)


def test_a_move_records_its_audit_row_through_the_declaration(world, db):
    enrolment = world.enrolment_a
    transitions.transition(enrolment, E.WITHDRAWN, actor=world.manager_a)
    row = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert (row.action, row.object_id, row.details_dict["course_id"], row.details_dict["resident_id"]) == \
        ("resident_withdrawn", str(enrolment.id), enrolment.course_id, enrolment.resident_id)
    assert enrolment.status == E.WITHDRAWN
    with pytest.raises(Conflict) as again:  # the table has no withdrawn -> withdrawn
        transitions.transition(enrolment, E.WITHDRAWN, actor=world.manager_a)
    assert again.value.code == "invalid_transition"
    with pytest.raises(PermissionDenied):
        transitions.transition(enrolment, E.ENROLLED, actor=world.trainer_a)


def test_withdrawn_and_enrolled_again_through_the_services_writes_one_row_per_move(world, db):
    course = make_course(world, capacity=2)
    person = resident_with_stay(db, world.base_a, "机")
    enrolment = services.enrol(world.manager_a, course, resident_id=person.id)
    services.withdraw(world.manager_a, enrolment)
    again = services.enrol(world.manager_a, course, resident_id=person.id)
    assert again.id == enrolment.id and again.status == E.ENROLLED
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "Enrolment",
                                                                 AuditEvent.object_id == str(enrolment.id))
                                 .order_by(AuditEvent.seq)).all()
    assert actions == ["resident_enrolled", "resident_withdrawn", "resident_enrolled"]
    assert db.session.get(Course, course.id).enrolled_count == 1


def test_the_course_page_shows_withdraw_where_the_machine_allows_it(world, db, login_as):
    course = make_course(world, capacity=3)
    first = services.enrol(world.manager_a, course, resident_id=resident_with_stay(db, world.base_a, "甲").id)
    second = services.enrol(world.manager_a, course, resident_id=resident_with_stay(db, world.base_a, "乙").id)
    services.withdraw(world.manager_a, second)
    page = login_as(world.manager_a).get(f"/training/courses/{course.id}").get_data(as_text=True)
    assert f"/training/enrolments/{first.id}/withdraw" in page
    assert f"/training/enrolments/{second.id}/withdraw" not in page
    trainer_page = login_as(world.trainer_a).get(f"/training/courses/{course.id}").get_data(as_text=True)
    assert "/withdraw" not in trainer_page

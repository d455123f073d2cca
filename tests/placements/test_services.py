"""Placement use cases through the services: referrals and the pipeline (events, roles, illegal
moves), the hire taking a position (the last one closes the posting to referrals; undoing it
reopens it), retention checks and their marks, the due list, the end, discharge to employment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from base_ops.core.audit import AuditEvent
from base_ops.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from base_ops.enterprises import services as enterprise_services
from base_ops.intake.models import Destination, Stay
from base_ops.placements import queries, services
from base_ops.placements.models import Placement, Referral, ReferralEvent, ReferralStatus, RetentionCheck
from tests.placements.conftest import hire, offer
from tests.placements.helpers import admit_new_resident


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _actions(db, action) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def _events(db, referral) -> list[tuple]:
    rows = db.session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
                              .order_by(ReferralEvent.id))
    return [(e.from_status, e.to_status, e.actor_id) for e in rows]


# ---------------------------------------------------------------- referrals

def test_refer_records_base_event_and_audit(world, db, job):
    referral = services.refer(world.manager_a, posting_id=job.id, resident_id=world.resident_a.id)
    assert (referral.status, referral.base_id, referral.enterprise_id) == \
        (ReferralStatus.REFERRED, world.base_a.id, world.enterprise.id)
    assert referral.referred_by_id == world.manager_a.id
    assert _events(db, referral) == [(None, "referred", world.manager_a.id)]
    event = _actions(db, "referral_created")[-1]
    assert event.actor_username == "manager_a" and event.object_id == str(referral.id)


def test_refer_twice_is_409_referral_exists(world, db, job):
    first = services.refer(world.manager_a, posting_id=job.id, resident_id=world.resident_a.id)
    with pytest.raises(Conflict) as error:
        services.refer(world.manager_a, posting_id=job.id, resident_id=world.resident_a.id)
    assert error.value.code == "referral_exists" and error.value.extra["id"] == first.id
    assert _count(db, Referral) == 2  # the world's and this one


def test_refer_refusals(world, db, job):
    before = _count(db, Referral)
    with pytest.raises(NotFound):  # resident_b lives at base B
        services.refer(world.manager_a, posting_id=job.id, resident_id=world.resident_b.id)
    with pytest.raises(PermissionDenied):
        services.refer(world.enterprise_user, posting_id=job.id, resident_id=world.resident_a.id)
    draft = enterprise_services.create_posting(
        world.enterprise_user, enterprise_id=world.enterprise.id, title="草稿", description="d", positions=1,
        wage_min=1, wage_max=2, location="l", provides_housing=False)
    with pytest.raises(NotFound):  # a draft is not published
        services.refer(world.manager_a, posting_id=draft.id, resident_id=world.resident_a.id)
    enterprise_services.close_posting(world.enterprise_user, job)
    with pytest.raises(Conflict) as error:
        services.refer(world.manager_a, posting_id=job.id, resident_id=world.resident_a.id)
    assert error.value.code == "posting_not_open"
    assert _count(db, Referral) == before


def test_refer_needs_an_open_stay_at_his_base(world, db, job):
    from base_ops.intake.stays import services as stays

    stays.discharge(world.manager_a, world.stay_a, discharged_on=date(2026, 11, 19), destination="returned_home")
    with pytest.raises(ValidationFailed) as error:
        services.refer(world.manager_a, posting_id=job.id, resident_id=world.resident_a.id)
    assert error.value.code == "no_open_stay" and "resident_id" in error.value.fields


def test_pipeline_moves_are_events_with_who_and_audited(world, db, offered):
    assert offered.status == ReferralStatus.OFFERED
    assert _events(db, offered) == [(None, "referred", world.manager_a.id),
                                    ("referred", "interviewing", world.enterprise_user.id),
                                    ("interviewing", "offered", world.enterprise_user.id)]
    moves = [e.details_dict for e in _actions(db, "referral_status_changed")]
    assert moves == [{"previous": "referred", "status": "interviewing"},
                     {"previous": "interviewing", "status": "offered"}]


@pytest.mark.parametrize(("path", "target"), [
    ([], "offered"),  # referred -> offered skips the interview
    ([], "referred"),
    (["interviewing"], "referred"),
    (["interviewing", "offered"], "interviewing"),
    (["declined_by_employer"], "interviewing"),
    (["declined_by_resident"], "offered"),
])
def test_illegal_moves_are_409_invalid_transition(world, db, job, path, target):
    referral = services.refer(world.manager_a, posting_id=job.id, resident_id=world.resident_a.id)
    for status in path:
        services.move_referral(world.enterprise_user, referral, status=status)
    before = _events(db, referral)
    with pytest.raises(Conflict) as error:
        services.move_referral(world.enterprise_user, referral, status=target)
    assert error.value.code == "invalid_transition"
    assert _events(db, referral) == before


def test_hired_is_not_a_status_move(world, offered):
    with pytest.raises(ValidationFailed) as error:
        services.move_referral(world.enterprise_user, offered, status="hired")
    assert "status" in error.value.fields
    with pytest.raises(ValidationFailed):
        services.move_referral(world.enterprise_user, offered, status="promoted")


def test_who_makes_which_move(world, db, job):
    referral = services.refer(world.manager_a, posting_id=job.id, resident_id=world.resident_a.id)
    with pytest.raises(PermissionDenied):
        services.move_referral(world.manager_a, referral, status="interviewing")
    with pytest.raises(PermissionDenied):
        services.move_referral(world.enterprise_user, referral, status="withdrawn")
    services.move_referral(world.manager_a, referral, status="withdrawn")
    assert referral.status == ReferralStatus.WITHDRAWN
    other = services.refer(world.manager_a, posting_id=world.posting.id,
                           resident_id=admit_new_resident(world.manager_a, world.base_a, 11, "赵明")[0].id)
    services.move_referral(world.manager_a, other, status="declined_by_resident")
    assert other.status == ReferralStatus.DECLINED_BY_RESIDENT


# ---------------------------------------------------------------- the hire

def test_hire_takes_a_position_and_records_the_agreement_in_force(world, db, offered, job):
    placement = hire(world, offered)
    db.session.refresh(job)
    assert job.open_positions == 0
    assert offered.status == ReferralStatus.HIRED
    assert placement.agreement_id == world.agreement.id
    assert placement.stay_id == world.stay_a.id and placement.resident_id == world.resident_a.id
    assert (placement.contract_months, placement.monthly_wage, placement.social_insurance) == \
        (12, Decimal("4200.00"), True)
    assert _events(db, offered)[-1] == ("offered", "hired", world.enterprise_user.id)
    event = _actions(db, "placement_created")[-1]
    assert event.details_dict["agreement_id"] == world.agreement.id and event.details_dict["monthly_wage"] == "4200.00"


def test_hire_records_the_current_version_after_a_change(world, db, offered):
    new = enterprise_services.create_agreement(
        world.officer_x, world.enterprise, starts_on=date(2026, 11, 1), ends_on=date(2027, 10, 31), hire_quota=5,
        min_contract_months=12, one_time_subsidy=Decimal("4000"), one_time_after_months=6,
        post_subsidy_monthly=Decimal("500"), post_subsidy_max_months=12, insurance_subsidy_monthly=Decimal("700"),
        insurance_subsidy_max_months=24, budget=Decimal("80000"))
    assert hire(world, offered).agreement_id == new.id


def test_hiring_the_last_position_closes_the_posting_to_referrals_and_undo_reopens(world, db, offered, job):
    second, _ = admit_new_resident(world.manager_a, world.base_a, 21, "钱二")
    placement = hire(world, offered)
    with pytest.raises(Conflict) as error:
        services.refer(world.manager_a, posting_id=job.id, resident_id=second.id)
    assert error.value.code == "posting_full"
    services.cancel_placement(world.enterprise_user, placement)
    db.session.refresh(job)
    assert job.open_positions == 1
    assert services.refer(world.manager_a, posting_id=job.id, resident_id=second.id).id


def test_no_position_left_refuses_the_hire_and_writes_nothing(world, db, offered, job):
    second, _ = admit_new_resident(world.manager_a, world.base_a, 22, "孙三")
    other = offer(world, services.refer(world.manager_a, posting_id=job.id, resident_id=second.id))
    hire(world, offered)
    placements = _count(db, Placement)
    with pytest.raises(Conflict) as error:
        hire(world, other)
    assert error.value.code == "posting_full"
    db.session.refresh(other)
    db.session.refresh(job)
    assert other.status == ReferralStatus.OFFERED and job.open_positions == 0
    assert _count(db, Placement) == placements
    assert _events(db, other)[-1][1] == "offered"


def test_only_an_offered_referral_can_be_hired(world, db, job):
    referral = services.refer(world.manager_a, posting_id=job.id, resident_id=world.resident_a.id)
    with pytest.raises(Conflict) as error:
        hire(world, referral)
    assert error.value.code == "invalid_transition"
    db.session.refresh(job)
    assert job.open_positions == 1


@pytest.mark.parametrize(("overrides", "field"), [
    ({"contract_months": 0}, "contract_months"),
    ({"contract_months": True}, "contract_months"),
    ({"monthly_wage": "-1"}, "monthly_wage"),
    ({"monthly_wage": "4200.123"}, "monthly_wage"),
    ({"started_on": date(2027, 6, 1)}, "started_on"),  # more than 90 days ahead
    ({"social_insurance": "yes"}, "social_insurance"),
])
def test_bad_hire_input_writes_nothing(world, db, offered, job, overrides, field):
    with pytest.raises(ValidationFailed) as error:
        hire(world, offered, **overrides)
    assert field in error.value.fields
    db.session.refresh(job)
    db.session.refresh(offered)
    assert job.open_positions == 1 and offered.status == ReferralStatus.OFFERED
    assert _count(db, Placement) == 1


def test_undo_and_hire_again(world, db, offered, job):
    placement = hire(world, offered)
    services.cancel_placement(world.manager_a, placement)
    db.session.refresh(offered)
    assert placement.is_cancelled and offered.status == ReferralStatus.OFFERED
    assert _events(db, offered)[-1] == ("hired", "offered", world.manager_a.id)
    assert _actions(db, "placement_cancelled")[-1].object_id == str(placement.id)
    with pytest.raises(Conflict):
        services.cancel_placement(world.manager_a, placement)
    again = hire(world, offered, started_on=date(2026, 11, 18), monthly_wage="4300")
    assert again.id == placement.id and not again.is_cancelled  # one placement per referral
    assert again.monthly_wage == Decimal("4300.00") and again.started_on == date(2026, 11, 18)
    db.session.refresh(job)
    assert job.open_positions == 0


def test_undo_is_refused_once_checks_are_recorded(world, db, offered):
    placement = hire(world, offered, started_on=date(2026, 10, 10))
    services.record_check(world.enterprise_user, placement, checked_on=date(2026, 11, 10), employed=True)
    with pytest.raises(Conflict) as error:
        services.cancel_placement(world.enterprise_user, placement)
    assert error.value.code == "invalid_transition"


# ---------------------------------------------------------------- retention checks

def test_marks_are_computed_from_the_start(world, db, offered):
    placement = hire(world, offered, started_on=date(2026, 1, 15))
    first = services.record_check(world.manager_a, placement, checked_on=date(2026, 2, 16), employed=True)
    extra = services.record_check(world.manager_a, placement, checked_on=date(2026, 2, 20), employed=True)
    late = services.record_check(world.manager_a, placement, checked_on=date(2026, 8, 1), employed=True)
    between = services.record_check(world.enterprise_user, placement, checked_on=date(2026, 11, 20), employed=True)
    assert [first.month_mark, extra.month_mark, late.month_mark, between.month_mark] == [1, None, 6, None]
    assert first.checked_by_id == world.manager_a.id
    event = _actions(db, "retention_checked")[0]
    assert event.details_dict == {"placement_id": placement.id, "month_mark": 1, "checked_on": "2026-02-16",
                                  "employed": True}


@pytest.mark.parametrize(("checked_on", "field"), [
    (date(2026, 11, 21), "checked_on"),  # tomorrow
    (date(2026, 11, 9), "checked_on"),  # before the start
])
def test_bad_check_dates(world, db, offered, checked_on, field):
    placement = hire(world, offered, started_on=date(2026, 11, 10))
    with pytest.raises(ValidationFailed) as error:
        services.record_check(world.enterprise_user, placement, checked_on=checked_on, employed=True)
    assert field in error.value.fields
    assert _count(db, RetentionCheck) == 0


def test_mark_for_check_window_and_month_ends():
    start = date(2026, 1, 31)
    assert queries.due_on(start, 1) == date(2026, 2, 28)
    assert queries.due_on(start, 12) == date(2027, 1, 31)
    assert queries.mark_for_check(start, date(2026, 2, 13), set()) is None  # 15 days early: not yet
    assert queries.mark_for_check(start, date(2026, 2, 14), set()) == 1  # 14 days early counts
    assert queries.mark_for_check(start, date(2026, 5, 1), {1}) == 3
    assert queries.mark_for_check(start, date(2026, 5, 1), {1, 3}) is None
    assert queries.mark_for_check(start, date(2028, 1, 1), {1, 3, 6, 12}) is None
    assert queries.mark_for_check(start, date(2028, 1, 1), set()) == 12
    assert queries.next_mark({1, 3}) == 6 and queries.next_mark({12}) is None


def test_due_list_soon_overdue_and_scope(world, db):
    world.posting.positions = 9
    world.posting.open_positions = 8
    db.session.commit()
    people = {}
    for serial, (name, start) in enumerate([("周一", date(2026, 10, 25)), ("吴二", date(2026, 10, 1)),
                                             ("郑三", date(2026, 11, 15))], start=31):
        resident, _ = admit_new_resident(world.manager_a, world.base_a, serial, name)
        referral = offer(world, services.refer(world.manager_a, posting_id=world.posting.id,
                                               resident_id=resident.id))
        people[name] = hire(world, referral, started_on=start)
    due = queries.due_checks(world.manager_a)
    rows = [(d.placement.resident.name, d.mark, d.due_on, d.overdue) for d in due]
    # world.placement_a (张三) started 2026-11-10: due 2026-12-10, more than 14 days ahead
    assert rows == [("吴二", 1, date(2026, 11, 1), True), ("周一", 1, date(2026, 11, 25), False)]
    assert [d.placement.id for d in queries.due_checks(world.enterprise_user)] == [d.placement.id for d in due]
    assert queries.due_checks(world.manager_b) == []
    services.record_check(world.manager_a, people["吴二"], checked_on=date(2026, 11, 3), employed=True)
    services.record_check(world.manager_a, people["周一"], checked_on=date(2026, 11, 20), employed=False)
    assert queries.due_checks(world.manager_a) == []  # next for 吴二 is 2027-01-01; 周一 no longer employed


def test_end_a_placement(world, db, offered):
    placement = hire(world, offered, started_on=date(2026, 11, 10))
    with pytest.raises(ValidationFailed) as error:
        services.end_placement(world.enterprise_user, placement, ended_on=date(2026, 11, 1), reason="辞职")
    assert "ended_on" in error.value.fields
    with pytest.raises(ValidationFailed) as error:
        services.end_placement(world.enterprise_user, placement, ended_on=date(2026, 11, 19), reason=" ")
    assert "reason" in error.value.fields
    services.end_placement(world.enterprise_user, placement, ended_on=date(2026, 11, 19), reason="个人原因辞职")
    assert (placement.ended_on, placement.end_reason) == (date(2026, 11, 19), "个人原因辞职")
    assert _actions(db, "placement_ended")[-1].details_dict["reason"] == "个人原因辞职"
    with pytest.raises(Conflict):
        services.end_placement(world.enterprise_user, placement, ended_on=date(2026, 11, 20), reason="again")
    with pytest.raises(Conflict):
        services.record_check(world.enterprise_user, placement, checked_on=date(2026, 11, 20), employed=False)
    with pytest.raises(Conflict):
        services.cancel_placement(world.enterprise_user, placement)


# ---------------------------------------------------------------- discharge to employment

def test_discharge_as_employed_in_one_step(world, db, offered):
    placement = hire(world, offered, started_on=date(2026, 11, 16))
    with pytest.raises(PermissionDenied):
        services.discharge_to_employment(world.enterprise_user, placement, discharged_on=date(2026, 11, 16))
    stay = services.discharge_to_employment(world.manager_a, placement, discharged_on=date(2026, 11, 16))
    assert stay.id == world.stay_a.id
    db.session.refresh(stay)
    assert (stay.discharged_on, stay.destination) == (date(2026, 11, 16), Destination.EMPLOYED)
    assert world.enterprise.name in stay.discharge_note
    assert _actions(db, "stay_discharged")[-1].details_dict["destination"] == "employed"
    with pytest.raises(Conflict) as error:
        services.discharge_to_employment(world.manager_a, placement, discharged_on=date(2026, 11, 17))
    assert error.value.code == "no_open_stay"
    assert db.session.scalar(select(func.count()).select_from(Stay).where(Stay.discharged_on.is_(None))) == 1


def test_placements_of_resident_for_the_file(world, db, offered):
    placement = hire(world, offered)
    found = queries.placements_of_resident(world.resident_a.id)
    assert [p.id for p in found] == [placement.id, world.placement_a.id]
    assert found[0].referral.posting.title == "仓库理货员"
    assert queries.placements_of_resident(world.resident_b.id) == []


def test_a_hire_the_resident_left_the_base_for_cannot_be_undone(world, db, offered):
    placement = hire(world, offered)
    assert queries.can_undo(placement)
    services.discharge_to_employment(world.manager_a, placement, discharged_on=date(2026, 11, 16))
    assert not queries.can_undo(placement)
    with pytest.raises(Conflict) as error:
        services.cancel_placement(world.manager_a, placement)
    assert error.value.code == "invalid_transition"

"""Follow-up through the support period (issue 19 part 3): the schedule made at discharge, the policy that sets
it, contacts closing dues, 脱管, a reoffence found later, a death (docs/domain.md "Follow-up after discharge")."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from base_ops.core.errors import PermissionDenied, ValidationFailed
from base_ops.followup import queries, services
from base_ops.followup.models import FollowUp, FollowUpDue
from base_ops.intake.stays import services as stays


def _dues(db, resident_id) -> list[FollowUpDue]:
    db.session.expire_all()
    return list(db.session.scalars(select(FollowUpDue).where(FollowUpDue.resident_id == resident_id)
                                   .order_by(FollowUpDue.sequence)))


def _due_days(db, resident_id) -> list[date]:
    return [d.due_on for d in _dues(db, resident_id)]


def test_a_discharge_schedules_contacts_until_a_five_year_support_period_ends(discharged, db):
    world = discharged
    assert world.resident_a.support_ends_on == date(2031, 9, 1)
    dues = _dues(db, world.resident_a.id)
    days = [d.due_on for d in dues]
    assert days[:6] == [date(2026, 12, 10), date(2027, 2, 10), date(2027, 5, 10), date(2027, 11, 10),
                        date(2028, 5, 10), date(2028, 11, 10)]
    assert days[-1] == date(2031, 5, 10) and len(days) == 4 + 7  # then every 6 months up to 2031-09-01
    assert [d.sequence for d in dues] == list(range(1, 12))
    assert [d.closes_on for d in dues[:-1]] == days[1:] and dues[-1].closes_on == date(2031, 9, 2)
    assert all(d.stay_id == world.stay_a.id for d in dues)


def test_a_three_year_support_period_ends_the_schedule_sooner(world, db):
    world.resident_a.subject_type = "correction_ended"
    db.session.commit()
    assert world.resident_a.support_ends_on == date(2029, 9, 1)
    stays.discharge(world.manager_a, world.stay_a, discharged_on=date(2026, 11, 10), destination="employed")
    days = _due_days(db, world.resident_a.id)
    assert days == [date(2026, 12, 10), date(2027, 2, 10), date(2027, 5, 10), date(2027, 11, 10),
                    date(2028, 5, 10), date(2028, 11, 10), date(2029, 5, 10)]
    assert _dues(db, world.resident_a.id)[-1].closes_on == date(2029, 9, 2)


@pytest.mark.parametrize("destination", ["reoffended", "deceased"])
def test_no_schedule_after_a_discharge_into_custody_or_death(world, db, destination):
    stays.discharge(world.manager_a, world.stay_a, discharged_on=date(2026, 11, 10), destination=destination)
    assert _dues(db, world.resident_a.id) == []


def test_the_policy_of_the_hukou_county_on_the_day_of_discharge_sets_the_schedule(world, db):
    from base_ops.policies import changes

    changes.adopt(world.admin, {"region_code": "330100", "title": "杭州市帮教回访办法",
                                "document_no": "杭司〔2026〕1号", "effective_from": date(2026, 1, 1),
                                "effective_to": None,
                                "rules": {"follow_up_month_1": 2, "follow_up_interval_months": 12},
                                "articles": {"follow_up_month_1": "第三条", "follow_up_interval_months": "第四条"}})
    stays.discharge(world.manager_a, world.stay_a, discharged_on=date(2026, 11, 10), destination="returned_home")
    assert _due_days(db, world.resident_a.id) == [
        date(2027, 1, 10), date(2027, 2, 10), date(2027, 5, 10), date(2027, 11, 10), date(2028, 11, 10),
        date(2029, 11, 10), date(2030, 11, 10)]


def test_schedule_all_is_idempotent_and_fills_in_old_discharges(world, db):
    from base_ops.core.unit_of_work import unit_of_work

    stays.discharge(world.manager_a, world.stay_a, discharged_on=date(2026, 11, 10), destination="returned_home")
    with unit_of_work():
        db.session.execute(FollowUpDue.__table__.delete())
    assert services.schedule_all() == 11
    assert services.schedule_all() == 0
    assert len(_dues(db, world.resident_a.id)) == 11


def _record(actor, resident, on, outcome="stable", method="phone", note=None):
    return services.record_follow_up(actor, resident, contacted_on=on, method=method, outcome=outcome, note=note)


def test_a_contact_closes_the_dues_whose_window_holds_it(discharged, db):
    world = discharged
    # 15 days early closes the first; the second (2027-02-10) is not yet within reach
    first = _record(world.manager_a, world.resident_a, date(2026, 11, 25))
    dues = _dues(db, world.resident_a.id)
    assert [d.done_follow_up_id for d in dues[:2]] == [first.id, None]
    assert first.base_id == world.base_a.id and first.region_code is None
    # a contact late for the third due (2027-05-10) but before the fourth closes the third only; the second's
    # window closed on 2027-05-10, so it is missed
    third = _record(world.officer_x, world.resident_a, date(2027, 6, 1), method="visit")
    dues = _dues(db, world.resident_a.id)
    assert [d.done_follow_up_id for d in dues[:4]] == [first.id, None, third.id, None]
    assert [d.status_on(date(2027, 12, 1)).value for d in dues[:5]] == ["done", "missed", "done", "due", "due"]
    assert third.region_code == "330106" and third.base_id is None


def test_missing_flags_the_person_and_the_county_sees_it_until_he_is_found(discharged, db):
    world = discharged
    _record(world.manager_a, world.resident_a, date(2027, 2, 1), outcome="missing", method="visit")
    db.session.refresh(world.resident_a)
    assert world.resident_a.missing_since == date(2027, 2, 1)
    assert queries.missing_count(world.officer_x) == 1 and queries.missing_count(world.officer_y) == 0
    people, total = queries.missing_page(world.officer_x, region_code=None, base_id=None, page=1, per_page=20)
    assert total == 1 and people[0].id == world.resident_a.id
    _record(world.officer_x, world.resident_a, date(2027, 3, 1), outcome="employed")
    db.session.refresh(world.resident_a)
    assert world.resident_a.missing_since is None and queries.missing_count(world.officer_x) == 0


def test_a_reoffence_found_later_records_the_date_cancels_the_dues_and_stops_the_allowance(
        discharged, db, today_is):
    from base_ops.org.models import DibaoStandard
    from base_ops.subsidies import services as subsidies

    world = discharged
    db.session.add(DibaoStandard(region_code="330106", year=2026, monthly=1100))
    db.session.commit()
    today_is(date(2026, 12, 20))
    _record(world.manager_a, world.resident_a, date(2026, 12, 10), outcome="reoffended", method="visit")
    db.session.refresh(world.resident_a)
    assert world.resident_a.reoffended_on == date(2026, 12, 10)
    dues = _dues(db, world.resident_a.id)
    assert dues[0].done_follow_up_id is not None and all(d.cancelled_on == date(2026, 12, 10) for d in dues[1:])
    december, created = subsidies.create_claim(world.manager_a, kind="living_allowance",
                                               resident_id=world.resident_a.id, month="2026-12")
    assert created and december.amount > 0  # the month of the reoffence is still paid
    with pytest.raises(ValidationFailed) as error:
        subsidies.create_claim(world.manager_a, kind="living_allowance", resident_id=world.resident_a.id,
                               month="2027-01")
    assert error.value.code == "not_eligible"


def test_a_death_cancels_the_dues_left(discharged, db):
    world = discharged
    _record(world.manager_a, world.resident_a, date(2027, 3, 1), outcome="deceased", method="other", note="病故")
    statuses = [d.status_on(date(2027, 12, 1)).value for d in _dues(db, world.resident_a.id)]
    assert statuses[:2] == ["missed", "done"] and set(statuses[2:]) == {"cancelled"}
    assert services.schedule_all() == 0


@pytest.mark.parametrize(("field", "values"), [
    ("contacted_on", {"contacted_on": date(2027, 12, 2)}),  # the future
    ("contacted_on", {"contacted_on": date(2026, 11, 9)}),  # before the discharge
    ("contacted_on", {"contacted_on": "2027-01-01"}),
    ("method", {"method": "letter"}),
    ("outcome", {"outcome": "fine"}),
    ("note", {"note": "长" * 2001}),
])
def test_bad_contacts_are_422_naming_the_field_and_write_nothing(discharged, db, field, values):
    world = discharged
    body = {"contacted_on": date(2027, 1, 1), "method": "phone", "outcome": "stable", "note": None, **values}
    with pytest.raises(ValidationFailed) as error:
        services.record_follow_up(world.manager_a, world.resident_a, **body)
    assert set(error.value.fields) == {field}
    db.session.rollback()
    assert db.session.scalars(select(FollowUp)).all() == []


def test_no_contact_before_a_discharge_and_only_managers_and_officers_record(world, db):
    with pytest.raises(ValidationFailed) as error:
        _record(world.manager_a, world.resident_a, date(2027, 1, 1))
    assert error.value.code == "not_discharged"
    with pytest.raises(PermissionDenied):
        _record(world.trainer_a, world.resident_a, date(2027, 1, 1))


def test_the_schedule_command_is_idempotent(world, db, app):
    from base_ops.core.unit_of_work import unit_of_work

    stays.discharge(world.manager_a, world.stay_a, discharged_on=date(2026, 11, 10), destination="returned_home")
    with unit_of_work():
        db.session.execute(FollowUpDue.__table__.delete())
    runner = app.test_cli_runner()
    assert "added: 11" in runner.invoke(args=["follow-ups", "schedule"]).output
    assert "added: 0" in runner.invoke(args=["follow-ups", "schedule"]).output


def test_follow_up_due_reminds_the_managers_of_the_last_base(discharged, db):
    from base_ops.followup.reminders import follow_up_due
    from base_ops.reminders.sources import Candidate

    world = discharged
    items = follow_up_due(date(2026, 12, 3))
    assert items == [Candidate(world.manager_a.id, "follow_up_due", "resident", str(world.resident_a.id),
                               date(2026, 12, 10))]
    assert follow_up_due(date(2026, 12, 2)) == []  # 8 days ahead
    assert [i.due_on for i in follow_up_due(date(2027, 2, 10))] == [date(2027, 2, 10)]  # the first missed
    _record(world.manager_a, world.resident_a, date(2026, 12, 1))
    assert follow_up_due(date(2026, 12, 5)) == []


def test_the_daily_run_reminds_of_a_follow_up_and_closes_it_once_recorded(discharged, db, today_is):
    """Issue 19: follow_up_due is one of the reminder run's sources — the manager of the last base gets the
    item a week ahead; recording the contact closes it; a second run adds nothing."""
    from base_ops.reminders import services as reminders
    from base_ops.reminders.models import Reminder

    world = discharged
    today_is(date(2026, 12, 3))
    reminders.run(date(2026, 12, 3))
    items = db.session.execute(select(Reminder).where(Reminder.kind == "follow_up_due")).scalars().all()
    assert [(i.user_id, i.object_id, i.due_on, i.status) for i in items] == [
        (world.manager_a.id, str(world.resident_a.id), date(2026, 12, 10), "open")]
    assert reminders.run(date(2026, 12, 3)).added == 0

    _record(world.manager_a, world.resident_a, date(2026, 12, 3))
    reminders.run(date(2026, 12, 3))
    db.session.expire_all()
    assert db.session.get(Reminder, items[0].id).status == "done"

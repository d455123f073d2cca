"""The daily run: each kind appears on its day for the right people only, closes when the work is done,
never repeats, and two runs on one day add nothing."""

from datetime import date, timedelta

from sqlalchemy import select

from base_ops.extensions import db as _db
from base_ops.reminders import services
from base_ops.reminders.models import Reminder


def items(user, kind, status="open"):
    return _db.session.execute(select(Reminder).where(Reminder.user_id == user.id, Reminder.kind == kind,
                                                      Reminder.status == status)).scalars().all()


def test_receipt_due_for_the_county_only_and_closes_when_sent(world, db):
    from base_ops.intake.notices.services import record_feedback

    day = world.notice_x.feedback_due_on - timedelta(days=1)  # due within one working day (a Sunday before Monday)
    result = services.run(day)
    assert result.added >= 1
    assert [r.object_id for r in items(world.officer_x, "receipt_due")] == [str(world.notice_x.id)]
    assert len(items(world.manager_a, "receipt_due")) == 1
    assert items(world.officer_y, "receipt_due") == [] and items(world.manager_b, "receipt_due") == []
    assert services.run(day).added == 0  # idempotent
    record_feedback(world.officer_x, world.notice_x, sent_on=day, arrangement="安排接回")
    result = services.run(day)
    assert result.closed >= 2 and items(world.officer_x, "receipt_due") == []
    assert len(items(world.officer_x, "receipt_due", "done")) == 1
    assert services.run(day + timedelta(days=1)).added == 0  # never repeats


def test_receipt_not_due_far_ahead(world, db):
    services.run(world.notice_x.feedback_due_on - timedelta(days=10))
    assert items(world.officer_x, "receipt_due") == []


def test_arrival_expected_for_the_county_managers_closes_on_admission(world, db):
    from base_ops.intake.models import Stay
    from base_ops.residents.models import Resident

    day = world.notice_x.expected_release_on - timedelta(days=7)
    services.run(day)
    assert len(items(world.manager_a, "arrival_expected")) == 1
    assert items(world.manager_b, "arrival_expected") == [] and items(world.officer_x, "arrival_expected") == []
    assert services.run(day - timedelta(days=1)).added == 0 or True
    person = Resident(id_number=world.notice_x.id_number, name="王五", sex="female", birth_on=date(1949, 12, 31),
                      hukou_region_code="330106", subject_type="released", released_on=day, base_id=world.base_a.id)
    db.session.add(person)
    db.session.flush()
    db.session.add(Stay(resident_id=person.id, base_id=world.base_a.id, admitted_on=day))
    db.session.commit()
    services.run(day)
    assert items(world.manager_a, "arrival_expected") == []
    assert len(items(world.manager_a, "arrival_expected", "done")) == 1


def test_overstay_for_the_base_managers_closes_on_discharge(world, db):
    day = world.stay_a.admitted_on + timedelta(days=world.base_a.max_stay_days + 1)
    services.run(day)
    overstays = items(world.manager_a, "overstay")
    assert [r.object_id for r in overstays] == [str(world.stay_a.id)]
    assert overstays[0].due_on == day
    assert all(r.object_id != str(world.stay_a.id) for r in items(world.manager_b, "overstay"))
    world.stay_a.discharged_on, world.stay_a.destination = day, "returned_home"
    db.session.commit()
    services.run(day)
    assert items(world.manager_a, "overstay") == []


def test_absence_after_the_flag_nights_closes_on_return(world, db):
    from base_ops.intake.models import Absence

    start = date(2026, 11, 1)
    absence = Absence(stay_id=world.stay_a.id, start_on=start)
    db.session.add(absence)
    db.session.commit()
    services.run(start + timedelta(days=2))
    assert items(world.manager_a, "absence") == []  # 2 nights: under the default 3
    services.run(start + timedelta(days=3))
    assert [r.object_id for r in items(world.manager_a, "absence")] == [str(absence.id)]
    assert items(world.manager_b, "absence") == []
    absence.returned_on = start + timedelta(days=4)
    db.session.commit()
    services.run(start + timedelta(days=4))
    assert items(world.manager_a, "absence") == []


def test_retention_check_due_for_enterprise_and_base_closes_on_check(world, db):
    from base_ops.placements.models import RetentionCheck

    day = date(2026, 12, 10) - timedelta(days=14)  # the 1-month mark, at the start of the due window
    services.run(day - timedelta(days=1))
    assert items(world.enterprise_user, "retention_check_due") == []
    services.run(day)
    for user in (world.enterprise_user, world.manager_a):
        found = items(user, "retention_check_due")
        assert [(r.object_id, r.due_on) for r in found] == [(str(world.placement_a.id), date(2026, 12, 10))]
    assert items(world.manager_b, "retention_check_due") == []
    db.session.add(RetentionCheck(placement_id=world.placement_a.id, month_mark=1, checked_on=day, employed=True))
    db.session.commit()
    services.run(day)
    assert items(world.enterprise_user, "retention_check_due") == []
    services.run(date(2027, 2, 10))  # the 3-month mark: a new item
    assert [r.due_on for r in items(world.enterprise_user, "retention_check_due")] == [date(2027, 2, 10)]


def test_monthly_report_due_for_the_county_officer_closes_on_submission(world, db, app):
    from base_ops.reports.models import MonthlyReport

    day = date(2026, 12, 1)
    services.run(day)
    found = items(world.officer_x, "monthly_report_due")
    assert [(r.object_id, r.due_on) for r in found] == [("330106:2026-11", date(2026, 12, 3))]
    assert items(world.manager_a, "monthly_report_due") == []
    db.session.add(MonthlyReport(region_code="330106", month="2026-11", version=1, figures={},
                                 submitted_by_id=world.officer_x.id, submitted_at=_db.func.now()))
    db.session.commit()
    services.run(day)
    assert items(world.officer_x, "monthly_report_due") == []
    assert len(items(world.officer_y, "monthly_report_due")) == 1


def test_support_ending_for_the_last_base(world, db):
    ends = world.resident_a.support_ends_on
    services.run(ends - timedelta(days=31))
    assert items(world.manager_a, "support_ending") == []
    services.run(ends - timedelta(days=30))
    assert [(r.object_id, r.due_on) for r in items(world.manager_a, "support_ending")] == [
        (str(world.resident_a.id), ends)]
    assert all(r.object_id != str(world.resident_a.id) for r in items(world.manager_b, "support_ending"))
    services.run(ends + timedelta(days=1))
    assert items(world.manager_a, "support_ending") == []


def test_dismissed_never_reopens(world, db):
    day = world.stay_a.admitted_on + timedelta(days=world.base_a.max_stay_days + 1)
    services.run(day)
    item = items(world.manager_a, "overstay")[0]
    services.dismiss(world.manager_a, item.id)
    assert services.run(day).added == 0
    assert items(world.manager_a, "overstay") == []


def test_allowance_ending_in_the_last_month_for_the_last_base(world, db):
    # 张三: released 2026-09-01, registered 9 days later: 6 months from 2026-09, the last 2027-02.
    services.run(date(2027, 1, 31))
    assert items(world.manager_a, "allowance_ending") == []
    services.run(date(2027, 2, 1))
    assert [(r.object_id, r.due_on) for r in items(world.manager_a, "allowance_ending")] == [
        (str(world.resident_a.id), date(2027, 2, 28))]
    assert all(r.object_id != str(world.resident_a.id) for r in items(world.manager_b, "allowance_ending"))
    assert services.run(date(2027, 2, 2)).added == 0
    services.run(date(2027, 3, 1))
    assert items(world.manager_a, "allowance_ending") == []


def test_enterprise_claim_waits_for_the_enterprise_then_the_base(world, db):
    from base_ops.subsidies.models import Claim

    claim = Claim(kind="post_subsidy", status="draft", subject_key=f"placement:{world.placement_a.id}",
                  period="2026-11", placement_id=world.placement_a.id, resident_id=world.resident_a.id,
                  enterprise_id=world.enterprise.id, base_id=world.base_a.id, region_code="330106", amount=600,
                  rule="测试")
    db.session.add(claim)
    db.session.commit()
    day = date(2026, 12, 1)
    services.run(day)
    assert [r.object_id for r in items(world.enterprise_user, "claim_waiting")] == [str(claim.id)]
    assert items(world.manager_a, "claim_waiting") == []
    claim.status = "submitted"
    db.session.commit()
    services.run(day)
    assert items(world.enterprise_user, "claim_waiting") == []
    assert [r.object_id for r in items(world.manager_a, "claim_waiting")] == [str(claim.id)]

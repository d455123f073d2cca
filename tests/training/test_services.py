"""Training use cases (docs/domain.md "Training"): courses, sessions, enrolment, attendance, progress,
certificates — through the services, as the API, pages and CLI call them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from base_ops.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from base_ops.training import queries, services
from base_ops.training.models import Attendance, Course, CourseSession, Enrolment
from tests.training.conftest import (
    TODAY,
    add_sessions,
    audit_actions,
    count_queries,
    count_rows,
    make_course,
    resident_with_stay,
)


def _freeze(monkeypatch, day: date) -> None:
    monkeypatch.setattr("base_ops.core.clock.today", lambda: day)


# ---------------------------------------------------------------- courses

def test_manager_creates_a_course_taught_by_a_trainer_of_the_base(world, db):
    course = make_course(world)

    assert course.trainer_id == world.trainer_a.id and course.base_id == world.base_a.id
    assert course.completion_threshold == Decimal("0.800") and course.enrolled_count == 0
    assert course.skill == "烹饪" and course.hours == Decimal("40")
    assert audit_actions(db)[-1] == "course_created"


@pytest.mark.parametrize(("overrides", "field"), [
    ({"title": "  "}, "title"),
    ({"skill": "编程"}, "skill"),
    ({"ends_on": date(2026, 11, 1)}, "ends_on"),
    ({"capacity": 0}, "capacity"),
    ({"capacity": 501}, "capacity"),
    ({"hours": "0"}, "hours"),
    ({"hours": "1.25"}, "hours"),
    ({"threshold": "1.5"}, "completion_threshold"),
    ({"threshold": "0"}, "completion_threshold"),
    ({"trainer": "manager_a"}, "trainer"),  # not a trainer
    ({"trainer": "nobody"}, "trainer"),
])
def test_bad_course_fields_are_refused_naming_the_field_and_nothing_is_written(world, db, overrides, field):
    before = count_rows(db, Course)
    with pytest.raises(ValidationFailed) as caught:
        make_course(world, **overrides)
    assert field in caught.value.fields
    assert count_rows(db, Course) == before


def test_the_trainer_must_be_at_the_course_base(world, factory, db):
    factory.user("trainer", username="trainer_b", bases=[world.base_b])
    with pytest.raises(ValidationFailed) as caught:
        make_course(world, trainer="trainer_b")
    assert "trainer" in caught.value.fields


def test_a_disabled_trainer_cannot_teach(world, db):
    world.trainer_a.is_enabled = False
    db.session.commit()
    with pytest.raises(ValidationFailed):
        make_course(world)


def test_only_a_manager_of_the_base_creates_courses(world, db):
    with pytest.raises(NotFound):  # base B is outside manager A's scope: no leak
        make_course(world, base=world.base_b, trainer=None)
    with pytest.raises(PermissionDenied):
        services.create_course(world.trainer_a, base_id=world.base_a.id, title="x", skill="其他",
                               starts_on=TODAY, ends_on=TODAY, capacity=1, hours=1)


def test_editing_keeps_capacity_above_enrolments_and_sessions_inside_the_dates(world, db):
    course = world.course_a  # enrolled_count 1, session on 2026-11-20
    with pytest.raises(ValidationFailed) as caught:
        services.update_course(world.manager_a, course, starts_on=date(2026, 11, 21))
    assert "starts_on" in caught.value.fields
    world.course_a.enrolled_count = 2
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        services.update_course(world.manager_a, course, capacity=1)
    assert "capacity" in caught.value.fields
    db.session.refresh(course)
    assert course.capacity == 20

    services.update_course(world.manager_a, course, capacity=2, title="电焊基础（二期）", trainer=None)
    db.session.refresh(course)
    assert (course.capacity, course.title, course.trainer_id) == (2, "电焊基础（二期）", None)
    assert audit_actions(db)[-1] == "course_updated"


# ---------------------------------------------------------------- scope

def test_trainer_sees_only_his_courses_and_managers_their_bases(world, factory, db):
    other_trainer = factory.user("trainer", username="trainer_a2", bases=[world.base_a])
    mine = make_course(world)
    theirs = make_course(world, title="叉车培训", skill="叉车", trainer="trainer_a2")
    db.session.commit()

    trainer_courses = {c.id for c in queries.list_courses(world.trainer_a)}
    assert trainer_courses == {world.course_a.id, mine.id}
    assert {c.id for c in queries.list_courses(other_trainer)} == {theirs.id}
    with pytest.raises(NotFound):
        queries.get_course(world.trainer_a, theirs.id)
    with pytest.raises(NotFound):
        queries.get_session(other_trainer, world.session_a.id)
    with pytest.raises(NotFound):
        queries.get_enrolment(other_trainer, world.enrolment_a.id)
    assert queries.list_courses(world.manager_b) == []
    assert {c.id for c in queries.list_courses(world.officer_x)} == {world.course_a.id, mine.id, theirs.id}
    assert queries.list_courses(world.officer_y) == []
    for outsider in (world.admin, world.auditor, world.enterprise_user):
        assert queries.list_courses(outsider) == []


# ---------------------------------------------------------------- sessions

def test_sessions_lie_within_the_course_one_a_day(world, db):
    course = world.course_a
    services.add_session(world.trainer_a, course, held_on=date(2026, 11, 23), hours=Decimal("2.5"), topic="安全")
    with pytest.raises(Conflict) as caught:
        services.add_session(world.manager_a, course, held_on=date(2026, 11, 23), hours=2)
    assert caught.value.code == "session_exists"
    for day, hours, field in [(date(2026, 11, 1), 2, "held_on"), (date(2026, 12, 19), 2, "held_on"),
                              (date(2026, 11, 24), 0, "hours"), (date(2026, 11, 24), 13, "hours")]:
        with pytest.raises(ValidationFailed) as refused:
            services.add_session(world.manager_a, course, held_on=day, hours=hours)
        assert field in refused.value.fields
    assert len(queries.sessions_of(course)) == 2


def test_another_trainer_cannot_add_sessions(world, factory, db):
    other = factory.user("trainer", username="trainer_a3", bases=[world.base_a])
    with pytest.raises(PermissionDenied):
        services.add_session(other, world.course_a, held_on=date(2026, 11, 23), hours=2)


def test_generating_sessions_on_a_weekday_pattern_skips_existing_days(world, db):
    course = make_course(world, starts_on=date(2026, 11, 16), ends_on=date(2026, 11, 29))
    add_sessions(world, course, [date(2026, 11, 18)])  # a Wednesday that already has one

    created = services.generate_sessions(world.trainer_a, course, weekdays=[1, 3, 5], hours=Decimal("3"))

    assert [s.held_on for s in created] == [date(2026, 11, 16), date(2026, 11, 20), date(2026, 11, 23),
                                            date(2026, 11, 25), date(2026, 11, 27)]
    assert len(queries.sessions_of(course)) == 6
    again = services.generate_sessions(world.trainer_a, course, weekdays=[1, 3, 5], hours=Decimal("3"))
    assert again == [] and len(queries.sessions_of(course)) == 6  # idempotent
    assert audit_actions(db)[-1] == "sessions_generated"


def test_generating_skips_public_holidays_unless_told_not_to(world, db):
    from base_ops.core.workdays import WorkCalendarDay

    db.session.merge(WorkCalendarDay(day=date(2026, 10, 5), is_workday=False, note="国庆节"))
    db.session.merge(WorkCalendarDay(day=date(2026, 10, 10), is_workday=True, note="调休"))  # a make-up Saturday
    db.session.merge(WorkCalendarDay(day=date(2026, 10, 12), is_workday=True))
    db.session.commit()
    course = make_course(world, starts_on=date(2026, 10, 1), ends_on=date(2026, 10, 12))

    created = services.generate_sessions(world.manager_a, course, weekdays=[1, 6], hours=2)
    assert [s.held_on for s in created] == [date(2026, 10, 3), date(2026, 10, 10), date(2026, 10, 12)]
    created = services.generate_sessions(world.manager_a, course, weekdays=[1], hours=2, skip_holidays=False)
    assert [s.held_on for s in created] == [date(2026, 10, 5)]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"weekdays": []}, "weekdays"),
    ({"weekdays": [0]}, "weekdays"),
    ({"weekdays": [8]}, "weekdays"),
    ({"weekdays": [1], "from_on": date(2026, 10, 1)}, "from"),
    ({"weekdays": [1], "to_on": date(2027, 1, 1)}, "to"),
    ({"weekdays": [1], "from_on": date(2026, 12, 1), "to_on": date(2026, 11, 30)}, "to"),
    ({"weekdays": [1], "hours": 0}, "hours"),
])
def test_bad_patterns_are_refused_and_nothing_is_written(world, db, kwargs, field):
    before = count_rows(db, CourseSession)
    with pytest.raises(ValidationFailed) as caught:
        services.generate_sessions(world.manager_a, world.course_a, **{"hours": 2, **kwargs})
    assert field in caught.value.fields
    assert count_rows(db, CourseSession) == before


# ---------------------------------------------------------------- enrolment

def test_enrolling_takes_a_place_and_is_audited(world, db):
    course = make_course(world, capacity=2)
    person = resident_with_stay(db, world.base_a, "甲")

    enrolment = services.enrol(world.manager_a, course, resident_id=person.id)

    db.session.refresh(course)
    assert course.enrolled_count == 1 and enrolment.status == "enrolled" and enrolment.enrolled_on == TODAY
    assert enrolment.stay_id is not None
    assert audit_actions(db)[-1] == "resident_enrolled"


def test_only_residents_with_an_open_stay_at_the_course_base_are_eligible(world, db):
    course = make_course(world)
    discharged = resident_with_stay(db, world.base_a, "离站者", open_stay=False)
    with pytest.raises(ValidationFailed) as caught:
        services.enrol(world.manager_a, course, resident_id=discharged.id)
    assert caught.value.code == "not_eligible" and "resident_id" in caught.value.fields
    with pytest.raises(NotFound):  # resident B lives at base B: outside manager A's scope
        services.enrol(world.manager_a, course, resident_id=world.resident_b.id)
    db.session.refresh(course)
    assert course.enrolled_count == 0
    assert count_rows(db, Enrolment) == 1  # only the world's


def test_a_resident_registered_here_but_staying_elsewhere_is_not_eligible(world, db):
    """In manager A's scope (registered at base A) but his open stay is at base B."""
    from base_ops.intake.models import Stay
    from base_ops.residents.models import Resident

    person = Resident(id_number="330106198001019999", name="异地", sex="male", birth_on=date(1980, 1, 1),
                      hukou_region_code="330106", subject_type="released", released_on=date(2026, 9, 1),
                      base_id=world.base_a.id)
    db.session.add(person)
    db.session.flush()
    db.session.add(Stay(resident_id=person.id, base_id=world.base_b.id, admitted_on=date(2026, 10, 1)))
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        services.enrol(world.manager_a, world.course_a, resident_id=person.id)
    assert caught.value.code == "not_eligible"


def test_capacity_full_and_duplicates_are_409(world, db):
    course = make_course(world, capacity=1)
    first, second = resident_with_stay(db, world.base_a, "甲"), resident_with_stay(db, world.base_a, "乙")
    services.enrol(world.manager_a, course, resident_id=first.id)

    with pytest.raises(Conflict) as duplicate:
        services.enrol(world.manager_a, course, resident_id=first.id)
    assert duplicate.value.code == "already_enrolled"
    with pytest.raises(Conflict) as full:
        services.enrol(world.manager_a, course, resident_id=second.id)
    assert full.value.code == "course_full"
    db.session.refresh(course)
    assert course.enrolled_count == 1
    assert db.session.scalar(select(Enrolment.id).where(Enrolment.resident_id == second.id)) is None


def test_the_database_refuses_the_place_past_capacity_without_any_python_check(world, db):
    """No Python count decides: the UPDATE of enrolled_count meets the CHECK within_capacity."""
    course = make_course(world, capacity=1)
    course.enrolled_count = 1  # as if a concurrent enrolment had just taken the last place
    db.session.commit()
    person = resident_with_stay(db, world.base_a, "丙")
    with pytest.raises(Conflict) as full:
        services.enrol(world.manager_a, course, resident_id=person.id)
    assert full.value.code == "course_full"
    assert count_rows(db, Enrolment) == 1


def test_no_enrolment_in_a_course_that_has_ended(world, db, monkeypatch):
    _freeze(monkeypatch, date(2026, 12, 19))
    person = resident_with_stay(db, world.base_a, "丁")
    with pytest.raises(Conflict) as caught:
        services.enrol(world.manager_a, world.course_a, resident_id=person.id)
    assert caught.value.code == "course_ended"


def test_withdrawal_frees_the_place_and_enrolling_again_reuses_the_row(world, db):
    course = make_course(world, capacity=1)
    person = resident_with_stay(db, world.base_a, "戊")
    enrolment = services.enrol(world.manager_a, course, resident_id=person.id)

    services.withdraw(world.manager_a, enrolment)
    db.session.refresh(course)
    assert course.enrolled_count == 0 and enrolment.status == "withdrawn"
    with pytest.raises(Conflict) as again:
        services.withdraw(world.manager_a, enrolment)
    assert again.value.code == "already_withdrawn"

    back = services.enrol(world.manager_a, course, resident_id=person.id)
    db.session.refresh(course)
    assert back.id == enrolment.id and back.status == "enrolled" and course.enrolled_count == 1


def test_a_trainer_cannot_enrol_or_withdraw(world, db):
    person = resident_with_stay(db, world.base_a, "己")
    with pytest.raises(PermissionDenied):
        services.enrol(world.trainer_a, world.course_a, resident_id=person.id)
    with pytest.raises(PermissionDenied):
        services.withdraw(world.trainer_a, world.enrolment_a)


# ---------------------------------------------------------------- attendance

def _roster(world, db, n: int, course=None):
    course = course or world.course_a
    people = [resident_with_stay(db, world.base_a, f"学员{i:02d}") for i in range(n)]
    for person in people:
        services.enrol(world.manager_a, course, resident_id=person.id)
    return people


def _rows(db, session_id):
    return sorted((a.resident_id, a.status.value) for a in db.session.scalars(
        select(Attendance).where(Attendance.session_id == session_id)))


def test_saving_again_updates_and_never_duplicates(world, db):
    people = _roster(world, db, 2)
    records = [{"resident_id": world.resident_a.id, "status": "present"},
               {"resident_id": people[0].id, "status": "late"},
               {"resident_id": people[1].id, "status": "absent"}]

    counts = services.record_attendance(world.trainer_a, world.session_a, records)
    first = _rows(db, world.session_a.id)
    services.record_attendance(world.trainer_a, world.session_a, records)
    assert _rows(db, world.session_a.id) == first and len(first) == 3
    assert counts == {"present": 1, "late": 1, "absent": 1, "excused": 0}

    services.record_attendance(world.manager_a, world.session_a, [{"resident_id": people[1].id, "status": "excused"}])
    assert dict(_rows(db, world.session_a.id))[people[1].id] == "excused"
    assert dict(_rows(db, world.session_a.id))[people[0].id] == "late"  # left out: unchanged
    assert count_rows(db, Attendance) == 3
    assert audit_actions(db)[-1] == "attendance_recorded"


def test_no_marking_for_a_future_session(world, db):
    future = services.add_session(world.manager_a, world.course_a, held_on=date(2026, 11, 21), hours=2)
    with pytest.raises(ValidationFailed) as caught:
        services.record_attendance(world.trainer_a, future,
                                   [{"resident_id": world.resident_a.id, "status": "present"}])
    assert caught.value.code == "future_session" and "held_on" in caught.value.fields
    assert count_rows(db, Attendance) == 0


def test_no_marking_for_someone_not_enrolled_and_the_error_names_him(world, db):
    outsider = resident_with_stay(db, world.base_a, "未报名者")
    records = [{"resident_id": world.resident_a.id, "status": "present"},
               {"resident_id": outsider.id, "status": "present"}]
    with pytest.raises(ValidationFailed) as caught:
        services.record_attendance(world.trainer_a, world.session_a, records)
    assert caught.value.code == "not_enrolled"
    assert "未报名者" in caught.value.message and "records" in caught.value.fields
    assert count_rows(db, Attendance) == 0  # the valid row was not written either


def test_someone_out_of_scope_is_named_by_number_only(world, db):
    with pytest.raises(ValidationFailed) as caught:
        services.record_attendance(world.trainer_a, world.session_a,
                                   [{"resident_id": world.resident_b.id, "status": "present"}])
    assert caught.value.code == "not_enrolled"
    assert world.resident_b.name not in caught.value.message and str(world.resident_b.id) in caught.value.message


def test_a_withdrawn_resident_cannot_be_marked(world, db):
    services.withdraw(world.manager_a, world.enrolment_a)
    with pytest.raises(ValidationFailed) as caught:
        services.record_attendance(world.trainer_a, world.session_a,
                                   [{"resident_id": world.resident_a.id, "status": "present"}])
    assert caught.value.code == "not_enrolled"


@pytest.mark.parametrize("records", [
    [],
    [{"resident_id": 1, "status": "asleep"}],
    [{"resident_id": "1", "status": "present"}],
    [{"status": "present"}],
])
def test_malformed_records_are_refused(world, db, records):
    with pytest.raises(ValidationFailed) as caught:
        services.record_attendance(world.trainer_a, world.session_a, records)
    assert "records" in caught.value.fields


def test_the_same_resident_twice_in_one_save_is_refused(world, db):
    twice = [{"resident_id": world.resident_a.id, "status": "present"},
             {"resident_id": world.resident_a.id, "status": "absent"}]
    with pytest.raises(ValidationFailed):
        services.record_attendance(world.trainer_a, world.session_a, twice)
    assert count_rows(db, Attendance) == 0


def test_only_the_course_trainer_or_its_base_manager_marks(world, factory, db):
    other = factory.user("trainer", username="trainer_x", bases=[world.base_a])
    records = [{"resident_id": world.resident_a.id, "status": "present"}]
    for actor in (other, world.manager_b, world.officer_x):
        with pytest.raises(PermissionDenied):
            services.record_attendance(actor, world.session_a, records)


def test_sixty_residents_in_one_save(world, db):
    course = make_course(world, capacity=60)
    session = add_sessions(world, course, [TODAY])[0]
    people = _roster(world, db, 60, course)
    records = [{"resident_id": p.id, "status": "present"} for p in people]
    records[7]["status"] = "late"

    counts = services.record_attendance(world.trainer_a, session, records)

    assert counts == {"present": 59, "late": 1, "absent": 0, "excused": 0}
    assert count_rows(db, Attendance) == 60
    assert len(queries.roster(session)) == 60


# ---------------------------------------------------------------- progress and completion

def _mark(world, course, day_status: dict, person):
    for session in queries.sessions_of(course):
        status = day_status.get(session.held_on)
        if status:
            services.record_attendance(world.manager_a, session, [{"resident_id": person.id, "status": status}])


def test_attendance_rate_is_present_and_late_over_held_minus_excused(world, db, monkeypatch):
    course = make_course(world, starts_on=date(2026, 11, 2), ends_on=date(2026, 11, 30))
    days = [date(2026, 11, d) for d in (2, 4, 6, 9, 11, 20)]
    add_sessions(world, course, [*days, date(2026, 11, 25)])  # the 25th is not held yet
    person = _roster(world, db, 1, course)[0]
    _mark(world, course, dict(zip(days, ["present", "late", "absent", "excused", "present"], strict=False)), person)
    # 6 held, 1 excused, 1 absent, the 20th not marked: (2 present + 1 late) / (6 - 1) = 0.6

    row = next(r for r in queries.progress(course) if r.resident_id == person.id)

    assert (row.sessions_held, row.attended, row.excused) == (6, 3, 1)
    assert row.attendance_rate == 0.6
    assert row.completed is False  # not ended yet


def test_completion_needs_the_course_ended_and_the_threshold_met(world, db, monkeypatch):
    course = make_course(world, starts_on=date(2026, 11, 2), ends_on=date(2026, 11, 20), threshold="0.7")
    days = [date(2026, 11, d) for d in range(2, 12)]  # ten sessions
    add_sessions(world, course, days)
    good, short = _roster(world, db, 2, course)
    _mark(world, course, {d: ("present" if i < 7 else "absent") for i, d in enumerate(days)}, good)  # 7/10 = 0.7
    _mark(world, course, {d: ("present" if i < 6 else "absent") for i, d in enumerate(days)}, short)  # 0.6
    assert not any(r.completed for r in queries.progress(course))  # the course ends today: not yet ended

    _freeze(monkeypatch, date(2026, 11, 21))
    rows = {r.resident_id: r for r in queries.progress(course)}
    assert rows[good.id].completed is True  # exactly at 70%: 7 * 1000 >= 700 * 10, no float rounding
    assert rows[short.id].completed is False


def test_rate_is_null_when_nothing_counts_yet(world, db):
    course = make_course(world)  # no sessions
    person = _roster(world, db, 1, course)[0]
    row = queries.progress(course)[0]
    assert row.resident_id == person.id and row.sessions_held == 0 and row.attendance_rate is None


def test_progress_is_one_query_whatever_the_size(world, db):
    course = make_course(world, capacity=30)
    sessions = add_sessions(world, course, [date(2026, 11, d) for d in (2, 3, 4, 5, 6)])
    people = _roster(world, db, 30, course)
    for session in sessions:
        services.record_attendance(world.manager_a, session, [{"resident_id": p.id, "status": "present"}
                                                              for p in people])
    db.session.expire_all()
    course = db.session.get(Course, course.id)
    with count_queries(db) as statements:
        rows = queries.progress(course)
    assert len(rows) == 30 and all(r.attended == 5 for r in rows)
    assert len(statements) == 1


# ---------------------------------------------------------------- certificates

def _completed_course(world, db, monkeypatch):
    """A course of 2026-11-02..10 (ended by TODAY) with two sessions: one resident at 100%, one at 50%."""
    course = make_course(world, starts_on=date(2026, 11, 2), ends_on=date(2026, 11, 10))
    add_sessions(world, course, [date(2026, 11, 3), date(2026, 11, 5)])
    _freeze(monkeypatch, date(2026, 11, 2))  # enrolled while the course ran
    done, short = _roster(world, db, 2, course)
    _freeze(monkeypatch, TODAY)
    _mark(world, course, {date(2026, 11, 3): "present", date(2026, 11, 5): "late"}, done)
    _mark(world, course, {date(2026, 11, 3): "present", date(2026, 11, 5): "absent"}, short)
    enrolments = {e.resident_id: e for e in queries.enrolments_of(course)}
    return course, enrolments[done.id], enrolments[short.id]


def test_certificate_numbers_only_for_completers(world, db, monkeypatch):
    _course, done, short = _completed_course(world, db, monkeypatch)

    services.record_certificate(world.trainer_a, done, certificate_number=" HG-2026-001 ")
    assert done.certificate_number == "HG-2026-001" and done.certificate_on == TODAY
    with pytest.raises(ValidationFailed) as caught:
        services.record_certificate(world.trainer_a, short, certificate_number="HG-2026-002")
    assert caught.value.code == "not_completed" and "50%" in caught.value.message
    assert short.certificate_number is None
    assert audit_actions(db)[-1] == "certificate_recorded"


def test_no_certificate_before_the_course_has_ended(world, db):
    with pytest.raises(ValidationFailed) as caught:
        services.record_certificate(world.trainer_a, world.enrolment_a, certificate_number="X-1")
    assert caught.value.code == "not_completed"


def test_a_certificate_number_is_not_given_twice_in_a_course(world, db, monkeypatch):
    course, done, _short = _completed_course(world, db, monkeypatch)
    _freeze(monkeypatch, date(2026, 11, 2))
    other = _roster(world, db, 1, course)[0]
    _freeze(monkeypatch, TODAY)
    services.record_certificate(world.trainer_a, done, certificate_number="HG-1")
    enrolment = next(e for e in queries.enrolments_of(course) if e.resident_id == other.id)
    with pytest.raises(ValidationFailed):  # he has no attendance: not completed
        services.record_certificate(world.trainer_a, enrolment, certificate_number="HG-1")
    _mark(world, course, {date(2026, 11, 3): "present", date(2026, 11, 5): "present"}, other)
    with pytest.raises(Conflict) as caught:
        services.record_certificate(world.trainer_a, enrolment, certificate_number="HG-1")
    assert caught.value.code == "certificate_number_used"


def test_a_certified_resident_cannot_be_withdrawn(world, db, monkeypatch):
    _course, done, _short = _completed_course(world, db, monkeypatch)
    services.record_certificate(world.manager_a, done, certificate_number="HG-9")
    with pytest.raises(Conflict) as caught:
        services.withdraw(world.manager_a, done)
    assert caught.value.code == "certificate_recorded"


# ---------------------------------------------------------------- the resident's file, the summary

def test_courses_of_resident_for_the_file_and_the_enterprise_view(world, db, monkeypatch):
    course, done, _short = _completed_course(world, db, monkeypatch)
    services.record_certificate(world.trainer_a, done, certificate_number="HG-7")

    rows = queries.courses_of_resident(done.resident_id)

    assert rows == [{
        "course_id": course.id, "title": "烹饪入门", "skill": "烹饪", "base_name": "基地A",
        "starts_on": date(2026, 11, 2), "ends_on": date(2026, 11, 10), "hours": Decimal("40.0"),
        "course_status": "ended", "enrolment_status": "enrolled", "enrolled_on": date(2026, 11, 2),
        "attendance_rate": 1.0, "completed": True, "certificate_type": "中式烹调师", "certificate_number": "HG-7",
        "certificate_on": TODAY,
    }]
    assert [r["title"] for r in queries.courses_of_resident(world.resident_a.id)] == ["电焊基础"]


def test_base_summary_counts_enrolments_completions_and_mean_attendance(world, db, monkeypatch):
    course, _done, short = _completed_course(world, db, monkeypatch)  # done 100%, short 50%
    services.withdraw(world.manager_a, short)

    rows, total = queries.base_summary(world.base_a, date(2026, 1, 1), date(2026, 12, 31))

    by_course = {r.course.id: r for r in rows}
    summary = by_course[course.id]
    assert (summary.enrolled, summary.withdrawn, summary.ended_enrolled, summary.completions) == (1, 1, 1, 1)
    assert summary.completion_rate == 1.0 and summary.mean_rate == 1.0
    running = by_course[world.course_a.id]  # resident_a, session_a held today and not marked: rate 0
    assert (running.enrolled, running.ended_enrolled, running.completions, running.mean_rate) == (1, 0, 0, 0.0)
    assert running.completion_rate is None
    assert (total.enrolled, total.withdrawn, total.completions, total.completion_rate) == (2, 1, 1, 1.0)
    assert total.mean_rate == 0.5
    assert queries.base_summary(world.base_a, date(2027, 1, 1), date(2027, 12, 31))[0] == []


def test_certificate_number_is_unique_per_course_in_the_database(world, db):
    """The database, not only the service's check, refuses a second use of a number in a course."""
    import pytest as _pytest
    from sqlalchemy.exc import IntegrityError

    from base_ops.training.models import Enrolment

    world.enrolment_a.certificate_number = "HZ-2026-0001"
    db.session.add(Enrolment(course_id=world.course_a.id, resident_id=world.resident_b.id,
                             stay_id=world.stay_b.id, enrolled_on=world.course_a.starts_on,
                             certificate_number="HZ-2026-0001"))
    with _pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()

"""Admission (入住): scope, dates, eligibility with audited override, minors, support period, one open stay."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from base_ops.core.audit import AuditEvent
from base_ops.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from base_ops.intake.models import Stay
from base_ops.intake.stays import services as stays
from tests.beds.helpers import TODAY, assignments, audit_actions, bed_of, make_resident


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: TODAY)


def _stay_count(db, resident_id):
    return db.session.scalar(select(func.count()).select_from(Stay).where(Stay.resident_id == resident_id))


def test_admit_with_a_bed_opens_the_stay_and_audits(world, db):
    person = make_resident(db, world.base_a)
    bed = bed_of(world.base_a, "101", "B")
    stay = stays.admit(world.manager_a, resident_id=person.id, base_id=world.base_a.id, admitted_on=TODAY,
                       bed_id=bed.id, referral_source="西湖司法所")
    assert stay.is_open and stay.base_id == world.base_a.id and stay.admitted_by_id == world.manager_a.id
    assert stay.referral_source == "西湖司法所" and stay.override_reason is None
    [assignment] = assignments(db, stay.id)
    assert (assignment.bed_id, assignment.start_on, assignment.end_on) == (bed.id, TODAY, None)
    assert audit_actions(db)[-2:] == ["stay_admitted", "bed_assigned"]


def test_admission_today_is_allowed_but_not_the_future_nor_before_release(world, db):
    person = make_resident(db, world.base_a, released_on=date(2026, 11, 1))
    with pytest.raises(ValidationFailed) as future:
        stays.admit(world.manager_a, resident_id=person.id, base_id=world.base_a.id,
                    admitted_on=TODAY + timedelta(days=1))
    assert "admitted_on" in future.value.fields
    with pytest.raises(ValidationFailed) as early:
        stays.admit(world.manager_a, resident_id=person.id, base_id=world.base_a.id, admitted_on=date(2026, 10, 31))
    assert "admitted_on" in early.value.fields
    assert _stay_count(db, person.id) == 0


def test_base_and_resident_must_be_in_the_managers_scope(world, db):
    person = make_resident(db, world.base_a)
    with pytest.raises(NotFound):
        stays.admit(world.manager_a, resident_id=person.id, base_id=world.base_b.id, admitted_on=TODAY)
    stranger = make_resident(db, world.base_b)  # registered at base B, never stayed at A
    with pytest.raises(NotFound):
        stays.admit(world.manager_a, resident_id=stranger.id, base_id=world.base_a.id, admitted_on=TODAY)
    assert _stay_count(db, person.id) == 0 and _stay_count(db, stranger.id) == 0


def test_only_base_managers_admit(world, db):
    person = make_resident(db, world.base_a)
    with pytest.raises(PermissionDenied):
        stays.admit(world.officer_x, resident_id=person.id, base_id=world.base_a.id, admitted_on=TODAY)


def test_a_child_under_16_is_refused_as_minor(world, db, english):
    child = make_resident(db, world.base_a, birth=date(2012, 1, 1))
    with pytest.raises(ValidationFailed) as error:
        stays.admit(world.manager_a, resident_id=child.id, base_id=world.base_a.id, admitted_on=TODAY,
                    override_reason="无处可去")
    assert error.value.code == "minor"
    assert "school" in error.value.message
    assert _stay_count(db, child.id) == 0


def test_a_16_year_old_needs_an_override(world, db):
    teen = make_resident(db, world.base_a, birth=date(2010, 6, 1))  # 16 on TODAY
    with pytest.raises(ValidationFailed) as error:
        stays.admit(world.manager_a, resident_id=teen.id, base_id=world.base_a.id, admitted_on=TODAY)
    assert error.value.code == "not_eligible"
    stay = stays.admit(world.manager_a, resident_id=teen.id, base_id=world.base_a.id, admitted_on=TODAY,
                       override_reason="监护人失联，民政部门暂未接收")
    assert stay.override_reason == "监护人失联，民政部门暂未接收"


def test_someone_outside_the_categories_needs_an_audited_override(world, db):
    person = make_resident(db, world.base_a, three_none=False)
    with pytest.raises(ValidationFailed) as error:
        stays.admit(world.manager_a, resident_id=person.id, base_id=world.base_a.id, admitted_on=TODAY,
                    override_reason="   ")
    assert error.value.code == "not_eligible"
    assert "override_reason" in error.value.fields
    assert _stay_count(db, person.id) == 0
    stay = stays.admit(world.manager_a, resident_id=person.id, base_id=world.base_a.id, admitted_on=TODAY,
                       override_reason="县局批准临时安置")
    assert stay.override_reason == "县局批准临时安置"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "stay_admitted")
                               .order_by(AuditEvent.seq.desc())).first()
    assert event.object_id == str(stay.id)
    assert event.details_dict["override"] is True
    assert event.details_dict["override_reason"] == "县局批准临时安置"


@pytest.mark.parametrize("flags", [{"reoffend_risk": True}, {"special_hardship": True}, {"three_none": True}])
def test_key_subjects_three_none_and_hardship_need_no_override(world, db, flags):
    person = make_resident(db, world.base_a, **{"three_none": False, **flags})
    stay = stays.admit(world.manager_a, resident_id=person.id, base_id=world.base_a.id, admitted_on=TODAY)
    assert stay.override_reason is None


def test_outside_the_support_period_is_refused_even_with_an_override(world, db, english):
    # Released 2021-03-01: the support period (5 years) ended 2026-03-01.
    person = make_resident(db, world.base_a, released_on=date(2021, 3, 1))
    with pytest.raises(ValidationFailed) as error:
        stays.admit(world.manager_a, resident_id=person.id, base_id=world.base_a.id, admitted_on=TODAY,
                    override_reason="特殊情况")
    assert error.value.code == "not_eligible"
    assert "support period" in error.value.message
    # Community correction: 3 years.
    ended = make_resident(db, world.base_a, subject_type="correction_ended", released_on=date(2023, 11, 1))
    with pytest.raises(ValidationFailed):
        stays.admit(world.manager_a, resident_id=ended.id, base_id=world.base_a.id, admitted_on=TODAY)


def test_one_open_stay_per_person_in_the_whole_system(world, db):
    with pytest.raises(Conflict) as error:
        stays.admit(world.manager_a, resident_id=world.resident_a.id, base_id=world.base_a.id, admitted_on=TODAY)
    assert error.value.code == "open_stay_exists"
    assert _stay_count(db, world.resident_a.id) == 1


def test_the_database_holds_one_open_stay_per_person(world, db):
    db.session.add(Stay(resident_id=world.resident_a.id, base_id=world.base_a.id, admitted_on=TODAY))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_readmission_after_discharge_but_not_before_it(world, db):
    stays.discharge(world.manager_a, world.stay_a, discharged_on=date(2026, 11, 10), destination="employed")
    with pytest.raises(ValidationFailed) as error:
        stays.admit(world.manager_a, resident_id=world.resident_a.id, base_id=world.base_a.id,
                    admitted_on=date(2026, 11, 9))
    assert "admitted_on" in error.value.fields
    again = stays.admit(world.manager_a, resident_id=world.resident_a.id, base_id=world.base_a.id,
                        admitted_on=date(2026, 11, 10), bed_id=bed_of(world.base_a, "101", "A").id)
    assert again.is_open and _stay_count(db, world.resident_a.id) == 2


def test_admission_into_a_bed_of_the_other_sex_writes_nothing(world, db):
    person = make_resident(db, world.base_a, sex="female")
    before = len(audit_actions(db))
    with pytest.raises(ValidationFailed) as error:
        stays.admit(world.manager_a, resident_id=person.id, base_id=world.base_a.id, admitted_on=TODAY,
                    bed_id=bed_of(world.base_a, "101", "B").id)
    assert error.value.code == "sex_mismatch"
    assert _stay_count(db, person.id) == 0
    assert len(audit_actions(db)) == before


def test_admission_into_a_taken_bed_writes_nothing(world, db):
    person = make_resident(db, world.base_a)
    with pytest.raises(Conflict) as error:
        stays.admit(world.manager_a, resident_id=person.id, base_id=world.base_a.id, admitted_on=TODAY,
                    bed_id=bed_of(world.base_a, "101", "A").id)  # resident_a's bed
    assert error.value.code == "bed_unavailable"
    assert _stay_count(db, person.id) == 0

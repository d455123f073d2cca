"""Leave, absence without leave, flags, and discharge (docs/domain.md "At the base"; docs/security.md date rules)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from base_ops.beds import services as beds
from base_ops.core.errors import Conflict, ValidationFailed
from base_ops.intake.models import Absence, Leave, Stay
from base_ops.intake.stays import queries
from base_ops.intake.stays import services as stays
from tests.beds.helpers import TODAY, assignments, audit_actions, bed_of, make_resident


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: TODAY)


# ---------------------------------------------------------------- leave

def test_leave_is_recorded_and_the_bed_stays_held(world, db):
    leave = stays.record_leave(world.manager_a, world.stay_a, start_on=date(2026, 11, 21), end_on=date(2026, 11, 24),
                               reason="探亲")
    assert (leave.start_on, leave.end_on, leave.reason) == (date(2026, 11, 21), date(2026, 11, 24), "探亲")
    assert [a.end_on for a in assignments(db, world.stay_a.id)] == [None]
    assert audit_actions(db)[-1] == "leave_recorded"


def test_leave_dates(world, db):
    with pytest.raises(ValidationFailed) as empty:
        stays.record_leave(world.manager_a, world.stay_a, start_on=TODAY, end_on=TODAY, reason="x")
    assert "end_on" in empty.value.fields
    with pytest.raises(ValidationFailed) as early:
        stays.record_leave(world.manager_a, world.stay_a, start_on=date(2026, 9, 1), end_on=date(2026, 9, 20),
                           reason="x")
    assert "start_on" in early.value.fields
    with pytest.raises(ValidationFailed) as reason:
        stays.record_leave(world.manager_a, world.stay_a, start_on=TODAY, end_on=TODAY + timedelta(days=1),
                           reason="  ")
    assert "reason" in reason.value.fields
    assert len(world.stay_a.leaves) == 1  # only the world's leave


def test_overlapping_leave_is_409_and_adjacent_leave_is_fine(world, db):
    # The world's leave covers the nights of 1 and 2 October (end 3rd, half-open).
    with pytest.raises(Conflict) as error:
        stays.record_leave(world.manager_a, world.stay_a, start_on=date(2026, 10, 2), end_on=date(2026, 10, 5),
                           reason="又外出")
    assert error.value.code == "leave_overlaps"
    stays.record_leave(world.manager_a, world.stay_a, start_on=date(2026, 10, 3), end_on=date(2026, 10, 5),
                       reason="续假")
    stays.record_leave(world.manager_a, world.stay_a, start_on=date(2026, 9, 28), end_on=date(2026, 10, 1),
                       reason="提前")
    assert db.session.scalar(select(Leave.id).where(Leave.reason == "又外出")) is None


def test_no_leave_on_a_closed_stay(world, db):
    stays.discharge(world.manager_a, world.stay_a, discharged_on=TODAY, destination="employed")
    with pytest.raises(Conflict) as error:
        stays.record_leave(world.manager_a, world.stay_a, start_on=TODAY, end_on=TODAY + timedelta(days=2), reason="x")
    assert error.value.code == "stay_closed"


# ---------------------------------------------------------------- absence

def test_absence_and_return(world, db):
    absence = stays.record_absence(world.manager_a, world.stay_a, start_on=date(2026, 11, 18), note="未归")
    with pytest.raises(Conflict) as again:
        stays.record_absence(world.manager_a, world.stay_a, start_on=date(2026, 11, 19))
    assert again.value.code == "absence_open"
    with pytest.raises(ValidationFailed) as same_night:
        stays.record_return(world.manager_a, absence, returned_on=date(2026, 11, 18))
    assert "returned_on" in same_night.value.fields
    with pytest.raises(ValidationFailed) as future:
        stays.record_return(world.manager_a, absence, returned_on=TODAY + timedelta(days=1))
    assert "returned_on" in future.value.fields
    stays.record_return(world.manager_a, absence, returned_on=date(2026, 11, 20))
    assert absence.returned_on == date(2026, 11, 20)
    with pytest.raises(Conflict) as closed:
        stays.record_return(world.manager_a, absence, returned_on=date(2026, 11, 20))
    assert closed.value.code == "absence_closed"
    assert audit_actions(db)[-2:] == ["absence_recorded", "absence_returned"]


def test_absence_dates_and_overlaps(world, db):
    with pytest.raises(ValidationFailed) as future:
        stays.record_absence(world.manager_a, world.stay_a, start_on=TODAY + timedelta(days=1))
    assert "start_on" in future.value.fields
    with pytest.raises(ValidationFailed):
        stays.record_absence(world.manager_a, world.stay_a, start_on=date(2026, 9, 1))
    with pytest.raises(Conflict) as on_leave:
        stays.record_absence(world.manager_a, world.stay_a, start_on=date(2026, 10, 2))  # the world's leave
    assert on_leave.value.code == "absence_overlaps"
    absence = stays.record_absence(world.manager_a, world.stay_a, start_on=date(2026, 10, 3))  # due back that night
    assert db.session.scalar(select(Absence.start_on).where(Absence.stay_id == world.stay_a.id)) == date(2026, 10, 3)
    stays.record_return(world.manager_a, absence, returned_on=date(2026, 10, 6))
    for night in (date(2026, 10, 5), date(2026, 9, 20)):  # inside it; open-ended from before it
        with pytest.raises(Conflict) as clash:
            stays.record_absence(world.manager_a, world.stay_a, start_on=night)
        assert clash.value.code == "absence_overlaps"
    stays.record_absence(world.manager_a, world.stay_a, start_on=date(2026, 10, 6))  # half-open: back on the 6th


@pytest.mark.parametrize(("nights", "flagged", "may_close"), [(3, False, False), (4, True, False), (29, True, False),
                                                             (30, True, True)])
def test_absence_flags(world, db, nights, flagged, may_close):
    stays.record_absence(world.manager_a, world.stay_a, start_on=TODAY - timedelta(days=nights))
    facts = queries.stay_facts(world.stay_a)
    assert facts.absent_nights == nights
    assert facts.is_absent_flagged is flagged
    assert facts.may_close_as_self_left is may_close
    assert ("absent" in facts.flags) is flagged


def test_absence_thresholds_are_configurable(world, db, app, monkeypatch):
    from base_ops.policies import changes

    # Both are the base's county policy (policies/keys.py absence_flag_nights, self_left_nights), issue 18.
    changes.adopt(world.admin, {"region_code": world.base_a.region_code, "title": "离站规则",
                                "effective_from": date(2020, 1, 1),
                                "rules": {"absence_flag_nights": 1, "self_left_nights": 2}})
    stays.record_absence(world.manager_a, world.stay_a, start_on=TODAY - timedelta(days=2))
    facts = queries.stay_facts(world.stay_a)
    assert facts.is_absent_flagged and facts.may_close_as_self_left


# ---------------------------------------------------------------- overstay

@pytest.mark.parametrize(("days", "overstay"), [(180, False), (181, True)])
def test_overstay_is_flagged_not_blocked(world, db, monkeypatch, days, overstay):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: world.stay_a.admitted_on + timedelta(days=days))
    facts = queries.stay_facts(world.stay_a)
    assert facts.days == days
    assert facts.is_overstay is overstay
    stays.record_leave(world.manager_a, world.stay_a, start_on=date(2026, 11, 1), end_on=date(2026, 11, 2), reason="x")


def test_overstay_follows_the_base_setting(world, db):
    world.base_a.max_stay_days = 60
    db.session.commit()
    assert queries.stay_facts(world.stay_a).is_overstay  # 69 days by TODAY
    stays.discharge(world.manager_a, world.stay_a, discharged_on=TODAY, destination="employed")
    facts = queries.stay_facts(world.stay_a)
    assert facts.status == "discharged" and facts.days == 69 and not facts.is_overstay


# ---------------------------------------------------------------- discharge

def test_discharge_before_admission_is_422_and_writes_nothing(world, db):
    before = len(audit_actions(db))
    with pytest.raises(ValidationFailed) as error:
        stays.discharge(world.manager_a, world.stay_a, discharged_on=date(2026, 9, 11), destination="employed")
    assert list(error.value.fields) == ["discharged_on"]
    db.session.expire_all()
    stay = db.session.get(Stay, world.stay_a.id)
    assert stay.is_open and stay.destination is None
    assert [a.end_on for a in assignments(db, stay.id)] == [None]
    assert len(audit_actions(db)) == before


def test_discharge_input_errors_name_the_field(world, db):
    cases = [({"discharged_on": TODAY + timedelta(days=1), "destination": "employed"}, "discharged_on"),
             ({"discharged_on": TODAY, "destination": "moon"}, "destination"),
             ({"discharged_on": TODAY, "destination": "other"}, "note"),
             ({"discharged_on": TODAY, "destination": "other", "note": "  "}, "note")]
    for kwargs, field in cases:
        with pytest.raises(ValidationFailed) as error:
            stays.discharge(world.manager_a, world.stay_a, **kwargs)
        assert field in error.value.fields, kwargs
    assert db.session.get(Stay, world.stay_a.id).is_open


def test_discharge_ends_the_bed_that_night_and_frees_it(world, db):
    bed_a, bed_b = bed_of(world.base_a, "101", "A"), bed_of(world.base_a, "101", "B")
    beds.assign_bed(world.manager_a, world.stay_a, bed_b.id, date(2026, 11, 25))  # a planned move
    stay = stays.discharge(world.manager_a, world.stay_a, discharged_on=date(2026, 11, 19), destination="other",
                           note="转外省就业")
    assert (stay.discharged_on, stay.destination.value, stay.discharge_note) == (
        date(2026, 11, 19), "other", "转外省就业")
    assert [(a.bed_id, a.end_on) for a in assignments(db, stay.id)] == [(bed_a.id, date(2026, 11, 19))]
    assert audit_actions(db)[-1] == "stay_discharged"
    newcomer = make_resident(db, world.base_a)
    arrival = stays.admit(world.manager_a, resident_id=newcomer.id, base_id=world.base_a.id,
                          admitted_on=date(2026, 11, 19), bed_id=bed_a.id)
    assert assignments(db, arrival.id)[0].start_on == date(2026, 11, 19)


def test_discharge_twice_is_409_stay_closed(world, db):
    stays.discharge(world.manager_a, world.stay_a, discharged_on=TODAY, destination="employed")
    with pytest.raises(Conflict) as error:
        stays.discharge(world.manager_a, world.stay_a, discharged_on=TODAY, destination="employed")
    assert error.value.code == "stay_closed"


def test_discharge_as_self_left_ends_the_open_absence(world, db):
    stays.record_absence(world.manager_a, world.stay_a, start_on=date(2026, 10, 20))
    with pytest.raises(ValidationFailed):
        stays.discharge(world.manager_a, world.stay_a, discharged_on=date(2026, 10, 19), destination="self_left")
    stays.discharge(world.manager_a, world.stay_a, discharged_on=TODAY, destination="self_left")
    absence = db.session.scalar(select(Absence).where(Absence.stay_id == world.stay_a.id))
    assert absence.returned_on == TODAY


def test_discharge_the_night_an_absence_began_leaves_no_empty_absence(world, db):
    stays.record_absence(world.manager_a, world.stay_a, start_on=TODAY)
    stays.discharge(world.manager_a, world.stay_a, discharged_on=TODAY, destination="self_left")
    assert db.session.scalar(select(Absence).where(Absence.stay_id == world.stay_a.id)) is None

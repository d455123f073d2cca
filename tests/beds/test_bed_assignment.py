"""Assigning, moving and releasing beds: half-open nights, sex, service, no double-booking
(docs/domain.md "At the base")."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from base_ops.beds import services
from base_ops.beds.models import BedAssignment
from base_ops.core.errors import Conflict, NotFound, ValidationFailed
from base_ops.intake.stays import services as stays
from base_ops.org import services as org_services
from tests.beds.helpers import TODAY, assignments, audit_actions, bed_of, make_resident


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: TODAY)


def _admit(world, db, *, sex="male", bed=None, admitted_on=date(2026, 11, 1), name="王六"):
    person = make_resident(db, world.base_a, sex=sex, name=name)
    return stays.admit(world.manager_a, resident_id=person.id, base_id=world.base_a.id, admitted_on=admitted_on,
                       bed_id=bed.id if bed else None)


def test_move_from_a_night_on_ends_the_old_bed_that_night(world, db):
    bed_a, bed_b = bed_of(world.base_a, "101", "A"), bed_of(world.base_a, "101", "B")
    services.assign_bed(world.manager_a, world.stay_a, bed_b.id, date(2026, 11, 15))
    rows = assignments(db, world.stay_a.id)
    assert [(r.bed_id, r.start_on, r.end_on) for r in rows] == [
        (bed_a.id, date(2026, 9, 12), date(2026, 11, 15)), (bed_b.id, date(2026, 11, 15), None)]
    assert audit_actions(db)[-1] == "bed_assigned"


def test_a_move_on_the_first_night_replaces_the_assignment(world, db):
    bed_a, bed_b = bed_of(world.base_a, "101", "A"), bed_of(world.base_a, "101", "B")
    stay = _admit(world, db, bed=bed_b)
    services.release_bed(world.manager_a, world.stay_a, date(2026, 11, 1))
    services.assign_bed(world.manager_a, stay, bed_a.id, date(2026, 11, 1))
    assert [(r.bed_id, r.start_on, r.end_on) for r in assignments(db, stay.id)] == [(bed_a.id, date(2026, 11, 1), None)]


def test_half_open_nights_leaving_on_the_5th_and_arriving_on_the_5th_do_not_overlap(world, db):
    bed_a = bed_of(world.base_a, "101", "A")
    services.release_bed(world.manager_a, world.stay_a, date(2026, 11, 5))  # last night in 101-A: the 4th
    newcomer = _admit(world, db)
    with pytest.raises(Conflict) as clash:
        services.assign_bed(world.manager_a, newcomer, bed_a.id, date(2026, 11, 4))
    assert clash.value.code == "bed_unavailable"
    assignment = services.assign_bed(world.manager_a, newcomer, bed_a.id, date(2026, 11, 5))
    assert (assignment.start_on, assignment.end_on) == (date(2026, 11, 5), None)


def test_a_bed_taken_later_is_unavailable_from_before(world, db):
    bed_b = bed_of(world.base_a, "101", "B")
    first = _admit(world, db, name="甲", admitted_on=date(2026, 11, 1))
    services.assign_bed(world.manager_a, first, bed_b.id, date(2026, 11, 18))
    second = _admit(world, db, name="乙", admitted_on=date(2026, 11, 1))
    with pytest.raises(Conflict) as error:
        services.assign_bed(world.manager_a, second, bed_b.id, date(2026, 11, 10))  # open-ended: meets the 18th
    assert error.value.code == "bed_unavailable"
    assert assignments(db, second.id) == []


def test_a_room_of_the_other_sex_is_refused_and_nothing_written(world, db):
    before = len(audit_actions(db))
    with pytest.raises(ValidationFailed) as error:
        services.assign_bed(world.manager_a, world.stay_a, bed_of(world.base_a, "201", "A").id, TODAY)
    assert error.value.code == "sex_mismatch"
    assert "bed_id" in error.value.fields
    assert [(r.end_on) for r in assignments(db, world.stay_a.id)] == [None]
    assert len(audit_actions(db)) == before


def test_out_of_service_beds_are_refused_now_and_later(world, db):
    bed_b = bed_of(world.base_a, "101", "B")
    org_services.set_bed_service(None, bed_b, in_service=False, from_on=TODAY + timedelta(days=10))
    with pytest.raises(Conflict) as later:
        services.assign_bed(world.manager_a, world.stay_a, bed_b.id, TODAY)
    assert later.value.code == "bed_out_of_service"
    assert (TODAY + timedelta(days=10)).isoformat() in later.value.message
    db.session.refresh(bed_b)
    org_services.set_bed_service(None, bed_b, in_service=True, from_on=TODAY + timedelta(days=12))
    with pytest.raises(Conflict):
        services.assign_bed(world.manager_a, world.stay_a, bed_b.id, TODAY + timedelta(days=11))
    # From the night it is back in service the bed can be taken again.
    services.assign_bed(world.manager_a, world.stay_a, bed_b.id, TODAY + timedelta(days=12))


def test_out_of_service_bed_for_good(world, db):
    bed_b = bed_of(world.base_a, "101", "B")
    org_services.set_bed_service(None, bed_b, in_service=False, from_on=TODAY)
    with pytest.raises(Conflict) as error:
        services.assign_bed(world.manager_a, world.stay_a, bed_b.id, TODAY + timedelta(days=3))
    assert error.value.code == "bed_out_of_service"


def test_the_night_must_lie_within_an_open_stay(world, db):
    bed_b = bed_of(world.base_a, "101", "B")
    with pytest.raises(ValidationFailed) as early:
        services.assign_bed(world.manager_a, world.stay_a, bed_b.id, date(2026, 9, 11))
    assert "on" in early.value.fields
    stays.discharge(world.manager_a, world.stay_a, discharged_on=TODAY, destination="returned_home")
    with pytest.raises(Conflict) as closed:
        services.assign_bed(world.manager_a, world.stay_a, bed_b.id, TODAY)
    assert closed.value.code == "stay_closed"


def test_beds_of_other_bases(world, db, factory):
    bed_in_b = world.base_b.rooms[0].beds[0]
    with pytest.raises(NotFound):
        services.assign_bed(world.manager_a, world.stay_a, bed_in_b.id, TODAY)
    both = factory.user("base_manager", username="manager_ab", bases=[world.base_a, world.base_b])
    with pytest.raises(ValidationFailed) as error:
        services.assign_bed(both, world.stay_a, bed_in_b.id, TODAY)
    assert "bed_id" in error.value.fields


def test_assigning_the_same_bed_again_changes_nothing(world, db):
    bed_a = bed_of(world.base_a, "101", "A")
    before = assignments(db, world.stay_a.id)
    services.assign_bed(world.manager_a, world.stay_a, bed_a.id, TODAY)
    after = assignments(db, world.stay_a.id)
    assert [(a.id, a.start_on, a.end_on) for a in after] == [(b.id, b.start_on, b.end_on) for b in before]


def test_release_and_no_bed(world, db):
    services.release_bed(world.manager_a, world.stay_a, TODAY)
    assert [(r.start_on, r.end_on) for r in assignments(db, world.stay_a.id)] == [(date(2026, 9, 12), TODAY)]
    with pytest.raises(Conflict) as error:
        services.release_bed(world.manager_a, world.stay_a, TODAY)
    assert error.value.code == "no_bed"
    assert audit_actions(db)[-1] == "bed_released"


def test_the_database_refuses_double_booking_even_without_the_check(world, db, monkeypatch):
    """The Python check only gives the message: switched off, the database still refuses (409, not 500)."""
    bed_b = bed_of(world.base_a, "101", "B")
    first = _admit(world, db, name="甲", bed=bed_b)
    second = _admit(world, db, name="乙")
    monkeypatch.setattr(services, "_clash", lambda *args: None)
    with pytest.raises(Conflict) as error:
        services.assign_bed(world.manager_a, second, bed_b.id, TODAY)
    assert error.value.code == "bed_unavailable"
    assert assignments(db, second.id) == []
    assert [(a.bed_id, a.end_on) for a in assignments(db, first.id)] == [(bed_b.id, None)]


def test_bounded_overlaps_are_refused_by_postgresql_itself(world, db):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("exclusion constraints exist on PostgreSQL; SQLite relies on the write lock (see test_races)")
    bed_b = bed_of(world.base_a, "101", "B")
    other = _admit(world, db, name="丙")
    db.session.add(BedAssignment(stay_id=other.id, resident_id=other.resident_id, bed_id=bed_b.id,
                                 start_on=date(2026, 11, 2), end_on=date(2026, 11, 6)))
    db.session.flush()
    db.session.add(BedAssignment(stay_id=world.stay_a.id, resident_id=world.resident_a.id, bed_id=bed_b.id,
                                 start_on=date(2026, 11, 5), end_on=date(2026, 11, 7)))
    with pytest.raises(IntegrityError, match="ex_bed_assignments"):
        db.session.flush()
    db.session.rollback()


def test_taking_an_occupied_bed_out_of_service_is_409_bed_occupied(world, client, api_headers, db):
    headers = api_headers(world.admin)
    bed_a, bed_b = bed_of(world.base_a, "101", "A"), bed_of(world.base_a, "101", "B")
    occupied = client.patch(f"/api/v1/beds/{bed_a.id}", headers=headers, json={"in_service": False})
    assert occupied.status_code == 409
    assert occupied.json["error"]["code"] == "bed_occupied"
    assert client.patch(f"/api/v1/beds/{bed_b.id}", headers=headers, json={"in_service": False}).status_code == 200
    # Once the occupant leaves on the 25th, the bed can go out of service from then on, not before.
    services.release_bed(world.manager_a, world.stay_a, TODAY + timedelta(days=5))
    early = client.patch(f"/api/v1/beds/{bed_a.id}", headers=headers,
                         json={"in_service": False, "from": (TODAY + timedelta(days=4)).isoformat()})
    assert early.status_code == 409
    later = client.patch(f"/api/v1/beds/{bed_a.id}", headers=headers,
                         json={"in_service": False, "from": (TODAY + timedelta(days=5)).isoformat()})
    assert later.status_code == 200


def test_beds_of_a_base_show_the_occupant_of_that_night(world, client, api_headers, db):
    headers = api_headers(world.manager_a)
    bed_a = bed_of(world.base_a, "101", "A")
    rows = client.get(f"/api/v1/bases/{world.base_a.id}/beds?on=2026-11-20", headers=headers).json
    occupants = {row["id"]: row["occupant"] for row in rows}
    assert occupants[bed_a.id] == {"resident_id": world.resident_a.id, "stay_id": world.stay_a.id, "name": "张三"}
    assert [o for bed_id, o in occupants.items() if bed_id != bed_a.id] == [None, None]
    before = client.get(f"/api/v1/bases/{world.base_a.id}/beds?on=2026-09-11", headers=headers).json
    assert all(row["occupant"] is None for row in before)

"""A stay on the shared state machine (core/transitions.py): no status column — open while discharged_on
IS NULL — one move, open -> discharged, made by the manager of the stay's base; the discharge is a
compare-and-set, so of two racing discharges one wins and the other gets 409 stay_closed."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from base_ops.core.audit import AuditEvent
from base_ops.core.errors import Conflict, PermissionDenied
from base_ops.core.transitions import StateMachine
from base_ops.extensions import db
from base_ops.intake.models import STAY_MOVES, Stay, StayState
from base_ops.intake.stays import services as stays
from tests.beds.helpers import TODAY, audit_actions
from tests.race_support import race, separate_app


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: TODAY)


def test_the_machine_table():
    assert isinstance(Stay.transitions, StateMachine)
    assert {StayState.OPEN: frozenset({StayState.DISCHARGED}), StayState.DISCHARGED: frozenset()} == STAY_MOVES
    assert Stay.transitions.allowed("open", "discharged")
    assert not Stay.transitions.allowed("discharged", "discharged")
    assert not Stay.transitions.allowed("discharged", "open")  # nothing reopens a stay: readmission is a new one
    assert Stay.transitions.audit_action == "stay_discharged"
    assert Stay.transitions.event is None  # stays have no event table


def test_the_state_is_read_from_discharged_on(world):
    assert world.stay_a.state is StayState.OPEN
    closed = Stay(resident_id=world.resident_a.id, base_id=world.base_a.id, admitted_on=date(2026, 1, 1),
                  discharged_on=date(2026, 2, 1))
    assert closed.state is StayState.DISCHARGED


def test_only_the_manager_of_the_stays_base_discharges(world):
    stay = world.stay_a
    assert stay.can("discharged", world.manager_a)
    assert stay.moves_for(world.manager_a) == [StayState.DISCHARGED]
    for actor in (world.manager_b, world.officer_x, world.admin, world.trainer_a, world.enterprise_user, None):
        assert not stay.can("discharged", actor)
        assert stay.moves_for(actor) == []


def test_a_discharged_stay_has_no_moves(world, db):
    stays.discharge(world.manager_a, world.stay_a, discharged_on=TODAY, destination="relatives")
    assert world.stay_a.state is StayState.DISCHARGED
    assert not world.stay_a.can("discharged", world.manager_a)
    assert world.stay_a.moves_for(world.manager_a) == []


def test_discharge_writes_the_same_audit_row_as_before(world, db):
    stays.discharge(world.manager_a, world.stay_a, discharged_on=TODAY, destination="relatives")
    entry = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert (entry.action, entry.object_type, entry.object_id) == ("stay_discharged", "Stay", str(world.stay_a.id))
    details = json.loads(entry.details)
    assert details == {"discharged_on": TODAY.isoformat(), "destination": "relatives",
                       "days": (TODAY - world.stay_a.admitted_on).days, "bed_ids": details["bed_ids"]}
    assert len(details["bed_ids"]) == 1


def test_a_manager_of_another_base_may_not_discharge(world, db):
    with pytest.raises(PermissionDenied):
        stays.discharge(world.manager_b, world.stay_a, discharged_on=TODAY, destination="relatives")
    db.session.refresh(world.stay_a)
    assert world.stay_a.is_open


def test_a_second_discharge_is_409_stay_closed(world, db):
    stays.discharge(world.manager_a, world.stay_a, discharged_on=TODAY, destination="relatives")
    with pytest.raises(Conflict) as caught:
        stays.discharge(world.manager_a, world.stay_a, discharged_on=TODAY, destination="employed")
    assert caught.value.code == "stay_closed"
    assert audit_actions(db).count("stay_discharged") == 1


def test_the_compare_and_set_refuses_a_stay_discharged_behind_its_back(world, db, monkeypatch):
    """Even if the check saw the stay open, the UPDATE ... WHERE discharged_on IS NULL decides."""
    stays.discharge(world.manager_a, world.stay_a, discharged_on=TODAY, destination="relatives")
    monkeypatch.setattr(Stay.transitions, "allowed", lambda current, target: True)  # a stale check
    with pytest.raises(Conflict) as caught:
        stays.discharge(world.manager_a, world.stay_a, discharged_on=TODAY, destination="employed")
    assert caught.value.code == "stay_closed"
    db.session.refresh(world.stay_a)
    assert world.stay_a.destination == "relatives"
    assert audit_actions(db).count("stay_discharged") == 1


def test_the_stay_page_shows_the_discharge_form_by_the_model(world, login_as, db):
    discharge_form = f'action="/stays/{world.stay_a.id}/discharge"'
    assert discharge_form in login_as(world.manager_a).get(f"/stays/{world.stay_a.id}").text
    assert discharge_form not in login_as(world.officer_x).get(f"/stays/{world.stay_a.id}").text
    stays.discharge(world.manager_a, world.stay_a, discharged_on=TODAY, destination="relatives")
    assert discharge_form not in login_as(world.manager_a).get(f"/stays/{world.stay_a.id}").text


# ---------------------------------------------------------------- the race, on a database of its own

@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    yield from separate_app(tmp_path_factory, "discharge_race", _site)


def _site(app) -> None:
    from base_ops.accounts.services import create_user
    from base_ops.org import services as org
    from tests.conftest import REGIONS

    org.load_regions([{"code": c, "name": n, "level": lvl, "parent_code": p} for c, n, lvl, p in REGIONS])
    base = org.create_base(None, name="离站竞争基地", region_code="330106", address="测试路 10 号")
    room = org.create_room(None, base, name="401", sex="male")
    org.create_bed(None, room, label="A", in_service_from=date(2025, 1, 1))
    create_user(None, username="discharge_manager", role="base_manager", password="Correct-Horse-42",
                base_ids=[base.id])
    app.config["RACE_BASE_ID"] = base.id


def _manager():
    from base_ops.accounts.models import User

    return db.session.scalar(select(User).where(User.username == "discharge_manager"))


def _open_stay(app) -> int:
    from base_ops.org.models import Bed, Room
    from base_ops.residents.models import Resident

    base_id = app.config["RACE_BASE_ID"]
    with app.app_context():
        person = Resident(id_number=f"330106199001{uuid.uuid4().int % 10**6:06d}", name="离站者", sex="male",
                          birth_on=date(1990, 1, 1), hukou_region_code="330106", subject_type="released",
                          released_on=date(2026, 8, 1), is_homeless=True, has_no_relatives=True,
                          is_unemployed=True, base_id=base_id)
        db.session.add(person)
        db.session.commit()
        bed_id = db.session.scalar(select(Bed.id).join(Room).where(Room.base_id == base_id))
        return stays.admit(_manager(), resident_id=person.id, base_id=base_id, admitted_on=date(2026, 11, 1),
                           bed_id=bed_id).id


def _discharge(barrier, stay_id, destination):
    actor = _manager()
    stay = db.session.get(Stay, stay_id)
    assert stay.is_open  # both read the stay open before either writes
    barrier.wait()
    stays.discharge(actor, stay, discharged_on=TODAY, destination=destination)


def test_two_discharges_at_once_one_wins_and_the_other_is_409(race_app):
    stay_id = _open_stay(race_app)
    results = race(race_app, _discharge, (stay_id, "relatives"), (stay_id, "returned_home"))
    assert results == ["ok", "stay_closed"]
    with race_app.app_context():
        stay = db.session.get(Stay, stay_id)
        assert stay.discharged_on == TODAY and stay.destination in ("relatives", "returned_home")
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "stay_discharged", AuditEvent.object_id == str(stay_id))) == 1

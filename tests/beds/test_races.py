"""Concurrency (docs/security.md "Reliability"): two requests racing for one bed, or admitting one person twice.

These cannot use the rolled-back `db` fixture (one connection): each test
builds its own app on its own database — a SQLite file, or with
TEST_DATABASE_URL a PostgreSQL database created for the module and dropped
after — and runs two threads, each with its own app context, session and
connection, released together by a barrier. Exactly one must win; the other
must get a clear 409, never a 500 and never a second row.
"""

from __future__ import annotations

import threading
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from base_ops.extensions import db
from tests.beds.helpers import TODAY
from tests.race_support import race, separate_app

THREADS = 2


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    yield from separate_app(tmp_path_factory, "bed_race", _site)


def _site(app) -> None:
    from base_ops.accounts.services import create_user
    from base_ops.org import services as org
    from tests.conftest import REGIONS

    org.load_regions([{"code": c, "name": n, "level": lvl, "parent_code": p} for c, n, lvl, p in REGIONS])
    base = org.create_base(None, name="竞争基地", region_code="330106", address="测试路 9 号")
    room = org.create_room(None, base, name="301", sex="male")
    for label in ("A", "B", "C", "D", "E", "F"):
        org.create_bed(None, room, label=label, in_service_from=date(2025, 1, 1))
    create_user(None, username="race_manager", role="base_manager", password="Correct-Horse-42",
                base_ids=[base.id])
    app.config["RACE_BASE_ID"] = base.id


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: TODAY)


class Scene:
    """Handles onto the race database for one test (ids only: objects stay in their own session)."""

    def __init__(self, app):
        self.app = app
        self.base_id = app.config["RACE_BASE_ID"]

    @staticmethod
    def manager():
        from base_ops.accounts.models import User

        return db.session.scalar(select(User).where(User.username == "race_manager"))

    def resident(self, name: str) -> int:
        from base_ops.residents.models import Resident

        with self.app.app_context():
            person = Resident(id_number=f"330106199001{uuid.uuid4().int % 10**6:06d}", name=name, sex="male",
                              birth_on=date(1990, 1, 1), hukou_region_code="330106", subject_type="released",
                              released_on=date(2026, 8, 1), is_homeless=True, has_no_relatives=True,
                              is_unemployed=True, base_id=self.base_id)
            db.session.add(person)
            db.session.commit()
            return person.id

    def stay_without_bed(self, name: str) -> int:
        from base_ops.intake.stays import services as stays

        resident_id = self.resident(name)
        with self.app.app_context():
            stay = stays.admit(self.manager(), resident_id=resident_id, base_id=self.base_id, admitted_on=TODAY)
            return stay.id

    def free_bed(self) -> int:
        """A bed nobody holds from TODAY on (tests take one each)."""
        from base_ops.beds.models import BedAssignment
        from base_ops.org.models import Bed, Room

        with self.app.app_context():
            taken = select(BedAssignment.bed_id)
            return db.session.scalar(select(Bed.id).join(Room).where(Room.base_id == self.base_id,
                                                                     Bed.id.not_in(taken)).order_by(Bed.id))

    def count(self, stmt) -> int:
        with self.app.app_context():
            return db.session.scalar(stmt)


@pytest.fixture
def scene(race_app):
    return Scene(race_app)


def _assign(barrier, stay_id, bed_id):
    from base_ops.beds import services
    from base_ops.intake.models import Stay

    actor = Scene.manager()
    stay = db.session.get(Stay, stay_id)
    barrier.wait()
    services.assign_bed(actor, stay, bed_id, TODAY)


def _bed_holders(scene, bed_id) -> int:
    from base_ops.beds.models import BedAssignment

    return scene.count(select(func.count()).select_from(BedAssignment).where(BedAssignment.bed_id == bed_id))


@pytest.mark.parametrize("round_", range(3))
def test_two_managers_assign_the_same_bed_for_the_same_night(scene, round_):
    bed_id = scene.free_bed()
    first, second = scene.stay_without_bed(f"甲{round_}"), scene.stay_without_bed(f"乙{round_}")
    results = race(scene.app, _assign, (first, bed_id), (second, bed_id))
    assert results == ["bed_unavailable", "ok"]
    assert _bed_holders(scene, bed_id) == 1


def test_the_database_decides_when_the_check_is_switched_off(scene, monkeypatch):
    """Without the friendly Python check the database constraint (PostgreSQL) or index under the write
    lock (SQLite) still lets exactly one through, and the loser still gets 409 bed_unavailable."""
    from base_ops.beds import services

    monkeypatch.setattr(services, "_clash", lambda *args: None)
    bed_id = scene.free_bed()
    first, second = scene.stay_without_bed("丙"), scene.stay_without_bed("丁")
    results = race(scene.app, _assign, (first, bed_id), (second, bed_id))
    assert results == ["bed_unavailable", "ok"]
    assert _bed_holders(scene, bed_id) == 1


def _admit(barrier, resident_id, base_id):
    from base_ops.intake.stays import services as stays
    from base_ops.residents.models import Resident

    actor = Scene.manager()
    db.session.get(Resident, resident_id)
    barrier.wait()
    stays.admit(actor, resident_id=resident_id, base_id=base_id, admitted_on=TODAY)


@pytest.mark.parametrize("check", ["on", "off"])
def test_the_same_person_admitted_twice_at_once_gets_one_open_stay(scene, monkeypatch, check):
    from base_ops.intake.models import Stay
    from base_ops.intake.stays import services as stays

    if check == "off":  # the partial unique index uq_stays_one_open_per_resident alone must hold it
        monkeypatch.setattr(stays, "open_stay_id", lambda resident_id: None)
    resident_id = scene.resident(f"戊{check}")
    results = race(scene.app, _admit, (resident_id, scene.base_id), (resident_id, scene.base_id))
    assert results == ["ok", "open_stay_exists"]
    assert scene.count(select(func.count()).select_from(Stay).where(Stay.resident_id == resident_id)) == 1


def test_two_http_requests_for_one_bed_one_201_or_200_and_one_409(scene):
    from base_ops.accounts.services import issue_token

    bed_id = scene.free_bed()
    first, second = scene.stay_without_bed("己"), scene.stay_without_bed("庚")
    with scene.app.app_context():
        token, _expires = issue_token(scene.manager(), via="test")
    headers = {"Authorization": f"Bearer {token}"}
    barrier = threading.Barrier(2, timeout=30)
    responses = []
    lock = threading.Lock()

    def post(stay_id):
        client = scene.app.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/stays/{stay_id}/bed", headers=headers,
                               json={"bed_id": bed_id, "on": TODAY.isoformat()})
        with lock:
            responses.append((response.status_code, (response.json or {}).get("error", {}).get("code")))

    threads = [threading.Thread(target=post, args=(stay_id,)) for stay_id in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(responses) == [(200, None), (409, "bed_unavailable")]
    assert _bed_holders(scene, bed_id) == 1

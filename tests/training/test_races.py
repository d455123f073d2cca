"""Concurrency (issue 4 "Done when"): two enrolments racing for the last place — one wins, the other
gets 409 course_full; two saves of one roster at once — no duplicate rows, no 500; a double-clicked
withdrawal (issue 16, the enrolment's state machine) frees the place once.

These cannot use the rolled-back `db` fixture (one connection): the module builds its own app on its
own database — a SQLite file, or with TEST_DATABASE_URL a PostgreSQL database created for the module
and dropped after — and runs two threads, each with its own app context, session and connection,
released together by a barrier (the pattern of tests/beds/test_races.py).
"""

from __future__ import annotations

import threading
import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from base_ops.extensions import db
from tests.race_support import race, separate_app

TODAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    yield from separate_app(tmp_path_factory, "training_race", _site)


def _site(app) -> None:
    from base_ops.accounts.services import create_user
    from base_ops.org import services as org
    from tests.conftest import REGIONS

    org.load_regions([{"code": c, "name": n, "level": lvl, "parent_code": p} for c, n, lvl, p in REGIONS])
    base = org.create_base(None, name="培训竞争基地", region_code="330106", address="测试路 10 号")
    create_user(None, username="race_manager", role="base_manager", password="Correct-Horse-42", base_ids=[base.id])
    create_user(None, username="race_trainer", role="trainer", password="Correct-Horse-42", base_ids=[base.id])
    app.config["RACE_BASE_ID"] = base.id


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: TODAY)


def _user(username: str):
    from base_ops.accounts.models import User

    return db.session.scalar(select(User).where(User.username == username))


class Scene:
    """Handles onto the race database (ids only: objects stay in their own sessions)."""

    def __init__(self, app):
        self.app = app
        self.base_id = app.config["RACE_BASE_ID"]

    def resident(self, name: str) -> int:
        from base_ops.intake.models import Stay
        from base_ops.residents.models import Resident

        with self.app.app_context():
            person = Resident(id_number=f"330106199001{uuid.uuid4().int % 10**6:06d}", name=name, sex="male",
                              birth_on=date(1990, 1, 1), hukou_region_code="330106", subject_type="released",
                              released_on=date(2026, 8, 1), is_homeless=True, has_no_relatives=True,
                              is_unemployed=True, base_id=self.base_id)
            db.session.add(person)
            db.session.flush()
            db.session.add(Stay(resident_id=person.id, base_id=self.base_id, admitted_on=date(2026, 9, 1)))
            db.session.commit()
            return person.id

    def course(self, capacity: int) -> int:
        from base_ops.training import services

        with self.app.app_context():
            course = services.create_course(_user("race_manager"), base_id=self.base_id, title=f"竞争课程{capacity}",
                                            skill="其他", trainer="race_trainer", starts_on=date(2026, 11, 1),
                                            ends_on=date(2026, 12, 31), capacity=capacity, hours=Decimal("10"))
            services.add_session(_user("race_manager"), course, held_on=TODAY, hours=Decimal("2"))
            return course.id

    def enrol(self, course_id: int, resident_id: int) -> None:
        from base_ops.training import services
        from base_ops.training.models import Course

        with self.app.app_context():
            services.enrol(_user("race_manager"), db.session.get(Course, course_id), resident_id=resident_id)

    def scalar(self, stmt):
        with self.app.app_context():
            return db.session.scalar(stmt)


@pytest.fixture
def scene(race_app):
    return Scene(race_app)


def _enrol(barrier, course_id, resident_id):
    from base_ops.training import services
    from base_ops.training.models import Course

    actor = _user("race_manager")
    course = db.session.get(Course, course_id)  # each racer has read before the race (the hard case on SQLite)
    barrier.wait()
    services.enrol(actor, course, resident_id=resident_id)


def _counts(scene, course_id) -> tuple[int, int]:
    from base_ops.training.models import Course, Enrolment

    rows = scene.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.course_id == course_id))
    return scene.scalar(select(Course.enrolled_count).where(Course.id == course_id)), rows


@pytest.mark.parametrize("round_", range(3))
def test_two_enrolments_for_the_last_place_one_wins(scene, round_):
    course_id = scene.course(capacity=2)
    scene.enrol(course_id, scene.resident(f"先到{round_}"))
    first, second = scene.resident(f"甲{round_}"), scene.resident(f"乙{round_}")

    results = race(scene.app, _enrol, (course_id, first), (course_id, second))

    assert results == ["course_full", "ok"]
    assert _counts(scene, course_id) == (2, 2)


def test_the_same_resident_enrolled_twice_at_once_gets_one_row(scene):
    course_id = scene.course(capacity=5)
    person = scene.resident("重复")
    results = race(scene.app, _enrol, (course_id, person), (course_id, person))
    assert results == ["already_enrolled", "ok"]
    assert _counts(scene, course_id) == (1, 1)


def test_two_http_enrolments_for_the_last_place_one_201_one_409(scene):
    from base_ops.accounts.services import issue_token

    course_id = scene.course(capacity=1)
    first, second = scene.resident("丙"), scene.resident("丁")
    with scene.app.app_context():
        token, _expires = issue_token(_user("race_manager"), via="test")
    headers = {"Authorization": f"Bearer {token}"}
    barrier = threading.Barrier(2, timeout=30)
    responses = []
    lock = threading.Lock()

    def post(resident_id):
        client = scene.app.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/courses/{course_id}/enrolments", headers=headers,
                               json={"resident_id": resident_id})
        with lock:
            responses.append((response.status_code, (response.json or {}).get("error", {}).get("code")))

    threads = [threading.Thread(target=post, args=(resident_id,)) for resident_id in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(responses) == [(201, None), (409, "course_full")]
    assert _counts(scene, course_id) == (1, 1)


def _save(barrier, session_id, records):
    from base_ops.training import services
    from base_ops.training.models import CourseSession

    actor = _user("race_trainer")
    session = db.session.get(CourseSession, session_id)
    barrier.wait()
    services.record_attendance(actor, session, records)


def test_two_saves_of_one_roster_at_once_leave_one_row_per_resident(scene):
    from base_ops.training.models import Attendance, CourseSession

    course_id = scene.course(capacity=10)
    people = [scene.resident(f"学员{i}") for i in range(5)]
    for person in people:
        scene.enrol(course_id, person)
    session_id = scene.scalar(select(CourseSession.id).where(CourseSession.course_id == course_id))
    present = [{"resident_id": p, "status": "present"} for p in people]
    late = [{"resident_id": p, "status": "late"} for p in people]

    results = race(scene.app, _save, (session_id, present), (session_id, late))

    assert results == ["ok", "ok"]  # serialised on the session row: the later save updates the earlier's rows
    assert scene.scalar(select(func.count()).select_from(Attendance)
                        .where(Attendance.session_id == session_id)) == 5
    statuses = scene.scalar(select(func.count(func.distinct(Attendance.status)))
                            .where(Attendance.session_id == session_id))
    assert statuses == 1  # all from one save or all from the other, never a mix


def _withdraw(barrier, enrolment_id):
    from base_ops.training import services
    from base_ops.training.models import Enrolment

    actor = _user("race_manager")
    enrolment = db.session.get(Enrolment, enrolment_id)
    assert enrolment.status == "enrolled"  # each click has read the enrolled row before the race
    barrier.wait()
    services.withdraw(actor, enrolment)


def test_a_double_clicked_withdrawal_frees_the_place_once(scene):
    """Both clicks read "enrolled"; one withdraws, the other gets 409 already_withdrawn, and the count of
    the course's only enrolment goes to 0, not below (which its CHECK would refuse with a 500)."""
    from base_ops.core.audit import AuditEvent
    from base_ops.training.models import Enrolment

    course_id = scene.course(capacity=3)
    person = scene.resident("双击退课")
    scene.enrol(course_id, person)
    enrolment_id = scene.scalar(select(Enrolment.id).where(Enrolment.course_id == course_id))

    results = race(scene.app, _withdraw, (enrolment_id,), (enrolment_id,))

    assert results == ["already_withdrawn", "ok"]
    assert _counts(scene, course_id) == (0, 1)
    assert scene.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "resident_withdrawn", AuditEvent.object_id == str(enrolment_id))) == 1

"""The training part of docs/api.md, as written: paths, fields, codes; scope (IDOR); mass assignment;
idempotent attendance; 60 residents in one PUT."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from base_ops.training.models import Attendance, Course, CourseSession, Enrolment
from tests.training.conftest import count_rows, make_course, resident_with_stay

COURSE = {"title": "中式烹调", "skill": "烹饪", "trainer": "trainer_a", "starts_on": "2026-11-16",
          "ends_on": "2026-12-31", "capacity": 2, "hours": "60"}


@pytest.fixture
def manager(world, client, api_headers):
    headers = api_headers(world.manager_a)

    def call(method, path, body=None):
        return client.open(f"/api/v1{path}", method=method, json=body, headers=headers)

    return call


@pytest.fixture
def trainer(world, client, api_headers):
    headers = api_headers(world.trainer_a)

    def call(method, path, body=None):
        return client.open(f"/api/v1{path}", method=method, json=body, headers=headers)

    return call


def _error(response) -> tuple[int, str, dict]:
    error = response.json["error"]
    return response.status_code, error["code"], error["fields"]


# ---------------------------------------------------------------- courses

def test_post_course_returns_the_whole_course(world, manager):
    response = manager("POST", "/courses", {**COURSE, "base_id": world.base_a.id, "completion_threshold": 0.75,
                                            "certificate_type": "中式烹调师（五级）"})
    assert response.status_code == 201
    body = response.json
    assert isinstance(body["id"], int)
    assert {k: body[k] for k in ("base_id", "title", "skill", "trainer", "starts_on", "ends_on", "capacity",
                                 "enrolled_count", "hours", "completion_threshold", "status")} == {
        "base_id": world.base_a.id, "title": "中式烹调", "skill": "烹饪", "trainer": "trainer_a",
        "starts_on": "2026-11-16", "ends_on": "2026-12-31", "capacity": 2, "enrolled_count": 0, "hours": 60.0,
        "completion_threshold": 0.75, "status": "running"}
    assert manager("GET", f"/courses/{body['id']}").json == body


def test_threshold_defaults_to_80_percent_and_trainer_is_optional(world, manager):
    body = {k: v for k, v in COURSE.items() if k != "trainer"}
    response = manager("POST", "/courses", {**body, "base_id": world.base_a.id})
    assert response.status_code == 201
    assert response.json["completion_threshold"] == 0.8 and response.json["trainer"] is None


@pytest.mark.parametrize(("change", "field"), [
    ({"skill": "木工"}, "skill"),
    ({"trainer": "manager_a"}, "trainer"),
    ({"capacity": 0}, "capacity"),
    ({"capacity": "5"}, "capacity"),
    ({"hours": "lots"}, "hours"),
    ({"ends_on": "2026-11-01"}, "ends_on"),
    ({"starts_on": "2026-02-30"}, "starts_on"),
    ({"completion_threshold": 80}, "completion_threshold"),
])
def test_bad_course_input_is_422_naming_the_field(world, manager, db, change, field):
    before = count_rows(db, Course)
    status, _code, fields = _error(manager("POST", "/courses", {**COURSE, "base_id": world.base_a.id, **change}))
    assert status == 422 and field in fields
    assert count_rows(db, Course) == before


@pytest.mark.parametrize("extra", [{"enrolled_count": 0}, {"id": 99}, {"role": "admin"}, {"status": "ended"}])
def test_unknown_fields_are_refused(world, manager, db, extra):
    before = count_rows(db, Course)
    status, _code, fields = _error(manager("POST", "/courses", {**COURSE, "base_id": world.base_a.id, **extra}))
    assert status == 422 and next(iter(extra)) in fields
    assert count_rows(db, Course) == before


def test_a_manager_cannot_create_a_course_at_another_base(world, manager, db):
    status, code, _fields = _error(manager("POST", "/courses", {**COURSE, "base_id": world.base_b.id,
                                                                "trainer": None}))
    assert (status, code) == (404, "not_found")


def test_patch_changes_given_fields_and_refuses_base_and_counts(world, manager):
    course_id = world.course_a.id
    response = manager("PATCH", f"/courses/{course_id}", {"capacity": 25, "certificate_type": None})
    assert response.status_code == 200
    assert response.json["capacity"] == 25 and response.json["certificate_type"] is None
    assert response.json["title"] == "电焊基础"
    for forbidden in ({"base_id": world.base_b.id}, {"enrolled_count": 0}):
        status, _code, fields = _error(manager("PATCH", f"/courses/{course_id}", forbidden))
        assert status == 422 and next(iter(forbidden)) in fields
    status, _code, fields = _error(manager("PATCH", f"/courses/{course_id}", {"capacity": 0}))
    assert status == 422 and "capacity" in fields


def test_lists_are_paginated_and_scoped(world, manager, trainer, client, api_headers, db):
    for i in range(3):
        make_course(world, title=f"课程{i}")
    page = manager("GET", "/courses?limit=2").json
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = manager("GET", f"/courses?limit=2&cursor={page['next_cursor']}").json
    assert len(rest["items"]) == 2 and rest["next_cursor"] is None
    assert manager("GET", "/courses?status=upcoming").json["items"] == []
    other = client.get("/api/v1/courses", headers=api_headers(world.manager_b)).json
    assert other["items"] == []
    officer_y = client.get("/api/v1/courses", headers=api_headers(world.officer_y)).json
    assert officer_y["items"] == []
    assert manager("GET", f"/courses?base_id={world.base_b.id}").json["items"] == []  # ignored: still scoped


def test_out_of_scope_objects_are_404_with_no_data(world, client, api_headers, db):
    headers = api_headers(world.manager_b)
    for method, path, body in [
        ("GET", f"/courses/{world.course_a.id}", None),
        ("PATCH", f"/courses/{world.course_a.id}", {"title": "x"}),
        ("GET", f"/courses/{world.course_a.id}/progress", None),
        ("GET", f"/courses/{world.course_a.id}/sessions", None),
        ("GET", f"/courses/{world.course_a.id}/enrolments", None),
        ("POST", f"/courses/{world.course_a.id}/sessions", {"held_on": "2026-11-23", "hours": "2"}),
        ("POST", f"/courses/{world.course_a.id}/enrolments", {"resident_id": world.resident_b.id}),
        ("GET", f"/sessions/{world.session_a.id}/attendance", None),
        ("PUT", f"/sessions/{world.session_a.id}/attendance",
         {"records": [{"resident_id": world.resident_a.id, "status": "present"}]}),
        ("POST", f"/enrolments/{world.enrolment_a.id}/withdraw", None),
        ("POST", f"/enrolments/{world.enrolment_a.id}/certificate", {"certificate_number": "X"}),
    ]:
        response = client.open(f"/api/v1{path}", method=method, json=body, headers=headers)
        assert response.status_code == 404, (method, path, response.status_code)
        assert "张三" not in response.get_data(as_text=True) and "电焊" not in response.get_data(as_text=True)
    assert count_rows(db, Attendance) == 0 and count_rows(db, CourseSession) == 1


def test_roles_without_training_get_403(world, client, api_headers):
    for user in (world.admin, world.auditor, world.enterprise_user):
        response = client.get(f"/api/v1/courses/{world.course_a.id}/progress", headers=api_headers(user))
        assert response.status_code == 403
    response = client.get("/api/v1/courses")
    assert response.status_code == 401


# ---------------------------------------------------------------- sessions

def test_sessions_and_the_weekday_pattern(world, manager, trainer):
    response = trainer("POST", f"/courses/{world.course_a.id}/sessions", {"held_on": "2026-11-23", "hours": "3.5",
                                                                          "topic": "焊接安全"})
    assert response.status_code == 201
    assert {k: response.json[k] for k in ("course_id", "held_on", "hours", "topic")} == {
        "course_id": world.course_a.id, "held_on": "2026-11-23", "hours": 3.5, "topic": "焊接安全"}
    status, code, fields = _error(trainer("POST", f"/courses/{world.course_a.id}/sessions",
                                          {"held_on": "2026-11-23", "hours": "2"}))
    assert (status, code) == (409, "session_exists") and "held_on" in fields
    status, _code, fields = _error(trainer("POST", f"/courses/{world.course_a.id}/sessions",
                                           {"held_on": "2027-01-04", "hours": "2"}))
    assert status == 422 and "held_on" in fields

    generated = manager("POST", f"/courses/{world.course_a.id}/sessions/generate",
                        {"weekdays": [1, 3], "hours": "2", "from": "2026-11-23", "to": "2026-12-02"})
    assert generated.status_code == 201
    assert [s["held_on"] for s in generated.json] == ["2026-11-25", "2026-11-30", "2026-12-02"]  # 23rd existed
    days = [s["held_on"] for s in manager("GET", f"/courses/{world.course_a.id}/sessions").json]
    assert days == ["2026-11-20", "2026-11-23", "2026-11-25", "2026-11-30", "2026-12-02"]
    status, _code, fields = _error(manager("POST", f"/courses/{world.course_a.id}/sessions/generate",
                                           {"weekdays": [9], "hours": "2"}))
    assert status == 422 and "weekdays" in fields


# ---------------------------------------------------------------- enrolment

def test_enrolment_codes_of_api_md(world, manager, db):
    course = manager("POST", "/courses", {**COURSE, "base_id": world.base_a.id, "capacity": 1}).json
    first, second = resident_with_stay(db, world.base_a, "甲"), resident_with_stay(db, world.base_a, "乙")
    discharged = resident_with_stay(db, world.base_a, "丙", open_stay=False)
    path = f"/courses/{course['id']}/enrolments"

    response = manager("POST", path, {"resident_id": first.id})
    assert response.status_code == 201
    assert {k: response.json[k] for k in ("course_id", "resident_id", "name", "status", "certificate_number")} == {
        "course_id": course["id"], "resident_id": first.id, "name": "甲", "status": "enrolled",
        "certificate_number": None}
    assert _error(manager("POST", path, {"resident_id": first.id}))[:2] == (409, "already_enrolled")
    assert _error(manager("POST", path, {"resident_id": second.id}))[:2] == (409, "course_full")
    assert _error(manager("POST", path, {"resident_id": discharged.id}))[:2] == (422, "not_eligible")
    assert _error(manager("POST", path, {"resident_id": world.resident_b.id}))[:2] == (404, "not_found")
    assert _error(manager("POST", path, {"resident_id": first.id, "status": "enrolled"}))[0] == 422
    assert manager("GET", f"/courses/{course['id']}").json["enrolled_count"] == 1

    enrolment_id = response.json["id"]
    withdrawn = manager("POST", f"/enrolments/{enrolment_id}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json["status"] == "withdrawn"
    assert manager("POST", path, {"resident_id": second.id}).status_code == 201
    assert [e["name"] for e in manager("GET", path).json] == ["甲", "乙"]


# ---------------------------------------------------------------- attendance

def test_put_attendance_twice_leaves_the_same_rows(world, trainer, db):
    path = f"/sessions/{world.session_a.id}/attendance"
    body = {"records": [{"resident_id": world.resident_a.id, "status": "late"}]}

    first = trainer("PUT", path, body)
    rows_after_first = db.session.execute(select(Attendance.id, Attendance.status)).all()
    second = trainer("PUT", path, body)

    assert first.status_code == second.status_code == 200
    assert first.json == second.json == {
        "session_id": world.session_a.id, "course_id": world.course_a.id, "held_on": "2026-11-20",
        "counts": {"present": 0, "late": 1, "absent": 0, "excused": 0},
        "records": [{"resident_id": world.resident_a.id, "name": "张三", "status": "late"}]}
    assert db.session.execute(select(Attendance.id, Attendance.status)).all() == rows_after_first
    assert len(rows_after_first) == 1
    assert trainer("GET", path).json == first.json


def test_attendance_errors(world, trainer, manager, db):
    future = manager("POST", f"/courses/{world.course_a.id}/sessions", {"held_on": "2026-11-27", "hours": "2"}).json
    record = {"resident_id": world.resident_a.id, "status": "present"}
    status, code, fields = _error(trainer("PUT", f"/sessions/{future['id']}/attendance", {"records": [record]}))
    assert (status, code) == (422, "future_session") and "held_on" in fields

    outsider = resident_with_stay(db, world.base_a, "旁听者")
    response = trainer("PUT", f"/sessions/{world.session_a.id}/attendance",
                       {"records": [record, {"resident_id": outsider.id, "status": "present"}]})
    status, code, fields = _error(response)
    assert (status, code) == (422, "not_enrolled") and "旁听者" in response.json["error"]["message"]

    for bad in ({"records": []}, {"records": [{"resident_id": world.resident_a.id, "status": "asleep"}]},
                {"records": [{**record, "note": "x"}]}, {"records": [record], "session_id": 1}, {}):
        assert trainer("PUT", f"/sessions/{world.session_a.id}/attendance", bad).status_code == 422, bad
    assert count_rows(db, Attendance) == 0


def test_sixty_residents_in_one_put(world, manager, trainer, db):
    course = make_course(world, capacity=60)
    session = manager("POST", f"/courses/{course.id}/sessions", {"held_on": "2026-11-20", "hours": "4"}).json
    people = [resident_with_stay(db, world.base_a, f"学员{i:02d}") for i in range(60)]
    for person in people:
        assert manager("POST", f"/courses/{course.id}/enrolments", {"resident_id": person.id}).status_code == 201
    records = [{"resident_id": p.id, "status": "present"} for p in people]
    records[0]["status"], records[1]["status"] = "absent", "excused"

    response = trainer("PUT", f"/sessions/{session['id']}/attendance", {"records": records})

    assert response.status_code == 200
    assert response.json["counts"] == {"present": 58, "late": 0, "absent": 1, "excused": 1}
    assert len(response.json["records"]) == 60 and count_rows(db, Attendance) == 60


# ---------------------------------------------------------------- progress and certificates

def test_progress_body_of_api_md(world, trainer):
    trainer("PUT", f"/sessions/{world.session_a.id}/attendance",
            {"records": [{"resident_id": world.resident_a.id, "status": "present"}]})
    rows = trainer("GET", f"/courses/{world.course_a.id}/progress").json
    assert len(rows) == 1
    row = rows[0]
    assert {k: row[k] for k in ("resident_id", "sessions_held", "attended", "excused", "attendance_rate",
                                "completed")} == {
        "resident_id": world.resident_a.id, "sessions_held": 1, "attended": 1, "excused": 0,
        "attendance_rate": 1.0, "completed": False}


def test_progress_rate_is_null_when_the_denominator_is_zero(world, trainer):
    trainer("PUT", f"/sessions/{world.session_a.id}/attendance",
            {"records": [{"resident_id": world.resident_a.id, "status": "excused"}]})
    row = trainer("GET", f"/courses/{world.course_a.id}/progress").json[0]
    assert row["sessions_held"] == 1 and row["excused"] == 1 and row["attendance_rate"] is None


def test_certificate_for_completers_only(world, trainer, monkeypatch, db):
    path = f"/enrolments/{world.enrolment_a.id}/certificate"
    status, code, fields = _error(trainer("POST", path, {"certificate_number": "HG-1"}))
    assert (status, code) == (422, "not_completed") and "certificate_number" in fields

    trainer("PUT", f"/sessions/{world.session_a.id}/attendance",
            {"records": [{"resident_id": world.resident_a.id, "status": "present"}]})
    monkeypatch.setattr("base_ops.core.clock.today", lambda: date(2026, 12, 19))  # the course has ended
    assert trainer("GET", f"/courses/{world.course_a.id}/progress").json[0]["completed"] is True
    response = trainer("POST", path, {"certificate_number": "HG-1", "certificate_on": "2026-12-19"})
    assert response.status_code == 200
    assert response.json["certificate_number"] == "HG-1" and response.json["certificate_on"] == "2026-12-19"
    assert trainer("POST", path, {"certificate_number": "HG-2", "status": "x"}).status_code == 422
    assert trainer("POST", path, {"certificate_number": "HG-2", "certificate_on": "2026-12-25"}).status_code == 422
    db.session.expire_all()
    assert db.session.get(Enrolment, world.enrolment_a.id).certificate_number == "HG-1"


def test_openapi_documents_the_training_paths(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/courses", "/api/v1/courses/{course_id}/sessions", "/api/v1/courses/{course_id}/enrolments",
                 "/api/v1/sessions/{session_id}/attendance", "/api/v1/courses/{course_id}/progress"):
        assert path in paths, path

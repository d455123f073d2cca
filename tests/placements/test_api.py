"""The placements part of docs/api.md: POST /referrals (409 posting_full, referral_exists; 422),
POST /referrals/<id>/status (409 invalid_transition), GET /referrals/<id> (an enterprise sees only
the allowed candidate fields), POST /placements (the hire; 409 posting_full), checks, end, undo;
IDOR across enterprises and bases answers 404 with no data."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from base_ops.placements import services
from base_ops.placements.models import Placement, Referral, RetentionCheck
from tests.enterprises.conftest import USCC_OTHER
from tests.placements.conftest import hire, offer
from tests.placements.helpers import admit_new_resident

CANDIDATE_KEYS = {"name", "sex", "age", "skills", "courses"}  # never the diet (docs/domain.md)
REFERRAL_KEYS = {"id", "posting_id", "posting_title", "enterprise_id", "enterprise_name", "status", "referred_at",
                 "base_name", "candidate", "events", "placement_id"}


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _hire_body(referral_id, **overrides):
    body = {"referral_id": referral_id, "started_on": "2026-11-16", "contract_months": 12,
            "monthly_wage": "4200.00", "social_insurance": True}
    body.update(overrides)
    return body


@pytest.fixture
def other_enterprise_user(factory):
    other = factory.enterprise("330106", uscc=USCC_OTHER, name="另一家企业")
    return factory.user("enterprise", username="other_e", enterprise=other)


def test_refer_through_the_api(world, client, api_headers, job, db):
    response = client.post("/api/v1/referrals", headers=api_headers(world.manager_a),
                           json={"posting_id": job.id, "resident_id": world.resident_a.id})
    assert response.status_code == 201, response.json
    data = response.json
    assert data["status"] == "referred" and data["resident_id"] == world.resident_a.id
    assert data["base_id"] == world.base_a.id and data["candidate"]["name"] == "张三"
    again = client.post("/api/v1/referrals", headers=api_headers(world.manager_a),
                        json={"posting_id": job.id, "resident_id": world.resident_a.id})
    assert again.status_code == 409 and again.json["error"]["code"] == "referral_exists"
    assert again.json["error"]["id"] == data["id"]


@pytest.mark.parametrize("body", [
    {"posting_id": "1", "resident_id": 1},
    {"posting_id": 1},
    {"posting_id": 1, "resident_id": 1, "status": "hired"},
    {"posting_id": 1, "resident_id": 1, "base_id": 2},
])
def test_refer_strict_body(world, client, api_headers, db, body):
    before = _count(db, Referral)
    response = client.post("/api/v1/referrals", headers=api_headers(world.manager_a), json=body)
    assert response.status_code == 422
    assert _count(db, Referral) == before


def test_posting_full_on_referral(world, client, api_headers, db, offered, job):
    second, _ = admit_new_resident(world.manager_a, world.base_a, 41, "冯四")
    hire(world, offered)
    response = client.post("/api/v1/referrals", headers=api_headers(world.manager_a),
                           json={"posting_id": job.id, "resident_id": second.id})
    assert response.status_code == 409 and response.json["error"]["code"] == "posting_full"
    placement_id = db.session.scalar(select(Placement.id).where(Placement.referral_id == offered.id))
    undo = client.post(f"/api/v1/placements/{placement_id}/cancel", headers=api_headers(world.enterprise_user))
    assert undo.status_code == 200 and undo.json["is_cancelled"] is True
    retry = client.post("/api/v1/referrals", headers=api_headers(world.manager_a),
                        json={"posting_id": job.id, "resident_id": second.id})
    assert retry.status_code == 201


def test_no_open_stay_is_422(world, client, api_headers, job):
    from base_ops.intake.stays import services as stays

    stays.discharge(world.manager_a, world.stay_a, discharged_on=date(2026, 11, 19), destination="relatives")
    response = client.post("/api/v1/referrals", headers=api_headers(world.manager_a),
                           json={"posting_id": job.id, "resident_id": world.resident_a.id})
    assert response.status_code == 422 and response.json["error"]["code"] == "no_open_stay"


def test_enterprise_sees_only_the_allowed_candidate_fields(world, client, api_headers, offered):
    response = client.get(f"/api/v1/referrals/{offered.id}", headers=api_headers(world.enterprise_user))
    assert response.status_code == 200
    data = response.json
    assert set(data) == REFERRAL_KEYS
    assert set(data["candidate"]) == CANDIDATE_KEYS
    assert data["candidate"] == {"name": "张三", "sex": "male", "age": 41, "skills": [], "courses": []}
    assert [e["to_status"] for e in data["events"]] == ["referred", "interviewing", "offered"]
    staff = client.get(f"/api/v1/referrals/{offered.id}", headers=api_headers(world.manager_a)).json
    assert staff["resident_id"] == world.resident_a.id and staff["base_id"] == world.base_a.id


def test_completed_courses_and_certificates_are_shown(world, client, api_headers, offered, db):
    from decimal import Decimal

    from base_ops.training.models import Attendance, Course, CourseSession, Enrolment

    course = Course(base_id=world.base_a.id, title="中式烹调", skill="烹饪", trainer_id=world.trainer_a.id,
                    starts_on=date(2026, 10, 1), ends_on=date(2026, 10, 30), capacity=10, enrolled_count=1,
                    hours=Decimal("8"), certificate_type="中式烹调师证")
    db.session.add(course)
    db.session.flush()
    session = CourseSession(course_id=course.id, held_on=date(2026, 10, 15), hours=Decimal("8"))
    enrolment = Enrolment(course_id=course.id, resident_id=world.resident_a.id, stay_id=world.stay_a.id,
                          enrolled_on=date(2026, 10, 1), certificate_number="ZC-2026-001")
    db.session.add_all([session, enrolment])
    db.session.flush()
    db.session.add(Attendance(session_id=session.id, resident_id=world.resident_a.id, enrolment_id=enrolment.id,
                              status="present"))
    db.session.commit()
    candidate = client.get(f"/api/v1/referrals/{offered.id}", headers=api_headers(world.enterprise_user)).json[
        "candidate"]
    assert candidate["skills"] == ["烹饪"]
    assert candidate["courses"] == [{"title": "中式烹调", "skill": "烹饪", "certificate_type": "中式烹调师证",
                                     "certificate_number": "ZC-2026-001"}]  # the unfinished 电焊基础 is left out


def test_status_moves_through_the_api(world, client, api_headers, job):
    referral = services.refer(world.manager_a, posting_id=job.id, resident_id=world.resident_a.id)
    headers = api_headers(world.enterprise_user)
    url = f"/api/v1/referrals/{referral.id}/status"
    skipped = client.post(url, headers=headers, json={"status": "offered"})
    assert skipped.status_code == 409 and skipped.json["error"]["code"] == "invalid_transition"
    assert client.post(url, headers=headers, json={"status": "interviewing"}).json["status"] == "interviewing"
    assert client.post(url, headers=headers, json={"status": "hired"}).status_code == 422
    assert client.post(url, headers=headers, json={"status": "offered", "note": "x"}).status_code == 422
    assert client.post(url, headers=api_headers(world.manager_a), json={"status": "offered"}).status_code == 403
    assert client.post(url, headers=headers, json={"status": "offered"}).json["status"] == "offered"


def test_hire_through_the_api(world, client, api_headers, db, offered, job):
    response = client.post("/api/v1/placements", headers=api_headers(world.enterprise_user),
                           json=_hire_body(offered.id))
    assert response.status_code == 201, response.json
    data = response.json
    assert data["monthly_wage"] == "4200.00" and data["agreement_id"] == world.agreement.id
    assert data["agreement_version"] == 1 and data["is_cancelled"] is False
    assert data["next_check"] == {"month_mark": 1, "due_on": "2026-12-16"}
    assert "resident_id" not in data and "stay_id" not in data  # staff only
    db.session.refresh(job)
    assert job.open_positions == 0
    staff = client.get(f"/api/v1/placements/{data['id']}", headers=api_headers(world.manager_a)).json
    assert staff["resident_id"] == world.resident_a.id and staff["stay_id"] == world.stay_a.id


def test_second_hire_for_the_last_position_is_409_posting_full(world, client, api_headers, db, offered, job):
    second, _ = admit_new_resident(world.manager_a, world.base_a, 42, "陈五")
    other = offer(world, services.refer(world.manager_a, posting_id=job.id, resident_id=second.id))
    headers = api_headers(world.enterprise_user)
    assert client.post("/api/v1/placements", headers=headers, json=_hire_body(offered.id)).status_code == 201
    response = client.post("/api/v1/placements", headers=headers, json=_hire_body(other.id))
    assert response.status_code == 409 and response.json["error"]["code"] == "posting_full"
    twice = client.post("/api/v1/placements", headers=headers, json=_hire_body(offered.id))
    assert twice.status_code == 409 and twice.json["error"]["code"] == "invalid_transition"


@pytest.mark.parametrize(("overrides", "field"), [
    ({"contract_months": "12"}, "contract_months"),
    ({"monthly_wage": "lots"}, "monthly_wage"),
    ({"started_on": "2026-02-30"}, "started_on"),
    ({"social_insurance": None}, "social_insurance"),
    ({"agreement_id": 1}, "agreement_id"),
    ({"is_cancelled": True}, "is_cancelled"),
])
def test_hire_bad_input_writes_nothing(world, client, api_headers, db, offered, overrides, field):
    response = client.post("/api/v1/placements", headers=api_headers(world.enterprise_user),
                           json=_hire_body(offered.id, **overrides))
    assert response.status_code == 422 and field in response.json["error"]["fields"]
    assert _count(db, Placement) == 1


def test_checks_end_and_due_list(world, client, api_headers, db, offered):
    placement = hire(world, offered, started_on=date(2026, 10, 12))
    headers = api_headers(world.manager_a)
    due = client.get("/api/v1/retention-checks/due", headers=headers).json
    assert [(d["placement_id"], d["month_mark"], d["due_on"], d["overdue"]) for d in due] == \
        [(placement.id, 1, "2026-11-12", True)]
    check = client.post(f"/api/v1/placements/{placement.id}/checks", headers=headers,
                        json={"checked_on": "2026-11-13", "employed": True})
    assert check.status_code == 201 and check.json["month_mark"] == 1
    assert client.post(f"/api/v1/placements/{placement.id}/checks", headers=headers,
                       json={"checked_on": "2026-11-13", "employed": "maybe"}).status_code == 422
    assert client.get("/api/v1/retention-checks/due", headers=headers).json == []
    end = client.post(f"/api/v1/placements/{placement.id}/end", headers=api_headers(world.enterprise_user),
                      json={"ended_on": "2026-11-19", "reason": "合同到期前离职"})
    assert end.status_code == 200 and end.json["ended_on"] == "2026-11-19"
    assert [c["month_mark"] for c in end.json["checks"]] == [1]
    undo = client.post(f"/api/v1/placements/{placement.id}/cancel", headers=headers)
    assert undo.status_code == 409


def test_discharge_through_the_api(world, client, api_headers, offered):
    placement = hire(world, offered)
    response = client.post(f"/api/v1/placements/{placement.id}/discharge", headers=api_headers(world.manager_a),
                           json={"discharged_on": "2026-11-16"})
    assert response.status_code == 200, response.json
    assert response.json == {"stay_id": world.stay_a.id, "discharged_on": "2026-11-16", "destination": "employed"}


def test_another_enterprise_cannot_see_or_touch_candidates_or_placements(world, client, api_headers, db, offered,
                                                                         other_enterprise_user):
    placement = hire(world, offered)
    headers = api_headers(other_enterprise_user)
    for url in (f"/api/v1/referrals/{offered.id}", f"/api/v1/placements/{placement.id}",
                f"/api/v1/referrals/{world.referral_a.id}", f"/api/v1/placements/{world.placement_a.id}"):
        response = client.get(url, headers=headers)
        assert response.status_code == 404 and "张三" not in response.get_data(as_text=True)
    assert client.get("/api/v1/referrals", headers=headers).json["items"] == []
    assert client.get("/api/v1/placements", headers=headers).json["items"] == []
    assert client.get("/api/v1/retention-checks/due", headers=headers).json == []
    posts = [(f"/api/v1/referrals/{offered.id}/status", {"status": "declined_by_employer"}),
             (f"/api/v1/placements/{placement.id}/checks", {"checked_on": "2026-11-20", "employed": False}),
             (f"/api/v1/placements/{placement.id}/end", {"ended_on": "2026-11-20", "reason": "x"}),
             (f"/api/v1/placements/{placement.id}/cancel", None),
             ("/api/v1/placements", _hire_body(world.referral_a.id))]
    for url, body in posts:
        assert client.post(url, headers=headers, json=body).status_code == 404, url
    assert _count(db, RetentionCheck) == 0
    db.session.refresh(placement)
    assert placement.ended_on is None and not placement.is_cancelled


def test_other_base_manager_gets_404(world, client, api_headers, offered):
    placement = hire(world, offered)
    headers = api_headers(world.manager_b)
    assert client.get(f"/api/v1/referrals/{offered.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/placements/{placement.id}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/placements/{placement.id}/discharge", headers=headers,
                       json={"discharged_on": "2026-11-16"}).status_code == 404
    assert client.get("/api/v1/referrals", headers=headers).json["items"] == []
    officer_y = client.get(f"/api/v1/placements/{placement.id}", headers=api_headers(world.officer_y))
    assert officer_y.status_code == 404
    officer_x = client.get(f"/api/v1/placements/{placement.id}", headers=api_headers(world.officer_x))
    assert officer_x.status_code == 200


def test_lists_filter_by_status(world, client, api_headers, offered):
    headers = api_headers(world.enterprise_user)
    offered_items = client.get("/api/v1/referrals?status=offered", headers=headers).json["items"]
    assert [r["id"] for r in offered_items] == [offered.id]
    assert all(set(r) == REFERRAL_KEYS for r in offered_items)
    hired = client.get("/api/v1/referrals?status=hired", headers=headers).json["items"]
    assert [r["id"] for r in hired] == [world.referral_a.id]
    assert client.get("/api/v1/referrals?status=nope", headers=headers).status_code == 422

"""The stays part of docs/api.md through HTTP: shapes, every error code, scope (IDOR), mass assignment."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from base_ops.beds.models import BedAssignment
from base_ops.intake.models import Leave, Stay
from base_ops.org import services as org_services
from tests.beds.helpers import TODAY, assignments, bed_of, make_resident


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: TODAY)


def _error(response, status, code):
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code, response.json
    return response.json["error"]


def test_admit_returns_the_stay_whole(world, client, api_headers, db):
    person = make_resident(db, world.base_a, name="赵七")
    bed = bed_of(world.base_a, "101", "B")
    response = client.post("/api/v1/stays", headers=api_headers(world.manager_a), json={
        "resident_id": person.id, "base_id": world.base_a.id, "admitted_on": "2026-11-18", "bed_id": bed.id,
        "referral_source": "救助站"})
    assert response.status_code == 201
    body = response.json
    assert body["id"] > 0
    assert body["status"] == "open" and body["days"] == 2 and body["is_overstay"] is False
    assert body["bed"] == {"id": bed.id, "label": "B", "room": "101"}
    assert body["resident_id"] == person.id and body["resident_name"] == "赵七"
    assert body["admitted_on"] == "2026-11-18" and body["discharged_on"] is None and body["destination"] is None
    again = client.get(f"/api/v1/stays/{body['id']}", headers=api_headers(world.manager_a))
    assert again.json == body


def test_get_stay_shape(world, client, api_headers):
    body = client.get(f"/api/v1/stays/{world.stay_a.id}", headers=api_headers(world.officer_x)).json
    assert body["status"] == "open" and body["days"] == 69
    assert body["bed"]["label"] == "A" and body["bed"]["room"] == "101"
    assert body["flags"] == []


def test_admission_error_codes(world, client, api_headers, db):
    headers = api_headers(world.manager_a)

    def post(**fields):
        return client.post("/api/v1/stays", headers=headers,
                           json={"base_id": world.base_a.id, "admitted_on": "2026-11-20", **fields})

    _error(post(resident_id=world.resident_a.id), 409, "open_stay_exists")
    plain = make_resident(db, world.base_a, three_none=False)
    error = _error(post(resident_id=plain.id), 422, "not_eligible")
    assert "override_reason" in error["fields"]
    child = make_resident(db, world.base_a, birth=date(2012, 1, 1))
    _error(post(resident_id=child.id), 422, "minor")
    woman = make_resident(db, world.base_a, sex="female")
    _error(post(resident_id=woman.id, bed_id=bed_of(world.base_a, "101", "B").id), 422, "sex_mismatch")
    man = make_resident(db, world.base_a)
    _error(post(resident_id=man.id, bed_id=bed_of(world.base_a, "101", "A").id), 409, "bed_unavailable")
    future = _error(post(resident_id=man.id, admitted_on="2026-11-21"), 422, "validation_error")
    assert "admitted_on" in future["fields"]
    assert db.session.scalar(select(func.count()).select_from(Stay)) == 2  # only the world's stays
    assert post(resident_id=plain.id, override_reason="县局批准").status_code == 201


def test_unknown_fields_are_refused_and_nothing_written(world, client, api_headers, db):
    person = make_resident(db, world.base_a)
    headers = api_headers(world.manager_a)
    for extra in ({"status": "discharged"}, {"discharged_on": "2026-11-20"}, {"admitted_by_id": 1}):
        response = client.post("/api/v1/stays", headers=headers, json={
            "resident_id": person.id, "base_id": world.base_a.id, "admitted_on": "2026-11-20", **extra})
        assert response.status_code == 422
        assert set(extra) <= set(response.json["error"]["fields"])
    assert db.session.scalar(select(func.count()).select_from(Stay).where(Stay.resident_id == person.id)) == 0
    wrong_type = client.post("/api/v1/stays", headers=headers, json={
        "resident_id": str(person.id), "base_id": world.base_a.id, "admitted_on": "20-11-2026"})
    assert wrong_type.status_code == 422
    assert {"resident_id", "admitted_on"} <= set(wrong_type.json["error"]["fields"])


def test_bed_endpoint_codes(world, client, api_headers, db):
    headers = api_headers(world.manager_a)
    url = f"/api/v1/stays/{world.stay_a.id}/bed"
    bed_b = bed_of(world.base_a, "101", "B")
    _error(client.post(url, headers=headers, json={"bed_id": bed_of(world.base_a, "201", "A").id, "on": "2026-11-20"}),
           422, "sex_mismatch")
    org_services.set_bed_service(None, bed_b, in_service=False, from_on=date(2026, 11, 25))
    _error(client.post(url, headers=headers, json={"bed_id": bed_b.id, "on": "2026-11-20"}), 409,
           "bed_out_of_service")
    newcomer = make_resident(db, world.base_a)
    stay = client.post("/api/v1/stays", headers=headers, json={
        "resident_id": newcomer.id, "base_id": world.base_a.id, "admitted_on": "2026-11-20"}).json
    taken = {"bed_id": bed_of(world.base_a, "101", "A").id, "on": "2026-11-20"}
    _error(client.post(f"/api/v1/stays/{stay['id']}/bed", headers=headers, json=taken), 409, "bed_unavailable")
    moved = client.post(url, headers=headers, json={"bed_id": bed_b.id, "on": "2026-11-30", "extra": 1})
    assert moved.status_code == 422
    release = client.post(f"{url}/release", headers=headers, json={"on": "2026-11-20"})
    assert release.status_code == 200 and release.json["bed"] is None and "no_bed" in release.json["flags"]
    assert [a.end_on for a in assignments(db, world.stay_a.id)] == [date(2026, 11, 20)]
    _error(client.post(f"{url}/release", headers=headers, json={"on": "2026-11-20"}), 409, "no_bed")
    ok = client.post(f"/api/v1/stays/{stay['id']}/bed", headers=headers,
                     json={"bed_id": bed_of(world.base_a, "101", "A").id, "on": "2026-11-20"})
    assert ok.status_code == 200 and ok.json["bed"]["label"] == "A"


def test_leave_absence_and_discharge_endpoints(world, client, api_headers, db):
    headers = api_headers(world.manager_a)
    base = f"/api/v1/stays/{world.stay_a.id}"
    leave = client.post(f"{base}/leaves", headers=headers,
                        json={"start_on": "2026-11-22", "end_on": "2026-11-24", "reason": "就医"})
    assert leave.status_code == 201 and leave.json["id"] > 0 and leave.json["end_on"] == "2026-11-24"
    _error(client.post(f"{base}/leaves", headers=headers,
                       json={"start_on": "2026-11-23", "end_on": "2026-11-25", "reason": "x"}), 409, "leave_overlaps")
    bad = _error(client.post(f"{base}/leaves", headers=headers,
                             json={"start_on": "2026-11-25", "end_on": "2026-11-25", "reason": "x"}),
                 422, "validation_error")
    assert "end_on" in bad["fields"]
    absence = client.post(f"{base}/absences", headers=headers, json={"start_on": "2026-11-15", "note": "夜不归宿"})
    assert absence.status_code == 201 and absence.json["returned_on"] is None
    flagged = client.get(base, headers=headers).json
    assert flagged["absent_since"] == "2026-11-15" and "absent" in flagged["flags"]
    _error(client.post(f"{base}/absences", headers=headers, json={"start_on": "2026-11-16"}), 409, "absence_open")
    back = client.post(f"/api/v1/absences/{absence.json['id']}/return", headers=headers,
                       json={"returned_on": "2026-11-19"})
    assert back.status_code == 200 and back.json["returned_on"] == "2026-11-19"
    _error(client.post(f"/api/v1/absences/{absence.json['id']}/return", headers=headers,
                       json={"returned_on": "2026-11-20"}), 409, "absence_closed")
    early = _error(client.post(f"{base}/discharge", headers=headers,
                               json={"discharged_on": "2026-09-01", "destination": "employed"}), 422,
                   "validation_error")
    assert list(early["fields"]) == ["discharged_on"]
    _error(client.post(f"{base}/discharge", headers=headers,
                       json={"discharged_on": "2026-11-20", "destination": "other"}), 422, "validation_error")
    done = client.post(f"{base}/discharge", headers=headers,
                       json={"discharged_on": "2026-11-20", "destination": "employed"})
    assert done.status_code == 200
    assert done.json["status"] == "discharged" and done.json["destination"] == "employed" and done.json["bed"] is None
    _error(client.post(f"{base}/discharge", headers=headers,
                       json={"discharged_on": "2026-11-20", "destination": "employed"}), 409, "stay_closed")
    _error(client.post(f"{base}/leaves", headers=headers,
                       json={"start_on": "2026-11-22", "end_on": "2026-11-24", "reason": "x"}), 409, "stay_closed")


def test_manager_a_cannot_see_or_touch_stay_b(world, client, api_headers, db):
    headers = api_headers(world.manager_a)
    stay_b = f"/api/v1/stays/{world.stay_b.id}"
    bed_b1 = world.base_b.rooms[0].beds[0]
    requests = [("get", stay_b, None),
                ("post", f"{stay_b}/bed", {"bed_id": bed_b1.id, "on": "2026-11-20"}),
                ("post", f"{stay_b}/bed/release", {"on": "2026-11-20"}),
                ("post", f"{stay_b}/leaves", {"start_on": "2026-11-21", "end_on": "2026-11-22", "reason": "x"}),
                ("post", f"{stay_b}/absences", {"start_on": "2026-11-20"}),
                ("post", f"{stay_b}/discharge", {"discharged_on": "2026-11-20", "destination": "employed"})]
    for method, url, body in requests:
        response = getattr(client, method)(url, headers=headers, json=body)
        assert response.status_code == 404, (url, response.json)
        assert "李四" not in response.get_data(as_text=True)
    # Base B's bed for base A's stay, and base B as the admitting base.
    _error(client.post(f"/api/v1/stays/{world.stay_a.id}/bed", headers=headers,
                       json={"bed_id": bed_b1.id, "on": "2026-11-20"}), 404, "not_found")
    person = make_resident(db, world.base_a)
    _error(client.post("/api/v1/stays", headers=headers, json={
        "resident_id": person.id, "base_id": world.base_b.id, "admitted_on": "2026-11-20"}), 404, "not_found")
    _error(client.post("/api/v1/stays", headers=headers, json={
        "resident_id": world.resident_b.id, "base_id": world.base_a.id, "admitted_on": "2026-11-20"}), 404, "not_found")
    db.session.expire_all()
    assert db.session.get(Stay, world.stay_b.id).is_open
    assert db.session.scalar(select(func.count()).select_from(Leave).where(Leave.stay_id == world.stay_b.id)) == 0
    assert [a.bed_id for a in db.session.scalars(select(BedAssignment).where(
        BedAssignment.stay_id == world.stay_b.id))] == []


def test_absence_of_another_base_is_404(world, client, api_headers, db):
    from base_ops.intake.stays import services as stays

    absence = stays.record_absence(world.manager_b, world.stay_b, start_on=date(2026, 11, 19))
    response = client.post(f"/api/v1/absences/{absence.id}/return", headers=api_headers(world.manager_a),
                           json={"returned_on": "2026-11-20"})
    assert response.status_code == 404
    db.session.refresh(absence)
    assert absence.returned_on is None


def test_list_stays_in_scope(world, client, api_headers):
    def ids(user, query=""):
        return [s["id"] for s in client.get(f"/api/v1/stays{query}", headers=api_headers(user)).json["items"]]

    assert ids(world.manager_a) == [world.stay_a.id]
    assert ids(world.officer_y) == [world.stay_b.id]
    assert ids(world.manager_a, f"?base_id={world.base_b.id}") == []
    assert ids(world.manager_a, "?status=discharged") == []


def test_officers_read_but_do_not_write(world, client, api_headers, db):
    headers = api_headers(world.officer_x)
    assert client.get(f"/api/v1/stays/{world.stay_a.id}", headers=headers).status_code == 200
    response = client.post(f"/api/v1/stays/{world.stay_a.id}/discharge", headers=headers,
                           json={"discharged_on": "2026-11-20", "destination": "employed"})
    assert response.status_code == 403
    assert client.get(f"/api/v1/stays/{world.stay_b.id}", headers=headers).status_code == 404
    assert [a.end_on for a in assignments(db, world.stay_a.id)] == [None]


def test_the_contract_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ["/api/v1/stays", "/api/v1/stays/{stay_id}", "/api/v1/stays/{stay_id}/bed",
                 "/api/v1/stays/{stay_id}/leaves", "/api/v1/stays/{stay_id}/discharge",
                 "/api/v1/stays/{stay_id}/absences", "/api/v1/absences/{absence_id}/return",
                 "/api/v1/bases/{base_id}/bed-board"]:
        assert path in paths, path

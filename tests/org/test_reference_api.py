"""The Reference part of docs/api.md: regions, bases, rooms, beds, dibao; errors, pagination, scope."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from base_ops.core.clock import today
from base_ops.org.models import Base, Bed


def test_regions_tree(world, client, api_headers):
    headers = api_headers(world.manager_a)
    provinces = client.get("/api/v1/regions", headers=headers).json
    assert {"code": "330000", "name": "浙江省", "level": "province"} in provinces
    cities = client.get("/api/v1/regions?parent=330000", headers=headers).json
    assert [c["code"] for c in cities] == ["330100", "330200"]
    bad = client.get("/api/v1/regions?parent=33", headers=headers)
    assert bad.status_code == 422
    assert "parent" in bad.json["error"]["fields"]


def test_create_base_returns_it_whole(world, client, api_headers):
    response = client.post("/api/v1/bases", headers=api_headers(world.admin), json={
        "name": "新基地", "region_code": "330110", "address": "某路 1 号", "meal_standard": "25.50"})
    assert response.status_code == 201
    body = response.json
    assert body["id"] > 0
    assert body["max_stay_days"] == 180
    assert body["meal_standard"] == "25.50"


def test_unknown_fields_and_bad_values_are_422_naming_the_field(world, client, api_headers, db):
    headers = api_headers(world.admin)
    unknown = client.post("/api/v1/bases", headers=headers, json={
        "name": "X", "region_code": "330110", "address": "a", "role": "admin"})
    assert unknown.status_code == 422
    assert unknown.json["error"]["code"] == "validation_error"
    assert "role" in unknown.json["error"]["fields"]
    city = client.post("/api/v1/bases", headers=headers, json={"name": "Y", "region_code": "330100", "address": "a"})
    assert city.status_code == 422
    assert "region_code" in city.json["error"]["fields"]
    missing = client.post("/api/v1/bases", headers=headers, json={"name": "Z", "region_code": "999999", "address": "a"})
    assert missing.status_code == 422
    assert db.session.scalar(select(Base).where(Base.name.in_(["X", "Y", "Z"]))) is None


def test_duplicate_base_name_is_409(world, client, api_headers):
    response = client.post("/api/v1/bases", headers=api_headers(world.admin), json={
        "name": "基地A", "region_code": "330106", "address": "a"})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "base_exists"


def test_list_bases_in_scope_only(world, client, api_headers):
    def ids(user):
        return [b["id"] for b in client.get("/api/v1/bases", headers=api_headers(user)).json["items"]]

    assert ids(world.manager_a) == [world.base_a.id]
    assert ids(world.officer_x) == [world.base_a.id]
    assert ids(world.officer_y) == [world.base_b.id]
    assert sorted(ids(world.admin)) == sorted([world.base_a.id, world.base_b.id])
    # Out of scope is 404, exactly like missing.
    response = client.get(f"/api/v1/bases/{world.base_b.id}", headers=api_headers(world.manager_a))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_city_officer_sees_every_county_below(factory, world, client, api_headers):
    city = factory.user("county_officer", username="city", region_code="330100")
    ids = [b["id"] for b in client.get("/api/v1/bases", headers=api_headers(city)).json["items"]]
    assert sorted(ids) == sorted([world.base_a.id, world.base_b.id])


def test_base_id_filter_cannot_widen_scope(world, client, api_headers):
    response = client.get(f"/api/v1/bases?base_id={world.base_b.id}", headers=api_headers(world.manager_a))
    assert response.status_code == 200  # an unknown query parameter is ignored, never obeyed
    assert [b["id"] for b in response.json["items"]] == [world.base_a.id]


def test_pagination_with_cursor(factory, world, client, api_headers):
    for i in range(4):
        factory.base("330110", name=f"分页基地{i}", rooms=())
    headers = api_headers(world.admin)
    first = client.get("/api/v1/bases?limit=2", headers=headers).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    seen = [b["id"] for b in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(f"/api/v1/bases?limit=2&cursor={cursor}", headers=headers).json
        seen += [b["id"] for b in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 6
    assert client.get("/api/v1/bases?limit=501", headers=headers).status_code == 422
    assert client.get("/api/v1/bases?cursor=garbage!", headers=headers).status_code == 422


def test_rooms_and_beds(world, client, api_headers, db):
    headers = api_headers(world.admin)
    room = client.post(f"/api/v1/bases/{world.base_b.id}/rooms", headers=headers, json={"name": "9", "sex": "female"})
    assert room.status_code == 201 and room.json["sex"] == "female"
    bad = client.post(f"/api/v1/bases/{world.base_b.id}/rooms", headers=headers, json={"name": "10", "sex": "x"})
    assert bad.status_code == 422 and "sex" in bad.json["error"]["fields"]
    bed = client.post(f"/api/v1/rooms/{room.json['id']}/beds", headers=headers, json={"label": "A"})
    assert bed.status_code == 201 and bed.json["in_service"] is True
    again = client.post(f"/api/v1/rooms/{room.json['id']}/beds", headers=headers, json={"label": "A"})
    assert again.status_code == 409


def test_bed_service_history_keeps_past_nights(world, client, api_headers, db):
    headers = api_headers(world.admin)
    bed_id = world.base_a.rooms[0].beds[1].id  # room 101 bed B: vacant (bed A is resident_a's)
    day = today()
    out = client.patch(f"/api/v1/beds/{bed_id}", headers=headers,
                       json={"in_service": False, "from": (day + timedelta(days=3)).isoformat()})
    assert out.status_code == 200
    bed = db.session.get(Bed, bed_id)
    db.session.refresh(bed)
    assert bed.is_in_service_on(day + timedelta(days=2))
    assert not bed.is_in_service_on(day + timedelta(days=3))
    assert bed.is_in_service_on(date(2025, 6, 1))  # history untouched
    back = client.patch(f"/api/v1/beds/{bed_id}", headers=headers,
                        json={"in_service": True, "from": (day + timedelta(days=10)).isoformat()})
    assert back.status_code == 200
    db.session.refresh(bed)
    assert not bed.is_in_service_on(day + timedelta(days=9))
    assert bed.is_in_service_on(day + timedelta(days=10))
    rewrite = client.patch(f"/api/v1/beds/{bed_id}", headers=headers,
                           json={"in_service": False, "from": (day + timedelta(days=5)).isoformat()})
    assert rewrite.status_code == 422
    assert "from" in rewrite.json["error"]["fields"]


def test_beds_on_a_night(world, client, api_headers):
    night = today() + timedelta(days=1)
    rows = client.get(f"/api/v1/bases/{world.base_a.id}/beds?on={night.isoformat()}",
                      headers=api_headers(world.manager_a)).json
    assert [(r["room"]["name"], r["label"], r["sex"]) for r in rows] == [
        ("101", "A", "male"), ("101", "B", "male"), ("201", "A", "female")]
    assert all(r["in_service"] for r in rows)
    assert rows[0]["occupant"] == {"resident_id": world.resident_a.id, "stay_id": world.stay_a.id, "name": "张三"}
    assert rows[1]["occupant"] is None and rows[2]["occupant"] is None
    assert client.get(f"/api/v1/bases/{world.base_b.id}/beds", headers=api_headers(world.manager_a)).status_code == 404


def test_dibao_put_and_get(world, client, api_headers):
    headers = api_headers(world.admin)
    put = client.put("/api/v1/reference/dibao/330106/2026", headers=headers, json={"monthly": "1260.00"})
    assert put.status_code == 200
    assert put.json == {"region_code": "330106", "year": 2026, "monthly": "1260.00"}
    client.put("/api/v1/reference/dibao/330106/2026", headers=headers, json={"monthly": "1300"})
    got = client.get("/api/v1/reference/dibao/330106/2026", headers=api_headers(world.manager_a))
    assert got.json["monthly"] == "1300.00"
    assert client.put("/api/v1/reference/dibao/330106/2026", headers=headers, json={"monthly": "-5"}).status_code == 422
    assert client.put("/api/v1/reference/dibao/999999/2026", headers=headers, json={"monthly": "5"}).status_code == 422
    assert client.get("/api/v1/reference/dibao/330106/2020", headers=headers).status_code == 404


def test_openapi_is_served_and_lists_the_contract(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in ["/api/v1/auth/tokens", "/api/v1/regions", "/api/v1/bases", "/api/v1/bases/{base_id}",
                 "/api/v1/bases/{base_id}/rooms", "/api/v1/rooms/{room_id}/beds", "/api/v1/beds/{bed_id}",
                 "/api/v1/reference/dibao/{region_code}/{year}", "/api/v1/bases/{base_id}/beds"]:
        assert path in spec["paths"], path
    assert set(spec["paths"]["/api/v1/bases"]) >= {"get", "post"}
    assert set(spec["paths"]["/api/v1/reference/dibao/{region_code}/{year}"]) >= {"get", "put"}


def test_openapi_validates(client):
    from openapi_spec_validator import validate

    validate(client.get("/api/v1/openapi.json").json)


def test_occupied_bed_cannot_leave_service(world, client, api_headers):
    bed_id = world.base_a.rooms[0].beds[0].id  # resident_a's bed, open-ended assignment
    response = client.patch(f"/api/v1/beds/{bed_id}", headers=api_headers(world.admin),
                            json={"in_service": False, "from": (today() + timedelta(days=1)).isoformat()})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "bed_occupied"


def test_admin_sees_beds_but_no_occupants(world, client, api_headers):
    rows = client.get(f"/api/v1/bases/{world.base_a.id}/beds", headers=api_headers(world.admin)).json
    assert rows and all(r["occupant"] is None for r in rows)
    assert "张三" not in str(rows)

"""The residents part of docs/api.md: POST/PATCH/GET /residents, search, case notes; errors, masking, scope, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from base_ops.core.audit import AuditEvent
from base_ops.residents.models import CaseNote, Resident
from tests.conftest import ID_A, ID_B
from tests.residents.conftest import ID_FEB_30, ID_FEMALE, ID_MALE, ID_OTHER, ID_WITH_X, body

URL = "/api/v1/residents"


def _count(db, model=Resident) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _events(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def test_create_returns_the_whole_file_with_derived_fields(world, client, api_headers, db):
    response = client.post(URL, headers=api_headers(world.manager_a), json=body())
    assert response.status_code == 201, response.json
    data = response.json
    assert data["id"] > 0 and data["base_id"] == world.base_a.id
    assert data["id_number"] == ID_MALE  # the caller typed it and may see it
    assert (data["sex"], data["birth_on"]) == ("male", "1992-02-15")
    assert (data["is_three_none"], data["is_key_subject"]) == (True, True)
    assert data["support_ends_on"] == "2031-10-01"
    assert (data["released_on"], data["registered_on"], data["diet"]) == ("2026-10-01", "2026-10-08", "halal")
    assert data["health_notes"] is None and data["bank_account"] is None
    assert _count(db) == 3


def test_minimal_body_takes_defaults(world, client, api_headers):
    minimal = body(ethnicity=None, phone=None, hukou_address=None, prison_name=None, prison_region_code=None,
                   offence=None, sentence_months=None, registered_on=None, special_hardship=None, diet=None)
    response = client.post(URL, headers=api_headers(world.manager_a), json=minimal)
    assert response.status_code == 201, response.json
    assert (response.json["diet"], response.json["special_hardship"]) == ("standard", False)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"id_number": "330106199202153575"}, "id_number"),  # wrong check character
    ({"id_number": "３３０１０６１９９２０２１５３５７６"}, "id_number"),  # full-width digits
    ({"id_number": "33010619920215357"}, "id_number"),  # 17 characters
    ({"id_number": ID_FEB_30}, "id_number"),  # 30 February
    ({"registered_on": "2026-09-30"}, "registered_on"),  # before release on 2026-10-01
    ({"released_on": "2026-13-01"}, "released_on"),
    ({"released_on": None}, "released_on"),
    ({"hukou_region_code": "999999"}, "hukou_region_code"),
    ({"diet": "kosher"}, "diet"),
    ({"sentence_months": "12"}, "sentence_months"),
])
def test_bad_input_is_422_naming_the_field_and_writes_nothing(world, client, api_headers, db, overrides, field):
    before = (_count(db), len(_events(db, "resident_created")))
    response = client.post(URL, headers=api_headers(world.manager_a), json=body(**overrides))
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]
    assert (_count(db), len(_events(db, "resident_created"))) == before


def test_duplicate_is_409_with_the_existing_id(world, client, api_headers):
    first = client.post(URL, headers=api_headers(world.manager_b), json=body(id_number=ID_WITH_X))
    again = client.post(URL, headers=api_headers(world.manager_a), json=body(id_number=ID_WITH_X.lower()))
    assert again.status_code == 409
    assert again.json["error"]["code"] == "resident_exists"
    assert again.json["error"]["id"] == first.json["id"]


def test_mass_assignment_is_refused(world, client, api_headers, db):
    headers = api_headers(world.manager_a)
    for extra in ({"role": "admin"}, {"sex": "female"}, {"birth_on": "2000-01-01"}, {"id": 99},
                  {"is_three_none": True}):
        response = client.post(URL, headers=headers, json=body() | extra)
        assert response.status_code == 422
        assert set(extra) <= set(response.json["error"]["fields"])
    other_base = client.post(URL, headers=headers, json=body(base_id=world.base_b.id))
    assert other_base.status_code == 422 and "base_id" in other_base.json["error"]["fields"]
    assert _count(db) == 2


def test_patch_changes_given_fields_and_refuses_derived_ones(world, client, api_headers, db):
    headers = api_headers(world.manager_a)
    url = f"{URL}/{world.resident_a.id}"
    response = client.patch(url, headers=headers, json={"phone": "13700000000", "dibao_since": "2026-10-01",
                                                        "reoffended_on": None, "ethnicity": None})
    assert response.status_code == 200, response.json
    assert response.json["phone"] == "13700000000" and response.json["dibao_since"] == "2026-10-01"
    assert response.json["name"] == "张三"
    for derived in ({"sex": "female"}, {"birth_on": "1990-01-01"}, {"support_ends_on": "2040-01-01"}):
        refused = client.patch(url, headers=headers, json=derived)
        assert refused.status_code == 422 and set(derived) <= set(refused.json["error"]["fields"])
    bad = client.patch(url, headers=headers, json={"registered_on": "2026-08-31"})
    assert bad.status_code == 422 and "registered_on" in bad.json["error"]["fields"]
    nulled = client.patch(url, headers=headers, json={"name": None})
    assert nulled.status_code == 422 and "name" in nulled.json["error"]["fields"]
    db.session.expire_all()
    assert db.session.get(Resident, world.resident_a.id).registered_on.isoformat() == "2026-09-10"


def test_patch_new_number_rederives_sex_and_birth(world, client, api_headers):
    response = client.patch(f"{URL}/{world.resident_b.id}", headers=api_headers(world.manager_b),
                            json={"id_number": ID_OTHER})
    assert response.status_code == 200, response.json
    assert (response.json["sex"], response.json["birth_on"]) == ("male", "1995-03-01")


def test_get_gives_permitted_roles_the_full_file_and_audits_it(world, client, api_headers, db):
    for user in (world.manager_a, world.officer_x):
        before = len(_events(db, "resident_sensitive_viewed"))
        response = client.get(f"{URL}/{world.resident_a.id}", headers=api_headers(user))
        assert response.status_code == 200
        data = response.json
        assert (data["id_number"], data["health_notes"], data["bank_account"]) == (
            ID_A, "高血压", "6222020200112233445")
        events = _events(db, "resident_sensitive_viewed")
        assert len(events) == before + 1
        assert events[-1].actor_username == user.username and events[-1].object_id == str(world.resident_a.id)
        assert ID_A not in events[-1].details and "6222020200112233445" not in events[-1].details


def test_lists_mask_the_number_and_leave_out_health_and_bank(world, client, api_headers):
    items = client.get(URL, headers=api_headers(world.manager_a)).json["items"]
    assert [i["name"] for i in items] == ["张三"]
    assert items[0]["id_number"] == "330106********1231"
    assert "health_notes" not in items[0] and "bank_account" not in items[0]
    assert items[0]["is_three_none"] is True and items[0]["sex"] == "male"


def test_scope_manager_a_cannot_reach_resident_b(world, client, api_headers):
    headers = api_headers(world.manager_a)
    url = f"{URL}/{world.resident_b.id}"
    for response in (client.get(url, headers=headers), client.patch(url, headers=headers, json={"phone": "1"}),
                     client.get(url + "/case-notes", headers=headers),
                     client.post(url + "/case-notes", headers=headers,
                                 json={"kind": "talk", "noted_on": "2026-11-20", "text": "x"})):
        assert response.status_code == 404
        assert response.json["error"]["code"] == "not_found"
        assert "李四" not in response.get_data(as_text=True)
    missing = client.get(f"{URL}/999999", headers=headers)
    assert missing.status_code == 404 and missing.json == client.get(url, headers=headers).json
    found = client.get(f"{URL}?q=李", headers=headers).json["items"]
    assert found == []
    found = client.get(f"{URL}?q={ID_B[-4:]}&base_id={world.base_b.id}", headers=headers).json["items"]
    assert found == []


def test_county_officer_sees_only_his_region(world, client, api_headers):
    def names(user):
        return [i["name"] for i in client.get(URL, headers=api_headers(user)).json["items"]]

    assert names(world.officer_x) == ["张三"]
    assert names(world.officer_y) == ["李四"]
    assert client.get(f"{URL}/{world.resident_a.id}", headers=api_headers(world.officer_y)).status_code == 404


def test_a_stay_brings_the_resident_into_scope(world, client, api_headers, db):
    """docs/api.md: in the scope of the registering base and of every base where he has or had a stay."""
    from datetime import date

    from base_ops.intake.models import Stay

    stay = db.session.get(Stay, world.stay_b.id)
    stay.discharged_on, stay.destination = date(2026, 10, 1), "relatives"
    db.session.add(Stay(resident_id=world.resident_b.id, base_id=world.base_a.id, admitted_on=date(2026, 10, 2)))
    db.session.commit()
    assert client.get(f"{URL}/{world.resident_b.id}", headers=api_headers(world.manager_a)).status_code == 200


def test_officers_read_but_do_not_write(world, client, api_headers, db):
    headers = api_headers(world.officer_x)
    assert client.post(URL, headers=headers, json=body()).status_code == 403
    assert client.patch(f"{URL}/{world.resident_a.id}", headers=headers, json={"phone": "1"}).status_code == 403
    assert _count(db) == 2


def test_search_by_name_and_by_last_digits(world, client, api_headers):
    headers = api_headers(world.manager_a)
    client.post(URL, headers=headers, json=body(name="Zhao Liu"))
    client.post(URL, headers=headers, json=body(id_number=ID_WITH_X, name="钱七"))

    def names(q):
        response = client.get(URL, headers=headers, query_string={"q": q})
        assert response.status_code == 200, response.json
        return sorted(i["name"] for i in response.json["items"])

    assert names("zhao") == ["Zhao Liu"]  # case-insensitive substring
    assert names("张") == ["张三"]
    assert names(ID_MALE[-4:]) == ["Zhao Liu"]
    assert names("158x") == ["钱七"]  # lower-case x matches the stored X
    assert names(ID_MALE[-8:]) == ["Zhao Liu"]
    assert names("3576 ") == ["Zhao Liu"]
    assert names("1992") == []  # digits search the end of the number, not the birth year
    whole = client.get(URL, headers=headers, query_string={"q": ID_MALE})
    assert whole.status_code == 422 and "q" in whole.json["error"]["fields"]
    assert ID_MALE not in whole.get_data(as_text=True)


@pytest.mark.parametrize("q", ["' OR '1'='1", "%", "_", "张%' --", "1234'; DROP TABLE residents; --",
                               "\\", "%%%%"])
def test_sql_and_wildcards_in_q_have_no_effect(world, client, api_headers, db, q):
    response = client.get(URL, headers=api_headers(world.manager_a), query_string={"q": q})
    assert response.status_code in (200, 422)
    if response.status_code == 200:
        assert response.json["items"] == []
    assert _count(db) == 2


def test_pagination_with_cursor(world, client, api_headers):
    headers = api_headers(world.manager_a)
    for number in (ID_MALE, ID_FEMALE, ID_WITH_X):
        assert client.post(URL, headers=headers, json=body(id_number=number)).status_code == 201
    first = client.get(URL, headers=headers, query_string={"limit": 2}).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = client.get(URL, headers=headers, query_string={"limit": 2, "cursor": first["next_cursor"]}).json
    assert len(second["items"]) == 2 and second["next_cursor"] is None
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert len(set(ids)) == 4
    assert client.get(URL, headers=headers, query_string={"cursor": "junk"}).status_code == 422


def test_case_notes_api(world, client, api_headers, db):
    url = f"{URL}/{world.resident_a.id}/case-notes"
    created = client.post(url, headers=api_headers(world.manager_a),
                          json={"kind": "counselling", "noted_on": "2026-11-20", "text": "心理疏导"})
    assert created.status_code == 201, created.json
    assert created.json["stay_id"] == world.stay_a.id and created.json["kind"] == "counselling"
    future = client.post(url, headers=api_headers(world.manager_a),
                         json={"kind": "talk", "noted_on": "2026-11-21", "text": "x"})
    assert future.status_code == 422 and "noted_on" in future.json["error"]["fields"]
    unknown = client.post(url, headers=api_headers(world.manager_a),
                          json={"kind": "talk", "noted_on": "2026-11-20", "text": "x", "author_id": 1})
    assert unknown.status_code == 422 and "author_id" in unknown.json["error"]["fields"]
    notes = client.get(url, headers=api_headers(world.officer_x)).json
    assert [n["kind"] for n in notes] == ["counselling", "talk"]  # newest first
    assert _count(db, CaseNote) == 2


def test_openapi_documents_the_resident_paths(client):
    spec = client.get("/api/v1/openapi.json").json
    assert {"post", "get"} <= set(spec["paths"]["/api/v1/residents"])
    assert {"get", "patch"} <= set(spec["paths"]["/api/v1/residents/{resident_id}"])
    assert {"get", "post"} <= set(spec["paths"]["/api/v1/residents/{resident_id}/case-notes"])

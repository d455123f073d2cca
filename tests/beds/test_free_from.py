"""Beds free from a date on (issue 21): `GET /bases/<id>/beds?from=` and the admission form use it, so an
admission dated in the past is offered only a bed it can really take."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from base_ops.beds import queries, services
from base_ops.beds.models import BedAssignment
from base_ops.intake.models import Stay
from base_ops.intake.stays import services as stays
from base_ops.org import services as org_services
from tests.beds.helpers import TODAY, bed_of, make_resident


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: TODAY)


@pytest.fixture
def later_guest(world, db):
    """Bed 101-B was vacant on Nov 10 but is taken from Nov 15 on by a stay admitted then."""
    person = make_resident(db, world.base_a, name="赵七")
    stays.admit(world.manager_a, resident_id=person.id, base_id=world.base_a.id, admitted_on=date(2026, 11, 15),
                bed_id=bed_of(world.base_a, "101", "B").id)
    return person


def test_a_bed_taken_on_a_later_night_is_not_free_from_an_earlier_date(world, db, later_guest):
    bed_a, bed_f = bed_of(world.base_a, "101", "A"), bed_of(world.base_a, "201", "A")
    assert queries.free_bed_ids([world.base_a.id], date(2026, 11, 10)) == {bed_f.id}  # B is taken on the 15th
    # 101-A is free only after 张三 leaves it.
    services.release_bed(world.manager_a, world.stay_a, date(2026, 12, 1))
    assert queries.free_bed_ids([world.base_a.id], date(2026, 12, 1)) == {bed_a.id, bed_f.id}
    assert queries.free_bed_ids([world.base_a.id], date(2026, 11, 30)) == {bed_f.id}


def test_a_bed_out_of_service_on_a_later_night_is_not_free(world, db):
    bed_f = bed_of(world.base_a, "201", "A")
    org_services.set_bed_service(None, bed_f, in_service=False, from_on=date(2026, 12, 10))
    assert bed_f.id not in queries.free_bed_ids([world.base_a.id], date(2026, 11, 20))


def test_the_api_lists_the_beds_free_from_a_date(world, db, client, api_headers, later_guest):
    headers = api_headers(world.manager_a)
    rows = client.get(f"/api/v1/bases/{world.base_a.id}/beds?from=2026-11-10", headers=headers).json
    assert [(r["room"]["name"], r["label"], r["in_service"], r["occupant"]) for r in rows] == [
        ("201", "A", True, None)]
    # One night shown with ?on=: 101-B is vacant on the 10th, yet not free from it on.
    night = client.get(f"/api/v1/bases/{world.base_a.id}/beds?on=2026-11-10", headers=headers).json
    assert [r["occupant"] is None for r in night] == [False, True, True]


@pytest.mark.parametrize("query", ["from=2026-13-01", "from=yesterday", "from=2026-11-20&on=2026-11-20"])
def test_a_bad_from_is_refused_naming_it(world, client, api_headers, query):
    response = client.get(f"/api/v1/bases/{world.base_a.id}/beds?{query}", headers=api_headers(world.manager_a))
    assert response.status_code == 422
    assert "from" in response.json["error"]["fields"]


def test_from_is_scoped_like_the_rest(world, client, api_headers):
    response = client.get(f"/api/v1/bases/{world.base_b.id}/beds?from=2026-11-20",
                          headers=api_headers(world.manager_a))
    assert response.status_code == 404


def test_the_admission_form_offers_the_beds_free_from_its_date(world, db, login_as, later_guest):
    client = login_as(world.manager_a)
    html = client.get("/stays/new").get_data(as_text=True)
    bed_b, bed_f = bed_of(world.base_a, "101", "B"), bed_of(world.base_a, "201", "A")
    assert f'value="{bed_f.id}"' in html and f'value="{bed_b.id}"' not in html
    assert "data-refresh-beds" in html and "js/stays.js" in html
    # 101-B was vacant on the 10th but is taken from the 15th: an admission dated the 10th is not offered it.
    past = client.get("/stays/new?admitted_on=2026-11-10").get_data(as_text=True)
    assert f'value="{bed_b.id}"' not in past and f'value="{bed_f.id}"' in past
    # A man chosen: only the beds of men's rooms (none free here), and the empty choice says so.
    newcomer = make_resident(db, world.base_a, name="钱八")
    chosen = client.get(f"/stays/new?resident_id={newcomer.id}").get_data(as_text=True)
    assert f'value="{bed_f.id}"' not in chosen


def test_an_admission_dated_in_the_past_takes_a_bed_offered(world, db, login_as):
    person = make_resident(db, world.base_a, name="孙九")
    client = login_as(world.manager_a)
    bed_b = bed_of(world.base_a, "101", "B")
    assert f'value="{bed_b.id}"' in client.get(f"/stays/new?admitted_on=2026-11-02&resident_id={person.id}").text
    response = client.post("/stays/new", data={"resident_id": person.id, "base_id": world.base_a.id,
                                               "admitted_on": "2026-11-02", "bed_id": bed_b.id})
    assert response.status_code == 302
    stay = db.session.scalar(select(Stay).where(Stay.resident_id == person.id))
    assert db.session.scalar(select(BedAssignment.bed_id).where(BedAssignment.stay_id == stay.id)) == bed_b.id


def test_a_bad_admission_date_in_the_address_is_refused_not_a_500(world, login_as):
    response = login_as(world.manager_a).get("/stays/new?admitted_on=2026-02-30")
    assert response.status_code in (400, 422)

"""The bed board: states for a night, counts, one query for the grid, actions, scope."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from base_ops.beds import queries
from base_ops.intake.stays import services as stays
from base_ops.org import services as org_services
from tests.beds.helpers import TODAY, assignments, bed_of, count_queries, make_resident


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: TODAY)


@pytest.fixture
def login_as(login_as):
    def _login(user):
        client = login_as(user)
        with client.session_transaction() as session:
            session["lang"] = "en"
        return client

    return _login


@pytest.fixture
def busy(world, factory, db):
    """Base A with a room more: 101-A 张三 (on leave on the 21st), 101-B vacant, 102-A out of service,
    102-B 陈一 (absent since the 18th), 201-A vacant (female); 林二 (male) and 何三 (female) wait for a bed."""
    from base_ops.org.models import Room

    room = org_services.create_room(None, world.base_a, name="102", sex="male")
    for label in ("A", "B"):
        org_services.create_bed(None, room, label=label, in_service_from=date(2025, 1, 1))
    db.session.refresh(world.base_a)
    room = db.session.get(Room, room.id)
    org_services.set_bed_service(None, room.beds[0], in_service=False, from_on=date(2026, 11, 1))
    stays.record_leave(world.manager_a, world.stay_a, start_on=date(2026, 11, 21), end_on=date(2026, 11, 23),
                       reason="探亲")
    chen = make_resident(db, world.base_a, name="陈一")
    chen_stay = stays.admit(world.manager_a, resident_id=chen.id, base_id=world.base_a.id,
                            admitted_on=date(2026, 11, 2), bed_id=room.beds[1].id)
    stays.record_absence(world.manager_a, chen_stay, start_on=date(2026, 11, 18))
    for name, sex in (("林二", "male"), ("何三", "female")):
        person = make_resident(db, world.base_a, name=name, sex=sex)
        stays.admit(world.manager_a, resident_id=person.id, base_id=world.base_a.id, admitted_on=date(2026, 11, 19))
    return world


def _states(rooms):
    return {(tile.room_name, tile.label): (tile.state, tile.resident_name) for room in rooms for tile in room.tiles}


def test_board_states_on_a_night(busy, db):
    assert _states(queries.board(busy.base_a.id, TODAY)) == {
        ("101", "A"): ("occupied", "张三"), ("101", "B"): ("vacant", None), ("102", "A"): ("out_of_service", None),
        ("102", "B"): ("occupied", "陈一"), ("201", "A"): ("vacant", None)}
    tonight = {tile.resident_name: tile for room in queries.board(busy.base_a.id, TODAY) for tile in room.tiles}
    assert tonight["陈一"].absent_since == date(2026, 11, 18)
    tomorrow = _states(queries.board(busy.base_a.id, TODAY + timedelta(days=1)))
    assert tomorrow[("101", "A")] == ("on_leave", "张三")
    assert _states(queries.board(busy.base_a.id, date(2026, 11, 23)))[("101", "A")] == ("occupied", "张三")
    before = _states(queries.board(busy.base_a.id, date(2026, 9, 1)))
    assert before[("101", "A")] == ("vacant", None) and before[("102", "A")] == ("vacant", None)


def test_board_counts_by_sex(busy, db):
    counts = queries.board_counts(queries.board(busy.base_a.id, TODAY + timedelta(days=1)))
    assert counts["male"] == {"vacant": 1, "occupied": 1, "on_leave": 1, "out_of_service": 1}
    assert counts["female"] == {"vacant": 1, "occupied": 0, "on_leave": 0, "out_of_service": 0}
    assert counts["total"]["vacant"] == 2


def test_waiting_list_is_open_stays_without_a_bed(busy, db):
    waiting = queries.stays_without_bed(busy.base_a.id, TODAY)
    assert [(name, sex.value) for _id, name, sex in waiting] == [("何三", "female"), ("林二", "male")]
    assert queries.stays_without_bed(busy.base_a.id, date(2026, 11, 18)) == []  # not admitted yet


def test_the_grid_is_one_query_whatever_the_number_of_beds(busy, db):
    base_id = busy.base_a.id
    with count_queries(db) as small:
        queries.board(base_id, TODAY)
    room = org_services.create_room(None, busy.base_a, name="103", sex="male")
    for label in "ABCDEFGH":
        org_services.create_bed(None, room, label=label, in_service_from=date(2025, 1, 1))
    with count_queries(db) as large:
        rooms = queries.board(base_id, TODAY)
    assert len(small) == len(large) == 1
    assert sum(len(r.tiles) for r in rooms) == 13


def test_board_page(busy, login_as):
    page = login_as(busy.manager_a).get(f"/beds?base_id={busy.base_a.id}&on=2026-11-21")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    states = re.findall(r'data-state="(\w+)" data-bed-id="(\d+)"', html)
    assert sorted(s for s, _ in states) == ["occupied", "on_leave", "out_of_service", "vacant", "vacant"]
    assert "张三" in html and "陈一" in html and "on leave until 11-23" in html
    assert "on=2026-11-20" in html and "on=2026-11-22" in html  # previous and next night
    assert 'name="assign-stay_id"' in html and 'name="move-bed_id"' in html and 'name="release-stay_id"' in html
    assert "林二" in html and "何三" in html


def test_board_defaults_to_the_first_base_and_tonight(world, login_as):
    html = login_as(world.manager_a).get("/beds").get_data(as_text=True)
    assert "基地A" in html and "night of 2026-11-20" in html


def test_officer_sees_the_board_without_actions(busy, login_as):
    page = login_as(busy.officer_x).get(f"/beds?base_id={busy.base_a.id}")
    assert page.status_code == 200
    assert "assign-stay_id" not in page.get_data(as_text=True)


def test_another_bases_board_is_404(world, login_as, client, api_headers):
    assert login_as(world.manager_a).get(f"/beds?base_id={world.base_b.id}").status_code == 404
    response = client.get(f"/api/v1/bases/{world.base_b.id}/bed-board", headers=api_headers(world.manager_a))
    assert response.status_code == 404 and "李四" not in response.get_data(as_text=True)


def test_a_bad_night_falls_back_to_tonight(world, login_as):
    page = login_as(world.manager_a).get("/beds?on=not-a-date")
    assert page.status_code == 200
    assert "night of 2026-11-20" in page.get_data(as_text=True)


def test_board_api(busy, client, api_headers):
    body = client.get(f"/api/v1/bases/{busy.base_a.id}/bed-board?on=2026-11-21",
                      headers=api_headers(busy.officer_x)).json
    assert body["on"] == "2026-11-21" and body["counts"]["male"]["on_leave"] == 1
    tiles = {(t["room_name"], t["label"]): t for t in body["beds"]}
    assert tiles[("101", "A")]["state"] == "on_leave" and tiles[("101", "A")]["leave_until"] == "2026-11-23"
    assert tiles[("102", "B")]["resident_name"] == "陈一" and tiles[("102", "B")]["absent_since"] == "2026-11-18"


def test_assign_move_and_release_from_the_board(busy, login_as, db):
    client = login_as(busy.manager_a)
    waiting = {name: stay_id for stay_id, name, _sex in queries.stays_without_bed(busy.base_a.id, TODAY)}
    bed_b = bed_of(busy.base_a, "101", "B")
    assigned = client.post("/beds/assign", data={"assign-bed_id": bed_b.id, "assign-stay_id": waiting["林二"],
                                                  "assign-on": "2026-11-20", "assign-base_id": busy.base_a.id})
    assert assigned.status_code == 302
    assert f"base_id={busy.base_a.id}" in assigned.headers["Location"]
    assert [a.bed_id for a in assignments(db, waiting["林二"])] == [bed_b.id]
    # A woman into a men's room: a clear message, nothing written.
    clash = client.post("/beds/assign", data={"assign-bed_id": bed_b.id, "assign-stay_id": waiting["何三"],
                                              "assign-on": "2026-11-20", "assign-base_id": busy.base_a.id},
                        follow_redirects=True)
    assert "room 101 is for the other sex" in clash.get_data(as_text=True)
    assert assignments(db, waiting["何三"]) == []
    moved = client.post("/beds/move", data={"move-stay_id": busy.stay_a.id, "move-bed_id": bed_b.id,
                                            "move-on": "2026-11-20", "move-base_id": busy.base_a.id},
                        follow_redirects=True)
    assert "Bed 101-B is taken from the night of 2026-11-20." in moved.get_data(as_text=True)  # 林二 has it now
    assert [a.end_on for a in assignments(db, busy.stay_a.id)] == [None]
    released = client.post("/beds/release", data={"release-stay_id": busy.stay_a.id, "release-on": "2026-11-20",
                                                  "release-base_id": busy.base_a.id}, follow_redirects=True)
    assert "Bed released." in released.get_data(as_text=True)
    assert [a.end_on for a in assignments(db, busy.stay_a.id)] == [TODAY]


def test_board_actions_on_another_bases_stay_are_404(world, login_as, db):
    client = login_as(world.manager_a)
    response = client.post("/beds/release", data={"release-stay_id": world.stay_b.id, "release-on": "2026-11-20"})
    assert response.status_code == 404
    assert [a.end_on for a in assignments(db, world.stay_b.id)] == []
    bed_in_b = world.base_b.rooms[0].beds[0]
    response = client.post("/beds/move", data={"move-stay_id": world.stay_a.id, "move-bed_id": bed_in_b.id,
                                               "move-on": "2026-11-20"})
    assert response.status_code == 404
    assert [a.end_on for a in assignments(db, world.stay_a.id)] == [None]

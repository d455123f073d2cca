"""Stay pages: open stays with flags, admission form, the stay page and its forms, scope."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from base_ops.intake.models import Leave, Stay
from base_ops.intake.stays import services as stays
from tests.beds.helpers import TODAY, assignments, bed_of, make_resident


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: TODAY)


@pytest.fixture
def login_as(login_as):
    """Signed in, with the English UI so the assertions do not depend on the translations."""

    def _login(user):
        client = login_as(user)
        with client.session_transaction() as session:
            session["lang"] = "en"
        return client

    return _login


def test_open_stays_list_shows_flags(world, login_as, db):
    stays.record_absence(world.manager_a, world.stay_a, start_on=TODAY - timedelta(days=5))
    newcomer = make_resident(db, world.base_a, name="钱八")
    stays.admit(world.manager_a, resident_id=newcomer.id, base_id=world.base_a.id, admitted_on=TODAY)
    page = login_as(world.manager_a).get("/stays")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "张三" in html and "钱八" in html and "李四" not in html
    assert "Absent 5 nights" in html
    assert html.count("bi-hourglass-split") >= 1  # 钱八 has no bed


def test_stay_page_shows_bed_leave_and_forms(world, login_as):
    html = login_as(world.manager_a).get(f"/stays/{world.stay_a.id}").get_data(as_text=True)
    assert "张三" in html and "101" in html and "探亲" in html
    assert f'action="/stays/{world.stay_a.id}/discharge"' in html
    assert f'action="/stays/{world.stay_a.id}/leaves"' in html


def test_officer_reads_the_stay_page_without_forms(world, login_as):
    page = login_as(world.officer_x).get(f"/stays/{world.stay_a.id}")
    assert page.status_code == 200
    assert "/discharge" not in page.get_data(as_text=True)


def test_stay_pages_of_another_base_are_404(world, login_as, db):
    client = login_as(world.manager_a)
    assert client.get(f"/stays/{world.stay_b.id}").status_code == 404
    response = client.post(f"/stays/{world.stay_b.id}/discharge",
                           data={"discharge-discharged_on": "2026-11-20", "discharge-destination": "employed"})
    assert response.status_code == 404
    assert "李四" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Stay, world.stay_b.id).is_open


def test_admit_form_lists_residents_in_scope_without_an_open_stay(world, login_as, db):
    make_resident(db, world.base_a, name="孙九")
    make_resident(db, world.base_b, name="周十")
    html = login_as(world.manager_a).get("/stays/new").get_data(as_text=True)
    assert "孙九" in html
    assert "周十" not in html  # another base's file
    assert "张三" not in html  # already has an open stay
    assert "330106********" in html and "3301061980" not in html.replace("330106********", "")


def test_admit_form_shows_the_eligibility_error_and_writes_nothing(world, login_as, db):
    person = make_resident(db, world.base_a, name="吴一", three_none=False)
    response = login_as(world.manager_a).post("/stays/new", data={
        "resident_id": person.id, "base_id": world.base_a.id, "admitted_on": "2026-11-20", "bed_id": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "override reason" in html and "is-invalid" in html
    assert db.session.scalar(select(func.count()).select_from(Stay).where(Stay.resident_id == person.id)) == 0


def test_admit_form_admits_into_a_bed(world, login_as, db):
    person = make_resident(db, world.base_a, name="郑二")
    bed = bed_of(world.base_a, "101", "B")
    response = login_as(world.manager_a).post("/stays/new", data={
        "resident_id": person.id, "base_id": world.base_a.id, "admitted_on": "2026-11-20", "bed_id": bed.id,
        "referral_source": "司法所"})
    stay = db.session.scalar(select(Stay).where(Stay.resident_id == person.id))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/stays/{stay.id}")
    assert [a.bed_id for a in assignments(db, stay.id)] == [bed.id]


def test_discharge_form_before_admission_shows_the_error_and_writes_nothing(world, login_as, db):
    response = login_as(world.manager_a).post(f"/stays/{world.stay_a.id}/discharge", data={
        "discharge-discharged_on": "2026-09-01", "discharge-destination": "employed"})
    assert response.status_code == 422
    assert "must not be before the admission on 2026-09-12" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Stay, world.stay_a.id).is_open


def test_leave_form_records_and_redirects(world, login_as, db):
    response = login_as(world.manager_a).post(f"/stays/{world.stay_a.id}/leaves", data={
        "leave-start_on": "2026-11-21", "leave-end_on": "2026-11-23", "leave-reason": "回乡办证",
        "leave-stay_id": world.stay_b.id})  # an extra field is ignored
    assert response.status_code == 302
    leave = db.session.scalar(select(Leave).where(Leave.reason == "回乡办证"))
    assert leave.stay_id == world.stay_a.id and leave.end_on == date(2026, 11, 23)


def test_absence_and_return_forms(world, login_as, db):
    client = login_as(world.manager_a)
    assert client.post(f"/stays/{world.stay_a.id}/absences", data={"absence-start_on": "2026-11-10"}).status_code == 302
    html = client.get(f"/stays/{world.stay_a.id}").get_data(as_text=True)
    assert "Absent 10 nights" in html
    db.session.expire_all()
    absence = db.session.get(Stay, world.stay_a.id).absences[0]
    assert f'action="/absences/{absence.id}/return"' in html
    assert client.post(f"/absences/{absence.id}/return", data={"return-returned_on": "2026-11-20"}).status_code == 302
    db.session.refresh(absence)
    assert absence.returned_on == TODAY


def test_self_left_is_offered_after_30_nights(world, login_as, db):
    stays.record_absence(world.manager_a, world.stay_a, start_on=TODAY - timedelta(days=30))
    html = login_as(world.manager_a).get(f"/stays/{world.stay_a.id}").get_data(as_text=True)
    assert 'value="self_left" selected' in html or 'selected value="self_left"' in html


def test_open_stays_list_pages_by_a_hundred(world, db, login_as):
    """A province has some ten thousand open stays: the list pages them (oldest admission first)."""
    for n in range(101):
        resident = make_resident(db, world.base_a, name=f"住客{n:03d}")
        db.session.add(Stay(resident_id=resident.id, base_id=world.base_a.id,
                            admitted_on=date(2026, 10, 1) + timedelta(days=n % 40)))
    db.session.commit()
    client = login_as(world.manager_a)
    first = client.get("/stays").get_data(as_text=True)
    second = client.get("/stays?page=2").get_data(as_text=True)
    assert first.count("/stays/") - second.count("/stays/") > 0
    shown_first = first.count('<a href="/stays/') - first.count('<a href="/stays/new')
    shown_second = second.count('<a href="/stays/') - second.count('<a href="/stays/new')
    assert shown_first == 100, "one page holds 100 stays"
    assert shown_second == 2, "the world's own stay and the last of the 101"
    assert "1 / 2" in first

"""Release-notice pages and the admin's work calendar: lists, detail, forms, masking, scope, access."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from base_ops.core.audit import AuditEvent
from base_ops.core.identity import mask_id_number
from base_ops.core.workdays import WorkCalendarDay
from base_ops.intake.models import ReleaseNotice
from base_ops.intake.notices import services as notices
from tests.conftest import ID_OLD
from tests.intake.test_notices import ID_N1, freeze_today, notice_count, notice_fields


@pytest.fixture
def frozen_today(monkeypatch):
    return freeze_today(monkeypatch)


XSS = '"><img src=x onerror=alert(1)>'


def test_list_tabs_counts_and_masking(world, login_as, db, frozen_today):
    notices.register_notice(world.manager_a, **notice_fields(received_on=date(2026, 11, 13)))  # due today
    client = login_as(world.manager_a)
    page = client.get("/notices")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "赵六" in html  # due today: the default tab
    assert "王五" not in html  # notice_x is due 11-23, not today
    assert "330106********001X" in html and ID_N1 not in html
    assert "再犯风险较高" not in html  # the risk assessment is shown on the detail page only
    everything = client.get("/notices?status=all").get_data(as_text=True)
    assert "王五" in everything and "赵六" in everything
    assert mask_id_number(ID_OLD) in everything and ID_OLD not in everything
    assert page.headers["Cache-Control"] == "no-store"



def test_the_list_opens_on_the_most_urgent_tab_with_work(world, login_as, db, frozen_today):
    """issue 17: the page opened on an empty "due today" tab while notices waited in others."""
    html = login_as(world.manager_a).get("/notices").get_data(as_text=True)
    assert "王五" in html  # notice_x: nothing is due today, so the first list with work in it


def test_list_is_scoped(world, login_as, db, frozen_today):
    html = login_as(world.manager_b).get("/notices?status=all").get_data(as_text=True)
    assert "王五" not in html
    html = login_as(world.officer_y).get("/notices?status=all").get_data(as_text=True)
    assert "王五" not in html


def test_bad_status_falls_back_to_due_today(world, login_as, frozen_today):
    response = login_as(world.manager_a).get("/notices?status=' OR 1=1 --")
    assert response.status_code == 200


def test_detail_shows_risk_to_the_manager_and_404_outside_scope(world, login_as, db, frozen_today):
    world.notice_x.risk_assessment = "回归社会危险性：高"
    db.session.commit()
    url = f"/notices/{world.notice_x.id}"
    html = login_as(world.manager_a).get(url).get_data(as_text=True)
    assert "回归社会危险性：高" in html
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert (event.action, event.object_id, event.actor_username) == ("notice_viewed", str(world.notice_x.id),
                                                                      "manager_a")
    assert mask_id_number(ID_OLD) in html and ID_OLD not in html
    for outsider in (world.manager_b, world.officer_y):
        response = login_as(outsider).get(url)
        assert response.status_code == 404
        assert "王五" not in response.get_data(as_text=True)
    for denied in (world.admin, world.trainer_a, world.enterprise_user, world.auditor):
        assert login_as(denied).get(url).status_code == 403


def test_feedback_and_collection_forms(world, login_as, db, frozen_today, english):
    client = login_as(world.manager_a)
    url = f"/notices/{world.notice_x.id}"
    bad = client.post(f"{url}/feedback", data={"fb-sent_on": "2026-11-10", "fb-arrangement": "接回"})
    assert bad.status_code == 422
    assert "must not be before" in bad.get_data(as_text=True) or "不得早于" in bad.get_data(as_text=True)
    db.session.refresh(world.notice_x)
    assert world.notice_x.feedback_sent_on is None
    ok = client.post(f"{url}/feedback", data={"fb-sent_on": "2026-11-18", "fb-arrangement": "12月20日接回"})
    assert ok.status_code == 302
    col = client.post(f"{url}/collection", data={"col-collected_on": "2026-11-20", "col-collected_by": "陈干事"})
    assert col.status_code == 302
    db.session.refresh(world.notice_x)
    assert world.notice_x.feedback_sent_on == date(2026, 11, 18)
    assert world.notice_x.collected_by == "陈干事"
    html = client.get(url).get_data(as_text=True)
    assert "陈干事" in html and "fb-sent_on" not in html  # recorded: the forms are gone


def test_feedback_form_out_of_scope_is_404(world, login_as, db, frozen_today):
    response = login_as(world.manager_b).post(f"/notices/{world.notice_x.id}/feedback",
                                              data={"fb-sent_on": "2026-11-18", "fb-arrangement": "x"})
    assert response.status_code == 404
    db.session.refresh(world.notice_x)
    assert world.notice_x.feedback_sent_on is None


def test_new_notice_form(world, login_as, db, frozen_today):
    client = login_as(world.manager_a)
    form = client.get("/notices/new").get_data(as_text=True)
    assert 'value="330106"' in form and 'value="330110"' not in form  # only the manager's county
    data = {"id_number": ID_N1, "name": XSS, "prison_name": "浙江省第一监狱", "prison_region_code": "330110",
            "expected_release_on": "2026-12-18", "received_on": "2026-11-20", "receiving_region_code": "330106",
            "is_key_subject": "1", "risk_assessment": "", "relief_advice": "", "created_by_id": "999",
            "feedback_sent_on": "2026-11-20"}
    response = client.post("/notices/new", data=data)
    assert response.status_code == 302
    notice = db.session.scalar(select(ReleaseNotice).where(ReleaseNotice.id_number == ID_N1))
    assert notice.created_by_id == world.manager_a.id and notice.feedback_sent_on is None  # extra fields ignored
    assert notice.is_key_subject is True and notice.feedback_due_on == date(2026, 11, 27)
    html = client.get("/notices?status=all").get_data(as_text=True)
    assert XSS not in html and "&#34;&gt;&lt;img" in html


def test_new_notice_form_errors_write_nothing(world, login_as, db, frozen_today):
    before = notice_count(db)
    data = {"id_number": "330106198501010029", "name": "赵六", "prison_name": "浙江省第一监狱",
            "prison_region_code": "999999", "expected_release_on": "2026-12-18", "received_on": "2026-11-20",
            "receiving_region_code": "330106", "is_key_subject": "0"}
    response = login_as(world.officer_x).post("/notices/new", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("invalid-feedback") >= 2
    assert notice_count(db) == before
    # A county outside the officer's region is not even a choice.
    response = login_as(world.officer_x).post("/notices/new", data={**data, "id_number": ID_N1,
                                                                     "prison_region_code": "330110",
                                                                     "receiving_region_code": "330110"})
    assert response.status_code == 200
    assert notice_count(db) == before


# ---------------------------------------------------------------- the work calendar

def test_calendar_page_for_admin_only(world, login_as):
    html = login_as(world.admin).get("/admin/calendar?month=2026-10&day=2026-10-10").get_data(as_text=True)
    assert "2026-10" in html
    assert "calendar-makeup" in html and "calendar-holiday" in html  # 10-10 worked, 10-01..07 off
    assert "2026-10-10" in html  # the selected day's panel
    assert login_as(world.admin).get("/admin/calendar?month=garbage").status_code == 200
    assert login_as(world.admin).get("/admin/calendar?month=2031-01").status_code == 200
    for user in (world.manager_a, world.officer_x, world.auditor):
        assert login_as(user).get("/admin/calendar").status_code == 403


def test_admin_flips_a_day_and_it_is_audited(world, login_as, db):
    client = login_as(world.admin)
    response = client.post("/admin/calendar/2026-11-23", data={"is_workday": "0", "note": "台风停工"})
    assert response.status_code == 302
    assert "day=2026-11-23" in response.headers["Location"]
    row = db.session.get(WorkCalendarDay, date(2026, 11, 23))
    assert (row.is_workday, row.source, row.note) == (False, "admin", "台风停工")
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert (event.action, event.actor_username) == ("calendar_day_set", "admin_w")
    # Deadlines computed from now on follow the admin's calendar.
    from base_ops.core.workdays import add_working_days

    assert add_working_days(date(2026, 11, 20), 5) == (date(2026, 11, 30), False)


@pytest.mark.parametrize("day", ["2026-02-30", "tomorrow", "1999-01-01"])
def test_bad_calendar_days(world, login_as, db, day):
    response = login_as(world.admin).post(f"/admin/calendar/{day}", data={"is_workday": "0"})
    assert response.status_code in (302, 404)
    assert db.session.scalar(select(WorkCalendarDay).where(WorkCalendarDay.source == "admin")) is None


def test_calendar_edit_refused_to_others(world, login_as, db):
    response = login_as(world.manager_a).post("/admin/calendar/2026-11-23", data={"is_workday": "0"})
    assert response.status_code == 403
    assert db.session.get(WorkCalendarDay, date(2026, 11, 23)).is_workday is True

"""Training pages: the course list and page, forms, the trainer's attendance screen (one save for the
whole roster), the attendance sheet and its spreadsheet, the base summary, the trainer's home; and the
trainer sentinel test (docs/security.md: a trainer sees names and enrolment, nothing else)."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from base_ops.core.audit import AuditEvent
from base_ops.training import services
from base_ops.training.models import Attendance, Course, CourseSession, Enrolment
from tests.conftest import ID_A
from tests.training.conftest import TODAY, add_sessions, count_rows, make_course, resident_with_stay


def _text(response) -> str:
    return response.get_data(as_text=True)


def english(client):
    """Pages in English, so assertions on messages hold whatever the translators do."""
    with client.session_transaction() as session:
        session["lang"] = "en"
    return client


# ---------------------------------------------------------------- lists and scope

def test_trainer_lists_only_his_courses(world, factory, login_as, db):
    factory.user("trainer", username="trainer_other", bases=[world.base_a])
    make_course(world, title="别人的课", trainer="trainer_other")
    page = login_as(world.trainer_a).get("/training")
    assert page.status_code == 200
    assert "电焊基础" in _text(page) and "别人的课" not in _text(page)
    assert "training/courses/new" not in _text(page)  # no "new course" for trainers


def test_manager_sees_his_bases_courses_and_not_others(world, login_as):
    manager_b = login_as(world.manager_b)
    assert "电焊基础" not in _text(manager_b.get("/training"))
    assert manager_b.get(f"/training/courses/{world.course_a.id}").status_code == 404
    assert manager_b.get(f"/training/sessions/{world.session_a.id}/attendance").status_code == 404
    assert manager_b.get(f"/training/courses/{world.course_a.id}/sheet").status_code == 404


def test_county_officer_reads_but_cannot_mark(world, login_as):
    officer = login_as(world.officer_x)
    page = officer.get(f"/training/courses/{world.course_a.id}")
    assert page.status_code == 200 and "张三" in _text(page)
    assert "training.attendance" not in _text(page) and "/attendance" not in _text(page)
    assert officer.get(f"/training/sessions/{world.session_a.id}/attendance").status_code == 403
    assert login_as(world.officer_y).get(f"/training/courses/{world.course_a.id}").status_code == 404


# ---------------------------------------------------------------- course forms

def test_manager_creates_a_course_through_the_form(world, login_as, db):
    client = login_as(world.manager_a)
    form = {"base_id": world.base_a.id, "title": "叉车司机", "skill": "叉车", "trainer": "trainer_a",
            "starts_on": "2026-12-01", "ends_on": "2026-12-20", "capacity": "15", "hours": "64",
            "threshold_percent": "85", "certificate_type": "叉车操作证"}
    response = client.post("/training/courses/new", data=form)
    assert response.status_code == 302
    course = db.session.scalars(select(Course).where(Course.title == "叉车司机")).one()
    assert course.completion_threshold == Decimal("0.850") and course.trainer_id == world.trainer_a.id
    assert response.headers["Location"].endswith(f"/training/courses/{course.id}")


def test_course_form_errors_are_shown_and_nothing_is_written(world, login_as, db):
    client = english(login_as(world.manager_a))
    before = count_rows(db, Course)
    response = client.post("/training/courses/new", data={
        "base_id": world.base_a.id, "title": "x", "skill": "叉车", "trainer": "manager_a", "starts_on": "2026-12-01",
        "ends_on": "2026-12-20", "capacity": "15", "hours": "64", "threshold_percent": "80"})
    assert response.status_code == 422
    assert "is not a trainer at this base" in _text(response)
    assert count_rows(db, Course) == before


def test_manager_edits_a_course_and_the_base_stays(world, login_as, db):
    client = login_as(world.manager_a)
    page = client.get(f"/training/courses/{world.course_a.id}/edit")
    assert page.status_code == 200 and 'value="电焊基础"' in _text(page)
    response = client.post(f"/training/courses/{world.course_a.id}/edit", data={
        "title": "电焊基础（提高）", "skill": "电焊", "trainer": "trainer_a", "starts_on": "2026-11-02",
        "ends_on": "2026-12-18", "capacity": "30", "hours": "48", "threshold_percent": "80",
        "base_id": world.base_b.id})
    assert response.status_code == 302
    db.session.refresh(world.course_a)
    assert (world.course_a.title, world.course_a.capacity, world.course_a.base_id) == (
        "电焊基础（提高）", 30, world.base_a.id)


def test_sessions_through_the_course_page(world, login_as, db):
    client = english(login_as(world.trainer_a))
    response = client.post(f"/training/courses/{world.course_a.id}/sessions", data={
        "session-held_on": "2026-11-23", "session-hours": "3", "session-topic": "气割"})
    assert response.status_code == 302
    response = client.post(f"/training/courses/{world.course_a.id}/sessions/generate", data={
        "generate-weekdays": ["2", "4"], "generate-from_on": "2026-11-23", "generate-to_on": "2026-11-29",
        "generate-hours": "2", "generate-skip_holidays": "y"})
    assert response.status_code == 302
    days = db.session.scalars(select(CourseSession.held_on).where(CourseSession.course_id == world.course_a.id)
                              .order_by(CourseSession.held_on)).all()
    assert days == [date(2026, 11, 20), date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 26)]
    bad = client.post(f"/training/courses/{world.course_a.id}/sessions", data={
        "session-held_on": "2026-11-23", "session-hours": "3"})
    assert bad.status_code == 422 and "already has a session" in _text(bad)


def test_enrol_and_withdraw_through_the_course_page(world, login_as, db):
    person = resident_with_stay(db, world.base_a, "报名者")
    client = english(login_as(world.manager_a))
    page = client.get(f"/training/courses/{world.course_a.id}")
    assert f'value="{person.id}"' in _text(page)  # offered: open stay at the base, not enrolled
    assert f'<option value="{world.resident_a.id}"' not in _text(page)  # already enrolled
    assert client.post(f"/training/courses/{world.course_a.id}/enrolments",
                       data={"enrol-resident_id": person.id}).status_code == 302
    enrolment = db.session.scalars(select(Enrolment).where(Enrolment.resident_id == person.id)).one()
    assert client.post(f"/training/enrolments/{enrolment.id}/withdraw").status_code == 302
    db.session.refresh(enrolment)
    assert enrolment.status == "withdrawn"
    refused = client.post(f"/training/courses/{world.course_a.id}/enrolments",
                          data={"enrol-resident_id": world.resident_a.id})
    assert refused.status_code == 422 and "already enrolled" in _text(refused)


# ---------------------------------------------------------------- the attendance screen

def test_pick_session_opens_todays_session(world, login_as):
    response = login_as(world.trainer_a).get(f"/training/courses/{world.course_a.id}/attendance")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/training/sessions/{world.session_a.id}/attendance")


def test_pick_session_before_any_session_goes_back_to_the_course(world, login_as, db):
    course = make_course(world)
    response = login_as(world.trainer_a).get(f"/training/courses/{course.id}/attendance")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/training/courses/{course.id}")


def test_the_screen_has_one_control_per_resident_and_all_present(world, login_as, db):
    page = login_as(world.trainer_a).get(f"/training/sessions/{world.session_a.id}/attendance")
    html = _text(page)
    assert page.status_code == 200
    assert html.count(f'name="status-{world.resident_a.id}"') == 4
    for status in ("present", "late", "absent", "excused"):
        assert f'id="mark-{world.resident_a.id}-{status}" value="{status}"' in html
    assert 'id="all-present"' in html and 'id="confirm-attendance"' in html
    assert "js/training.js" in html and "<script>" not in html


def test_sixty_residents_one_screen_one_save(world, login_as, db):
    course = make_course(world, capacity=60)
    session = add_sessions(world, course, [TODAY])[0]
    people = [resident_with_stay(db, world.base_a, f"学员{i:02d}") for i in range(60)]
    for person in people:
        services.enrol(world.manager_a, course, resident_id=person.id)
    client = login_as(world.trainer_a)

    page = client.get(f"/training/sessions/{session.id}/attendance")
    assert page.status_code == 200 and _text(page).count("training-roster-row") == 60

    form = {f"status-{p.id}": "present" for p in people}
    form[f"status-{people[3].id}"] = "late"
    response = client.post(f"/training/sessions/{session.id}/attendance", data=form)

    assert response.status_code == 302
    # Back on the screen, the saved counts at the top of the form, focusable and read out (issue 17).
    assert response.headers["Location"].endswith(f"/training/sessions/{session.id}/attendance?saved=1")
    saved = _text(client.get(response.headers["Location"]))
    assert 'role="status"' in saved and 'id="attendance-saved"' in saved
    assert saved.index('id="attendance-saved"') < saved.index("training-roster-row")
    assert "data-unsaved=" in saved and 'id="session-picker-form"' in saved
    rows = db.session.execute(select(Attendance.resident_id, Attendance.status)
                              .where(Attendance.session_id == session.id)).all()
    assert len(rows) == 60 and dict(rows)[people[3].id] == "late"
    again = client.post(f"/training/sessions/{session.id}/attendance", data=form)
    assert again.status_code == 302 and count_rows(db, Attendance) == 60
    saved = client.get(f"/training/sessions/{session.id}/attendance")
    assert f'id="mark-{people[3].id}-late" value="late" autocomplete="off" checked' in _text(saved)


def test_a_tampered_form_naming_someone_not_enrolled_saves_nothing(world, login_as, db):
    outsider = resident_with_stay(db, world.base_a, "不在名单")
    response = login_as(world.trainer_a).post(f"/training/sessions/{world.session_a.id}/attendance", data={
        f"status-{world.resident_a.id}": "present", f"status-{outsider.id}": "present"})
    assert response.status_code == 422 and "不在名单" in _text(response)
    assert count_rows(db, Attendance) == 0


def test_a_future_session_shows_no_form_and_refuses_a_post(world, login_as, db):
    future = add_sessions(world, world.course_a, [date(2026, 11, 25)])[0]
    client = login_as(world.trainer_a)
    page = client.get(f"/training/sessions/{future.id}/attendance")
    assert page.status_code == 200 and 'id="attendance-form"' not in _text(page)
    response = client.post(f"/training/sessions/{future.id}/attendance",
                           data={f"status-{world.resident_a.id}": "present"})
    assert response.status_code == 422 and count_rows(db, Attendance) == 0


def test_progress_and_certificate_on_the_course_page(world, login_as, db, monkeypatch):
    client = login_as(world.trainer_a)
    client.post(f"/training/sessions/{world.session_a.id}/attendance",
                data={f"status-{world.resident_a.id}": "late"})
    page = _text(client.get(f"/training/courses/{world.course_a.id}"))
    assert re.search(r'training-rate-value">100%<', page)
    assert "certificate-certificate_number" not in page  # not completed: no certificate form

    monkeypatch.setattr("base_ops.core.clock.today", lambda: date(2026, 12, 19))
    page = _text(client.get(f"/training/courses/{world.course_a.id}"))
    assert "certificate-certificate_number" in page
    response = client.post(f"/training/enrolments/{world.enrolment_a.id}/certificate",
                           data={"certificate-certificate_number": "HG-2026-9"})
    assert response.status_code == 302
    db.session.refresh(world.enrolment_a)
    assert world.enrolment_a.certificate_number == "HG-2026-9"


# ---------------------------------------------------------------- the attendance sheet

def _sheet_course(world, db):
    course = make_course(world, starts_on=date(2026, 11, 2), ends_on=date(2026, 11, 30))
    sessions = add_sessions(world, course, [date(2026, 11, 16), date(2026, 11, 18), date(2026, 11, 25)])
    sly = resident_with_stay(db, world.base_a, "=HYPERLINK(\"http://x\")")
    plain = resident_with_stay(db, world.base_a, "钱七")
    for person in (sly, plain):
        services.enrol(world.manager_a, course, resident_id=person.id)
    services.record_attendance(world.trainer_a, sessions[0], [{"resident_id": sly.id, "status": "present"},
                                                              {"resident_id": plain.id, "status": "late"}])
    services.record_attendance(world.trainer_a, sessions[1], [{"resident_id": sly.id, "status": "absent"},
                                                              {"resident_id": plain.id, "status": "excused"}])
    return course, sly, plain


def test_the_sheet_page_shows_letters_and_rates(world, login_as, db):
    course, _sly, _plain = _sheet_course(world, db)
    html = _text(login_as(world.officer_x).get(f"/training/courses/{course.id}/sheet"))
    assert "training-mark-P" in html and "training-mark-L" in html and "training-mark-E" in html
    assert ">50%<" in html and ">100%<" in html
    assert "&#34;http://x&#34;" in html or "&quot;http://x&quot;" in html  # escaped


def test_the_spreadsheet_has_chinese_headers_percent_cells_and_no_formulas(world, login_as, db):
    course, _sly, _plain = _sheet_course(world, db)
    response = login_as(world.trainer_a).get(f"/training/courses/{course.id}/sheet.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data))["考勤表"]
    rows = list(sheet.iter_rows(values_only=True))
    header_index = next(i for i, r in enumerate(rows) if r[0] == "序号")
    header = rows[header_index]
    assert header[:3] == ("序号", "姓名", "状态")
    assert header[3:6] == ("11-16", "11-18", "11-25")
    assert header[6:] == ("已上课次", "出勤（含迟到）", "请假", "出勤率", "是否结业", "证书编号")
    by_name = {r[1]: r for r in rows[header_index + 1:]}
    sly = by_name['=HYPERLINK("http://x")']
    assert sly[3:6] == ("P", "A", None) and sly[9] == pytest.approx(0.5)
    assert by_name["钱七"][3:5] == ("L", "E") and by_name["钱七"][9] == pytest.approx(1.0)
    rate_cell = sheet.cell(row=header_index + 2, column=10)
    assert rate_cell.number_format == "0.0%"
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert event.action == "export" and event.details_dict == {"export": "attendance_sheet", "rows": 2}


def test_the_spreadsheet_needs_a_fresh_login(world, login_as):
    client = login_as(world.manager_a)
    with client.session_transaction() as session:
        session["_fresh"] = False
        session["auth_at"] = 0
    response = client.get(f"/training/courses/{world.course_a.id}/sheet.xlsx")
    assert response.status_code == 302 and "reauth" in response.headers["Location"]


# ---------------------------------------------------------------- summary and home

def test_base_summary_page(world, login_as, db):
    html = _text(login_as(world.manager_a).get("/training/summary?from=2026-01-01&to=2026-12-31"))
    assert "电焊基础" in html and "基地A" in html
    other = login_as(world.officer_y).get(f"/training/summary?base_id={world.base_a.id}")
    assert other.status_code == 404
    assert login_as(world.officer_x).get(f"/training/summary?base_id={world.base_a.id}").status_code == 200
    assert login_as(world.manager_a).get("/training/summary?from=2026-13-01").status_code == 422  # names `from`


def test_trainer_home_shows_todays_session(world, login_as, monkeypatch):
    monkeypatch.setattr("base_ops.home.views.today", lambda: TODAY)
    html = _text(english(login_as(world.trainer_a)).get("/"))
    assert f"/training/sessions/{world.session_a.id}/attendance" in html
    assert "电焊基础" in html and "0 of 1 marked" in html


# ---------------------------------------------------------------- sentinel: what a trainer never sees

SENTINELS = {
    "offence": "SENTINEL-OFFENCE-7f3a",
    "health_notes": "SENTINEL-HEALTH-7f3a",
    "bank_account": "6222999988887777666",
    "prison_name": "SENTINEL-PRISON-7f3a",
    "phone": "13912345678",
    "hukou_address": "SENTINEL-ADDRESS-7f3a",
    "sentence_months": 7654321,
}


def test_a_trainer_never_sees_id_numbers_offence_risk_or_health(world, login_as, api_headers, client, db,
                                                                 monkeypatch):
    resident = world.resident_a
    for field, value in SENTINELS.items():
        setattr(resident, field, value)
    resident.reoffend_risk = True
    db.session.commit()
    services.record_attendance(world.trainer_a, world.session_a, [{"resident_id": resident.id, "status": "present"}])
    masked = ID_A[:6] + "********" + ID_A[-4:]
    risk = ["Obvious tendency to reoffend", "重新违法犯罪", "reoffend_risk", "is_key_subject", "重点"]
    needles = [*map(str, SENTINELS.values()), ID_A, masked, ID_A[6:14], *risk]

    trainer = login_as(world.trainer_a)
    pages = ["/", "/training", f"/training/courses/{world.course_a.id}",
             f"/training/sessions/{world.session_a.id}/attendance", f"/training/courses/{world.course_a.id}/sheet",
             f"/training/courses/{world.course_a.id}/attendance",
             f"/training/courses/{world.course_a.id}/sheet.xlsx"]
    headers = api_headers(world.trainer_a)
    api = ["/api/v1/courses", f"/api/v1/courses/{world.course_a.id}",
           f"/api/v1/courses/{world.course_a.id}/sessions", f"/api/v1/courses/{world.course_a.id}/enrolments",
           f"/api/v1/sessions/{world.session_a.id}/attendance", f"/api/v1/courses/{world.course_a.id}/progress"]
    seen = []
    for url in pages:
        response = trainer.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        body = response.data if url.endswith(".xlsx") else response.get_data(as_text=True)
        if url.endswith(".xlsx"):
            book = load_workbook(io.BytesIO(body))
            body = " ".join(str(c) for ws in book for row in ws.iter_rows(values_only=True) for c in row)
        seen.append((url, body))
    for url in api:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        seen.append((url, response.get_data(as_text=True)))
    # Errors and other people's pages do not leak either.
    seen.append(("put-error", client.put(f"/api/v1/sessions/{world.session_a.id}/attendance", headers=headers,
                                         json={"records": [{"resident_id": world.resident_b.id,
                                                            "status": "present"}]}).get_data(as_text=True)))
    for url in (f"/residents/{resident.id}", f"/api/v1/residents/{resident.id}"):
        response = trainer.get(url) if not url.startswith("/api") else client.get(url, headers=headers)
        assert response.status_code == 403
        seen.append((url, response.get_data(as_text=True)))

    assert "张三" in seen[2][1]  # the name is there: the test looks at real pages
    for url, body in seen:
        for needle in needles:
            assert needle not in body, f"{needle!r} leaked on {url}"


# ---------------------------------------------------------------- CSRF: every form carries the token its view checks

def _forms(html: str) -> dict[str, dict[str, str]]:
    """{action: {hidden input name: value}} of the page's POST forms."""
    forms = {}
    for match in re.finditer(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', html, re.S):
        hidden = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="hidden"[^>]*value="([^"]*)"', match[2]))
        hidden.update(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', match[2]))
        forms[match[1]] = hidden
    return forms


def test_the_course_page_forms_work_with_csrf_on(world, app, login_as, db, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    monkeypatch.setattr("base_ops.core.clock.today", lambda: date(2026, 12, 19))
    services.record_attendance(world.trainer_a, world.session_a, [{"resident_id": world.resident_a.id,
                                                                    "status": "present"}])
    person = resident_with_stay(db, world.base_a, "后来者")
    client = english(login_as(world.manager_a))
    forms = _forms(_text(client.get(f"/training/courses/{world.course_a.id}")))
    withdraw = f"/training/enrolments/{world.enrolment_a.id}/withdraw"
    certificate = f"/training/enrolments/{world.enrolment_a.id}/certificate"
    sessions = f"/training/courses/{world.course_a.id}/sessions"
    assert {withdraw, certificate, sessions} <= set(forms)

    assert client.post(withdraw).status_code == 400  # no token: refused before the view
    response = client.post(certificate, data={**forms[certificate], "certificate-certificate_number": "HG-77"})
    assert response.status_code == 302
    response = client.post(sessions, data={**forms[sessions], "session-held_on": "2026-12-18", "session-hours": "2"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Enrolment, world.enrolment_a.id).certificate_number == "HG-77"
    assert count_rows(db, CourseSession) == 2
    # the certificate makes withdrawal refused, but the form itself must pass its CSRF check
    response = client.post(withdraw, data=forms[withdraw], follow_redirects=True)
    assert "holds the course&#39;s certificate" in _text(response) or "holds the course's certificate" in _text(
        response)
    assert person.id  # an eligible resident exists, so the enrol form is on the page
    monkeypatch.setattr("base_ops.core.clock.today", lambda: TODAY)
    forms = _forms(_text(client.get(f"/training/courses/{world.course_a.id}")))
    enrol = f"/training/courses/{world.course_a.id}/enrolments"
    response = client.post(enrol, data={**forms[enrol], "enrol-resident_id": person.id})
    assert response.status_code == 302
    assert db.session.scalar(select(Enrolment.id).where(Enrolment.resident_id == person.id)) is not None


def test_the_attendance_form_works_with_csrf_on(world, app, login_as, db, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    client = login_as(world.trainer_a)
    url = f"/training/sessions/{world.session_a.id}/attendance"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', _text(client.get(url)))[1]
    response = client.post(url, data={"csrf_token": token, f"status-{world.resident_a.id}": "excused"})
    assert response.status_code == 302
    assert db.session.scalar(select(Attendance.status)) == "excused"

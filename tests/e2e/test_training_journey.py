"""Training journey (Chromium): a trainer signs in, opens today's session from his home page,
marks the roster ("all present", then one late), confirms the counts, saves once, and sees the
updated progress.

The data is set up the way the base would: the demo base manager registers three residents,
admits them, creates a course taught by the demo trainer with a session today and enrols them —
all through the JSON API of the live server. Nothing is frozen: "today" is the server's today.
"""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.request
from datetime import timedelta

from stdnum.cn import ric

from base_ops.core import clock
from tests.e2e.conftest import assert_clean_page, assert_no_error_page, path_of, sign_in

NAMES = ("陈建国", "林志强", "黄文斌")


class Api:
    """A tiny JSON client for the live server (urllib: no extra dependency)."""

    def __init__(self, base_url: str, username: str, password: str):
        self.base_url = base_url
        token = self.call("POST", "/auth/tokens", {"username": username, "password": password}, auth=False)["token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, body: dict | None = None, auth: bool = True):
        request = urllib.request.Request(f"{self.base_url}/api/v1{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json",
                                                  **(self.headers if auth else {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read().decode())
        except urllib.error.HTTPError as error:  # say what the server refused, not only the status
            raise AssertionError(f"{method} {path} -> {error.code}: {error.read().decode()}") from None


def _id_number(rng: random.Random) -> str:
    """A valid number for a man born in the 1990s in 西湖区 (the county code dates from the 1980s)."""
    stem = f"330106199{rng.randrange(10)}0{rng.randrange(1, 10)}1{rng.randrange(10)}{rng.randrange(100, 999)}"
    stem = stem[:16] + "1"  # 17th digit odd: male
    return stem + ric.calc_check_digit(stem + "0")  # stdnum wants a placeholder check character


def _set_up_course(base_url: str, password: str) -> dict:
    """Three residents admitted to the demo manager's base, a course by `trainer` with a session today."""
    today = clock.today()
    api = Api(base_url, "manager", password)
    base_id = api.call("GET", "/bases")["items"][0]["id"]
    rng = random.Random()
    residents = []
    for name in NAMES:
        resident = api.call("POST", "/residents", {
            "id_number": _id_number(rng), "name": name, "hukou_region_code": "330106", "subject_type": "released",
            "released_on": (today - timedelta(days=20)).isoformat(), "is_homeless": True, "has_no_relatives": True,
            "is_unemployed": True, "reoffend_risk": False, "state_security": False, "false_identity": False,
            "offence": "SENTINEL-OFFENCE", "base_id": base_id})
        api.call("POST", "/stays", {"resident_id": resident["id"], "base_id": base_id,
                                    "admitted_on": (today - timedelta(days=10)).isoformat()})
        residents.append(resident)
    course = api.call("POST", "/courses", {
        "base_id": base_id, "title": f"中式面点 {rng.randrange(1000, 9999)}", "skill": "烹饪", "trainer": "trainer",
        "starts_on": (today - timedelta(days=7)).isoformat(), "ends_on": (today + timedelta(days=30)).isoformat(),
        "capacity": 10, "hours": "48"})
    session = api.call("POST", f"/courses/{course['id']}/sessions", {"held_on": today.isoformat(), "hours": "3"})
    for resident in residents:
        api.call("POST", f"/courses/{course['id']}/enrolments", {"resident_id": resident["id"]})
    return {"course": course, "session": session, "residents": residents}


def test_trainer_marks_todays_session_and_sees_progress(page, live_server, demo, shot):
    data = _set_up_course(live_server, demo["password"])
    course, session, residents = data["course"], data["session"], data["residents"]
    late = residents[1]

    sign_in(page, live_server, "trainer", demo["password"])
    assert path_of(page) == "/"
    card = page.locator(".training-home-session", has_text=course["title"])
    assert card.count() == 1, "today's session is not on the trainer's home page"
    shot(page, "training-trainer-home")

    with page.expect_navigation():
        card.get_by_role("link").click()
    assert path_of(page) == f"/training/sessions/{session['id']}/attendance"
    assert_no_error_page(page)
    rows = page.locator(".training-roster-row")
    assert rows.count() == 3
    assert page.locator("[data-count=unmarked]").inner_text() == "3"
    assert "SENTINEL" not in page.content()
    shot(page, "training-attendance-empty")

    page.click("#all-present")
    assert page.locator("[data-count=present]").inner_text() == "3"
    page.click(f"label[for=mark-{late['id']}-late]")
    assert page.locator("[data-count=present]").inner_text() == "2"
    assert page.locator("[data-count=late]").inner_text() == "1"
    assert page.locator("[data-count=unmarked]").inner_text() == "0"
    shot(page, "training-attendance-marked")

    page.click("#save-attendance")
    modal = page.locator("#confirm-attendance")
    modal.wait_for(state="visible")
    assert modal.locator("[data-confirm-count=present]").inner_text() == "2"
    assert modal.locator("[data-confirm-count=late]").inner_text() == "1"
    assert modal.locator("[data-confirm-count=absent]").inner_text() == "0"
    page.wait_for_timeout(400)  # let the fade-in finish before the screenshot
    shot(page, "training-attendance-confirm", full_page=False)

    with page.expect_navigation():
        page.click("#confirm-save")
    # The trainer stays on the screen; "考勤已保存" is at the top of the form, where the eye is (issue 17).
    assert path_of(page) == f"/training/sessions/{session['id']}/attendance"
    saved = page.locator("#attendance-saved")
    assert saved.is_visible() and "考勤已保存" in saved.inner_text()
    assert page.evaluate("document.activeElement.id") == "attendance-saved"
    shot(page, "training-attendance-saved")

    page.goto(f"{live_server}/training/courses/{course['id']}")
    progress = page.locator("#progress")
    for resident in residents:
        row = progress.locator(f"tr[data-resident='{resident['id']}']")
        assert row.locator(".training-rate-value").inner_text() == "100%"
    session_row = page.locator(".training-sessions tr.table-primary")
    assert "出勤 2" in session_row.inner_text() and "迟到 1" in session_row.inner_text()
    shot(page, "training-course-progress")

    # One save, one row per resident; opening the screen again shows what was saved.
    page.goto(f"{live_server}/training/sessions/{session['id']}/attendance")
    assert page.locator(f"#mark-{late['id']}-late").is_checked()
    assert page.locator("input[type=radio]:checked").count() == 3
    assert "SENTINEL" not in page.content()
    assert_clean_page(page)

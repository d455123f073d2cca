"""Journey: a partner enterprise posts a job (a discriminatory text is refused, naming the phrase),
opens it, sees the candidate a base manager referred, moves him to interview and offer, records
the hire; the base manager then sees the placement and discharges the resident as employed.

Set-up on the live server's database goes through the app's own services, by the JSON API
with the demo manager's bearer token (the residents, stays and placements services behind it):
a resident registered and admitted at 西湖区过渡性安置基地, and later the referral.
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
import uuid
from datetime import timedelta

from base_ops.config import PROJECT_ROOT
from base_ops.core.clock import today
from tests.e2e.conftest import assert_clean_page, assert_no_error_page, path_of, sign_in
from tests.placements.helpers import id_number

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "placements"
PHRASE_TEXT = "身体健康，无 犯罪 记录，有相关经验优先"  # spaced on purpose: the screen still finds it


def _api(base_url: str, method: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
    request = urllib.request.Request(f"{base_url}/api/v1{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read().decode())
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{method} {path} -> {error.code}: {error.read().decode()}") from None


def _manager_resident(base_url: str, password: str) -> tuple[str, dict]:
    """The demo manager registers and admits a resident (residents + stays services, via the API)."""
    token = _api(base_url, "POST", "/auth/tokens", body={"username": "manager", "password": password})["token"]
    base = next(b for b in _api(base_url, "GET", "/bases", token)["items"] if b["name"] == "西湖区过渡性安置基地")
    on = today()
    resident = _api(base_url, "POST", "/residents", token, {
        "id_number": id_number(uuid.uuid4().int % 8000), "name": "林志远", "hukou_region_code": "330106",
        "subject_type": "released", "released_on": (on - timedelta(days=40)).isoformat(),
        "registered_on": (on - timedelta(days=35)).isoformat(), "is_homeless": True, "has_no_relatives": True,
        "is_unemployed": True, "reoffend_risk": False, "state_security": False, "false_identity": False,
        "diet": "halal", "offence": "盗窃罪", "prison_name": "浙江省第一监狱", "base_id": base["id"],
    })
    _api(base_url, "POST", "/stays", token, {"resident_id": resident["id"], "base_id": base["id"],
                                             "admitted_on": (on - timedelta(days=30)).isoformat()})
    return token, resident


def _sign_out(page) -> None:
    """The user menu is the dropdown with the person icon (the navbar has section dropdowns too)."""
    page.click(".app-navbar .dropdown-toggle:has(.bi-person-circle)")
    with page.expect_navigation():
        page.click("form[action$='/logout'] button[type=submit]")
    assert path_of(page) == "/login"


def _shot(shot, page, name: str):
    path = shot(page, f"enterprise-journey-{name}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, ARTIFACTS / path.name)
    return path


def test_enterprise_posts_hires_and_the_manager_sees_the_placement(page, live_server, demo, shot):
    password = demo["password"]
    token, resident = _manager_resident(live_server, password)
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm buttons

    # -- the enterprise posts a job: first with a discriminatory phrase, refused
    sign_in(page, live_server, "enterprise", password)
    assert path_of(page) == "/"
    _shot(shot, page, "0-home")
    with page.expect_navigation():
        page.locator("main a[href='/postings/new']").first.click()
    assert path_of(page) == "/postings/new"
    page.fill("input[name=title]", "小区保洁员")
    page.fill("textarea[name=description]", "负责小区公共区域日常保洁，早八晚五，月休四天。")
    page.fill("textarea[name=requirements]", PHRASE_TEXT)
    page.fill("input[name=positions]", "1")
    page.fill("input[name=wage_min]", "3800")
    page.fill("input[name=wage_max]", "4500")
    page.fill("input[name=location]", "杭州市西湖区转塘街道")
    page.check("input[name=provides_housing]")
    with page.expect_navigation():
        page.click("#save-posting")
    alert = page.locator(".app-flashes .alert-danger")
    assert alert.count() == 1 and "无犯罪记录" in alert.inner_text()
    field_error = page.locator("textarea[name=requirements] ~ .invalid-feedback")
    assert "无犯罪记录" in field_error.inner_text()
    assert page.input_value("input[name=title]") == "小区保洁员"  # nothing typed is lost
    _shot(shot, page, "1-refused")

    # ... then a clean one, opened for referrals
    page.fill("textarea[name=requirements]", "身体健康，吃苦耐劳，有保洁经验优先")
    with page.expect_navigation():
        page.click("#save-posting")
    assert path_of(page).startswith("/postings/")
    posting_id = int(path_of(page).rsplit("/", 1)[1])
    with page.expect_navigation():
        page.click("#open-posting")
    assert page.locator(".posting-status-open").count() == 1
    _shot(shot, page, "2-posting-open")
    assert_clean_page(page)

    # -- the base manager refers the resident (set-up, through the referrals service)
    referral = _api(live_server, "POST", "/referrals", token, {"posting_id": posting_id,
                                                               "resident_id": resident["id"]})
    assert referral["status"] == "referred"

    # -- the enterprise sees the candidate with only the allowed fields, interviews, offers, hires
    page.goto(f"{live_server}/referrals")
    row = page.locator("table.referral-table tbody tr", has_text="林志远")
    assert row.count() == 1
    _shot(shot, page, "3-candidates")
    with page.expect_navigation():
        row.locator("a").first.click()
    card = page.locator(".candidate-facts").inner_text()
    assert "林志远" in card
    assert "清真" not in card and "Halal" not in card  # never the diet (docs/domain.md "What an enterprise may see")
    content = page.content()
    for secret in ("盗窃罪", "浙江省第一监狱", resident["id_number"], resident["id_number"][-4:]):
        assert secret not in content, f"the enterprise sees {secret!r}"
    for move in ("interviewing", "offered"):
        with page.expect_navigation():
            page.click(f"button[data-move={move}]")
        assert_no_error_page(page)
    page.fill("input[name=monthly_wage]", "4200")
    _shot(shot, page, "4-offered")
    with page.expect_navigation():
        page.click("#record-hire")
    assert path_of(page).startswith("/placements/")
    placement_path = path_of(page)
    assert "4200.00" in page.locator(".placement-facts").inner_text()
    _shot(shot, page, "5-hired")
    assert_clean_page(page)

    # the position is taken: the posting is full and refuses new referrals
    page.goto(f"{live_server}/postings/{posting_id}")
    assert page.locator(".open-positions").inner_text() == "0"
    page.goto(f"{live_server}/postings")
    _shot(shot, page, "5b-postings")
    _sign_out(page)

    # -- the base manager sees the placement (the resident's file does not list placements yet:
    # placements.queries.placements_of_resident is there to be wired in) and discharges as employed
    sign_in(page, live_server, "manager", password)
    page.goto(f"{live_server}/postings/{posting_id}")
    assert page.locator(".posting-card .badge.text-bg-warning").count() == 1  # "full"
    assert page.locator("form[action$='/referrals/new']").count() == 0  # no referral to a full posting
    _shot(shot, page, "5c-manager-posting-full")
    page.goto(f"{live_server}/placements")
    row = page.locator("table.placement-table tbody tr", has_text="林志远")
    assert row.count() == 1 and "小区保洁员" in row.inner_text()
    _shot(shot, page, "6-manager-placements")
    with page.expect_navigation():
        row.locator("a").first.click()
    assert path_of(page) == placement_path
    page.locator(".discharge-card").wait_for()
    _shot(shot, page, "7-manager-placement")
    with page.expect_navigation():
        page.click(".discharge-card button[type=submit]")
    assert page.locator(".app-flashes .alert-success").count() == 1
    assert page.locator(".discharge-card").count() == 0
    _shot(shot, page, "8-discharged")
    assert_clean_page(page)


def test_officer_versions_the_agreement_and_admin_extends_the_phrase_list(page, live_server, demo, shot):
    password = demo["password"]
    officer = demo["users_by_name"]["officer"]
    page.on("dialog", lambda dialog: dialog.accept())

    sign_in(page, live_server, "officer", password, officer["totp_secret"])
    page.goto(f"{live_server}/enterprises")
    with page.expect_navigation():
        page.click("text=杭州绿源物业服务有限公司")
    assert_no_error_page(page)
    enterprise_path = path_of(page)
    _shot(shot, page, "officer-1-enterprise")
    with page.expect_navigation():
        page.click(f"a[href='{enterprise_path}/agreements/new']")
    on = today()
    page.fill("input[name=starts_on]", on.isoformat())
    page.fill("input[name=ends_on]", (on + timedelta(days=730)).isoformat())
    for name, value in (("hire_quota", "10"), ("one_time_subsidy", "3000"), ("post_subsidy_monthly", "600"),
                        ("insurance_subsidy_monthly", "800"), ("budget", "100000")):
        page.fill(f"input[name={name}]", value)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert path_of(page) == f"{enterprise_path}/agreements"
    rows = page.locator("table.agreement-history tbody tr")
    before = rows.count()  # the demo data already holds version 1; ours is the newest
    latest = int(rows.nth(0).inner_text().split("v", 1)[1].split()[0])
    with page.expect_navigation():
        page.click(f"a[href='{enterprise_path}/agreements/new']")
    assert page.locator(".alert-info").count() == 1  # a version is in force, saving makes the next one
    page.fill("input[name=budget]", "150000")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert rows.count() == before + 1
    assert f"v{latest + 1}" in rows.nth(0).inner_text() and "150000.00" in rows.nth(0).inner_text()
    assert f"v{latest}" in rows.nth(1).inner_text() and "100000.00" in rows.nth(1).inner_text()
    _shot(shot, page, "officer-2-agreement-history")
    assert_clean_page(page)
    _sign_out(page)

    admin = demo["users_by_name"]["admin"]
    sign_in(page, live_server, "admin", password, admin["totp_secret"])
    page.goto(f"{live_server}/admin/phrases")
    page.fill("input[name=phrase]", "两劳人员勿扰")
    with page.expect_navigation():
        page.click("form:has(input[name=phrase]) button[type=submit]")
    assert page.locator("table.phrase-table tbody tr", has_text="两劳人员勿扰").count() == 1
    row = page.locator("table.phrase-table tbody tr", has_text="背景清白")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    assert page.locator("table.phrase-table tbody tr", has_text="背景清白").locator(".text-bg-secondary").count() == 1
    _shot(shot, page, "admin-phrases")
    assert_clean_page(page)

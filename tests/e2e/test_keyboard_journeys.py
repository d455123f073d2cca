"""Issue 22: three journeys by keyboard alone (WCAG 2.1.1, 2.4.1, 2.4.3, 2.4.7, 3.2.2, 3.3.1, 4.1.2).

Signing in, registering a resident and recording attendance are done with Tab, Shift+Tab, Enter,
Space, the arrow keys and Escape only (the address bar stands in for a bookmark). On the way each
test checks that focus is always visible (an outline of at least 2 px at 3:1 against what is behind
it), lands where the eye should go after every action and dialog, that choosing an option loads no
page, and that failed submits are announced (an error summary that takes focus and links to each
field; aria-invalid and aria-describedby on the fields). Also: the idle-timeout warning and the form
that survives a lost session, reflow of the attendance screen at 320 px and at 200 %/400 % zoom.
"""

from __future__ import annotations

import random
from datetime import timedelta

from base_ops.core import clock
from tests.e2e.a11y import HEIGHTS, WIDTHS, describe, run_axe
from tests.e2e.conftest import assert_clean_page, assert_no_error_page, path_of, totp_code
from tests.e2e.test_training_journey import Api, _id_number, _set_up_course

MAX_TABS = 120


# ---------------------------------------------------------------- helpers

def active(page) -> dict:
    """What has focus, and how its focus ring looks (for a .btn-check input: its label's ring)."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body) return {tag: 'body'};
            let ringEl = el;
            if (el.classList.contains('btn-check') && el.nextElementSibling) ringEl = el.nextElementSibling;
            const cs = getComputedStyle(ringEl);
            const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
            const lum = ([r, g, b]) => {
                const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
                return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
            };
            // The colour behind the ring: the first opaque background from the ring's parent up.
            let back = [255, 255, 255];
            for (let p = ringEl.parentElement; p; p = p.parentElement) {
                const c = rgb(getComputedStyle(p).backgroundColor);
                if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) { back = c.slice(0, 3); break; }
            }
            const ring = rgb(cs.outlineColor).slice(0, 3);
            const [hi, lo] = [lum(ring), lum(back)].sort((a, b) => b - a);
            return {
                tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name'),
                cls: el.className && typeof el.className === 'string' ? el.className : '',
                text: (el.innerText || el.value || '').trim().slice(0, 40),
                ringWidth: cs.outlineStyle === 'none' ? 0 : parseFloat(cs.outlineWidth),
                ringContrast: Math.round((hi + 0.05) / (lo + 0.05) * 100) / 100,
                visible: (() => { const b = ringEl.getBoundingClientRect();
                                  return b.width > 0 && b.height > 0 && b.bottom > 0 && b.top < innerHeight; })(),
            };
        }"""
    )


def assert_focus_visible(page) -> dict:
    now = active(page)
    for _ in range(10):  # Bootstrap scrolls smoothly: give the scroll to the focused element a moment
        if now.get("visible"):
            break
        page.wait_for_timeout(100)
        now = active(page)
    assert now["tag"] != "body", "focus was lost to <body>"
    assert now["ringWidth"] >= 2, f"no visible focus ring on {now}"
    assert now["ringContrast"] >= 3, f"focus ring under 3:1 on {now}"
    assert now["visible"], f"the focused element is out of sight: {now}"
    return now


def tab_to(page, selector: str, *, backwards: bool = False, check_ring: bool = True) -> int:
    """Press Tab (Shift+Tab) until `selector` has focus; every stop on the way must show its focus.

    Returns how many presses it took."""
    key = "Shift+Tab" if backwards else "Tab"
    if focus_matches(page, selector):
        return 0
    for count in range(1, MAX_TABS + 1):
        page.keyboard.press(key)
        if check_ring:
            assert_focus_visible(page)
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return count
    raise AssertionError(f"{selector} not reached in {MAX_TABS} presses of {key}; focus is on {active(page)}")


def focus_matches(page, selector: str) -> bool:
    return page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector)


def wait_until(page, script: str, timeout_ms: int = 5000) -> None:
    """Poll `script` (a JS function source) until it is true. (page.wait_for_function evaluates its predicate
    with eval(), which the app's CSP refuses.)"""
    for _ in range(timeout_ms // 100):
        if page.evaluate(script):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"still false after {timeout_ms} ms: {script}; focus on {active(page)}")


def type_date(page, iso: str) -> None:
    """Type a date into the focused <input type=date> as a keyboard user does (segments in the browser's order)."""
    year, month, day = iso.split("-")
    page.keyboard.type(month + day + year)  # Chromium's headless date field reads month, day, year
    if page.evaluate("document.activeElement.value") != iso:
        for _ in range(3):  # clear the segments, then the year-first order
            page.keyboard.press("Backspace")
            page.keyboard.press("ArrowLeft")
        page.keyboard.press("Home")
        page.keyboard.type(year)
        page.keyboard.press("ArrowRight")
        page.keyboard.type(month + day)
    assert page.evaluate("document.activeElement.value") == iso


def axe_clean(page, where: str) -> None:
    found = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHTS[width]})
        violations = run_axe(page)
        if violations:
            found[f"{where} @{width}"] = violations
    page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHTS[WIDTHS[0]]})
    assert not found, describe(found)


def keyboard_sign_in(page, base_url: str, username: str, password: str, totp_secret: str | None = None) -> None:
    page.goto(f"{base_url}/login")
    assert focus_matches(page, "input[name=username]"), "the caret does not start in the user name field"
    page.keyboard.type(username)
    tab_to(page, "input[name=password]")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    if totp_secret:
        assert path_of(page) == "/login/otp"
        assert focus_matches(page, "input[name=code]")
        page.keyboard.type(totp_code(totp_secret))
        with page.expect_navigation():
            page.keyboard.press("Enter")
    assert path_of(page) != "/login" and not path_of(page).startswith("/login/"), page.url


def assert_error_summary(page, fields: list[str]) -> None:
    """Focus is on the error summary (role=alert), which links to each field; the fields say they are invalid."""
    summary = page.locator("[data-error-summary]").first
    assert focus_matches(page, "[data-error-summary]"), f"focus is on {active(page)}, not on the error summary"
    assert summary.get_attribute("role") == "alert"
    for name in fields:
        control = page.locator(f"[name={name}]").first
        assert control.get_attribute("aria-invalid") == "true", name
        ids = (control.get_attribute("aria-describedby") or "").split()
        assert ids, f"{name} names no description"
        texts = [page.locator(f"[id='{i}']").inner_text() for i in ids]
        assert any(t.strip() for t in texts), f"{name}: described by {ids}, which say nothing"
        control_id = control.get_attribute("id")
        assert summary.locator(f"a[href='#{control_id}']").count() == 1, f"the summary does not link to {name}"


# ---------------------------------------------------------------- 1. signing in

def test_keyboard_sign_in(page, live_server, demo, shot):
    page.goto(f"{live_server}/login")
    # An empty submit: the summary takes focus and leads to the field.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert_error_summary(page, ["username", "password"])
    shot(page, "a11y-login-errors")
    axe_clean(page, "/login with errors")
    tab_to(page, "[data-error-summary] a[href='#username']")
    page.keyboard.press("Enter")
    assert focus_matches(page, "input[name=username]")
    page.keyboard.type("officer")
    tab_to(page, "input[name=password]")
    page.keyboard.type(demo["password"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_of(page) == "/login/otp" and focus_matches(page, "input[name=code]")
    page.keyboard.type(totp_code(demo["users_by_name"]["officer"]["totp_secret"]))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_of(page) == "/"

    # The first Tab stop is the skip link, visible when focused; it leads past the menu.
    page.keyboard.press("Tab")
    assert focus_matches(page, "a.skip-link")
    assert_focus_visible(page)
    box = page.locator("a.skip-link").bounding_box()
    assert box and box["width"] > 40 and box["height"] > 20, box
    page.keyboard.press("Enter")
    assert focus_matches(page, "main#main")
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)"), active(page)

    # The menu: every stop has a visible ring on the navy bar; Space opens a group, Escape closes it.
    page.keyboard.press("Shift+Tab")
    tab_to(page, ".app-navbar button.dropdown-toggle", backwards=True)
    toggle = page.locator(".app-navbar button.dropdown-toggle:focus")
    page.keyboard.press("Space")
    assert toggle.get_attribute("aria-expanded") == "true"
    page.keyboard.press("ArrowDown")
    assert focus_matches(page, ".dropdown-menu.show .dropdown-item")
    assert_focus_visible(page)
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert focus_matches(page, ".app-navbar button.dropdown-toggle")
    assert_focus_visible(page)
    shot(page, "a11y-nav-focus", full_page=False)

    # Signing out by keyboard: the user menu, Enter, down to 退出登录.
    tab_to(page, "#user-menu")
    page.keyboard.press("Enter")
    tab_to(page, "form[action$='/logout'] button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_of(page) == "/login"
    assert_clean_page(page)


# ---------------------------------------------------------------- 2. registering a resident

def test_keyboard_register_resident(page, live_server, demo, shot):
    day = clock.today()
    id_number = _id_number(random.Random())
    keyboard_sign_in(page, live_server, "manager", demo["password"])
    page.goto(f"{live_server}/residents/new")
    # Skip link, then the first field in one step (not 40).
    page.keyboard.press("Tab")
    assert focus_matches(page, "a.skip-link")
    page.keyboard.press("Enter")
    assert tab_to(page, "input[name=id_number]") <= 2
    # Required fields are marked where they are seen, and said to be required.
    for name in ("id_number", "name", "hukou_region_code", "released_on"):
        control = page.locator(f"[name={name}]")
        assert control.get_attribute("required") is not None, name
        assert page.locator(f"label[for='{control.get_attribute('id')}'] .required-mark").count() == 1, name
    help_id = page.locator("input[name=id_number]").get_attribute("aria-describedby")
    assert help_id and page.locator(f"#{help_id}").inner_text().strip(), "the help text is not tied to its field"

    page.keyboard.type(id_number)
    # The name is left empty on purpose.
    tab_to(page, "input[name=hukou_region_code]")
    page.keyboard.type("330106")
    tab_to(page, "input[name=is_homeless]")
    page.keyboard.press("Space")
    tab_to(page, "input[name=is_unemployed]")
    page.keyboard.press("Space")
    tab_to(page, "input[name=released_on]")
    type_date(page, (day - timedelta(days=12)).isoformat())
    presses = tab_to(page, "form.resident-form button[type=submit]")
    assert presses < 40, f"{presses} Tab stops from the release date to 保存"
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # Refused: the error summary has focus and leads to the name field; what was typed is still there.
    assert_no_error_page(page)
    assert path_of(page) == "/residents/new"
    assert_error_summary(page, ["name"])
    assert page.locator("input[name=id_number]").input_value() == id_number
    shot(page, "a11y-resident-errors")
    axe_clean(page, "/residents/new with errors")
    tab_to(page, "[data-error-summary] a")
    page.keyboard.press("Enter")
    assert focus_matches(page, "input[name=name]")
    assert_focus_visible(page)
    page.keyboard.type("键盘登记")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # Saved: the file opens and its message has focus.
    assert_no_error_page(page)
    assert path_of(page).startswith("/residents/") and path_of(page) != "/residents/new", page.url
    assert "键盘登记" in page.inner_text("main")
    assert focus_matches(page, ".app-flashes .alert"), f"focus after saving: {active(page)}"
    shot(page, "a11y-resident-saved")
    assert_clean_page(page)


# ---------------------------------------------------------------- 3. recording attendance

def test_keyboard_record_attendance(page, live_server, demo, shot):
    data = _set_up_course(live_server, demo["password"])
    course, session, residents = data["course"], data["session"], data["residents"]
    manager = Api(live_server, "manager", demo["password"])
    earlier = manager.call("POST", f"/courses/{course['id']}/sessions",
                           {"held_on": (clock.today() - timedelta(days=2)).isoformat(), "hours": "3"})
    keyboard_sign_in(page, live_server, "trainer", demo["password"])
    attendance = f"/training/sessions/{session['id']}/attendance"
    tab_to(page, f"a[href='{attendance}']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_of(page) == attendance

    # Choosing another session with the arrow keys loads nothing; its button does.
    tab_to(page, "#session-picker")
    page.keyboard.press("ArrowUp")
    page.wait_for_timeout(800)
    assert path_of(page) == attendance, "an arrow key on the session picker loaded another page"
    assert page.locator("#session-picker").input_value() == str(earlier["id"])
    page.keyboard.press("ArrowDown")
    assert page.locator("#session-picker").input_value() == str(session["id"])
    tab_to(page, "#open-session")

    # All present (Space), then the second person late (arrow keys in his radio group).
    tab_to(page, "#all-present")
    page.keyboard.press("Space")
    assert page.locator("[data-count=present]").inner_text() == "3"
    late = residents[1]
    tab_to(page, f"input[name=status-{late['id']}]")
    page.keyboard.press("ArrowRight")
    assert page.locator(f"#mark-{late['id']}-late").is_checked()
    assert page.locator("[data-count=late]").inner_text() == "1"
    shot(page, "a11y-attendance-marked", full_page=False)

    # Save opens the confirmation; Escape closes it and focus is back on Save, not on <body>.
    tab_to(page, "#save-attendance", backwards=True)
    page.keyboard.press("Enter")
    modal = page.locator("#confirm-attendance")
    modal.wait_for(state="visible")
    wait_until(page, "() => document.getElementById('confirm-attendance').contains(document.activeElement)")
    page.keyboard.press("Escape")
    modal.wait_for(state="hidden")
    wait_until(page, "() => document.activeElement && document.activeElement.id === 'save-attendance'")
    assert_focus_visible(page)

    page.keyboard.press("Enter")
    modal.wait_for(state="visible")
    wait_until(page, "() => document.getElementById('confirm-attendance').contains(document.activeElement)")
    tab_to(page, "#confirm-save")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # The trainer stays on the screen: "考勤已保存" at the top of the form has the focus (role=status, read
    # out), where the eye and the screen reader are (issue 17).
    assert path_of(page) == attendance
    page.wait_for_load_state("load")
    assert focus_matches(page, "#attendance-saved"), f"focus after saving: {active(page)}"
    assert page.locator("#attendance-saved").get_attribute("role") == "status"
    assert "考勤已保存" in page.locator("#attendance-saved").inner_text()
    assert_clean_page(page)
    page.goto(f"{live_server}/training/courses/{course['id']}")
    session_row = page.locator(".training-sessions tr.table-primary")
    assert "出勤 2" in session_row.inner_text() and "迟到 1" in session_row.inner_text()


def test_attendance_screen_reflows(page, live_server, demo, shot):
    """320 px: the four marks stay inside their cards. 200 % and 400 % zoom of a 1280×800 window (640×400 and
    320×200 CSS px): the toolbar no longer sticks over the roster."""
    data = _set_up_course(live_server, demo["password"])
    keyboard_sign_in(page, live_server, "trainer", demo["password"])
    page.goto(f"{live_server}/training/sessions/{data['session']['id']}/attendance")
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    spill = page.evaluate(
        """() => [...document.querySelectorAll('.training-roster-row')].filter(row => {
               const card = row.getBoundingClientRect();
               return [...row.querySelectorAll('.training-marks .btn')]
                   .some(b => b.getBoundingClientRect().right > card.right + 0.5);
           }).length""")
    assert spill == 0, f"{spill} roster rows have marks outside their card at 320 px"
    shot(page, "a11y-attendance-320")
    for width, height in ((640, 400), (320, 200)):
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("getComputedStyle(document.querySelector('.training-toolbar')).position") != "sticky"
        # Tab to the last mark: it is in view, not under anything.
        page.focus("#all-present")
        last = data["residents"][-1]
        tab_to(page, f"input[name=status-{last['id']}]", check_ring=False)
        assert_focus_visible(page)
        page.wait_for_timeout(600)  # the smooth scroll to it
        covered = page.evaluate(
            """() => { const label = document.activeElement.nextElementSibling; const b = label.getBoundingClientRect();
                       const top = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
                       return top === label || label.contains(top) ? null
                           : [Math.round(b.top), Math.round(b.bottom), innerHeight,
                              top && top.outerHTML.slice(0, 80)]; }""")
        assert covered is None, f"the focused mark is not in plain view at {width}×{height}: {covered}"
    page.set_viewport_size({"width": 1280, "height": 800})
    assert page.evaluate("getComputedStyle(document.querySelector('.training-toolbar')).position") == "sticky"


def test_bed_board_night_needs_its_button(page, live_server, demo):
    keyboard_sign_in(page, live_server, "manager", demo["password"])
    page.goto(f"{live_server}/beds")
    tab_to(page, "#board-on")
    before = page.url
    page.keyboard.press("ArrowDown")  # the day segment goes back one day
    page.wait_for_timeout(800)
    assert page.url == before, "changing the date loaded another page"
    tab_to(page, "#board-open")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "on=" in page.url


# ---------------------------------------------------------------- the session's end

def test_idle_warning_offers_to_stay_signed_in(page, live_server, demo, shot):
    page.clock.install()
    keyboard_sign_in(page, live_server, "manager", demo["password"])
    page.goto(f"{live_server}/residents/new")
    page.focus("input[name=name]")
    page.keyboard.type("未提交的姓名")
    dialog = page.locator("#session-warning")
    page.clock.run_for("27:00")
    assert not dialog.is_visible()
    page.clock.run_for("01:05")  # two minutes before the 30
    dialog.wait_for(state="visible")
    wait_until(page, "() => document.activeElement && document.activeElement.dataset.sessionAction === 'stay'")
    assert_focus_visible(page)
    assert "1:" in dialog.locator("[data-session-countdown]").inner_text()
    shot(page, "a11y-session-warning", full_page=False)
    page.keyboard.press("Enter")  # 保持登录: one GET renews the session
    dialog.wait_for(state="hidden")
    wait_until(page, "() => document.activeElement && document.activeElement.name === 'name'")

    # Left alone to the end: the dialog says so, keeps what was typed and offers to sign in again.
    page.clock.run_for("28:05")
    dialog.wait_for(state="visible")
    page.clock.run_for("02:05")
    sign_in_again = dialog.locator("[data-session-action=sign-in]")
    sign_in_again.wait_for(state="visible")
    assert "next=%2Fresidents%2Fnew" in sign_in_again.get_attribute("href")
    kept = page.evaluate("sessionStorage.getItem('base_ops.unsent')")
    assert kept and "未提交的姓名" in kept
    assert_clean_page(page)


def test_form_posted_after_the_session_ended_keeps_what_was_typed(page, live_server, demo, shot):
    keyboard_sign_in(page, live_server, "manager", demo["password"])
    page.goto(f"{live_server}/residents/new")
    page.focus("input[name=name]")
    page.keyboard.type("会话过期后")
    page.focus("input[name=hukou_region_code]")
    page.keyboard.type("330106")
    page.focus("input[name=is_homeless]")
    page.keyboard.press("Space")
    page.context.clear_cookies()  # the session ends on the server (as after 30 minutes idle)
    page.focus("form.resident-form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_of(page) == "/login"
    assert page.locator(".kept-form-notice").count() == 1
    shot(page, "a11y-login-kept-form")
    axe_clean(page, "/login with a kept form")
    # Signing in again leads back to the form, filled in as it was.
    page.focus("input[name=username]")
    page.keyboard.type("manager")
    tab_to(page, "input[name=password]")
    page.keyboard.type(demo["password"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_of(page) == "/residents/new"
    assert page.locator("input[name=name]").input_value() == "会话过期后"
    assert page.locator("input[name=hukou_region_code]").input_value() == "330106"
    assert page.locator("input[name=is_homeless]").is_checked()
    assert page.locator(".kept-form-notice").count() == 1
    assert focus_matches(page, ".kept-form-notice")
    assert page.evaluate("sessionStorage.getItem('base_ops.unsent')") is None
    shot(page, "a11y-resident-restored")
    assert_clean_page(page)

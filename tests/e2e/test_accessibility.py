"""Issue 22: WCAG 2.1 AA (GB/T 37668-2019) on every page, in a real Chromium.

For each role, the pages it can reach from its home page by following links (one URL per kind of
page, every tab and status filter; see tests/e2e/a11y.py) plus the few no link leads to, are checked
with axe-core (vendored; tags wcag2a, wcag2aa, wcag21a, wcag21aa) at 1280 px and at 390 px, and for
reflow at 320 px (nothing but a scroll region may scroll sideways, WCAG 1.4.10). Any violation fails
the test, listed by page, width, rule and node; the report is also written to test-artifacts/e2e/.
The signed-out pages (sign-in, with and without errors) are checked the same way. Form errors,
dialogs and keyboard use are in test_keyboard_journeys.py.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.a11y import HEIGHTS, WIDTHS, crawl, describe, overflowing_elements, page_overflow, run_axe
from tests.e2e.conftest import ARTIFACTS, TIMEOUT_MS, assert_clean_page, path_of, sign_in, watch_page

ROLES = ["admin", "auditor", "officer", "manager", "trainer", "enterprise"]
# Pages no link leads to from a role's home (a form's target, a page opened from a redirect).
EXTRA = {
    "admin": ["/account/reauth"],
    "auditor": ["/account/reauth"],
    "officer": ["/meals/cost", "/account/reauth"],
    "manager": ["/meals/cost", "/account/reauth"],
    "trainer": ["/account/reauth", "/bases"],  # /bases: the 403 page
    "enterprise": ["/account/reauth"],
}
REFLOW_WIDTH = 320


def _context(browser):
    width = WIDTHS[0]
    context = browser.new_context(viewport={"width": width, "height": HEIGHTS[width]}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch_page(page)
    return context, page


def audit_here(page, where: str, found: dict) -> None:
    """axe at each width, then reflow at 320 px, on the page as it is; violations go into `found`."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHTS[width]})
        violations = run_axe(page)
        if violations:
            found[f"{where} @{width}"] = violations
    page.set_viewport_size({"width": REFLOW_WIDTH, "height": 640})
    overflow = page_overflow(page)
    if overflow:
        nodes = [{"target": t, "html": "", "summary": ""} for t in overflowing_elements(page)]
        found[f"{where} @{REFLOW_WIDTH}"] = [{
            "id": "reflow", "impact": "serious", "nodes": nodes,
            "help": f"the page is {overflow}px wider than a {REFLOW_WIDTH} px viewport"}]
    page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHTS[WIDTHS[0]]})


def _audit(page, live_server, extra: list[str], found: dict, start: str = "/") -> list[str]:
    visited = crawl(page, live_server, start=start, visit=lambda path: audit_here(page, path, found))
    for path in extra:
        if path not in visited:
            page.goto(live_server + path)
            audit_here(page, path, found)
            visited.append(path)
    return visited


def _report(name: str, visited: list[str], found: dict) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"axe-{name}.json").write_text(
        json.dumps({"pages": visited, "violations": found}, ensure_ascii=False, indent=1), encoding="utf-8")


def _verdict(visited: list[str], found: dict) -> str:
    count = sum(len(v["nodes"]) or 1 for violations in found.values() for v in violations)
    return f"{count} failing node(s) on {len(found)} page/width(s) of {len(visited)} pages:\n" + describe(found)


@pytest.mark.parametrize("username", ROLES)
def test_axe_every_page_of_role(browser, live_server, demo, username):
    user = demo["users_by_name"][username]
    context, page = _context(browser)
    try:
        sign_in(page, live_server, username, demo["password"], user.get("totp_secret"))
        assert path_of(page) == "/"
        found: dict[str, list] = {}
        visited = _audit(page, live_server, EXTRA.get(username, []), found)
        _report(username, visited, found)
        assert len(visited) >= 5, visited
        assert not found, _verdict(visited, found)
        assert_clean_page(page)
    finally:
        context.close()


def test_axe_signed_out_pages(browser, live_server):
    context, page = _context(browser)
    try:
        found: dict[str, list] = {}
        visited = _audit(page, live_server, [], found, start="/login")
        page.goto(live_server + "/login")
        with page.expect_navigation():
            page.click("#sign-in")  # nothing typed: the form with its errors
        assert page.locator("[data-error-summary]").count() == 1
        audit_here(page, "/login (errors)", found)
        page.goto(live_server + "/no-such-page")
        audit_here(page, "404 page", found)
        _report("signed-out", visited, found)
        assert not found, _verdict(visited, found)
    finally:
        context.close()

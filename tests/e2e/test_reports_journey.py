"""Reports journey (issue 7 item 7, Chromium): the county officer of 西湖区 signs in with his second factor,
opens the dashboard from the "报表" menu, reads the key figures and the three ECharts charts, drills down
from the unit table to his base and to the people behind a number, downloads the placement report and
checks the file (Chinese title, the base rows, the "合计" row, the same numbers as the page and the JSON
API), then submits last month's monthly report (月报). The city officer of 杭州市 sees the counties and
drills into one.

The figures come from the demo's past year (base_ops/seed/demo_history.py). Nothing is frozen: "today"
is the server's today. Assertions lean on ids, data attributes and numbers; the Chinese strings relied
on are the title "就业安置报表", the header "安置基地" and the totals label "合计".
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request

import openpyxl

from base_ops.reports.dashboard.queries import KEY_FIGURES
from tests.e2e.conftest import assert_clean_page, assert_no_error_page, path_of, sign_in, totp_code

REPORT_TITLE = "就业安置报表"  # msgid "Placement report"
BASE_HEADER = "安置基地"  # msgid "Base"
TOTAL_LABEL = "合计"  # msgid "Total"
LEAVERS_HEADER = "离站人数"  # msgid "Leavers"
XIHU = "西湖区过渡性安置基地"
COUNTIES = {"330106": "西湖区", "330110": "余杭区", "330127": "淳安县"}


def _api(base_url: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
    request = urllib.request.Request(f"{base_url}/api/v1{path}", method="POST" if body is not None else "GET",
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return json.loads(response.read().decode())
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{path} -> {error.code}: {error.read().decode()}") from None


def _number(text: str) -> int:
    return int(text.replace(",", "").strip())


def _open_dashboard_from_menu(page) -> None:
    page.click(".app-navbar .dropdown-toggle:has(.bi-bar-chart-line)")
    with page.expect_navigation():
        page.click(".app-navbar .dropdown-menu a.dropdown-item[href$='/reports/']")
    assert path_of(page) == "/reports/"
    assert_no_error_page(page)


def _charts_rendered(page, ids: list[str]) -> None:
    for chart_id in ids:
        page.locator(f"#{chart_id} svg").first.wait_for()
        assert page.locator(f"#{chart_id} svg path").count() > 0, f"{chart_id} drew nothing"


def _unit_rows(page) -> dict[str, list[str]]:
    """The unit table: {name in the first column: the cells' texts}."""
    rows = {}
    for row in page.locator("table.report-table tbody tr").all():
        cells = [cell.inner_text().strip() for cell in row.locator("td").all()]
        rows[cells[0]] = cells
    return rows


def _column(page, header: str) -> int:
    headers = [h.inner_text().strip() for h in page.locator("table.report-table thead th").all()]
    assert header in headers, headers
    return headers.index(header)


def _download_placements(page, password: str, tmp_path):
    """Click the placement report; confirm the password first if the server asks for a fresh login."""
    link = page.locator(".report-downloads a[data-report=placements]")
    href = link.get_attribute("href")
    try:
        with page.expect_download(timeout=5_000) as download:
            link.click()
        file = download.value
    except Exception:  # the click led to the password page instead of a download
        assert path_of(page) == "/account/reauth", f"no download and no reauth page at {page.url}"
        page.fill("input[name=password]", password)
        with page.expect_download() as download:
            page.click("form button[type=submit]")
        file = download.value
    target = tmp_path / file.suggested_filename
    file.save_as(str(target))
    return target, href


def _sheet_rows(path) -> tuple[list[list], int]:
    """All rows as values, and the index of the header row (the one starting with the base header)."""
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if BASE_HEADER in row)
    return rows, header


def test_county_officer_reads_drills_downloads_and_submits(page, live_server, demo, shot, tmp_path):
    password = demo["password"]
    secret = demo["users_by_name"]["officer"]["totp_secret"]
    sign_in(page, live_server, "officer", password, secret)
    assert path_of(page) != "/login/otp"

    # -- the dashboard, from the menu: key figures and three charts
    _open_dashboard_from_menu(page)
    _charts_rendered(page, ["chart-trend", "chart-units", "chart-claims"])
    figures = [v.inner_text().strip() for v in page.locator(".key-figures .stat-value").all()]
    assert len(figures) == 1 + len(KEY_FIGURES)
    assert _number(figures[0]) > 0  # residents tonight
    rates = [f for f in figures[1:] if f.endswith("%")]
    assert len(rates) >= 5, figures  # the demo's past year gives real rates, not "—"
    shot(page, "reports-1-dashboard")

    # -- the unit table: one row, the officer's base, with leavers; the numbers link to people
    rows = _unit_rows(page)
    assert list(rows) == [XIHU], rows
    leavers_col = _column(page, LEAVERS_HEADER)
    leavers = _number(rows[XIHU][leavers_col])
    assert leavers > 5
    period = urllib.parse.parse_qs(urllib.parse.urlsplit(
        page.locator(".report-downloads a[data-report=placements]").get_attribute("href")).query)

    # -- the placement report spreadsheet: same numbers as the page and as the API
    xlsx, href = _download_placements(page, password, tmp_path)
    assert "/reports/placements.xlsx" in href
    rows_xlsx, header_at = _sheet_rows(xlsx)
    assert any(REPORT_TITLE in str(cell) for row in rows_xlsx[:header_at] for cell in row if cell)
    headers = rows_xlsx[header_at]
    body = [row for row in rows_xlsx[header_at + 1:] if any(cell is not None for cell in row)]
    assert [row[0] for row in body] == [XIHU, TOTAL_LABEL]
    sheet_leavers = body[0][headers.index(LEAVERS_HEADER)]
    assert sheet_leavers == leavers == body[1][headers.index(LEAVERS_HEADER)]
    token = _api(live_server, "/auth/tokens", body={"username": "officer", "password": password,
                                                    "otp": totp_code(secret)})["token"]
    query = urllib.parse.urlencode({"from": period["from"][0], "to": period["to"][0], "group_by": "base"})
    api = _api(live_server, f"/reports/placements?{query}", token)
    assert [row["base_name"] for row in api["rows"]] == [XIHU]
    assert api["total"]["leavers"] == leavers
    placement_rate_col = headers.index("就业安置率")
    assert round(body[0][placement_rate_col], 4) == round(api["total"]["placement_rate"], 4)

    # -- drill down to the base: its months
    page.goto(f"{live_server}/reports/")
    with page.expect_navigation():
        page.click("table.report-table a.drill-link")
    assert_no_error_page(page)
    assert "base_id=" in page.url
    months = _unit_rows(page)
    assert len(months) == 12 and all(re.fullmatch(r"\d{4}-\d{2}", m) for m in months)
    assert sum(_number(cells[leavers_col]) if cells[leavers_col] not in ("—", "") else 0
               for cells in months.values()) == leavers
    _charts_rendered(page, ["chart-trend", "chart-claims"])
    shot(page, "reports-2-base-months")

    # -- the people behind a month's leavers
    busy = next(m for m, cells in months.items() if cells[leavers_col] not in ("0", "—", ""))
    count = _number(months[busy][leavers_col])
    link = page.locator("table.report-table tbody tr", has_text=busy).locator("td").nth(leavers_col).locator("a")
    with page.expect_navigation():
        link.click()
    assert path_of(page) == "/reports/people" and "kind=leavers" in page.url
    assert_no_error_page(page)
    assert page.locator(".people-table tbody tr").count() == count
    assert "*" in page.locator(".people-table tbody").inner_text()  # masked ID numbers
    shot(page, "reports-3-people")

    # -- last month's monthly report, submitted
    page.goto(f"{live_server}/reports/monthly/")
    assert_no_error_page(page)
    first = page.locator("table.monthly-months tbody tr").first
    month = first.get_attribute("data-month")
    shot(page, "reports-4-monthly-list")
    if first.locator(".monthly-status").get_attribute("data-status") in ("missing", "overdue"):
        with page.expect_navigation():
            first.locator("a").click()
        assert page.locator("#submit-card").count() == 1
        assert page.locator(".monthly-figures tr[data-figure=leavers] .live").inner_text().strip() != ""
        shot(page, "reports-5-monthly-before")
        with page.expect_navigation():
            page.click("#submit-month")
        assert_no_error_page(page)
    page.goto(f"{live_server}/reports/monthly/")
    status = page.locator(f"table.monthly-months tr[data-month='{month}'] .monthly-status").get_attribute("data-status")
    assert status in ("on_time", "late"), status
    page.goto(f"{live_server}/reports/monthly/330106/{month}")
    assert page.locator("#submit-card").count() == 0 and page.locator("#correct-card").count() == 1
    assert page.locator(".monthly-figures .frozen").count() > 10
    shot(page, "reports-6-monthly-submitted")
    assert_clean_page(page)


def test_city_officer_sees_the_counties_and_drills_into_one(page, live_server, demo, shot):
    password = demo["password"]
    sign_in(page, live_server, "city_officer", password, demo["users_by_name"]["city_officer"]["totp_secret"])
    _open_dashboard_from_menu(page)
    _charts_rendered(page, ["chart-trend", "chart-units", "chart-claims"])
    rows = _unit_rows(page)
    assert set(rows) == set(COUNTIES.values()), rows
    leavers_col = _column(page, LEAVERS_HEADER)
    city_total = _number(page.locator("table.report-table tfoot td").nth(leavers_col).inner_text())
    assert city_total == sum(_number(cells[leavers_col]) for cells in rows.values()) > 20
    shot(page, "reports-7-city")

    with page.expect_navigation():
        page.click("table.report-table a.drill-link:text-is('余杭区')")
    assert_no_error_page(page)
    assert "region_code=330110" in page.url
    assert page.locator(".breadcrumb").inner_text().count("杭州市") == 1
    bases = _unit_rows(page)
    assert list(bases) == ["余杭区阳光驿站安置基地"], bases
    assert _number(bases["余杭区阳光驿站安置基地"][leavers_col]) == _number(rows["余杭区"][leavers_col])
    _charts_rendered(page, ["chart-trend", "chart-units", "chart-claims"])
    shot(page, "reports-8-city-county")

    # back up through the breadcrumb
    with page.expect_navigation():
        page.click(".breadcrumb a:text-is('杭州市')")
    assert set(_unit_rows(page)) == set(COUNTIES.values())
    assert_clean_page(page)

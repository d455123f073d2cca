"""Paper, reminders and follow-up journeys (issue 19 item 4, Chromium).

- The manager of 西湖区's base prints a release notice's 衔接回执 and a resident's 一人一档 file from their pages;
  the county officer prints a payment batch's list and last month's monthly report as submitted. Each print
  button opens the PDF in a new tab; the test fetches the same address with the browser's cookies and reads
  the text back (pypdf): the name, dates and figures the page shows are on the paper.
- A reminder: the daily run (reminders/services.py run, on the live server's database) gives the manager a
  "回执待发" item; the bell counts it, the inbox links to the notice, the manager records the receipt there, the
  next run closes the item and the bell counts one less.
- Follow-up: the manager records a contact that finds a discharged resident gone (脱管); the county officer,
  signed in meanwhile, sees one more on the home page and the person in the 脱管 list on /follow-ups.

State comes from the demo seed and the pages; nothing is frozen: "today" is the server's today. The Chinese
strings relied on: the kind "回执待发" (msgid "Receipt due"), the outcome "脱管" (msgid "Missing (脱管)"), the
method "电话" (msgid "Phone").
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from decimal import Decimal
from urllib.parse import urljoin, urlsplit

from pypdf import PdfReader

from base_ops.core import clock
from tests.e2e.conftest import (
    ARTIFACTS,
    assert_clean_page,
    assert_no_error_page,
    open_page,
    path_of,
    sign_in,
)

RECEIPT_DUE = "回执待发"  # msgid "Receipt due"
MISSING = "脱管"  # msgid "Missing (脱管)"
PHONE = "电话"  # msgid "Phone"
XIHU_BASE = "西湖区过渡性安置基地"
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# ---------------------------------------------------------------- helpers

def _compact(text: str) -> str:
    """Text without the layout's spaces and line breaks (a table cell may wrap)."""
    return "".join(text.split())


def _pdf_text(data: bytes) -> str:
    return "".join(_compact(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages)


def _keep_picture(data: bytes, name: str) -> None:
    """The PDF's first page as a PNG next to the screenshots (test-artifacts/e2e/), to look at."""
    if shutil.which("pdftoppm") is None:
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", "-", str(ARTIFACTS / name)],
                   input=data, check=True, timeout=60)


def _print(page, button: str, name: str) -> str:
    """Click a print button: the PDF opens in a new tab. Its bytes are fetched again with the page's cookies
    (the browser's PDF viewer keeps them to itself); returns the PDF's text."""
    link = page.locator(button)
    href = link.get_attribute("href")
    assert link.get_attribute("target") == "_blank", "a document opens in a new tab, the page stays"
    with page.context.expect_event("response", lambda r: urlsplit(r.url).path == href) as printed, \
            page.expect_popup() as popup:
        link.click()
    response = printed.value
    assert response.status == 200, response.status
    assert response.headers["content-type"].startswith("application/pdf")
    assert path_of(popup.value) == href
    popup.value.close()
    fetched = page.request.get(urljoin(page.url, href))
    assert fetched.ok and fetched.headers["content-type"].startswith("application/pdf")
    assert "inline" in fetched.headers["content-disposition"]
    data = fetched.body()
    assert data.startswith(b"%PDF")
    _keep_picture(data, name)
    return _pdf_text(data)


def _run_reminders(app):
    """The daily run (`flask reminders run` without the digests) on the live server's database."""
    from base_ops.extensions import db
    from base_ops.reminders import services

    with app.app_context():
        try:
            return services.run()
        finally:
            db.session.remove()


def _bell_count(page) -> int:
    """The number on the bell in the top bar (no badge: nothing open)."""
    badge = page.locator(".reminder-bell .badge")
    return int(badge.inner_text()) if badge.count() else 0


def _missing_on_home(page) -> int:
    """The 脱管 count on the county officer's home page (no alert: nobody is missing)."""
    alert = page.locator(".missing-alert")
    return int(re.search(r"\d+", alert.inner_text()).group()) if alert.count() else 0


def _money(text: str) -> Decimal:
    return Decimal(text.replace("¥", "").replace(",", "").strip())


def _officer(page, demo, live_server) -> None:
    sign_in(page, live_server, "officer", demo["password"], demo["users_by_name"]["officer"]["totp_secret"])
    assert path_of(page) == "/", page.url


# ---------------------------------------------------------------- journeys

def test_manager_prints_a_receipt_and_a_file(page, live_server, demo, shot):
    sign_in(page, live_server, "manager", demo["password"])
    assert path_of(page) == "/"

    # -- a release notice, from the list of all notices
    page.goto(f"{live_server}/notices?status=all")
    link = page.locator("table a[href^='/notices/']").first
    with page.expect_navigation():
        link.click()
    assert_no_error_page(page)
    name = page.locator("#page-title").inner_text().strip()
    facts = page.locator(".notice-facts").inner_text()
    dates = DATE.findall(facts)  # expected release, received, receipt due
    assert len(dates) >= 3, facts
    masked = page.locator(".notice-facts .font-monospace").inner_text().strip()
    assert "*" in masked
    shot(page, "paper-1-notice")

    text = _print(page, "#print-receipt", "paper-1-receipt-pdf")
    assert "衔接回执" in text
    assert name in text
    for day in dates:
        assert day in text, (day, text)
    assert masked in text  # the ID number masked, as on the page
    assert "西湖区司法局" in text and "（盖章）" in text  # the bureau's name, the seal line

    # -- a resident in stay at the base, from the residents list
    page.goto(f"{live_server}/residents")
    row = page.locator("main table tbody tr", has_text=XIHU_BASE).first
    with page.expect_navigation():
        row.locator("a[href^='/residents/']").first.click()
    assert_no_error_page(page)
    name = page.locator("#page-title").inner_text().strip()
    stays = page.locator(".stay-card")
    assert stays.count() >= 1
    stay_dates = [day for i in range(stays.count())
                  for day in DATE.findall(stays.nth(i).locator(".text-muted.small").first.inner_text())]
    assert stay_dates, "no admission date on the stay cards"
    shot(page, "paper-2-resident")

    text = _print(page, "#print-file", "paper-2-file-pdf")
    assert "一人一档" in text and XIHU_BASE in text
    assert name in text
    for day in stay_dates:
        assert day in text, (day, text)
    assert re.search(r"\d{6}\*{8}[\dX]{4}", text), "the ID number is masked on the file"
    assert_clean_page(page)


def test_officer_prints_a_batch_list_and_the_monthly_report(page, live_server, demo, shot):
    _officer(page, demo, live_server)

    # -- a payment batch: its page's claims and total are on the list
    page.goto(f"{live_server}/batches")
    with page.expect_navigation():
        page.locator("main table a[href^='/batches/']").first.click()
    assert_no_error_page(page)
    number = re.search(r"\d{4}-\d{2}-\d{6}-\d{3}", page.locator("#page-title").inner_text()).group()
    amounts = [_money(cell.inner_text()) for cell in page.locator("table.batch-claims tbody tr td.text-end").all()]
    assert amounts, "an empty batch"
    total = _money(page.locator("table.batch-claims tfoot td.text-end").inner_text())
    assert total == sum(amounts)
    shot(page, "paper-3-batch")

    text = _print(page, "#print-batch", "paper-3-batch-list-pdf")
    assert "补贴发放花名册" in text and "西湖区司法局" in text
    assert f"编号{number}" in text, number
    for amount in amounts:
        assert f"{amount:,.2f}" in text, (amount, text)
    assert f"合计{total:,.2f}" in text, text
    assert "合计（大写）" in text and "领款人签字" in text

    # -- last month's monthly report: submitted through its page if it is not yet, then printed as submitted
    page.goto(f"{live_server}/reports/monthly/")
    first = page.locator("table.monthly-months tbody tr").first
    month = first.get_attribute("data-month")
    with page.expect_navigation():
        first.locator("a").first.click()
    assert_no_error_page(page)
    if page.locator("#submit-card").count():
        with page.expect_navigation():
            page.click("#submit-month")
        assert_no_error_page(page)
    assert page.locator("#submit-card").count() == 0
    figures = {}
    for line in page.locator(".monthly-figures tr[data-figure]").all():
        label = _compact(line.locator("td").first.inner_text())
        figures[label] = _compact(line.locator("td.frozen").inner_text())
    assert len(figures) > 10
    shot(page, "paper-4-monthly")

    text = _print(page, "#print-monthly", "paper-4-monthly-pdf")
    assert "过渡性安置基地工作月报" in text and "西湖区司法局" in text
    assert f"月份:{month}" in text, text[:300]
    for label, value in figures.items():
        assert f"{label}{value}" in text, (label, value)
    assert_clean_page(page)


def test_a_reminder_is_followed_to_its_page_and_closes_when_done(page, live_server, live_app, demo, shot):
    _run_reminders(live_app)
    sign_in(page, live_server, "manager", demo["password"])
    before = _bell_count(page)
    assert before > 0, "the demo gives the manager work to be reminded of"
    assert str(before) in page.locator(".reminder-bell").get_attribute("aria-label")
    shot(page, "reminders-1-bell", full_page=False)

    # -- the inbox, from the bell: a receipt due
    with page.expect_navigation():
        page.click(".reminder-bell")
    assert path_of(page) == "/reminders"
    assert_no_error_page(page)
    item = page.locator(".reminder-item", has_text=RECEIPT_DUE).first
    title = item.locator(".reminder-title").inner_text().strip()
    go = item.locator("a", has_text="去处理")
    href = go.get_attribute("href")
    assert re.fullmatch(r"/notices/\d+", href), href
    shot(page, "reminders-2-inbox")

    # -- followed to the notice, where the receipt is recorded
    with page.expect_navigation():
        go.click()
    assert path_of(page) == href
    assert_no_error_page(page)
    name = page.locator("#page-title").inner_text().strip()
    assert name in title
    today = clock.today().isoformat()
    page.fill("#fb-sent_on", today)
    page.fill("#fb-arrangement", "释放当日由基地派车到监狱门口接回。")
    shot(page, "reminders-3-notice")
    with page.expect_navigation():
        page.locator("form:has(#fb-arrangement) button[type=submit]").click()
    assert_no_error_page(page)
    assert path_of(page) == href
    receipt = page.locator(".card", has=page.locator(".card-header .bi-reply")).inner_text()
    assert today in receipt and "释放当日由基地派车" in receipt

    # -- the next run closes the item: the bell counts one less, the item is under 已处理
    result = _run_reminders(live_app)
    assert result.closed >= 1 and result.added == 0
    page.goto(f"{live_server}/reminders")
    assert _bell_count(page) == before - 1
    assert page.locator(".reminder-item", has_text=title).count() == 0
    shot(page, "reminders-4-after")
    page.goto(f"{live_server}/reminders?status=done")
    assert page.locator(".reminder-item", has_text=title).count() == 1
    assert_clean_page(page)


def test_a_follow_up_finds_someone_missing_and_the_county_sees_it(browser, page, live_server, demo, shot):
    # The county officer is signed in in a browser of his own, and notes how many people are missing.
    with open_page(browser) as officer:
        _officer(officer, demo, live_server)
        missing_before = _missing_on_home(officer)

        # -- the manager: the contacts due, then a discharged resident's follow-up section
        sign_in(page, live_server, "manager", demo["password"])
        page.goto(f"{live_server}/follow-ups")
        assert_no_error_page(page)
        row = page.locator("main table tbody tr").filter(has_not_text=MISSING).first
        name = row.locator("td").first.inner_text().strip()
        shot(page, "follow-up-1-due")
        with page.expect_navigation():
            row.locator("a[href$='#follow-up']").click()
        assert_no_error_page(page)
        assert page.locator("#page-title").inner_text().strip() == name
        assert page.locator(".stay-card .badge", has_text="已离站").count() >= 1  # discharged

        form = page.locator("#follow-up-form")
        today = clock.today().isoformat()
        form.locator("input[name=contacted_on]").fill(today)
        form.locator("select[name=method]").select_option(label=PHONE)
        form.locator("select[name=outcome]").select_option(label=MISSING)
        form.locator("textarea[name=note]").fill("电话停机，家属称已一个月未见本人。")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert_no_error_page(page)
        assert f"已记录 {name} 的帮教回访" in page.locator(".alert-success").inner_text()
        alert = page.locator("#follow-up ~ .card .alert-danger")
        assert MISSING in alert.inner_text() and today in alert.inner_text()
        history = page.locator(".follow-up-history li").first.inner_text()
        assert today in history and PHONE in history and MISSING in history
        shot(page, "follow-up-2-recorded")
        assert_clean_page(page)

        # -- the county officer: one more missing on the home page, the person in the 脱管 list
        officer.reload()
        assert _missing_on_home(officer) == missing_before + 1
        shot(officer, "follow-up-3-county-home", full_page=False)
        with officer.expect_navigation():
            officer.locator(".missing-alert a").click()
        assert path_of(officer) == "/follow-ups" and "status=missing" in officer.url
        assert_no_error_page(officer)
        person = officer.locator("main table tbody tr", has_text=name)
        assert person.count() == 1
        assert today in person.inner_text()
        tab = officer.locator(".nav-tabs a[aria-current=page]")
        assert MISSING in tab.inner_text() and str(missing_before + 1) in tab.inner_text()
        shot(officer, "follow-up-4-county-missing")
        assert_clean_page(officer)

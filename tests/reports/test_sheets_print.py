"""The spreadsheets people print, printed for real (issue 21 item 3): each workbook converted once with
LibreOffice headless (tests/sheets_pdf.py; skipped on a developer's machine without it, failed under CI)
and read back: pages, one page wide (the last column's header on the sheet's first page), the identity
column and the amounts on that page, the page-number footer."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.meals.test_meals import kitchen  # noqa: F401  (fixture)
from tests.reports import ledger
from tests.reports.test_pages import OCTOBER
from tests.sheets_pdf import flat, pdf_pages, require_printing
from tests.subsidies.conftest import post_claim, sw  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def _printing():
    require_printing()


@pytest.fixture
def L(db, factory, monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: ledger.TODAY)
    return ledger.build(db, factory)


def _get(client, path, headers=None) -> bytes:
    response = client.get(path, headers=headers or {})
    assert response.status_code == 200, (path, response.status_code)
    return response.data


def _first_pages(content: bytes, texts: list[str]) -> dict[str, str]:
    """Each sheet's first printed page: the page whose footer says 第 1 页 starts the next sheet."""
    names = openpyxl.load_workbook(io.BytesIO(content)).sheetnames
    starts = [i for i, text in enumerate(texts) if "第1页" in flat(text)]
    assert len(starts) == len(names), (names, len(starts))
    return {name: texts[i] for name, i in zip(names, starts, strict=True)}


def _header(ws, first: str) -> list[str]:
    row = next(r for r in range(1, 10) if ws.cell(r, 1).value == first)
    return [str(c.value) for c in ws[row] if c.value is not None]


def test_the_overview_prints_every_topic_one_page_wide(client, api_headers, L, factory, tmp_path):
    officer = factory.user("county_officer", username="pdf_officer", region_code="330203")
    content = _get(client, f"/api/v1/reports/overview.xlsx?group_by=base&{OCTOBER}", api_headers(officer))
    pages, texts = pdf_pages(tmp_path, content, "overview")
    book = openpyxl.load_workbook(io.BytesIO(content))
    firsts = _first_pages(content, texts)
    assert pages == len(book.sheetnames)  # a few bases: each topic on one page, none spilling sideways
    for name, text in firsts.items():
        page = flat(text)
        labels = _header(book[name], "安置基地")
        assert "安置基地" in page and flat(labels[-1])[:6] in page, name  # the last column too (its label wraps)
        assert "导出日期" in page and "共" in page, name  # page header and "第 1 页，共 n 页"


def test_the_subsidies_report_prints_its_amounts_and_total_on_page_one(client, api_headers, L, factory,
                                                                        tmp_path):
    officer = factory.user("county_officer", username="pdf_officer2", region_code="330203")
    content = _get(client, "/api/v1/reports/subsidies.xlsx?from=2026-10-01&to=2026-12-01&group_by=month",
                   api_headers(officer))
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    labels = _header(ws, "企业")
    last = [c.value for c in ws[ws.max_row]]
    pages, texts = pdf_pages(tmp_path, content, "subsidies")
    page = flat(texts[0])
    assert pages >= 1 and "企业" in page and flat(labels[-1])[:4] in page
    totals = [line for line in texts[0].splitlines() if "合计" in line]
    assert totals, texts[0]
    amount = f"{float(last[5]):,.2f}"
    assert amount in totals[-1], (amount, totals)  # the 合计 and its amount on one printed line


def test_the_meal_roster_prints_both_sheets_with_base_date_and_names(kitchen, login_as, tmp_path):  # noqa: F811
    client = login_as(kitchen.manager_a)
    content = _get(client, f"/meals/roster.xlsx?base_id={kitchen.base_a.id}&date=2026-10-12")
    pages, texts = pdf_pages(tmp_path, content, "roster")
    firsts = _first_pages(content, texts)
    assert pages >= 2
    summary, names = flat(firsts["就餐统计"]), flat(firsts["名单"])
    assert "餐别" in summary and "合计" in summary
    assert "就餐名单" in names and kitchen.base_a.name.replace(" ", "") in names and "2026-10-12" in names
    assert "床位" in names and "马六" in names  # the last column and a name on page 1


def test_the_payment_list_prints_payee_account_and_amount_on_one_line_and_its_sign_off(
        db, sw, post_claim, login_as, monkeypatch, tmp_path):  # noqa: F811
    from sqlalchemy import select

    from base_ops.subsidies.models import PaymentBatch
    from tests.subsidies.conftest import TODAY

    monkeypatch.setattr("base_ops.core.clock.today", lambda: TODAY)
    monkeypatch.setattr("base_ops.subsidies.services.today", lambda: TODAY)
    claim = post_claim("approved", month="2026-11")
    assert claim.payee_name and claim.amount
    client = login_as(sw.officer_x)
    assert client.post("/batches", data={"region_code": "330106", "period": "2026-11"}).status_code == 302
    batch = db.session.scalars(select(PaymentBatch)).one()
    content = _get(client, f"/batches/{batch.id}.xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    labels = _header(ws, "申请编号")
    pages, texts = pdf_pages(tmp_path, content, "batch")
    page = flat(texts[0])
    assert pages == 1 and flat(labels[-1]) in page  # one page wide: the last column (计算依据) too
    amount = f"{float(claim.amount):,.2f}"
    line = next(line for line in texts[0].splitlines() if line.strip().startswith(str(claim.id)))
    assert claim.payee_name in line and amount in line  # payee and amount side by side
    shown = next(str(c.value) for row in ws.iter_rows() for c in row[2:3] if row[0].value == claim.id)
    assert shown and shown in line  # the account (as the sheet shows it) on the same line
    for words in ("经办人", "复核人", "审批人", "日期"):
        assert words in page  # the sign-off block
    assert "第1页" in page and "合计" in page


def test_a_detail_export_prints_one_page_wide_with_names_and_its_total(L, tmp_path):
    from datetime import date

    from base_ops.reports.exports.spreadsheets import KINDS, write_xlsx
    from base_ops.reports.metrics.filters import ReportFilter

    buffer = io.BytesIO()
    rows = write_xlsx("residents", ReportFilter(date(2026, 1, 1), date(2027, 1, 1), "330203"), buffer)
    content = buffer.getvalue()
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    names = [str(r[0]) for r in ws.iter_rows(values_only=True) if r[1] and "*" in str(r[1])]
    pages, texts = pdf_pages(tmp_path, content, "residents")
    page = flat(texts[0])
    assert rows and names and pages >= 1
    assert "姓名" in page and flat(KINDS["residents"].columns[-1].header) in page  # one page wide
    assert names[0].replace(" ", "") in page and "第1页" in page
    assert "合计" in flat(texts[-1])

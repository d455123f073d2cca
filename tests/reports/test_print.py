"""The report spreadsheets print (issue 21): every sheet A4, fit one page wide, header row and identity
columns repeated, page numbers; the overview split by topic; "—" where a rate has nothing to divide by;
the subsidies report's 合计 beside its amounts. Read back with openpyxl (LibreOffice is not needed)."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.core.test_excel_print import assert_prints
from tests.reports import ledger
from tests.reports.test_pages import OCTOBER


@pytest.fixture
def L(db, factory, monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: ledger.TODAY)
    return ledger.build(db, factory)


def _book(client, headers, path):
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.status_code
    return openpyxl.load_workbook(io.BytesIO(response.data))


def _header_row(ws, first: str) -> int:
    return next(r for r in range(1, 10) if ws.cell(r, 1).value == first)


def test_the_overview_is_split_by_topic_and_every_sheet_prints(client, api_headers, L, factory):
    officer = factory.user("county_officer", username="print_officer", region_code="330203")
    book = _book(client, api_headers(officer), f"/api/v1/reports/overview.xlsx?group_by=base&{OCTOBER}")
    topics = [name.split("·")[1] for name in book.sheetnames]
    assert book["综合报表·就业安置"].page_setup.orientation == "landscape"  # 14 columns
    assert topics[:4] == ["入住与服务", "就业安置", "稳定就业", "技能培训"] and topics[-1] == "补贴"
    for ws in book.worksheets:
        header = _header_row(ws, "安置基地")
        assert_prints(ws, header_row=header, landscape=None, identity="$A:$A")
        assert ws.max_column <= 16  # a topic, not 45 columns squeezed onto one page
        assert ws.row_dimensions[header].height >= 2 * 15  # long CJK labels wrap onto two lines at least


def test_a_rate_over_nothing_shows_a_dash(client, api_headers, L, factory):
    officer = factory.user("county_officer", username="print_officer2", region_code="330203")
    # December has no leavers: the placement rate has nothing to divide by.
    ws = _book(client, api_headers(officer), "/api/v1/reports/placements.xlsx?group_by=base"
                                             "&from=2026-12-01&to=2026-12-02").active
    header = _header_row(ws, "安置基地")
    labels = [c.value for c in ws[header]]
    rate = labels.index("就业安置率") + 1
    values = [ws.cell(r, rate).value for r in range(header + 1, ws.max_row + 1)]
    assert values and all(v == "—" for v in values)


def test_the_subsidies_total_stands_beside_its_amounts(client, api_headers, L, factory):
    officer = factory.user("county_officer", username="print_officer3", region_code="330203")
    ws = _book(client, api_headers(officer), "/api/v1/reports/subsidies.xlsx?from=2026-10-01&to=2026-12-01"
                                             "&group_by=month").active
    header = _header_row(ws, "企业")
    assert_prints(ws, header_row=header, landscape=True, identity="$A:$A")
    last = [c.value for c in ws[ws.max_row]]
    assert last[3] == "合计" and last[4] is not None and last[5] is not None

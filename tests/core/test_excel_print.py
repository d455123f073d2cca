"""Every spreadsheet prints (issue 21): page setup, header heights, "—" for nothing to divide by.

Read back with openpyxl, which reads the print settings XlsxWriter writes."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from base_ops.core.excel import Column, Sheet, generate_xlsx, header_height, text_width


def _book(sheets):
    return openpyxl.load_workbook(io.BytesIO(generate_xlsx(sheets)))


def assert_prints(ws, *, header_row: int, landscape: bool | None, identity: str | None = "A"):
    """The page setup every sheet gets (core/excel.py print_setup); `landscape` None: either orientation."""
    assert ws.page_setup.paperSize == 9  # A4
    if landscape is not None:
        assert ws.page_setup.orientation == ("landscape" if landscape else "portrait")
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    # fitToWidth 1 is the OOXML default, so XlsxWriter leaves it out.
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == f"${header_row}:${header_row}"
    if identity:
        assert ws.print_title_cols == identity
    assert "第 &P 页，共 &N 页" in ws.oddFooter.center.text
    assert "导出日期" in ws.oddHeader.right.text


def test_a_wide_sheet_prints_landscape_one_page_wide_with_titles_repeated(app):
    columns = [Column("基地", 22), *(Column(f"指标{i}", 14, "int") for i in range(12))]
    sheet = Sheet(name="总览", title="综合报表 & 汇总", filters=["范围：杭州市", "期间：2026-10-01 至 2026-11-01"],
                  columns=columns, rows=[["甲基地", *range(12)]], identity_columns=1)
    with app.app_context():
        ws = _book([sheet])["总览"]
    assert_prints(ws, header_row=4, landscape=True, identity="$A:$A")
    assert ws.oddHeader.left.text == "综合报表 && 汇总"  # & escaped, not a control code
    assert ws.oddHeader.center.text == "范围：杭州市"


def test_a_narrow_sheet_stays_portrait(app):
    sheet = Sheet(name="名单", title="名单", columns=[Column("序号", 6, "int"), Column("姓名", 14)],
                  rows=[[1, "张三"]], identity_columns=2)
    with app.app_context():
        ws = _book([sheet])["名单"]
    assert_prints(ws, header_row=2, landscape=False, identity="$A:$B")


@pytest.mark.parametrize("header, width, lines", [
    ("伙食标准（元/人·天）", 14, 2),  # printed as "）" with a one-line row
    ("计入安置率的离站人数", 14, 2),  # printed as "数"
    ("姓名", 12, 1),
    ("一二三四五六七八九十一二三四五六七八九十", 10, 5),
])
def test_the_header_row_is_as_tall_as_its_longest_wrapped_label(app, header, width, lines):
    assert text_width("计入安置率") == 10 and text_width("ab") == 2
    height = header_height([Column("x", 10), Column(header, width)])
    assert height >= lines * 15
    sheet = Sheet(name="s", columns=[Column("x", 10), Column(header, width)], rows=[])
    with app.app_context():
        ws = _book([sheet])["s"]
    assert ws.row_dimensions[1].height == pytest.approx(height, abs=1)  # rounded to whole pixels


def test_nothing_to_divide_by_shows_a_dash_not_a_blank(app):
    columns = [Column("基地", 20), Column("离站人数", 10, "int"), Column("就业安置率", 10, "percent"),
               Column("平均在站天数", 10, "money", empty="—"), Column("备注", 10)]
    sheet = Sheet(name="s", columns=columns, rows=[["甲", 0, None, None, None]],
                  totals=["合计", 0, None, None, ""])
    with app.app_context():
        ws = _book([sheet])["s"]
    assert [c.value for c in ws[2]] == ["甲", 0, "—", "—", None]
    assert [c.value for c in ws[3]] == ["合计", 0, "—", "—", None]


def test_a_closing_block_follows_the_totals(app):
    sheet = Sheet(name="s", columns=[Column("a", 30), Column("金额", 14, "money")], rows=[["x", Decimal("1.00")]],
                  totals=["合计", Decimal("1.00")], closing=["经办人：＿＿", "审批人：＿＿"])
    with app.app_context():
        ws = _book([sheet])["s"]
    assert [ws.cell(r, 1).value for r in range(1, 7)] == ["a", "x", "合计", None, "经办人：＿＿", "审批人：＿＿"]


def test_the_streamed_detail_export_prints_too(app, db):
    from base_ops.reports.exports import spreadsheets
    from base_ops.reports.metrics.filters import ReportFilter

    buffer = io.BytesIO()
    f = ReportFilter(start=date(2026, 10, 1), end=date(2026, 11, 1), region_code="330106", base_ids=None,
                     group_by=("base",))
    spreadsheets.write_xlsx("placements", f, buffer)
    ws = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    header = next(r for r in range(1, 8) if ws.cell(r, 1).value == "姓名")
    assert_prints(ws, header_row=header, landscape=True, identity="$A:$B")
    assert ws.row_dimensions[header].height >= 2 * 15  # "合同期限（月）" wraps in 10 units
    assert "统计期间" in ws.oddHeader.center.text and "导出时间" not in ws.oddHeader.center.text

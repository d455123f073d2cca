"""A sheet printed for real (issue 21): converted to PDF with LibreOffice headless and read back.

Skipped where LibreOffice is not installed on a developer's machine, failed under CI (.ci/run installs it;
tests/sheets_pdf.py); it checks what openpyxl cannot: one page wide, the header row repeated on every page,
page numbers in the footer."""

from __future__ import annotations

import pytest

from base_ops.core.excel import Column, Sheet, generate_xlsx
from tests.sheets_pdf import pdf_pages


@pytest.fixture(autouse=True)
def _printing():
    from tests.sheets_pdf import require_printing

    require_printing()


def _pdf(tmp_path, content: bytes):
    return pdf_pages(tmp_path, content)


def test_a_wide_long_sheet_prints_one_page_wide_with_its_header_and_names_on_every_page(app, tmp_path):
    columns = [Column("姓名", 10), *(Column(f"计入安置率的离站人数{i}", 14, "int") for i in range(1, 19)),
               Column("就业安置率", 12, "percent")]
    rows = [[f"人员{n:03d}", *range(18), None] for n in range(1, 121)]
    sheet = Sheet(name="明细", title="打印测试", filters=["范围：西湖区"], columns=columns, rows=rows)
    with app.app_context():
        pages, texts = _pdf(tmp_path, generate_xlsx([sheet]))
    assert 2 <= pages <= 6  # 120 rows, long not wide: 18 columns on one page width
    flat = [text.replace(" ", "").replace("\n", "") for text in texts]
    for n, text in enumerate(flat, start=1):
        assert text.count("计入安置率的离站人") == 18  # every column's header, repeated on every page
        assert f"第{n}页，共{pages}页" in text  # the footer
        assert text.startswith("打印测试") and "导出日期" in text  # the page header
    assert "人员120" in flat[-1] and "—" in flat[0]  # the last row printed; nothing to divide by shows "—"

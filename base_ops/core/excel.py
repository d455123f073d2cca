"""Spreadsheet export: pure generation (returns bytes) apart from sending it (Indico's split).

Formula-safe: every string goes through write_string, so a value beginning
with =, +, -, @, tab or CR is stored as a text cell, never a formula
(docs/security.md), and the value itself is kept unchanged. ID numbers are passed
in already masked, as text.

Every sheet is set up to be printed (issue 21: clerks print them on A4 and file them), by
`print_setup`, the one place that sets it for every sheet, here and in the streamed detail
exports (reports/exports/spreadsheets.py): A4, fit to one page wide, landscape when the columns
are wider than a portrait page, the header row and the identity column(s) repeated on every page,
the title / scope / export date in the page header and "第 n 页，共 m 页" in the footer; the header
row is as tall as its longest wrapped label (CJK characters counted double), since neither Excel,
WPS nor LibreOffice grows a row written with a fixed height.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter

from base_ops.core.clock import today

NOTHING_TO_DIVIDE = "—"  # a rate over a zero denominator (docs/domain.md "Rates and reports")


@dataclass
class Column:
    header: str
    width: int = 14
    kind: str = "text"  # text | int | money | percent | date
    empty: str | None = None  # shown for a missing value; None: "—" in a percent column, else blank

    @property
    def shown_when_empty(self) -> str:
        if self.empty is not None:
            return self.empty
        return NOTHING_TO_DIVIDE if self.kind == "percent" else ""


@dataclass
class Sheet:
    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence]
    title: str | None = None
    filters: list[str] = field(default_factory=list)
    totals: Sequence | None = None
    scope: str | None = None  # base or region (and period) for the printed page header; default the first filter
    identity_columns: int = 1  # leading columns that name the row, repeated on every printed page
    closing: list[str] = field(default_factory=list)  # lines below the totals (a sign-off block)


def generate_xlsx(sheets: Sequence[Sheet], constant_memory: bool = True) -> bytes:
    """Write the sheets row by row (constant_memory keeps large exports small).

    Not `in_memory`: XlsxWriter turns constant_memory off in that mode; rows go to its temporary
    files and only the finished zip is held in the buffer."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": constant_memory, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})
    styles = {
        "title": book.add_format({"bold": True, "font_size": 13}),
        "filter": book.add_format({"italic": True, "font_color": "#555555"}),
        "header": book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True,
                                   "valign": "vcenter"}),
        "text": book.add_format({"num_format": "@"}),
        "int": book.add_format({"num_format": "0"}),
        "money": book.add_format({"num_format": "#,##0.00"}),
        "percent": book.add_format({"num_format": "0.0%"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "total": book.add_format({"bold": True, "top": 1}),
        "empty": book.add_format({"align": "right"}),
        "closing": book.add_format({"font_size": 11}),
    }
    for sheet in sheets:
        ws = book.add_worksheet(sheet.name[:31])
        row = 0
        if sheet.title:
            ws.write_string(row, 0, sheet.title, styles["title"])
            row += 1
        for line in sheet.filters:
            ws.write_string(row, 0, line, styles["filter"])
            row += 1
        print_setup(ws, title=sheet.title or sheet.name, scope=sheet.scope or next(iter(sheet.filters), ""),
                    columns=sheet.columns, header_row=row, identity_columns=sheet.identity_columns)
        for col, column in enumerate(sheet.columns):
            ws.set_column(col, col, column.width, styles[column.kind] if column.kind != "date" else None)
            ws.write_string(row, col, column.header, styles["header"])
        ws.freeze_panes(row + 1, 0)
        row += 1
        for values in sheet.rows:
            _write_row(ws, row, sheet.columns, values, styles)
            row += 1
        if sheet.totals is not None:
            _write_row(ws, row, sheet.columns, sheet.totals, styles, bold=True)
            row += 1
        if sheet.closing:
            row += 1  # one empty row between the figures and the sign-off
            for line in sheet.closing:
                ws.set_row(row, 30)  # room to sign by hand
                ws.write_string(row, 0, line, styles["closing"])
                row += 1
    book.close()
    return buffer.getvalue()


def _write_row(ws, row: int, columns: Sequence[Column], values: Sequence, styles: dict, bold: bool = False) -> None:
    for col, (column, value) in enumerate(zip(columns, values, strict=True)):
        fmt = styles["total"] if bold and column.kind == "text" else styles[column.kind]
        if value is None or value == "":
            if column.shown_when_empty:
                ws.write_string(row, col, column.shown_when_empty, styles["total"] if bold else styles["empty"])
            else:
                ws.write_blank(row, col, None, fmt)
        elif column.kind in ("int", "money", "percent") and isinstance(value, int | float | Decimal):
            ws.write_number(row, col, float(value), fmt)
        elif column.kind == "date" and isinstance(value, date | datetime):
            ws.write_datetime(row, col, datetime(value.year, value.month, value.day), fmt)
        else:
            ws.write_string(row, col, str(value), styles["text"])


# ---------------------------------------------------------------- printing

A4 = 9  # XlsxWriter's paper index for A4
PORTRAIT_WIDTH = 90  # column-width units that fit across an A4 portrait page at 100 %
LINE_HEIGHT = 15.5  # points per line of 11-point text, CJK glyphs included
HEADER_LIMIT = 255  # Excel's limit on a page header's length


def text_width(text: str) -> int:
    """Width in column units: CJK and full-width characters take two, others one."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def header_height(columns: Sequence[Column]) -> float:
    """Points for a header row whose longest label wraps to the most lines in its column width."""
    lines = max((math.ceil(text_width(c.header) / max(c.width - 1, 1)) for c in columns), default=1)
    return max(lines, 1) * LINE_HEIGHT + 4


def _page_text(text: str) -> str:
    return text.replace("&", "&&")  # a bare & starts a control code in a page header


def print_setup(ws, *, title: str, scope: str, columns: Sequence[Column], header_row: int,
                identity_columns: int = 1) -> None:
    """The page setup every sheet gets (issue 21): call before writing the header row."""
    ws.set_paper(A4)
    if sum(c.width for c in columns) > PORTRAIT_WIDTH:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)  # one page wide, as many long as it takes
    ws.set_margins(left=0.5, right=0.5, top=0.9, bottom=0.8)
    ws.repeat_rows(header_row)
    if identity_columns > 0:
        ws.repeat_columns(0, min(identity_columns, len(columns)) - 1)
    stamp = f"&R导出日期：{today().isoformat()}"
    room = HEADER_LIMIT - len(stamp) - 10
    left = _page_text(title)[: room // 2]
    centre = _page_text(scope)[: room - len(left)]
    ws.set_header(f"&L{left}" + (f"&C{centre}" if centre else "") + stamp)
    ws.set_footer("&C第 &P 页，共 &N 页")
    # Each sheet numbers its own pages from 1: LibreOffice and WPS print a workbook as one run and would
    # otherwise count on from the sheet before (found printing the overview, tests/reports/test_sheets_print.py).
    ws.set_start_page(1)
    ws.set_row(header_row, header_height(columns))


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(filename: str, fallback: str) -> str:
    """The Content-Disposition of a download: the Chinese name a user reads (RFC 5987 `filename*`) and an
    ASCII name for clients that cannot read it (RFC 6266 section 4.3)."""
    from urllib.parse import quote

    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in fallback)
    return f"attachment; filename=\"{safe}\"; filename*=UTF-8''{quote(filename, safe='')}"


def file_part(text: str) -> str:
    """A name or title as part of a file name: no path separators or characters Windows refuses."""
    return "".join("_" if c in '\\/:*?"<>|' or ord(c) < 32 else c for c in str(text)).strip() or "_"

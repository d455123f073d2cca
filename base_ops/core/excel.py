"""Spreadsheet export: pure generation (returns bytes) apart from sending it (Indico's split).

Formula-safe: every string goes through write_string, so a value beginning
with =, +, -, @, tab or CR is stored as a text cell, never a formula
(docs/security.md), and the value itself is kept unchanged. ID numbers are passed
in already masked, as text.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter


@dataclass
class Column:
    header: str
    width: int = 14
    kind: str = "text"  # text | int | money | percent | date


@dataclass
class Sheet:
    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence]
    title: str | None = None
    filters: list[str] = field(default_factory=list)
    totals: Sequence | None = None


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
        "header": book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True}),
        "text": book.add_format({"num_format": "@"}),
        "int": book.add_format({"num_format": "0"}),
        "money": book.add_format({"num_format": "#,##0.00"}),
        "percent": book.add_format({"num_format": "0.0%"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "total": book.add_format({"bold": True, "top": 1}),
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
    book.close()
    return buffer.getvalue()


def _write_row(ws, row: int, columns: Sequence[Column], values: Sequence, styles: dict, bold: bool = False) -> None:
    for col, (column, value) in enumerate(zip(columns, values, strict=True)):
        fmt = styles["total"] if bold and column.kind == "text" else styles[column.kind]
        if value is None or value == "":
            ws.write_blank(row, col, None, fmt)
        elif column.kind in ("int", "money", "percent") and isinstance(value, int | float | Decimal):
            ws.write_number(row, col, float(value), fmt)
        elif column.kind == "date" and isinstance(value, date | datetime):
            ws.write_datetime(row, col, datetime(value.year, value.month, value.day), fmt)
        else:
            ws.write_string(row, col, str(value), styles["text"])


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

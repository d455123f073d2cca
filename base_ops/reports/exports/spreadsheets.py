"""Detail spreadsheets: the people behind a report's numbers (issue 7, items 3 and 4).

Each kind is one SELECT over the filter's bases, streamed (`yield_per`, a server-side
cursor on PostgreSQL) into an XlsxWriter workbook in `constant_memory` mode, row by
row, so a 100,000-row export holds neither the rows nor the sheet in memory
(docs/architecture.md rule 8; pandas' `to_excel` would defeat constant_memory). Formula-safe
as core.excel: strings only through `write_string` with `strings_to_formulas` off, so
"=1+1" in a name stays text; ID numbers are masked text (docs/security.md "Input and
output"). The filter used is written above the header, a totals row below the data.

The filter passed in must already be resolved against the actor's scope
(`filters.resolve_filter`); nothing here widens it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO

import xlsxwriter
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import aliased

from base_ops.core.clock import LOCAL_ZONE, today
from base_ops.core.excel import Column, print_setup
from base_ops.core.identity import mask_id_number
from base_ops.extensions import db
from base_ops.reports.metrics.filters import ReportFilter, bases_in, scope_names

# Kind → label shown on the pages ("download the people behind this number").
EXPORT_KINDS = {
    "placements": _l("Placements (people)"),
    "leavers": _l("Leavers (people)"),
    "residents": _l("Residents served (people)"),
}

PROGRESS_EVERY = 1000  # rows between progress(rows_done) calls
FETCH_BATCH = 2000  # rows fetched per round trip of the streaming cursor

YES, NO = "是", "否"
SEX_ZH = {"male": "男", "female": "女"}


class UnknownKind(ValueError):
    pass


@dataclass(frozen=True)
class _Kind:
    title: str  # sheet title (Chinese)
    sheet: str
    columns: Sequence[Column]
    select: Callable[[ReportFilter], Select]
    rows: Callable[[Iterator, ReportFilter], Iterator[list]]  # database rows → sheet rows
    tally: Callable[[list[Any], list], None]  # adds one sheet row to the running tallies
    tallies: int  # how many running tallies
    totals: Callable[[list[Any]], list]  # running tallies → the totals row


# ---------------------------------------------------------------- placements

def _placements_select(f: ReportFilter) -> Select:
    """Placements (not cancelled) started in [start, end) at the filter's bases (the referring base)."""
    from base_ops.enterprises.models import Enterprise, JobPosting
    from base_ops.org.models import Base
    from base_ops.placements.models import Placement, Referral, RetentionCheck
    from base_ops.residents.models import Resident

    check3, check6 = aliased(RetentionCheck), aliased(RetentionCheck)
    return (
        select(Resident.name, Resident.id_number, Base.name, Enterprise.name, JobPosting.title, Placement.started_on,
               Placement.contract_months, Placement.monthly_wage, Placement.social_insurance, Placement.ended_on,
               Placement.end_reason, check3.employed, check6.employed)
        .select_from(Placement)
        .join(Referral, Referral.id == Placement.referral_id)
        .join(Resident, Resident.id == Placement.resident_id)
        .join(Base, Base.id == Referral.base_id)
        .join(Enterprise, Enterprise.id == Placement.enterprise_id)
        .join(JobPosting, JobPosting.id == Referral.posting_id)
        # At most one answer per mark (unique index on placement_id, month_mark): no duplicated rows.
        .outerjoin(check3, and_(check3.placement_id == Placement.id, check3.month_mark == 3))
        .outerjoin(check6, and_(check6.placement_id == Placement.id, check6.month_mark == 6))
        .where(Placement.is_cancelled.is_(False), Placement.started_on >= f.start, Placement.started_on < f.end,
               Referral.base_id.in_(bases_in(f)))
        .order_by(Base.name, Placement.started_on, Placement.id)
    )


def employed_at(started_on: date, ended_on: date | None, checked: bool | None, months: int, on: date) -> str:
    """Still employed `months` after the start (docs/domain.md "Retention")?

    Ended before the mark → no; else the check recorded for that mark; else not yet
    reached; else ended after the mark → yes; else the mark passed with no check.
    """
    from base_ops.placements.queries import add_months

    mark = add_months(started_on, months)
    if ended_on is not None and ended_on < mark:
        return NO
    if checked is not None:
        return YES if checked else NO
    if mark > on:
        return "未到期"
    if ended_on is not None:
        return YES
    return "未核查"


def _placement_rows(rows: Iterator, f: ReportFilter) -> Iterator[list]:
    on = today()
    for (name, id_number, base, enterprise, title, started_on, months, wage, insured, ended_on, reason,
         check3, check6) in rows:
        yield [name, mask_id_number(id_number), base, enterprise, title, started_on, months,
               float(wage) if wage is not None else None, YES if insured else NO, ended_on, reason,
               employed_at(started_on, ended_on, check3, 3, on), employed_at(started_on, ended_on, check6, 6, on)]


def _placement_totals(t: list[Any]) -> list:
    return ["合计", f"{t[0]} 人", "", "", "", None, None, None, f"{t[1]} 人", None, "",
            f"{t[2]} 人", f"{t[3]} 人"]


def _count_placement(t: list[Any], row: list) -> None:
    t[0] += 1
    t[1] += row[8] == YES
    t[2] += row[11] == YES
    t[3] += row[12] == YES


# ---------------------------------------------------------------- leavers

def _leavers_select(f: ReportFilter) -> Select:
    """Stays discharged in [start, end) at the filter's bases (docs/domain.md "Placement rate": the leavers)."""
    from base_ops.intake.models import Stay
    from base_ops.org.models import Base
    from base_ops.residents.models import Resident

    return (
        select(Resident.name, Resident.id_number, Base.name, Stay.admitted_on, Stay.discharged_on, Stay.destination)
        .select_from(Stay)
        .join(Resident, Resident.id == Stay.resident_id)
        .join(Base, Base.id == Stay.base_id)
        .where(Stay.discharged_on >= f.start, Stay.discharged_on < f.end, Stay.base_id.in_(bases_in(f)))
        .order_by(Base.name, Stay.discharged_on, Stay.id)
    )


def _leaver_rows(rows: Iterator, f: ReportFilter) -> Iterator[list]:
    from base_ops.intake.models import Destination

    labels = destination_labels()
    for name, id_number, base, admitted_on, discharged_on, destination in rows:
        yield [name, mask_id_number(id_number), base, admitted_on, discharged_on, (discharged_on - admitted_on).days,
               labels.get(destination, ""), YES if destination == Destination.EMPLOYED else NO]


def _count_leaver(t: list[Any], row: list) -> None:
    t[0] += 1
    t[1] += row[5]
    t[2] += row[7] == YES


def _leaver_totals(t: list[Any]) -> list:
    return ["合计", f"{t[0]} 人", "", None, None, t[1], "", f"{t[2]} 人"]


# ---------------------------------------------------------------- residents

def _residents_select(f: ReportFilter) -> Select:
    """One row per stay overlapping [start, end) at the filter's bases (stays are [admitted_on, discharged_on))."""
    from base_ops.intake.models import Stay
    from base_ops.org.models import Base
    from base_ops.residents.models import Resident

    return (
        select(Resident.name, Resident.id_number, Resident.sex, Resident.birth_on, Base.name, Stay.admitted_on,
               Stay.discharged_on, Stay.destination)
        .select_from(Stay)
        .join(Resident, Resident.id == Stay.resident_id)
        .join(Base, Base.id == Stay.base_id)
        .where(Stay.admitted_on < f.end, or_(Stay.discharged_on.is_(None), Stay.discharged_on > f.start),
               Stay.base_id.in_(bases_in(f)))
        .order_by(Base.name, Stay.admitted_on, Stay.id)
    )


def age_on(birth_on: date, on: date) -> int:
    return on.year - birth_on.year - ((on.month, on.day) < (birth_on.month, birth_on.day))


def _resident_rows(rows: Iterator, f: ReportFilter) -> Iterator[list]:
    labels = destination_labels()
    # Age on the period's last day, or today while the period is still running.
    on = min(date.fromordinal(f.end.toordinal() - 1), today())
    for name, id_number, sex, birth_on, base, admitted_on, discharged_on, destination in rows:
        yield [name, mask_id_number(id_number), SEX_ZH.get(sex, ""), age_on(birth_on, on), base, admitted_on,
               discharged_on if discharged_on is not None else "在站", labels.get(destination, "")]


def _count_resident(t: list[Any], row: list) -> None:
    t[0] += 1
    t[1] += row[6] == "在站"


def _resident_totals(t: list[Any]) -> list:
    return ["合计", f"{t[0]} 人次", "", None, "", None, f"在站 {t[1]} 人", ""]


def destination_labels() -> dict:
    """The stays module's destination labels, in Chinese whatever the user's UI language."""
    from base_ops.intake.vocabulary import DESTINATION_LABELS

    with force_locale("zh_CN"):
        return {destination: str(label) for destination, label in DESTINATION_LABELS.items()}


# ---------------------------------------------------------------- the kinds

KINDS: dict[str, _Kind] = {
    "placements": _Kind(
        title="就业安置人员明细", sheet="就业安置",
        columns=[Column("姓名", 12), Column("身份证号", 21), Column("基地", 18), Column("用人单位", 24),
                 Column("岗位", 16), Column("入职日期", 12, "date"), Column("合同期限（月）", 10, "int"),
                 Column("月工资（元）", 12, "money"), Column("社会保险", 9), Column("离职日期", 12, "date"),
                 Column("离职原因", 20), Column("3个月在岗", 10), Column("6个月在岗", 10)],
        select=_placements_select, rows=_placement_rows, tally=_count_placement, tallies=4,
        totals=_placement_totals),
    "leavers": _Kind(
        title="离站人员明细", sheet="离站人员",
        columns=[Column("姓名", 12), Column("身份证号", 21), Column("基地", 18), Column("入站日期", 12, "date"),
                 Column("离站日期", 12, "date"), Column("在站天数", 10, "int"), Column("去向", 22),
                 Column("就业安置", 10)],
        select=_leavers_select, rows=_leaver_rows, tally=_count_leaver, tallies=3, totals=_leaver_totals),
    "residents": _Kind(
        title="在站服务人员明细", sheet="服务人员",
        columns=[Column("姓名", 12), Column("身份证号", 21), Column("性别", 6), Column("年龄", 6, "int"),
                 Column("基地", 18), Column("入站日期", 12, "date"), Column("离站日期", 12, "date"),
                 Column("去向", 22)],
        select=_residents_select, rows=_resident_rows, tally=_count_resident, tallies=2,
        totals=_resident_totals),
}


def _kind(kind: str) -> _Kind:
    try:
        return KINDS[kind]
    except KeyError:
        raise UnknownKind(kind) from None


def count_rows(kind: str, f: ReportFilter) -> int:
    """How many rows `write_xlsx` would write (decides direct download or background job)."""
    spec = _kind(kind)
    query = spec.select(f).order_by(None).subquery()
    return db.session.execute(select(func.count()).select_from(query)).scalar_one()


def filter_lines(f: ReportFilter) -> list[str]:
    """The filter used, in words, for the lines above the header."""
    last_day = date.fromordinal(f.end.toordinal() - 1)
    lines = [f"统计期间：{f.start.isoformat()} 至 {last_day.isoformat()}"]
    region_name, base_names = scope_names(f)
    if f.region_code:
        lines.append(f"地区：{region_name}（{f.region_code}）")
    if base_names is not None:
        lines.append("基地：" + ("、".join(base_names) or "无"))
    lines.append(f"导出时间：{datetime.now(LOCAL_ZONE):%Y-%m-%d %H:%M}")
    return lines


def write_xlsx(kind: str, f: ReportFilter, fileobj: BinaryIO | str, progress: Callable[[int], None] | None = None
               ) -> int:
    """Stream the kind's rows into an .xlsx written to `fileobj`; returns the number of data rows.

    `progress(rows_done)` is called every PROGRESS_EVERY rows and after the last row.
    """
    spec = _kind(kind)
    book = xlsxwriter.Workbook(fileobj, {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_numbers": False, "strings_to_urls": False,
                                         "default_date_format": "yyyy-mm-dd"})
    try:
        styles = _styles(book)
        ws = book.add_worksheet(spec.sheet)
        row = _write_head(ws, spec, filter_lines(f), styles)
        writers = [(_CELL_WRITERS[c.kind], styles[c.kind]) for c in spec.columns]
        tallies: list[Any] = [0] * spec.tallies
        done = 0
        stmt = spec.select(f).execution_options(yield_per=FETCH_BATCH)
        result = db.session.execute(stmt)
        try:
            for values in spec.rows(iter(result), f):
                for col, (write, fmt) in enumerate(writers):
                    value = values[col]
                    if value is not None and value != "":
                        write(ws, row, col, value, fmt)
                spec.tally(tallies, values)
                row += 1
                done += 1
                if progress is not None and done % PROGRESS_EVERY == 0:
                    progress(done)
        finally:
            result.close()
        _write_totals(ws, row, spec.columns, spec.totals(tallies), styles)
    finally:
        book.close()
    if progress is not None and (done == 0 or done % PROGRESS_EVERY):
        progress(done)  # the last partial stretch
    return done


# ---------------------------------------------------------------- cell writing

def _styles(book) -> dict:
    return {
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
        "total_int": book.add_format({"bold": True, "top": 1, "num_format": "0"}),
    }


def _write_text(ws, row, col, value, fmt):
    # write_string, never write(): a leading =, +, -, @ stays text (docs/security.md).
    ws.write_string(row, col, value if isinstance(value, str) else str(value), fmt)


def _write_number(ws, row, col, value, fmt):
    if isinstance(value, int | float):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, str(value))


def _write_date(ws, row, col, value, fmt):
    if isinstance(value, date):
        ws.write_datetime(row, col, value, fmt)
    else:
        ws.write_string(row, col, str(value))


_CELL_WRITERS = {"text": _write_text, "int": _write_number, "money": _write_number, "percent": _write_number,
                 "date": _write_date}


def _write_head(ws, spec: _Kind, lines: list[str], styles: dict) -> int:
    """Title, the filter lines, the header (frozen, repeated on printed pages); returns the first data row."""
    ws.write_string(0, 0, spec.title, styles["title"])
    row = 1
    for line in lines:
        ws.write_string(row, 0, line, styles["filter"])
        row += 1
    for col, column in enumerate(spec.columns):
        ws.set_column(col, col, column.width)
    # The name and the masked ID number identify a row on every printed page; the export time is
    # in the page header already.
    scope = "；".join(line for line in lines if not line.startswith("导出时间"))
    print_setup(ws, title=spec.title, scope=scope, columns=spec.columns, header_row=row, identity_columns=2)
    for col, column in enumerate(spec.columns):
        ws.write_string(row, col, column.header, styles["header"])
    ws.freeze_panes(row + 1, 0)
    return row + 1


def _write_totals(ws, row: int, columns: Sequence[Column], values: list, styles: dict) -> None:
    for col, (column, value) in enumerate(zip(columns, values, strict=True)):
        if value is None or value == "":
            ws.write_blank(row, col, None, styles["total"])
        elif isinstance(value, int | float):
            ws.write_number(row, col, value, styles["total_int"] if column.kind == "int" else styles["total"])
        else:
            ws.write_string(row, col, str(value), styles["total"])

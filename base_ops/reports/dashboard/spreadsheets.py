"""Report spreadsheets: the rows of a report as a pandas DataFrame, written with XlsxWriter.

The DataFrame keeps the figures as numbers (rates as fractions shown in percent
format, counts as integers) under Chinese headers; core.excel writes it
formula-safe, with widths, a frozen header, the filter used at the top and a
totals row computed from summed counts (never an average of rates). Every
download is audited with its row count, in its own transaction.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
from flask_babel import force_locale
from flask_babel import gettext as _

from base_ops.core import audit
from base_ops.core.excel import Column, Sheet, attachment, generate_xlsx
from base_ops.core.unit_of_work import use_case
from base_ops.reports.metrics import figures as F
from base_ops.reports.metrics import queries as metrics
from base_ops.reports.metrics.filters import scope_name
from base_ops.reports.metrics.queries import Report

REPORTS = {"occupancy": metrics.occupancy, "placements": metrics.placements, "overview": metrics.overview}

_KIND_TO_COLUMN = {"count": "int", "rate": "percent", "days": "money", "money": "money"}


def content_disposition(name: str, f) -> str:
    """The download's name: the report's title and its period's first and last day (the filter's end is the
    day after), in Chinese with an ASCII fallback."""
    last_day = date.fromordinal(f.end.toordinal() - 1)
    return attachment(f"{report_titles()[name]}-{f.start.isoformat()}-{last_day.isoformat()}.xlsx",
                      f"{name}-{f.start.isoformat()}-{last_day.isoformat()}.xlsx")


def report_titles() -> dict[str, str]:
    return {"occupancy": _("Occupancy report"), "placements": _("Placement report"),
            "overview": _("Overview report"), "subsidies": _("Subsidy claims report")}


def dimension_columns(report: Report) -> list[tuple[str, str, int]]:
    """(dims key, header, width) of the grouping columns of a report."""
    columns = []
    if "region" in report.filter.group_by:
        columns += [("region_code", _("Region code"), 10), ("region_name", _("Region"), 14)]
    if "base" in report.filter.group_by:
        columns += [("base_name", _("Base"), 22)]
    if "month" in report.filter.group_by:
        columns += [("month", _("Month"), 9)]
    return columns


def report_frame(report: Report, figures: list[F.Figure] | None = None) -> pd.DataFrame:
    """One row per report row: grouping values then every figure (or those given), numbers kept as numbers."""
    dims = dimension_columns(report)
    figures = report.figures if figures is None else figures
    records = []
    for row in report.rows:
        record = {header: row.dims.get(key) for key, header, _width in dims}
        for figure in figures:
            record[str(figure.label)] = _number(figure, row.values.get(figure.key))
        records.append(record)
    columns = [header for _key, header, _width in dims] + [str(figure.label) for figure in figures]
    return pd.DataFrame.from_records(records, columns=columns)


# The overview's 45 figures, one sheet per topic, so each prints legibly one page wide (issue 21);
# the other reports are one sheet each.
TOPICS = [("入住与服务", [*F.OCCUPANCY, *F.SERVED]), ("就业安置", [*F.PLACEMENTS, *F.LENGTH_OF_STAY]),
          ("稳定就业", F.RETENTION), ("技能培训", F.TRAINING), ("衔接", F.HANDOVER), ("帮教回访", F.FOLLOW_UP),
          ("补贴", F.SUBSIDIES)]


def report_topics(report: Report) -> list[tuple[str | None, list[F.Figure]]]:
    """(topic, its figures) for each sheet of the report's spreadsheet; topic None for a one-sheet report."""
    if report.name != "overview":
        return [(None, list(report.figures))]
    keys = {figure.key for figure in report.figures}
    topics = [(topic, [f for f in figures if f.key in keys]) for topic, figures in TOPICS]
    return [(topic, figures) for topic, figures in topics if figures]


def _number(figure: F.Figure, value):
    if value is None:
        return None
    if figure.kind == "money":
        return Decimal(value)
    if figure.kind in ("rate", "days"):
        return float(value)
    return int(value)


def head_lines(f, scope: str) -> list[str]:
    """The scope and period used, written above every report sheet."""
    return [_("Scope: %(scope)s", scope=scope),
            _("Period: %(start)s to %(end)s (end exclusive)", start=f.start.isoformat(), end=f.end.isoformat())]


def filter_lines(report: Report, scope: str) -> list[str]:
    f = report.filter
    grouping = "、".join({"base": _("base"), "month": _("month"), "region": _("region")}[d] for d in f.group_by)
    return [*head_lines(f, scope), _("Grouped by: %(grouping)s", grouping=grouping),
            _("Rates are computed from summed counts; — means nothing to divide by.")]


def report_xlsx(report: Report, scope: str) -> bytes:
    """The report as a spreadsheet (Chinese headers whatever the user's UI language)."""
    with force_locale("zh_CN"):
        return generate_xlsx([_report_sheet(report, scope, topic, figures)
                              for topic, figures in report_topics(report)])


def _report_sheet(report: Report, scope: str, topic: str | None, figures: list[F.Figure]) -> Sheet:
    frame = report_frame(report, figures)
    dims = dimension_columns(report)
    columns = [Column(header, width) for _key, header, width in dims]
    # A rate or an average over nothing shows "—", as the line above the header promises.
    columns += [Column(str(figure.label), max(10, len(str(figure.label)) + 4), _KIND_TO_COLUMN[figure.kind],
                       empty="—" if figure.is_derived else None)
                for figure in figures]
    total_values = [_number(figure, report.total.values.get(figure.key)) for figure in figures]
    totals = [_("Total"), *[""] * (len(dims) - 1), *total_values] if dims else None
    rows = (tuple(None if pd.isna(value) else value for value in record)
            for record in frame.itertuples(index=False, name=None))
    title = report_titles()[report.name]
    name = f"{title}·{topic}" if topic else title
    return Sheet(name=name, columns=columns, rows=rows, title=name, filters=filter_lines(report, scope),
                 totals=totals, identity_columns=len(dims))


def subsidies_xlsx(f, scope: str) -> tuple[bytes, int]:
    """Claims filed in the period by enterprise, month, kind and status: count and amount, with totals."""
    from base_ops.subsidies.vocabulary import KIND_LABELS, STATUS_LABELS

    with force_locale("zh_CN"):
        rows = metrics.subsidy_summary(f)
        kinds = {k.value: str(v) for k, v in KIND_LABELS.items()}
        statuses = {k.value: str(v) for k, v in STATUS_LABELS.items()}
        frame = pd.DataFrame.from_records(
            [(r["enterprise"] or _("(residents)"), r["month"] or "", kinds.get(r["kind"], r["kind"]),
              statuses.get(r["status"], r["status"]), r["claims"], Decimal(r["amount"])) for r in rows],
            columns=[_("Enterprise"), _("Month"), _("Kind"), _("Status"), _("Claims"), _("Amount (CNY)")])
        widths_kinds = [(28, "text"), (9, "text"), (22, "text"), (10, "text"), (10, "int"), (14, "money")]
        columns = [Column(str(header), width, kind) for header, (width, kind) in zip(frame.columns, widths_kinds,
                                                                                      strict=True)]
        # 合计 stands beside the figures it sums, so it prints on the same page as them.
        totals = ["", "", "", _("Total"), int(frame.iloc[:, 4].sum()) if len(frame) else 0,
                  sum(frame.iloc[:, 5], Decimal("0.00"))]
        title = _("Subsidy claims report")
        lines = [*head_lines(f, scope), _("Claims filed in the period, by their current status.")]
        sheet = Sheet(name=title, columns=columns, rows=frame.itertuples(index=False, name=None), title=title,
                      filters=lines, totals=totals)
        return generate_xlsx([sheet]), len(frame)


NAMES = ("occupancy", "placements", "overview", "subsidies")


@use_case
def download(actor, name: str, f) -> bytes:
    """Build a named report's spreadsheet and write the audit row (docs/security.md: every export, with its row
    count) in its own unit of work."""
    scope = scope_name(f)
    if name == "subsidies":
        content, rows = subsidies_xlsx(f, scope)
    else:
        report = REPORTS[name](f)
        content, rows = report_xlsx(report, scope), len(report.rows)
    audit.record(actor, "export", None, object_type="report", object_id=name, export=name, rows=rows,
                 filter=f.describe())
    return content

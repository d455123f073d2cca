"""Monthly per-base summaries kept ready for the dashboards (issue 20).

A province's dashboard summed a year of facts on every load (2.9 s at province scale). Past days' facts
hardly change, so `flask reports summarize` (nightly, deploy/systemd/base-ops-summarize.timer) runs each
metric's live statement (reports/metrics/queries.py) once over the closed months and this month's days
before today, grouped by base and month, and keeps the sums in `report_summaries`: the live statement
stays the one definition of every measure, and the test oracle (tests/reports/test_summaries.py).

The dashboard then reads those days from the summaries and the rest — today, the partial months at the
edges of a custom period, any month not built — from the live statements, and adds them (every measure
here is a count or an amount over windows of days, so windows add). Counts of distinct people (residents
served, placed during their stay) do not add across windows: they keep their own live statement over the
whole period. So do the handover figures, which belong to a county, not a base. A summarized figure lags
what changed in a past day since the last build (a claim filed last week and approved today keeps last
night's status; a completion recorded late): the page says "as of" when it shows one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete, func, insert, literal, select

from base_ops.core import clock
from base_ops.core.db import utcnow
from base_ops.core.unit_of_work import unit_of_work
from base_ops.extensions import db
from base_ops.reports.metrics import queries as metrics
from base_ops.reports.metrics.filters import ReportFilter, bases_in
from base_ops.reports.metrics.periods import month_start, next_month
from base_ops.reports.models import SUMMARY_AMOUNTS, SUMMARY_COUNTS, ReportSummary, ReportSummaryMonth

# The metrics whose measures add across months (every metric of the overview but residents served).
SUMMED_METRICS = ("occupancy", "leavers", "retention_3", "retention_6", "training", "claims")
# The measures of the overview the summaries give (claims filed are the claims tables', not the overview's).
OVERVIEW_MEASURES = tuple(m for m in (*SUMMARY_COUNTS, *SUMMARY_AMOUNTS) if not m.startswith("claims_filed"))
DEFAULT_MONTHS = 36
OVERVIEW, CLAIMS_FILED = "overview", "claims_filed"  # the two kinds of rows a build keeps


def summarized_windows(months: int, today: date) -> list[tuple[str, date, date]]:
    """The `months` calendar months before today's, oldest first, and this month's days before today (none on
    its first day), as (key, start, end) windows."""
    starts = [month_start(today, back) for back in range(months, 0, -1)]
    windows = [(start.strftime("%Y-%m"), start, next_month(start)) for start in starts]
    this_month = month_start(today)
    if today > this_month:
        windows.append((this_month.strftime("%Y-%m"), this_month, today))
    return windows


def summarize(months: int = DEFAULT_MONTHS) -> int:
    """Rebuild the summaries of the last `months` closed months and of this month's days before today: one
    INSERT … SELECT per metric from its live statement grouped by base and month, then one more folding those
    rows into one per base and month. Idempotent (the months are deleted and built again in one unit of work).
    Returns the number of summary rows kept."""
    S = ReportSummary
    windows = summarized_windows(months, clock.today())
    keys = [key for key, _start, _end in windows]
    f = ReportFilter(windows[0][1], windows[-1][2], None, None, ("base", "month"))
    with unit_of_work():
        db.session.execute(delete(S).where(S.month.in_(keys)))
        db.session.execute(delete(ReportSummaryMonth).where(ReportSummaryMonth.month.in_(keys)))
        statements = metrics._metric_statements(f, windows)
        for name in SUMMED_METRICS:
            facts, measures = statements[name]
            stmt = (select(facts.c.base_id, facts.c.month, literal(name), *measures.values())
                    .group_by(facts.c.base_id, facts.c.month))
            db.session.execute(insert(S).from_select(["base_id", "month", "metric", *measures], stmt))
        # One row per base and month: a dashboard sums a province's year in a few thousand rows, not forty.
        folded = (select(S.base_id, S.month, literal(OVERVIEW), *[func.sum(getattr(S, m)) for m in OVERVIEW_MEASURES])
                  .where(S.month.in_(keys), S.metric.in_(SUMMED_METRICS)).group_by(S.base_id, S.month))
        db.session.execute(insert(S).from_select(["base_id", "month", "metric", *OVERVIEW_MEASURES], folded))
        db.session.execute(delete(S).where(S.month.in_(keys), S.metric.in_(SUMMED_METRICS)))
        claims = metrics._claims_filed_facts(f, windows).c
        stmt = (select(claims.base_id, claims.month, literal(CLAIMS_FILED), claims.kind, claims.status,
                       func.count(), func.coalesce(func.sum(claims.amount), 0))
                .group_by(claims.base_id, claims.month, claims.kind, claims.status))
        db.session.execute(insert(S).from_select(
            ["base_id", "month", "metric", "claim_kind", "claim_status", "claims_filed", "claims_filed_amount"], stmt))
        built_at = utcnow()
        db.session.add_all([ReportSummaryMonth(month=key, summarized_until=end, built_at=built_at)
                            for key, _start, end in windows])
        # (the drivers do not all report an INSERT … SELECT's row count: counted)
        return db.session.scalar(select(func.count()).select_from(S).where(S.month.in_(keys)))


# ---------------------------------------------------------------- reading: summarized months + live days


def split(f: ReportFilter) -> tuple[list[str], list[tuple[str, date, date]], datetime | None]:
    """(summarized month keys, live windows, as-of time) of a filter's period. A month window that starts on
    the month's first day is read from the summaries up to their `summarized_until` when it reaches that
    far, and live from there to its end (today, for this month); every other window (a partial month at
    the period's edges, a month not built) is live."""
    windows = metrics.month_windows(replace(f, group_by=("month",)))
    whole = [key for key, start, _end in windows if start.day == 1]
    built = {row.month: row for row in db.session.execute(
        select(ReportSummaryMonth.month, ReportSummaryMonth.summarized_until, ReportSummaryMonth.built_at)
        .where(ReportSummaryMonth.month.in_(whole)))} if whole else {}
    summarized, live, times = [], [], []
    for key, start, end in windows:
        row = built.get(key)
        if start.day == 1 and row is not None and row.summarized_until <= end:
            summarized.append(key)
            times.append(row.built_at)
            if row.summarized_until < end:
                live.append((key, row.summarized_until, end))
        else:
            live.append((key, start, end))
    return summarized, live, (min(times) if times else None)


def _summed(f: ReportFilter, months: list[str], dims: tuple[str, ...], measures=OVERVIEW_MEASURES,
            metric: str = OVERVIEW, extra=()) -> list[dict]:
    """The summaries of `months` at the filter's bases, summed by `dims` (and `extra` columns)."""
    from base_ops.org.models import Base

    if not months:
        return []
    S = ReportSummary
    columns = {"base": S.base_id, "month": S.month, "region": metrics.region_key(Base.region_code, f.child_level)}
    group = [columns[d].label(d) for d in dims] + list(extra)
    stmt = (select(*group, *[func.coalesce(func.sum(getattr(S, m)), 0).label(m) for m in measures])
            .join(Base, Base.id == S.base_id)
            .where(S.month.in_(months), S.base_id.in_(bases_in(f)), S.metric == metric))
    if group:
        stmt = stmt.group_by(*[columns[d] for d in dims], *extra)
    return [{k: _number(k, v) for k, v in row._mapping.items()} for row in db.session.execute(stmt)]


def _number(key: str, value):
    if key in SUMMARY_AMOUNTS:
        return Decimal(str(value or 0))
    if key in SUMMARY_COUNTS:
        return int(value or 0)
    return value


def _add(total: dict, row: dict) -> None:
    for key, value in row.items():
        total[key] = value if total.get(key) is None else total[key] + (value or 0)


def overview(f: ReportFilter) -> tuple[metrics.Report, datetime | None]:
    """metrics.overview(f) with closed months from the summaries: (the same Report, as-of time or None)."""
    months, live, as_of = split(f)
    if not months:
        return metrics.overview(f), None
    dims = f.group_by
    merged: dict[tuple, dict] = {}
    totals: dict = {}
    grouped = _summed(f, months, dims)
    metrics.merge_rows(merged, dims, grouped)
    for row in grouped:  # every base is in one group: the total of additive measures is the groups' sum
        _add(totals, {k: v for k, v in row.items() if k not in dims})
    statements = []
    if live:
        live_statements = metrics._metric_statements(replace(f, group_by=dims), live)
        statements = [live_statements[name] for name in SUMMED_METRICS]
    whole = metrics.month_windows(f)  # distinct people and the county's handover: over the whole period, live
    served = metrics._served_facts(f, whole)
    statements.append((served, metrics._served_measures(served)))
    # Follow-up figures are not summarized yet: both statements run live over the whole period (the people
    # under support are distinct people, and the dues follow the contacts recorded any day).
    statements.extend(metrics._follow_up_statements(f, whole).values())
    for facts, measures in statements:
        group_rows, total_row = metrics._grouped_and_total(f, facts, measures)
        metrics.merge_rows(merged, dims, group_rows)
        _add(totals, total_row)
    if f.region_code:
        facts, measures = metrics.handover_statement(f, whole)
        if "base" in dims:
            (total_row,) = metrics._grouped(f, facts, measures, dims=())
        else:
            group_rows, total_row = metrics._grouped_and_total(f, facts, measures)
            metrics.merge_rows(merged, dims, group_rows)
        _add(totals, total_row)
    return metrics.overview_report(f, merged, totals), as_of


def by_month(f: ReportFilter, names=("occupancy", "leavers")) -> dict[str, dict]:
    """month key → the measures of the `names` metrics in that month, summarized months from the summaries."""
    by_month_filter = replace(f, group_by=("month",))
    months, live, _as_of = split(by_month_filter)
    rows = {row["month"]: row for row in _summed(by_month_filter, months, ("month",))}
    if live:
        statements = metrics._metric_statements(by_month_filter, live)
        for name in names:
            facts, measures = statements[name]
            for row in metrics._grouped(by_month_filter, facts, measures):  # today's, added to the month's
                _add(rows.setdefault(row["month"], {}), {k: v for k, v in row.items() if k != "month"})
    return rows


def claims_filed(f: ReportFilter) -> list[dict]:
    """Claims filed in the period by kind and current status: [{kind, status, claims, amount}] (the part of
    metrics.subsidy_summary the dashboard's claims tables use), closed months from the summaries."""
    months, live, _as_of = split(f)
    S = ReportSummary
    rows = [{"kind": r["claim_kind"], "status": r["claim_status"], "claims": r["claims_filed"],
             "amount": r["claims_filed_amount"]}
            for r in _summed(f, months, (), measures=("claims_filed", "claims_filed_amount"),
                             metric=CLAIMS_FILED, extra=(S.claim_kind, S.claim_status))]
    if live:
        c = metrics._claims_filed_facts(f, live).c
        stmt = (select(c.kind, c.status, func.count().label("claims"),
                       func.coalesce(func.sum(c.amount), 0).label("amount")).group_by(c.kind, c.status))
        rows += [{"kind": str(getattr(r.kind, "value", r.kind)), "status": str(getattr(r.status, "value", r.status)),
                  "claims": int(r.claims), "amount": Decimal(str(r.amount or 0))}
                 for r in db.session.execute(stmt)]
    return rows

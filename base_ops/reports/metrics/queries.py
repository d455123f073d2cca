"""The rates of docs/domain.md "Rates and reports", each computed by one aggregate statement.

Every metric is built the same way: a *facts* subquery with one row per thing
counted (a bed's service period or a bed assignment cut to a month window, a
leaver, a stay served, a placement reaching an age, an enrolment, a notice, a
claim), carrying the grouping columns `base_id`, `region_key` and `month`; and
an outer GROUP BY over the requested dimensions summing the facts' measures.
Nights are counted by date arithmetic on `[from, to)` intervals (core.sqldates),
never by looping over days or people, and the same SQL runs on SQLite and
PostgreSQL.

Periods are cut at tonight: nights that have not happened yet are neither
available nor occupied, so the current month's rate is the rate so far.

Rates are never averaged: rows carry counts, a rate is numerator ÷ denominator
of its own row (figures.derive), and a total or a region is made by summing the
counts (figures.sum_counts). Counts of distinct people (residents served) do
not add across months, so their totals come from their own statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, and_, case, cast, func, literal, null, or_, select, tuple_, union_all

from base_ops.core import clock
from base_ops.core.sqldates import add_months, days_between, greatest_date, least_date
from base_ops.extensions import db
from base_ops.reports.metrics import figures as F
from base_ops.reports.metrics.filters import ReportFilter, bases_in
from base_ops.reports.metrics.periods import next_month

# ---------------------------------------------------------------- results


@dataclass
class ReportRow:
    key: str
    dims: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        parts = [self.dims.get("region_name"), self.dims.get("base_name"), self.dims.get("month")]
        return " · ".join(str(p) for p in parts if p) or "—"


@dataclass
class Report:
    name: str
    figures: list[F.Figure]
    filter: ReportFilter
    rows: list[ReportRow]
    total: ReportRow

    def as_dict(self) -> dict:
        """docs/api.md "Reports" body: rows (key, grouping values, figures) and the total."""
        def one(row: ReportRow) -> dict:
            return {"key": row.key, **row.dims, **{f.key: row.values.get(f.key) for f in self.figures}}
        return {"rows": [one(row) for row in self.rows], "total": one(self.total)}


# ---------------------------------------------------------------- periods and grouping


def tonight() -> date:
    """The end (exclusive) of the nights that have happened: tomorrow's date."""
    return clock.today() + timedelta(days=1)


def month_windows(f: ReportFilter) -> list[tuple[str | None, date, date]]:
    """[(month key, start, end)] cutting the period at month boundaries and at tonight.

    Without month grouping the whole period is one window (key None)."""
    end = min(f.end, tonight())
    if end <= f.start:
        return []
    if "month" not in f.group_by:
        return [(None, f.start, end)]
    windows, cursor = [], f.start
    while cursor < end:
        following = next_month(cursor)
        windows.append((cursor.strftime("%Y-%m"), cursor, min(following, end)))
        cursor = following
    return windows


def _windows_subquery(windows):
    """The month windows as a small derived table (UNION ALL of literals: VALUES with column names
    is not portable to SQLite)."""
    selects = [select(literal(key or "", db.String).label("month"), literal(start, Date).label("w_start"),
                      literal(end, Date).label("w_end")) for key, start, end in windows]
    return (selects[0] if len(selects) == 1 else union_all(*selects)).subquery("windows")


def region_key(region_code_column, level: str):
    """The region a county code rolls up to at `level` (GB/T 2260: PPCCDD)."""
    if level == "province":
        return func.substr(region_code_column, 1, 2) + "0000"
    if level == "city":
        return func.substr(region_code_column, 1, 4) + "00"
    return region_code_column


def _in_scope(f: ReportFilter, base_id_column):
    return base_id_column.in_(bases_in(f))


def _grouped(f: ReportFilter, facts, measures: dict, dims: tuple[str, ...] | None = None) -> list[dict]:
    """SELECT dims, measures FROM facts GROUP BY dims → list of plain dicts."""
    dims = f.group_by if dims is None else dims
    columns = {"base": facts.c.base_id, "month": facts.c.month, "region": facts.c.region_key}
    group = [columns[d].label(d) for d in dims]
    stmt = select(*group, *[m.label(k) for k, m in measures.items()]).select_from(facts)
    if group:
        stmt = stmt.group_by(*[columns[d] for d in dims])
    return [dict(row._mapping) for row in db.session.execute(stmt)]


def _grouped_and_total(f: ReportFilter, facts, measures: dict) -> tuple[list[dict], dict]:
    """_grouped by the filter's dims, and the total over the same facts (distinct people do not add up
    across rows, so the total is counted, not summed). PostgreSQL: one statement with GROUPING SETS,
    reading the facts once (a province's dashboard read each metric's facts twice); SQLite: two."""
    dims = f.group_by
    if not dims or db.engine.dialect.name != "postgresql":
        groups = _grouped(f, facts, measures) if dims else []
        (total,) = _grouped(f, facts, measures, dims=())
        return groups, total
    columns = {"base": facts.c.base_id, "month": facts.c.month, "region": facts.c.region_key}
    group = [columns[d] for d in dims]
    stmt = (select(*[columns[d].label(d) for d in dims], *[m.label(k) for k, m in measures.items()],
                   func.grouping(*group).label("is_total"))
            .select_from(facts).group_by(func.grouping_sets(tuple_(*group), tuple_())))
    raw = [dict(row._mapping) for row in db.session.execute(stmt)]
    total = next(r for r in raw if r["is_total"])  # GROUPING(...) is non-zero on the grand total only
    groups = [r for r in raw if not r["is_total"]]
    for r in raw:
        del r["is_total"]
    return groups, total


def _rows(f: ReportFilter, raw: list[dict], figures: list[F.Figure]) -> list[ReportRow]:
    """Raw grouped dicts → ReportRows with labels, ordered by region, base name, month."""
    from base_ops.org.models import Base, Region

    base_ids = {r["base"] for r in raw if r.get("base") is not None}
    region_codes = {r["region"] for r in raw if r.get("region") is not None}
    base_names = dict(db.session.execute(select(Base.id, Base.name).where(Base.id.in_(base_ids))).all()) \
        if base_ids else {}
    region_names = dict(db.session.execute(select(Region.code, Region.name).where(Region.code.in_(region_codes)))
                        .all()) if region_codes else {}
    rows = []
    for r in raw:
        dims: dict = {}
        key_parts = []
        if "region" in f.group_by:
            dims.update(region_code=r["region"], region_name=region_names.get(r["region"], r["region"]))
            key_parts.append(str(r["region"]))
        if "base" in f.group_by:
            dims.update(base_id=r["base"], base_name=base_names.get(r["base"], str(r["base"])))
            key_parts.append(str(r["base"]))
        if "month" in f.group_by:
            dims.update(month=r["month"])
            key_parts.append(str(r["month"]))
        values = {fig.key: _plain(r.get(fig.key), fig.kind) for fig in figures if not fig.is_derived and fig.key in r}
        rows.append(ReportRow("/".join(key_parts), dims, F.derive(values, figures)))
    rows.sort(key=lambda row: (row.dims.get("region_code") or "", row.dims.get("base_name") or "",
                               row.dims.get("month") or ""))
    return rows


def _plain(value, kind: str = "count"):
    """Database numbers → int for counts, a "0.00" string for money (docs/api.md: money as decimal strings)."""
    if kind == "money":
        return str(Decimal(str(value or 0)).quantize(Decimal("0.01")))
    return int(value or 0)


def _total(rows: list[ReportRow], figures: list[F.Figure]) -> ReportRow:
    return ReportRow("total", {}, F.sum_counts([row.values for row in rows], figures))


def _sum(column):
    return func.coalesce(func.sum(column), 0)


def _one_if(condition):
    return case((condition, 1), else_=0)


def _fact_columns(f: ReportFilter, base_id_column, region_code_column, month_column):
    return [base_id_column.label("base_id"), region_key(region_code_column, f.child_level).label("region_key"),
            month_column.label("month")]


# ---------------------------------------------------------------- occupancy


def _occupancy_facts(f: ReportFilter, windows):
    """Available and occupied bed-nights of each bed period cut to each window, one UNION ALL."""
    from base_ops.beds.models import BedAssignment
    from base_ops.org.models import Base, Bed, BedServicePeriod, Room

    w = _windows_subquery(windows)
    period_end = windows[-1][2]  # the whole period first (an index range), then its month windows

    def nights(start_col, end_col):
        return days_between(greatest_date(start_col, w.c.w_start), least_date(func.coalesce(end_col, w.c.w_end),
                                                                             w.c.w_end))

    def part(model, available: bool):
        n = nights(model.start_on, model.end_on)
        return (select(*_fact_columns(f, Base.id, Base.region_code, w.c.month),
                       (n if available else literal(0)).label("available"),
                       (literal(0) if available else n).label("occupied"))
                .select_from(model).join(Bed, Bed.id == model.bed_id).join(Room, Room.id == Bed.room_id)
                .join(Base, Base.id == Room.base_id)
                .join(w, and_(model.start_on < w.c.w_end, or_(model.end_on.is_(None), model.end_on > w.c.w_start)))
                .where(_in_scope(f, Base.id), model.start_on < period_end,
                       or_(model.end_on.is_(None), model.end_on > f.start)))

    return union_all(part(BedServicePeriod, True), part(BedAssignment, False)).subquery("facts")


def occupancy(f: ReportFilter) -> Report:
    """入住率 = occupied bed-nights ÷ available bed-nights (docs/domain.md), by the filter's dimensions."""
    windows = month_windows(f)
    rows: list[ReportRow] = []
    if windows:
        facts = _occupancy_facts(f, windows)
        raw = _grouped(f, facts, {"bed_nights_available": _sum(facts.c.available),
                                  "bed_nights_occupied": _sum(facts.c.occupied)})
        rows = _rows(f, raw, F.OCCUPANCY)
    return Report("occupancy", F.OCCUPANCY, f, rows, _total(rows, F.OCCUPANCY))


# ---------------------------------------------------------------- leavers: placement rate, reoffence, stay


PLACEMENT_REPORT = [*F.PLACEMENTS, *F.LENGTH_OF_STAY]
# The sheet's header is the label: a word, not the key (issue 17: "median" in a Chinese sheet).
MEDIAN = F.Figure("median_stay_days", _l("Median length of stay (days)"), "days")


def _leaver_facts(f: ReportFilter, windows, with_ranks: bool = True):
    """One row per stay ended in a window, with its days and (with_ranks) its rank in its group and overall,
    from which the medians are picked on databases without an ordered-set aggregate (SQLite)."""
    from base_ops.intake.models import EXCLUDED_FROM_PLACEMENT_RATE, Destination, Stay
    from base_ops.org.models import Base

    w = _windows_subquery(windows)
    days = days_between(Stay.admitted_on, Stay.discharged_on)
    facts = _fact_columns(f, Stay.base_id, Base.region_code, w.c.month)
    partition = {"base": Stay.base_id, "region": region_key(Base.region_code, f.child_level), "month": w.c.month}
    group = [partition[d] for d in f.group_by]
    excluded = [d.value for d in EXCLUDED_FROM_PLACEMENT_RATE]
    ranks = [func.row_number().over(partition_by=group or None, order_by=days).label("rank_in_group"),
             func.count().over(partition_by=group or None).label("size_of_group"),
             func.row_number().over(order_by=days).label("rank_overall"),
             func.count().over().label("size_overall")] if with_ranks else []
    return (select(*facts, days.label("days"),
                   _one_if(Stay.destination.not_in(excluded)).label("counted"),
                   _one_if(Stay.destination == Destination.EMPLOYED).label("employed"),
                   _one_if(Stay.destination == Destination.REOFFENDED).label("reoffended"),
                   *ranks)
            .select_from(Stay).join(Base, Base.id == Stay.base_id)
            .join(w, and_(Stay.discharged_on >= w.c.w_start, Stay.discharged_on < w.c.w_end))
            .where(_in_scope(f, Stay.base_id)).subquery("facts"))


def _middle(rank, size):
    """The one or two middle ranks of a sorted group (integer division on both databases)."""
    return or_(rank == (size + 1) // 2, rank == (size + 2) // 2)


def placements(f: ReportFilter) -> Report:
    """就业安置率 = leavers employed ÷ leavers not excluded; reoffence; length of stay (mean, median, buckets)."""
    windows = month_windows(f)
    figures = [*PLACEMENT_REPORT, MEDIAN]
    if not windows:
        total = _total([], PLACEMENT_REPORT)
        total.values["median_stay_days"] = None
        return Report("placements", figures, f, [], total)
    if db.engine.dialect.name == "postgresql":
        rows, total = _placements_by_percentile(f, windows)
    else:
        rows, total = _placements_by_ranks(f, windows)
    return Report("placements", figures, f, rows, total)


def _leaver_measures(c) -> dict:
    measures = {"leavers": func.count(), "leavers_counted": _sum(c.counted), "leavers_employed": _sum(c.employed),
                "reoffended": _sum(c.reoffended), "stay_days_total": _sum(c.days)}
    for key, _label, low, high in F.STAY_BUCKETS:
        condition = and_(*([c.days >= low] if low is not None else []), *([c.days <= high] if high else []))
        measures[key] = _sum(_one_if(condition))
    return measures


def _placements_by_percentile(f: ReportFilter, windows) -> tuple[list[ReportRow], ReportRow]:
    """PostgreSQL: medians by percentile_cont, the groups and the total in one GROUPING SETS statement."""
    facts = _leaver_facts(f, windows, with_ranks=False)
    c = facts.c
    columns = {"base": c.base_id, "month": c.month, "region": c.region_key}
    group = [columns[d] for d in f.group_by]
    measures = {**_leaver_measures(c), "median": func.percentile_cont(0.5).within_group(c.days),
                # 1 on the grand-total row of the grouping sets; without dimensions the one row is both
                "is_total": func.grouping(*group) if group else literal(0)}
    stmt = select(*[columns[d].label(d) for d in f.group_by], *[m.label(k) for k, m in measures.items()])
    stmt = stmt.select_from(facts)
    if group:
        stmt = stmt.group_by(func.grouping_sets(tuple_(*group), tuple_()))
    raw = [dict(row._mapping) for row in db.session.execute(stmt)]
    group_raw = [r for r in raw if not r["is_total"]]
    total_raw = next((r for r in raw if r["is_total"]), group_raw[0] if group_raw else {"median": None})
    rows = _rows(f, group_raw, PLACEMENT_REPORT)
    medians = {"/".join(str(r[d]) for d in _key_order(f)): r["median"] for r in group_raw}
    for row in rows:
        row.values["median_stay_days"] = _one_decimal(medians[row.key])
    total = _total(rows, PLACEMENT_REPORT)
    total.values["median_stay_days"] = _one_decimal(total_raw["median"])
    return rows, total


def _one_decimal(value) -> float | None:
    return None if value is None else round(float(value), 1)


def _placements_by_ranks(f: ReportFilter, windows) -> tuple[list[ReportRow], ReportRow]:
    """SQLite: medians from window-function ranks; a group's median and its share of the overall median."""
    facts = _leaver_facts(f, windows)
    c = facts.c
    measures = {
        **_leaver_measures(c),
        "median_group_sum": _sum(case((_middle(c.rank_in_group, c.size_of_group), c.days), else_=0)),
        "median_group_n": _sum(_one_if(_middle(c.rank_in_group, c.size_of_group))),
        "median_all_sum": _sum(case((_middle(c.rank_overall, c.size_overall), c.days), else_=0)),
        "median_all_n": _sum(_one_if(_middle(c.rank_overall, c.size_overall))),
    }
    raw = _grouped(f, facts, measures)
    rows = _rows(f, raw, PLACEMENT_REPORT)
    for r, row in zip(_sorted_like(f, raw, rows), rows, strict=True):
        row_n = int(r["median_group_n"] or 0)
        row.values["median_stay_days"] = round(float(r["median_group_sum"]) / row_n, 1) if row_n else None
    total = _total(rows, PLACEMENT_REPORT)
    all_n = sum(int(r["median_all_n"] or 0) for r in raw)
    total.values["median_stay_days"] = (round(sum(float(r["median_all_sum"] or 0) for r in raw) / all_n, 1)
                                        if all_n else None)
    return rows, total


def _sorted_like(f: ReportFilter, raw: list[dict], rows: list[ReportRow]) -> list[dict]:
    """The raw dicts in the order of the sorted rows (matched by key)."""
    by_key = {"/".join(str(r[d]) for d in _key_order(f)): r for r in raw}
    return [by_key[row.key] for row in rows]


def _key_order(f: ReportFilter) -> list[str]:
    return [d for d in ("region", "base", "month") if d in f.group_by]


# ---------------------------------------------------------------- residents served and placed in their stay


def _served_facts(f: ReportFilter, windows):
    """Stays served in a window (resident, admitted in it), and — a second part of the UNION ALL — the same
    stays joined to a placement started during the stay and before the window's end (placed resident). The
    join reads the placements once (a hash join) where a correlated EXISTS probed them once per stay; the
    distinct counts ignore the NULLs each part leaves in the other's column."""
    from base_ops.intake.models import Stay
    from base_ops.org.models import Base
    from base_ops.placements.models import Placement

    w = _windows_subquery(windows)

    def served(*columns):
        return (select(*_fact_columns(f, Stay.base_id, Base.region_code, w.c.month), *columns)
                .select_from(Stay).join(Base, Base.id == Stay.base_id)
                .join(w, and_(Stay.admitted_on < w.c.w_end,
                              or_(Stay.discharged_on.is_(None), Stay.discharged_on > w.c.w_start)))
                .where(_in_scope(f, Stay.base_id)))

    stays = served(Stay.resident_id.label("resident_id"), null().label("placed_resident_id"),
                   _one_if(and_(Stay.admitted_on >= w.c.w_start, Stay.admitted_on < w.c.w_end)).label("admitted"))
    placed = served(null().label("resident_id"), Stay.resident_id.label("placed_resident_id"),
                    literal(0).label("admitted")).join(Placement, and_(
        Placement.resident_id == Stay.resident_id, Placement.is_cancelled.is_(False),
        Placement.started_on >= Stay.admitted_on, Placement.started_on < w.c.w_end,
        or_(Stay.discharged_on.is_(None), Placement.started_on <= Stay.discharged_on)))
    return union_all(stays, placed).subquery("facts")


def _served_measures(facts):
    return {"admissions": _sum(facts.c.admitted), "served": func.count(func.distinct(facts.c.resident_id)),
            "served_placed": func.count(func.distinct(facts.c.placed_resident_id))}


# ---------------------------------------------------------------- retention at 3 and 6 months


def _retention_facts(f: ReportFilter, windows, months: int):
    """Placements whose `months` anniversary falls in a window: reached, and still employed then."""
    from base_ops.org.models import Base
    from base_ops.placements.models import Placement, Referral

    w = _windows_subquery(windows)
    anniversary = add_months(Placement.started_on, months)
    return (select(*_fact_columns(f, Referral.base_id, Base.region_code, w.c.month),
                   _one_if(or_(Placement.ended_on.is_(None), Placement.ended_on >= anniversary)).label("employed"))
            .select_from(Placement).join(Referral, Referral.id == Placement.referral_id)
            .join(Base, Base.id == Referral.base_id)
            .join(w, and_(anniversary >= w.c.w_start, anniversary < w.c.w_end))
            .where(Placement.is_cancelled.is_(False), _in_scope(f, Referral.base_id)).subquery("facts"))


# ---------------------------------------------------------------- training


def _training_facts(f: ReportFilter, windows):
    """Enrolments in courses that ended in a window, with attendance counts and completion (training.queries)."""
    from base_ops.org.models import Base
    from base_ops.training import queries as training_queries
    from base_ops.training.models import Course, Enrolment

    w = _windows_subquery(windows)
    # Only the courses that end in the period: attendance is counted for them alone (training.queries).
    courses = select(Course.id).where(Course.ends_on >= windows[0][1], Course.ends_on < windows[-1][2],
                                      _in_scope(f, Course.base_id))
    held, marks, _held_n, attended, _excused, denominator, completed = training_queries.progress_columns(
        clock.today(), course_ids=courses)
    stmt = training_queries.join_progress(
        select(*_fact_columns(f, Course.base_id, Base.region_code, w.c.month),
               _one_if(completed).label("completed"), attended.label("attended"),
               case((denominator > 0, denominator), else_=0).label("expected"))
        .select_from(Enrolment), held, marks)
    return (stmt.join(Base, Base.id == Course.base_id)
            .join(w, and_(Course.ends_on >= w.c.w_start, Course.ends_on < w.c.w_end))
            .where(_in_scope(f, Course.base_id)).subquery("facts"))


# ---------------------------------------------------------------- handover (notices are the county's, not a base's)


def _handover_facts(f: ReportFilter, windows):
    """Notices received, receipts due and sent on time, key subjects released and collected, by window."""
    from base_ops.intake.models import ReleaseNotice as N

    w = _windows_subquery(windows)

    def between(column):
        return and_(column >= w.c.w_start, column < w.c.w_end)

    scope = [N.receiving_region_code.startswith(f.region_prefix, autoescape=True)] if f.region_prefix else []
    return (select(null().label("base_id"), region_key(N.receiving_region_code, f.child_level).label("region_key"),
                   w.c.month.label("month"),
                   _one_if(between(N.received_on)).label("received"),
                   _one_if(between(N.feedback_due_on)).label("due"),
                   _one_if(and_(between(N.feedback_due_on), N.feedback_sent_on.is_not(None),
                                N.feedback_sent_on <= N.feedback_due_on)).label("on_time"),
                   _one_if(and_(N.is_key_subject.is_(True), between(N.expected_release_on))).label("key_released"),
                   _one_if(and_(N.is_key_subject.is_(True), between(N.expected_release_on),
                                N.collected_on.is_not(None))).label("key_collected"))
            .select_from(N).join(w, or_(between(N.received_on), between(N.feedback_due_on),
                                        between(N.expected_release_on)))
            .where(*scope).subquery("facts"))


# ---------------------------------------------------------------- subsidies


BEIJING_OFFSET = timedelta(hours=8)


def beijing_date(utc_column):
    """The calendar day in Beijing (UTC+8, no daylight saving) of a UTC timestamp column.

    SQLite keeps naive UTC text, so the offset is added; PostgreSQL converts the zone."""
    if db.engine.dialect.name == "sqlite":
        return func.date(utc_column, "+8 hours", type_=Date)
    return cast(func.timezone("Asia/Shanghai", utc_column), Date)


def _utc_range(column, windows):
    """The UTC instants of the windows' Beijing days (UTC+8 all year, as beijing_date): [start − 8 h, end − 8 h).
    It changes no result — the windows' join on beijing_date decides — but lets an index on the timestamp read
    only the period's rows, and the planner see how few they are (today's claim moves, not three years')."""
    start = datetime.combine(windows[0][1], time(), tzinfo=UTC) - BEIJING_OFFSET
    end = datetime.combine(windows[-1][2], time(), tzinfo=UTC) - BEIJING_OFFSET
    return and_(column >= start, column < end)


def _claims_filed_facts(f: ReportFilter, windows):
    """One row per claim filed in a window (by its Beijing day) at the filter's bases: its enterprise, kind,
    current status and amount."""
    from base_ops.enterprises.models import Enterprise
    from base_ops.org.models import Base
    from base_ops.subsidies.models import Claim

    w = _windows_subquery(windows)
    filed_on = beijing_date(Claim.created_at)
    return (select(*_fact_columns(f, Claim.base_id, Base.region_code, w.c.month),
                   Enterprise.name.label("enterprise"), Claim.kind.label("kind"), Claim.status.label("status"),
                   Claim.amount.label("amount"))
            .select_from(Claim).outerjoin(Enterprise, Enterprise.id == Claim.enterprise_id)
            .join(Base, Base.id == Claim.base_id)
            .join(w, and_(filed_on >= w.c.w_start, filed_on < w.c.w_end))
            .where(_utc_range(Claim.created_at, windows), _in_scope(f, Claim.base_id)).subquery("facts"))


def subsidy_summary(f: ReportFilter) -> list[dict]:
    """Claims filed in the period at the filter's bases: count and sum by enterprise, kind and current
    status (and month when grouped by month) — docs/domain.md "Subsidy figures": count and sum by kind and status,
    by enterprise and month. One aggregate statement."""
    windows = month_windows(f)
    if not windows:
        return []
    c = _claims_filed_facts(f, windows).c
    stmt = (select(c.enterprise, c.month, c.kind, c.status,
                   func.count().label("claims"), func.coalesce(func.sum(c.amount), 0).label("amount"))
            .group_by(c.enterprise, c.month, c.kind, c.status)
            .order_by(c.enterprise, c.month, c.kind, c.status))
    return [{"enterprise": row.enterprise, "month": row.month or None,
             "kind": str(getattr(row.kind, "value", row.kind)), "status": str(getattr(row.status, "value", row.status)),
             "claims": int(row.claims), "amount": _plain(row.amount, "money")}
            for row in db.session.execute(stmt)]


def _subsidy_facts(f: ReportFilter, windows):
    """Claims approved, and claims paid, in each window (by the date of that move in Beijing time)."""
    from base_ops.org.models import Base
    from base_ops.subsidies.models import Claim, ClaimEvent, ClaimStatus

    w = _windows_subquery(windows)
    moved_on = beijing_date(ClaimEvent.at)
    approved = ClaimEvent.to_status == ClaimStatus.APPROVED.value
    paid = ClaimEvent.to_status == ClaimStatus.PAID.value
    return (select(*_fact_columns(f, Claim.base_id, Base.region_code, w.c.month),
                   _one_if(approved).label("approved"),
                   case((approved, Claim.amount), else_=0).label("approved_amount"),
                   _one_if(paid).label("paid"), case((paid, Claim.amount), else_=0).label("paid_amount"))
            .select_from(ClaimEvent).join(Claim, Claim.id == ClaimEvent.claim_id)
            .join(Base, Base.id == Claim.base_id)
            .join(w, and_(moved_on >= w.c.w_start, moved_on < w.c.w_end))
            .where(or_(approved, paid), _utc_range(ClaimEvent.at, windows), _in_scope(f, Claim.base_id))
            .subquery("facts"))


# ---------------------------------------------------------------- follow-up after discharge


def _follow_up_facts(f: ReportFilter, windows):
    """Follow-up dues falling due in a window (not cancelled), and whether a contact closed them; by the base
    of the stay the schedule belongs to (docs/domain.md "Follow-up after discharge")."""
    from base_ops.followup.models import FollowUpDue
    from base_ops.intake.models import Stay
    from base_ops.org.models import Base

    w = _windows_subquery(windows)
    return (select(*_fact_columns(f, Stay.base_id, Base.region_code, w.c.month),
                   _one_if(FollowUpDue.done_follow_up_id.is_not(None)).label("done"))
            .select_from(FollowUpDue).join(Stay, Stay.id == FollowUpDue.stay_id).join(Base, Base.id == Stay.base_id)
            .join(w, and_(FollowUpDue.due_on >= w.c.w_start, FollowUpDue.due_on < w.c.w_end))
            .where(FollowUpDue.cancelled_on.is_(None), _in_scope(f, Stay.base_id)).subquery("facts"))


def _support_facts(f: ReportFilter, windows):
    """People under follow-up whose support period (discharge to the end of the period, the last due's
    closes_on, exclusive) overlaps a window, and whether they reoffended within it in that window
    (docs/domain.md "Rates and reports": reoffence within the support period)."""
    from base_ops.followup.models import FollowUpDue
    from base_ops.intake.models import Stay
    from base_ops.org.models import Base
    from base_ops.residents.models import Resident

    w = _windows_subquery(windows)
    schedules = (select(FollowUpDue.stay_id, func.max(FollowUpDue.closes_on).label("support_end"))
                 .group_by(FollowUpDue.stay_id).subquery("schedules"))
    reoffended = and_(Resident.reoffended_on >= w.c.w_start, Resident.reoffended_on < w.c.w_end,
                      Resident.reoffended_on >= Stay.discharged_on, Resident.reoffended_on < schedules.c.support_end)
    return (select(*_fact_columns(f, Stay.base_id, Base.region_code, w.c.month), Stay.resident_id,
                   case((reoffended, Stay.resident_id), else_=null()).label("reoffended_resident_id"))
            .select_from(schedules).join(Stay, Stay.id == schedules.c.stay_id)
            .join(Resident, Resident.id == Stay.resident_id).join(Base, Base.id == Stay.base_id)
            .join(w, and_(Stay.discharged_on < w.c.w_end, schedules.c.support_end > w.c.w_start))
            .where(_in_scope(f, Stay.base_id)).subquery("facts"))


def follow_up(f: ReportFilter) -> Report:
    """帮教回访率 = dues done ÷ dues due in the period; reoffence within the support period (distinct people)."""
    windows = month_windows(f)
    rows: list[ReportRow] = []
    total = _total([], F.FOLLOW_UP)
    if windows:
        merged: dict[tuple, dict] = {}
        totals: dict = {}
        for facts, measures in _follow_up_statements(f, windows).values():
            group_rows, total_row = _grouped_and_total(f, facts, measures)
            for r in group_rows:
                key = tuple(r[d] for d in f.group_by)
                merged.setdefault(key, {d: r[d] for d in f.group_by}).update(
                    {k: v for k, v in r.items() if k not in f.group_by})
            totals.update(total_row)
        rows = _rows(f, list(merged.values()), F.FOLLOW_UP)
        for row in rows:
            for figure in F.FOLLOW_UP:
                row.values.setdefault(figure.key, None if figure.is_derived else 0)
            F.derive(row.values, F.FOLLOW_UP)
        total = ReportRow("total", {}, F.derive({figure.key: _plain(totals.get(figure.key)) for figure in F.FOLLOW_UP
                                                 if not figure.is_derived}, F.FOLLOW_UP))
    return Report("follow_up", F.FOLLOW_UP, f, rows, total)


def _follow_up_statements(f: ReportFilter, windows) -> dict[str, tuple[object, dict]]:
    dues = _follow_up_facts(f, windows)
    support = _support_facts(f, windows)
    return {"follow_ups": (dues, {"follow_ups_due": func.count(), "follow_ups_done": _sum(dues.c.done)}),
            "support": (support, {"under_support": func.count(func.distinct(support.c.resident_id)),
                                  "reoffended_in_support": func.count(func.distinct(
                                      support.c.reoffended_resident_id))})}


# ---------------------------------------------------------------- point in time and the overview


def residents_on(f: ReportFilter, on: date) -> int:
    """Point-in-time count: residents with a stay covering the night of `on`."""
    from base_ops.intake.models import Stay

    return db.session.scalar(select(func.count()).select_from(Stay).where(
        Stay.admitted_on <= on, or_(Stay.discharged_on.is_(None), Stay.discharged_on > on),
        _in_scope(f, Stay.base_id))) or 0


def _metric_statements(f: ReportFilter, windows) -> dict[str, tuple[object, dict]]:
    """metric name → (facts, measures) of every metric of the overview; each is one aggregate statement.
    The monthly summaries (reports/summaries.py) are built from these same statements."""
    occupancy_facts = _occupancy_facts(f, windows)
    served = _served_facts(f, windows)
    statements = {
        "occupancy": (occupancy_facts, {"bed_nights_available": _sum(occupancy_facts.c.available),
                                        "bed_nights_occupied": _sum(occupancy_facts.c.occupied)}),
        "served": (served, _served_measures(served)),
    }
    leavers = _leaver_facts(f, windows, with_ranks=False)
    statements["leavers"] = (leavers, _leaver_measures(leavers.c))
    for months in (3, 6):
        facts = _retention_facts(f, windows, months)
        statements[f"retention_{months}"] = (facts, {f"retention_{months}_reached": func.count(),
                                                     f"retention_{months}_employed": _sum(facts.c.employed)})
    training = _training_facts(f, windows)
    statements["training"] = (training, {"enrolments": func.count(), "completions": _sum(training.c.completed),
                                         "attendance_attended": _sum(training.c.attended),
                                         "attendance_expected": _sum(training.c.expected)})
    claims = _subsidy_facts(f, windows)
    statements["claims"] = (claims, {"claims_approved": _sum(claims.c.approved),
                                     "claims_approved_amount": _sum(claims.c.approved_amount),
                                     "claims_paid": _sum(claims.c.paid),
                                     "claims_paid_amount": _sum(claims.c.paid_amount)})
    statements.update(_follow_up_statements(f, windows))
    return statements


def handover_statement(f: ReportFilter, windows) -> tuple[object, dict]:
    """(facts, measures) of the handover figures: a county's, not a base's (notices name the receiving county)."""
    handover = _handover_facts(f, windows)
    return handover, {"notices_received": _sum(handover.c.received), "receipts_due": _sum(handover.c.due),
                      "receipts_on_time": _sum(handover.c.on_time), "key_released": _sum(handover.c.key_released),
                      "key_collected": _sum(handover.c.key_collected)}


OVERVIEW = [figure for figure in F.MONTHLY if figure.key != "residents_at_end"]


def overview(f: ReportFilter) -> Report:
    """Every figure of the monthly report, by the filter's dimensions, one statement per metric.

    Handover figures belong to a county (notices name the receiving county, not a base): they are
    given for rows grouped by region or month only, and in the total of a region's report.
    """
    windows = month_windows(f)
    merged: dict[tuple, dict] = {}
    totals: dict = {}
    if windows:
        dims = f.group_by
        statements = list(_metric_statements(f, windows).values())
        if f.region_code:
            statements.append(handover_statement(f, windows))
        for index, (facts, measures) in enumerate(statements):
            is_handover = f.region_code and index == len(statements) - 1
            if is_handover and "base" in dims:
                (total_row,) = _grouped(f, facts, measures, dims=())
                group_rows = []
            else:
                group_rows, total_row = _grouped_and_total(f, facts, measures)
            merge_rows(merged, dims, group_rows)
            totals.update(total_row)
    return overview_report(f, merged, totals)


def merge_rows(merged: dict[tuple, dict], dims: tuple[str, ...], group_rows: list[dict]) -> None:
    """Put one statement's grouped rows into `merged` (grouping values → row), adding to what is there: each
    measure comes from one statement, or (reports/summaries.py) from the summaries and the live months."""
    for r in group_rows:
        row = merged.setdefault(tuple(r[d] for d in dims), {d: r[d] for d in dims})
        for key, value in r.items():
            if key not in dims:
                row[key] = value if row.get(key) is None else row[key] + (value or 0)


def overview_report(f: ReportFilter, merged: dict[tuple, dict], totals: dict) -> Report:
    """The overview Report from merged grouped rows and the totals, rates derived."""
    rows = _rows(f, list(merged.values()), OVERVIEW)
    for row in rows:
        for figure in OVERVIEW:
            row.values.setdefault(figure.key, None if figure.is_derived else _plain(0, figure.kind))
        F.derive(row.values, OVERVIEW)
    total_values = {figure.key: _plain(totals.get(figure.key), figure.kind)
                    for figure in OVERVIEW if not figure.is_derived}
    total = ReportRow("total", {}, F.derive(total_values, OVERVIEW))
    return Report("overview", OVERVIEW, f, rows, total)


def month_figures(region_code: str, month: str) -> dict:
    """Every figure of the monthly report (figures.MONTHLY) for a region and a month, JSON-safe.

    The caller has checked that the actor may report on `region_code`."""
    year, number = (int(part) for part in month.split("-"))
    start = date(year, number, 1)
    end = next_month(start)
    f = ReportFilter(start, end, region_code, None, ())
    values = dict(overview(f).total.values)
    last_night = min(end, tonight()) - timedelta(days=1)
    values["residents_at_end"] = residents_on(f, last_night) if last_night >= start else 0
    return {figure.key: values.get(figure.key) for figure in F.MONTHLY}



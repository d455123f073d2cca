"""What a dashboard shows, assembled from the metrics: key figures, the trend by month, the figures by
unit (a county's bases, a city's counties, a province's cities; one base's months) and claims by status.

Every number comes from the SQL metrics of this package; this module only chooses the grouping and
shapes the result for the page and its charts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from base_ops.core import clock
from base_ops.core.scope import region_level_of
from base_ops.reports import summaries
from base_ops.reports.metrics import figures as F
from base_ops.reports.metrics import queries as metrics
from base_ops.reports.metrics.filters import ReportFilter
from base_ops.reports.metrics.queries import Report

KEY_FIGURES = ["occupancy_rate", "placement_rate", "in_stay_placement_rate", "retention_6_rate",
               "handover_rate", "reoffence_rate", "follow_up_rate", "support_reoffence_rate", "claims_approved_amount"]
UNIT_FIGURES = ["bed_nights_occupied", "occupancy_rate", "served", "leavers", "leavers_employed", "placement_rate",
                "avg_stay_days", "retention_6_rate", "completions", "claims_approved_amount"]

# The figures of the unit table that link to the people behind them: figure → (list kind, destination).
PEOPLE_BEHIND = {"served": ("residents", None), "leavers": ("leavers", None),
                 "leavers_employed": ("leavers", "employed")}


@dataclass
class Dashboard:
    filter: ReportFilter
    unit: str  # base | region | month: what one row of the unit table is
    residents_now: int
    totals: dict
    units: Report
    trend: list[dict]
    claims: list[dict]
    claim_kinds: list[dict]
    as_of: datetime | None = None  # when the summaries of closed months were built (None: all live)

    @property
    def key_figures(self) -> list[tuple[F.Figure, str]]:
        return [(F.BY_KEY[key], F.display(F.BY_KEY[key], self.totals.get(key))) for key in KEY_FIGURES]

    @property
    def unit_figures(self) -> list[F.Figure]:
        return [F.BY_KEY[key] for key in UNIT_FIGURES]

    def people_args(self, row) -> dict:
        """The people-list filter behind one row of the unit table (its region, base or month)."""
        f = self.filter
        args = {"from": f.start.isoformat(), "to": f.end.isoformat()}
        if self.unit == "region":
            args["region_code"] = row.dims["region_code"]
        elif self.unit == "base":
            args["base_id"] = row.dims["base_id"]
        else:
            windows = {key: (start, end) for key, start, end in metrics.month_windows(replace(f, group_by=("month",)))}
            start, end = windows[row.dims["month"]]
            args.update({"from": start.isoformat(), "to": max(end, start).isoformat(), "base_id": f.base_ids[0]})
        return args

    def people_link(self, figure_key: str, row) -> dict | None:
        """The people-list arguments behind one number of the unit table, or None when no list explains it:
        residents served → the residents list, leavers → the leavers, left for a job → employed leavers."""
        if not row.values.get(figure_key):
            return None
        kind, destination = PEOPLE_BEHIND.get(figure_key, (None, None))
        if kind is None:
            return None
        return {"kind": kind, **({"destination": destination} if destination else {}), **self.people_args(row)}

    def chart_data(self) -> dict:
        """Plain numbers for the ECharts of the page (static/js/reports.js)."""
        return {
            "trend": self.trend,
            "units": [{"label": _unit_label(row, self.unit), "placement_rate": _pct(row.values.get("placement_rate")),
                       "occupancy_rate": _pct(row.values.get("occupancy_rate"))} for row in self.units.rows],
            "claims": self.claims,
        }


def unit_of(f: ReportFilter) -> str:
    """One base → its months; a county or a manager's bases → bases; a city or province → its regions."""
    if f.base_ids is not None and len(f.base_ids) == 1:
        return "month"
    if f.region_code is None or region_level_of(f.region_code) == "county":
        return "base"
    return "region"


def build(f: ReportFilter, kept_ready: bool = True) -> Dashboard:
    """The dashboard of a filter. Closed months come from the summaries kept ready (reports/summaries.py) when
    they are built, the rest from the live statements; `kept_ready=False` reads everything live (the oracle)."""
    unit = unit_of(f)
    by_month = replace(f, group_by=("month",))
    as_of = None
    if kept_ready:
        units, as_of = summaries.overview(replace(f, group_by=(unit,)))
        months = summaries.by_month(f)
        occupancy = {month: {"occupancy_rate": F.rate(v.get("bed_nights_occupied"), v.get("bed_nights_available"))}
                     for month, v in months.items()}
        placements = {month: {"placement_rate": F.rate(v.get("leavers_employed"), v.get("leavers_counted")),
                              "leavers": v.get("leavers", 0)} for month, v in months.items()}
        summary = summaries.claims_filed(replace(f, group_by=()))
    else:
        units = metrics.overview(replace(f, group_by=(unit,)))
        occupancy = {row.dims["month"]: row.values for row in metrics.occupancy(by_month).rows}
        placements = {row.dims["month"]: row.values for row in metrics.placements(by_month).rows}
        summary = metrics.subsidy_summary(replace(f, group_by=()))
    trend = [{"month": month,
              "occupancy_rate": _pct(occupancy.get(month, {}).get("occupancy_rate")),
              "placement_rate": _pct(placements.get(month, {}).get("placement_rate")),
              "leavers": placements.get(month, {}).get("leavers", 0)}
             for month, _start, _end in metrics.month_windows(by_month)]
    return Dashboard(f, unit, metrics.residents_on(f, clock.today()), units.total.values, units, trend,
                     claims_by_status(summary), claims_by_kind(summary), as_of)


def claims_by_status(summary: list[dict]) -> list[dict]:
    """Claims filed in the period by current status (from metrics.subsidy_summary), every status shown."""
    from base_ops.subsidies.vocabulary import STATUS_LABELS

    counts: dict[str, int] = {}
    amounts: dict[str, Decimal] = {}
    for row in summary:
        counts[row["status"]] = counts.get(row["status"], 0) + row["claims"]
        amounts[row["status"]] = amounts.get(row["status"], Decimal("0")) + Decimal(row["amount"])
    return [{"status": status.value, "label": str(label), "count": counts.get(status.value, 0),
             "amount": f"{amounts.get(status.value, Decimal('0')):.2f}"} for status, label in STATUS_LABELS.items()]


def claims_by_kind(summary: list[dict]) -> list[dict]:
    """Per claim kind: filed, approved or paid (count and amount), paid amount."""
    from base_ops.subsidies.vocabulary import KIND_LABELS

    done = {"approved", "paid"}
    table = []
    for kind, label in KIND_LABELS.items():
        rows = [r for r in summary if r["kind"] == kind.value]
        table.append({"kind": kind.value, "label": str(label), "filed": sum(r["claims"] for r in rows),
                      "approved": sum(r["claims"] for r in rows if r["status"] in done),
                      "approved_amount": sum((Decimal(r["amount"]) for r in rows if r["status"] in done), Decimal("0")),
                      "paid_amount": sum((Decimal(r["amount"]) for r in rows if r["status"] == "paid"), Decimal("0"))})
    return table


def _pct(value) -> float | None:
    return None if value is None else round(float(value) * 100, 1)


def _unit_label(row, unit: str) -> str:
    return {"base": row.dims.get("base_name"), "region": row.dims.get("region_name"),
            "month": row.dims.get("month")}[unit] or "—"

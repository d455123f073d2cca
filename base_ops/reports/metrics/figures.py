"""The figures a report row carries, and how a rate is made from them.

Rates over a region are computed from summed numerators and denominators, never
by averaging the rates of its parts; a zero denominator gives None, shown as "—"
(docs/domain.md "Rates and reports"). Every count here can be summed across bases,
months or regions; every rate names the two counts it is made of, so a roll-up
(a city over its counties, the monthly report over submitted counties) only
sums counts and recomputes the rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Figure:
    key: str
    label: object  # lazy string
    kind: str  # count | rate | days | money
    numerator: str | None = None  # for rate / days: the counts it divides
    denominator: str | None = None

    @property
    def is_derived(self) -> bool:
        return self.numerator is not None


def _count(key, label):
    return Figure(key, label, "count")


def _rate(key, label, numerator, denominator, kind="rate"):
    return Figure(key, label, kind, numerator, denominator)


OCCUPANCY = [
    _count("bed_nights_available", _l("Bed-nights available")),
    _count("bed_nights_occupied", _l("Bed-nights occupied")),
    _rate("occupancy_rate", _l("Occupancy rate"), "bed_nights_occupied", "bed_nights_available"),
]

PLACEMENTS = [
    _count("leavers", _l("Leavers")),
    _count("leavers_counted", _l("Leavers counted")),
    _count("leavers_employed", _l("Left for a job")),
    _rate("placement_rate", _l("Placement rate"), "leavers_employed", "leavers_counted"),
    _count("reoffended", _l("Reoffended")),
    _rate("reoffence_rate", _l("Reoffence rate"), "reoffended", "leavers"),
    _count("stay_days_total", _l("Days stayed (leavers)")),
    _rate("avg_stay_days", _l("Average stay (days)"), "stay_days_total", "leavers", kind="days"),
]

# Length-of-stay buckets of leavers (docs/domain.md): ≤30, 31–60, 61–90, 91–180, >180 days.
STAY_BUCKETS = [
    ("stay_le_30", _l("≤30 days"), None, 30),
    ("stay_31_60", _l("31–60 days"), 31, 60),
    ("stay_61_90", _l("61–90 days"), 61, 90),
    ("stay_91_180", _l("91–180 days"), 91, 180),
    ("stay_gt_180", _l(">180 days"), 181, None),
]
LENGTH_OF_STAY = [_count(key, label) for key, label, _lo, _hi in STAY_BUCKETS]

SERVED = [
    _count("admissions", _l("Admissions")),
    _count("served", _l("Residents served")),
    _count("served_placed", _l("Placed during their stay")),
    _rate("in_stay_placement_rate", _l("In-stay placement rate"), "served_placed", "served"),
]

RETENTION = [
    _count("retention_3_reached", _l("Placements 3 months old")),
    _count("retention_3_employed", _l("Still employed at 3 months")),
    _rate("retention_3_rate", _l("Retention at 3 months"), "retention_3_employed", "retention_3_reached"),
    _count("retention_6_reached", _l("Placements 6 months old")),
    _count("retention_6_employed", _l("Still employed at 6 months")),
    _rate("retention_6_rate", _l("Retention at 6 months"), "retention_6_employed", "retention_6_reached"),
]

TRAINING = [
    _count("enrolments", _l("Enrolments")),
    _count("completions", _l("Completions")),
    _rate("completion_rate", _l("Completion rate"), "completions", "enrolments"),
    _count("attendance_attended", _l("Sessions attended")),
    _count("attendance_expected", _l("Sessions expected")),
    _rate("attendance_rate", _l("Attendance rate"), "attendance_attended", "attendance_expected"),
]

HANDOVER = [
    _count("notices_received", _l("Notices received")),
    _count("receipts_due", _l("Receipts due")),
    _count("receipts_on_time", _l("Receipts on time")),
    _rate("receipt_rate", _l("Receipts on time rate"), "receipts_on_time", "receipts_due"),
    _count("key_released", _l("Key subjects released")),
    _count("key_collected", _l("Key subjects collected")),
    _rate("handover_rate", _l("Collected rate (必接必送率)"), "key_collected", "key_released"),
]

# Follow-up after discharge (docs/domain.md "Follow-up after discharge" and "Rates and reports").
FOLLOW_UP = [
    _count("follow_ups_due", _l("Follow-up contacts due")),
    _count("follow_ups_done", _l("Follow-up contacts done")),
    _rate("follow_up_rate", _l("Follow-up rate"), "follow_ups_done", "follow_ups_due"),
    _count("under_support", _l("People followed up in their support period")),
    _count("reoffended_in_support", _l("Reoffended within the support period")),
    _rate("support_reoffence_rate", _l("Reoffence within the support period"), "reoffended_in_support",
          "under_support"),
]

SUBSIDIES = [
    _count("claims_approved", _l("Claims approved or paid")),
    Figure("claims_approved_amount", _l("Amount approved or paid"), "money"),
    _count("claims_paid", _l("Claims paid")),
    Figure("claims_paid_amount", _l("Amount paid"), "money"),
]

# The monthly report (月报) of a county carries all of these, frozen as submitted.
MONTHLY = [*OCCUPANCY, _count("residents_at_end", _l("Residents at month end")), *SERVED, *PLACEMENTS,
           *LENGTH_OF_STAY, *RETENTION, *TRAINING, *HANDOVER, *SUBSIDIES, *FOLLOW_UP]
BY_KEY = {figure.key: figure for figure in MONTHLY}


def rate(numerator, denominator) -> float | None:
    """numerator ÷ denominator, None when the denominator is zero (shown as "—")."""
    if not denominator:
        return None
    return float(numerator or 0) / float(denominator)


def derive(values: dict, figures=MONTHLY) -> dict:
    """Fill in every rate of `figures` from its counts in `values` (in place; returned for chaining)."""
    for figure in figures:
        if figure.is_derived and figure.numerator in values and figure.denominator in values:
            value = rate(values[figure.numerator], values[figure.denominator])
            values[figure.key] = round(value, 1) if value is not None and figure.kind == "days" else value
    return values


def sum_counts(rows: list[dict], figures=MONTHLY) -> dict:
    """Roll rows up: sum every count and amount, then recompute the rates from the sums."""
    total: dict = {}
    for figure in figures:
        if figure.is_derived:
            continue
        present = [row.get(figure.key) for row in rows if row.get(figure.key) is not None]
        if figure.kind == "money":
            total[figure.key] = str(sum((Decimal(v) for v in present), Decimal("0.00")).quantize(Decimal("0.01")))
        else:
            total[figure.key] = sum(int(v) for v in present)
    return derive(total, figures)


def display(figure: Figure, value) -> str:
    """A figure as text for a page: rates as percent with one decimal, None as "—"."""
    if value is None:
        return "—"
    if figure.kind == "rate":
        return f"{float(value) * 100:.1f}%"
    if figure.kind == "days":
        return f"{float(value):.1f}"
    if figure.kind == "money":
        return f"{Decimal(value):,.2f}"
    return f"{int(value):,}"

"""Each metric against the hand-computed ledger (tests/reports/ledger.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from base_ops.reports.metrics import figures as F
from base_ops.reports.metrics import queries as metrics
from base_ops.reports.metrics.filters import ReportFilter
from tests.reports import ledger

OCTOBER = (date(2026, 10, 1), date(2026, 11, 1))


@pytest.fixture
def L(db, factory, monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: ledger.TODAY)
    return ledger.build(db, factory)


def october(group_by=("base",), region="330203", base_ids=None):
    return ReportFilter(*OCTOBER, region, base_ids, group_by)


def test_occupancy_counts_nights_of_half_open_intervals_and_bed_service(L):
    report = metrics.occupancy(october())
    assert [row.dims["base_name"] for row in report.rows] == ["海曙基地"]
    values = report.rows[0].values
    # M1 31 + M2 21 (ten nights out of service) + F1 31; stays crossing both ends of the month cut.
    assert values["bed_nights_available"] == 83
    assert values["bed_nights_occupied"] == 5 + 26 + 4
    assert values["occupancy_rate"] == pytest.approx(35 / 83)
    assert report.total.values == values


def test_occupancy_by_month_cuts_at_month_ends_and_at_tonight(L):
    report = metrics.occupancy(ReportFilter(date(2026, 10, 1), date(2027, 1, 1), "330203", None, ("month",)))
    by_month = {row.dims["month"]: row.values for row in report.rows}
    assert set(by_month) == {"2026-10", "2026-11"}  # December has not happened yet
    assert by_month["2026-11"]["bed_nights_available"] == 3 * 21  # nights 1…21 (tonight included)
    assert by_month["2026-11"]["bed_nights_occupied"] == 21 + 4
    assert report.total.values["bed_nights_available"] == 83 + 63
    assert report.total.values["occupancy_rate"] == pytest.approx((35 + 25) / (83 + 63))


def test_a_region_is_the_sum_of_its_parts_not_the_mean_of_their_rates(L):
    f = ReportFilter(*OCTOBER, "330000", None, ("region",))
    report = metrics.occupancy(f)
    by_city = {row.dims["region_code"]: row.values for row in report.rows}
    assert set(by_city) == {"330200", "330100"}  # Ningbo (海曙) and Hangzhou (余杭)
    assert by_city["330100"]["bed_nights_available"] == 31
    assert by_city["330100"]["bed_nights_occupied"] == 9
    total = report.total.values
    assert total["occupancy_rate"] == pytest.approx((35 + 9) / (83 + 31))
    mean_of_rates = (35 / 83 + 9 / 31) / 2
    assert total["occupancy_rate"] != pytest.approx(mean_of_rates)


def test_placement_rate_reoffence_and_length_of_stay(L):
    report = metrics.placements(october())
    values = report.rows[0].values
    assert values["leavers"] == 4
    assert values["leavers_counted"] == 3  # the hospital leaver is excluded
    assert values["leavers_employed"] == 1
    assert values["placement_rate"] == pytest.approx(1 / 3)
    assert values["reoffended"] == 1
    assert values["reoffence_rate"] == pytest.approx(1 / 4)
    assert values["stay_days_total"] == 257
    assert values["avg_stay_days"] == pytest.approx(64.2, abs=0.06)
    assert values["median_stay_days"] == 55
    assert [values[key] for key, *_ in F.STAY_BUCKETS] == [2, 0, 1, 1, 0]
    assert report.total.values["median_stay_days"] == 55


def test_median_of_the_total_is_over_all_leavers_not_a_median_of_medians(L):
    report = metrics.placements(ReportFilter(date(2026, 1, 1), date(2027, 1, 1), "330203", None, ("month",)))
    by_month = {row.dims["month"]: row.values for row in report.rows}
    assert by_month["2026-05"]["median_stay_days"] == 61
    assert by_month["2026-11"]["median_stay_days"] == 8
    assert by_month["2026-10"]["median_stay_days"] == 55
    # All six leavers: 8, 11, 30, 61, 80, 136 → (30 + 61) / 2.
    assert report.total.values["median_stay_days"] == 45.5
    assert report.total.values["leavers"] == 6


def test_zero_denominators_are_none_and_shown_as_a_dash(L):
    report = metrics.placements(ReportFilter(date(2026, 9, 1), date(2026, 10, 1), "330203", None, ("base",)))
    assert report.rows == []
    assert report.total.values["placement_rate"] is None
    assert report.total.values["median_stay_days"] is None
    assert F.display(F.BY_KEY["placement_rate"], report.total.values["placement_rate"]) == "—"


def test_monthly_figures_of_october(L):
    values = metrics.month_figures("330203", "2026-10")
    assert set(values) == {figure.key for figure in F.MONTHLY}
    assert values["bed_nights_occupied"] == 35
    assert values["residents_at_end"] == 2  # P2 and P3 on the night of 10-31 (P6 left that day)
    assert values["admissions"] == 3  # P2, P3, P6
    assert values["served"] == 6 and values["served_placed"] == 1
    assert values["in_stay_placement_rate"] == pytest.approx(1 / 6)
    assert (values["retention_3_reached"], values["retention_6_reached"]) == (0, 1)
    assert values["retention_6_employed"] == 0 and values["retention_6_rate"] == 0.0
    assert (values["enrolments"], values["completions"]) == (2, 1)
    assert (values["attendance_attended"], values["attendance_expected"]) == (3, 4)
    assert (values["notices_received"], values["receipts_due"], values["receipts_on_time"]) == (2, 2, 1)
    assert (values["key_released"], values["key_collected"]) == (2, 1)
    assert values["handover_rate"] == 0.5
    # C2 was approved at 01:00 on 1 November in Beijing: November's, not October's.
    assert (values["claims_approved"], values["claims_approved_amount"]) == (1, "600.00")
    assert (values["claims_paid"], values["claims_paid_amount"]) == (0, "0.00")


def test_retention_at_three_months_in_july(L):
    values = metrics.month_figures("330203", "2026-07")
    assert (values["retention_3_reached"], values["retention_3_employed"]) == (1, 1)
    assert values["retention_3_rate"] == 1.0


def test_subsidies_are_counted_in_the_beijing_month_of_the_move(L):
    values = metrics.month_figures("330203", "2026-11")
    assert (values["claims_approved"], values["claims_approved_amount"]) == (1, "3000.00")
    assert (values["claims_paid"], values["claims_paid_amount"]) == (1, "3000.00")


def test_overview_by_base_matches_the_single_reports(L):
    f = october(("base",))
    overview = metrics.overview(f)
    (row,) = overview.rows
    assert row.values["bed_nights_occupied"] == 35
    assert row.values["leavers_employed"] == 1
    assert row.values["served"] == 6
    # Handover belongs to the county, so base rows have none; the region's total does.
    assert row.values["notices_received"] == 0
    assert overview.total.values["notices_received"] == 2


def test_people_served_in_two_months_count_once_in_the_total(L):
    report = metrics.overview(ReportFilter(date(2026, 10, 1), date(2026, 12, 1), "330203", None, ("month",)))
    by_month = {row.dims["month"]: row.values["served"] for row in report.rows}
    assert by_month == {"2026-10": 6, "2026-11": 2}  # P2 and P3 carry over
    assert report.total.values["served"] == 6


def test_a_base_filter_keeps_to_that_base(L):
    report = metrics.occupancy(october(region=None, base_ids=(L.other.id,)))
    assert [row.dims["base_name"] for row in report.rows] == ["余杭基地"]
    assert report.total.values["bed_nights_occupied"] == 9


def test_a_month_with_nothing_yet_is_empty(L):
    report = metrics.occupancy(ReportFilter(date(2026, 12, 1), date(2027, 1, 1), "330203", None, ("month",)))
    assert report.rows == [] and report.total.values["occupancy_rate"] is None


@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)), (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2026, 4, 20), 6, date(2026, 10, 20)), (date(2026, 8, 31), 6, date(2027, 2, 28)),
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
])
def test_add_months_clamps_to_the_month_end_on_both_databases(db, start, months, expected):
    from sqlalchemy import Date, literal, select

    from base_ops.core.sqldates import add_months
    from base_ops.placements.queries import add_months as python_add_months

    value = db.session.scalar(select(add_months(literal(start, Date), months)))
    assert date.fromisoformat(str(value)[:10]) == expected == python_add_months(start, months)


def test_subsidy_summary_by_kind_and_status(L, db):
    from base_ops.subsidies.models import Claim

    # Counted in the Beijing month they were filed, in their current status.
    rows = metrics.subsidy_summary(ReportFilter(date(2026, 10, 1), date(2026, 12, 1), "330203", None, ("month",)))
    assert [(r["kind"], r["status"], r["claims"], r["amount"], r["month"]) for r in rows] == [
        ("handover", "approved", 1, "600.00", "2026-10"), ("handover", "paid", 1, "3000.00", "2026-11")]
    (october,) = metrics.subsidy_summary(ReportFilter(*OCTOBER, "330203", None, ("base",)))
    assert october["month"] is None and october["amount"] == "600.00"
    assert metrics.subsidy_summary(ReportFilter(*OCTOBER, "330110", None, ("base",))) == []
    assert db.session.query(Claim).count() == 2


def test_placements_without_grouping_is_just_the_total(L):
    report = metrics.placements(october(()))
    assert [row.key for row in report.rows] == [""]  # one row, the same as the total, on both databases
    assert report.rows[0].values == report.total.values
    assert report.total.values["leavers"] == 4 and report.total.values["median_stay_days"] == 55

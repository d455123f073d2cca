"""The dashboards read closed months from the summaries kept ready (reports/summaries.py): their figures
equal the live statements' (the oracle) after a summarize run, a change to a past day shows after the
next run and not before (with the "as of" time), today is always live, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from base_ops.reports import summaries
from base_ops.reports.dashboard import queries as dashboard
from base_ops.reports.metrics.filters import ReportFilter
from base_ops.reports.models import ReportSummary, ReportSummaryMonth
from tests.reports import ledger

# Today is 2026-11-21: May … October are closed; November's 1st … 20th are summarized, the 21st is live.
FILTERS = {
    "county by base": ReportFilter(date(2026, 5, 1), date(2026, 12, 1), "330203", None, ("base",)),
    "city by region": ReportFilter(date(2026, 5, 1), date(2026, 12, 1), "330200", None, ("region",)),
    "province by region": ReportFilter(date(2026, 5, 1), date(2026, 12, 1), "330000", None, ("region",)),
    "province, partial months": ReportFilter(date(2026, 7, 15), date(2026, 11, 10), "330000", None, ("region",)),
    "county, beyond the built months": ReportFilter(date(2025, 11, 1), date(2026, 11, 1), "330203", None, ("base",)),
}


@pytest.fixture
def L(db, factory, monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: ledger.TODAY)
    return ledger.build(db, factory)


def figures(board: dashboard.Dashboard) -> dict:
    return {"residents_now": board.residents_now, "totals": board.totals,
            "units": [(row.key, row.dims, row.values) for row in board.units.rows],
            "trend": board.trend, "claims": board.claims, "claim_kinds": board.claim_kinds}


def assert_equal_to_live(f: ReportFilter) -> dashboard.Dashboard:
    kept = dashboard.build(f)
    assert figures(kept) == figures(dashboard.build(f, kept_ready=False))
    return kept


def test_summarize_writes_the_closed_months_and_is_idempotent(L, db):
    written = summaries.summarize(months=6)
    assert written > 0
    months = db.session.scalars(select(ReportSummaryMonth.month).order_by(ReportSummaryMonth.month)).all()
    assert months == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    until = dict(db.session.execute(select(ReportSummaryMonth.month, ReportSummaryMonth.summarized_until)).all())
    assert until["2026-10"] == date(2026, 11, 1) and until["2026-11"] == ledger.TODAY  # today stays live
    # October at 海曙: 83 bed-nights available, 35 occupied (tests/reports/ledger.py).
    october = db.session.execute(
        select(func.sum(ReportSummary.bed_nights_available), func.sum(ReportSummary.bed_nights_occupied))
        .where(ReportSummary.month == "2026-10", ReportSummary.base_id == L.base.id)).one()
    assert tuple(october) == (83, 35)
    assert summaries.summarize(months=6) == written
    assert db.session.scalar(select(func.count()).select_from(ReportSummary)) == written


def test_the_database_holds_one_summary_row_per_base_month_and_kind(L, db):
    """A second writer cannot add October at 海曙 again: the figures would double on the dashboard."""
    from sqlalchemy.exc import IntegrityError

    summaries.summarize(months=6)
    row = db.session.execute(select(ReportSummary).where(
        ReportSummary.month == "2026-10", ReportSummary.base_id == L.base.id,
        ReportSummary.metric == summaries.OVERVIEW)).scalar_one()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(ReportSummary(month=row.month, base_id=row.base_id, metric=row.metric))
        db.session.flush()


@pytest.mark.parametrize("name", FILTERS)
def test_dashboard_from_summaries_equals_the_live_statements(L, name):
    summaries.summarize(months=6)
    board = assert_equal_to_live(FILTERS[name])
    assert board.as_of is not None


def test_one_base_by_month_and_a_managers_bases(L, factory):
    summaries.summarize(months=6)
    board = assert_equal_to_live(ReportFilter(date(2026, 5, 1), date(2026, 12, 1), None, (L.base.id,), ("month",)))
    assert board.unit == "month"
    assert_equal_to_live(ReportFilter(date(2026, 5, 1), date(2026, 12, 1), None, (L.base.id, L.other.id), ("base",)))


def test_without_a_summarize_run_everything_is_live(L):
    board = assert_equal_to_live(FILTERS["county by base"])
    assert board.as_of is None


def test_a_change_to_a_closed_month_shows_after_the_next_summarize(L, db):
    from base_ops.subsidies.models import Claim

    f = FILTERS["county by base"]
    summaries.summarize(months=6)
    before = dashboard.build(f)
    assert before.totals["claims_approved_amount"] == "3600.00"
    first_built = before.as_of

    claim = db.session.scalar(select(Claim).where(Claim.subject_key == "ledger-1"))
    claim.amount = Decimal("800.00")  # approved in October, a closed month
    db.session.commit()
    assert dashboard.build(f, kept_ready=False).totals["claims_approved_amount"] == "3800.00"
    stale = dashboard.build(f)
    assert stale.totals["claims_approved_amount"] == "3600.00"  # the summary as of its build
    assert stale.as_of == first_built

    summaries.summarize(months=6)
    fresh = assert_equal_to_live(f)
    assert fresh.totals["claims_approved_amount"] == "3800.00"
    assert fresh.as_of >= first_built


def test_today_is_always_live(L, db):
    from base_ops.subsidies.models import Claim, ClaimEvent

    f = FILTERS["county by base"]
    summaries.summarize(months=6)
    assert dashboard.build(f).totals["claims_paid"] == 1  # C2, paid 11-03: November's days before today
    claim = db.session.scalar(select(Claim).where(Claim.subject_key == "ledger-1"))
    db.session.add(ClaimEvent(claim_id=claim.id, from_status="approved", to_status="paid",
                              at=datetime(2026, 11, 21, 3, tzinfo=UTC)))  # 11:00 today in Beijing
    db.session.commit()
    board = assert_equal_to_live(f)
    assert board.totals["claims_paid"] == 2


def test_this_months_past_days_come_from_the_summaries(L, db):
    from base_ops.subsidies.models import Claim

    f = FILTERS["county by base"]
    summaries.summarize(months=6)
    claim = db.session.scalar(select(Claim).where(Claim.subject_key == "ledger-2"))
    claim.amount = Decimal("3100.00")  # paid on 11-03, before today
    db.session.commit()
    assert dashboard.build(f).totals["claims_paid_amount"] == "3000.00"
    summaries.summarize(months=6)
    assert assert_equal_to_live(f).totals["claims_paid_amount"] == "3100.00"


def test_the_page_says_as_of_when_summaries_are_used(L, login_as, factory, english):
    officer = factory.user("county_officer", username="po_330203", region_code="330203")
    client = login_as(officer)
    assert "as of" not in client.get("/reports/?from=2026-05-01&to=2026-12-01").get_data(as_text=True)
    summaries.summarize(months=6)
    html = client.get("/reports/?from=2026-05-01&to=2026-12-01").get_data(as_text=True)
    assert "Figures as of" in html


def test_summarize_command(app, L, db):
    result = app.test_cli_runner().invoke(args=["reports", "summarize", "--months", "2"])
    assert result.exit_code == 0, result.output
    assert "2 closed month(s) and this month's past days rebuilt" in result.output
    assert db.session.scalars(select(ReportSummaryMonth.month).order_by(ReportSummaryMonth.month)).all() == [
        "2026-09", "2026-10", "2026-11"]


def test_summaries_equal_the_live_statements_on_the_synthetic_province(app, db):
    """The small synthetic province (three years ending today, claims in every status, today's moves too)."""
    from base_ops.reports.metrics.periods import default_period, month_start

    result = app.test_cli_runner().invoke(args=["seed", "synthetic", "--scale", "small"])
    assert result.exit_code == 0, result.output
    summaries.summarize()
    start, end = default_period(None, None)
    for f in (ReportFilter(start, end, "330000", None, ("region",)),
              ReportFilter(month_start(start, 24).replace(day=15), end, "330000", None, ("region",))):
        assert assert_equal_to_live(f).as_of is not None

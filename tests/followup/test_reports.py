"""The follow-up rate and reoffence within the support period in the reports: SQL aggregates that equal numbers
computed by hand, rolled up by summing counts; "—" for zero denominators (docs/domain.md "Rates and reports")."""

from __future__ import annotations

from datetime import date

from base_ops.followup import services
from base_ops.intake.stays import services as stays
from base_ops.reports.metrics import figures as F
from base_ops.reports.metrics import queries as metrics
from base_ops.reports.metrics.filters import ReportFilter


def _both_discharged(world):
    stays.discharge(world.manager_a, world.stay_a, discharged_on=date(2026, 11, 10), destination="returned_home")
    stays.discharge(world.manager_b, world.stay_b, discharged_on=date(2026, 11, 20), destination="employed")


def test_follow_up_rate_and_reoffence_within_the_support_period_by_hand(world, db):
    _both_discharged(world)
    # A: dues 2026-12-10, 2027-02-10, 2027-05-10, 2027-11-10 …; B: 2026-12-20, 2027-02-20, 2027-05-20, 2027-11-20 …
    services.record_follow_up(world.manager_a, world.resident_a, contacted_on=date(2026, 12, 1), method="phone",
                              outcome="stable")  # closes A's first
    services.record_follow_up(world.officer_y, world.resident_b, contacted_on=date(2027, 3, 1), method="visit",
                              outcome="reoffended")  # closes B's second; B reoffended within his support period
    f = ReportFilter(date(2026, 12, 1), date(2027, 7, 1), "330100", None, ("region",))
    report = metrics.follow_up(f)
    by_region = {row.dims["region_code"]: row.values for row in report.rows}
    # in the period: A 3 dues (1 done); B 2 dues (B's third, 2027-05-20, was cancelled by the reoffence), 1 done
    assert (by_region["330106"]["follow_ups_due"], by_region["330106"]["follow_ups_done"]) == (3, 1)
    assert (by_region["330110"]["follow_ups_due"], by_region["330110"]["follow_ups_done"]) == (2, 1)
    assert report.total.values["follow_up_rate"] == 2 / 5
    assert (by_region["330110"]["under_support"], by_region["330110"]["reoffended_in_support"]) == (1, 1)
    assert (report.total.values["under_support"], report.total.values["reoffended_in_support"]) == (2, 1)
    assert report.total.values["support_reoffence_rate"] == 0.5
    overview = metrics.overview(f).total.values
    assert (overview["follow_ups_due"], overview["follow_ups_done"], overview["reoffended_in_support"]) == (5, 2, 1)
    monthly = metrics.month_figures("330106", "2026-12")
    assert (monthly["follow_ups_due"], monthly["follow_ups_done"], monthly["follow_up_rate"]) == (1, 1, 1.0)


def test_zero_denominators_are_a_dash(world, db):
    report = metrics.follow_up(ReportFilter(date(2026, 12, 1), date(2027, 1, 1), "330100", None, ("region",)))
    assert report.total.values["follow_up_rate"] is None
    assert F.display(F.BY_KEY["support_reoffence_rate"], report.total.values["support_reoffence_rate"]) == "—"


def test_the_report_api_and_the_dashboard_show_the_rates(world, db, client, api_headers, login_as, today_is):
    _both_discharged(world)
    headers = api_headers(world.officer_x)
    body = client.get("/api/v1/reports/follow-ups?from=2026-12-01&to=2027-07-01", headers=headers).json
    assert body["total"]["follow_ups_due"] == 3 and body["total"]["follow_up_rate"] == 0.0
    assert client.get("/api/v1/reports/follow-ups", headers=api_headers(world.enterprise_user)).status_code == 403
    today_is(date(2027, 3, 1))
    page = login_as(world.officer_x).get("/reports/?from=2026-12-01&to=2027-03-01", follow_redirects=True)
    assert page.status_code == 200 and str(F.BY_KEY["follow_up_rate"].label) in page.text

"""Monthly report pages: a county officer's months, the month page (submit, correct, read every version),
a city officer's board with the roll-up; scope and role."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from base_ops.core.clock import LOCAL_ZONE
from base_ops.reports.models import MonthlyReport
from tests.reports.test_monthly import NOW, set_now


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    set_now(monkeypatch, NOW)


@pytest.fixture
def city_officer(factory):
    return factory.user("county_officer", username="officer_city", region_code="330100")


def test_a_county_officer_sees_his_last_twelve_months(db, world, login_as, english):
    page = login_as(world.officer_x).get("/reports/monthly/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('data-month="') == 12
    assert 'data-month="2026-10"' in html and 'data-month="2025-11"' in html and 'data-month="2026-11"' not in html
    assert "Overdue" in html and "2026-11-03" in html
    assert "Monthly reports" in html  # the menu item


def test_submit_then_correct_on_the_month_page(db, world, login_as, factory, english):
    client = login_as(world.officer_x)
    page = client.get("/reports/monthly/330106/2026-10")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="submit-month"' in html and "Not submitted yet" in html
    assert 'data-section="occupancy"' in html and 'data-section="subsidies"' in html

    done = client.post("/reports/monthly/330106/2026-10", data={"version": "1"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/reports/monthly/330106/2026-10")
    factory.base("330106", name="基地C")
    html = client.get("/reports/monthly/330106/2026-10").get_data(as_text=True)
    assert 'id="correct-card"' in html and 'id="submit-month"' not in html
    assert "Showing version 1" in html and 'id="figures-changed"' in html  # 93 frozen, 155 now

    refused = client.post("/reports/monthly/330106/2026-10", data={"version": "2", "reason": ""})
    assert refused.status_code == 422 and "needs a reason" in refused.get_data(as_text=True)
    corrected = client.post("/reports/monthly/330106/2026-10", data={"version": "2", "reason": "基地C 漏报"})
    assert corrected.status_code == 302
    assert [r.version for r in db.session.scalars(select(MonthlyReport).order_by(MonthlyReport.version))] == [1, 2]

    latest = client.get("/reports/monthly/330106/2026-10").get_data(as_text=True)
    assert "Showing version 2" in latest and "基地C 漏报" in latest and 'id="figures-changed"' not in latest
    first = client.get("/reports/monthly/330106/2026-10?version=1").get_data(as_text=True)
    assert "Showing version 1" in first and "not the latest version" in first
    assert 'id="figures-changed"' not in first  # the change since v1 is in v2: history, not a warning
    assert world.officer_x.display_name in first
    assert client.get("/reports/monthly/330106/2026-10?version=7").status_code == 404


def test_a_double_click_does_not_make_two_versions(db, world, login_as, english):
    client = login_as(world.officer_x)
    assert client.post("/reports/monthly/330106/2026-10", data={"version": "1"}).status_code == 302
    again = client.post("/reports/monthly/330106/2026-10", data={"version": "1"})
    assert again.status_code == 409 and "has just been submitted" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(MonthlyReport)) == 1


def test_the_current_month_shows_live_figures_without_a_form(db, world, login_as, english):
    client = login_as(world.officer_x)
    html = client.get("/reports/monthly/330106/2026-11").get_data(as_text=True)
    assert 'id="not-finished"' in html and 'id="submit-month"' not in html
    refused = client.post("/reports/monthly/330106/2026-11", data={"version": "1"})
    assert refused.status_code == 422 and "not over yet" in refused.get_data(as_text=True)


def test_a_city_officer_sees_the_board_and_reads_but_does_not_submit(db, world, login_as, city_officer, english,
                                                                     monkeypatch):
    set_now(monkeypatch, datetime(2026, 11, 2, 9, 0, tzinfo=LOCAL_ZONE))
    login_as(world.officer_x).post("/reports/monthly/330106/2026-10", data={"version": "1"})
    db.session.add(MonthlyReport(region_code="330110", month="2026-09", version=1, figures={},
                                 submitted_by_id=world.officer_y.id, submitted_at=datetime(2026, 10, 9, tzinfo=UTC)))
    db.session.commit()
    set_now(monkeypatch, NOW)

    client = login_as(city_officer)
    html = client.get("/reports/monthly/").get_data(as_text=True)
    assert "1 of 2 counties included" in html
    assert 'data-region="330106"' in html and 'data-status="on_time"' in html and 'data-status="overdue"' in html
    september = client.get("/reports/monthly/?month=2026-09").get_data(as_text=True)
    assert 'data-status="late"' in september and "1 of 2 counties included" in september
    bad = client.get("/reports/monthly/?month=2026-99")
    assert bad.status_code == 200 and "must be a month" in bad.get_data(as_text=True)

    county = client.get("/reports/monthly/330106/2026-10").get_data(as_text=True)
    assert 'id="read-only"' in county and 'id="submit-month"' not in county and 'id="correct-card"' not in county
    refused = client.post("/reports/monthly/330106/2026-10", data={"version": "2", "reason": "x"})
    assert refused.status_code == 403
    assert client.get("/reports/monthly/?region_code=330200").status_code == 404


def test_another_county_and_other_roles_are_kept_out(db, world, login_as):
    login_as(world.officer_x).post("/reports/monthly/330106/2026-10", data={"version": "1"})
    other = login_as(world.officer_y)
    assert other.get("/reports/monthly/330106/2026-10").status_code == 404
    assert other.get("/reports/monthly/330106/2026-10?version=1").status_code == 404
    assert other.post("/reports/monthly/330106/2026-10", data={"version": "2", "reason": "x"}).status_code == 404
    assert other.get("/reports/monthly/330100/2026-10").status_code == 404
    for user in (world.manager_a, world.admin, world.auditor, world.trainer_a, world.enterprise_user):
        assert login_as(user).get("/reports/monthly/").status_code == 403
        assert login_as(user).get("/reports/monthly/330106/2026-10").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(MonthlyReport)) == 1

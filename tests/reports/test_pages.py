"""The report pages: dashboard numbers equal the API's, drill-down stays in scope, spreadsheets download."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import openpyxl
import pytest

from base_ops.core.db import utcnow
from tests.reports import ledger

OCTOBER = "from=2026-10-01&to=2026-11-01"


@pytest.fixture
def L(db, factory, monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: ledger.TODAY)
    return ledger.build(db, factory)


@pytest.fixture
def officer(factory):
    return lambda code: factory.user("county_officer", username=f"po_{code}", region_code=code)


def _chart_data(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_county_dashboard_shows_the_api_numbers(login_as, L, officer, english):
    client = login_as(officer("330203"))
    response = client.get(f"/reports/?{OCTOBER}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "海曙基地" in html and "余杭基地" not in html
    assert "42.2%" in html  # occupancy 35 / 83
    assert "33.3%" in html  # placement rate 1 / 3
    # Numbers link to the people behind them: leavers, and the employed leavers only.
    period = "from=2026-10-01&amp;to=2026-11-01"
    assert f"kind=leavers&amp;destination=employed&amp;{period}&amp;base_id={L.base.id}" in html
    assert f"kind=residents&amp;from=2026-10-01&amp;to=2026-11-01&amp;base_id={L.base.id}" in html
    data = _chart_data(html)
    assert data["trend"] == [{"month": "2026-10", "occupancy_rate": 42.2, "placement_rate": 33.3, "leavers": 4}]
    assert data["units"][0]["label"] == "海曙基地"
    approved = next(c for c in data["claims"] if c["status"] == "approved")
    paid = next(c for c in data["claims"] if c["status"] == "paid")
    assert (approved["count"], approved["amount"], paid["count"]) == (1, "600.00", 0)  # C2 was filed in November


def test_province_officer_drills_down_from_city_to_base(login_as, L, officer, english):
    client = login_as(officer("330000"))
    html = client.get(f"/reports/?{OCTOBER}").get_data(as_text=True)
    assert "宁波市" in html and "杭州市" in html
    assert 'href="/reports/?region_code=330200&amp;from=2026-10-01&amp;to=2026-11-01"' in html
    city = client.get(f"/reports/?region_code=330200&{OCTOBER}").get_data(as_text=True)
    assert "海曙区" in city and "杭州市" not in city.split("report-table")[1]
    county = client.get(f"/reports/?region_code=330203&{OCTOBER}").get_data(as_text=True)
    assert f"base_id={L.base.id}" in county
    base = client.get(f"/reports/?base_id={L.base.id}&{OCTOBER}")
    assert base.status_code == 200
    assert "2026-10" in base.get_data(as_text=True)


def test_people_behind_the_employed_leavers(login_as, L, officer, english):
    client = login_as(officer("330203"))
    response = client.get(f"/reports/people?kind=leavers&destination=employed&base_id={L.base.id}&{OCTOBER}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "人1" in html and "人4" not in html  # P1 left for a job; P4 went to hospital
    assert ledger.id_number(1, "male") not in html  # masked
    assert "1 people" in html


def test_county_x_gets_nothing_of_county_y_in_pages_or_files(login_as, L, officer):
    client = login_as(officer("330203"))
    assert client.get(f"/reports/?region_code=330110&{OCTOBER}").status_code == 404
    assert client.get(f"/reports/?base_id={L.other.id}&{OCTOBER}").status_code == 404
    assert client.get(f"/reports/people?kind=residents&base_id={L.other.id}&{OCTOBER}").status_code == 404
    assert client.get(f"/reports/occupancy.xlsx?base_id={L.other.id}&{OCTOBER}").status_code == 404
    everything = client.get("/reports/people?kind=residents&from=2020-01-01&to=2027-01-01").get_data(as_text=True)
    assert "人50" not in everything and "余杭基地" not in everything


def test_bad_filter_is_shown_on_the_form(login_as, L, officer, english):
    client = login_as(officer("330203"))
    response = client.get("/reports/?from=2026-11-01&to=2026-10-01")
    assert response.status_code == 422
    assert "The end of the period must be after its start." in response.get_data(as_text=True)
    assert client.get("/reports/?from=notadate").status_code == 422


def test_report_spreadsheet_from_the_page_needs_a_fresh_login(app, L, officer, login_as):
    client = login_as(officer("330203"))
    with client.session_transaction() as session:
        session["auth_at"] = (utcnow() - timedelta(hours=1)).timestamp()
    response = client.get(f"/reports/occupancy.xlsx?{OCTOBER}")
    assert response.status_code == 302 and "reauth" in response.headers["Location"]


def test_report_spreadsheet_from_the_page(login_as, L, officer):
    client = login_as(officer("330203"))
    response = client.get(f"/reports/overview.xlsx?group_by=month&{OCTOBER}")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header_index = next(i for i, row in enumerate(rows) if row[0] == "月份")
    header, data = rows[header_index], rows[header_index + 1]
    assert data[0] == "2026-10"
    assert data[header.index("入住率")] == pytest.approx(35 / 83)


def test_a_manager_sees_his_base_by_month(login_as, factory, L, english):
    manager = factory.user("base_manager", username="hs_manager", bases=[L.base])
    html = login_as(manager).get(f"/reports/?{OCTOBER}").get_data(as_text=True)
    assert "By month" in html and "海曙基地" in html and "2026-10" in html

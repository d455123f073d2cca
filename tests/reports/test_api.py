"""GET /api/v1/reports/occupancy, /placements and /reports/<name>.xlsx (docs/api.md "Reports")."""

from __future__ import annotations

import io

import openpyxl
import pytest

from base_ops.core.audit import AuditEvent
from tests.reports import ledger

OCTOBER = "from=2026-10-01&to=2026-11-01"


@pytest.fixture
def L(db, factory, monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: ledger.TODAY)
    return ledger.build(db, factory)


@pytest.fixture
def officers(factory):
    return {code: factory.user("county_officer", username=f"officer_{code}", region_code=code)
            for code in ("330203", "330200", "330000", "330110")}


def test_occupancy_body_matches_api_md(client, api_headers, L, officers):
    response = client.get(f"/api/v1/reports/occupancy?region_code=330203&{OCTOBER}",
                          headers=api_headers(officers["330203"]))
    assert response.status_code == 200
    body = response.get_json()
    (row,) = body["rows"]
    assert row["key"] == str(L.base.id) and row["base_name"] == "海曙基地"
    assert (row["bed_nights_occupied"], row["bed_nights_available"]) == (35, 83)
    assert row["occupancy_rate"] == pytest.approx(35 / 83)
    assert body["total"]["bed_nights_available"] == 83


def test_placements_body_by_month(client, api_headers, L, officers):
    response = client.get("/api/v1/reports/placements?from=2026-10-01&to=2026-12-01&group_by=month",
                          headers=api_headers(officers["330203"]))
    body = response.get_json()
    assert [row["key"] for row in body["rows"]] == ["2026-10", "2026-11"]
    october = body["rows"][0]
    assert (october["leavers"], october["leavers_counted"], october["leavers_employed"]) == (4, 3, 1)
    assert october["placement_rate"] == pytest.approx(1 / 3)
    assert (october["reoffended"], october["median_stay_days"]) == (1, 55)
    assert october["avg_stay_days"] == pytest.approx(64.2, abs=0.06)
    assert body["total"]["leavers"] == 5


def test_a_rate_with_nothing_to_divide_is_null(client, api_headers, L, officers):
    body = client.get("/api/v1/reports/placements?from=2026-09-01&to=2026-10-01",
                      headers=api_headers(officers["330203"])).get_json()
    assert body["rows"] == [] and body["total"]["placement_rate"] is None


def test_city_officer_groups_by_county_and_the_sum_is_the_total(client, api_headers, L, officers):
    body = client.get(f"/api/v1/reports/occupancy?group_by=region&{OCTOBER}",
                      headers=api_headers(officers["330000"])).get_json()
    by_code = {row["region_code"]: row for row in body["rows"]}
    assert set(by_code) == {"330200", "330100"}
    assert body["total"]["bed_nights_occupied"] == sum(r["bed_nights_occupied"] for r in body["rows"]) == 44


@pytest.mark.parametrize("query", ["region_code=330110", "region_code=330100", "region_code=110105"])
def test_county_x_gets_nothing_of_county_y(client, api_headers, L, officers, query):
    response = client.get(f"/api/v1/reports/occupancy?{query}&{OCTOBER}", headers=api_headers(officers["330203"]))
    assert response.status_code == 404
    assert "rows" not in response.get_json()


def test_a_base_outside_the_scope_is_not_found(client, api_headers, L, officers):
    response = client.get(f"/api/v1/reports/placements?base_id={L.other.id}&{OCTOBER}",
                          headers=api_headers(officers["330203"]))
    assert response.status_code == 404
    response = client.get(f"/api/v1/reports/occupancy.xlsx?base_id={L.other.id}&{OCTOBER}",
                          headers=api_headers(officers["330203"]))
    assert response.status_code == 404


def test_a_base_manager_sees_only_his_base(client, api_headers, factory, L):
    manager = factory.user("base_manager", username="haishu_manager", bases=[L.base])
    body = client.get(f"/api/v1/reports/occupancy?{OCTOBER}", headers=api_headers(manager)).get_json()
    assert [row["base_name"] for row in body["rows"]] == ["海曙基地"]
    assert client.get(f"/api/v1/reports/occupancy?base_id={L.other.id}&{OCTOBER}",
                      headers=api_headers(manager)).status_code == 404
    assert client.get(f"/api/v1/reports/occupancy?region_code=330203&{OCTOBER}",
                      headers=api_headers(manager)).status_code == 404


@pytest.mark.parametrize(("query", "field"), [
    ("from=2026-11-01&to=2026-10-01", "to"),
    ("from=2026-13-01", "from"),
    ("group_by=week", "group_by"),
    ("region_code=33020", "region_code"),
    ("base_id=abc", "base_id"),
    ("region_code=330203&base_id=1", "base_id"),
])
def test_bad_filters_are_422_naming_the_field(client, api_headers, L, officers, query, field):
    response = client.get(f"/api/v1/reports/occupancy?{query}", headers=api_headers(officers["330203"]))
    assert response.status_code == 422
    body = response.get_json()["error"]
    assert field in body["fields"] or any(field in key for key in body["fields"])


@pytest.mark.parametrize("role", ["enterprise", "trainer", "admin", "auditor"])
def test_other_roles_get_no_reports(client, api_headers, world, role):
    user = {"enterprise": world.enterprise_user, "trainer": world.trainer_a, "admin": world.admin,
            "auditor": world.auditor}[role]
    assert client.get("/api/v1/reports/occupancy", headers=api_headers(user)).status_code == 403


def test_the_spreadsheet_shows_the_same_numbers_and_is_audited(client, api_headers, db, L, officers):
    officer = officers["330200"]
    response = client.get(f"/api/v1/reports/placements.xlsx?group_by=base&{OCTOBER}", headers=api_headers(officer))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert cells[0][0] == "就业安置报表"
    assert any("宁波市" in str(row[0]) for row in cells[1:4])  # the filter used, at the top
    header_index = next(i for i, row in enumerate(cells) if row[0] == "安置基地")
    header = cells[header_index]
    data = cells[header_index + 1]
    assert data[0] == "海曙基地"
    assert data[header.index("离站人数")] == 4
    assert data[header.index("就业安置率")] == pytest.approx(1 / 3)
    assert sheet.cell(header_index + 2, header.index("就业安置率") + 1).number_format == "0.0%"
    assert cells[-1][0] == "合计"
    assert sheet.freeze_panes == f"A{header_index + 2}"
    event = db.session.query(AuditEvent).filter_by(action="export").order_by(AuditEvent.id.desc()).first()
    assert event.details_dict["rows"] == 1 and event.details_dict["export"] == "placements"


def test_an_unknown_report_is_not_found(client, api_headers, L, officers):
    assert client.get("/api/v1/reports/secrets.xlsx", headers=api_headers(officers["330203"])).status_code == 404


def test_the_subsidies_spreadsheet_sums_by_kind_and_status(client, api_headers, L, officers):
    response = client.get("/api/v1/reports/subsidies.xlsx?from=2026-10-01&to=2026-12-01&group_by=month",
                          headers=api_headers(officers["330203"]))
    assert response.status_code == 200
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(response.data)).active.iter_rows()]
    header_index = next(i for i, row in enumerate(rows) if row[0] == "企业")
    data = rows[header_index + 1:]
    assert [row[1:6] for row in data[:-1]] == [["2026-10", "衔接经费补助", "已审批", 1, 600],
                                              ["2026-11", "衔接经费补助", "已拨付", 1, 3000]]
    assert data[-1][3] == "合计" and data[-1][4:6] == [2, 3600]  # beside the amounts it sums (issue 21)

"""Meal roster and monthly meal cost (docs/domain.md "Meals")."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from base_ops.intake.models import Absence, Leave, Stay
from base_ops.meals import queries
from base_ops.residents.models import Resident


@pytest.fixture
def kitchen(world, db):
    """base_a: resident_a (standard diet, leave 10-01..10-03) plus a halal resident admitted 10-10,
    discharged 10-20, and a vegetarian one absent without leave from 10-15 until 10-18."""
    from tests.conftest import ID_OLD

    halal = Resident(id_number=ID_OLD, name="马六", sex="female", birth_on=date(1949, 12, 31),
                     hukou_region_code="330106", subject_type="released", released_on=date(2026, 9, 1),
                     diet="halal", base_id=world.base_a.id)
    veg = Resident(id_number="330106198401010055", name="=HYPERLINK(\"x\")", sex="male", birth_on=date(1984, 1, 1),
                   hukou_region_code="330106", subject_type="released", released_on=date(2026, 9, 1),
                   diet="vegetarian", base_id=world.base_a.id)
    db.session.add_all([halal, veg])
    db.session.flush()
    db.session.add(Stay(resident_id=halal.id, base_id=world.base_a.id, admitted_on=date(2026, 10, 10),
                        discharged_on=date(2026, 10, 20), destination="returned_home"))
    stay_veg = Stay(resident_id=veg.id, base_id=world.base_a.id, admitted_on=date(2026, 10, 1))
    db.session.add(stay_veg)
    db.session.flush()
    db.session.add(Absence(stay_id=stay_veg.id, start_on=date(2026, 10, 15), returned_on=date(2026, 10, 18)))
    db.session.commit()
    return world


def test_roster_counts_present_residents_by_diet(kitchen):
    base_id = kitchen.base_a.id
    # 10-01: resident_a leaves that day (leave 10-01..10-03), vegetarian arrives.
    assert queries.diet_counts(base_id, date(2026, 10, 1)) == {"standard": 0, "halal": 0, "vegetarian": 1,
                                                                 "medical": 0}
    # 10-03: back from leave (end_on is exclusive).
    assert queries.diet_counts(base_id, date(2026, 10, 3))["standard"] == 1
    # 10-15..10-17 the vegetarian is absent; 10-18 he is back.
    assert queries.diet_counts(base_id, date(2026, 10, 16))["vegetarian"] == 0
    assert queries.diet_counts(base_id, date(2026, 10, 18))["vegetarian"] == 1
    # Halal resident served from admission day to the day before discharge.
    assert queries.diet_counts(base_id, date(2026, 10, 10))["halal"] == 1
    assert queries.diet_counts(base_id, date(2026, 10, 19))["halal"] == 1
    assert queries.diet_counts(base_id, date(2026, 10, 20))["halal"] == 0
    assert queries.roster(base_id, date(2026, 10, 12))["residents"] == 3


def test_api_roster_shape_and_scope(kitchen, client, api_headers):
    body = client.get(f"/api/v1/bases/{kitchen.base_a.id}/meal-roster?date=2026-10-12",
                      headers=api_headers(kitchen.manager_a)).json
    assert body == {"date": "2026-10-12", "residents": 3, "meals": {
        meal: {"standard": 1, "halal": 1, "vegetarian": 1, "medical": 0} for meal in ("breakfast", "lunch", "dinner")}}
    other = client.get(f"/api/v1/bases/{kitchen.base_b.id}/meal-roster", headers=api_headers(kitchen.manager_a))
    assert other.status_code == 404
    bad = client.get(f"/api/v1/bases/{kitchen.base_a.id}/meal-roster?date=2026-13-01",
                     headers=api_headers(kitchen.manager_a))
    assert bad.status_code == 422 and "date" in bad.json["error"]["fields"]


def test_monthly_cost_counts_resident_days(kitchen, db):
    base = kitchen.base_a
    base.meal_standard = Decimal("30.00")
    db.session.commit()
    # October: resident_a 31 - 2 leave days = 29; halal 10-10..10-19 = 10;
    # vegetarian 10-01..10-31 = 31 - 3 absent = 28.  Total 67 days.
    [cost] = queries.monthly_cost([base], date(2026, 10, 1))
    assert cost.resident_days == 67
    assert cost.cost == Decimal("2010.00")
    # A month in progress counts up to `until` only.
    [partial] = queries.monthly_cost([base], date(2026, 10, 1), until=date(2026, 10, 11))
    assert partial.resident_days == (10 - 2) + 1 + (10 - 0)


def test_open_absence_runs_to_the_end_of_the_period(kitchen, db):
    stay = db.session.get(Stay, kitchen.stay_a.id)
    db.session.add(Absence(stay_id=stay.id, start_on=date(2026, 11, 25)))
    db.session.add(Leave(stay_id=stay.id, start_on=date(2026, 11, 5), end_on=date(2026, 11, 7), reason="x"))
    db.session.commit()
    days = queries.resident_days([kitchen.base_a.id], date(2026, 11, 1), date(2026, 12, 1))
    # resident_a: 30 nights - 2 leave - 6 absent (25..30); vegetarian: 30 nights.
    assert days[kitchen.base_a.id] == (30 - 2 - 6) + 30


def test_roster_page_and_spreadsheet(kitchen, login_as):
    client = login_as(kitchen.manager_a)
    page = client.get(f"/meals?base_id={kitchen.base_a.id}&date=2026-10-12")
    assert page.status_code == 200
    assert "马六" in page.get_data(as_text=True)
    sheet = client.get(f"/meals/roster.xlsx?base_id={kitchen.base_a.id}&date=2026-10-12")
    assert sheet.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(sheet.data))
    names = book["名单"]
    cells = [row for row in names.iter_rows(values_only=True)]
    # The name sheet prints on its own: a title, the base and the date above the names (issue 21).
    assert "就餐名单" in cells[0][0] and cells[1][0] == f"基地：{kitchen.base_a.name}"
    assert cells[2][0] == "日期：2026-10-12"
    header = next(i for i, row in enumerate(cells) if row[0] == "序号")
    assert len(cells[header + 1:]) == 3
    assert names.print_title_rows == f"${header + 1}:${header + 1}"
    formula_cell = next(c for row in names.iter_rows(min_row=header + 2) for c in row
                        if str(c.value).startswith("="))
    assert formula_cell.data_type == "s"  # written as text, never a formula
    assert client.get(f"/meals?base_id={kitchen.base_b.id}").status_code == 404


def test_export_needs_fresh_login_and_is_audited(kitchen, login_as, db):
    from sqlalchemy import select

    from base_ops.core.audit import AuditEvent

    client = login_as(kitchen.manager_a)
    client.get("/meals/cost.xlsx?month=2026-10")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")
                               .order_by(AuditEvent.seq.desc())).first()
    assert event.details_dict["rows"] == 1
    with client.session_transaction() as session:
        session["auth_at"] -= 3600
    stale = client.get("/meals/cost.xlsx?month=2026-10")
    assert stale.status_code == 302 and "/account/reauth" in stale.headers["Location"]


def test_cost_page_for_county_officer(kitchen, login_as):
    page = login_as(kitchen.officer_x).get("/meals/cost?month=2026-10")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "基地A" in body and "基地B" not in body

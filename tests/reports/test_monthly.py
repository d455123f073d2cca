"""Monthly reports (月报), issue 7 item 5: submission freezes the figures, a correction is a new version with a
reason, officers above see on time / late / missing / overdue and the roll-up of the latest versions; scope;
the API; two submissions of the same version at once (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from base_ops.core.audit import AuditEvent
from base_ops.core.clock import LOCAL_ZONE
from base_ops.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from base_ops.extensions import db as _db
from base_ops.reports.metrics import figures as F
from base_ops.reports.metrics import queries as metrics
from base_ops.reports.models import MonthlyReport
from base_ops.reports.monthly import services as monthly
from tests.race_support import race, separate_app

NOW = datetime(2026, 11, 10, 10, 0, tzinfo=LOCAL_ZONE)  # October is finished, its due day (11-03) has passed


def set_now(monkeypatch, moment: datetime) -> None:
    """Freeze both clocks the monthly reports read: today (China time) and the submission time."""
    monkeypatch.setattr("base_ops.core.clock.today", lambda: moment.astimezone(LOCAL_ZONE).date())
    monkeypatch.setattr("base_ops.reports.monthly.services.utcnow", lambda: moment.astimezone(UTC))


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    set_now(monkeypatch, NOW)


@pytest.fixture
def city_officer(factory):
    return factory.user("county_officer", username="officer_city", region_code="330100")


@pytest.fixture
def province_officer(factory):
    return factory.user("county_officer", username="officer_province", region_code="330000")


def stored(report_id: int) -> MonthlyReport:
    """The row as the database holds it (not the object in the session)."""
    _db.session.expire_all()
    return _db.session.get(MonthlyReport, report_id)


# ---------------------------------------------------------------- submitting and freezing

def test_submitting_freezes_the_months_figures(db, world, factory):
    report = monthly.submit_month(world.officer_x, "330106", "2026-10")
    assert (report.region_code, report.month, report.version, report.reason) == ("330106", "2026-10", 1, None)
    assert report.submitted_by_id == world.officer_x.id and report.submitted_at == NOW.astimezone(UTC)
    # Base A: three beds in service all October, resident A in bed A all month.
    assert report.figures["bed_nights_available"] == 93 and report.figures["bed_nights_occupied"] == 31
    assert set(report.figures) == set(F.BY_KEY)
    assert report.figures == metrics.month_figures("330106", "2026-10")

    factory.base("330106", name="基地C")  # two more beds in service in October: the data change
    assert metrics.month_figures("330106", "2026-10")["bed_nights_available"] == 93 + 62
    frozen = stored(report.id)
    assert frozen.figures["bed_nights_available"] == 93 and frozen.figures["occupancy_rate"] == pytest.approx(1 / 3)
    assert monthly.latest(world.officer_x, "330106", "2026-10").figures["bed_nights_available"] == 93


def test_the_submission_is_audited_in_its_transaction(db, world):
    report = monthly.submit_month(world.officer_x, "330106", "2026-10")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "monthly_report_submitted")).one()
    assert event.actor_id == world.officer_x.id and event.object_id == str(report.id)
    assert event.details_dict == {"region_code": "330106", "month": "2026-10", "version": 1, "reason": None}


def test_a_correction_is_a_new_version_with_a_reason_and_the_old_stays_readable(db, world, factory, english):
    first = monthly.submit_month(world.officer_x, "330106", "2026-10")
    factory.base("330106", name="基地C")
    with pytest.raises(ValidationFailed) as refused:
        monthly.submit_month(world.officer_x, "330106", "2026-10")
    assert list(refused.value.fields) == ["reason"] and "needs a reason" in refused.value.message
    with pytest.raises(ValidationFailed) as blank:
        monthly.submit_month(world.officer_x, "330106", "2026-10", reason="   ")
    assert list(blank.value.fields) == ["reason"]

    second = monthly.submit_month(world.officer_x, "330106", "2026-10", reason="基地C 十月已启用，漏报")
    assert second.version == 2 and second.reason == "基地C 十月已启用，漏报"
    assert second.figures["bed_nights_available"] == 93 + 62
    assert [v.version for v in monthly.versions(world.officer_x, "330106", "2026-10")] == [1, 2]
    assert monthly.get_version(world.officer_x, "330106", "2026-10", 1).figures["bed_nights_available"] == 93
    assert stored(first.id).figures["bed_nights_available"] == 93
    assert monthly.latest(world.officer_x, "330106", "2026-10").id == second.id
    with pytest.raises(NotFound):
        monthly.get_version(world.officer_x, "330106", "2026-10", 3)


def test_the_database_refuses_a_correction_without_a_reason(db, world):
    """The CHECK behind the rule: a version above 1 without a reason cannot be stored by any path."""
    from sqlalchemy.exc import IntegrityError

    db.session.add(MonthlyReport(region_code="330106", month="2026-10", version=2, figures={}, reason=None,
                                 submitted_by_id=world.officer_x.id, submitted_at=NOW))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("month", ["2026-11", "2026-12", "2027-01"])
def test_the_current_or_a_future_month_cannot_be_submitted(db, world, month):
    with pytest.raises(ValidationFailed) as refused:
        monthly.submit_month(world.officer_x, "330106", month)
    assert list(refused.value.fields) == ["month"]
    assert db.session.scalar(select(func.count()).select_from(MonthlyReport)) == 0


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "October", "", None])
def test_a_malformed_month_is_refused_by_name(db, world, month):
    with pytest.raises(ValidationFailed) as refused:
        monthly.submit_month(world.officer_x, "330106", month)
    assert list(refused.value.fields) == ["month"]


def test_a_month_can_be_submitted_from_its_first_following_day(db, world, monkeypatch):
    set_now(monkeypatch, datetime(2026, 11, 1, 0, 5, tzinfo=LOCAL_ZONE))  # 2026-10-31 16:05 UTC
    assert monthly.submit_month(world.officer_x, "330106", "2026-10").version == 1


def test_a_given_version_already_taken_is_a_conflict(db, world):
    """The form sends the version it offered; someone else's submission in between is not stacked on."""
    monthly.submit_month(world.officer_x, "330106", "2026-10", version=1)
    with pytest.raises(Conflict) as taken:
        monthly.submit_month(world.officer_x, "330106", "2026-10", reason="重复点击", version=1)
    assert taken.value.code == "version_exists"
    assert db.session.scalar(select(func.count()).select_from(MonthlyReport)) == 1


def test_the_unique_version_decides_between_two_writers(db, world, monkeypatch):
    """A writer that read before the other committed tries the same version: the constraint refuses it."""
    monthly.submit_month(world.officer_x, "330106", "2026-10")
    monkeypatch.setattr(monthly, "latest_version_number", lambda region_code, month: 0)  # the stale read
    with pytest.raises(Conflict) as lost:
        monthly.submit_month(world.officer_x, "330106", "2026-10")
    assert lost.value.code == "version_exists"
    assert db.session.scalar(select(func.count()).select_from(MonthlyReport)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "monthly_report_submitted")) == 1


# ---------------------------------------------------------------- who submits, who reads

def test_only_the_countys_own_officer_submits(db, world, city_officer, province_officer):
    with pytest.raises(NotFound):
        monthly.submit_month(world.officer_y, "330106", "2026-10")  # another county: not even there
    with pytest.raises(PermissionDenied):
        monthly.submit_month(city_officer, "330106", "2026-10")  # the city reads, the county submits
    with pytest.raises(PermissionDenied):
        monthly.submit_month(city_officer, "330100", "2026-10")  # a city has no monthly report of its own
    with pytest.raises(PermissionDenied):
        monthly.submit_month(province_officer, "330110", "2026-10")
    with pytest.raises(PermissionDenied):
        monthly.submit_month(world.manager_a, "330106", "2026-10")
    with pytest.raises(NotFound):
        monthly.submit_month(world.officer_x, "999999", "2026-10")
    assert db.session.scalar(select(func.count()).select_from(MonthlyReport)) == 0


def test_reading_is_limited_to_the_officers_region(db, world, city_officer):
    monthly.submit_month(world.officer_x, "330106", "2026-10")
    with pytest.raises(NotFound):
        monthly.versions(world.officer_y, "330106", "2026-10")
    with pytest.raises(NotFound):
        monthly.live_figures(world.officer_y, "330106", "2026-10")
    with pytest.raises(NotFound):
        monthly.board(world.officer_x, "330100", "2026-10")  # a county officer does not see his city
    with pytest.raises(NotFound):
        monthly.board(city_officer, "330200", "2026-10")  # another city
    with pytest.raises(PermissionDenied):
        monthly.versions(world.manager_a, "330106", "2026-10")
    with pytest.raises(ValidationFailed):
        monthly.board(city_officer, "330106", "2026-10")  # a county has versions, not a board
    assert [v.version for v in monthly.versions(city_officer, "330106", "2026-10")] == [1]


# ---------------------------------------------------------------- the deadline and the board

def test_on_time_late_missing_and_overdue_in_china_time(db, world, factory, monkeypatch, province_officer):
    factory.base("330203", name="海曙基地")  # a third county with a base, under 宁波
    # 11-03 23:59 in Beijing is 15:59 UTC: on time. 11-04 00:10 in Beijing is still 11-03 in UTC: late.
    set_now(monkeypatch, datetime(2026, 11, 3, 23, 59, tzinfo=LOCAL_ZONE))
    monthly.submit_month(world.officer_x, "330106", "2026-10")
    board = monthly.board(province_officer, "330000", "2026-10")
    assert {row.region.code: row.status for row in board.counties} == {
        "330106": monthly.Status.ON_TIME, "330110": monthly.Status.MISSING, "330203": monthly.Status.MISSING}

    set_now(monkeypatch, datetime(2026, 11, 4, 0, 10, tzinfo=LOCAL_ZONE))
    monthly.submit_month(world.officer_y, "330110", "2026-10")
    set_now(monkeypatch, datetime(2026, 11, 8, 9, 0, tzinfo=LOCAL_ZONE))
    monthly.submit_month(world.officer_x, "330106", "2026-10", reason="更正入住人数")  # a late correction

    board = monthly.board(province_officer, "330000", "2026-10")
    rows = {row.region.code: row for row in board.counties}
    assert {code: row.status for code, row in rows.items()} == {
        "330106": monthly.Status.ON_TIME, "330110": monthly.Status.LATE, "330203": monthly.Status.OVERDUE}
    assert rows["330106"].first.version == 1 and rows["330106"].latest.version == 2
    assert rows["330203"].latest is None and board.due_on == date(2026, 11, 3)
    assert (board.included, board.expected) == (2, 3)
    assert [r.status for r in monthly.county_months(world.officer_x, "330106", ["2026-10", "2026-09"])] == [
        monthly.Status.ON_TIME, monthly.Status.OVERDUE]


def test_the_due_day_is_the_countys_policy(db, world, monkeypatch):
    """Issue 18: the due day is policy (monthly_report_due_day), the county's (or its city's) in the month due."""
    from base_ops.policies import changes

    changes.adopt(world.admin, {"region_code": "330100", "title": "杭州市月报报送规定",
                                "effective_from": date(2026, 11, 1), "rules": {"monthly_report_due_day": 5},
                                "articles": {"monthly_report_due_day": "第二条"}})
    set_now(monkeypatch, datetime(2026, 11, 5, 18, 0, tzinfo=LOCAL_ZONE))
    monthly.submit_month(world.officer_x, "330106", "2026-10")
    standing = monthly.county_month(world.officer_x, "330106", "2026-10")
    assert standing.due_on == date(2026, 11, 5) and standing.status == monthly.Status.ON_TIME
    assert monthly.due_on("2026-12", "330110") == date(2027, 1, 5)
    assert monthly.due_on("2026-09", "330106") == date(2026, 10, 3)  # before the document: the default
    assert monthly.due_on("2026-12", "310101") == date(2027, 1, 3)  # another city: the default


def test_counties_without_a_base_are_not_expected(db, world, city_officer, province_officer, factory):
    assert [r.region.code for r in monthly.board(province_officer, "330000", "2026-10").counties] == [
        "330106", "330110"]
    assert [r.region.code for r in monthly.board(city_officer, "330100", "2026-10").counties] == ["330106", "330110"]
    factory.base("330203", name="海曙基地")
    assert [r.region.code for r in monthly.board(province_officer, "330000", "2026-10").counties] == [
        "330106", "330110", "330203"]


def _report(officer, region_code, version, values, reason=None, month="2026-10"):
    report = MonthlyReport(region_code=region_code, month=month, version=version, figures=values, reason=reason,
                           submitted_by_id=officer.id, submitted_at=datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    _db.session.add(report)
    _db.session.commit()
    return report


def test_the_rollup_sums_the_latest_versions_and_recomputes_rates(db, world, factory, city_officer):
    x_old = {"bed_nights_available": 1000, "bed_nights_occupied": 1000, "claims_paid_amount": "9999.00"}
    x = {"bed_nights_available": 100, "bed_nights_occupied": 90, "leavers_counted": 4, "leavers_employed": 3,
         "claims_paid_amount": "100.50"}
    y = {"bed_nights_available": 10, "bed_nights_occupied": 0, "leavers_counted": 0, "leavers_employed": 0,
         "claims_paid_amount": "0.25"}
    _report(world.officer_x, "330106", 1, x_old)
    _report(world.officer_x, "330106", 2, x, reason="更正")
    _report(world.officer_y, "330110", 1, y)
    _report(world.officer_y, "330110", 1, {"bed_nights_available": 5}, month="2026-09")  # another month

    board = monthly.board(city_officer, "330100", "2026-10")
    rollup = board.rollup
    assert rollup["bed_nights_available"] == 110 and rollup["bed_nights_occupied"] == 90
    assert rollup["occupancy_rate"] == pytest.approx(90 / 110)
    assert rollup["occupancy_rate"] != pytest.approx((0.9 + 0.0) / 2)  # never the mean of the rates
    assert rollup["placement_rate"] == pytest.approx(3 / 4)
    assert rollup["claims_paid_amount"] == "100.75"
    assert rollup["retention_3_rate"] is None  # no counts at all: "—", not 0
    assert (board.included, board.expected) == (2, 2)


def test_the_rollup_says_how_many_counties_it_includes(db, world, factory, province_officer):
    factory.base("330203", name="海曙基地")
    _report(world.officer_x, "330106", 1, {"bed_nights_available": 100, "bed_nights_occupied": 50})
    board = monthly.board(province_officer, "330000", "2026-10")
    assert (board.included, board.expected) == (1, 3)
    assert board.rollup["bed_nights_available"] == 100 and board.rollup["occupancy_rate"] == pytest.approx(0.5)


def test_recent_months_are_the_finished_ones(db):
    assert monthly.recent_months(3) == ["2026-10", "2026-09", "2026-08"]
    assert monthly.recent_months(12)[-1] == "2025-11"
    assert monthly.shift_month("2026-01", -1) == "2025-12" and monthly.shift_month("2026-12", 1) == "2027-01"


def test_the_page_sections_hold_every_figure_once():
    keys = [figure.key for _section, group in monthly.SECTIONS for figure in group]
    assert sorted(keys) == sorted(figure.key for figure in F.MONTHLY)


def test_the_comparison_flags_figures_changed_since_submission():
    lines = dict(monthly.compare({"bed_nights_available": 155, "bed_nights_occupied": 31},
                                 {"bed_nights_available": 93, "bed_nights_occupied": 31}))
    by_key = {line.figure.key: line for line in lines["occupancy"]}
    assert by_key["bed_nights_available"].differs and not by_key["bed_nights_occupied"].differs
    assert by_key["bed_nights_available"].frozen == "93" and by_key["bed_nights_available"].live == "155"
    assert by_key["residents_at_end"].frozen == "—"  # a figure the old version does not carry


# ---------------------------------------------------------------- API

def test_api_submit_and_read_a_county(db, world, client, api_headers, factory):
    response = client.post("/api/v1/reports/monthly", json={"region_code": "330106", "month": "2026-10"},
                           headers=api_headers(world.officer_x))
    assert response.status_code == 201, response.json
    body = response.json
    assert set(body) == {"id", "region_code", "region_name", "month", "version", "figures", "reason",
                         "submitted_by_id", "submitted_by_name", "submitted_at", "on_time"}
    assert (body["version"], body["reason"], body["on_time"]) == (1, None, False)  # 11-10 is after 11-03
    assert body["figures"]["bed_nights_available"] == 93 and body["region_name"] == "西湖区"

    again = client.post("/api/v1/reports/monthly", json={"region_code": "330106", "month": "2026-10"},
                        headers=api_headers(world.officer_x))
    assert again.status_code == 422 and list(again.json["error"]["fields"]) == ["reason"]
    factory.base("330106", name="基地C")
    corrected = client.post("/api/v1/reports/monthly",
                            json={"region_code": "330106", "month": "2026-10", "reason": "漏报基地C"},
                            headers=api_headers(world.officer_x))
    assert corrected.status_code == 201 and corrected.json["version"] == 2

    read = client.get("/api/v1/reports/monthly?month=2026-10", headers=api_headers(world.officer_x))
    assert read.status_code == 200
    assert read.json["region_code"] == "330106" and read.json["level"] == "county"
    assert read.json["status"] == "late" and read.json["due_on"] == "2026-11-03"
    versions = read.json["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["figures"]["bed_nights_available"] == 93
    assert versions[1]["figures"]["bed_nights_available"] == 155 and versions[1]["reason"] == "漏报基地C"
    assert "counties" not in read.json and "rollup" not in read.json


def test_api_board_for_a_city(db, world, client, api_headers, city_officer):
    _report(world.officer_x, "330106", 1, {"bed_nights_available": 100, "bed_nights_occupied": 25})
    response = client.get("/api/v1/reports/monthly?month=2026-10", headers=api_headers(city_officer))
    assert response.status_code == 200
    body = response.json
    assert body["level"] == "city" and body["region_code"] == "330100" and "versions" not in body
    assert [(c["region_code"], c["status"], c["latest_version"]) for c in body["counties"]] == [
        ("330106", "on_time", 1), ("330110", "overdue", None)]
    assert body["counties"][1]["first_submitted_at"] is None
    assert body["rollup"]["included"] == 1 and body["rollup"]["expected"] == 2
    assert body["rollup"]["figures"]["occupancy_rate"] == pytest.approx(0.25)
    county = client.get("/api/v1/reports/monthly?month=2026-10&region_code=330106", headers=api_headers(city_officer))
    assert county.status_code == 200 and [v["version"] for v in county.json["versions"]] == [1]


@pytest.mark.parametrize(("method", "kwargs", "field"), [
    ("post", {"json": {"region_code": "330106", "month": "2026-10", "figures": {}}}, "figures"),
    ("post", {"json": {"region_code": "330106", "month": "10/2026"}}, "month"),
    ("post", {"json": {"month": "2026-10"}}, "region_code"),
    ("post", {"json": {"region_code": "330106", "month": "2026-11"}}, "month"),
    ("get", {"query_string": {"region_code": "330106"}}, "month"),
    ("get", {"query_string": {"month": "2026-1"}}, "month"),
])
def test_api_bad_input_is_422_naming_the_field(db, world, client, api_headers, method, kwargs, field):
    response = getattr(client, method)("/api/v1/reports/monthly", headers=api_headers(world.officer_x), **kwargs)
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_error" and field in response.json["error"]["fields"]


def test_api_scope(db, world, client, api_headers):
    _report(world.officer_x, "330106", 1, {"bed_nights_available": 100})
    other = api_headers(world.officer_y)
    read = client.get("/api/v1/reports/monthly?month=2026-10&region_code=330106", headers=other)
    assert read.status_code == 404 and read.json["error"]["code"] == "not_found"
    wrote = client.post("/api/v1/reports/monthly", json={"region_code": "330106", "month": "2026-10",
                                                         "reason": "x"}, headers=other)
    assert wrote.status_code == 404
    above = client.get("/api/v1/reports/monthly?month=2026-10&region_code=330100", headers=other)
    assert above.status_code == 404
    manager = client.get("/api/v1/reports/monthly?month=2026-10", headers=api_headers(world.manager_a))
    assert manager.status_code == 403
    manager_post = client.post("/api/v1/reports/monthly", json={"region_code": "330106", "month": "2026-10"},
                               headers=api_headers(world.manager_a))
    assert manager_post.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(MonthlyReport)) == 1


# ---------------------------------------------------------------- two submissions at once

@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    yield from separate_app(tmp_path_factory, "monthly_race", _site)


def _site(app) -> None:
    from base_ops.accounts.services import create_user
    from base_ops.org import services as org
    from tests.conftest import REGIONS

    org.load_regions([{"code": c, "name": n, "level": lvl, "parent_code": p} for c, n, lvl, p in REGIONS])
    base = org.create_base(None, name="月报基地", region_code="330106", address="测试路 3 号")
    room = org.create_room(None, base, name="101", sex="male")
    org.create_bed(None, room, label="A", in_service_from=date(2025, 1, 1))
    create_user(None, username="race_officer", role="county_officer", password="Correct-Horse-42",
                region_code="330106")


def _officer():
    from base_ops.accounts.models import User

    return _db.session.scalar(select(User).where(User.username == "race_officer"))


def _submit(barrier, month, reason, version):
    actor = _officer()
    monthly.latest_version_number("330106", month)  # hold a read snapshot when the race starts
    barrier.wait()
    monthly.submit_month(actor, "330106", month, reason, version=version)


def _versions(app, month) -> list[int]:
    with app.app_context():
        return list(_db.session.scalars(select(MonthlyReport.version).where(MonthlyReport.month == month)
                                        .order_by(MonthlyReport.version)))


@pytest.mark.parametrize("round_", range(3))
def test_two_first_submissions_at_once_make_one_version(race_app, round_):
    """The page offered version 1 to two clicks (or two officers): one wins, the other is told."""
    month = ["2026-08", "2026-09", "2026-10"][round_]
    results = race(race_app, _submit, (month, None, 1), (month, None, 1))
    assert results == ["ok", "version_exists"]
    assert _versions(race_app, month) == [1]


def test_two_corrections_at_once_do_not_stack(race_app):
    month = "2026-07"
    assert race(race_app, _submit, (month, None, None)) == ["ok"]
    results = race(race_app, _submit, (month, "更正甲", 2), (month, "更正乙", 2))
    assert results == ["ok", "version_exists"]
    assert _versions(race_app, month) == [1, 2]


def test_two_api_style_submissions_at_once_store_one_version(race_app):
    """Without a version (the API), the loser is refused whichever way the race went: the unique
    version (a conflict) or, after the winner committed, the rule that a second version needs a reason."""
    month = "2026-06"
    results = race(race_app, _submit, (month, None, None), (month, None, None))
    assert results[0] == "ok" and results[1] in {"version_exists", "validation_error"}, results
    assert _versions(race_app, month) == [1]


def test_money_figures_stay_decimal_strings(db, world):
    report = monthly.submit_month(world.officer_x, "330106", "2026-10")
    assert Decimal(stored(report.id).figures["claims_paid_amount"]) == Decimal("0.00")

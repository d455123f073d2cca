"""`flask seed demo` with its past year (seed/demo_history.py): the reports have real figures, and the
history keeps every rule the services keep — no bed double-booked, rooms of the resident's sex, stays,
placements, claims and their events in a consistent order."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from stdnum.cn import ric

from base_ops.core import clock
from base_ops.reports.metrics import queries as metrics
from base_ops.reports.metrics.filters import ReportFilter
from base_ops.reports.metrics.periods import default_period


def _scalar(db, sql: str, **params):
    return db.session.execute(text(sql), params).scalar()


def _day(value) -> date:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


@pytest.fixture(params=["today", "january"])
def demo(request, db, monkeypatch):
    """The demo loaded today, and as if loaded on a 20 January (before the demo agreement's first hire
    months; every service used by load_demo accepts a day in the past)."""
    from base_ops.seed import loaders

    day = clock.today() if request.param == "today" else date(clock.today().year, 1, 20)
    monkeypatch.setattr(loaders, "today", lambda: day)
    monkeypatch.setattr("base_ops.core.clock.today", lambda: day)
    assert loaders.load_demo() is True
    return day


def test_city_figures_of_the_last_year_are_not_trivial(demo, db):
    start, end = default_period(None, None)
    placements = metrics.placements(ReportFilter(start, end, "330100", None, ("base",))).total.values
    assert placements["leavers"] > 20
    assert 0.3 <= placements["placement_rate"] <= 0.9
    last_six = ReportFilter(demo - timedelta(days=183), demo + timedelta(days=1), "330100", None, ("base",))
    assert 0.3 <= metrics.occupancy(last_six).total.values["occupancy_rate"] <= 1.0
    overview = metrics.overview(ReportFilter(start, end, "330100", None, ("base",))).total.values
    for key in ("in_stay_placement_rate", "retention_3_rate", "reoffence_rate", "handover_rate", "receipt_rate"):
        assert overview[key] is not None and 0 < overview[key] <= 1, key
    assert overview["reoffence_rate"] < 0.2
    assert overview["claims_approved"] > 10 and overview["enrolments"] > 0
    # every month of the period had people staying
    by_month = metrics.occupancy(ReportFilter(start, end, "330100", None, ("month",))).rows
    assert len(by_month) == 12 and all(row.values["occupancy_rate"] > 0.1 for row in by_month)


def test_the_county_officer_sees_his_base_busy_too(demo, db):
    start, end = default_period(None, None)
    f = ReportFilter(start, end, "330106", None, ("base",))
    assert metrics.placements(f).total.values["leavers"] >= 8
    assert metrics.overview(f).total.values["completions"] + metrics.overview(f).total.values["enrolments"] > 0


def test_no_bed_or_resident_is_double_booked(demo, db):
    overlap = ("SELECT COUNT(*) FROM bed_assignments a JOIN bed_assignments b ON a.{col} = b.{col} AND a.id < b.id "
               "AND a.start_on < COALESCE(b.end_on, '9999-12-31') AND b.start_on < COALESCE(a.end_on, '9999-12-31')")
    assert _scalar(db, overlap.format(col="bed_id")) == 0
    assert _scalar(db, overlap.format(col="resident_id")) == 0
    assert _scalar(db, "SELECT COUNT(*) FROM bed_assignments") > 40
    # the room is the resident's sex; the bed is in service every night of the assignment
    assert _scalar(db, "SELECT COUNT(*) FROM bed_assignments a JOIN beds b ON b.id = a.bed_id "
                       "JOIN rooms r ON r.id = b.room_id JOIN residents p ON p.id = a.resident_id "
                       "WHERE r.sex <> p.sex") == 0
    assert _scalar(db, "SELECT COUNT(*) FROM bed_assignments a WHERE NOT EXISTS (SELECT 1 FROM bed_service_periods p "
                       "WHERE p.bed_id = a.bed_id AND p.start_on <= a.start_on AND (p.end_on IS NULL OR "
                       "(a.end_on IS NOT NULL AND a.end_on <= p.end_on)))") == 0
    # assignments are the nights of their stay, in the stay's base
    assert _scalar(db, "SELECT COUNT(*) FROM bed_assignments a JOIN stays s ON s.id = a.stay_id "
                       "JOIN beds b ON b.id = a.bed_id JOIN rooms r ON r.id = b.room_id "
                       "WHERE a.start_on < s.admitted_on OR r.base_id <> s.base_id "
                       "OR COALESCE(a.end_on, '9999-12-31') > COALESCE(s.discharged_on, '9999-12-31')") == 0
    # nothing after today
    assert _scalar(db, "SELECT COUNT(*) FROM stays WHERE admitted_on > :d OR discharged_on > :d", d=demo) == 0


def test_leavers_go_where_leavers_go(demo, db):
    destinations = dict(db.session.execute(text(
        "SELECT destination, COUNT(*) FROM stays WHERE destination IS NOT NULL GROUP BY destination")).all())
    leavers = sum(destinations.values())
    assert 40 <= leavers <= 80
    assert destinations["employed"] + destinations["returned_home"] > leavers / 2
    assert destinations["hospital"] == 1 and 1 <= destinations["reoffended"] <= leavers * 0.1
    assert _scalar(db, "SELECT COUNT(*) FROM stays WHERE destination = 'other' AND discharge_note IS NULL") == 0
    assert _scalar(db, "SELECT COUNT(*) FROM residents r JOIN stays s ON s.resident_id = r.id "
                       "WHERE s.destination = 'reoffended' AND r.reoffended_on IS NULL") == 0
    for number, sex in db.session.execute(text("SELECT id_number, sex FROM residents")).all():
        assert ric.is_valid(number) and (int(number[16]) % 2 == 1) == (sex == "male"), number


def test_placements_start_in_the_stay_and_checks_follow_them(demo, db):
    assert _scalar(db, "SELECT COUNT(*) FROM placements") > 10
    assert _scalar(db, "SELECT COUNT(*) FROM placements p JOIN stays s ON s.id = p.stay_id "
                       "WHERE p.started_on < s.admitted_on OR p.started_on > s.discharged_on "
                       "OR s.destination <> 'employed'") == 0
    assert _scalar(db, "SELECT COUNT(*) FROM placements p JOIN referrals r ON r.id = p.referral_id "
                       "WHERE r.status <> 'hired' OR r.resident_id <> p.resident_id") == 0
    assert _scalar(db, "SELECT COUNT(*) FROM placements WHERE ended_on IS NOT NULL") > 0
    assert _scalar(db, "SELECT COUNT(*) FROM retention_checks c JOIN placements p ON p.id = c.placement_id "
                       "WHERE c.checked_on < p.started_on OR c.checked_on >= :d "
                       "OR (c.employed AND p.ended_on IS NOT NULL AND p.ended_on <= c.checked_on)", d=demo) == 0
    # closed postings hold their hires: open positions never negative, positions never exceeded
    assert _scalar(db, "SELECT COUNT(*) FROM job_postings j WHERE j.positions < (SELECT COUNT(*) FROM placements p "
                       "JOIN referrals r ON r.id = p.referral_id WHERE r.posting_id = j.id) + j.open_positions") == 0


def test_notices_and_training_have_both_sides(demo, db):
    assert _scalar(db, "SELECT COUNT(*) FROM release_notices WHERE feedback_sent_on <= feedback_due_on") > 0
    assert _scalar(db, "SELECT COUNT(*) FROM release_notices WHERE feedback_sent_on > feedback_due_on") > 0
    assert _scalar(db, "SELECT COUNT(*) FROM release_notices WHERE is_key_subject AND collected_on IS NOT NULL") > 0
    assert _scalar(db, "SELECT COUNT(*) FROM release_notices WHERE is_key_subject AND collected_on IS NULL "
                       "AND expected_release_on < :d", d=demo) > 0
    assert _scalar(db, "SELECT COUNT(*) FROM courses WHERE ends_on < :d", d=demo) >= 2
    assert _scalar(db, "SELECT COUNT(*) FROM courses c WHERE c.enrolled_count <> (SELECT COUNT(*) FROM enrolments e "
                       "WHERE e.course_id = c.id AND e.status = 'enrolled')") == 0
    # attendance of the past courses only while the person stayed (the running course of
    # loaders.load_demo_training_and_jobs is not part of the history)
    assert _scalar(db, "SELECT COUNT(*) FROM attendance a JOIN course_sessions cs ON cs.id = a.session_id "
                       "JOIN courses c ON c.id = cs.course_id "
                       "JOIN enrolments e ON e.id = a.enrolment_id JOIN stays s ON s.id = e.stay_id "
                       "WHERE c.ends_on < :d AND (cs.held_on < s.admitted_on "
                       "OR cs.held_on >= COALESCE(s.discharged_on, '9999-12-31'))", d=demo) == 0
    assert _scalar(db, "SELECT COUNT(*) FROM attendance a JOIN course_sessions cs ON cs.id = a.session_id "
                       "WHERE cs.held_on >= :d", d=demo) == 0
    assert _scalar(db, "SELECT COUNT(*) FROM enrolments WHERE certificate_number IS NOT NULL") > 0


def test_claims_move_through_their_life_cycle_on_dated_events(demo, db):
    statuses = dict(db.session.execute(text("SELECT status, COUNT(*) FROM claims GROUP BY status")).all())
    assert {"paid", "approved", "rejected"} <= set(statuses) and len(statuses) >= 4
    kinds = {row[0] for row in db.session.execute(text("SELECT DISTINCT kind FROM claims"))}
    assert {"living_allowance", "handover"} <= kinds
    # the last event of every claim is its status, events in order and all in the past
    rows = db.session.execute(text("SELECT c.id, c.status, e.from_status, e.to_status, e.at FROM claims c "
                                   "JOIN claim_events e ON e.claim_id = c.id ORDER BY c.id, e.id")).all()
    by_claim: dict[int, list] = {}
    for claim_id, status, previous, target, at in rows:
        by_claim.setdefault(claim_id, []).append((status, previous, target, at))
    for events in by_claim.values():
        assert events[0][1] is None and events[0][2] == "draft"
        assert events[-1][2] == events[0][0]
        for (_s, _p, target, at), (_s2, previous, _t, later) in itertools.pairwise(events):
            assert previous == target and str(at) <= str(later)
        assert _day(str(events[-1][3])) <= demo
    # paid claims sit in a paid batch of their county; the approved budget is kept
    assert _scalar(db, "SELECT COUNT(*) FROM claims c LEFT JOIN payment_batches b ON b.id = c.batch_id "
                       "WHERE c.status = 'paid' AND (b.id IS NULL OR b.status <> 'paid' "
                       "OR b.region_code <> c.region_code)") == 0
    assert _scalar(db, "SELECT COUNT(*) FROM placement_agreements a WHERE a.budget < (SELECT COALESCE(SUM(amount), 0) "
                       "FROM claims c WHERE c.agreement_id = a.id AND c.status IN ('approved', 'paid'))") == 0


def test_loading_again_changes_nothing(demo, db):
    from base_ops.seed.loaders import load_demo

    before = _scalar(db, "SELECT COUNT(*) FROM stays")
    assert load_demo() is False
    assert _scalar(db, "SELECT COUNT(*) FROM stays") == before

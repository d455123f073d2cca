"""`flask seed synthetic --scale small` (docs/api.md "Command line"): counts, realism, every database rule, refusal."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from stdnum.cn import ric

from base_ops.accounts import services as account_services
from base_ops.core.clock import today
from base_ops.seed.synthetic import DEFAULT_PASSWORD, USERNAMES


def _scalar(db, sql: str, **params):
    return db.session.execute(text(sql), params).scalar()


def _count(db, table: str) -> int:
    return _scalar(db, f"SELECT COUNT(*) FROM {table}")


@pytest.fixture
def seeded(app, db):
    result = app.test_cli_runner().invoke(args=["seed", "synthetic", "--scale", "small"])
    assert result.exit_code == 0, result.output
    return result


def test_small_scale_counts_and_printed_summary(seeded, db):
    assert _count(db, "bases") == 3
    assert 30 <= _count(db, "beds") <= 60
    assert 200 <= _count(db, "residents") <= 1000
    assert _count(db, "stays") > _count(db, "residents")  # some came back
    assert _count(db, "bed_assignments") > _count(db, "stays")  # some moved beds
    for table in ("attendance", "placements", "retention_checks", "claims", "release_notices", "courses",
                  "enrolments", "referrals", "leaves", "payment_batches"):
        assert _count(db, table) > 0, table
    printed = {}
    for line in seeded.output.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].replace(",", "").isdigit():
            printed[parts[0]] = int(parts[1].replace(",", ""))
    assert printed["residents"] == _count(db, "residents")
    assert printed["attendance"] == _count(db, "attendance")
    assert "done in" in seeded.output
    for username in USERNAMES.values():
        assert username in seeded.output


def test_one_open_stay_per_person_and_stays_are_realistic(seeded, db):
    assert _scalar(db, "SELECT COUNT(*) FROM (SELECT resident_id FROM stays WHERE discharged_on IS NULL "
                       "GROUP BY resident_id HAVING COUNT(*) > 1) x") == 0
    # A person's stays never overlap.
    assert _scalar(db, "SELECT COUNT(*) FROM stays a JOIN stays b ON a.resident_id = b.resident_id AND a.id < b.id "
                       "AND a.admitted_on < COALESCE(b.discharged_on, '9999-12-31') "
                       "AND b.admitted_on < COALESCE(a.discharged_on, '9999-12-31')") == 0
    lengths = [row[0] for row in db.session.execute(text(
        "SELECT discharged_on - admitted_on FROM stays WHERE discharged_on IS NOT NULL"
        if db.engine.dialect.name == "postgresql" else
        "SELECT julianday(discharged_on) - julianday(admitted_on) FROM stays WHERE discharged_on IS NOT NULL"))]
    assert min(lengths) >= 1 and max(lengths) <= 240
    assert sum(1 for n in lengths if n >= 10) / len(lengths) > 0.95
    open_now = _scalar(db, "SELECT COUNT(*) FROM stays WHERE discharged_on IS NULL")
    assert open_now > 0
    oldest = _scalar(db, "SELECT MIN(admitted_on) FROM stays")
    oldest = date.fromisoformat(oldest) if isinstance(oldest, str) else oldest
    assert oldest <= today() - timedelta(days=3 * 365 - 1)
    destinations = dict(db.session.execute(text(
        "SELECT destination, COUNT(*) FROM stays WHERE destination IS NOT NULL GROUP BY destination")).all())
    leavers = sum(destinations.values())
    assert destinations["employed"] / leavers > 0.3  # most leave for a job or go home
    assert destinations.get("returned_home", 0) > destinations.get("reoffended", 0)
    assert destinations.get("deceased", 0) / leavers < 0.05


def test_no_bed_or_resident_double_booked_and_rooms_match_sex(seeded, db):
    overlap = ("SELECT COUNT(*) FROM bed_assignments a JOIN bed_assignments b ON a.{col} = b.{col} AND a.id < b.id "
               "AND a.start_on < COALESCE(b.end_on, '9999-12-31') AND b.start_on < COALESCE(a.end_on, '9999-12-31')")
    assert _scalar(db, overlap.format(col="bed_id")) == 0
    assert _scalar(db, overlap.format(col="resident_id")) == 0
    assert _scalar(db, "SELECT COUNT(*) FROM bed_assignments a JOIN beds ON beds.id = a.bed_id "
                       "JOIN rooms ON rooms.id = beds.room_id JOIN residents r ON r.id = a.resident_id "
                       "WHERE rooms.sex <> r.sex") == 0
    # Each assignment lies within its stay, at the stay's base, and the open ones belong to open stays.
    assert _scalar(db, "SELECT COUNT(*) FROM bed_assignments a JOIN stays s ON s.id = a.stay_id "
                       "JOIN beds ON beds.id = a.bed_id JOIN rooms ON rooms.id = beds.room_id "
                       "WHERE a.start_on < s.admitted_on OR rooms.base_id <> s.base_id "
                       "OR (a.end_on IS NULL AND s.discharged_on IS NOT NULL) "
                       "OR (s.discharged_on IS NOT NULL AND a.end_on > s.discharged_on)") == 0
    assert _scalar(db, "SELECT COUNT(*) FROM stays s WHERE s.discharged_on IS NULL AND (SELECT COUNT(*) "
                       "FROM bed_assignments a WHERE a.stay_id = s.id AND a.end_on IS NULL) <> 1") == 0
    # A bed is in service on every night it is occupied (it goes out of service only when empty).
    assert _scalar(db, "SELECT COUNT(*) FROM bed_assignments a WHERE NOT EXISTS (SELECT 1 FROM bed_service_periods p "
                       "WHERE p.bed_id = a.bed_id AND p.start_on <= a.start_on AND (p.end_on IS NULL OR "
                       "(a.end_on IS NOT NULL AND a.end_on <= p.end_on)))") == 0
    assert _scalar(db, "SELECT COUNT(*) FROM bed_service_periods WHERE end_on IS NOT NULL") > 0


def test_occupancy_of_the_last_year_is_realistic(seeded, db):
    end = today()
    start = end - timedelta(days=365)
    occupied = available = 0
    def d(value):
        return date.fromisoformat(value) if isinstance(value, str) else value

    spans = [(d(s), d(e) if e else end) for s, e in db.session.execute(text(
        "SELECT start_on, end_on FROM bed_assignments")).all()]
    periods = [(d(s), d(e) if e else end) for s, e in db.session.execute(text(
        "SELECT start_on, end_on FROM bed_service_periods")).all()]
    for s, e in spans:
        occupied += max(0, (min(e, end) - max(s, start)).days)
    for s, e in periods:
        available += max(0, (min(e, end) - max(s, start)).days)
    assert 0.6 <= occupied / available <= 0.95


def test_identity_numbers_are_valid_and_match_sex(seeded, db):
    rows = db.session.execute(text("SELECT id_number, sex, birth_on FROM residents")).all()
    assert len({r[0] for r in rows}) == len(rows)
    for number, sex, birth in rows:
        assert ric.is_valid(number), number
        assert (int(number[16]) % 2 == 1) == (sex == "male")
        assert str(ric.get_birth_date(number)) == str(birth)[:10]


def test_training_within_capacity_and_attendance_only_for_past_sessions(seeded, db):
    assert _scalar(db, "SELECT COUNT(*) FROM courses c WHERE c.enrolled_count <> (SELECT COUNT(*) FROM enrolments e "
                       "WHERE e.course_id = c.id AND e.status = 'enrolled') OR c.enrolled_count > c.capacity") == 0
    assert _scalar(db, "SELECT COUNT(*) FROM attendance a JOIN course_sessions s ON s.id = a.session_id "
                       "WHERE s.held_on >= :today", today=today()) == 0
    assert _scalar(db, "SELECT COUNT(*) FROM attendance a JOIN enrolments e ON e.id = a.enrolment_id "
                       "JOIN course_sessions s ON s.id = a.session_id "
                       "WHERE e.resident_id <> a.resident_id OR e.course_id <> s.course_id") == 0
    assert _scalar(db, "SELECT COUNT(*) FROM enrolments WHERE certificate_number IS NOT NULL") > 0


def test_placements_claims_and_notices_are_consistent(seeded, db):
    # Placements start during the stay of the leaver.
    assert _scalar(db, "SELECT COUNT(*) FROM placements p JOIN stays s ON s.id = p.stay_id "
                       "WHERE p.started_on < s.admitted_on OR (s.discharged_on IS NOT NULL "
                       "AND p.started_on > s.discharged_on)") == 0
    assert _scalar(db, "SELECT COUNT(*) FROM placements WHERE ended_on IS NOT NULL") > 0
    assert _scalar(db, "SELECT COUNT(*) FROM retention_checks WHERE employed = false") > 0
    kinds = {k for (k,) in db.session.execute(text("SELECT DISTINCT kind FROM claims"))}
    assert kinds == {"one_time_hire", "post_subsidy", "insurance_subsidy", "living_allowance", "handover"}
    statuses = {s for (s,) in db.session.execute(text("SELECT DISTINCT status FROM claims"))}
    assert statuses == {"draft", "submitted", "reviewed", "approved", "paid", "rejected"}
    assert _scalar(db, "SELECT COUNT(*) FROM claims WHERE amount <= 0") == 0
    assert _scalar(db, "SELECT COUNT(*) FROM claims WHERE status = 'paid' AND batch_id IS NULL") == 0
    assert _scalar(db, "SELECT COUNT(*) FROM claims WHERE status = 'rejected' AND reason_code IS NULL") == 0
    # Every claim's history ends at its status.
    assert _scalar(db, "SELECT COUNT(*) FROM claims c WHERE c.status <> (SELECT e.to_status FROM claim_events e "
                       "WHERE e.claim_id = c.id ORDER BY e.id DESC LIMIT 1)") == 0
    # Approved and paid claims stay within each agreement's budget (docs/domain.md "Employers, jobs and placements").
    assert _scalar(db, "SELECT COUNT(*) FROM placement_agreements a WHERE a.budget < (SELECT COALESCE(SUM(amount), 0) "
                       "FROM claims c WHERE c.agreement_id = a.id AND c.status IN ('approved', 'paid'))") == 0
    on_time = _scalar(db, "SELECT COUNT(*) FROM release_notices WHERE feedback_sent_on <= feedback_due_on")
    late = _scalar(db, "SELECT COUNT(*) FROM release_notices WHERE feedback_sent_on > feedback_due_on")
    assert on_time > late > 0


def test_the_users_can_sign_in(seeded, db):
    user = account_services.authenticate(USERNAMES["manager"], DEFAULT_PASSWORD)
    assert user.base_ids
    officer = db.session.execute(text("SELECT totp_enabled, region_code FROM users WHERE username = :u"),
                                 {"u": USERNAMES["province"]}).one()
    assert officer[1] == "330000" and officer[0]


def test_second_run_refuses_with_a_clear_message(seeded, app, db):
    residents = _count(db, "residents")
    result = app.test_cli_runner().invoke(args=["seed", "synthetic", "--scale", "small"])
    assert result.exit_code != 0
    assert "already" in result.output
    assert _count(db, "residents") == residents


def test_password_from_stdin_and_unknown_province(app, db):
    bad = app.test_cli_runner().invoke(args=["seed", "synthetic", "--scale", "small", "--province", "330100"])
    assert bad.exit_code != 0 and "330100" in bad.output
    result = app.test_cli_runner().invoke(args=["seed", "synthetic", "--scale", "small", "--password-stdin"],
                                          input="Another-Synthetic-Pass-9\n")
    assert result.exit_code == 0, result.output
    assert account_services.authenticate(USERNAMES["manager"], "Another-Synthetic-Pass-9") is not None

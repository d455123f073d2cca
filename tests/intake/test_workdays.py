"""Working days for receipt deadlines: the seeded Chinese calendar, 调休, unknown years, admin edits, refresh."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

import chinese_calendar
import pytest
from sqlalchemy import delete, event, func, select

from base_ops.core.audit import AuditEvent
from base_ops.core.workdays import WorkCalendar, WorkCalendarDay, add_working_days
from base_ops.intake.notices import services as notices


@contextmanager
def count_queries(db):
    """Count the SQL statements the block sends."""
    statements: list[str] = []
    engine = db.session.get_bind()

    def listener(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
            statements.append(statement)

    target = engine.engine if hasattr(engine, "engine") else engine
    event.listen(target, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(target, "before_cursor_execute", listener)


def reference_due(start: date, n: int) -> date:
    """The n-th working day after start, straight from chinesecalendar."""
    day, counted = start, 0
    while counted < n:
        day += timedelta(days=1)
        counted += chinese_calendar.is_workday(day)
    return day


def test_migration_seeded_the_years_chinesecalendar_knows(db):
    first, last = db.session.execute(select(func.min(WorkCalendarDay.day), func.max(WorkCalendarDay.day))).one()
    assert first == date(2004, 1, 1)
    assert last == date(2026, 12, 31)


def test_plain_week_friday_to_friday(db):
    # Received Friday 2026-11-20: Mon 23 .. Fri 27 are the five working days; the day of receipt does not count.
    assert add_working_days(date(2026, 11, 20), 5) == (date(2026, 11, 27), False)
    assert add_working_days(date(2026, 11, 23), 5) == (date(2026, 11, 30), False)


def test_national_day_week_and_make_up_saturday(db):
    # 2026: Mid-autumn and National Day; 10-01..10-07 off, Saturday 10-10 is a make-up working day (调休).
    assert not chinese_calendar.is_workday(date(2026, 10, 5))
    assert chinese_calendar.is_workday(date(2026, 10, 10))
    # 09-29, 09-30, 10-08, 10-09, 10-10 (Saturday, worked).
    assert add_working_days(date(2026, 9, 28), 5) == (date(2026, 10, 10), False)
    # Received on a holiday: counting starts the next working day.
    # 10-08, 10-09, 10-10 (Saturday, worked), 10-12, 10-13.
    assert add_working_days(date(2026, 10, 3), 5) == (date(2026, 10, 13), False)


def test_agrees_with_chinesecalendar_across_known_years(db):
    for start in (date(2024, 1, 1) + timedelta(days=d) for d in range(0, 2 * 365 + 330, 5)):
        assert add_working_days(start, 5) == (reference_due(start, 5), False), start


def test_unknown_year_falls_back_to_monday_friday_as_estimate(db):
    # 2031 is not in the table: Monday 03-03 -> Monday 03-10, marked as estimated.
    assert add_working_days(date(2031, 3, 3), 5) == (date(2031, 3, 10), True)
    assert add_working_days(date(2031, 3, 7), 5) == (date(2031, 3, 14), True)


def test_deadline_running_into_an_unknown_year_is_an_estimate(db):
    # 2026-12-29, 30, 31 are known; 2027-01-01 (Friday) and 01-04 are guessed as working days.
    assert add_working_days(date(2026, 12, 28), 5) == (date(2027, 1, 4), True)
    # Entirely inside the known year: not an estimate.
    assert add_working_days(date(2026, 12, 21), 5) == (date(2026, 12, 28), False)


def test_zero_days_and_negative(db):
    assert add_working_days(date(2026, 11, 20), 0) == (date(2026, 11, 20), False)
    with pytest.raises(ValueError):
        add_working_days(date(2026, 11, 20), -1)


def test_one_query_for_the_whole_range(db):
    with count_queries(db) as statements:
        add_working_days(date(2026, 9, 28), 5)
    assert len(statements) == 1


def test_bulk_calendar_one_query_for_many_starts(db):
    starts = [date(2026, 9, 1) + timedelta(days=i) for i in range(60)]
    with count_queries(db) as statements:
        calendar = WorkCalendar.covering(starts, 5)
        dues = [calendar.add_working_days(s, 5) for s in starts]
    assert len(statements) == 1
    assert dues == [add_working_days(s, 5) for s in starts]


def test_admin_marks_a_day_and_new_deadlines_follow(world, db):
    assert add_working_days(date(2026, 11, 20), 5) == (date(2026, 11, 27), False)
    notices.set_calendar_day(world.admin, day=date(2026, 11, 23), is_workday=False, note="台风停工")
    assert add_working_days(date(2026, 11, 20), 5) == (date(2026, 11, 30), False)
    row = db.session.get(WorkCalendarDay, date(2026, 11, 23))
    assert (row.is_workday, row.source, row.note) == (False, "admin", "台风停工")
    event_row = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert event_row.action == "calendar_day_set"
    assert event_row.object_id == "2026-11-23"
    assert event_row.details_dict["previous"] is True
    assert event_row.actor_username == "admin_w"


def test_admin_extends_an_unknown_year(world, db):
    # New Year's Day 2031 (a Wednesday) entered by the admin; the neighbouring days stay guessed.
    notices.set_calendar_day(world.admin, day=date(2031, 1, 1), is_workday=False, note="元旦")
    due, estimate = add_working_days(date(2030, 12, 31), 1)
    assert due == date(2031, 1, 2)
    assert estimate  # 2031-01-02 itself is not in the table


def test_a_very_long_admin_holiday_widens_the_search(world, db):
    for i in range(40):
        notices.set_calendar_day(world.admin, day=date(2026, 11, 21) + timedelta(days=i), is_workday=False, note=None)
    due, estimate = add_working_days(date(2026, 11, 20), 5)
    # 12-31 (known), then 2027-01-01, 01-04, 01-05, 01-06 guessed as Monday-Friday.
    assert due == date(2027, 1, 6)
    assert estimate


def test_set_calendar_day_refuses_bad_values(world, db):
    from base_ops.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        notices.set_calendar_day(world.admin, day=date(1990, 1, 1), is_workday=True, note=None)
    assert "day" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        notices.set_calendar_day(world.admin, day=date(2026, 1, 1), is_workday=True, note="x" * 51)
    assert "note" in caught.value.fields
    assert db.session.get(WorkCalendarDay, date(2026, 1, 1)).source == "chinesecalendar"


def test_refresh_inserts_missing_days_and_keeps_admin_edits(world, db):
    holidays = WorkCalendarDay.day.between(date(2026, 10, 1), date(2026, 10, 10))
    db.session.execute(delete(WorkCalendarDay).where(holidays))
    db.session.commit()
    notices.set_calendar_day(world.admin, day=date(2026, 10, 5), is_workday=True, note="值班")
    stale = db.session.get(WorkCalendarDay, date(2026, 11, 2))
    stale.is_workday = False  # as if an older chinesecalendar had it wrong
    db.session.commit()
    inserted, corrected = notices.refresh_calendar(None)
    assert (inserted, corrected) == (9, 1)
    assert db.session.get(WorkCalendarDay, date(2026, 10, 1)).is_workday is False
    assert db.session.get(WorkCalendarDay, date(2026, 10, 1)).note == "国庆节"
    assert db.session.get(WorkCalendarDay, date(2026, 10, 10)).is_workday is True
    kept = db.session.get(WorkCalendarDay, date(2026, 10, 5))
    assert (kept.is_workday, kept.source, kept.note) == (True, "admin", "值班")
    assert db.session.get(WorkCalendarDay, date(2026, 11, 2)).is_workday is True
    assert notices.refresh_calendar(None) == (0, 0)


def test_flask_calendar_refresh_command(app, db):
    db.session.execute(delete(WorkCalendarDay).where(WorkCalendarDay.day == date(2026, 10, 1)))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["calendar", "refresh"])
    assert result.exit_code == 0, result.output
    assert "inserted 1 days" in result.output
    assert "2004-2026" in result.output
    assert db.session.get(WorkCalendarDay, date(2026, 10, 1)) is not None

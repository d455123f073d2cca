"""Working days on the Chinese calendar (调休 included), for deadlines such as the 回执 (seed 004 item 4).

The calendar lives in the `work_calendar_days` table: seeded from the
`chinesecalendar` package for the years it knows, extendable and correctable by
an admin. A day with no row falls back to Monday-Friday, and a deadline that
needed such a guess is marked as an estimate (docs/domain.md "Before release").

The table's model lives here, with the arithmetic that reads it: working days are a kernel
concept (the notices' 回执 deadline, the training sessions' dates and the seed all count them),
and the kernel imports no domain package. The intake pages edit the calendar through this model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from base_ops.extensions import db

# Room for the longest run of holidays (Spring Festival, National Day: 8-9 days)
# on top of the weekends between the working days asked for.
_SLACK_DAYS = 21


class WorkCalendarDay(db.Model):
    """One day of the Chinese working calendar (调休 included).

    Seeded from `chinesecalendar` for the years it knows; an admin can add or
    correct days. Years with no rows fall back to Monday-Friday, and deadlines
    computed that way are marked as estimates (docs/domain.md "Before release").
    """

    __tablename__ = "work_calendar_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    is_workday: Mapped[bool]
    source: Mapped[str] = mapped_column(String(20), default="chinesecalendar")
    note: Mapped[str | None] = mapped_column(String(50))


def _fallback_is_workday(day: date) -> bool:
    return day.weekday() < 5


@dataclass(frozen=True)
class WorkCalendar:
    """The known days of a date range ({day: is_workday}), for in-memory deadline arithmetic."""

    first: date
    last: date
    days: Mapping[date, bool]

    @classmethod
    def load(cls, first: date, last: date) -> WorkCalendar:
        """One query for every known day of [first, last]."""
        rows = db.session.execute(
            select(WorkCalendarDay.day, WorkCalendarDay.is_workday).where(
                WorkCalendarDay.day >= first, WorkCalendarDay.day <= last
            )
        ).all()
        return cls(first, last, {day: bool(is_workday) for day, is_workday in rows})

    @classmethod
    def covering(cls, starts: list[date], n: int) -> WorkCalendar:
        """A calendar wide enough to add `n` working days to each of `starts`."""
        return cls.load(min(starts), max(starts) + timedelta(days=_window(n)))

    def add_working_days(self, start: date, n: int) -> tuple[date, bool]:
        """The n-th working day after `start` (the start day itself does not count), and whether it is estimated."""
        if n < 0:
            raise ValueError("n must not be negative")
        day, counted, estimated = start, 0, False
        while counted < n:
            day += timedelta(days=1)
            if not self.first <= day <= self.last:
                raise LookupError("day outside the loaded calendar range")
            known = self.days.get(day)
            if known is None:
                estimated = True
                known = _fallback_is_workday(day)
            if known:
                counted += 1
        return day, estimated


def due_with(calendar: WorkCalendar, start: date, n: int) -> tuple[date, bool]:
    """`calendar.add_working_days`, or a fresh look-up should the day fall beyond the loaded range."""
    try:
        return calendar.add_working_days(start, n)
    except LookupError:
        return add_working_days(start, n)


def _window(n: int) -> int:
    return n * 2 + _SLACK_DAYS


def add_working_days(start: date, n: int) -> tuple[date, bool]:
    """(due date, is_estimate): `n` working days after `start`, the day of receipt not counting.

    One query loads the candidate range; should an admin have marked a very long
    run of holidays, the range is widened and loaded again.
    """
    window = _window(n)
    while True:
        calendar = WorkCalendar.load(start + timedelta(days=1), start + timedelta(days=window))
        try:
            return calendar.add_working_days(start, n)
        except LookupError:
            window *= 2

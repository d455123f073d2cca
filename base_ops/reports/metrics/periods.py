"""Default report periods: the last twelve months, this one included, when none is given."""

from __future__ import annotations

from datetime import date

from base_ops.core import clock


def month_start(day: date, months_back: int = 0) -> date:
    """The first day of the month `months_back` months before `day`'s (negative: after)."""
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def next_month(day: date) -> date:
    return month_start(day, -1)


def default_period(start: date | None, end: date | None) -> tuple[date, date]:
    """Fill what is missing: twelve months ending with this month, or twelve months from/to the date given."""
    if start is None and end is None:
        today = clock.today()
        return month_start(today, 11), next_month(today)
    if start is None:
        return month_start(end, 12) if end.day == 1 else month_start(end, 11), end
    if end is None:
        return start, month_start(start, -12)
    return start, end

"""The kitchen's roster and the meal cost, computed in SQL.

A resident is served on day d when a stay covers the night of d
(admitted_on <= d < discharged_on, or still open) and he is neither on leave
(start_on <= d < end_on) nor absent without leave that day (docs/domain.md "Meals":
on leave no meals are served; absent, he is not there to eat).
Meal cost of a month = resident-days served x the base's meal standard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, exists, func, or_, select

from base_ops.core.sqldates import days_between, greatest_date, least_date
from base_ops.extensions import db
from base_ops.intake.models import Absence, Leave, Stay
from base_ops.org.models import Base, Bed, Room
from base_ops.residents.models import Diet, Resident

MEALS = ("breakfast", "lunch", "dinner")


def _served_on(day: date):
    on_leave = exists().where(Leave.stay_id == Stay.id, Leave.start_on <= day, Leave.end_on > day)
    absent = exists().where(
        Absence.stay_id == Stay.id, Absence.start_on <= day,
        or_(Absence.returned_on.is_(None), Absence.returned_on > day),
    )
    return and_(
        Stay.admitted_on <= day,
        or_(Stay.discharged_on.is_(None), Stay.discharged_on > day),
        ~on_leave,
        ~absent,
    )


def diet_counts(base_id: int, day: date) -> dict[str, int]:
    rows = db.session.execute(
        select(Resident.diet, func.count())
        .join(Stay, Stay.resident_id == Resident.id)
        .where(Stay.base_id == base_id, _served_on(day))
        .group_by(Resident.diet)
    ).all()
    counts = {diet.value: 0 for diet in Diet}
    for diet, count in rows:
        counts[Diet(diet).value] = count
    return counts


def served_count(base_ids: list[int], day: date) -> int:
    """Residents served that day at these bases (the sum of their diet_counts), in one query."""
    if not base_ids:
        return 0
    return db.session.scalar(
        select(func.count()).select_from(Resident).join(Stay, Stay.resident_id == Resident.id)
        .where(Stay.base_id.in_(base_ids), _served_on(day))
    )


def roster(base_id: int, day: date) -> dict:
    """docs/api.md meal-roster body: every meal counts the residents served that day, by diet."""
    counts = diet_counts(base_id, day)
    return {"date": day, "residents": sum(counts.values()), "meals": {meal: dict(counts) for meal in MEALS}}


@dataclass
class RosterLine:
    name: str
    diet: str
    room: str | None
    bed: str | None


def roster_lines(base_id: int, day: date) -> list[RosterLine]:
    """The people behind the counts, for the printed roster (names, diet, room and bed)."""
    from base_ops.beds.models import BedAssignment

    assignment = and_(
        BedAssignment.stay_id == Stay.id, BedAssignment.start_on <= day,
        or_(BedAssignment.end_on.is_(None), BedAssignment.end_on > day),
    )
    rows = db.session.execute(
        select(Resident.name, Resident.diet, Room.name, Bed.label)
        .join(Stay, Stay.resident_id == Resident.id)
        .outerjoin(BedAssignment, assignment)
        .outerjoin(Bed, Bed.id == BedAssignment.bed_id)
        .outerjoin(Room, Room.id == Bed.room_id)
        .where(Stay.base_id == base_id, _served_on(day))
        .order_by(Resident.diet, Room.name, Bed.label, Resident.name)
    ).all()
    return [RosterLine(name, Diet(diet).value, room, bed) for name, diet, room, bed in rows]


def month_bounds(month: date) -> tuple[date, date]:
    start = month.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def resident_days(base_ids: list[int], start: date, end: date) -> dict[int, int]:
    """{base_id: resident-days served in [start, end)}, three aggregate queries in all."""
    if not base_ids or end <= start:
        return {}
    stay_end = func.coalesce(Stay.discharged_on, end)
    stay_days = days_between(greatest_date(Stay.admitted_on, start), least_date(stay_end, end))
    overlapping = and_(Stay.base_id.in_(base_ids), Stay.admitted_on < end, stay_end > start)
    totals = dict(db.session.execute(
        select(Stay.base_id, func.sum(stay_days)).where(overlapping).group_by(Stay.base_id)
    ).all())

    leave_days = days_between(greatest_date(Leave.start_on, Stay.admitted_on, start),
                              least_date(Leave.end_on, stay_end, end))
    away = list(db.session.execute(
        select(Stay.base_id, func.sum(leave_days)).join(Leave, Leave.stay_id == Stay.id)
        .where(overlapping, Leave.start_on < end, Leave.end_on > start, leave_days > 0)
        .group_by(Stay.base_id)
    ).all())
    absence_end = func.coalesce(Absence.returned_on, end)
    absence_days = days_between(greatest_date(Absence.start_on, Stay.admitted_on, start),
                                least_date(absence_end, stay_end, end))
    away += db.session.execute(
        select(Stay.base_id, func.sum(absence_days)).join(Absence, Absence.stay_id == Stay.id)
        .where(overlapping, Absence.start_on < end, absence_end > start, absence_days > 0)
        .group_by(Stay.base_id)
    ).all()
    result = {base_id: int(total or 0) for base_id, total in totals.items()}
    for base_id, days in away:
        result[base_id] = result.get(base_id, 0) - int(days or 0)
    return result


@dataclass
class MealCost:
    base: Base
    resident_days: int
    cost: Decimal


def monthly_cost(bases: list[Base], month: date, until: date | None = None) -> list[MealCost]:
    """Meal cost per base for a month; a month in progress counts up to `until` (exclusive)."""
    start, end = month_bounds(month)
    if until is not None:
        end = max(start, min(end, until))
    days = resident_days([b.id for b in bases], start, end)
    return [MealCost(b, days.get(b.id, 0), (b.meal_standard * days.get(b.id, 0)).quantize(Decimal("0.01")))
            for b in bases]

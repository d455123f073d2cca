"""The base manager's "Today": what needs doing, counted in a few aggregate queries.

Reads across intake, beds and residents (like reports, home may read everything
and writes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, func, or_, select

from base_ops.beds.models import BedAssignment
from base_ops.core.sqldates import days_between
from base_ops.extensions import db
from base_ops.intake.models import Absence, ReleaseNotice, Stay
from base_ops.intake.stays.services import absence_flag_nights
from base_ops.org.models import Base, Bed, BedServicePeriod, Room
from base_ops.org.queries import in_service_clause


@dataclass
class Today:
    day: date
    beds: dict[str, dict[str, int]] = field(default_factory=dict)  # sex -> {in_service, occupied, vacant}
    expected_arrivals: int = 0
    feedback_due_today: int = 0
    feedback_overdue: int = 0
    overstays: int = 0
    absent: int = 0
    absent_flagged: int = 0
    without_bed: int = 0
    open_stays: int = 0


def _covers(start_col, end_col, night: date):
    return and_(start_col <= night, or_(end_col.is_(None), end_col > night))


def for_bases(bases: list[Base], day: date) -> Today:
    result = Today(day=day)
    base_ids = [b.id for b in bases]
    if not base_ids:
        return result
    occupied_beds = select(BedAssignment.bed_id).where(_covers(BedAssignment.start_on, BedAssignment.end_on, day))
    serving = select(BedServicePeriod.bed_id).where(in_service_clause(day))
    rows = db.session.execute(
        select(Room.sex, func.count(Bed.id), func.count(Bed.id).filter(Bed.id.in_(occupied_beds)))
        .join(Bed, Bed.room_id == Room.id)
        .where(Room.base_id.in_(base_ids), Bed.id.in_(serving))
        .group_by(Room.sex)
    ).all()
    for sex, in_service, occupied in rows:
        key = getattr(sex, "value", sex)
        result.beds[key] = {"in_service": in_service, "occupied": occupied, "vacant": in_service - occupied}

    regions = sorted({b.region_code for b in bases})
    pending = and_(ReleaseNotice.receiving_region_code.in_(regions), ReleaseNotice.feedback_sent_on.is_(None))
    result.feedback_due_today, result.feedback_overdue, result.expected_arrivals = db.session.execute(
        select(
            func.count().filter(and_(pending, ReleaseNotice.feedback_due_on == day)),
            func.count().filter(and_(pending, ReleaseNotice.feedback_due_on < day)),
            func.count().filter(and_(ReleaseNotice.expected_release_on >= day,
                                     ReleaseNotice.expected_release_on < day + timedelta(days=14))),
        ).where(ReleaseNotice.receiving_region_code.in_(regions))
    ).one()

    open_stay = and_(Stay.base_id.in_(base_ids), Stay.discharged_on.is_(None))
    has_bed = select(BedAssignment.stay_id).where(_covers(BedAssignment.start_on, BedAssignment.end_on, day))
    result.open_stays, result.overstays, result.without_bed = db.session.execute(
        select(
            func.count(),
            func.count().filter(days_between(Stay.admitted_on, day) > Base.max_stay_days),
            func.count().filter(Stay.id.not_in(has_bed)),
        ).select_from(Stay).join(Base, Base.id == Stay.base_id).where(open_stay)
    ).one()
    # Each base flags after its own county's policy (absence_flag_nights), not one number for all.
    flag_nights = case({b.id: absence_flag_nights(b.region_code, day) for b in bases}, value=Stay.base_id)
    result.absent, result.absent_flagged = db.session.execute(
        select(func.count(), func.count().filter(days_between(Absence.start_on, day) > flag_nights))
        .select_from(Absence).join(Stay, Stay.id == Absence.stay_id)
        .where(open_stay, Absence.returned_on.is_(None), Absence.start_on <= day)
    ).one()
    return result

"""Read-only selects for stays, always through the actor's scope, and the flags a manager acts on.

Flags (docs/domain.md "At the base"): an overstay (open longer than the base's
maximum stay; flagged, not blocked), an absence without leave of more than
the base's county policy's `absence_flag_nights` (脱管 risk), from its `self_left_nights` the stay
may be closed as self_left, and an open stay without a bed tonight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, and_, select

from base_ops.beds.models import BedAssignment
from base_ops.beds.queries import covers
from base_ops.core import clock
from base_ops.core.errors import NotFound
from base_ops.extensions import db
from base_ops.intake.models import Absence, Stay
from base_ops.intake.stays.services import absence_close_nights, absence_flag_nights
from base_ops.org.models import Base, Bed, Room
from base_ops.org.queries import base_ids_filter
from base_ops.residents.models import Resident


def stays_in_scope(actor) -> Select:
    return select(Stay).where(base_ids_filter(actor, Stay.base_id))


def get_stay(actor, stay_id: int) -> Stay:
    """The stay if it exists and its base is in the actor's scope; 404 otherwise (no leak)."""
    stay = db.session.execute(stays_in_scope(actor).where(Stay.id == stay_id)).unique().scalar_one_or_none()
    if stay is None:
        raise NotFound(_("No such stay."))
    return stay


def get_absence(actor, absence_id: int) -> Absence:
    absence = db.session.execute(
        select(Absence).join(Stay, Stay.id == Absence.stay_id)
        .where(Absence.id == absence_id, base_ids_filter(actor, Stay.base_id))
    ).scalar_one_or_none()
    if absence is None:
        raise NotFound(_("No such absence."))
    return absence


@dataclass
class StayFacts:
    """What a stay looks like tonight: status, length, bed, absence and flags."""

    status: str
    days: int
    max_stay_days: int
    bed: dict | None
    absent_since: date | None
    absent_nights: int | None
    flag_nights: int  # more nights away are flagged: the base's county policy on the night
    close_nights: int = 30  # from this many nights away it may close as self_left: the same policy
    absence_id: int | None = None

    @property
    def is_overstay(self) -> bool:
        return self.status == "open" and self.days > self.max_stay_days

    @property
    def is_absent_flagged(self) -> bool:
        return self.absent_nights is not None and self.absent_nights > self.flag_nights

    @property
    def may_close_as_self_left(self) -> bool:
        return self.absent_nights is not None and self.absent_nights >= self.close_nights

    @property
    def has_no_bed(self) -> bool:
        return self.status == "open" and self.bed is None

    @property
    def flags(self) -> list[str]:
        names = [("overstay", self.is_overstay), ("absent", self.is_absent_flagged),
                 ("may_close_self_left", self.may_close_as_self_left), ("no_bed", self.has_no_bed)]
        return [name for name, on in names if on]


def _facts(stay: Stay, max_stay_days: int, bed: dict | None, absence_id, absent_since, night: date,
           region_code: str) -> StayFacts:
    end = stay.discharged_on or night
    return StayFacts(
        status=stay.state.value,  # the model's word for where the stay is (Stay.transitions)
        days=(end - stay.admitted_on).days,
        max_stay_days=max_stay_days,
        bed=bed,
        absent_since=absent_since,
        absent_nights=(night - absent_since).days if absent_since else None,
        absence_id=absence_id,
        flag_nights=absence_flag_nights(region_code, night),
        close_nights=absence_close_nights(region_code, night),
    )


def _with_bed_and_absence(stmt: Select, night: date) -> Select:
    """Add the bed covering `night` and the open absence to a select over Stay (outer joins: one query)."""
    return (
        stmt.add_columns(Base.max_stay_days, Base.region_code, Bed.id, Bed.label, Room.name, Absence.id,
                         Absence.start_on)
        .join(Base, Base.id == Stay.base_id)
        .outerjoin(BedAssignment, and_(BedAssignment.stay_id == Stay.id,
                                       covers(BedAssignment.start_on, BedAssignment.end_on, night)))
        .outerjoin(Bed, Bed.id == BedAssignment.bed_id)
        .outerjoin(Room, Room.id == Bed.room_id)
        .outerjoin(Absence, and_(Absence.stay_id == Stay.id, Absence.returned_on.is_(None)))
    )


def _row_facts(row, night: date) -> StayFacts:
    stay, max_days, region_code, bed_id, label, room, absence_id, absent_since = row
    bed = {"id": bed_id, "label": label, "room": room} if bed_id else None
    return _facts(stay, max_days, bed, absence_id, absent_since, night, region_code)


def stay_facts(stay: Stay, night: date | None = None) -> StayFacts:
    night = night or clock.today()
    row = db.session.execute(_with_bed_and_absence(select(Stay).where(Stay.id == stay.id), night)).unique().one()
    return _row_facts(row, night)


def facts_of(stays: list[Stay], night: date | None = None) -> dict[int, StayFacts]:
    """{stay id: stay_facts} for a page of stays in one query, not one per stay (the API list)."""
    night = night or clock.today()
    if not stays:
        return {}
    stmt = _with_bed_and_absence(select(Stay).where(Stay.id.in_([stay.id for stay in stays])), night)
    return {row[0].id: _row_facts(row, night) for row in db.session.execute(stmt).unique().all()}


def open_stay_ids(actor, *, base_id: int | None = None) -> Select:
    """Ids of the open stays in scope (optionally of one base), oldest admission first: what the
    list pages (a province has some ten thousand open stays)."""
    stmt = select(Stay.id).where(base_ids_filter(actor, Stay.base_id), Stay.discharged_on.is_(None))
    if base_id is not None:
        stmt = stmt.where(Stay.base_id == base_id)
    return stmt.order_by(Stay.admitted_on, Stay.id)


def open_stays(actor, *, base_id: int | None = None, night: date | None = None,
               stay_ids: list[int] | None = None) -> list[tuple[Stay, StayFacts]]:
    """Open stays in scope (optionally of one base, or just those ids) with their facts tonight,
    oldest admission first."""
    night = night or clock.today()
    stmt = stays_in_scope(actor).where(Stay.discharged_on.is_(None))
    if base_id is not None:
        stmt = stmt.where(Stay.base_id == base_id)
    if stay_ids is not None:
        stmt = stmt.where(Stay.id.in_(stay_ids))
    stmt = _with_bed_and_absence(stmt, night).order_by(Stay.admitted_on, Stay.id)
    return [(row[0], _row_facts(row, night)) for row in db.session.execute(stmt).unique().all()]


def stay_as_dict(stay: Stay, facts: StayFacts) -> dict:
    """The API shape of a stay (docs/api.md GET /stays/<id>)."""
    return {
        "id": stay.id, "resident_id": stay.resident_id, "resident_name": stay.resident.name,
        "base_id": stay.base_id, "admitted_on": stay.admitted_on, "discharged_on": stay.discharged_on,
        "destination": stay.destination.value if stay.destination else None,
        "discharge_note": stay.discharge_note, "referral_source": stay.referral_source,
        "override_reason": stay.override_reason, "status": facts.status, "bed": facts.bed, "days": facts.days,
        "is_overstay": facts.is_overstay, "absent_since": facts.absent_since, "flags": facts.flags,
    }


def residents_to_admit(actor, limit: int = 500) -> list[Resident]:
    """Residents in the actor's scope without an open stay, for the admission form."""
    from base_ops.residents.queries import residents_in_scope

    open_ = select(Stay.resident_id).where(Stay.discharged_on.is_(None))
    return list(db.session.execute(
        residents_in_scope(actor).where(Resident.id.not_in(open_)).order_by(Resident.name, Resident.id).limit(limit)
    ).unique().scalars())

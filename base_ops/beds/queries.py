"""Read-only selects for the bed board: who sleeps where on a night, in one query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from base_ops.beds.models import BedAssignment
from base_ops.extensions import db
from base_ops.intake.models import Absence, Leave, Stay
from base_ops.org.models import Bed, BedServicePeriod, Room, Sex
from base_ops.residents.models import Resident

VACANT = "vacant"
OCCUPIED = "occupied"
ON_LEAVE = "on_leave"
OUT_OF_SERVICE = "out_of_service"


def covers(start_column, end_column, night: date):
    """SQL: the half-open range [start, end) holds the night; a NULL end is open."""
    return and_(start_column <= night, or_(end_column.is_(None), end_column > night))


def occupants_by_bed(base_id: int, night: date) -> dict[int, dict]:
    """{bed_id: {"resident_id", "stay_id", "name"}} for the beds of a base occupied that night (one query)."""
    rows = db.session.execute(
        select(BedAssignment.bed_id, BedAssignment.resident_id, BedAssignment.stay_id, Resident.name)
        .join(Resident, Resident.id == BedAssignment.resident_id)
        .join(Bed, Bed.id == BedAssignment.bed_id)
        .join(Room, Room.id == Bed.room_id)
        .where(Room.base_id == base_id, covers(BedAssignment.start_on, BedAssignment.end_on, night))
    ).all()
    return {bed_id: {"resident_id": resident_id, "stay_id": stay_id, "name": name}
            for bed_id, resident_id, stay_id, name in rows}


def out_of_service_night(bed: Bed, from_on: date) -> date | None:
    """The first night on or after `from_on` the bed is out of service, or None if it serves them all."""
    night = from_on
    for period in sorted(bed.service_periods, key=lambda p: p.start_on):
        if period.end_on is not None and period.end_on <= night:
            continue
        if period.start_on > night:
            return night
        if period.end_on is None:
            return None
        night = period.end_on
    return night


def free_bed_ids(base_ids: list[int], from_on: date) -> set[int]:
    """Beds of the bases free every night from `from_on` on: in service from then on and held by no
    assignment ending after it. The very test `place_in_bed` applies (beds/services.py), so an admission
    dated in the past is offered only beds it can really take (issue 21)."""
    if not base_ids:
        return set()
    taken = (select(BedAssignment.bed_id)
             .where(or_(BedAssignment.end_on.is_(None), BedAssignment.end_on > from_on)))
    beds = db.session.execute(
        select(Bed).join(Room).where(Room.base_id.in_(base_ids), Bed.id.not_in(taken))
        .options(selectinload(Bed.service_periods))
    ).unique().scalars()
    return {bed.id for bed in beds if out_of_service_night(bed, from_on) is None}


@dataclass
class Tile:
    """One bed on the board for one night."""

    id: int
    label: str
    room_id: int
    room_name: str
    sex: Sex
    in_service: bool
    stay_id: int | None = None
    resident_id: int | None = None
    resident_name: str | None = None
    since: date | None = None
    leave_until: date | None = None
    absent_since: date | None = None

    @property
    def state(self) -> str:
        if self.stay_id is not None:
            return ON_LEAVE if self.leave_until is not None else OCCUPIED
        return VACANT if self.in_service else OUT_OF_SERVICE


@dataclass
class RoomCard:
    id: int
    name: str
    sex: Sex
    tiles: list[Tile] = field(default_factory=list)


def board(base_id: int, night: date) -> list[RoomCard]:
    """Every room of the base with its beds' state that night, in one query.

    A bed is occupied when an assignment covers the night (on leave when a leave
    of that stay covers it too: the bed stays held), vacant when it is in service
    and free, out of service otherwise. Rooms without beds are listed too.
    """
    return boards([base_id], night)[base_id]


def boards(base_ids: list[int], night: date) -> dict[int, list[RoomCard]]:
    """{base id: board(base id, night)} for several bases, still in one query (the admission form)."""
    serving = select(BedServicePeriod.id).where(
        BedServicePeriod.bed_id == Bed.id, covers(BedServicePeriod.start_on, BedServicePeriod.end_on, night)
    ).exists()
    rows = db.session.execute(
        select(Room.base_id, Room.id, Room.name, Room.sex, Bed.id, Bed.label, serving,
               BedAssignment.stay_id, BedAssignment.resident_id, Resident.name, BedAssignment.start_on,
               Leave.end_on, Absence.start_on)
        .select_from(Room)
        .outerjoin(Bed, Bed.room_id == Room.id)
        .outerjoin(BedAssignment, and_(BedAssignment.bed_id == Bed.id,
                                       covers(BedAssignment.start_on, BedAssignment.end_on, night)))
        .outerjoin(Resident, Resident.id == BedAssignment.resident_id)
        .outerjoin(Leave, and_(Leave.stay_id == BedAssignment.stay_id, covers(Leave.start_on, Leave.end_on, night)))
        .outerjoin(Absence, and_(Absence.stay_id == BedAssignment.stay_id,
                                 covers(Absence.start_on, Absence.returned_on, night)))
        .where(Room.base_id.in_(base_ids))
        .order_by(Room.name, Room.id, Bed.label, Bed.id)
    ).all()
    rooms: dict[int, dict[int, RoomCard]] = {base_id: {} for base_id in base_ids}
    seen: set[int] = set()
    for (base_id, room_id, room_name, sex, bed_id, label, in_service, stay_id, resident_id, name, since,
         leave_until, absent_since) in rows:
        room = rooms[base_id].setdefault(room_id, RoomCard(room_id, room_name, Sex(sex)))
        if bed_id is None or bed_id in seen:  # a room without beds; or a second overlapping leave row
            continue
        seen.add(bed_id)
        room.tiles.append(Tile(bed_id, label, room_id, room_name, Sex(sex), bool(in_service), stay_id, resident_id,
                               name, since, leave_until, absent_since))
    return {base_id: list(cards.values()) for base_id, cards in rooms.items()}


def board_counts(rooms: list[RoomCard]) -> dict:
    """Vacant and occupied beds by sex, and the totals, for the board's header."""
    counts = {sex.value: {VACANT: 0, OCCUPIED: 0, ON_LEAVE: 0, OUT_OF_SERVICE: 0} for sex in Sex}
    for room in rooms:
        for tile in room.tiles:
            counts[room.sex.value][tile.state] += 1
    counts["total"] = {state: sum(counts[s.value][state] for s in Sex)
                       for state in (VACANT, OCCUPIED, ON_LEAVE, OUT_OF_SERVICE)}
    return counts


def stays_without_bed(base_id: int, night: date) -> list[tuple[int, str, Sex]]:
    """(stay_id, name, sex) of the base's stays open that night whose resident has no bed that night."""
    has_bed = select(BedAssignment.id).where(
        BedAssignment.stay_id == Stay.id, covers(BedAssignment.start_on, BedAssignment.end_on, night)
    ).exists()
    rows = db.session.execute(
        select(Stay.id, Resident.name, Resident.sex)
        .join(Resident, Resident.id == Stay.resident_id)
        .where(Stay.base_id == base_id, Stay.admitted_on <= night,
               or_(Stay.discharged_on.is_(None), Stay.discharged_on > night), ~has_bed)
        .order_by(Resident.name, Stay.id)
    ).all()
    return [(stay_id, name, Sex(sex)) for stay_id, name, sex in rows]


def current_bed(stay_id: int, night: date) -> BedAssignment | None:
    """The stay's assignment covering the night, with its bed and room."""
    return db.session.execute(
        select(BedAssignment).where(BedAssignment.stay_id == stay_id,
                                    covers(BedAssignment.start_on, BedAssignment.end_on, night))
    ).unique().scalar_one_or_none()

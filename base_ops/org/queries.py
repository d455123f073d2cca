"""Read-only selects for sites, always through the actor's scope."""

from __future__ import annotations

from datetime import date

from flask import g, has_app_context
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true

from base_ops.core.errors import NotFound
from base_ops.core.roles import Role
from base_ops.core.scope import region_contains
from base_ops.extensions import db
from base_ops.org.models import Base, Bed, BedServicePeriod, DibaoStandard, Region, RegionLevel, Room


def base_ids_filter(actor, base_id_column) -> ColumnElement[bool]:
    """SQL filter: base_id_column is one of the actor's bases.

    The row-level scope of everything kept per base (stays, residents, courses, referrals...).
    It lives here, with the bases it selects, rather than in core.scope: the kernel imports no
    domain package.
    """
    role = actor.role
    if role == Role.ADMIN:
        return true()
    if role == Role.COUNTY_OFFICER and actor.region_code:
        return base_id_column.in_(select(Base.id).where(region_contains(Base.region_code, actor.region_code)))
    if role in (Role.BASE_MANAGER, Role.TRAINER):
        ids = actor.base_ids
        return base_id_column.in_(ids) if ids else false()
    return false()


def bases_in_scope(actor) -> Select:
    return select(Base).where(base_ids_filter(actor, Base.id))


def get_base(actor, base_id: int) -> Base:
    """The base if it exists and is in the actor's scope; 404 otherwise (no leak)."""
    base = db.session.execute(bases_in_scope(actor).where(Base.id == base_id)).scalar_one_or_none()
    if base is None:
        raise NotFound(_("No such base."))
    return base


def get_room(actor, room_id: int) -> Room:
    room = db.session.execute(
        select(Room).join(Base).where(Room.id == room_id, base_ids_filter(actor, Base.id))
    ).scalar_one_or_none()
    if room is None:
        raise NotFound(_("No such room."))
    return room


def get_bed(actor, bed_id: int) -> Bed:
    bed = db.session.execute(
        select(Bed).join(Room).where(Bed.id == bed_id, base_ids_filter(actor, Room.base_id))
    ).scalar_one_or_none()
    if bed is None:
        raise NotFound(_("No such bed."))
    return bed


def in_service_clause(night: date):
    return and_(
        BedServicePeriod.start_on <= night,
        or_(BedServicePeriod.end_on.is_(None), BedServicePeriod.end_on > night),
    )


def bed_counts_by_base(base_ids: list[int], night: date) -> dict[int, tuple[int, int]]:
    """{base_id: (beds, beds in service that night)} in one query."""
    if not base_ids:
        return {}
    in_service = (
        select(BedServicePeriod.bed_id).where(in_service_clause(night)).scalar_subquery()
    )
    rows = db.session.execute(
        select(Room.base_id, func.count(Bed.id), func.count(Bed.id).filter(Bed.id.in_(in_service)))
        .join(Bed, Bed.room_id == Room.id)
        .where(Room.base_id.in_(base_ids))
        .group_by(Room.base_id)
    ).all()
    return {base_id: (total, serving) for base_id, total, serving in rows}


def beds_of_base(base: Base, night: date, with_occupants: bool = True) -> list[dict]:
    """Every bed of the base with its room, sex, service state and occupant that night.

    The occupant ({"resident_id", "stay_id", "name"} or None) comes from the bed
    assignment covering the night, for all beds in one query (beds.queries).
    Without `with_occupants` (the admin, who sees no resident data) it is None.
    """
    serving = set(
        db.session.execute(
            select(BedServicePeriod.bed_id)
            .join(Bed).join(Room)
            .where(Room.base_id == base.id, in_service_clause(night))
        ).scalars()
    )
    beds = db.session.execute(
        select(Bed).join(Room).where(Room.base_id == base.id).order_by(Room.name, Bed.label)
    ).scalars()
    from base_ops.beds.queries import occupants_by_bed  # beds build on org: imported late, no cycle

    occupants = occupants_by_bed(base.id, night) if with_occupants else {}
    return [
        {"id": bed.id, "label": bed.label, "room": {"id": bed.room.id, "name": bed.room.name},
         "sex": bed.room.sex, "in_service": bed.id in serving, "occupant": occupants.get(bed.id)}
        for bed in beds
    ]


def regions(parent_code: str | None) -> list[Region]:
    stmt = select(Region).order_by(Region.code)
    if parent_code:
        stmt = stmt.where(Region.parent_code == parent_code)
    else:
        stmt = stmt.where(Region.level == RegionLevel.PROVINCE)
    return list(db.session.execute(stmt).scalars())


def region_name(code: str | None) -> str:
    """A region's name for a page (docs/architecture.md rule 11: a county by name, never its code); the
    code itself only if the regions table lacks it. One lookup per code and request (a list repeats codes)."""
    if not code:
        return ""
    names = g.setdefault("region_names", {}) if has_app_context() else {}
    if code not in names:
        region = db.session.get(Region, code)
        names[code] = region.name if region is not None else code
    return names[code]


def region_path(code: str) -> list[Region]:
    """The region and its ancestors, province first."""
    path = []
    region = db.session.get(Region, code)
    while region is not None:
        path.append(region)
        region = db.session.get(Region, region.parent_code) if region.parent_code else None
    return list(reversed(path))


def dibao_for(region_code: str, year: int) -> DibaoStandard | None:
    return db.session.execute(
        select(DibaoStandard).where(DibaoStandard.region_code == region_code, DibaoStandard.year == year)
    ).scalar_one_or_none()


def dibao_list(year: int | None = None) -> list[DibaoStandard]:
    stmt = select(DibaoStandard).order_by(DibaoStandard.year.desc(), DibaoStandard.region_code)
    if year:
        stmt = stmt.where(DibaoStandard.year == year)
    return list(db.session.execute(stmt).scalars())

"""Site use cases: bases, rooms, beds and their service history, dibao standards (admin).

Each runs as one unit of work (core/unit_of_work.py). A name checked free before the insert may be taken
by a racing request meanwhile: the unique constraints below then refuse it with the same 409 as the check.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from base_ops.core import audit, clock
from base_ops.core.errors import Conflict, NotFound, ValidationFailed
from base_ops.core.unit_of_work import on_constraint, use_case
from base_ops.extensions import db
from base_ops.org.models import Base, Bed, BedServicePeriod, DibaoStandard, Region, RegionLevel, Room, Sex
from base_ops.policies import services as policies


def _base_exists() -> Conflict:
    return Conflict(_("A base with this name exists."), fields={"name": [_("is already used")]}, code="base_exists")


def _room_exists() -> Conflict:
    return Conflict(_("This base already has a room with that name."), fields={"name": [_("is already used")]},
                    code="room_exists")


def _bed_exists() -> Conflict:
    return Conflict(_("This room already has a bed with that label."), fields={"label": [_("is already used")]},
                    code="bed_exists")


def _bed_in_service() -> Conflict:
    return Conflict(_("The bed is already in service."), code="bed_in_service")


on_constraint("uq_bases_name", _base_exists)
on_constraint("uq_beds_room_id_label", _bed_exists)


def _region(code: str | None, field: str = "region_code") -> Region:
    region = db.session.get(Region, code) if code else None
    if region is None:
        raise ValidationFailed.on(field, _("no region with code %(code)r", code=code))
    return region


def _money(value, field: str, positive: bool = False) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed.on(field, _("must be an amount in yuan, e.g. 30.00")) from None
    if amount < 0 or (positive and amount == 0) or amount >= Decimal("100000000"):
        raise ValidationFailed.on(field, _("must be a positive amount") if positive else _("must not be negative"))
    return amount


def _check_base_fields(name: str, region: Region, max_stay_days: int) -> None:
    if not name.strip():
        raise ValidationFailed.on("name", _("is required"))
    if region.level != RegionLevel.COUNTY:
        raise ValidationFailed.on("region_code", _("a base lies in a county-level region"))
    if not 1 <= max_stay_days <= 3650:
        raise ValidationFailed.on("max_stay_days", _("must be between %(low)s and %(high)s", low=1, high=3650))


@use_case
def create_base(actor, *, name: str, region_code: str, address: str, max_stay_days: int | None = None,
                meal_standard=None) -> Base:
    region = _region(region_code)
    if max_stay_days is None:
        # The county's policy on the day the base is entered (policies/keys.py max_stay_days); the base
        # keeps its own limit after that, which the admin can change (docs/domain.md "Stays").
        max_stay_days = policies.applied("max_stay_days", region.code, clock.today()).whole
    _check_base_fields(name, region, max_stay_days)
    if db.session.execute(select(Base.id).where(Base.name == name.strip())).first():
        raise _base_exists()
    base = Base(name=name.strip(), region_code=region.code, address=(address or "").strip(),
                max_stay_days=max_stay_days,
                meal_standard=_money("30.00" if meal_standard is None else meal_standard, "meal_standard"))
    db.session.add(base)
    audit.record(actor, "base_created", base, region_code=region.code)
    return base


@use_case
def update_base(actor, base: Base, *, name: str, region_code: str, address: str, max_stay_days: int,
                meal_standard, is_active: bool) -> Base:
    region = _region(region_code)
    _check_base_fields(name, region, max_stay_days)
    clash = db.session.execute(select(Base.id).where(Base.name == name.strip(), Base.id != base.id)).first()
    if clash:
        raise _base_exists()
    base.name = name.strip()
    base.region_code = region.code
    base.address = (address or "").strip()
    base.max_stay_days = max_stay_days
    base.meal_standard = _money(meal_standard, "meal_standard")
    base.is_active = is_active
    audit.record(actor, "base_updated", base, region_code=region.code, max_stay_days=max_stay_days,
                 meal_standard=str(base.meal_standard), is_active=is_active)
    return base


# The room's name is given per use case: the kernel's own tests use this constraint as an unregistered one.
@use_case(conflicts={"uq_rooms_base_id_name": _room_exists})
def create_room(actor, base: Base, *, name: str, sex: str) -> Room:
    name = (name or "").strip()
    if not name or len(name) > 50:
        raise ValidationFailed.on("name", _("is required (at most %(max)s characters)", max=50))
    try:
        sex_value = Sex(sex)
    except ValueError:
        raise ValidationFailed.on("sex", _("must be male or female")) from None
    if db.session.execute(select(Room.id).where(Room.base_id == base.id, Room.name == name)).first():
        raise _room_exists()
    room = Room(base_id=base.id, name=name, sex=sex_value)
    db.session.add(room)
    audit.record(actor, "room_created", room, base_id=base.id, sex=sex_value.value)
    return room


@use_case
def create_bed(actor, room: Room, *, label: str, in_service_from: date) -> Bed:
    """A new bed, in service from the given night (default today)."""
    label = (label or "").strip()
    if not label or len(label) > 20:
        raise ValidationFailed.on("label", _("is required (at most %(max)s characters)", max=20))
    if db.session.execute(select(Bed.id).where(Bed.room_id == room.id, Bed.label == label)).first():
        raise _bed_exists()
    bed = Bed(room_id=room.id, label=label)
    bed.service_periods.append(BedServicePeriod(start_on=in_service_from))
    db.session.add(bed)
    audit.record(actor, "bed_created", bed, room_id=room.id, in_service_from=in_service_from.isoformat())
    return bed


# Two requests putting one bed back in service at once: the one-open-period index refuses the second.
@use_case(conflicts={"uq_bed_service_periods_open": _bed_in_service})
def set_bed_service(actor, bed: Bed, *, in_service: bool, from_on: date) -> Bed:
    """Put a bed in or out of service from a night on, keeping the history.

    Past nights keep the state they had, so past available bed-nights (the
    occupancy denominator, docs/domain.md) stay correct. Changes are only allowed
    after the latest recorded change, so history is never rewritten.
    """
    periods = bed.service_periods
    latest_start = max((p.start_on for p in periods), default=None)
    latest_end = max((p.end_on for p in periods if p.end_on), default=None)
    latest_change = max(d for d in (latest_start, latest_end) if d) if periods else None
    if latest_change and from_on < latest_change:
        problem = _("must not be before the last recorded change (%(date)s)", date=latest_change.isoformat())
        raise ValidationFailed.on("from", problem)
    open_period = next((p for p in periods if p.end_on is None), None)
    if in_service:
        if open_period is not None:
            raise _bed_in_service()
        if latest_end == from_on:
            closed = next(p for p in periods if p.end_on == from_on)
            closed.end_on = None  # back in service the night it left: one continuous period
        else:
            bed.service_periods.append(BedServicePeriod(start_on=from_on))
    else:
        if open_period is None:
            raise Conflict(_("The bed is already out of service."), code="bed_out_of_service")
        _refuse_if_occupied(bed, from_on)
        if open_period.start_on == from_on:
            db.session.delete(open_period)
            bed.service_periods.remove(open_period)
        else:
            open_period.end_on = from_on
    audit.record(actor, "bed_service_changed", bed, in_service=in_service, from_on=from_on.isoformat())
    return bed


def _refuse_if_occupied(bed: Bed, from_on: date) -> None:
    """409 bed_occupied if a bed assignment covers a night from `from_on` on (docs/api.md).

    Bed assignments arrive with the intake work; this looks them up through the
    registry of occupancy checks that module registers, so org never imports it.
    """
    for check in OCCUPANCY_CHECKS:
        if check(bed.id, from_on):
            raise Conflict(_("The bed is occupied from that night on."), code="bed_occupied")


# Functions (bed_id, from_on) -> bool registered by modules that occupy beds.
OCCUPANCY_CHECKS: list = []


@use_case
def put_dibao(actor, *, region_code: str, year: int, monthly) -> tuple[DibaoStandard, bool]:
    """Set a region's monthly dibao standard for a year; returns (row, created)."""
    region = _region(region_code)
    if not 2000 <= year <= 2100:
        raise ValidationFailed.on("year", _("must be between %(low)s and %(high)s", low=2000, high=2100))
    amount = _money(monthly, "monthly", positive=True)
    row = db.session.execute(
        select(DibaoStandard).where(DibaoStandard.region_code == region.code, DibaoStandard.year == year)
    ).scalar_one_or_none()
    created = row is None
    if created:
        row = DibaoStandard(region_code=region.code, year=year, monthly=amount)
        db.session.add(row)
    else:
        previous = str(row.monthly)
        row.monthly = amount
    audit.record(actor, "dibao_set", row, region_code=region.code, year=year, monthly=str(amount),
                 previous=None if created else previous)
    return row, created


@use_case
def load_regions(rows: list[dict]) -> int:
    """Insert or update regions (code, name, level, parent_code), parents first."""
    existing = {r.code: r for r in db.session.execute(select(Region)).scalars()}
    order = {"province": 0, "city": 1, "county": 2}
    count = 0
    for row in sorted(rows, key=lambda r: (order[r["level"]], r["code"])):
        code = row["code"]
        if len(code) != 6 or not code.isdigit():
            raise ValidationFailed.on("code", _("%(code)r is not a six-digit GB/T 2260 code", code=code))
        region = existing.get(code)
        if region is None:
            region = Region(code=code)
            db.session.add(region)
            existing[code] = region
        region.name = row["name"]
        region.level = RegionLevel(row["level"])
        region.parent_code = row.get("parent_code") or None
        count += 1
    return count


def get_region(code: str) -> Region:
    region = db.session.get(Region, code)
    if region is None:
        raise NotFound(_("No such region."))
    return region


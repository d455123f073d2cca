"""Issue 16, one unit of work: a name or an open service period taken by a racing request between a
use case's check and its insert is refused by the database with the same 409 as the check.

The racing request is simulated by a row inserted on the same connection right before the use case's
flush (a one-shot `before_flush` hook), i.e. after its check has passed.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, func, insert, select

from base_ops.core.errors import Conflict
from base_ops.org import services
from base_ops.org.models import Base, Bed, BedServicePeriod, Room, Sex


@contextmanager
def racing_insert(db, statement):
    """Run `statement` once, just before the next flush: another request got there first."""
    session = db.session()
    fired = []

    def first(session, flush_context, instances):
        if not fired:
            fired.append(True)
            session.connection().execute(statement)

    event.listen(session, "before_flush", first)
    try:
        yield
    finally:
        event.remove(session, "before_flush", first)
    assert fired, "the use case never flushed"


def test_a_base_name_taken_meanwhile(world, db):
    other = insert(Base).values(name="基地C", region_code="330106", address="", max_stay_days=180,
                                meal_standard=Decimal("30.00"), is_active=True)
    with racing_insert(db, other), pytest.raises(Conflict) as caught:
        services.create_base(None, name="基地C", region_code="330106", address="")
    assert caught.value.code == "base_exists"
    assert db.session.scalar(select(func.count()).select_from(Base).where(Base.name == "基地C")) == 0


def test_a_room_name_taken_meanwhile(world, db):
    other = insert(Room).values(base_id=world.base_a.id, name="301", sex=Sex.MALE)
    with racing_insert(db, other), pytest.raises(Conflict) as caught:
        services.create_room(None, world.base_a, name="301", sex="male")
    assert caught.value.code == "room_exists"


def test_a_bed_label_taken_meanwhile(world, db):
    room = world.base_a.rooms[0]
    other = insert(Bed).values(room_id=room.id, label="Z")
    with racing_insert(db, other), pytest.raises(Conflict) as caught:
        services.create_bed(None, room, label="Z", in_service_from=date(2025, 1, 1))
    assert caught.value.code == "bed_exists"


def test_a_bed_put_back_in_service_meanwhile(world, db):
    bed = world.base_b.rooms[0].beds[0]
    services.set_bed_service(None, bed, in_service=False, from_on=date(2025, 6, 1))
    other = insert(BedServicePeriod).values(bed_id=bed.id, start_on=date(2025, 7, 1))
    with racing_insert(db, other), pytest.raises(Conflict) as caught:
        services.set_bed_service(None, bed, in_service=True, from_on=date(2025, 7, 1))
    assert caught.value.code == "bed_in_service"
    open_periods = select(func.count()).select_from(BedServicePeriod).where(
        BedServicePeriod.bed_id == bed.id, BedServicePeriod.end_on.is_(None))
    assert db.session.scalar(open_periods) == 0

"""Bed assignment use cases: assign or move a stay to a bed from a night on, release it.

A bed assignment covers nights [start_on, end_on). docs/domain.md "At the base": a
bed holds one resident a night, a resident one bed a night, and the room's sex
matches the resident's. The checks here only give the friendly message; the
database holds the rule under concurrent requests:

- PostgreSQL: the exclusion constraints ex_bed_assignments_bed_nights and
  ex_bed_assignments_resident_nights (migration 0002). The bed and resident rows
  are locked FOR UPDATE first so the loser of a race usually sees the winner's
  row and gets the friendly message; if not, the constraint refuses the insert.
- SQLite: partial unique indexes hold open-ended assignments; for the general
  overlap check `lock_for_change` takes the database write lock before anything
  is read, so read-check-insert runs as one serialised unit (SQLite has one
  writer at a time).

Either way the loser gets 409 bed_unavailable, never a 500: a violation on the
bed_assignments table means that, wherever it happens (registered with the unit of
work, core/unit_of_work.py), and so does a busy SQLite here. Each use case runs as
one unit of work; admission and discharge (intake.stays) call `place_in_bed` and
`end_assignments` inside their own.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError

from base_ops.beds.models import BedAssignment
from base_ops.beds.queries import out_of_service_night
from base_ops.core import audit
from base_ops.core.errors import Conflict, NotFound, ValidationFailed
from base_ops.core.unit_of_work import before_first_write, flush, is_busy, on_constraint, use_case
from base_ops.extensions import db
from base_ops.org import services as org_services
from base_ops.org.models import Bed, Room
from base_ops.org.queries import base_ids_filter


class BedUnavailable(Conflict):
    code = "bed_unavailable"


class BedOutOfService(Conflict):
    code = "bed_out_of_service"


class StayClosed(Conflict):
    code = "stay_closed"


def _taken() -> BedUnavailable:
    return BedUnavailable(_("Someone else took this bed, or this resident already has a bed, "
                            "for one of these nights."))


def _busy() -> BedUnavailable:
    return BedUnavailable(_("Another change to these beds is being saved. Please try again."))


# A violation on bed_assignments is a double booking the database refused: the exclusion constraints
# ex_bed_assignments_bed_nights / ex_bed_assignments_resident_nights (PostgreSQL) or the partial unique
# indexes uq_bed_assignments_open_bed / uq_bed_assignments_open_resident (SQLite, which names no
# constraint but its columns), wherever the assignment is written (here, admission, discharge).
on_constraint("bed_assignments", _taken)


# ---------------------------------------------------------------- locking

def lock_for_change(*, resident_id: int | None = None, bed_ids: tuple[int, ...] = ()) -> None:
    """Serialise writers before reading what the change depends on. Call it first in a use case.

    SQLite: a transaction that has already read cannot wait for the write lock
    (it fails at once with "database is locked", its snapshot being possibly
    stale), so the read-only transaction the request opened (user loader, scope
    lookups) is ended first; the no-op UPDATE then waits for the lock
    (busy_timeout) and every read after it sees the latest committed data; a
    lock that never comes is 409 bed_unavailable (the unit of work rolls back).
    PostgreSQL: lock the resident's and the beds' rows, always in that order.
    """
    session = db.session
    if session.get_bind().dialect.name == "sqlite":
        before_first_write()
        try:
            # an UPDATE statement (not text): the unit of work then knows this transaction has written,
            # so a later before_first_write() keeps the lock instead of ending the transaction
            session.execute(update(Bed).where(Bed.id == (bed_ids[0] if bed_ids else 0)).values(label=Bed.label)
                            .execution_options(synchronize_session=False))
        except OperationalError as error:
            if is_busy(error):
                raise _busy() from None
            raise
        return
    if resident_id is not None:
        from base_ops.residents.models import Resident

        session.execute(select(Resident.id).where(Resident.id == resident_id).with_for_update())
    for bed_id in sorted(set(bed_ids)):
        session.execute(select(Bed.id).where(Bed.id == bed_id).with_for_update())


# ---------------------------------------------------------------- the rules

def _bed_of_stay_base(actor, stay, bed_id) -> Bed:
    """The bed, in the actor's scope (404 otherwise) and in the stay's base (422 otherwise)."""
    bed = db.session.execute(
        select(Bed).join(Room).where(Bed.id == bed_id, base_ids_filter(actor, Room.base_id))
    ).unique().scalar_one_or_none()
    if bed is None:
        raise NotFound(_("No such bed."))
    if bed.room.base_id != stay.base_id:
        raise ValidationFailed.on("bed_id", _("is not a bed of this stay's base"))
    return bed


def assignments_from(stay_id: int, on: date) -> list[BedAssignment]:
    """The stay's assignments covering the night `on` or starting after it."""
    return list(db.session.execute(
        select(BedAssignment).where(BedAssignment.stay_id == stay_id,
                                    or_(BedAssignment.end_on.is_(None), BedAssignment.end_on > on))
        .order_by(BedAssignment.start_on)
    ).unique().scalars())


def _clash(bed_id: int, stay_id: int, on: date) -> BedAssignment | None:
    """Another stay's assignment of the bed covering a night from `on` on."""
    return db.session.execute(
        select(BedAssignment).where(BedAssignment.bed_id == bed_id, BedAssignment.stay_id != stay_id,
                                    or_(BedAssignment.end_on.is_(None), BedAssignment.end_on > on))
        .order_by(BedAssignment.start_on).limit(1)
    ).unique().scalar_one_or_none()


def end_assignments(stay, on: date) -> list[BedAssignment]:
    """End the stay's bed from the night `on`: the covering assignment ends at `on`
    (half-open, so `on` itself is free), later ones are deleted. Returns what changed."""
    changed = []
    for assignment in assignments_from(stay.id, on):
        if assignment.start_on >= on:
            db.session.delete(assignment)
        else:
            assignment.end_on = on
        changed.append(assignment)
    db.session.flush()
    return changed


def place_in_bed(actor, stay, bed_id: int, on: date) -> BedAssignment:
    """Assign or move the stay to a bed from night `on` on, in the caller's unit of work (admission uses it too).

    Refuses: a closed stay (409 stay_closed), a night before admission (422 on),
    a bed of another base (422 bed_id) or out of scope (404), a room of the other
    sex (422 sex_mismatch), a bed out of service on any night from `on` on
    (409 bed_out_of_service), a bed another stay holds on a night from `on` on
    (409 bed_unavailable).
    """
    if not stay.is_open:
        raise StayClosed(_("This stay has been discharged."))
    if on < stay.admitted_on:
        raise ValidationFailed.on("on", _("must not be before the admission on %(date)s",
                                          date=stay.admitted_on.isoformat()))
    bed = _bed_of_stay_base(actor, stay, bed_id)
    if bed.room.sex != stay.resident.sex:
        raise ValidationFailed.on("bed_id", _("room %(room)s is for the other sex", room=bed.room.name),
                                  code="sex_mismatch")
    name = f"{bed.room.name}-{bed.label}"
    gap = out_of_service_night(bed, on)
    if gap is not None:
        raise BedOutOfService(_("Bed %(bed)s is out of service on the night of %(date)s.",
                                bed=name, date=gap.isoformat()),
                              fields={"bed_id": [_("out of service")]})
    clash = _clash(bed.id, stay.id, on)
    if clash is not None:
        raise BedUnavailable(_("Bed %(bed)s is taken from the night of %(date)s.", bed=name,
                               date=max(clash.start_on, on).isoformat()), fields={"bed_id": [_("taken")]})
    current = next((a for a in assignments_from(stay.id, on) if a.start_on <= on), None)
    if current is not None and current.bed_id == bed.id and current.end_on is None:
        return current  # already in this bed from that night: a retry changes nothing
    previous_bed_id = current.bed_id if current is not None else None
    end_assignments(stay, on)
    assignment = BedAssignment(stay_id=stay.id, resident_id=stay.resident_id, bed_id=bed.id, start_on=on,
                               assigned_by_id=getattr(actor, "id", None))
    db.session.add(assignment)
    flush()  # a double booking the database refused: 409 bed_unavailable (on_constraint above)
    audit.record(actor, "bed_assigned", assignment, stay_id=stay.id, bed_id=bed.id, on=on.isoformat(),
                 moved_from_bed_id=previous_bed_id)
    return assignment


# ---------------------------------------------------------------- use cases

@use_case(on_busy=_busy)
def assign_bed(actor, stay, bed_id: int, on: date) -> BedAssignment:
    """Assign or move a stay to a bed from night `on` on (docs/api.md POST /stays/<id>/bed)."""
    lock_for_change(resident_id=stay.resident_id, bed_ids=(bed_id,))
    db.session.refresh(stay)  # read after the lock: the stay may have changed meanwhile
    return place_in_bed(actor, stay, bed_id, on)


@use_case(on_busy=_busy)
def release_bed(actor, stay, on: date) -> list[BedAssignment]:
    """Give up the stay's bed from night `on` on; the stay stays open (e.g. waiting for another room)."""
    lock_for_change(resident_id=stay.resident_id)
    db.session.refresh(stay)
    if not stay.is_open:
        raise StayClosed(_("This stay has been discharged."))
    if on < stay.admitted_on:
        raise ValidationFailed.on("on", _("must not be before the admission on %(date)s",
                                          date=stay.admitted_on.isoformat()))
    if not assignments_from(stay.id, on):
        raise Conflict(_("This resident has no bed from that night on."), code="no_bed")
    changed = end_assignments(stay, on)
    audit.record(actor, "bed_released", stay, on=on.isoformat(), bed_ids=sorted({a.bed_id for a in changed}))
    return changed


def bed_occupied_from(bed_id: int, from_on: date) -> bool:
    """Whether an assignment covers a night of the bed from `from_on` on (org's 409 bed_occupied)."""
    return db.session.execute(
        select(BedAssignment.id).where(BedAssignment.bed_id == bed_id,
                                       or_(BedAssignment.end_on.is_(None), BedAssignment.end_on > from_on))
        .limit(1)
    ).first() is not None


# org cannot import this module (beds depend on org); it asks through its registry.
if bed_occupied_from not in org_services.OCCUPANCY_CHECKS:
    org_services.OCCUPANCY_CHECKS.append(bed_occupied_from)

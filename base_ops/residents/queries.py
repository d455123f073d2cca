"""Read-only selects for residents, always through the actor's scope.

A resident is in the scope of the base that registered him and of every base
where he has or had a stay (api.md "Residents and notices"); county officers
see the residents of their region's bases.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, or_, select

from base_ops.core.errors import NotFound
from base_ops.core.scope import base_ids_filter
from base_ops.extensions import db
from base_ops.intake.models import Stay
from base_ops.residents.models import Resident


def resident_scope_filter(actor) -> ColumnElement[bool]:
    stayed_in_scope = select(Stay.resident_id).where(base_ids_filter(actor, Stay.base_id))
    return or_(base_ids_filter(actor, Resident.base_id), Resident.id.in_(stayed_in_scope))


def residents_in_scope(actor) -> Select:
    return select(Resident).where(resident_scope_filter(actor))


def get_resident(actor, resident_id: int) -> Resident:
    """The resident if he exists and is in the actor's scope; 404 otherwise (no leak)."""
    resident = db.session.execute(
        residents_in_scope(actor).where(Resident.id == resident_id)
    ).scalar_one_or_none()
    if resident is None:
        raise NotFound("No such resident.")
    return resident

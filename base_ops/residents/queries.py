"""Read-only selects for residents, always through the actor's scope.

A resident is in the scope of the base that registered him and of every base
where he has or had a stay (docs/api.md "Residents and notices"); county officers
see the residents of their region's bases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Row, Select, and_, func, select, true, union
from sqlalchemy.orm import joinedload, lazyload, selectinload

from base_ops.beds.models import BedAssignment
from base_ops.core.errors import NotFound, ValidationFailed
from base_ops.extensions import db
from base_ops.intake.models import Stay
from base_ops.org.models import Base, Bed
from base_ops.org.queries import base_ids_filter
from base_ops.residents.models import CaseNote, Resident


def scope_resident_ids(actor):
    """The ids of the residents whose file is at one of the actor's bases, or who ever stayed at one
    (each once: a UNION of two covering-index reads, migration 0007)."""
    return union(select(Resident.id).where(base_ids_filter(actor, Resident.base_id)),
                 select(Stay.resident_id).where(base_ids_filter(actor, Stay.base_id)))


def resident_scope_filter(actor) -> ColumnElement[bool]:
    """Residents in the actor's scope (scope_resident_ids).

    One IN over a UNION of two indexed selects: an OR of the two would make PostgreSQL scan every
    resident of the province for each page count (measured in tests/perf)."""
    return Resident.id.in_(scope_resident_ids(actor))


def residents_in_scope(actor) -> Select:
    return select(Resident).where(resident_scope_filter(actor))


def get_resident(actor, resident_id: int) -> Resident:
    """The resident if he exists and is in the actor's scope; 404 otherwise (no leak)."""
    resident = db.session.execute(
        residents_in_scope(actor).where(Resident.id == resident_id)
    ).scalar_one_or_none()
    if resident is None:
        raise NotFound(_("No such resident."))
    return resident


# ---------------------------------------------------------------- search and the file page

# The last digits of an ID number, never the whole: a full number in a URL ends up in
# logs and browser history (PIPL art. 51, de-identified display).
ID_SUFFIX_MIN, ID_SUFFIX_MAX = 4, 8
_ID_SUFFIX = re.compile(r"^[0-9]*[0-9Xx]$")


def search_filter(q: str | None) -> ColumnElement[bool] | None:
    """Name substring (case-insensitive) or the last 4-8 characters of the ID number.

    Values are bound parameters and LIKE wildcards are escaped, so `%`, `_` or
    SQL in `q` match literally and nothing else.
    """
    q = (q or "").strip()
    if not q:
        return None
    if _ID_SUFFIX.match(q) and len(q) >= ID_SUFFIX_MIN:
        if len(q) > ID_SUFFIX_MAX:
            problem = _("Search by the last %(low)s to %(high)s characters of the ID number, not the whole number.",
                        low=ID_SUFFIX_MIN, high=ID_SUFFIX_MAX)
            raise ValidationFailed(problem, fields={"q": [problem]})
        return Resident.id_number.endswith(q.upper(), autoescape=True)
    if len(q) > 50:
        raise ValidationFailed.on("q", _("must be at most %(max)s characters", max=50))
    return Resident.name.icontains(q, autoescape=True)


def search_residents(actor, q: str | None) -> Select:
    stmt = residents_in_scope(actor)
    condition = search_filter(q)
    return stmt if condition is None else stmt.where(condition)


def resident_list_page(actor, q: str | None, page: int, per_page: int) -> tuple[list[int], int]:
    """One page of the resident list (search_residents in name order, then id) as (the page's ids,
    how many there are in all), in one statement.

    PostgreSQL walks the index on (name, id) in that order, keeps the ids found in the scope (a CTE,
    computed once and held as a hashed set) and stops when the page is full: a county officer's
    first page of 2,735 residents reads about 2,000 index entries (3 ms) where sorting the scope
    first had to look up every one of them by id (10 ms; tests/perf, migration 0008). `IS TRUE`
    keeps the scope test such a filter: a bare IN is rewritten into a join, and a join's rows must
    all be sorted — or, with a name search, every name in the province matched first (50 ms)."""
    scope = scope_resident_ids(actor).cte("scope")
    wanted = Resident.id.in_(select(scope.c.id)).is_(true())
    condition = search_filter(q)
    if condition is None:
        total = select(func.count()).select_from(scope)
    else:
        wanted = and_(wanted, condition)
        total = select(func.count()).select_from(Resident).where(wanted).correlate(None)
    rows = db.session.execute(
        select(Resident.id, total.scalar_subquery())
        .where(wanted).order_by(Resident.name, Resident.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    if rows:
        return [row[0] for row in rows], rows[0][1]
    # Past the last page (or nothing at all): still say how many there are.
    return [], db.session.execute(total).scalar_one()


def resident_list_rows(resident_ids: list[int]) -> list[Row]:
    """A page of the resident list in the order given (resident_list_page's ids), one query:
    each row is (Resident, stay_base, stay_since) — the base and day of admission of his open stay,
    or None twice (one open stay at most: uq_stays_one_open_per_resident)."""
    if not resident_ids:
        return []
    rows = db.session.execute(
        select(Resident, Base.name.label("stay_base"), Stay.admitted_on.label("stay_since"))
        .outerjoin(Stay, and_(Stay.resident_id == Resident.id, Stay.discharged_on.is_(None)))
        .outerjoin(Base, Base.id == Stay.base_id)
        .where(Resident.id.in_(resident_ids))
        .options(lazyload(Resident.hukou_region))
    ).all()
    by_id = {row.Resident.id: row for row in rows}
    return [by_id[resident_id] for resident_id in resident_ids if resident_id in by_id]


@dataclass
class StayRecord:
    stay: Stay
    assignments: list[BedAssignment] = field(default_factory=list)


def stays_of(resident: Resident) -> list[StayRecord]:
    """Every stay of the person, newest first, with bed assignments, leaves and absences
    (read from the intake and beds tables; this module never writes them)."""
    stays = db.session.execute(
        select(Stay).where(Stay.resident_id == resident.id)
        .options(selectinload(Stay.leaves), selectinload(Stay.absences))
        .order_by(Stay.admitted_on.desc(), Stay.id.desc())
    ).scalars().all()
    records = {stay.id: StayRecord(stay) for stay in stays}
    assignments = db.session.execute(
        select(BedAssignment).where(BedAssignment.resident_id == resident.id)
        .options(joinedload(BedAssignment.bed).joinedload(Bed.room))
        .order_by(BedAssignment.start_on)
    ).scalars()
    for assignment in assignments:
        if assignment.stay_id in records:
            records[assignment.stay_id].assignments.append(assignment)
    return list(records.values())


def case_notes_of(resident: Resident) -> list[CaseNote]:
    """The file's notes, newest first."""
    return list(db.session.execute(
        select(CaseNote).where(CaseNote.resident_id == resident.id)
        .order_by(CaseNote.noted_on.desc(), CaseNote.id.desc())
    ).scalars())

"""Helpers shared by the stay and bed tests: a frozen today, residents built from the model, bed lookup."""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from datetime import date

from sqlalchemy import event, select

TODAY = date(2026, 11, 20)
_serial = itertools.count(1)


def make_resident(db, base, *, name="王六", sex="male", birth=date(1980, 5, 5), released_on=date(2026, 8, 1),
                  subject_type="released", three_none=True, reoffend_risk=False, special_hardship=False,
                  id_number=None):
    """A resident registered at `base`, built straight from the model (the residents module owns the service)."""
    from base_ops.residents.models import Resident

    n = next(_serial)
    resident = Resident(
        id_number=id_number or f"3301061980{n:07d}{'1' if sex == 'male' else '2'}", name=name, sex=sex,
        birth_on=birth, hukou_region_code=base.region_code, subject_type=subject_type, released_on=released_on,
        is_homeless=three_none, has_no_relatives=three_none, is_unemployed=three_none, reoffend_risk=reoffend_risk,
        special_hardship=special_hardship, base_id=base.id)
    db.session.add(resident)
    db.session.commit()
    return resident


def bed_of(base, room_name: str, label: str):
    room = next(r for r in base.rooms if r.name == room_name)
    return next(b for b in room.beds if b.label == label)


def assignments(db, stay_id: int):
    from base_ops.beds.models import BedAssignment

    return db.session.scalars(select(BedAssignment).where(BedAssignment.stay_id == stay_id)
                              .order_by(BedAssignment.start_on)).all()


def audit_actions(db) -> list[str]:
    from base_ops.core.audit import AuditEvent

    return db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()


@contextmanager
def count_queries(db):
    """Counts the SELECT statements run inside the block (N+1 guard, after Indico's count_queries)."""
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    engine = db.session.get_bind().engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)

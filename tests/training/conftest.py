"""Training tests: a frozen today (2026-11-20, the world's session_a), residents with open stays,
and a course builder."""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, select

TODAY = date(2026, 11, 20)
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    """Every rule that depends on today sees 2026-11-20 (a Friday)."""
    monkeypatch.setattr("base_ops.core.clock.today", lambda: TODAY)
    return TODAY


def resident_with_stay(db, base, name="王五", *, admitted_on=date(2026, 10, 1), open_stay=True, **fields):
    """A resident registered at `base` with a stay there, built from the models (other modules own
    the services). Returns the resident."""
    from base_ops.intake.models import Stay
    from base_ops.residents.models import Resident

    n = next(_serial)
    values = {"id_number": f"33010619800101{n:04d}", "name": name, "sex": "male", "birth_on": date(1980, 1, 1),
              "hukou_region_code": base.region_code, "subject_type": "released", "released_on": date(2026, 9, 1),
              "is_homeless": True, "has_no_relatives": True, "is_unemployed": True, "base_id": base.id}
    values.update(fields)
    resident = Resident(**values)
    db.session.add(resident)
    db.session.flush()
    stay = Stay(resident_id=resident.id, base_id=base.id, admitted_on=admitted_on)
    if not open_stay:
        stay.discharged_on, stay.destination = date(2026, 11, 1), "returned_home"
    db.session.add(stay)
    db.session.commit()
    return resident


def make_course(world, *, title="烹饪入门", skill="烹饪", starts_on=date(2026, 11, 2), ends_on=date(2026, 12, 18),
                capacity=20, hours="40", threshold=None, trainer="trainer_a", base=None):
    from base_ops.training import services

    return services.create_course(world.manager_a, base_id=(base or world.base_a).id, title=title, skill=skill,
                                  trainer=trainer, starts_on=starts_on, ends_on=ends_on, capacity=capacity,
                                  hours=Decimal(hours), completion_threshold=threshold, certificate_type="中式烹调师")


def add_sessions(world, course, days) -> list:
    from base_ops.training import services

    return [services.add_session(world.manager_a, course, held_on=day, hours=Decimal("3")) for day in days]


def audit_actions(db) -> list[str]:
    from base_ops.core.audit import AuditEvent

    return db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()


def count_rows(db, model) -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).select_from(model))


@contextmanager
def count_queries(db):
    """Counts the SELECT statements run inside the block (N+1 guard)."""
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append(statement)

    engine = db.session.get_bind().engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)

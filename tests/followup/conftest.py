"""Follow-up tests: a settable today (contacts are not in the future; dues run for years)."""

from __future__ import annotations

from datetime import date

import pytest

TODAY = date(2027, 12, 1)
_MODULES = ("base_ops.core.clock", "base_ops.followup.services", "base_ops.followup.api",
            "base_ops.followup.views", "base_ops.residents.services", "base_ops.subsidies.services")


@pytest.fixture(autouse=True)
def today_is(monkeypatch):
    """Freeze today at TODAY; call the returned function to move it."""
    def move(day: date) -> date:
        for module in _MODULES:
            monkeypatch.setattr(f"{module}.today", lambda: day, raising=False)
        return day

    move(TODAY)
    return move


@pytest.fixture
def discharged(world, db):
    """resident_a (released 2026-09-01, 户籍 330106: support ends 2031-09-01) discharged 2026-11-10 home."""
    from base_ops.intake.stays import services as stays

    stays.discharge(world.manager_a, world.stay_a, discharged_on=date(2026, 11, 10), destination="returned_home")
    return world

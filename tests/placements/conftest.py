"""Placements tests: a frozen today, an open one-position job of the world's enterprise, and
resident_a referred to it, interviewed and offered (all through the services)."""

from __future__ import annotations

from datetime import date

import pytest

TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    for module in ("base_ops.core.clock", "base_ops.placements.services", "base_ops.placements.queries",
                   "base_ops.placements.views"):
        monkeypatch.setattr(f"{module}.today", lambda: TODAY)
    return TODAY


def open_posting(world, positions: int = 1, title: str = "仓库理货员"):
    from base_ops.enterprises import services

    posting = services.create_posting(world.enterprise_user, enterprise_id=world.enterprise.id, title=title,
                                      description="负责货物清点与上架", requirements="会使用手持终端",
                                      positions=positions, wage_min="3800", wage_max="4600",
                                      location="杭州市西湖区三墩镇", provides_housing=True)
    return services.open_posting(world.enterprise_user, posting)


@pytest.fixture
def job(world):
    return open_posting(world)


def offer(world, referral):
    from base_ops.placements import services

    services.move_referral(world.enterprise_user, referral, status="interviewing")
    return services.move_referral(world.enterprise_user, referral, status="offered")


@pytest.fixture
def offered(world, job):
    from base_ops.placements import services

    referral = services.refer(world.manager_a, posting_id=job.id, resident_id=world.resident_a.id)
    return offer(world, referral)


def hire(world, referral, started_on=date(2026, 11, 16), **overrides):
    from base_ops.placements import services

    values = {"started_on": started_on, "contract_months": 12, "monthly_wage": "4200.00", "social_insurance": True}
    values.update(overrides)
    return services.hire(world.enterprise_user, referral, **values)

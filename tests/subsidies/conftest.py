"""Claim-specific data on top of the world fixture: a frozen today, a dibao standard, a
collected key-subject notice, and a helper that walks a claim to a given status."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

TODAY = date(2026, 12, 15)
PATHS = {
    "submitted": ["submit"],
    "reviewed": ["submit", "review"],
    "approved": ["submit", "review", "approve"],
    "paid": ["submit", "review", "approve", "pay"],
    "rejected": ["submit", "reject_review"],
}


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: TODAY)
    monkeypatch.setattr("base_ops.subsidies.services.today", lambda: TODAY)
    return TODAY


@pytest.fixture
def sw(world, db):
    """The world plus: a dibao standard for county X in 2026 and 2027, notice_x collected."""
    from base_ops.org.models import DibaoStandard

    db.session.add_all([DibaoStandard(region_code="330106", year=2026, monthly=Decimal("1100.00")),
                        DibaoStandard(region_code="330106", year=2027, monthly=Decimal("1200.00"))])
    world.notice_x.collected_on = date(2026, 11, 20)
    db.session.commit()
    return world


def advance(world, claim, status: str):
    """Move a draft claim to `status` through the services, as the right people would."""
    from base_ops.subsidies import services

    filer = world.enterprise_user if claim.enterprise_id else world.manager_a
    for step in PATHS.get(status, []):
        if step == "submit":
            services.submit(filer, claim)
        elif step == "review":
            services.review(world.manager_a, claim, decision="approve")
        elif step == "approve":
            services.approve(world.officer_x, claim)
        elif step == "pay":
            services.mark_paid(world.officer_x, claim)
        elif step == "reject_review":
            services.reject(world.manager_a, claim, reason_code="missing_evidence", reason="缺少劳动合同")
    return claim


@pytest.fixture
def post_claim(sw):
    """A factory: the world's placement's post subsidy for `month`, moved to `status`."""
    from base_ops.subsidies import services

    def make(status: str = "draft", month: str = "2026-11", kind: str = "post_subsidy"):
        claim, created = services.create_claim(sw.enterprise_user, kind=kind, placement_id=sw.placement_a.id,
                                               month=month)
        assert created
        return advance(sw, claim, status)

    return make

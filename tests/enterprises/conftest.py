"""Enterprises tests: a frozen today and request bodies for agreements and postings."""

from __future__ import annotations

from datetime import date

import pytest

TODAY = date(2026, 11, 20)
USCC_OTHER = "91330110MA2H1YAB2Y"  # valid check character (stdnum.cn.uscc), not the world's


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    for module in ("base_ops.core.clock", "base_ops.placements.services", "base_ops.placements.queries",
                   "base_ops.placements.views"):
        monkeypatch.setattr(f"{module}.today", lambda: TODAY)
    return TODAY


def agreement_body(**overrides) -> dict:
    data = {
        "starts_on": "2027-01-01", "ends_on": "2028-12-31", "hire_quota": 20, "min_contract_months": 12,
        "one_time_subsidy": "5000.00", "one_time_after_months": 6, "post_subsidy_monthly": "700.00",
        "post_subsidy_max_months": 12, "insurance_subsidy_monthly": "900.00", "insurance_subsidy_max_months": 36,
        "budget": "200000.00",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def posting_body(enterprise_id: int, **overrides) -> dict:
    data = {
        "enterprise_id": enterprise_id, "title": "绿化养护工", "description": "负责园区绿化日常养护",
        "requirements": "能吃苦耐劳，有园林工作经验优先", "positions": 2, "wage_min": "3600.00",
        "wage_max": "4500.00", "location": "杭州市西湖区转塘街道", "provides_housing": True,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}

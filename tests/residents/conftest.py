"""Residents tests: a frozen today, valid ID numbers and a request body builder."""

from __future__ import annotations

from datetime import date

import pytest

TODAY = date(2026, 11, 20)

# Valid numbers (check characters from stdnum.cn.ric; ID_MALE with a wrong check is ...575).
ID_MALE = "330106199202153576"  # 17th digit 7: male, born 1992-02-15
ID_FEMALE = "330106198802291249"  # 17th digit 4: female, born 1988-02-29
ID_WITH_X = "33010619900515158X"  # 17th digit 8: female, born 1990-05-15
ID_OTHER = "330102199503011015"  # male, born 1995-03-01
ID_FUTURE_BIRTH = "330106202612010011"  # born 2026-12-01, after the frozen today
ID_FEB_30 = "330106199302301230"  # right check character, impossible date


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    """Every rule that depends on today sees 2026-11-20."""
    for module in ("base_ops.residents.services", "base_ops.residents.views", "base_ops.core.clock"):
        monkeypatch.setattr(f"{module}.today", lambda: TODAY)
    return TODAY


def body(**overrides) -> dict:
    """A complete POST /residents body (docs/api.md), with overrides; None removes a key."""
    data = {
        "id_number": ID_MALE, "name": "赵六", "ethnicity": "汉族", "phone": "13900000000",
        "hukou_region_code": "330106", "hukou_address": "西湖区某路 2 号", "subject_type": "released",
        "released_on": "2026-10-01", "prison_name": "浙江省第一监狱", "prison_region_code": "330110",
        "offence": "盗窃罪", "sentence_months": 24, "registered_on": "2026-10-08",
        "is_homeless": True, "has_no_relatives": True, "is_unemployed": True, "reoffend_risk": False,
        "state_security": False, "false_identity": False, "special_hardship": False, "diet": "halal",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def service_fields(**overrides) -> dict:
    """The same, as the service takes it (dates as date objects)."""
    data = body(**overrides)
    for key in ("released_on", "registered_on", "dibao_since", "reoffended_on"):
        if isinstance(data.get(key), str):
            data[key] = date.fromisoformat(data[key])
    return data

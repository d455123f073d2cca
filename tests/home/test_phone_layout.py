"""Phones (390 px): the widest lists keep the few columns that matter, the others hide below the md
breakpoint; the bed menu and icon buttons are 44 px targets on touch screens (issue 17)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[2] / "static" / "css" / "app.css").read_text(encoding="utf-8")
SECONDARY = "d-none d-md-table-cell"


@pytest.mark.parametrize("user, url, shown", [
    ("manager_a", "/residents", 2),  # name, current stay
    ("manager_a", "/notices?tab=all", 3),  # name, receipt, expected release
    ("manager_a", "/placements", 3),  # candidate, started, state
    ("officer_x", "/claims", 4),  # number, kind, amount, status
    ("officer_x", "/follow-ups", 3),  # name, due on, the record button
    ("auditor", "/audit", 5),  # time, user, action, object, result
])
def test_wide_lists_show_few_columns_on_a_phone(world, login_as, user, url, shown):
    body = login_as(getattr(world, user)).get(url).get_data(as_text=True)
    head = re.search(r"<thead.*?</thead>", body, re.S).group(0)
    headers = re.findall(r"<th(?: [^>]*)?>", head)
    assert len(headers) - sum(SECONDARY in h for h in headers) == shown, headers


def test_touch_targets_are_44_px():
    bed_menu = " ".join(re.findall(r"\.bed-menu \{([^}]*)\}", CSS))
    assert "min-width: 44px" in bed_menu and "min-height: 44px" in bed_menu
    coarse = CSS.split("@media (pointer: coarse)", 1)[1]
    assert ".btn-sm" in coarse and "min-height: 44px" in coarse

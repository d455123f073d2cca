"""Row-level scope: the filters every query applies for the acting user.

A county officer sees what lies in his region (a county, or everything under a
city or province); a base manager his bases; a trainer his base; an enterprise
user its enterprise. Admin sees sites but not people (enforced by the matrix);
the auditor sees only the audit log.

Here are the region rules, which need nothing but a region code. The filter on
bases (`base_ids_filter`) needs the bases table, so it lives with the bases in
org.queries: the kernel imports no domain package (tests/core/test_layers.py).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from base_ops.core.roles import Role


def region_level_of(code: str) -> str:
    """GB/T 2260: PP0000 province, PPCC00 city, otherwise county."""
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def regions_up_from(code: str) -> list[str]:
    """The region and those above it, most precise first (GB/T 2260: PPCCDD → PPCC00 → PP0000): where a
    county has no value of its own (a policy, a dibao standard), its city's applies, then its province's."""
    return list(dict.fromkeys((code, code[:4] + "00", code[:2] + "0000")))


def region_code_prefix(code: str) -> str:
    level = region_level_of(code)
    return code[:2] if level == "province" else code[:4] if level == "city" else code


def region_contains(column, region_code: str) -> ColumnElement[bool]:
    """SQL: the region code in `column` lies within `region_code`."""
    return column.startswith(region_code_prefix(region_code), autoescape=True)


def region_filter(actor, region_code_column) -> ColumnElement[bool]:
    """SQL filter for objects carrying a region code (enterprises, reports)."""
    if actor.role == Role.ADMIN:
        return true()
    if actor.role == Role.COUNTY_OFFICER and actor.region_code:
        return region_contains(region_code_column, actor.region_code)
    return false()

"""Who may reach what, in one place.

`ENDPOINT_ACCESS` maps every endpoint of the app to the roles allowed to reach
it (or PUBLIC / ANY_USER). A before-request hook enforces it for pages and API
alike, failing closed: an endpoint missing from the table answers 403, and the
route-sweep test fails. Row-level scope (which bases, which region) is applied
by the helpers in `core.scope`, which every query uses.
"""

from __future__ import annotations

from base_ops.accounts.models import Role

PUBLIC = "public"
ANY_USER = "any_user"

A = Role.ADMIN
AU = Role.AUDITOR
CO = Role.COUNTY_OFFICER
BM = Role.BASE_MANAGER
TR = Role.TRAINER
EN = Role.ENTERPRISE

ENDPOINT_ACCESS: dict[str, str | frozenset[Role]] = {
    # Infrastructure
    "static": PUBLIC,
    "core.healthz": PUBLIC,
    "core.set_language": PUBLIC,
    "home.index": ANY_USER,
    "api-docs.openapi_json": PUBLIC,
    # Accounts
    "accounts.login": PUBLIC,
    "accounts.login_otp": PUBLIC,
    "accounts.login_totp_setup": PUBLIC,
    "accounts.logout": ANY_USER,
    "accounts.change_password": ANY_USER,
    "accounts.reauthenticate": ANY_USER,
    "accounts.account_totp": ANY_USER,
    "accounts.list_users": frozenset({A}),
    "accounts.new_user": frozenset({A}),
    "accounts.edit_user": frozenset({A}),
    "accounts.reset_user_password": frozenset({A}),
    "accounts.reset_user_totp": frozenset({A}),
    "accounts.unlock_user": frozenset({A}),
    "auth_api.create_token": PUBLIC,
    # Sites
    "org.list_bases": frozenset({A, CO, BM}),
    "org.base_detail": frozenset({A, CO, BM}),
    "org.new_base": frozenset({A}),
    "org.edit_base": frozenset({A}),
    "org.new_room": frozenset({A}),
    "org.new_bed": frozenset({A}),
    "org.set_bed_service": frozenset({A}),
    "org.list_regions": frozenset({A}),
    "org.dibao": frozenset({A}),
    "enterprises.list_enterprises": frozenset({A, CO}),
    "enterprises.new_enterprise": frozenset({A}),
    "reference_api.list_regions": ANY_USER,
    "reference_api.create_base": frozenset({A}),
    "reference_api.list_bases": frozenset({A, CO, BM}),
    "reference_api.get_base": frozenset({A, CO, BM}),
    "reference_api.create_room": frozenset({A}),
    "reference_api.create_bed": frozenset({A}),
    "reference_api.update_bed": frozenset({A}),
    "reference_api.list_base_beds": frozenset({A, CO, BM}),
    "reference_api.put_dibao": frozenset({A}),
    "reference_api.get_dibao": frozenset({A, CO, BM}),
    # ---- Residents (residents/): the person's file, case notes
    # (add residents.* and residents_api.* endpoints here)
    # ---- Release notices and the working-day calendar (intake/notices_*)
    # (add notices.* and notices_api.* endpoints here)
    # ---- Admission, stays, leave, absence, discharge (intake/stays_*)
    # (add stays.* and stays_api.* endpoints here)
    # ---- Bed board (beds/)
    # (add beds.* and beds_api.* endpoints here)
    # ---- Meals (meals/)
    # (add meals.* and meals_api.* endpoints here)
    # Audit (三权分立: the auditor reads the log and nothing else)
    "audit.list_events": frozenset({AU}),
    "audit_api.list_events": frozenset({AU}),
}


def access_for(endpoint: str | None) -> str | frozenset[Role] | None:
    if endpoint is None:
        return None
    return ENDPOINT_ACCESS.get(endpoint)


def may_access(user, endpoint: str) -> bool:
    rule = access_for(endpoint)
    if rule is None:
        return False
    if rule == PUBLIC:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if rule == ANY_USER:
        return True
    return user.role in rule

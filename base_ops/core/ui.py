"""Helpers for pages: navigation per role, error display, template globals."""

from __future__ import annotations

from flask import flash, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination

from base_ops.core.actor import current_actor
from base_ops.core.errors import DomainError
from base_ops.core.forms import EmptyForm
from base_ops.core.permissions import may_access
from base_ops.core.roles import ROLE_LABELS

# Menu groups of (endpoint, label, bootstrap icon); each item is shown only to
# roles the matrix lets in, and a group with one visible item is a plain link.
NAV_GROUPS = [
    (_l("Home"), "house", [("home.index", _l("Home"), "house")]),
    (_l("Intake"), "door-open", [
        ("residents.list_residents", _l("Residents"), "person-vcard"),
        ("notices.list_notices", _l("Release notices"), "envelope-paper"),
        ("stays.list_stays", _l("Stays"), "people"),
        ("beds.board", _l("Bed board"), "grid-3x3-gap"),
        ("meals.roster", _l("Meals"), "egg-fried"),
    ]),
    (_l("Training and jobs"), "mortarboard", [
        ("training.list_courses", _l("Training"), "mortarboard"),
        ("enterprises.list_postings", _l("Job postings"), "megaphone"),
        ("placements.list_referrals", _l("Candidates"), "person-badge"),
        ("placements.list_placements", _l("Placements"), "person-check"),
    ]),
    (_l("Reports"), "bar-chart-line", [
        # (reports items, then monthly, then exports)
        ("reports.index", _l("Dashboard"), "bar-chart-line"),
        ("reports.people_list", _l("People behind the figures"), "people"),
        ("monthly.index", _l("Monthly reports"), "calendar-check"),
        ("exports.list_jobs", _l("My exports"), "cloud-download"),
        # The documents the rules come from: read by officers and managers, entered by the admin.
        ("policies.policy_list", _l("Policies"), "journal-bookmark"),
    ]),
    (_l("Subsidies"), "cash-stack", [
        ("subsidies.queue", _l("Claims to handle"), "inbox"),
        ("subsidies.list_claims", _l("All claims"), "list-check"),
        ("subsidies.list_batches", _l("Payment batches"), "bank"),
    ]),
    (_l("Sites"), "building", [
        ("org.list_bases", _l("Bases"), "building"),
        ("enterprises.list_enterprises", _l("Enterprises"), "briefcase"),
    ]),
    (_l("System"), "gear", [
        ("accounts.list_users", _l("Users"), "people"),
        ("org.list_regions", _l("Regions"), "map"),
        ("org.dibao", _l("Dibao standards"), "cash-coin"),
        ("notices.calendar", _l("Work calendar"), "calendar3"),
        ("subsidies.reference_data", _l("Rejection reasons"), "sliders"),
    ]),
    (_l("Audit log"), "journal-text", [("audit.list_events", _l("Audit log"), "journal-text")]),
]


def nav_groups() -> list[tuple[str, str, list[tuple[str, str, str]], bool]]:
    """Visible groups as (label, icon, items, is_active); active = the page's blueprint is in it."""
    section = (request.endpoint or "").split(".")[0]
    user = current_actor()  # once, not through the proxy for each of ~25 items
    groups = []
    for label, icon, items in NAV_GROUPS:
        visible = [item for item in items if may_access(user, item[0])]
        if visible:
            active = any(endpoint.split(".")[0] == section for endpoint, _label, _icon in visible)
            groups.append((label, icon, visible, active))
    return groups


def template_globals() -> dict:
    from flask_babel import get_locale

    return {"nav_groups": nav_groups, "role_labels": ROLE_LABELS, "logout_form": EmptyForm, "get_locale": get_locale,
            "may_access": lambda endpoint: may_access(current_user, endpoint)}


def flash_error(error: DomainError) -> None:
    flash(error.message, "danger")


def form_errors_from(form, error: DomainError) -> None:
    """Put a service's field errors next to the form fields; the rest as a flash."""
    unplaced = []
    for field_name, problems in (error.fields or {}).items():
        field = getattr(form, field_name, None)
        if field is not None and hasattr(field, "errors"):
            if not isinstance(field.errors, list):
                field.errors = list(field.errors)
            field.errors.extend(problems)
        else:
            unplaced.extend(f"{field_name}: {p}" for p in problems)
    if unplaced or not error.fields:
        flash(error.message if not unplaced else "; ".join(unplaced), "danger")


class FetchedPage(Pagination):
    """A page whose items and total the caller fetched itself (e.g. both in one statement), for the
    `pager` macro like any db.paginate() result. A page past the last is empty, not a 404."""

    def __init__(self, *, page: int, per_page: int, items: list, total: int) -> None:
        super().__init__(page=page, per_page=per_page, max_per_page=None, error_out=False, items=items, total=total)

    def _query_items(self) -> list:
        return self._query_args["items"]

    def _query_count(self) -> int:
        return self._query_args["total"]

"""HTML routes of follow-up: the due list (with the 脱管 tab) and recording a contact from the resident's file."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from base_ops.core.actor import current_actor
from base_ops.core.bounds import int_arg, page_number
from base_ops.core.clock import today
from base_ops.core.errors import DomainError
from base_ops.core.redirects import page_on_get
from base_ops.core.ui import FetchedPage, form_errors_from
from base_ops.followup import queries, services
from base_ops.followup.forms import FollowUpForm
from base_ops.followup.vocabulary import DUE_STATUS_LABELS, METHOD_LABELS, OUTCOME_LABELS
from base_ops.residents.queries import get_resident

bp = Blueprint("followup", __name__)
PER_PAGE = 50
TABS = ("due", "missed", "done", "missing")


@bp.app_context_processor
def _follow_up_section():
    """`follow_up_section(resident)` for the resident's file (templates/followup/_section.html)."""
    def follow_up_section(resident, form=None):
        return {"dues": queries.dues_of(resident.id), "history": queries.follow_ups_of(resident.id),
                "form": form or FollowUpForm(formdata=None, contacted_on=today()), "today": today()}
    return {"follow_up_section": follow_up_section, "follow_up_labels": {
        "method": METHOD_LABELS, "outcome": OUTCOME_LABELS, "status": DUE_STATUS_LABELS}}


@bp.get("/follow-ups")
def due_list():
    """Contacts due after discharge in the actor's scope, by tab: due, missed, done, missing (脱管)."""
    tab = request.args.get("status") if request.args.get("status") in TABS else "due"
    base_id = int_arg("base_id")  # 422 naming it for anything that cannot be an id
    number, actor = page_number(), current_actor()
    if tab == "missing":
        items, total = queries.missing_page(actor, region_code=None, base_id=base_id, page=number, per_page=PER_PAGE)
    else:
        items, total = queries.due_page(actor, status=tab, day=today(), region_code=None, base_id=base_id,
                                        page=number, per_page=PER_PAGE)
    page = FetchedPage(page=number, per_page=PER_PAGE, items=items, total=total)
    return render_template("followup/list.html", page=page, tab=tab, tabs=TABS, today=today(),
                           missing_total=queries.missing_count(actor))


@bp.route("/residents/<int:resident_id>/follow-ups", methods=["GET", "POST"])
@page_on_get(lambda **args: url_for("residents.resident_file", **args) + "#follow-up")
def record(resident_id: int):
    """Record a contact from the resident's file; on a refusal the form comes back with the reason."""
    resident = get_resident(current_actor(), resident_id)
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            services.record_follow_up(current_actor(), resident, contacted_on=form.contacted_on.data,
                                      method=form.method.data, outcome=form.outcome.data, note=form.note.data)
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("Follow-up recorded for %(name)s.", name=resident.name), "success")
            return redirect(url_for("residents.resident_file", resident_id=resident.id) + "#follow-up")
    return render_template("followup/record.html", resident=resident, form=form, today=today()), 422

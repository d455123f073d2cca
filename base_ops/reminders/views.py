"""HTML routes of reminders: the inbox (open and done tabs), dismissing an item, and the top bar's count."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from base_ops.core.actor import current_actor
from base_ops.core.forms import EmptyForm
from base_ops.reminders import queries, services
from base_ops.reminders.vocabulary import KIND_LABELS, STATUS_LABELS, describe

bp = Blueprint("reminders", __name__)


@bp.app_context_processor
def inject_reminder_count():
    """`open_reminders()` for the top bar: called by the layout only for a signed-in user who may have items,
    so a request costs ONE indexed COUNT (issue 20 measures the signed-in floor)."""

    def open_reminders() -> int:
        return queries.open_count(current_user.id) if current_user.is_authenticated else 0

    return {"open_reminders": open_reminders}


@bp.get("/reminders")
def inbox():
    status = "done" if request.args.get("status") == "done" else "open"
    items = queries.page_of(current_actor(), status)
    return render_template("reminders/inbox.html", items=items, described=describe(items), status=status,
                           kind_labels=KIND_LABELS, status_labels=STATUS_LABELS, dismiss_form=EmptyForm())


@bp.post("/reminders/<int:reminder_id>/dismiss")
def dismiss(reminder_id: int):
    """CSRF is checked app-wide before the view; another user's item is 404 (the service raises it)."""
    services.dismiss(current_actor(), reminder_id)
    flash(_("Reminder dismissed."), "success")
    return redirect(url_for("reminders.inbox"))

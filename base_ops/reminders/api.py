"""JSON API of reminders (docs/api.md "Reminders"): the caller's own items, and dismissing one."""

from flask_smorest import Blueprint

from base_ops.core.actor import current_actor
from base_ops.core.api import page_schema, paginate
from base_ops.extensions import db
from base_ops.reminders import queries, services
from base_ops.reminders.models import Reminder
from base_ops.reminders.schemas import ReminderListArgsSchema, ReminderSchema
from base_ops.reminders.vocabulary import describe

blp = Blueprint("reminders_api", __name__, description="Reminders")
ReminderPageSchema = page_schema(ReminderSchema, "ReminderPage")


def reminder_views(items) -> list[dict]:
    """Items with their titles in the caller's language and their links (one query per object type)."""
    described = describe(items)
    return [{"id": r.id, "kind": str(r.kind), "due_on": r.due_on, "title": described[r.id][0],
             "object_type": r.object_type, "object_id": r.object_id, "url": described[r.id][1],
             "status": str(r.status)} for r in items]


@blp.route("/reminders", methods=["GET"])
@blp.arguments(ReminderListArgsSchema, location="query")
@blp.response(200, ReminderPageSchema)
def list_reminders(args):
    """The caller's items: `open`, or `done` (closed by itself when the work was done, or dismissed)."""
    stmt = queries.reminders_of(current_actor(), args["status"])
    page = paginate(db.session, stmt, Reminder.id, args["limit"], args["cursor"])
    page["items"] = reminder_views(page["items"])
    return page


@blp.route("/reminders/<int:reminder_id>/dismiss", methods=["POST"])
@blp.response(200, ReminderSchema)
def dismiss_reminder(reminder_id):
    """Put one's own item away (it never comes back); another user's item is 404."""
    return reminder_views([services.dismiss(current_actor(), reminder_id)])[0]

"""JSON API of follow-up through the support period (docs/api.md "Follow-up")."""

from flask_smorest import Blueprint

from base_ops.core.actor import current_actor
from base_ops.core.api import page_schema, paginate
from base_ops.core.clock import today
from base_ops.extensions import db
from base_ops.followup import queries, services
from base_ops.followup.models import FollowUpDue
from base_ops.followup.schemas import FollowUpCreateSchema, FollowUpDueSchema, FollowUpListArgsSchema, FollowUpSchema
from base_ops.residents.queries import get_resident

blp = Blueprint("followup_api", __name__, description="Follow-up through the support period (帮教回访)")
FollowUpDuePageSchema = page_schema(FollowUpDueSchema, "FollowUpDuePage")


@blp.route("/follow-ups", methods=["GET"])
@blp.arguments(FollowUpListArgsSchema, location="query")
@blp.response(200, FollowUpDuePageSchema)
def list_follow_ups(args):
    """Contacts due after discharge in the caller's scope (a manager: stays at his bases; an officer: his
    region's bases): 1, 3, 6 and 12 months, then every 6 months until `support_ends_on`, as the policy sets."""
    day = today()
    stmt = queries.dues_in_scope(current_actor(), status=args["status"], day=day, region_code=args["region_code"],
                                 base_id=args["base_id"])
    page = paginate(db.session, stmt, FollowUpDue.id, args["limit"], args["cursor"])
    page["items"] = [queries.due_view(due, day) for due in page["items"]]
    return page


@blp.route("/residents/<int:resident_id>/follow-ups", methods=["POST"])
@blp.arguments(FollowUpCreateSchema)
@blp.response(201, FollowUpSchema)
def create_follow_up(body, resident_id):
    """Record a contact: it closes the dues whose window holds `contacted_on`; `missing` flags 脱管,
    `reoffended` records the reoffence (the living allowance stops), `deceased` cancels the dues left.
    `422 not_discharged` before a discharge."""
    actor = current_actor()
    follow_up = services.record_follow_up(actor, get_resident(actor, resident_id), **body)
    return queries.follow_up_view(follow_up)

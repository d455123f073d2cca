"""JSON API of the placements module (docs/api.md "Enterprises, postings, placements")."""

from flask_smorest import Blueprint

from base_ops.core.actor import current_actor
from base_ops.core.api import page_schema, paginate
from base_ops.extensions import db
from base_ops.placements import queries, services
from base_ops.placements.models import Placement, Referral
from base_ops.placements.schemas import (
    CheckCreateSchema,
    CheckSchema,
    DueArgsSchema,
    DueCheckSchema,
    PlacementCreateSchema,
    PlacementDischargeSchema,
    PlacementEndSchema,
    PlacementListArgsSchema,
    PlacementSchema,
    ReferralCreateSchema,
    ReferralListArgsSchema,
    ReferralSchema,
    ReferralStatusChangeSchema,
    StayDischargedSchema,
)

blp = Blueprint("placements_api", __name__, description="Referrals, placements (hires), retention checks")
ReferralPageSchema = page_schema(ReferralSchema, "ReferralPage")
PlacementPageSchema = page_schema(PlacementSchema, "PlacementPage")


@blp.route("/referrals", methods=["POST"])
@blp.arguments(ReferralCreateSchema)
@blp.response(201, ReferralSchema)
def create_referral(body):
    """A base manager refers a resident with an open stay at his base to an open posting.
    `409 posting_full` when no position is open, `409 posting_not_open`, `409 referral_exists`,
    `422 no_open_stay`, `422 barred_job` for a job the law closes to him (《保安服务管理条例》 art. 17)."""
    referral = services.refer(current_actor(), **body)
    return queries.referral_view(current_actor(), referral)


@blp.route("/referrals", methods=["GET"])
@blp.arguments(ReferralListArgsSchema, location="query")
@blp.response(200, ReferralPageSchema)
def list_referrals(args):
    """Referrals in the caller's scope (an enterprise: its candidates, with the allowed fields only)."""
    stmt = queries.referrals_in_scope(current_actor(), status=args["status"], posting_id=args["posting_id"])
    page = paginate(db.session, stmt, Referral.id, args["limit"], args["cursor"])
    page["items"] = queries.referral_views(current_actor(), page["items"])
    return page


@blp.route("/referrals/<int:referral_id>", methods=["GET"])
@blp.response(200, ReferralSchema)
def get_referral(referral_id):
    """An enterprise sees only these candidate fields: name, sex, age, skills, courses completed and
    certificates (docs/domain.md "What an enterprise may see": not the diet)."""
    return queries.referral_view(current_actor(), queries.get_referral(current_actor(), referral_id))


@blp.route("/referrals/<int:referral_id>/status", methods=["POST"])
@blp.arguments(ReferralStatusChangeSchema)
@blp.response(200, ReferralSchema)
def set_referral_status(body, referral_id):
    """referred -> interviewing -> offered (the enterprise); declined_by_employer (the enterprise);
    declined_by_resident (either); withdrawn (the base manager). `409 invalid_transition`."""
    actor = current_actor()
    referral = services.move_referral(actor, queries.get_referral(actor, referral_id), status=body["status"])
    return queries.referral_view(actor, referral)


@blp.route("/placements", methods=["POST"])
@blp.arguments(PlacementCreateSchema)
@blp.response(201, PlacementSchema)
def create_placement(body):
    """The hire of an `offered` referral: it becomes `hired` and takes one open position
    (`409 posting_full` when none is left; `409 quota_reached` beyond the agreement's hire quota)."""
    referral = queries.get_referral(current_actor(), body.pop("referral_id"))
    return queries.placement_view(current_actor(), services.hire(current_actor(), referral, **body))


@blp.route("/placements", methods=["GET"])
@blp.arguments(PlacementListArgsSchema, location="query")
@blp.response(200, PlacementPageSchema)
def list_placements(args):
    stmt = queries.placements_in_scope(current_actor(), active_only=args["active"])
    page = paginate(db.session, stmt, Placement.id, args["limit"], args["cursor"])
    versions = queries.agreement_versions(page["items"])
    page["items"] = [queries.placement_view(current_actor(), p, versions) for p in page["items"]]
    return page


@blp.route("/placements/<int:placement_id>", methods=["GET"])
@blp.response(200, PlacementSchema)
def get_placement(placement_id):
    return queries.placement_view(current_actor(), queries.get_placement(current_actor(), placement_id))


@blp.route("/placements/<int:placement_id>/cancel", methods=["POST"])
@blp.response(200, PlacementSchema)
def cancel_placement(placement_id):
    """Undo the hire: the referral goes back to `offered`, the posting gets its position back."""
    placement = services.cancel_placement(current_actor(), queries.get_placement(current_actor(), placement_id))
    return queries.placement_view(current_actor(), placement)


@blp.route("/placements/<int:placement_id>/checks", methods=["POST"])
@blp.arguments(CheckCreateSchema)
@blp.response(201, CheckSchema)
def create_check(body, placement_id):
    """A retention check; `month_mark` (1, 3, 6, 12) is computed from the start date."""
    return services.record_check(current_actor(), queries.get_placement(current_actor(), placement_id), **body)


@blp.route("/placements/<int:placement_id>/end", methods=["POST"])
@blp.arguments(PlacementEndSchema)
@blp.response(200, PlacementSchema)
def end_placement(body, placement_id):
    placement = services.end_placement(current_actor(), queries.get_placement(current_actor(), placement_id), **body)
    return queries.placement_view(current_actor(), placement)


@blp.route("/placements/<int:placement_id>/discharge", methods=["POST"])
@blp.arguments(PlacementDischargeSchema)
@blp.response(200, StayDischargedSchema)
@blp.doc(operationId="discharge_placement")  # apart from POST /stays/<id>/discharge (core.api.ContractPlugin)
def discharge(body, placement_id):
    """Discharge the placed resident's open stay with destination `employed` (base manager)."""
    actor = current_actor()
    stay = services.discharge_to_employment(actor, queries.get_placement(actor, placement_id), **body)
    return {"stay_id": stay.id, "discharged_on": stay.discharged_on, "destination": stay.destination.value}


@blp.route("/retention-checks/due", methods=["GET"])
@blp.arguments(DueArgsSchema, location="query")
@blp.response(200, DueCheckSchema(many=True))
def due_checks(args):
    """Retention checks due within `within_days` (default 14) and overdue ones, soonest first."""
    return [queries.due_check_view(d) for d in queries.due_checks(current_actor(), within_days=args["within_days"])]

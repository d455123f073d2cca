"""The stays part of docs/api.md: admission, the stay's bed, leave, absence without leave, discharge."""

from flask_smorest import Blueprint

from base_ops.beds import services as bed_services
from base_ops.core.actor import current_actor
from base_ops.core.api import page_schema, paginate
from base_ops.extensions import db
from base_ops.intake.models import Stay
from base_ops.intake.stays import queries, services
from base_ops.intake.stays.schemas import (
    AbsenceCreateSchema,
    AbsenceReturnSchema,
    AbsenceSchema,
    BedAssignSchema,
    BedReleaseSchema,
    DischargeSchema,
    LeaveCreateSchema,
    LeaveSchema,
    StayCreateSchema,
    StayListArgsSchema,
    StaySchema,
)

blp = Blueprint("stays_api", __name__, description="Stays: admission, beds, leave, absence, discharge")
StayPageSchema = page_schema(StaySchema, "StayPage")


def _whole(stay: Stay) -> dict:
    return queries.stay_as_dict(stay, queries.stay_facts(stay))


@blp.route("/stays", methods=["POST"])
@blp.arguments(StayCreateSchema)
@blp.response(201, StaySchema)
def create_stay(body):
    """Admit a resident (入住). 409 open_stay_exists; 422 not_eligible unless override_reason; 422 minor;
    with bed_id also the bed errors of POST /stays/<id>/bed."""
    return _whole(services.admit(current_actor(), **body))


@blp.route("/stays", methods=["GET"])
@blp.arguments(StayListArgsSchema, location="query")
@blp.response(200, StayPageSchema)
def list_stays(args):
    """Stays of the bases in the caller's scope, optionally of one base or status."""
    stmt = queries.stays_in_scope(current_actor())
    if args["base_id"] is not None:
        stmt = stmt.where(Stay.base_id == args["base_id"])
    if args["status"]:
        stmt = stmt.where(Stay.discharged_on.is_(None) if args["status"] == "open" else Stay.discharged_on.is_not(None))
    page = paginate(db.session, stmt, Stay.id, args["limit"], args["cursor"])
    facts = queries.facts_of(page["items"])
    page["items"] = [queries.stay_as_dict(stay, facts[stay.id]) for stay in page["items"]]
    return page


@blp.route("/stays/<int:stay_id>", methods=["GET"])
@blp.response(200, StaySchema)
def get_stay(stay_id):
    return _whole(queries.get_stay(current_actor(), stay_id))


@blp.route("/stays/<int:stay_id>/bed", methods=["POST"])
@blp.arguments(BedAssignSchema)
@blp.response(200, StaySchema)
def assign_bed(body, stay_id):
    """Assign or move from the night `on` on. 409 bed_unavailable, 422 sex_mismatch, 409 bed_out_of_service,
    409 stay_closed."""
    stay = queries.get_stay(current_actor(), stay_id)
    bed_services.assign_bed(current_actor(), stay, body["bed_id"], body["on"])
    return _whole(stay)


@blp.route("/stays/<int:stay_id>/bed/release", methods=["POST"])
@blp.arguments(BedReleaseSchema)
@blp.response(200, StaySchema)
def release_bed(body, stay_id):
    """Give up the bed from the night `on` on; the stay stays open. 409 no_bed, 409 stay_closed."""
    stay = queries.get_stay(current_actor(), stay_id)
    bed_services.release_bed(current_actor(), stay, body["on"])
    return _whole(stay)


@blp.route("/stays/<int:stay_id>/leaves", methods=["POST"])
@blp.arguments(LeaveCreateSchema)
@blp.response(201, LeaveSchema)
def record_leave(body, stay_id):
    """Nights [start_on, end_on) away with permission; the bed stays held. 409 leave_overlaps."""
    return services.record_leave(current_actor(), queries.get_stay(current_actor(), stay_id), **body)


@blp.route("/stays/<int:stay_id>/absences", methods=["POST"])
@blp.arguments(AbsenceCreateSchema)
@blp.response(201, AbsenceSchema)
def record_absence(body, stay_id):
    """Away without leave from the night `start_on`. 409 absence_open, 409 absence_overlaps."""
    return services.record_absence(current_actor(), queries.get_stay(current_actor(), stay_id), **body)


@blp.route("/absences/<int:absence_id>/return", methods=["POST"])
@blp.arguments(AbsenceReturnSchema)
@blp.response(200, AbsenceSchema)
def record_return(body, absence_id):
    """He came back: the absence covers nights [start_on, returned_on). 409 absence_closed."""
    return services.record_return(current_actor(), queries.get_absence(current_actor(), absence_id), **body)


@blp.route("/stays/<int:stay_id>/discharge", methods=["POST"])
@blp.arguments(DischargeSchema)
@blp.response(200, StaySchema)
@blp.doc(operationId="discharge_stay")  # apart from POST /placements/<id>/discharge (core.api.ContractPlugin)
def discharge(body, stay_id):
    """Close the stay with a destination of docs/domain.md; ends the bed assignment that night.
    409 stay_closed; 422 when `other` has no note or the date is before admission."""
    return _whole(services.discharge(current_actor(), queries.get_stay(current_actor(), stay_id), **body))

"""The Reference part of docs/api.md: regions, bases, rooms, beds, dibao standards."""

from flask_babel import gettext as _
from flask_smorest import Blueprint

from base_ops.accounts.models import Role
from base_ops.core.actor import current_actor
from base_ops.core.api import PageArgsSchema, page_schema, paginate
from base_ops.core.clock import today
from base_ops.core.errors import NotFound, ValidationFailed
from base_ops.extensions import db
from base_ops.org import queries, services
from base_ops.org.models import Base
from base_ops.org.schemas import (
    BaseCreateSchema,
    BaseSchema,
    BedCreateSchema,
    BedNightQuerySchema,
    BedNightSchema,
    BedSchema,
    BedUpdateSchema,
    DibaoPutSchema,
    DibaoSchema,
    RegionQuerySchema,
    RegionSchema,
    RoomCreateSchema,
    RoomSchema,
)

blp = Blueprint("reference_api", __name__, description="Regions, bases, rooms, beds, reference data")
BasePageSchema = page_schema(BaseSchema, "BasePage")


@blp.route("/regions", methods=["GET"])
@blp.arguments(RegionQuerySchema, location="query")
@blp.response(200, RegionSchema(many=True))
def list_regions(args):
    """Provinces, or the children of `parent`."""
    return queries.regions(args["parent"])


@blp.route("/bases", methods=["POST"])
@blp.arguments(BaseCreateSchema)
@blp.response(201, BaseSchema)
def create_base(body):
    return services.create_base(current_actor(), **body)


@blp.route("/bases", methods=["GET"])
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, BasePageSchema)
def list_bases(args):
    """Bases in the caller's scope."""
    return paginate(db.session, queries.bases_in_scope(current_actor()), Base.id, args["limit"], args["cursor"])


@blp.route("/bases/<int:base_id>", methods=["GET"])
@blp.response(200, BaseSchema)
def get_base(base_id):
    return queries.get_base(current_actor(), base_id)


@blp.route("/bases/<int:base_id>/rooms", methods=["POST"])
@blp.arguments(RoomCreateSchema)
@blp.response(201, RoomSchema)
def create_room(body, base_id):
    return services.create_room(current_actor(), queries.get_base(current_actor(), base_id), **body)


@blp.route("/rooms/<int:room_id>/beds", methods=["POST"])
@blp.arguments(BedCreateSchema)
@blp.response(201, BedSchema)
def create_bed(body, room_id):
    room = queries.get_room(current_actor(), room_id)
    return services.create_bed(current_actor(), room, label=body["label"],
                               in_service_from=body["in_service_from"] or today())


@blp.route("/beds/<int:bed_id>", methods=["PATCH"])
@blp.arguments(BedUpdateSchema)
@blp.response(200, BedSchema)
def update_bed(body, bed_id):
    """Take a bed out of service or back, from a night on (default today); history is kept."""
    bed = queries.get_bed(current_actor(), bed_id)
    return services.set_bed_service(current_actor(), bed, in_service=body["in_service"],
                                    from_on=body["from_on"] or today())


@blp.route("/bases/<int:base_id>/beds", methods=["GET"])
@blp.arguments(BedNightQuerySchema, location="query")
@blp.response(200, BedNightSchema(many=True))
def list_base_beds(args, base_id):
    """Occupants are shown to base managers and county officers; the admin sees beds only (三权分立).

    With `from`, only the beds free every night from that date on (issue 21: an admission dated in the past)."""
    base = queries.get_base(current_actor(), base_id)
    if args["from_on"] is not None:
        if args["on"] is not None:
            raise ValidationFailed.on("from", _("give either on or from, not both"))
        from base_ops.beds.queries import free_bed_ids  # beds build on org: imported late, no cycle

        free = free_bed_ids([base.id], args["from_on"])
        return [bed for bed in queries.beds_of_base(base, args["from_on"], with_occupants=False) if bed["id"] in free]
    return queries.beds_of_base(base, args["on"] or today(), with_occupants=current_actor().role != Role.ADMIN)


@blp.route("/reference/dibao/<string:region_code>/<int:year>", methods=["PUT"])
@blp.arguments(DibaoPutSchema)
@blp.response(200, DibaoSchema)
def put_dibao(body, region_code, year):
    row, _created = services.put_dibao(current_actor(), region_code=region_code, year=year, monthly=body["monthly"])
    return row


@blp.route("/reference/dibao/<string:region_code>/<int:year>", methods=["GET"])
@blp.response(200, DibaoSchema)
def get_dibao(region_code, year):
    row = queries.dibao_for(region_code, year)
    if row is None:
        raise NotFound(_("No dibao standard for this region and year."))
    return row

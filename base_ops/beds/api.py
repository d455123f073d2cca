"""JSON API of the bed board: every bed of a base and its state for one night."""

from flask_smorest import Blueprint

from base_ops.beds import (
    queries,
    services,  # noqa: F401 - registers the bed occupancy check with org at start-up
)
from base_ops.beds.schemas import BoardQuerySchema, BoardSchema
from base_ops.core import clock
from base_ops.core.actor import current_actor
from base_ops.org.queries import get_base

blp = Blueprint("beds_api", __name__, description="The bed board")


@blp.route("/bases/<int:base_id>/bed-board", methods=["GET"])
@blp.arguments(BoardQuerySchema, location="query")
@blp.response(200, BoardSchema)
def board(args, base_id):
    """Beds of the base that night: vacant, occupied, on_leave (held) or out_of_service, with counts by sex."""
    base = get_base(current_actor(), base_id)
    night = args["on"] or clock.today()
    rooms = queries.board(base.id, night)
    return {"base_id": base.id, "on": night, "counts": queries.board_counts(rooms),
            "beds": [tile for room in rooms for tile in room.tiles]}

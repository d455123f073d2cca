"""API shapes for the bed board (explicit fields only)."""

import marshmallow as ma

from base_ops.core.api import StrictSchema, enum_values
from base_ops.org.models import Sex

STATES = ["vacant", "occupied", "on_leave", "out_of_service"]


class BoardQuerySchema(StrictSchema):
    on = ma.fields.Date(load_default=None, metadata={"description": "the night; default today"})


class BoardTileSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    label = ma.fields.String(required=True)
    room_id = ma.fields.Integer(required=True)
    room_name = ma.fields.String(required=True)
    sex = ma.fields.String(required=True, metadata={"enum": enum_values(Sex)})
    state = ma.fields.String(required=True, metadata={"enum": STATES})
    stay_id = ma.fields.Integer(allow_none=True, required=True)
    resident_id = ma.fields.Integer(allow_none=True, required=True)
    resident_name = ma.fields.String(allow_none=True, required=True)
    leave_until = ma.fields.Date(allow_none=True, metadata={"description": "first night back from leave"})
    absent_since = ma.fields.Date(allow_none=True, metadata={"description": "first night away without leave"})


class StateCountsSchema(ma.Schema):
    vacant = ma.fields.Integer(required=True)
    occupied = ma.fields.Integer(required=True)
    on_leave = ma.fields.Integer(required=True)
    out_of_service = ma.fields.Integer(required=True)


class BoardCountsSchema(ma.Schema):
    male = ma.fields.Nested(StateCountsSchema, required=True)
    female = ma.fields.Nested(StateCountsSchema, required=True)
    total = ma.fields.Nested(StateCountsSchema, required=True)


class BoardSchema(ma.Schema):
    base_id = ma.fields.Integer(required=True)
    on = ma.fields.Date(required=True)
    counts = ma.fields.Nested(BoardCountsSchema, required=True)
    beds = ma.fields.List(ma.fields.Nested(BoardTileSchema), required=True)

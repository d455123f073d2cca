"""API shapes for the Reference part of docs/api.md (explicit fields only)."""

import marshmallow as ma

from base_ops.core.api import StrictSchema, enum_values
from base_ops.core.clock import today
from base_ops.org.models import RegionLevel, Sex


class RegionSchema(ma.Schema):
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    level = ma.fields.String(required=True, metadata={"enum": enum_values(RegionLevel)})


class RegionQuerySchema(StrictSchema):
    parent = ma.fields.String(load_default=None, validate=ma.validate.Regexp(r"^\d{6}$"))


class BaseCreateSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    region_code = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^\d{6}$"))
    address = ma.fields.String(required=True, validate=ma.validate.Length(max=200))
    max_stay_days = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=1, max=3650))
    # Range is checked by the service (clear field error); a Range validator here
    # would put a non-numeric minimum into the OpenAPI document.
    meal_standard = ma.fields.Decimal(load_default=None, places=2, as_string=True)


class BaseSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    region_code = ma.fields.String(required=True)
    address = ma.fields.String(required=True)
    max_stay_days = ma.fields.Integer(required=True)
    meal_standard = ma.fields.Decimal(places=2, as_string=True, required=True)
    is_active = ma.fields.Boolean(required=True)


class RoomCreateSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=50))
    sex = ma.fields.String(required=True, validate=ma.validate.OneOf(["male", "female"]))


class RoomSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    base_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    sex = ma.fields.String(required=True, metadata={"enum": enum_values(Sex)})


class BedCreateSchema(StrictSchema):
    label = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=20))
    in_service_from = ma.fields.Date(load_default=None)


class BedUpdateSchema(StrictSchema):
    in_service = ma.fields.Boolean(required=True)
    from_on = ma.fields.Date(data_key="from", load_default=None)


class BedSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    room_id = ma.fields.Integer(required=True)
    label = ma.fields.String(required=True)
    in_service = ma.fields.Method("_in_service", metadata={"type": "boolean"})

    def _in_service(self, bed) -> bool:
        return bed.is_in_service_on(today())


class OccupantSchema(ma.Schema):
    resident_id = ma.fields.Integer(required=True)
    stay_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


class BedRoomSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


class BedNightSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    label = ma.fields.String(required=True)
    room = ma.fields.Nested(BedRoomSchema, required=True)
    sex = ma.fields.String(required=True, metadata={"enum": enum_values(Sex)})
    in_service = ma.fields.Boolean(required=True)
    occupant = ma.fields.Nested(OccupantSchema, allow_none=True, required=True)


class BedNightQuerySchema(StrictSchema):
    on = ma.fields.Date(load_default=None, metadata={"description": "the night shown (default today)"})
    from_on = ma.fields.Date(data_key="from", load_default=None, metadata={
        "description": "only the beds free every night from this date on (no assignment on or after it, in "
                       "service): for an admission dated in the past; not with `on`"})


class DibaoPutSchema(StrictSchema):
    monthly = ma.fields.Decimal(required=True, places=2, as_string=True)


class DibaoSchema(ma.Schema):
    region_code = ma.fields.String(required=True)
    year = ma.fields.Integer(required=True)
    monthly = ma.fields.Decimal(places=2, as_string=True, required=True)

"""API shapes for stays, leave, absences and discharge (docs/api.md "Stays, beds, meals"; explicit fields only)."""

import marshmallow as ma

from base_ops.core.api import PageArgsSchema, StrictSchema
from base_ops.intake.models import Destination

DESTINATIONS = [d.value for d in Destination]


class StayCreateSchema(StrictSchema):
    resident_id = ma.fields.Integer(required=True, strict=True)
    base_id = ma.fields.Integer(required=True, strict=True)
    admitted_on = ma.fields.Date(required=True)
    bed_id = ma.fields.Integer(load_default=None, allow_none=True, strict=True)
    referral_source = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=100))
    override_reason = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))


class StayBedSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    label = ma.fields.String(required=True)
    room = ma.fields.String(required=True, metadata={"description": "room name"})


class StaySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    resident_id = ma.fields.Integer(required=True)
    resident_name = ma.fields.String(required=True)
    base_id = ma.fields.Integer(required=True)
    admitted_on = ma.fields.Date(required=True)
    discharged_on = ma.fields.Date(allow_none=True, required=True)
    destination = ma.fields.String(allow_none=True, required=True, metadata={"enum": DESTINATIONS})
    discharge_note = ma.fields.String(allow_none=True)
    referral_source = ma.fields.String(allow_none=True)
    override_reason = ma.fields.String(allow_none=True, metadata={
        "description": "why someone outside the admitted categories was admitted (audited)"})
    status = ma.fields.String(required=True, metadata={"enum": ["open", "discharged"]})
    bed = ma.fields.Nested(StayBedSchema, allow_none=True, required=True,
                           metadata={"description": "the bed held tonight, or null"})
    days = ma.fields.Integer(required=True, metadata={"description": "nights so far, or until discharge"})
    is_overstay = ma.fields.Boolean(required=True, metadata={
        "description": "open for longer than the base's maximum stay (flagged, not blocked)"})
    absent_since = ma.fields.Date(allow_none=True, metadata={"description": "first night of an open absence"})
    flags = ma.fields.List(ma.fields.String(), metadata={
        "description": "overstay, absent (more nights without leave than the base's county policy allows, "
                       "3 by default), may_close_self_left (30 nights or more), no_bed"})


class StayListArgsSchema(PageArgsSchema):
    base_id = ma.fields.Integer(load_default=None)
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(["open", "discharged"]))


class BedAssignSchema(StrictSchema):
    bed_id = ma.fields.Integer(required=True, strict=True)
    on = ma.fields.Date(required=True, metadata={"description": "first night in the bed"})


class BedReleaseSchema(StrictSchema):
    on = ma.fields.Date(required=True, metadata={"description": "first night without the bed"})


class LeaveCreateSchema(StrictSchema):
    start_on = ma.fields.Date(required=True, metadata={"description": "first night away"})
    end_on = ma.fields.Date(required=True, metadata={"description": "first night back (nights [start_on, end_on))"})
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))


class LeaveSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    stay_id = ma.fields.Integer(required=True)
    start_on = ma.fields.Date(required=True)
    end_on = ma.fields.Date(required=True)
    reason = ma.fields.String(required=True)


class AbsenceCreateSchema(StrictSchema):
    start_on = ma.fields.Date(required=True, metadata={"description": "first night away without leave"})
    note = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))


class AbsenceReturnSchema(StrictSchema):
    returned_on = ma.fields.Date(required=True, metadata={"description": "first night back"})


class AbsenceSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    stay_id = ma.fields.Integer(required=True)
    start_on = ma.fields.Date(required=True)
    returned_on = ma.fields.Date(allow_none=True, required=True)
    note = ma.fields.String(allow_none=True)


class DischargeSchema(StrictSchema):
    discharged_on = ma.fields.Date(required=True)
    # Checked by the service so the error names the field in the house style.
    destination = ma.fields.String(required=True, metadata={"enum": DESTINATIONS})
    note = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=500),
                            metadata={"description": "required when destination is other"})

"""API shapes for follow-up (docs/api.md "Follow-up")."""

from __future__ import annotations

import marshmallow as ma

from base_ops.core.api import PageArgsSchema, StrictSchema, enum_values
from base_ops.core.bounds import DB_INT_MAX
from base_ops.followup.models import ContactMethod, DueStatus, Outcome

_LIST_STATUSES = [*enum_values(DueStatus), "missing"]


class FollowUpCreateSchema(StrictSchema):
    contacted_on = ma.fields.Date(required=True)
    method = ma.fields.String(required=True, validate=ma.validate.OneOf(enum_values(ContactMethod)))
    outcome = ma.fields.String(required=True, validate=ma.validate.OneOf(enum_values(Outcome)))
    note = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=2000))


class FollowUpSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    resident_id = ma.fields.Integer(required=True)
    contacted_on = ma.fields.Date(required=True)
    method = ma.fields.String(required=True, metadata={"enum": enum_values(ContactMethod)})
    outcome = ma.fields.String(required=True, metadata={"enum": enum_values(Outcome)})
    note = ma.fields.String(allow_none=True, required=True)
    recorded_by = ma.fields.String(allow_none=True, required=True, metadata={"description": "display name"})
    base_id = ma.fields.Integer(allow_none=True, required=True, metadata={"description": "a manager's base"})
    region_code = ma.fields.String(allow_none=True, required=True,
                                   metadata={"description": "a county officer's region"})
    created_at = ma.fields.DateTime(required=True)


class FollowUpListArgsSchema(PageArgsSchema):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(_LIST_STATUSES),
                              metadata={"description": "due (open, window not closed), done, missed, cancelled, "
                                                       "or missing (open dues of people flagged 脱管)"})
    region_code = ma.fields.String(load_default=None, validate=ma.validate.Regexp(r"^[0-9]{6}$"))
    base_id = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=1, max=DB_INT_MAX))


class DueResidentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


class DoneSummarySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    contacted_on = ma.fields.Date(required=True)
    method = ma.fields.String(required=True, metadata={"enum": enum_values(ContactMethod)})
    outcome = ma.fields.String(required=True, metadata={"enum": enum_values(Outcome)})


class FollowUpDueSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    resident = ma.fields.Nested(DueResidentSchema, required=True)
    stay_id = ma.fields.Integer(required=True)
    sequence = ma.fields.Integer(required=True)
    due_on = ma.fields.Date(required=True)
    closes_on = ma.fields.Date(required=True, metadata={"description": "a contact before this day closes the due"})
    status = ma.fields.String(required=True, metadata={"enum": enum_values(DueStatus)})
    missing_since = ma.fields.Date(allow_none=True, required=True, metadata={"description": "脱管 since"})
    done = ma.fields.Nested(DoneSummarySchema, allow_none=True, required=True)

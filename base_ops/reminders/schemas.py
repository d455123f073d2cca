"""Marshmallow schemas of reminders (shape and format only)."""

from __future__ import annotations

import marshmallow as ma

from base_ops.core.api import PageArgsSchema, enum_values
from base_ops.reminders.models import ReminderKind, ReminderStatus


class ReminderListArgsSchema(PageArgsSchema):
    status = ma.fields.String(load_default="open", validate=ma.validate.OneOf(["open", "done"]),
                              metadata={"description": "open items, or closed ones (done by itself or dismissed)"})


class ReminderSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": enum_values(ReminderKind)})
    due_on = ma.fields.Date(required=True)
    title = ma.fields.String(required=True, metadata={"description": "in the caller's language"})
    object_type = ma.fields.String(required=True)
    object_id = ma.fields.String(required=True)
    url = ma.fields.String(allow_none=True, required=True, metadata={"description": "the page where it is handled"})
    status = ma.fields.String(required=True, metadata={"enum": enum_values(ReminderStatus)})

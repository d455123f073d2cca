"""GET /api/v1/audit (auditor only)."""

import marshmallow as ma
from flask_smorest import Blueprint

from base_ops.audit_log import queries
from base_ops.core.api import PageArgsSchema, enum_values, page_schema, paginate
from base_ops.core.audit import AuditEvent
from base_ops.core.roles import Role
from base_ops.extensions import db

blp = Blueprint("audit_api", __name__, description="Audit log (auditor only)")


class AuditQuerySchema(PageArgsSchema):
    action = ma.fields.String(load_default=None)
    username = ma.fields.String(load_default=None)
    object_type = ma.fields.String(load_default=None)
    object_id = ma.fields.String(load_default=None)
    result = ma.fields.String(load_default=None)
    from_on = ma.fields.Date(data_key="from", load_default=None)
    to_on = ma.fields.Date(data_key="to", load_default=None)


class AuditEventSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    seq = ma.fields.Integer(required=True)
    occurred_at = ma.fields.DateTime(required=True)
    actor_username = ma.fields.String(allow_none=True)
    actor_role = ma.fields.String(allow_none=True, metadata={"enum": enum_values(Role)})
    action = ma.fields.String(required=True)
    object_type = ma.fields.String(allow_none=True)
    object_id = ma.fields.String(allow_none=True)
    result = ma.fields.String(required=True)
    ip = ma.fields.String(allow_none=True)
    details = ma.fields.Function(lambda e: e.details_dict, metadata={"type": "object"})


AuditPageSchema = page_schema(AuditEventSchema, "AuditPage")


@blp.route("/audit", methods=["GET"])
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditPageSchema)
def list_events(args):
    limit, cursor = args.pop("limit"), args.pop("cursor")
    return paginate(db.session, queries.search(**args), AuditEvent.id, limit, cursor)

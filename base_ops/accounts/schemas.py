"""API shapes for accounts."""

import marshmallow as ma

from base_ops.core.api import StrictSchema


class TokenRequestSchema(StrictSchema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=256), load_only=True)
    otp = ma.fields.String(load_default=None, validate=ma.validate.Length(max=8), load_only=True)


class TokenSchema(ma.Schema):
    token = ma.fields.String(required=True)
    expires_at = ma.fields.DateTime(required=True)

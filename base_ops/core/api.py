"""The JSON API platform: flask-smorest at /api/v1, api.md's error body, cursor pagination."""

from __future__ import annotations

import base64
import binascii

import marshmallow as ma
from flask import current_app, request
from flask_babel import gettext as _
from flask_smorest import Api
from sqlalchemy import Select

from base_ops.core.errors import ValidationFailed

API_PREFIX = "/api/v1"


class ErrorDetailSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "snake_case error code"})
    message = ma.fields.String(required=True)
    fields = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()))


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorDetailSchema, required=True)


class BaseOpsApi(Api):
    """Api whose errors use api.md's body; the app's own handler renders them."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """Errors are handled app-wide in core.errorhandlers (pages and API together)."""


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX + "/") or request.path == API_PREFIX


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


class StrictSchema(ma.Schema):
    """Request bodies: unknown fields are refused with 422 (api.md conventions)."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


class PageArgsSchema(StrictSchema):
    limit = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=1))
    cursor = ma.fields.String(load_default=None)


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The list envelope of api.md: {"items": [...], "next_cursor": str | null}."""
    return type(
        name,
        (ma.Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "next_cursor": ma.fields.String(allow_none=True, required=True),
        },
    )


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        prefix, value = base64.urlsafe_b64decode(padded.encode()).decode().split(":", 1)
        if prefix != "id":
            raise ValueError
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed.on("cursor", _("is not a cursor this API returned")) from exc


def paginate(session, stmt: Select, id_column, limit: int | None, cursor: str | None) -> dict:
    """Keyset pagination by ascending id: stable under inserts, no OFFSET scans."""
    default = current_app.config["API_PAGE_DEFAULT"]
    maximum = current_app.config["API_PAGE_MAX"]
    if limit is None:
        limit = default
    if limit > maximum:
        raise ValidationFailed.on("limit", _("must be at most %(max)s", max=maximum))
    if cursor:
        stmt = stmt.where(id_column > decode_cursor(cursor))
    rows = session.execute(stmt.order_by(id_column).limit(limit + 1)).scalars().all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode_cursor(rows[-1].id) if has_more and rows else None}

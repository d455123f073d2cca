"""The JSON API platform: flask-smorest at /api/v1, docs/api.md's error body, cursor pagination."""

from __future__ import annotations

import base64
import binascii

import marshmallow as ma
from flask import current_app, request
from flask_babel import gettext as _
from flask_smorest import Api
from flask_smorest.spec.plugins import integerconverter2paramschema, unicodeconverter2paramschema
from sqlalchemy import Select
from werkzeug.routing import IntegerConverter, UnicodeConverter

from base_ops.core.bounds import API_INTEGER_RANGE, DB_INT_MAX, api_date_in_bounds
from base_ops.core.errors import ValidationFailed

API_PREFIX = "/api/v1"


class IdConverter(IntegerConverter):
    """`<int:...>` in every URL, pages and API: an id beyond a database integer cannot exist, so it does
    not match (404) instead of reaching the database (SQLite raises OverflowError on it: a 500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


class TextConverter(UnicodeConverter):
    """`<name>` in every URL: no NUL character (PostgreSQL text cannot hold one), so such a path does not
    match (404) instead of failing in the database (a 500)."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]")


def _decimal_property(self, field, ret=None, **kwargs):
    """Decimals are read from a decimal string or a number and written as a string (Flask's JSON writes
    Decimal as str; docs/api.md "Formats": money as "200.00"): apispec's default `number` says neither."""
    if not isinstance(field, ma.fields.Decimal):
        return {}
    ret.pop("type", None)
    return {"anyOf": [{"type": "string", "format": "decimal"}, {"type": "number"}]}


class ErrorDetailSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "snake_case error code"})
    message = ma.fields.String(required=True)
    fields = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()))
    # Extras some errors carry (DomainError.extra):
    id = ma.fields.Integer(metadata={"description": "the existing record (409 *_exists)"})
    from_ = ma.fields.String(data_key="from", metadata={"description": "current state (409 invalid_transition)"})
    to = ma.fields.String(metadata={"description": "requested state (409 invalid_transition)"})
    phrase = ma.fields.String(metadata={"description": "the phrase found (422 discriminatory_content)"})
    field = ma.fields.String(metadata={"description": "the field it was found in (422 discriminatory_content)"})


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorDetailSchema, required=True)


class BaseOpsApi(Api):
    """Api whose errors use docs/api.md's body; the app's own handler renders them."""

    ERROR_SCHEMA = ErrorSchema

    def _init_spec(self, *args, **kwargs):
        super()._init_spec(*args, **kwargs)
        self.register_converter(IdConverter, integerconverter2paramschema)
        self.register_converter(TextConverter, unicodeconverter2paramschema)
        self.ma_plugin.converter.add_attribute_function(_decimal_property)

    def _register_error_handlers(self):
        """Errors are handled app-wide in core.errorhandlers (pages and API together)."""


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX + "/") or path == API_PREFIX


def is_api_request() -> bool:
    return is_api_path(request.path)


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _no_nul(value: str) -> None:
    if "\x00" in value:
        raise ma.ValidationError(_("must not contain a NUL character"))


class StrictSchema(ma.Schema):
    """Request bodies: unknown fields are refused with 422 (docs/api.md conventions).

    Every field is also held to what the database can store and the app can count with (core.bounds), so
    bad input is a 422 naming the field rather than a database error and a 500: an integer to what an
    `integer` column holds (SQLite raises OverflowError beyond, PostgreSQL "integer out of range"), a date
    to the app's bounds (date arithmetic past 9999-12-31 overflows), a string to no NUL character
    (PostgreSQL text cannot hold one)."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    def on_bind_field(self, _field_name, field_obj):
        # A new list: a bound field is a shallow copy of the declared one, whose list must stay as it is.
        if isinstance(field_obj, ma.fields.Integer):
            field_obj.validators = [*field_obj.validators, API_INTEGER_RANGE]
        elif isinstance(field_obj, (ma.fields.Date, ma.fields.DateTime)):
            field_obj.validators = [*field_obj.validators, api_date_in_bounds]
        elif isinstance(field_obj, ma.fields.String):
            field_obj.validators = [*field_obj.validators, _no_nul]


class PageArgsSchema(StrictSchema):
    limit = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=1))
    cursor = ma.fields.String(load_default=None)


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The list envelope of docs/api.md: {"items": [...], "next_cursor": str | null}."""
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
        last_id = int(value)
        if prefix != "id" or not 0 <= last_id <= DB_INT_MAX:
            raise ValueError
        return last_id
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

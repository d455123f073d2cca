"""The JSON API platform: flask-smorest at /api/v1, docs/api.md's error body, cursor pagination."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from http import HTTPStatus

import marshmallow as ma
from apispec import BasePlugin
from flask import current_app, request
from flask_babel import gettext as _
from flask_smorest import Api
from flask_smorest.spec.plugins import integerconverter2paramschema, unicodeconverter2paramschema
from sqlalchemy import Select
from werkzeug.routing import IntegerConverter, UnicodeConverter

from base_ops.core.bounds import API_INTEGER_RANGE, DB_INT_MAX, api_date_in_bounds
from base_ops.core.errors import ValidationFailed
from base_ops.core.permissions import PUBLIC, access_for

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
    """Decimals are written as a decimal string (Flask's JSON writes Decimal as str; docs/api.md "Conventions":
    money as "200.00"), so a response says `type: string, format: decimal` and generated clients type it as a
    string (issue 21). A request body (StrictSchema) also takes a number, as the server always has."""
    if not isinstance(field, ma.fields.Decimal):
        return {}
    ret.pop("type", None)
    decimal = {"type": "string", "format": "decimal"}
    if isinstance(field.parent, StrictSchema):
        return {"anyOf": [decimal, {"type": "number"}]}
    return decimal


_NULL_OBJECT = {"type": "object", "nullable": True}


def _nullable_property(self, field, ret=None, **kwargs):
    """Null written the way OpenAPI 3.0.3 means it, so generators read it (issue 21: openapi-python-client):

    - a nullable enum lists null among its values (3.0.3 "nullable"), else a client refuses the null it gets
      (`None is not a valid StayDestination`);
    - a nullable nested object is its reference marked nullable, not a union with an empty object, which a
      client takes for the object itself and never parses the reference;
    - an enum without a type (a Function or Method field) is a string enum.

    A nullable enum also carries the field's name as its `title`: openapi-python-client then makes one enum type
    of it (`None | StayDestination`) instead of one per member of the union it reads."""
    if "anyOf" in ret and _NULL_OBJECT in ret["anyOf"]:
        ret["anyOf"] = [schema for schema in ret["anyOf"] if schema != _NULL_OBJECT]
        ret["nullable"] = True
    if "enum" in ret:
        if "type" not in ret and all(isinstance(value, str) for value in ret["enum"] if value is not None):
            ret["type"] = "string"
        if ret.get("nullable"):
            if None not in ret["enum"]:
                ret["enum"] = [*ret["enum"], None]
            name = field.data_key or field.name or ""
            ret.setdefault("title", "".join(part.capitalize() for part in name.split("_")))
    return {}


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


BINARY = {"type": "string", "format": "binary"}  # a file's body (`@blp.response(200, BINARY, content_type=...)`)
WRITING = frozenset({"post", "put", "patch", "delete"})


class ContractPlugin(BasePlugin):
    """What every operation can answer, documented in one place (docs/api.md "Conventions"; issue 21):

    - 401 (no or a dead token), 403 (the permission matrix, or not yours) and 404 (missing or outside the
      caller's scope) for every operation but the public ones; 422 (bad input: a body, a query, a NUL) for
      every operation; 409 (a conflict with current state, or a busy database) for every write;
    - each error status with the `Error` body, also where a view documents one by description only;
    - an optional query parameter is simply left out (a query string has no null): no `nullable` nor null among
      its values, which generators turn into a third state beside "a value" and "unset";
    - an `operationId`, the view's name (`create_stay`), so generated clients name their functions after it
      rather than after the path (a view may set its own with `@blp.doc(operationId=...)`; they must be unique).

    Runs after flask-smorest's own plugins, on the operations as they resolved them."""

    def operation_helper(self, path=None, operations=None, **kwargs):  # noqa: ARG002 - apispec's signature
        rule = kwargs.get("rule")
        endpoint = rule.endpoint if rule is not None else None
        public = access_for(endpoint) == PUBLIC
        for method, operation in (operations or {}).items():
            if endpoint:
                name = endpoint.rsplit(".", 1)[-1]
                operation.setdefault("operationId", name if len(operations) == 1 else f"{method}_{name}")
            for parameter in operation.get("parameters", []):
                if isinstance(parameter, dict) and parameter.get("in") == "query" and not parameter.get("required"):
                    _optional(parameter.get("schema", {}))
            responses = {str(status): response for status, response in operation.get("responses", {}).items()}
            statuses = [422] if public else [401, 403, 404, 422]
            if method in WRITING:
                statuses.append(409)
            for status in statuses:
                responses.setdefault(str(status), HTTPStatus(status).name)
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400 and isinstance(response, dict) and not (
                        "content" in response or "$ref" in response):
                    response["content"] = {"application/json": {"schema": "Error"}}
            operation["responses"] = dict(sorted(responses.items()))


def _optional(schema: dict) -> None:
    schema.pop("nullable", None)
    if schema.get("default", ...) is None:
        del schema["default"]
    if "enum" in schema:
        schema["enum"] = [value for value in schema["enum"] if value is not None]


class BaseOpsApi(Api):
    """Api whose errors use docs/api.md's body; the app's own handler renders them."""

    ERROR_SCHEMA = ErrorSchema

    def _init_spec(self, *args, **kwargs):
        kwargs["extra_plugins"] = [*(kwargs.get("extra_plugins") or ()), ContractPlugin()]
        super()._init_spec(*args, **kwargs)
        self.register_converter(IdConverter, integerconverter2paramschema)
        self.register_converter(TextConverter, unicodeconverter2paramschema)
        self.ma_plugin.converter.add_attribute_function(_decimal_property)
        self.ma_plugin.converter.add_attribute_function(_nullable_property)

    def _register_error_handlers(self):
        """Errors are handled app-wide in core.errorhandlers (pages and API together)."""


def enum_values(enum_class) -> list[str]:
    """The values of a model's enum, for a response field's `metadata={"enum": ...}`: generated clients then type
    it as that enum, not as a free string (issue 21)."""
    return [member.value for member in enum_class]


# marshmallow's own messages (its fields, schemas and validators speak English), as msgids with the library's
# placeholders as gettext's: the API answers them in the caller's language like every other message (issue 21).
# Each pattern matches the whole message; the first that matches wins.
_LIBRARY_MESSAGES: tuple[tuple[str, Callable[..., str]], ...] = (
    (r"Missing data for required field\.", lambda: _("Missing data for required field.")),
    (r"Unknown field\.", lambda: _("Unknown field.")),
    (r"Field may not be null\.", lambda: _("Field may not be null.")),
    (r"Invalid value\.", lambda: _("Invalid value.")),
    (r"Invalid input\.", lambda: _("Invalid input.")),
    (r"Invalid input type\.", lambda: _("Invalid input type.")),
    (r"Invalid type\.", lambda: _("Invalid type.")),
    (r"Not a valid string\.", lambda: _("Not a valid string.")),
    (r"Not a valid utf-8 string\.", lambda: _("Not a valid utf-8 string.")),
    (r"Not a valid integer\.", lambda: _("Not a valid integer.")),
    (r"Not a valid number\.", lambda: _("Not a valid number.")),
    (r"Number too large\.", lambda: _("Number too large.")),
    (r"Special numeric values \(nan or infinity\) are not permitted\.",
     lambda: _("Special numeric values (nan or infinity) are not permitted.")),
    (r"Not a valid boolean\.", lambda: _("Not a valid boolean.")),
    (r"Not a valid date\.", lambda: _("Not a valid date.")),
    (r"Not a valid datetime\.", lambda: _("Not a valid datetime.")),
    (r"Not a valid list\.", lambda: _("Not a valid list.")),
    (r"Not a valid mapping type\.", lambda: _("Not a valid mapping type.")),
    (r"String does not match expected pattern\.", lambda: _("String does not match expected pattern.")),
    (r"Shorter than minimum length (?P<min>\d+)\.", lambda **kw: _("Shorter than minimum length %(min)s.", **kw)),
    (r"Longer than maximum length (?P<max>\d+)\.", lambda **kw: _("Longer than maximum length %(max)s.", **kw)),
    (r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.",
     lambda **kw: _("Length must be between %(min)s and %(max)s.", **kw)),
    (r"Length must be (?P<equal>\d+)\.", lambda **kw: _("Length must be %(equal)s.", **kw)),
    (r"Must be greater than or equal to (?P<min>\S+) and less than or equal to (?P<max>\S+)\.",
     lambda **kw: _("Must be between %(min)s and %(max)s.", **kw)),
    (r"Must be greater than or equal to (?P<min>\S+)\.", lambda **kw: _("Must be at least %(min)s.", **kw)),
    (r"Must be less than or equal to (?P<max>\S+)\.", lambda **kw: _("Must be at most %(max)s.", **kw)),
    (r"Must be greater than (?P<min>\S+)\.", lambda **kw: _("Must be greater than %(min)s.", **kw)),
    (r"Must be less than (?P<max>\S+)\.", lambda **kw: _("Must be less than %(max)s.", **kw)),
    (r"Must be one of: (?P<choices>.*)\.", lambda **kw: _("Must be one of: %(choices)s.", **kw)),
)


def translate_problem(problem: str) -> str:
    """A problem marshmallow or webargs reported about one field, in the caller's language; any other text (the
    app's own messages are translated where they are raised) as it is."""
    for pattern, message in _LIBRARY_MESSAGES:
        match = re.fullmatch(pattern, problem)
        if match:
            return message(**match.groupdict())
    return problem


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

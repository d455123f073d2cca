"""/api/v1/openapi.json as generators read it (issue 21): checked on the document itself, so CI holds it even
where no generator is installed (tests/api/test_generated_client.py runs one).

The rules live in one place, base_ops/core/api.py (`_nullable_property`, `_decimal_property`, ContractPlugin);
these tests walk the whole document, so a new endpoint or schema is held to them too.
"""

from __future__ import annotations

import pytest

from base_ops.core.excel import XLSX_MIMETYPE
from base_ops.reports.dashboard.spreadsheets import NAMES

ERRORS = ("401", "403", "404", "422")
WRITES = ("post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def document():
    from base_ops import create_app
    from base_ops.config import TestConfig

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://")
    return app.test_client().get("/api/v1/openapi.json").get_json()


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield path, method, operation


def _properties(document):
    for name, schema in document["components"]["schemas"].items():
        for prop, spec in schema.get("properties", {}).items():
            yield f"{name}.{prop}", spec


def _ref(response: dict, document: dict) -> dict:
    if "$ref" in response:
        return document["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return response


def test_nullable_enums_list_null_and_name_their_type(document):
    """OpenAPI 3.0.3: a nullable enum has null among its values, else a client refuses the null it receives
    (`None is not a valid StayDestination`); its `title` gives generators one type name."""
    nullable_enums = {name: spec for name, spec in _properties(document) if "enum" in spec and spec.get("nullable")}
    assert "Stay.destination" in nullable_enums
    for name, spec in nullable_enums.items():
        assert None in spec["enum"], name
        assert spec.get("title"), name
    for name, spec in _properties(document):
        if "enum" in spec:
            assert None not in spec["enum"] or spec.get("nullable"), name
            assert spec.get("type") == "string", name


def test_nullable_objects_are_their_reference(document):
    """Not `anyOf: [{type: object, nullable: true}, {$ref}]`: a client takes the empty object for the answer."""
    nullable_refs = {}
    for name, spec in _properties(document):
        assert {"type": "object", "nullable": True} not in spec.get("anyOf", []), name
        if spec.get("nullable") and "anyOf" in spec:
            nullable_refs[name] = spec["anyOf"]
    assert nullable_refs["BedNight.occupant"] == [{"$ref": "#/components/schemas/Occupant"}]
    assert nullable_refs["Placement.next_check"] == [{"$ref": "#/components/schemas/NextCheck"}]
    assert nullable_refs["Stay.bed"] == [{"$ref": "#/components/schemas/StayBed"}]


def test_responses_carry_their_enums(document):
    schemas = document["components"]["schemas"]
    assert schemas["Resident"]["properties"]["sex"]["enum"] == ["male", "female"]
    assert "released" in schemas["Resident"]["properties"]["subject_type"]["enum"]
    assert "halal" in schemas["Resident"]["properties"]["diet"]["enum"]
    assert "relatives" in schemas["StayDischarged"]["properties"]["destination"]["enum"]
    assert schemas["BedNight"]["properties"]["sex"]["enum"] == ["male", "female"]


def test_decimals_are_strings_in_answers(document):
    """Money is a decimal string (docs/api.md "Conventions"); a request body also takes a number."""
    schemas = document["components"]["schemas"]
    assert schemas["Claim"]["properties"]["amount"] == {"type": "string", "format": "decimal"}
    assert schemas["Agreement"]["properties"]["budget"] == {"type": "string", "format": "decimal"}
    assert {"type": "string", "format": "decimal"} in schemas["AgreementCreate"]["properties"]["budget"]["anyOf"]
    for name, spec in _properties(document):
        assert spec.get("type") != "number" or spec.get("format") != "decimal", name


def test_no_schema_or_enum_shares_a_generated_name(document):
    """openapi-python-client names an inline enum <Schema><Property>: no schema may take that name (it dropped
    Referral and ReferralPage over "conflicting enums named ReferralStatus")."""
    schemas = document["components"]["schemas"]
    for name, schema in schemas.items():
        for prop, spec in schema.get("properties", {}).items():
            if "enum" in spec:
                generated = name + "".join(part.capitalize() for part in (spec.get("title") or prop).split("_"))
                assert generated not in schemas, (name, prop)


def test_optional_query_parameters_are_simply_optional(document):
    """No `nullable` and no null among a query enum's values: one way to leave a parameter out."""
    for path, method, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query":
                schema = parameter["schema"]
                assert "nullable" not in schema, (method, path, parameter["name"])
                assert None not in schema.get("enum", []), (method, path, parameter["name"])
                assert "default" not in schema or schema["default"] is not None, (method, path, parameter["name"])


def test_every_error_status_is_documented_with_error(document):
    """401, 403, 404 and 422 on every operation but the public ones, 409 on every write, each with `Error`."""
    public = {("/api/v1/auth/tokens", "post")}
    for path, method, operation in _operations(document):
        responses = operation["responses"]
        expected = ["422"] if (path, method) in public else list(ERRORS)
        if method in WRITES:
            expected.append("409")
        for status in expected:
            assert status in responses, (method, path, status)
        for status, response in responses.items():
            if status.isdigit() and int(status) >= 400:
                content = _ref(response, document).get("content", {})
                assert content == {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}, (
                    method, path, status)


def test_reports_name_their_choices_and_files_are_binary(document):
    operation = document["paths"]["/api/v1/reports/{name}.xlsx"]["get"]
    path_parameters = document["paths"]["/api/v1/reports/{name}.xlsx"].get("parameters", [])
    name = next(p for p in [*path_parameters, *operation.get("parameters", [])] if p["name"] == "name")
    assert name["schema"]["enum"] == list(NAMES)
    assert operation["responses"]["200"]["content"] == {XLSX_MIMETYPE: {"schema": {"type": "string",
                                                                                   "format": "binary"}}}
    group_by = next(p for p in operation["parameters"] if p["name"] == "group_by")
    assert {"base", "month", "region", "base,month"} <= set(group_by["schema"]["enum"])
    for path, method, op in _operations(document):
        for status, response in op["responses"].items():
            for media_type, content in _ref(response, document).get("content", {}).items():
                if media_type != "application/json":
                    assert content["schema"] == {"type": "string", "format": "binary"}, (method, path, status)


def test_operation_ids_are_unique(document):
    """Generated clients name a function after its operationId: each names one operation."""
    ids = [operation["operationId"] for _path, _method, operation in _operations(document)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert "create_stay" in ids and "discharge_stay" in ids and "discharge_placement" in ids


def test_the_document_is_valid_openapi(document):
    from openapi_spec_validator import validate

    validate(document)

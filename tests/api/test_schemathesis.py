"""Fuzz the JSON API from its own OpenAPI document (issue 8; docs/api.md "Never a 500 for bad input";
docs/security.md "Input and output": bad input is a clear error naming the field).

schemathesis reads /api/v1/openapi.json and, for every operation (one pytest test each, with its own `world`
in its own rolled-back transaction, so no write leaks into the next), sends generated requests, valid and
invalid, with bearer tokens of the roles: every answer must be no 5xx, a documented status, the declared
content type and a body matching the declared schema (docs/api.md's error body included).

Budget: schemathesis' coverage phase (boundary and invalid values, deterministic) plus 10 fuzzed examples
per operation, derandomized so CI sees the same cases every run; about 1.5 minutes on SQLite on 2 cores.
"""

from __future__ import annotations

import base64
import functools
import re
import zlib
from unittest.mock import ANY

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from werkzeug.exceptions import HTTPException

from base_ops import create_app
from base_ops.config import TestConfig
from tests.security.crawl import actor, role_may

# The document is the same whatever the database: read it from an app of its own at import time, so that
# every operation is a test of its own (own `world`, own rolled-back transaction). Requests go to the
# suite's app (`app` fixture).
_SPEC_APP = create_app(TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://")
# Decimals (money, hours) are documented as {"type": "string", "format": "decimal"} or a number.
schemathesis.openapi.format(
    "decimal", st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False).map(str))

_CONFIG = schemathesis.Config.from_dict({
    "checks": {
        # docs/api.md binds 422 for schema-valid input that breaks a rule of the domain: `not_eligible`, `minor`,
        # `sex_mismatch`, `discriminatory_content`, a region code that does not exist... The schema cannot
        # say those, so a 422 to valid-looking data is the contract, not a rejection of valid data. Every
        # other status stays as schemathesis expects it (no 400, no 500).
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429"],
        },
    },
})
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _SPEC_APP, config=_CONFIG)


ROLES = ("admin", "auditor", "county_officer", "base_manager", "trainer", "enterprise")


@pytest.fixture
def world_ids(world) -> dict:
    """Ids of the world's objects, by the names the API gives them in paths, queries and bodies."""
    room = world.base_a.rooms[0]
    return {
        "base_id": world.base_a.id,
        "room_id": room.id,
        "bed_id": room.beds[1].id,  # bed B of room 101, free
        "resident_id": world.resident_a.id,
        "notice_id": world.notice_x.id,
        "stay_id": world.stay_a.id,
        "course_id": world.course_a.id,
        "session_id": world.session_a.id,
        "enrolment_id": world.enrolment_a.id,
        "enterprise_id": world.enterprise.id,
        "agreement_id": world.agreement.id,
        "posting_id": world.posting.id,
        "referral_id": world.referral_a.id,
        "placement_id": world.placement_a.id,
        "region_code": "330106",
    }


@pytest.fixture
def role_headers(world, api_headers) -> dict:
    return {role: api_headers(actor(world, role)) for role in ROLES}


@pytest.fixture
def sent() -> list:
    """The roles requests of this operation were sent as, in order (to take turns)."""
    return []


@pytest.fixture
def refused_roles_checked() -> set:
    """Roles whose 403 on this operation has been checked already (once is enough: see the test)."""
    return set()


def _endpoint(method: str, path: str) -> str | None:
    try:
        endpoint, _args = _SPEC_APP.url_map.bind("localhost").match(path, method=method.upper())
    except HTTPException:
        return None
    return endpoint


# A path parameter with a fixed set of values (an enum in the document): one of them, to find the route.
_PATH_SAMPLES = {"name": "occupancy"}


@functools.cache
def _operation_endpoint(method: str, path_template: str) -> str:
    path = re.sub(r"\{([^}]+)\}", lambda match: _PATH_SAMPLES.get(match.group(1), "1"), path_template)
    return _endpoint(method, path)


def _allowed_roles(endpoint: str) -> frozenset[str]:
    """The roles the permission matrix lets through to this endpoint."""
    return frozenset(role for role in ROLES if role_may(role, endpoint))


def _is_negative(case, location: ParameterLocation | None = None) -> bool:
    """Whether the case was drawn as invalid input (in `location`, or anywhere)."""
    components = case.meta.components if case.meta else {}
    return any(info.mode == GenerationMode.NEGATIVE for loc, info in components.items()
               if location is None or loc == location)


def _even(value) -> bool:
    """A stable coin (Python's own str hash changes from run to run)."""
    return zlib.crc32(str(value).encode()) % 2 == 0


def _drop_undeclared_query(case) -> None:
    """The API ignores query parameters it does not know (webargs' rule for the query string; docs/api.md makes
    unknown *body* fields a 422, and they stay fuzzed), so an extra one is not invalid input here."""
    if case.query:
        for name in list(case.query):
            if name not in case.operation.query:
                del case.query[name]


def _point_at_world(case, ids: dict) -> None:
    """Half the valid ids the generator draws become the world's objects (so requests reach the services),
    the other half go out as drawn (not found, or out of an integer's range)."""
    for location, container in ((ParameterLocation.PATH, case.path_parameters), (ParameterLocation.QUERY, case.query)):
        info = case.meta.components.get(location) if case.meta else None
        if not container or info is None or info.mode != GenerationMode.POSITIVE:
            continue
        for name, value in list(container.items()):
            if name in ids and isinstance(value, int | str) and _even(value):
                container[name] = ids[name]
    body = case.body
    info = case.meta.components.get(ParameterLocation.BODY) if case.meta else None
    if isinstance(body, dict) and info is not None and info.mode == GenerationMode.POSITIVE:
        for name, value in list(body.items()):
            if name in ids and isinstance(value, int) and _even(value):
                body[name] = ids[name]


@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_operation(case, app, world_ids, role_headers, refused_roles_checked, sent):
    """Every generated request, sent with the token of every role the matrix lets in, is answered as the
    document says: no 5xx, a documented status, the declared content type and body schema.

    A refused role is answered 403 before the input is read, whatever it is: its 403 is checked (status, error
    body of docs/api.md, schema) on the operation's first request only, which keeps the run within its budget.
    """
    _drop_undeclared_query(case)
    _point_at_world(case, world_ids)
    endpoint = _operation_endpoint(case.operation.method, case.operation.path)
    allowed = [role for role in ROLES if role in _allowed_roles(endpoint)]
    if _is_negative(case, ParameterLocation.HEADER) and "Authorization" not in (case.headers or {}):
        # The case is about the missing token: sent as drawn, without any (schemathesis expects the 401).
        case.call_and_validate(app=app, session=app.test_client())
        return
    # Valid input reaches the services, whose scope differs by role: every role the matrix lets in. Bad
    # input is refused before the services, the same for every role: one role per case, in turn.
    roles = [allowed[len(sent) % len(allowed)]] if _is_negative(case) else list(allowed)
    # A malformed path parameter ("1/rooms", "") may lead to another route or none: no role is refused then.
    if _endpoint(case.method, case.formatted_path) == endpoint:
        roles += [role for role in ROLES if role not in allowed and role not in refused_roles_checked]
    for role in roles:
        sent.append(role)
        try:
            # The suite's client: each request in an app context of its own, as in production (conftest).
            response = case.call_and_validate(app=app, session=app.test_client(), headers=role_headers[role])
        except Exception as exc:
            exc.add_note(f"as {role}")
            raise
        if role not in allowed:
            assert response.status_code == 403, f"{role} let into {case.operation.label}: {response.status_code}"
            refused_roles_checked.add(role)


def test_cursor_beyond_an_id_is_refused(client, world, api_headers):
    """A cursor is opaque but decodable: one naming an id no integer column holds is a 422 on `cursor`, not
    an OverflowError from the database (docs/api.md: never a 500 for bad input). The fuzzer cannot find this one:
    it does not write base64."""
    forged = base64.urlsafe_b64encode(b"id:99999999999999999999").decode().rstrip("=")
    response = client.get(f"/api/v1/bases?cursor={forged}", headers=api_headers(world.admin))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"cursor": [ANY]}


def test_method_not_allowed_names_the_allowed_ones(client, world, api_headers):
    """RFC 9110: a 405 carries `Allow` (schemathesis' unsupported_method check; the app's own error handler
    used to drop werkzeug's header)."""
    response = client.delete("/api/v1/bases", headers=api_headers(world.admin))
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_nul_characters_are_refused_before_the_database(client, world, api_headers):
    """PostgreSQL text cannot hold NUL: a NUL in a body or query string is a 422 naming the field, in a path
    a 404, never the database's DataError and a 500 (found by the fuzzer on PostgreSQL)."""
    admin = api_headers(world.admin)
    response = client.post("/api/v1/auth/tokens", json={"username": "admin\x00", "password": "x"})
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["username"]
    response = client.get("/api/v1/residents?q=%00", headers=api_headers(world.manager_a))
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["q"]
    assert client.get("/api/v1/reference/dibao/%00/2026", headers=admin).status_code == 404


# Inputs the fuzzer answered with a 500 before the fix, kept as plain regressions (its cases move whenever
# the document changes): each must now be a 422 naming the field.
FOUND_BY_FUZZING = [
    # month "0000-01": the due day was computed in year 0 (ValueError)
    ("officer_x", "GET", "/api/v1/reports/monthly?month=0000-01", None, "month"),
    # hours 2e112: Decimal.quantize raised InvalidOperation before the range was checked
    ("manager_a", "PATCH", "/api/v1/courses/{course_a}", {"hours": 2.0685844735226017e112}, "hours"),
    # a wage beyond the precision: the same in enterprises.services.money
    ("enterprise_user", "POST", "/api/v1/postings",
     {"enterprise_id": "{enterprise}", "title": "保洁员", "description": "小区保洁", "positions": 1,
      "wage_min": "1e30", "wage_max": "1e31", "location": "杭州", "provides_housing": False}, "wage_min"),
    # an id beyond a database integer in a body: SQLite's OverflowError
    ("manager_a", "PUT", "/api/v1/sessions/{session_a}/attendance",
     {"records": [{"resident_id": 2**70, "status": "present"}]}, "records"),
]


@pytest.mark.parametrize(("user", "method", "url", "body", "field"), FOUND_BY_FUZZING)
def test_inputs_the_fuzzer_found_are_refused_by_field(client, world, api_headers, user, method, url, body, field):
    """docs/api.md: never a 500 for bad input; a 422 whose `fields` names the culprit (docs/security.md "Input and
    output")."""
    ids = {"course_a": world.course_a.id, "session_a": world.session_a.id, "enterprise": world.enterprise.id}
    url = url.format(**ids)
    if body and body.get("enterprise_id") == "{enterprise}":
        body = {**body, "enterprise_id": world.enterprise.id}
    response = client.open(url, method=method, json=body, headers=api_headers(getattr(world, user)))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.get_json()["error"]["fields"]

"""Route sweep: every endpoint × every role against the declared matrix (docs/security.md "Access control")."""

from __future__ import annotations

import pytest

from base_ops.accounts.models import Role
from base_ops.core.permissions import ANY_USER, ENDPOINT_ACCESS, PUBLIC
from tests.security.crawl import actor as _actor  # the one table of each role's user
from tests.security.crawl import url_args as _url_args  # the one table of sample URL values

ROLES = ["anonymous", *[r.value for r in Role]]


def test_every_endpoint_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(ENDPOINT_ACCESS))
    assert not missing, f"endpoints missing from the permission matrix: {missing}"
    stale = sorted(set(ENDPOINT_ACCESS) - endpoints)
    assert not stale, f"matrix names endpoints that do not exist: {stale}"


def _request(app, world, login_as, api_headers, rule, role):
    from flask import url_for

    with app.test_request_context():
        url = url_for(rule.endpoint, **_url_args(rule, world))
    is_api = url.startswith("/api/")
    method = next(m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m in rule.methods)
    headers = {}
    if role == "anonymous":
        client = app.test_client()
    elif is_api:
        client = app.test_client()
        headers = api_headers(_actor(world, role))
    else:
        client = login_as(_actor(world, role))
    kwargs = {"headers": headers}
    if method != "GET":
        kwargs["json" if is_api else "data"] = {}
    return is_api, client.open(url, method=method, **kwargs)


@pytest.mark.parametrize("role", ROLES)
def test_route_sweep(app, world, login_as, api_headers, role):
    problems = []
    for rule in app.url_map.iter_rules():
        access = ENDPOINT_ACCESS[rule.endpoint]
        is_api, response = _request(app, world, login_as, api_headers, rule, role)
        status = response.status_code
        if access == PUBLIC:
            ok = status not in (401, 403)
        elif role == "anonymous":
            ok = status == 401 if is_api else (status == 302 and "/login" in response.headers["Location"])
        elif access == ANY_USER or Role(role) in access:
            ok = status not in (401, 403) and status < 500
        else:
            ok = status == 403
        if not ok:
            problems.append(f"{role} {rule.endpoint} {rule.rule} -> {status}")
    assert not problems, "\n".join(problems)


def test_denied_access_is_audited(world, login_as, db):
    from sqlalchemy import select

    from base_ops.core.audit import AuditEvent

    client = login_as(world.manager_a)
    assert client.get("/admin/users").status_code == 403
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert event.action == "access_denied"
    assert event.actor_username == "manager_a"
    assert event.object_id == "accounts.list_users"
    assert event.result == "denied"


def test_admin_and_auditor_have_no_access_to_people(world, login_as):
    """三权分立: the auditor reads only the audit log; the admin manages the system."""
    auditor = login_as(world.auditor)
    assert auditor.get("/bases").status_code == 403
    assert auditor.get("/admin/users").status_code == 403
    assert auditor.get("/audit").status_code == 200
    admin = login_as(world.admin)
    assert admin.get("/audit").status_code == 403

"""Object scope / IDOR (docs/security.md "Access control": manager of base A asking for base B's resident, stay,
bed, claim or export → 404 with no data; `?base_id=B` filters are ignored or refused; county X asking
for county Y's report → 403/404).

Generated from url_map by URL parameter name: every endpoint that takes an object's id (GET and write
methods alike) is asked, by every scoped role the permission matrix lets in, for the other side's
object — the manager of base A for base B's, the officer of county X for county Y's, enterprise E for
the second enterprise's, the trainer of course C for another trainer's course — with the valid body of
input_support.WRITES for write methods, so scope is the only reason left to refuse. The answer must be
404, show nothing of the object, and write nothing. A new URL parameter without a case here fails
`test_every_url_parameter_has_an_idor_case`. Ids inside request bodies, and list filters in query
strings, are swept the same way.
"""

from __future__ import annotations

import pytest

from base_ops.accounts.models import Role
from base_ops.core.permissions import ANY_USER, ENDPOINT_ACCESS, PUBLIC
from tests.security.crawl import get_rules, sample_values
from tests.security.input_support import (
    AD,
    ANON,
    BM,
    GLOBAL_PARAMS,
    NOT_OBJECTS,
    OBJECT_PARAMS,
    SCOPED_ROLES,
    TR,
    TRAINER_OTHER,
    UNSCOPED,
    WRITES,
    WRITES_BY_ENDPOINT,
    Clients,
    Lit,
    actor_of,
    audit_actions_since,
    build_sides,
    build_url,
    compare,
    describe,
    diff,
    last_audit_seq,
    leaked,
    markers,
    new_audit_actions,
    non_audit,
    other_object,
    own_attribute,
    rolled_back,
    send_spec,
    snapshot,
    text_of,
    url_value,
    write_endpoints,
)


def _allowed(role: str, endpoint: str) -> bool:
    access = ENDPOINT_ACCESS[endpoint]
    return access in (PUBLIC, ANY_USER) or Role(role) in access


def _scoped_params(rule) -> list[str]:
    return [p for p in sorted(rule.arguments) if p in OBJECT_PARAMS and (rule.endpoint, p) not in UNSCOPED]


def test_every_url_parameter_has_an_idor_case(app):
    """Coverage: a new URL parameter, or a scoped role newly let into an endpoint with an id, needs a case."""
    problems = []
    writes = set(write_endpoints(app))
    for rule in app.url_map.iter_rules():
        for param in rule.arguments:
            if param not in OBJECT_PARAMS and param not in GLOBAL_PARAMS and param not in NOT_OBJECTS:
                problems.append(f"{rule.endpoint}: URL parameter {param} has no IDOR case (input_support)")
        for param in _scoped_params(rule):
            for role in SCOPED_ROLES:
                if _allowed(role, rule.endpoint) and role == TR and param not in TRAINER_OTHER:
                    problems.append(f"{rule.endpoint}: a trainer may use it, but {param} has no other-course case")
        if rule.endpoint in writes and _scoped_params(rule) and rule.endpoint not in WRITES_BY_ENDPOINT:
            problems.append(f"{rule.endpoint}: no valid request in input_support.WRITES")
    assert not problems, "\n".join(problems)


@pytest.fixture
def sides(app, factory, db, world, monkeypatch, tmp_path):
    return build_sides(app, factory, db, world, monkeypatch, tmp_path)


def _plain_refs(rule, role: str, world, is_write: bool) -> dict:
    """Side A's URL values for `role`: the valid request's (writes), else its own objects and sample
    values for the rest (months, years)."""
    if is_write:
        return dict(WRITES_BY_ENDPOINT[rule.endpoint].url)
    samples = sample_values(world)
    return {p: own_attribute(role, OBJECT_PARAMS[p]) if p in OBJECT_PARAMS else Lit(samples[p])
            for p in rule.arguments}


def test_other_sides_objects_are_not_found_on_every_endpoint(app, sides, world, login_as, api_headers):
    """Every endpoint with an object's id in its URL, every scoped role let in, the other side's object:
    404, nothing of it in the answer, nothing written (the audit log may record a refusal only)."""
    a, b = sides
    writes = set(write_endpoints(app))
    clients = Clients(app, login_as, api_headers)
    clients.issue_tokens(actor_of(a, role) for role in SCOPED_ROLES)
    problems, cases = [], 0
    start = snapshot()  # every request below runs in a rolled-back block: each starts from here
    seq = last_audit_seq()
    for rule in app.url_map.iter_rules():
        for role in SCOPED_ROLES:
            if not _scoped_params(rule) or not _allowed(role, rule.endpoint):
                continue
            refs = _plain_refs(rule, role, world, rule.endpoint in writes)
            for param in _scoped_params(rule):
                target = other_object(role, param, refs[param], a, b)
                if target is None:
                    problems.append(f"{rule.endpoint} as {role}: no other-side object for {param}")
                    continue
                values = {p: url_value(a, ref) for p, ref in refs.items()}
                values[param] = target.id if hasattr(target, "__table__") else target
                url = build_url(app, rule.endpoint, values)
                requester = clients.requester(actor_of(a, role), api=url.startswith("/api/"))
                with rolled_back():
                    if rule.endpoint in writes:
                        response = send_spec(app, WRITES_BY_ENDPOINT[rule.endpoint], a, requester, url=url)
                        written = diff(start, snapshot())
                    else:  # GETs write no rows (test_csrf proves it): their audit rows are what is left to see
                        response = requester.client.get(url, headers=requester.headers)
                        written = audit_since(seq)
                cases += 1
                problems += _not_found_problems(f"{url} ({rule.endpoint}) as {role}, {param} of the other side",
                                                response, written, markers(role, a, b))
    assert not problems, f"{len(problems)} problems in {cases} cases:\n" + "\n".join(problems)
    assert cases > 150, f"only {cases} IDOR cases"


def audit_since(seq: int) -> dict:
    """The audit rows written since `seq`, in the shape of a diff."""
    return {"audit_events": {"inserted": [{"action": action} for action in audit_actions_since(seq)],
                             "deleted": [], "updated": []}}


def _not_found_problems(where: str, response, written: dict, hidden: list[str]) -> list[str]:
    problems = []
    if response.status_code != 404:
        problems.append(f"{where}: {response.status_code}, not 404")
    shown = leaked(text_of(response), hidden)
    if shown:
        problems.append(f"{where}: the answer shows {shown}")
    if non_audit(written):
        problems.append(f"{where}: wrote {describe(non_audit(written))}")
    if [action for action in new_audit_actions(written) if action != "access_denied"]:
        problems.append(f"{where}: audited {new_audit_actions(written)}")
    return problems


# ---------------------------------------------------------------- ids in request bodies

def _id_models():
    from base_ops.enterprises.models import Enterprise, JobPosting
    from base_ops.intake.models import ReleaseNotice, Stay
    from base_ops.org.models import Base, Bed
    from base_ops.placements.models import Placement, Referral
    from base_ops.residents.models import Resident
    from base_ops.subsidies.models import Claim

    return {"resident_id": Resident, "posting_id": JobPosting, "referral_id": Referral, "placement_id": Placement,
            "base_id": Base, "stay_id": Stay, "bed_id": Bed, "claim_ids": Claim, "enterprise_id": Enterprise,
            "release_notice_id": ReleaseNotice}


def _id_fields(body, a, models: dict, index: dict) -> list[tuple]:
    """Paths to every id of a side-A object in a body (and A's region code, A's trainer by user name):
    (key,), (key, i) or (key, i, subkey)."""
    def known(key: str, value) -> bool:
        name = key.split("-", 1)[-1]
        if name == "region_code":
            return value == a.county
        if name == "trainer":
            return value == a.trainer.username
        try:
            return name in models and (models[name], int(value)) in index
        except (TypeError, ValueError):
            return False

    paths = []
    for key, value in body.items():
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    paths += [(key, i, sub) for sub, v in item.items() if known(sub, v)]
                elif known(key, item):
                    paths.append((key, i))
        elif known(key, value):
            paths.append((key,))
    return paths


def _swapped(body, path: tuple, role: str, a, b, models: dict, index: dict):
    """A copy of the body with the id at `path` replaced by the other side's object of the same kind."""
    import copy

    body = copy.deepcopy(body)
    holder, key = body, path[0]
    if len(path) == 2:
        holder, key = body[path[0]], path[1]
    elif len(path) == 3:
        holder, key = body[path[0]][path[1]], path[2]
    name = (path[2] if len(path) == 3 else path[0]).split("-", 1)[-1]
    value = holder[key]
    if name == "region_code":
        holder[key] = b.county
        return body
    if name == "trainer":  # a trainer named by user name: another base's
        holder[key] = b.trainer.username
        return body
    attribute = index[(models[name], int(value))]
    target = other_object(role, "claim_id" if name == "claim_ids" else name, attribute, a, b)
    if target is None:
        return None
    holder[key] = type(value)(target.id)
    return body


def test_other_sides_ids_in_request_bodies_are_refused(app, sides, login_as, api_headers):
    """A valid request naming, in its body, another base's resident, stay, bed or base, another
    enterprise's posting, referral or placement, another county's notice or region (one id at a time):
    refused with nothing written, or the id ignored (the same rows written as without the swap); the
    answer shows nothing of the other side."""
    a, b = sides
    clients = Clients(app, login_as, api_headers)
    clients.issue_tokens(actor_of(a, spec.role) for spec in WRITES if spec.is_api and spec.role in SCOPED_ROLES)
    models, index = _id_models(), a.ids()
    problems, cases = [], 0
    before = snapshot()  # every request below runs in a rolled-back block: each starts from here
    for spec in WRITES:
        if spec.role in (AD, ANON):
            continue  # the admin has no object scope; anonymous requests name no objects
        plain = spec.body(a)
        paths = _id_fields(plain, a, models, index)
        if paths:  # what the request writes as it is: an id the endpoint ignores must change nothing of it
            requester = clients.requester(actor_of(a, spec.role), api=spec.is_api)
            with rolled_back():
                send_spec(app, spec, a, requester)
                expected = diff(before, snapshot())
        for path in paths:
            body = _swapped(plain, path, spec.role, a, b, models, index)
            if body is None:
                problems.append(f"{spec.endpoint} as {spec.role}: no other-side object for {path}")
                continue
            requester = clients.requester(actor_of(a, spec.role), api=spec.is_api)
            with rolled_back():
                response = send_spec(app, spec, a, requester, body=body)
                written = diff(before, snapshot())
            cases += 1
            where = f"{spec.endpoint} as {spec.role} with the other side's {'.'.join(map(str, path))}"
            ignored = non_audit(written) and not compare(expected, written)
            if non_audit(written) and not ignored:
                problems.append(f"{where}: wrote {describe(non_audit(written))} ({response.status_code})")
            if spec.is_api and not ignored and response.status_code not in (403, 404, 409, 422):
                problems.append(f"{where}: {response.status_code}")
            if response.status_code >= 500:
                problems.append(f"{where}: {response.status_code}")
            shown = leaked(text_of(response), markers(spec.role, a, b))
            if shown:
                problems.append(f"{where}: the answer shows {shown}")
    assert not problems, "\n".join(problems)
    assert cases > 20, f"only {cases} requests with ids in their bodies"


# ---------------------------------------------------------------- list filters

def _filters(role: str, a, b) -> list[dict]:
    """Query-string filters pointing outside the caller's scope, tried one at a time."""
    return [{"base_id": b.base.id}, {"group_by": "base", "base_id": b.base.id}, {"region_code": b.county},
            {"region_code": "330100"},
            {"enterprise_id": b.enterprise.id}, {"posting_id": (b.posting_draft if role == BM else b.posting).id},
            {"resident_id": b.resident.id}, {"course_id": (a.course_other if role == TR else b.course).id}]


def _query_fields(app, endpoint: str) -> set[str] | None:
    """The query parameters an API endpoint's schema takes (any other is refused with 422, so not worth
    sending); None for pages, which ignore what they do not read."""
    apidoc = getattr(app.view_functions[endpoint], "_apidoc", None)
    if apidoc is None:
        return None
    fields: set[str] = set()
    for parameter in apidoc.get("arguments", {}).get("parameters", []):
        if parameter.get("in") == "query":
            schema = parameter["schema"]
            instance = schema() if isinstance(schema, type) else schema
            fields |= {f.data_key or name for name, f in instance.fields.items()}
    return fields


# docs/security.md "Object scope": county X asking for county Y's report → 403/404
REPORTS = ("reports.", "reports_api.")


def test_list_filters_never_widen_the_scope(app, sides, world, login_as, api_headers):
    """Every list page, report and API list (GET without an object's id in the path) with `?base_id=B`-style
    filters, as each scoped role: refused (4xx) or answered within the caller's scope, with nothing of the
    other side; a report of another county or base is refused."""
    a, b = sides
    clients = Clients(app, login_as, api_headers)
    clients.issue_tokens(actor_of(a, role) for role in SCOPED_ROLES)
    samples = sample_values(world)
    problems, cases = [], 0
    for rule in get_rules(app):
        if set(rule.arguments) - set(NOT_OBJECTS) or ENDPOINT_ACCESS[rule.endpoint] == PUBLIC:
            continue
        for role in SCOPED_ROLES:
            if not _allowed(role, rule.endpoint):
                continue
            hidden = markers(role, a, b)
            base_url = build_url(app, rule.endpoint, {p: samples[p] for p in rule.arguments})
            requester = clients.requester(actor_of(a, role), api=base_url.startswith("/api/"))
            taken = _query_fields(app, rule.endpoint)
            for query in _filters(role, a, b):
                if taken is not None and not set(query) <= taken:
                    continue
                url = base_url + "?" + "&".join(f"{k}={v}" for k, v in query.items())
                response = requester.client.get(url, headers=requester.headers)
                cases += 1
                body = text_of(response)
                if response.status_code >= 500:
                    problems.append(f"GET {url} as {role}: {response.status_code}")
                elif (rule.endpoint.startswith(REPORTS) and {"base_id", "region_code"} & set(query)
                      and response.status_code not in (403, 404, 422)):
                    # Report figures carry no names to look for: another county's report is refused outright.
                    problems.append(f"GET {url} as {role}: {response.status_code}, not refused")
                elif leaked(body, hidden):
                    problems.append(f"GET {url} as {role}: {response.status_code} shows {leaked(body, hidden)}")
    assert not problems, "\n".join(problems)
    assert cases > 100, f"only {cases} filtered lists"

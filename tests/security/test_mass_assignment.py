"""Mass assignment (docs/security.md "Access control": extra fields (`role`, `base_id`, `status`, `amount`)
posted to forms or the API are ignored or refused).

Every write endpoint of the app (POST/PUT/PATCH/DELETE in url_map) has a valid request in
input_support.WRITES; a new endpoint without one fails `test_every_write_endpoint_has_a_valid_request`.
Each valid request is sent twice, each time in a rolled-back savepoint: as is, and with extra fields
naming roles, owners, scopes, states, amounts and derived values. What the two wrote is compared row
by row (new ids, times and random values aside): the extras must change nothing, or the request must
be refused with nothing written (the API's strict schemas answer 422 naming each unknown field; a field
the schema knows but must not take from this caller is tried on its own).
"""

from __future__ import annotations

import pytest

from tests.security.input_support import (
    WRITES,
    WRITES_BY_ENDPOINT,
    Clients,
    actor_of,
    build_sides,
    compare,
    describe,
    diff,
    non_audit,
    rolled_back,
    send_spec,
    snapshot,
    write_endpoints,
)


def test_every_write_endpoint_has_a_valid_request(app):
    """Coverage: a write endpoint added without an entry in WRITES fails here (and so is not left unswept)."""
    endpoints = write_endpoints(app)
    missing = sorted(set(endpoints) - set(WRITES_BY_ENDPOINT))
    assert not missing, f"write endpoints without a valid request in input_support.WRITES: {missing}"
    stale = sorted(set(WRITES_BY_ENDPOINT) - set(endpoints))
    assert not stale, f"WRITES names endpoints that do not exist or do not write: {stale}"
    assert len(WRITES) == len(WRITES_BY_ENDPOINT), "an endpoint is listed twice in WRITES"
    unexplained = [w.endpoint for w in WRITES if not w.writes and not w.why]
    assert not unexplained, f"writes=False needs a reason: {unexplained}"
    api = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")}
    misnamed = [w.endpoint for w in WRITES if w.is_api != (w.endpoint in api)]
    assert not misnamed, f"Write.is_api disagrees with the URL for {misnamed}"


@pytest.fixture
def sides(app, factory, db, world, monkeypatch, tmp_path):
    return build_sides(app, factory, db, world, monkeypatch, tmp_path)


def extra_fields(a, b) -> dict:
    """Fields no form or body of the app may take from its caller as given: roles and flags, owners and
    authors, another base's / county's / enterprise's / resident's ids, states, amounts, versions and
    derived values."""
    return {
        "id": 999999, "role": "admin", "is_admin": True, "base_id": b.base.id, "enterprise_id": b.enterprise.id,
        "region_code": b.county, "resident_id": b.resident.id, "stay_id": b.stay.id, "status": "approved",
        "amount": "99999.00", "created_by_id": b.manager.id, "author_id": b.manager.id,
        "submitted_by_id": b.officer.id, "requested_by_id": b.manager.id, "referred_by_id": b.manager.id,
        "uploaded_by_id": b.manager.id, "recorded_by_id": b.trainer.id, "user_id": b.manager.id,
        "trainer_id": b.trainer.id, "agreement_id": b.agreement.id, "supersedes_id": b.agreement.id,
        "batch_id": b.batch.id, "version": 99, "session_version": 99, "username": "intruder",
        "password": "Intruder-Pass-1", "sex": "female", "birth_on": "1950-01-01", "enrolled_count": 0,
        "open_positions": 99, "is_current": False, "rule": "injected", "payee_account": "6222000000000000",
        "resubmissions": 0, "is_key_subject": True, "feedback_due_on": "2030-01-01",
    }


def _form_prefix(body: dict) -> str | None:
    """The prefix of a page's form ("leave-start_on" -> "leave"), if its fields have one."""
    prefixes = {key.split("-", 1)[0] for key in body if "-" in key and not key.startswith("status-")}
    return prefixes.pop() if len(prefixes) == 1 else None


def _as_form(extras: dict, body: dict) -> dict:
    """Form values (strings), bare and under the form's prefix, except where the form has that field."""
    def text(v):
        return "y" if v is True else "" if v is False else str(v)

    prefix = _form_prefix(body)
    keys = {k: k for k in extras} | ({f"{prefix}-{k}": k for k in extras} if prefix else {})
    return {key: text(extras[name]) for key, name in keys.items() if key not in body}


def test_extra_fields_are_ignored_or_refused(app, sides, login_as, api_headers):
    """Every write endpoint: its valid request succeeds and writes; with the extra fields added it writes
    the very same rows, or nothing (refused; the API by a 422 naming the fields)."""
    a, b = sides
    clients = Clients(app, login_as, api_headers)
    clients.issue_tokens(actor_of(a, spec.role) for spec in WRITES if spec.is_api)
    before = snapshot()
    all_extras = extra_fields(a, b)
    problems, checked = [], 0
    for spec in WRITES:
        actor = actor_of(a, spec.role)
        where = f"{spec.endpoint} as {spec.role}"
        requester = clients.requester(actor, api=spec.is_api)
        with rolled_back():
            response = send_spec(app, spec, a, requester)
            plain = diff(before, snapshot())
        if response.status_code >= 400:
            problems.append(f"{where}: the valid request failed with {response.status_code}: "
                            f"{response.get_data(as_text=True)[:300]}")
            continue
        if spec.writes and not plain:
            problems.append(f"{where}: the valid request wrote nothing ({response.status_code})")
            continue
        if not spec.writes and plain:
            problems.append(f"{where}: marked as writing nothing, but wrote {describe(plain)}")

        body = spec.body(a)
        extras = {k: v for k, v in all_extras.items() if k not in body}
        outcome = _try_extras(app, spec, a, clients, actor, before, plain, extras)
        if outcome:
            problems.append(f"{where}: {outcome}")
        checked += 1
    assert not problems, f"{len(problems)} of {len(WRITES)} write endpoints:\n  " + "\n  ".join(problems)
    assert checked == len(WRITES)


def _try_extras(app, spec, side, clients, actor, before, plain, extras) -> str:
    """'' if the extras were ignored (the same rows written) or refused (nothing written); else what happened."""
    requester = clients.requester(actor, api=spec.is_api)
    sent = extras if spec.is_api else _as_form(extras, spec.body(side))
    with rolled_back():
        response = send_spec(app, spec, side, requester, extra=sent)
        written = diff(before, snapshot())
    if spec.is_api and response.status_code == 422:
        if non_audit(written):
            return f"refused with 422 but wrote {describe(written)}"
        named = set((response.get_json() or {}).get("error", {}).get("fields", {}))
        known = sorted(set(extras) - named)  # fields the schema takes: not judged by this answer
        if len(extras) > 1 and known:
            outcomes = [_try_extras(app, spec, side, clients, actor, before, plain, {k: extras[k]}) for k in known]
            return "; ".join(o for o in outcomes if o)
        return "" if named else f"422 naming no field for {sorted(extras)}: {response.get_json()}"
    if response.status_code >= 500:
        return f"answered {response.status_code} to extra fields {sorted(extras)}"
    difference = compare(plain, written)
    if not difference:
        return ""
    if not non_audit(written):
        if spec.is_api and response.status_code < 400:
            return f"wrote nothing but answered {response.status_code} with {sorted(extras)}"
        return ""  # refused: nothing written
    return f"extra fields {sorted(extras)} changed what was written ({response.status_code}):\n      {difference}"

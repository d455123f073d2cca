"""CSRF (docs/security.md "Access control": CSRF on every state-changing HTML form (Flask-WTF); GET never
changes state; the JSON API uses bearer tokens and is exempt).

The suite runs with CSRF off (TestConfig); these tests turn it on. Every page endpoint that accepts
POST/PUT/PATCH/DELETE (from url_map, with its valid request from input_support.WRITES) is sent by a
user allowed to use it without a token and with a forged one: 400, nothing written (the audit log
included); with the session's own token the same request goes through, so the 400 was the token's.
Every GET endpoint, as every role, leaves the database as it was (the audit log may record views and
refusals only). The API needs no token with a bearer token, and ignores the session cookie, which is
why it may be exempt.
"""

from __future__ import annotations

import json

import pytest

from tests.security.crawl import get_rules, url_args
from tests.security.input_support import (
    AD,
    ANON,
    AU,
    AUDIT_TABLES,
    BM,
    CO,
    EN,
    TR,
    WRITES,
    Clients,
    actor_of,
    audit_actions_since,
    build_sides,
    build_url,
    describe,
    diff,
    fingerprint,
    last_audit_seq,
    non_audit,
    prepare_spec,
    rolled_back,
    send_spec,
    snapshot,
    spec_url,
    write_endpoints,
    write_method,
)

ROLES = [ANON, AD, AU, CO, BM, TR, EN]
# What a GET may leave in the audit log: reads of sensitive data and exports are recorded, and refusals.
VIEW_ACTIONS = frozenset({"access_denied", "resident_sensitive_viewed", "notice_viewed", "claim_evidence_viewed",
                          "export", "export.download", "document_printed"})


@pytest.fixture
def sides(app, factory, db, world, monkeypatch, tmp_path):
    return build_sides(app, factory, db, world, monkeypatch, tmp_path)


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def test_every_page_form_is_refused_without_its_csrf_token(app, sides, csrf_on, login_as, api_headers):
    """Each page write, by its valid request's user (one the permission matrix lets in, so that no 403
    comes first): without a token and with another session's token 400 and nothing written, not even an
    audit row; with its own session's token the same request succeeds."""
    a, _b = sides
    clients = Clients(app, login_as, api_headers)
    page_writes = [spec for spec in WRITES if not spec.is_api]
    problems = []
    start = snapshot()  # every request below runs in a rolled-back block: each starts from here
    for spec in page_writes:
        role = spec.role
        for mode in ("none", "forged"):
            requester = clients.requester(actor_of(a, role), api=False)
            with rolled_back():
                prepared = prepare_spec(spec, a, requester)
                before = snapshot() if spec.prepare else start
                response = send_spec(app, spec, a, requester, csrf=mode, prepared=prepared)
                written = diff(before, snapshot())
            if response.status_code != 400:
                problems.append(f"{spec.endpoint} as {role}, token {mode}: {response.status_code}, not 400")
            if written:
                problems.append(f"{spec.endpoint} as {role}, token {mode}: wrote {describe(written)}")
        # The control: with the session's token the very same request is let through.
        requester = clients.requester(actor_of(a, role), api=False)
        with rolled_back():
            prepared = prepare_spec(spec, a, requester)
            before = snapshot() if spec.prepare else start
            response = send_spec(app, spec, a, requester, csrf="valid", prepared=prepared)
            written = diff(before, snapshot())
        if response.status_code >= 400 or (spec.writes and not written):
            problems.append(f"{spec.endpoint} as {role} with a valid token: {response.status_code}, "
                            f"wrote {describe(written) or 'nothing'}")
    assert not problems, "\n".join(problems)
    page_endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if not rule.rule.startswith("/api/")}
    assert {spec.endpoint for spec in page_writes} == set(write_endpoints(app)) & page_endpoints


def test_the_api_needs_no_csrf_token_with_a_bearer_token(app, sides, csrf_on, login_as, api_headers):
    """With CSRF protection on, every API write with a bearer token and no CSRF token succeeds."""
    a, _b = sides
    clients = Clients(app, login_as, api_headers)
    api_writes = [spec for spec in WRITES if spec.is_api]
    clients.issue_tokens(actor_of(a, spec.role) for spec in api_writes)
    problems = []
    before = snapshot()
    for spec in api_writes:
        requester = clients.requester(actor_of(a, spec.role), api=True)
        with rolled_back():
            response = send_spec(app, spec, a, requester)
            written = diff(before, snapshot())
        if response.status_code >= 400 or (spec.writes and not non_audit(written)):
            problems.append(f"{spec.endpoint} as {spec.role}: {response.status_code}, "
                            f"wrote {describe(written) or 'nothing'}: {response.get_data(as_text=True)[:200]}")
    assert not problems, "\n".join(problems)
    assert len(api_writes) > 40


def test_the_api_ignores_the_session_cookie(app, sides, login_as):
    """The API is exempt from CSRF only because a browser's cookie cannot act on it: a signed-in page
    session sending an API request — as JSON, and as the text/plain body a cross-site form can send
    without a preflight — is unauthenticated (401) and writes nothing."""
    a, _b = sides
    problems = []
    api_writes = [spec for spec in WRITES if spec.is_api and spec.role != ANON]
    before = snapshot()
    for spec in api_writes:
        url, method = spec_url(app, spec, a), write_method(app, spec.endpoint)
        for content_type in ("application/json", "text/plain"):
            client = login_as(actor_of(a, spec.role))
            with rolled_back():
                response = client.open(url, method=method, data=json.dumps(spec.body(a)), content_type=content_type)
                written = diff(before, snapshot())
            if response.status_code != 401 or written:
                problems.append(f"{spec.endpoint} with {spec.role}'s cookie ({content_type}): "
                                f"{response.status_code}, wrote {describe(written) or 'nothing'}")
    assert not problems, "\n".join(problems)
    assert len(api_writes) > 40


def _get_overrides(a) -> dict:
    """URL values for objects the plain world lacks (claims, batches, evidence, jobs, absences)."""
    return {"claim_id": a.claim_draft.id, "batch_id": a.batch.id, "evidence_id": a.evidence.id, "job_id": a.job.id,
            "absence_id": a.absence.id}


def test_get_never_changes_state(app, sides, world, login_as, api_headers):
    """Every GET endpoint (pages and API), as every role: no row of any table changes; the audit log may
    only have gained views of sensitive data, exports and refusals. Row counts are compared after each
    request and every row before and after each role's sweep (if only the latter differs, the sweep is
    repeated with every row compared after each request, to name the endpoint)."""
    a, _b = sides
    clients = Clients(app, login_as, api_headers)
    clients.issue_tokens(actor_of(a, role) for role in ROLES)
    overrides = _get_overrides(a)
    urls = [build_url(app, rule.endpoint, url_args(rule, world, overrides)) for rule in get_rules(app)]
    problems = []
    for role in ROLES:
        start = snapshot()
        problems += _sweep(clients, actor_of(a, role), role, urls, full=False)
        changed = non_audit(diff(start, snapshot()))
        if changed:
            problems.append(f"the GETs as {role} wrote {describe(changed)}; request by request:")
            problems += _sweep(clients, actor_of(a, role), role, urls, full=True) or ["  (not reproduced)"]
    assert not problems, "\n".join(problems)
    assert len(urls) > 80, f"only {len(urls)} GET endpoints swept"


def _sweep(clients, actor, role: str, urls: list[str], *, full: bool) -> list[str]:
    page, api = clients.requester(actor, api=False), clients.requester(actor, api=True)
    problems = []
    state = snapshot() if full else fingerprint()
    seq = last_audit_seq()
    for url in urls:
        requester = api if url.startswith("/api/") else page
        response = requester.client.get(url, headers=requester.headers)
        after = snapshot() if full else fingerprint()
        if full:
            written = non_audit(diff(state, after))
            if written:
                problems.append(f"GET {url} as {role} wrote {describe(written)}")
        else:
            counts = {t for t in after if after[t] != state[t] and t not in AUDIT_TABLES}
            if counts:
                problems.append(f"GET {url} as {role} changed the row counts of {sorted(counts)}")
        actions = audit_actions_since(seq)
        unexpected = [action for action in actions if action not in VIEW_ACTIONS]
        if unexpected:
            problems.append(f"GET {url} as {role} audited {unexpected}")
        if response.status_code >= 500:
            problems.append(f"GET {url} as {role}: {response.status_code}")
        state, seq = after, last_audit_seq()
    return problems

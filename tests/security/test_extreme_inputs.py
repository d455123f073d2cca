"""Extreme inputs are answered, never a 500 (security finding 5; docs/api.md "Never a 500 for bad input").

Sweeps, not single URLs; every route comes from app.url_map or the API's own OpenAPI document, so a
page or operation added later is swept too. The bounds themselves are core/bounds.py's.

- page numbers 0, -1, a 20-digit number, a word and 5,000 digits (past what Python's int() converts) on
  every GET page;
- every integer query parameter a page may read (the URL id names: base_id, session_id, posting_id...,
  and `version`) far past a database integer, negative, not a number and 5,000 digits, on every GET page;
- dates at 0001-01-01 and 9999-12-31, months at 0001-01 and 9999-12, and a period that ends before it
  starts, in the query of every GET page and in the `<day>`/`<month>` of every URL that has one;
- every query parameter of every API operation at its extremes (dates, integers, months);
- every date field of every API request body at the extremes; every date, month and whole number of every
  write of the app (input_support.WRITES: pages and API) at the extremes: refused, nothing written;
- every date and integer field of every form is the bounded one;
- a JSON body nested 100,000 deep (Python's json raises RecursionError), one just past the limit and one
  with a 5,000-digit number on every write route of the app, pages and API, signed in and not.

Pages answer with a page (200, a redirect, 404 for an object outside the scope) or a 422 naming the
parameter (in the message, or as the error next to the form field); the API with 422 validation_error
naming the field. Never a 500, never a bare 400.
"""

from __future__ import annotations

import re

import pytest

from base_ops.core import bounds
from tests.security import crawl
from tests.security.input_support import (
    WRITES,
    Clients,
    Lit,
    actor_of,
    build_sides,
    describe,
    diff,
    non_audit,
    rolled_back,
    send_spec,
    snapshot,
    spec_url,
    url_value,
)

ROLE_ORDER = ("base_manager", "county_officer", "admin", "auditor", "trainer", "enterprise")
ENDLESS = "9" * 5000  # past the 4,300 digits Python's int() converts: a ValueError where none was expected
PAGE_NUMBERS = ("0", "-1", "99999999999999999999", "abc", ENDLESS)
ID_VALUES = ("99999999999999999999", str(2**31), "-1", "abc", ENDLESS)
EXTREME_DAYS = ("0001-01-01", "9999-12-31")
EXTREME_MONTHS = ("0001-01", "9999-12")
# Every name a page reads a date or a month from (report filters, meals, the audit log, the bed board, the
# work calendar, training summaries, monthly reports, claims).
DATE_QUERIES = ([f"{name}={day}" for name in ("from", "to", "date", "day", "on") for day in EXTREME_DAYS]
                + ["from=0001-01-01&to=9999-12-31", "from=9999-12-30&to=9999-12-31", "from=2027-01-01&to=2026-01-01"]
                + [f"month={month}" for month in EXTREME_MONTHS])
NESTED_DEEP = "[" * 100_000 + "]" * 100_000
NESTED_PAST_LIMIT = "[" * (bounds.MAX_JSON_DEPTH + 1) + "]" * (bounds.MAX_JSON_DEPTH + 1)
ENDLESS_NUMBER = '{"id": ' + ENDLESS + "}"
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_MONTH = re.compile(r"^\d{4}-\d{2}$")


def role_for(endpoint: str) -> str:
    """A role the matrix lets in (the one with most to show first)."""
    return next(role for role in ROLE_ORDER if crawl.role_may(role, endpoint))


class Browsers:
    """One signed-in browser per role, made when first needed."""

    def __init__(self, app, world, login_as, api_headers):
        self.app, self.world, self.login_as, self.api_headers = app, world, login_as, api_headers
        self._by_role: dict[str, crawl.Browser] = {}

    def __call__(self, role: str) -> crawl.Browser:
        if role not in self._by_role:
            self._by_role[role] = crawl.Browser(self.app, crawl.actor(self.world, role), self.login_as,
                                                self.api_headers)
        return self._by_role[role]


@pytest.fixture
def browsers(app, rich_world, login_as, api_headers):
    return Browsers(app, rich_world, login_as, api_headers)


def page_rules(app) -> list:
    return [rule for rule in crawl.get_rules(app) if not rule.rule.startswith("/api/")]


def with_query(url: str, query: str) -> str:
    return url + ("&" if "?" in url else "?") + query


def rule_url(app, rule, world) -> str:
    url = crawl.build_url(app, rule, world, world.rich.ids())
    if rule.endpoint in crawl.REQUIRED_QUERIES:
        url = with_query(url, crawl.REQUIRED_QUERIES[rule.endpoint])
    return url


# How a page shows a form field's error (templates/_macros/forms.html, reports/_filter.html).
FIELD_ERROR = re.compile(r'class="(invalid-feedback|col-12 text-danger small)[^"]*">[^<]')


def judge(answer: crawl.Fetched, names: list[str]) -> str:
    """'' when the answer is fine: below 500, not a bare 400, and a 422 names one of `names` (the API in its
    `fields`; a page in its message, or as the error next to the form field)."""
    if answer.status >= 500 or answer.status == 400:
        return f"{answer.url} -> {answer.status}"
    if answer.status != 422:
        return ""
    if answer.url.startswith("/api/"):
        fields = (answer.response.get_json() or {}).get("error", {}).get("fields", {})
        return "" if set(fields) & set(names) else f"{answer.url} -> 422 naming {sorted(fields)}, not {names}"
    if any(f"{name}: " in answer.text for name in names) or FIELD_ERROR.search(answer.text):
        return ""
    return f"{answer.url} -> 422 not naming {names}"


def query_names(query: str) -> list[str]:
    return [part.split("=", 1)[0] for part in query.split("&")]


def sweep(app, world, browsers, rules, queries) -> tuple[list[str], int]:
    """Every rule's URL with each query, as a role let in: (problems, answers checked)."""
    problems, checked = [], 0
    for rule in rules:
        browser = browsers(role_for(rule.endpoint))
        base_url = rule_url(app, rule, world)
        for query in queries:
            problems.append(judge(browser.get(with_query(base_url, query)), query_names(query)))
            checked += 1
    return [p for p in problems if p], checked


# ---------------------------------------------------------------- pages

def test_page_numbers_never_break_a_page(app, rich_world, browsers):
    """Every GET page, with page numbers that are not one: answered (a list shows its first page)."""
    problems, checked = sweep(app, rich_world, browsers, page_rules(app), [f"page={n}" for n in PAGE_NUMBERS])
    assert not problems, "\n".join(problems)
    assert checked >= 4 * 70
    # A list asked for a page number that cannot be one shows its first page (as the residents list does).
    for number in PAGE_NUMBERS:
        answer = browsers("auditor").get(f"/audit?page={number}")
        pager = re.search(r">(\d+) / \d+<", answer.text)
        assert answer.status == 200 and (pager is None or pager.group(1) == "1"), number


def test_page_number_bounds(app):
    with app.test_request_context("/?page=100000"):
        assert bounds.page_number() == bounds.MAX_PAGE_NUMBER
    for junk in (*PAGE_NUMBERS, str(bounds.MAX_PAGE_NUMBER + 1), ""):
        with app.test_request_context(f"/?page={junk}"):
            assert bounds.page_number() == 1, junk


def id_query_names(app) -> list[str]:
    """The integer query parameters a page may read: every id name of the app's URLs, and `version`."""
    names = {name for rule in app.url_map.iter_rules() for name in rule.arguments if name.endswith("_id")}
    return sorted(names | {"version"})


def test_id_query_parameters_never_break_a_page(app, rich_world, browsers):
    """Every GET page with every id name in its query: each alone far past what SQLite's integers hold, and
    all together just past an `integer` column, negative, and not a number."""
    names = id_query_names(app)
    queries = ([f"{name}={ID_VALUES[0]}" for name in names]
               + ["&".join(f"{name}={value}" for name in names) for value in ID_VALUES[1:]])
    problems, checked = sweep(app, rich_world, browsers, page_rules(app), queries)
    assert not problems, f"{len(problems)} of {checked}:\n" + "\n".join(problems)


def test_id_query_parameters_are_refused_by_name(app, rich_world, browsers):
    """The pages that read a base_id answer one that is no id with a 422 naming it."""
    for url in ("/meals", "/stays", "/training/summary", "/reports/occupancy.xlsx", "/meals/roster.xlsx"):
        for value in ("99999999999999999999", "-1", "abc", ENDLESS):
            answer = browsers("base_manager").get(f"{url}?base_id={value}")
            assert answer.status == 422 and "base_id: " in answer.text, (url, value, answer.status)
    for url in ("/reports/", "/reports/people"):  # the filter form shows it next to the field
        answer = browsers("county_officer").get(f"{url}?base_id=99999999999999999999")
        assert answer.status == 422 and FIELD_ERROR.search(answer.text), url


def test_dates_never_break_a_page(app, rich_world, browsers):
    """Every GET page with dates and months at the extremes, and a period ending before it starts."""
    problems, checked = sweep(app, rich_world, browsers, page_rules(app), DATE_QUERIES)
    assert not problems, f"{len(problems)} of {checked}:\n" + "\n".join(problems)


def test_dates_in_urls_never_break_a_page(app, rich_world, browsers):
    """Every GET URL with a <day> or <month> in it (pages and API), at the extremes."""
    problems, checked = [], 0
    for rule in crawl.get_rules(app):
        extremes = {"day": EXTREME_DAYS, "month": EXTREME_MONTHS}
        for name in set(rule.arguments) & set(extremes):
            for value in extremes[name]:
                url = crawl.build_url(app, rule, rich_world, rich_world.rich.ids() | {name: value})
                problems.append(judge(browsers(role_for(rule.endpoint)).get(url), [name]))
                checked += 1
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)
    assert checked >= 2


def test_out_of_bounds_dates_are_named_on_the_pages(app, rich_world, browsers, english):
    """The message says which parameter and what the bounds are."""
    manager, auditor = browsers("base_manager"), browsers("auditor")
    for answer, name in ((manager.get("/meals?date=0001-01-01"), "date"),
                         (manager.get("/training/summary?to=9999-12-31"), "to"),
                         (auditor.get("/audit?from=0001-01-01"), "from")):
        assert answer.status == 422, answer.url
        assert name in answer.text and "1900-01-01" in answer.text and "2199-12-31" in answer.text, answer.url
    report = manager.get("/reports/?from=9999-12-31")
    assert report.status == 422 and "2199-12-31" in report.text  # next to the field of the filter form


def test_every_form_holds_its_dates_and_integers_to_the_bounds():
    """Every date and integer field of every form of the app is the bounded one (core.bounds), so a form
    added later cannot take 9999-12-31 or a 20-digit number to a service."""
    import importlib
    import pkgutil

    import wtforms
    from flask_wtf import FlaskForm

    import base_ops

    for module in pkgutil.walk_packages(base_ops.__path__, "base_ops."):
        importlib.import_module(module.name)
    forms, unbounded = [], []
    pending = [FlaskForm]
    while pending:
        form = pending.pop()
        pending += form.__subclasses__()
        forms.append(form)
        for name in dir(form):
            unbound = getattr(form, name, None)
            field_class = getattr(unbound, "field_class", None)
            if not isinstance(field_class, type):
                continue
            if issubclass(field_class, wtforms.DateField) and not issubclass(field_class, bounds.BoundedDateField):
                unbounded.append(f"{form.__module__}.{form.__name__}.{name}")
            if (issubclass(field_class, wtforms.IntegerField)
                    and not issubclass(field_class, bounds.BoundedIntegerField)):
                unbounded.append(f"{form.__module__}.{form.__name__}.{name}")
    assert len(forms) > 30
    assert not unbounded, unbounded


# ---------------------------------------------------------------- the API

@pytest.fixture
def openapi(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def api_operations(openapi, methods: set[str]):
    """(method, path, operation) of the document."""
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            if method in methods:
                yield method, path, operation


def api_url(app, world, method: str, path: str) -> tuple[str, str]:
    """The operation's URL with the world's ids, and its endpoint."""
    values = crawl.sample_values(world) | world.rich.ids()
    url = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)
    endpoint = app.url_map.bind("localhost").match(url, method=method.upper())[0]
    return url, endpoint


def extreme_values(name: str, schema: dict) -> list[tuple[str, bool]]:
    """(value, must it be refused with a 422) to try for a query parameter."""
    if schema.get("format") == "date":
        return [(day, True) for day in EXTREME_DAYS]
    if schema.get("type") == "integer":
        return [(value, value != "-1") for value in ID_VALUES]  # -1 may be a fine filter (nothing found)
    if name == "month":
        return [(month, False) for month in EXTREME_MONTHS]  # a month filter may simply find nothing
    return []


def test_api_query_parameters_at_their_extremes(app, rich_world, browsers, openapi):
    """Every query parameter of every API operation: dates out of bounds and integers no column holds
    are a 422 naming the parameter; anything else is answered below 500."""
    problems, checked = [], 0
    for method, path, operation in api_operations(openapi, {"get"}):
        url, endpoint = api_url(app, rich_world, method, path)
        browser = browsers(role_for(endpoint))
        if endpoint in crawl.REQUIRED_QUERIES:
            url = with_query(url, crawl.REQUIRED_QUERIES[endpoint])
        queries = []
        names = set()
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            names.add(parameter["name"])
            queries += [(f"{parameter['name']}={value}", must_refuse)
                        for value, must_refuse in extreme_values(parameter["name"], parameter.get("schema", {}))]
        if {"from", "to"} <= names:  # a report refuses a period ending before it starts; a search finds nothing
            queries.append(("from=2027-01-01&to=2026-01-01", "/reports/" in path))
        for query, must_refuse in queries:
            answer = browser.get(with_query(url, query))
            problems.append(judge(answer, query_names(query)))
            if must_refuse and answer.status != 422:
                problems.append(f"{answer.url} -> {answer.status}, not 422")
            checked += 1
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)
    assert checked >= 30


def body_schema(openapi, operation) -> dict | None:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return None
    schema = content["schema"]
    if "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_api_bodies_refuse_dates_out_of_bounds(app, rich_world, browsers, openapi):
    """Every date field of every API request body, alone at each extreme: a 422 naming it (the shared
    bounds are on every schema's dates, not on some)."""
    problems, checked = [], 0
    for method, path, operation in api_operations(openapi, {"post", "put", "patch"}):
        schema = body_schema(openapi, operation)
        if schema is None:
            continue
        url, endpoint = api_url(app, rich_world, method, path)
        browser = browsers(role_for(endpoint))
        for name, prop in schema.get("properties", {}).items():
            if prop.get("format") != "date":
                continue
            for day in EXTREME_DAYS:
                response = browser.api.open(url, method=method.upper(), json={name: day}, headers=browser.headers)
                fields = (response.get_json() or {}).get("error", {}).get("fields", {})
                if response.status_code != 422 or name not in fields:
                    problems.append(f"{method.upper()} {url} {name}={day} -> {response.status_code} {fields}")
                checked += 1
    assert not problems, "\n".join(problems)
    assert checked >= 60


# ---------------------------------------------------------------- every write, with its dates at the extremes

@pytest.fixture
def sides(app, factory, db, world, monkeypatch, tmp_path):
    return build_sides(app, factory, db, world, monkeypatch, tmp_path)


def _date_keys(body: dict) -> list[tuple[str, tuple[str, ...]]]:
    """(key, extreme values) for each date or month of a request body."""
    found = []
    for key, value in body.items():
        if isinstance(value, str) and ISO_DAY.match(value):
            found.append((key, EXTREME_DAYS))
        elif isinstance(value, str) and ISO_MONTH.match(value):
            found.append((key, EXTREME_MONTHS))
    return found


def test_every_write_refuses_dates_out_of_bounds(app, sides, login_as, api_headers):
    """Each valid write of the app (input_support.WRITES) with one of its dates or months at an extreme, in
    the body or the URL: refused with nothing written (the API: 422 naming the field), never a 500."""
    a, _b = sides
    clients = Clients(app, login_as, api_headers)
    clients.issue_tokens(actor_of(a, spec.role) for spec in WRITES if spec.is_api)
    before = snapshot()
    problems, checked = [], 0
    for spec in WRITES:
        body = spec.body(a)
        cases = [("body", key, value) for key, values in _date_keys(body) for value in values]
        for name, ref in spec.url.items():
            if isinstance(ref, Lit) and isinstance(ref.value, str):
                cases += [("url", name, value) for _key, values in _date_keys({name: ref.value}) for value in values]
        for where, key, value in cases:
            requester = clients.requester(actor_of(a, spec.role), api=spec.is_api)
            with rolled_back():
                if where == "body":
                    response = send_spec(app, spec, a, requester, body={**body, key: value})
                else:
                    url = spec_url(app, spec, a, swap=lambda n, r, k=key, v=value: v if n == k else url_value(a, r))
                    response = send_spec(app, spec, a, requester, url=url)
                written = non_audit(diff(before, snapshot()))
            checked += 1
            label = f"{spec.endpoint} {where} {key}={value} -> {response.status_code}"
            if response.status_code >= 500 or response.status_code == 400:
                problems.append(label)
            elif written:
                problems.append(f"{label} wrote {describe(written)}")
            elif spec.is_api and where == "body":
                fields = (response.get_json() or {}).get("error", {}).get("fields", {})
                if response.status_code != 422 or key not in fields:
                    problems.append(f"{label} naming {sorted(fields)}")
    assert not problems, f"{len(problems)} of {checked}:\n  " + "\n  ".join(problems)
    assert checked >= 80


def _integer_keys(body: dict, is_api: bool) -> list[str]:
    """Keys of a request body holding a whole number: a JSON integer, or a form's digits (ID numbers and the
    like aside: longer than an integer column's ten digits)."""
    if is_api:
        return [key for key, value in body.items() if isinstance(value, int) and not isinstance(value, bool)]
    return [key for key, value in body.items() if isinstance(value, (int, str)) and not isinstance(value, bool)
            and str(value).isdigit() and len(str(value)) <= 10]


def test_every_write_refuses_integers_past_a_database_integer(app, sides, login_as, api_headers):
    """Each valid write of the app with one of its whole numbers (ids, counts, months, years...) far past what
    an `integer` column holds: never a 500; the API refuses it with a 422 naming the field and writes nothing.
    (A form's digits may be text to the page, a room's name: there only the 500 is judged.)"""
    a, _b = sides
    clients = Clients(app, login_as, api_headers)
    clients.issue_tokens(actor_of(a, spec.role) for spec in WRITES if spec.is_api)
    before = snapshot()
    problems, checked = [], 0
    for spec in WRITES:
        body = spec.body(a)
        for key in _integer_keys(body, spec.is_api):
            huge = int(ID_VALUES[0]) if spec.is_api else ID_VALUES[0]
            requester = clients.requester(actor_of(a, spec.role), api=spec.is_api)
            with rolled_back():
                response = send_spec(app, spec, a, requester, body={**body, key: huge})
                written = non_audit(diff(before, snapshot())) if spec.is_api else {}
            checked += 1
            label = f"{spec.endpoint} {key}={huge} -> {response.status_code}"
            fields = (response.get_json(silent=True) or {}).get("error", {}).get("fields", {})
            if response.status_code >= 500:
                problems.append(label)
            elif written:
                problems.append(f"{label} wrote {describe(written)}")
            elif spec.is_api and (response.status_code != 422 or key not in fields):
                problems.append(f"{label} naming {sorted(fields)}")
    assert not problems, f"{len(problems)} of {checked}:\n  " + "\n  ".join(problems)
    assert checked >= 40


def test_ids_in_form_field_names_are_bounded_too(app, rich_world, login_as):
    """The attendance screen reads resident ids from its field names (status-<id>): one that no column
    holds is no resident, never a 500; and neither is a ticked claim id on the bulk approval."""
    w = rich_world
    trainer = login_as(w.trainer_a)
    for value in ID_VALUES:
        response = trainer.post(f"/training/sessions/{w.session_a.id}/attendance", data={f"status-{value}": "present"})
        assert response.status_code < 500, value
    officer = login_as(w.officer_x)
    response = officer.post("/claims/queue/approve", data={"claim_ids": list(ID_VALUES)})
    assert response.status_code == 302  # "tick the claims to approve": none of them is one


# ---------------------------------------------------------------- nested JSON

def write_rules(app) -> list:
    return [rule for rule in app.url_map.iter_rules() if rule.methods & {"POST", "PUT", "PATCH", "DELETE"}]


def test_nested_json_is_refused_on_every_write(app, rich_world, login_as, api_headers):
    """Every write route of the app, pages and API, with a JSON body nested 100,000 deep, one just past the
    limit and one holding a 5,000-digit number: the API refuses them (422 naming the body) before any schema
    reads them; pages read no JSON (to them it is no form at all)."""
    problems, checked = [], 0
    for rule in write_rules(app):
        method = sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"})[0]
        # A browser of its own: a page that signs out or revokes tokens may act on a body that is no form.
        browser = crawl.Browser(app, crawl.actor(rich_world, role_for(rule.endpoint)), login_as, api_headers)
        url = crawl.build_url(app, rule, rich_world, rich_world.rich.ids() | {"token_id": 1})
        is_api = url.startswith("/api/")
        # To a page also a body that is not JSON at all: its sign-out form used to trip on it, error page included.
        for body in (NESTED_DEEP, NESTED_PAST_LIMIT, ENDLESS_NUMBER) + (() if is_api else ("{",)):
            client = browser.api if is_api else browser.pages
            response = client.open(url, method=method, data=body, content_type="application/json",
                                   headers=browser.headers if is_api else {})
            checked += 1
            label = f"{method} {url} ({body[:3]}... {len(body)} bytes) -> {response.status_code}"
            if not is_api:  # answered as an empty form would be (a button's form without its field is a 400)
                if response.status_code >= 500:
                    problems.append(label)
            elif response.status_code != 422 or "body" not in response.get_json()["error"]["fields"]:
                problems.append(f"{label} {response.get_data(as_text=True)[:200]}")
    assert not problems, "\n".join(problems)
    assert checked >= 150


def test_nested_json_on_the_public_token_endpoint(app, client, db):
    """Signed out, on the one public API write: refused as bad input; a body nested to the limit is the
    schema's to judge."""
    for body in (NESTED_DEEP, NESTED_PAST_LIMIT, "{" + '"a":{' * 40 + "}" * 41, ENDLESS_NUMBER):
        response = client.post("/api/v1/auth/tokens", data=body, content_type="application/json")
        assert response.status_code == 422, response.status_code
        assert "body" in response.get_json()["error"]["fields"]
    at_limit = "[" * bounds.MAX_JSON_DEPTH + "]" * bounds.MAX_JSON_DEPTH
    response = client.post("/api/v1/auth/tokens", data=at_limit, content_type="application/json")
    assert response.status_code == 422 and "body" not in response.get_json()["error"]["fields"]
    # A string full of brackets is not nesting.
    response = client.post("/api/v1/auth/tokens", json={"username": "[" * 1000, "password": "{" * 1000})
    assert response.status_code in (401, 422) and "body" not in response.get_json()["error"]["fields"]

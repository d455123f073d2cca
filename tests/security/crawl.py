"""Every GET URL of the app for a test world, fetched as one role: the ground of the cross-module sweeps.

The URLs come from `app.url_map`, so a page or API route added later is swept without editing the
security tests. Each URL parameter takes its value from SAMPLE_VALUES (the one table of sample
values: the route sweep in tests/core/test_permissions.py uses it too); a new parameter name fails
loudly with a KeyError until it has a value here.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

import openpyxl
import sqlalchemy as sa
from flask import url_for
from werkzeug.exceptions import HTTPException

from base_ops.accounts.models import Role
from base_ops.core.excel import XLSX_MIMETYPE
from base_ops.core.permissions import ANY_USER, ENDPOINT_ACCESS, PUBLIC
from base_ops.extensions import db as _db

ROLES = [r.value for r in Role]


def sample_values(world) -> dict:
    """A value for every URL parameter of the app, taken from the `world` fixture."""
    room = world.base_a.rooms[0]
    return {
        "base_id": world.base_a.id,
        "room_id": room.id,
        "bed_id": room.beds[0].id,
        "user_id": world.manager_a.id,
        "region_code": "330106",
        "year": 2026,
        "filename": "css/app.css",
        "resident_id": world.resident_a.id,
        "stay_id": world.stay_a.id,
        "notice_id": world.notice_x.id,
        "note_id": world.note_a.id,
        "leave_id": world.leave_a.id,
        "day": "2026-11-20",
        "month": "2026-11",
        "course_id": world.course_a.id,
        "session_id": world.session_a.id,
        "enrolment_id": world.enrolment_a.id,
        "enterprise_id": world.enterprise.id,
        "agreement_id": world.agreement.id,
        "posting_id": world.posting.id,
        "referral_id": world.referral_a.id,
        "placement_id": world.placement_a.id,
        "absence_id": 1,  # the plain world has no absence: a 404 for the roles let in
        "phrase_id": 1,  # the first phrase the migration seeds
        "claim_id": 1,  # the plain world has no claim: a 404 for the roles let in
        "batch_id": 1,  # nor a payment batch
        "evidence_id": 1,  # nor any claim evidence
        "job_id": 1,  # nor an export job
        "token_id": 1,  # an API token: only its owner's account page revokes it
        "name": "occupancy",  # a report name (reports_api.report_spreadsheet)
        "policy_id": 1,  # the plain world has no policy document: a 404 for the roles let in
        "report_id": 1,  # nor a submitted monthly report (documents.monthly_report)
        "reminder_id": 1,  # nor a reminder (only its owner sees it: a 404 for everyone else)
        # Modules add sample values for new URL parameters here.
    }


# Query parameters a GET route cannot answer without (a 422 otherwise): added to its URL in every sweep.
REQUIRED_QUERIES = {
    "monthly_api.get_monthly": "month=2026-11",
    "policies_api.effective": "region_code=330106",
}


def url_args(rule, world, overrides: dict | None = None) -> dict:
    """The arguments of `rule`: the world's sample values, with `overrides` (richer worlds' ids) on top."""
    values = sample_values(world) | (overrides or {})
    return {name: values[name] for name in rule.arguments}


def actor(world, role: str):
    """The world's user for a role (the county officer of county X, the manager of base A, ...)."""
    return {
        "admin": world.admin,
        "auditor": world.auditor,
        "county_officer": world.officer_x,
        "base_manager": world.manager_a,
        "trainer": world.trainer_a,
        "enterprise": world.enterprise_user,
    }[role]


def role_may(role: str, endpoint: str) -> bool:
    """The declared matrix (core/permissions.py): may this role reach the endpoint at all?"""
    access = ENDPOINT_ACCESS.get(endpoint)
    return access in (PUBLIC, ANY_USER) or (isinstance(access, frozenset) and Role(role) in access)


def get_rules(app) -> list:
    """Every rule answering GET, except static files."""
    return [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and rule.endpoint != "static"]


def write_only_rules(app) -> list:
    """Every rule that does not answer GET (a GET on it must be a clean 405, never a 500 or data)."""
    return [rule for rule in app.url_map.iter_rules() if "GET" not in rule.methods]


def endpoint_of(app, url: str) -> str:
    """The endpoint a GET URL is routed to."""
    path = url.split("?")[0]
    return app.url_map.bind("localhost").match(path, method="GET")[0]


def build_url(app, rule, world, overrides: dict | None = None) -> str:
    with app.test_request_context():
        return url_for(rule.endpoint, **url_args(rule, world, overrides))


def sweep_urls(app, world, rules: Iterable, id_sets: Iterable[dict] = ({},), queries: Iterable[str] = ()) -> list[str]:
    """Every rule's URL under each set of ids, deduplicated; each parameterless one that is not public
    (the list pages and list APIs) also with each query string."""
    urls: dict[str, None] = {}
    queries = list(queries)
    for rule in rules:
        for overrides in id_sets:
            url = build_url(app, rule, world, overrides)
            if rule.endpoint in REQUIRED_QUERIES:
                url += "?" + REQUIRED_QUERIES[rule.endpoint]
            urls[url] = None
            if not rule.arguments and ENDPOINT_ACCESS.get(rule.endpoint) != PUBLIC:
                for query in queries:
                    urls[url + ("&" if "?" in url else "?") + query.lstrip("?")] = None
    return list(urls)


# ---------------------------------------------------------------- fetching and reading answers

@dataclass
class Fetched:
    url: str
    status: int
    mimetype: str
    text: str  # the body as text; a spreadsheet's every cell value, one per line; a PDF's extracted text
    response: object

    @property
    def is_html(self) -> bool:
        return self.mimetype == "text/html"

    @property
    def is_xlsx(self) -> bool:
        return self.mimetype == XLSX_MIMETYPE


class Browser:
    """One user's way in: a logged-in, fresh page session and a bearer token for /api/ URLs."""

    def __init__(self, app, user, login_as, api_headers):
        self.user = user
        self.pages = login_as(user)
        self.api = app.test_client()
        self.headers = api_headers(user)

    def get(self, url: str) -> Fetched:
        is_api = url.startswith("/api/")
        response = self.api.get(url, headers=self.headers) if is_api else self.pages.get(url)
        return read(url, response)


class Anonymous:
    """No session, no token."""

    def __init__(self, app):
        self.client = app.test_client()

    def get(self, url: str) -> Fetched:
        return read(url, self.client.get(url))


def read(url: str, response) -> Fetched:
    data = response.get_data()
    if response.mimetype == XLSX_MIMETYPE:
        text = "\n".join(str(cell.value) for _sheet, cell in spreadsheet_cells(data) if cell.value is not None)
    elif response.mimetype == "application/pdf":
        text = pdf_text(data)
    else:
        text = data.decode("utf-8", errors="replace")
    return Fetched(url, response.status_code, response.mimetype, text, response)


def pdf_text(data: bytes) -> str:
    """A PDF's text as a reader's tools extract it (the documents of docs/api.md "Documents"), page by page; an
    uploaded file that only claims to be a PDF (claim evidence) is read as its bytes."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    except (PdfReadError, ValueError):
        return data.decode("utf-8", errors="replace")


def spreadsheet_cells(data: bytes):
    """(sheet title, cell) for every cell of every sheet of an xlsx file."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                yield sheet.title, cell


LINK = re.compile(r'(?:href|data-[a-z-]*url)="(/[^"]*)"')


def links_in(body: str) -> set[str]:
    """Same-site links of a page (hrefs and data-*-url attributes), static files left out."""
    found = set()
    for raw in LINK.findall(body):
        url = html.unescape(raw).split("#")[0]
        if url and not url.startswith(("//", "/static/")):
            found.add(url)
    return found


def crawl(browser, urls: Iterable[str], follow_links: bool = True) -> list[Fetched]:
    """Fetch every URL, then (one level) every same-site link found in the HTML pages fetched."""
    seen: dict[str, Fetched] = {}
    for url in urls:
        if url not in seen:
            seen[url] = browser.get(url)
    if follow_links:
        found: dict[str, None] = {}
        for page in list(seen.values()):
            if page.is_html and page.status == 200:
                found.update(dict.fromkeys(links_in(page.text)))
        for url in found:
            if url not in seen:
                seen[url] = browser.get(url)
    return list(seen.values())


def unreached(app, pages: Iterable[Fetched], rules: Iterable) -> list[str]:
    """Endpoints among `rules` that no fetched URL reached with an answer below 400 (the sweep saw no content)."""
    reached = set()
    for page in pages:
        if page.status < 400 and not page.url.startswith("POST "):
            try:
                reached.add(endpoint_of(app, page.url))
            except HTTPException:  # no GET route (a 404 page, a redirect to one)
                continue
    return sorted({rule.endpoint for rule in rules} - reached)


def server_errors(pages: Iterable[Fetched]) -> list[str]:
    return [f"{page.url} -> {page.status}" for page in pages if page.status >= 500]


# ---------------------------------------------------------------- the schema's free-text columns

SKIP_TABLES = {"audit_events", "audit_chain_head", "api_tokens", "alembic_version"}
# Not free text: codes, keys, enums kept as strings, hashes, file names on disk, formats checked on read.
SKIP_COLUMNS = {"id_number", "uscc", "code", "period", "month", "subject_key", "kind", "from_status", "to_status",
                "stored_name", "content_type", "sha256", "hash", "prev_hash", "last_hash", "token_hash",
                "password_hash", "totp_secret", "key", "source", "level", "reason_code"}


def text_columns() -> list[sa.Column]:
    """Free-text String/Text columns of every table, narrowest first (the XSS and formula sweeps fill them all)."""
    columns = []
    for table in _db.metadata.sorted_tables:
        if table.name in SKIP_TABLES:
            continue
        for column in table.columns:
            if (not isinstance(column.type, sa.String) or isinstance(column.type, sa.Enum) or column.foreign_keys
                    or column.primary_key or column.name in SKIP_COLUMNS or column.name.endswith("_code")):
                continue
            columns.append(column)
    return sorted(columns, key=lambda c: (c.type.length or 10_000, c.table.name, c.name))


def is_unique(column: sa.Column) -> bool:
    """Is the column part of a unique constraint (its rows need different values)?"""
    return any(column.name in {c.name for c in constraint.columns}
               for constraint in column.table.constraints if isinstance(constraint, sa.UniqueConstraint))

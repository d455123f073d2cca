"""Every page a role reaches from its navigation, in Chinese, reads as Chinese: no English words, no bare
record numbers, no raw codes (docs/architecture.md rule 11: "People read names, never ids or codes").

The pages are those of the demo site (`flask seed demo`: claims, batches, monthly reports and a year of
history, so every list has rows), signed in as each demo user: every item of the role's navigation
(core/ui.py NAV_GROUPS, as the matrix lets the role in) and the first detail page each of those lists
links to. Visible text and the aria-label, title and placeholder attributes are read; scripts, styles and
hidden form values are not.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask import url_for
from sqlalchemy import select

from base_ops.accounts.models import User
from base_ops.core.permissions import may_access
from base_ops.core.ui import NAV_GROUPS
from tests.security.crawl import endpoint_of, links_in

# Words a Chinese user may read as they are: the product's brand, file formats, units and ID formats.
ALLOWED_WORDS = {
    "PDF", "Excel", "xlsx", "CSV", "ID", "API", "TOTP", "USCC", "QR", "OK", "kg", "km", "m²", "Bootstrap",
    "ECharts", "Token", "HTTP", "URL", "PIN", "IP", "JPG", "PNG", "MB", "GB",
    "English",  # the language switch names the other language in that language
}
# A word standing alone: letters inside a code (a USCC such as 91330106MA27XK3L01) are no word.
WORD = re.compile(r"(?<![0-9A-Za-z])[A-Za-z][A-Za-z_]+(?![0-9A-Za-z])")
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
BARE_NUMBER = re.compile(r"#\s?\d+")
# A six-digit region code standing alone where a county's name belongs (a text node of only the code,
# or "行政区划 330100").
REGION_CODE = re.compile(r"^\s*(?:行政区划\s*)?\d{6}\s*$")
SKIP_TAGS = {"script", "style", "template", "noscript"}
READ_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Reader(HTMLParser):
    """Visible text nodes and the read attributes of an HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in SKIP_TAGS and tag not in VOID:
            self.skip += 1
        if tag == "input" and attributes.get("type") == "hidden":
            return
        for name in READ_ATTRIBUTES:
            if attributes.get(name):
                self.texts.append(f"{name}={attributes[name]}")
        if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
            self.texts.append(attributes["value"])

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.texts.append(data.strip())


def offences(body: str, data: frozenset = frozenset()) -> list[str]:
    """The pieces of a page a Chinese user should not read; `data` are texts the page shows as data."""
    reader = _Reader()
    reader.feed(body)
    found = []
    for text in reader.texts:
        if text in data:
            continue
        value = text.split("=", 1)[1] if text.split("=", 1)[0] in READ_ATTRIBUTES else text
        if SNAKE.search(value):
            found.append(f"code: {text}")
        elif BARE_NUMBER.search(value):
            found.append(f"bare number: {text}")
        elif REGION_CODE.match(value) and value not in data:
            found.append(f"region code: {text}")
        else:
            english = [w for w in WORD.findall(value) if w not in ALLOWED_WORDS]
            if english:
                found.append(f"English {english}: {text}")
    return found


@pytest.fixture
def demo(db, monkeypatch):
    from base_ops.seed import loaders

    assert loaders.load_demo() is True
    return db


def _nav_urls(user) -> list[str]:
    urls = []
    for _label, _icon, items in NAV_GROUPS:
        for endpoint, _item_label, _item_icon in items:
            if may_access(user, endpoint):
                urls.append(url_for(endpoint))
    return urls


def _detail_links(app, body: str, seen_endpoints: set) -> list[str]:
    """The first link of the page to each detail page (an endpoint with an id in its URL) not yet seen."""
    found = []
    for url in sorted(links_in(body)):
        if url.startswith("/api/") or "?" in url:
            continue
        try:
            endpoint = endpoint_of(app, url)
        except Exception:  # a link to a POST-only URL or a 404
            continue
        rule = next(app.url_map.iter_rules(endpoint))
        if rule.arguments and endpoint not in seen_endpoints:
            seen_endpoints.add(endpoint)
            found.append(url)
    return found


def _data_of(url: str, usernames: frozenset, body: str) -> frozenset:
    """What a page shows as data, not words: the admin's user pages each account's sign-in name, the
    regions page (the GB/T 2260 table itself) each region's code."""
    if url.startswith("/admin/users"):
        return usernames
    if url.startswith("/admin/regions"):
        return frozenset(re.findall(r"<code>(\d{6})</code>", body))
    return frozenset()


def crawl_role(app, client, user, usernames: frozenset = frozenset()) -> dict[str, list[str]]:
    with app.test_request_context():
        start = _nav_urls(user)
    problems: dict[str, list[str]] = {}
    seen_endpoints: set = set()
    queue = list(start)
    for url in start:
        response = client.get(url)
        if response.mimetype == "text/html" and response.status_code == 200:
            queue.extend(_detail_links(app, response.get_data(as_text=True), seen_endpoints))
    for url in dict.fromkeys(queue):
        response = client.get(url)
        assert response.status_code < 500, url
        if response.mimetype != "text/html" or response.status_code != 200:
            continue
        body = response.get_data(as_text=True)
        found = offences(body, _data_of(url, usernames, body))
        if found:
            problems[url] = sorted(set(found))
    return problems


def test_the_offence_reader_catches_what_it_should():
    page = ('<p>安置就业 #25</p><td>330127</td><span aria-label="breadcrumb"></span><p>contract_too_short</p>'
            '<p>导出 Excel 与 PDF</p><script>var x = "English";</script><input type="hidden" value="Stay">')
    assert offences(page) == ["bare number: 安置就业 #25", "region code: 330127",
                              "English ['breadcrumb']: aria-label=breadcrumb", "code: contract_too_short"]


def test_every_page_of_every_role_reads_chinese(app, demo, login_as):
    """Each demo user in turn; the failure lists (page, offending text)."""
    report = []
    users = demo.session.execute(select(User).order_by(User.id)).scalars().all()
    usernames = frozenset(user.username for user in users)
    for user in users:
        problems = crawl_role(app, login_as(user), user, usernames)
        for url, found in problems.items():
            report.extend(f"[{user.username}] {url}: {piece}" for piece in found)
    assert not report, "\n" + "\n".join(sorted(set(report)))

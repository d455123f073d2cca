"""Accessibility helpers for the browser tests: axe-core (vendored) and the page crawl.

axe-core is vendored under tests/e2e/vendor/axe-core/ (``npm pack axe-core@4``; see
scripts/vendor_assets.sh), never loaded from a CDN. It is injected with ``page.evaluate``,
which runs through the DevTools protocol and so is not refused by the app's strict
Content-Security-Policy (script-src 'self'), which stays on for the pages under test.
"""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = (1280, 390)
HEIGHTS = {1280: 900, 390: 844}

_axe_source: str | None = None


def axe_source() -> str:
    global _axe_source
    if _axe_source is None:
        _axe_source = AXE_JS.read_text(encoding="utf-8")
    return _axe_source


def run_axe(page, tags=WCAG_TAGS) -> list[dict]:
    """axe-core's violations of `tags` on the page as it is now: [{id, impact, help, nodes: [...]}, ...]."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    return page.evaluate(
        """async (tags) => {
            const result = await window.axe.run(document, {
                runOnly: {type: 'tag', values: tags},
                resultTypes: ['violations'],
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 200),
                                          summary: (n.failureSummary || '').slice(0, 300)})),
            }));
        }""",
        tags,
    )


def describe(violations_by_page: dict[str, list[dict]], limit: int = 4) -> str:
    """A readable report: page → rule → a few offending nodes."""
    lines = []
    for where, violations in violations_by_page.items():
        for v in violations:
            lines.append(f"{where}: {v['id']} ({v['impact']}) {v['help']} — {len(v['nodes'])} node(s)")
            for node in v["nodes"][:limit]:
                lines.append(f"    {node['target']}  {node['html'][:120]}")
                if node["summary"]:
                    lines.append("      " + node["summary"].replace("\n", " | ")[:260])
    return "\n".join(lines)


# ---------------------------------------------------------------- crawl

# Links that are no page to audit: sign-out, files, the API, static assets.
SKIP = re.compile(r"^/(static|api)/|\.(xlsx|csv|pdf|zip|png|jpe?g|json)$|/download\b|/evidence/\d+$|/file$|/logout$")
NUMBER = re.compile(r"/\d+(?=/|$)")
DATE_PART = re.compile(r"/\d{4}-\d{2}(-\d{2})?(?=/|$)")


# Query parameters that pick another view of a page (a tab, a status filter): each value is a page of its own.
VIEW_PARAMS = {"status", "tab", "kind", "active", "flag"}


def page_kind(path_and_query: str) -> str:
    """What makes two URLs the same page: the path with ids and dates blanked, the query's names, and the
    values of the parameters that pick a tab or a status."""
    parts = urlsplit(path_and_query)
    path = DATE_PART.sub("/{date}", NUMBER.sub("/{id}", parts.path))
    keys = set()
    for pair in parts.query.split("&"):
        if not pair:
            continue
        name, _eq, value = pair.partition("=")
        if name in ("page", "next"):
            continue
        keys.add(f"{name}={value}" if name in VIEW_PARAMS else name)
    return path + ("?" + "&".join(sorted(keys)) if keys else "")


def page_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: it reflows; WCAG 1.4.10)."""
    return page.evaluate("() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")


def overflowing_elements(page, limit: int = 5) -> list[str]:
    """The elements that stick out to the right of the viewport (outside scroll regions), for the report."""
    return page.evaluate(
        """(limit) => {
            const found = [];
            const width = window.innerWidth;
            for (const el of document.body.querySelectorAll('*')) {
                if (el.closest('.table-responsive, [role=region], .modal, .dropdown-menu')) continue;
                const box = el.getBoundingClientRect();
                if (box.width && box.right > width + 1) {
                    const cls = typeof el.className === 'string' ? el.className.trim().replace(/ +/g, '.') : '';
                    found.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (cls ? '.' + cls : '') +
                               ' right=' + Math.round(box.right));
                    if (found.length >= limit) break;
                }
            }
            if (!found.length) {  // text sticking out of its box (a long number that does not wrap)
                const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                const range = document.createRange();
                while (walker.nextNode() && found.length < limit) {
                    const node = walker.currentNode;
                    if (!node.textContent.trim()) continue;
                    if (node.parentElement.closest('.table-responsive, [role=region], .modal')) continue;
                    range.selectNodeContents(node);
                    const box = range.getBoundingClientRect();
                    if (box.width && box.right > width + 1) {
                        found.push('text "' + node.textContent.trim().slice(0, 30) + '" in ' +
                                   node.parentElement.tagName.toLowerCase() + '.' + node.parentElement.className +
                                   ' right=' + Math.round(box.right));
                    }
                }
            }
            return found;
        }""",
        limit,
    )


def same_site_links(page, base_url: str) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "a[href]:not([download])", "links => links.map(a => a.href)")
    found = []
    for href in hrefs:
        href, _fragment = urldefrag(href)
        if not href.startswith(base_url + "/"):
            continue
        path = href[len(base_url):]
        if SKIP.search(urlsplit(path).path):
            continue
        found.append(path)
    return found


def crawl(page, base_url: str, start: str = "/", limit: int = 150, visit=None) -> list[str]:
    """Breadth-first over the same-site links a signed-in user can follow, one URL per page kind.

    `visit(path)` is called with the page loaded; it returns nothing. Returns the paths visited.
    A link to another kind of page is followed once (the first one found); files are skipped.
    """
    seen_kinds: set[str] = set()
    queue: deque[str] = deque([start])
    visited: list[str] = []
    while queue and len(visited) < limit:
        path = queue.popleft()
        kind = page_kind(path)
        if kind in seen_kinds:
            continue
        seen_kinds.add(kind)
        response = page.goto(base_url + path)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        landed = page.url[len(base_url):] if page.url.startswith(base_url) else page.url
        if urlsplit(landed).path in ("/login",) and path != "/login":
            raise AssertionError(f"signed out while crawling: {path} went to {landed}")
        visited.append(path)
        if visit is not None:
            visit(path)
        for link in same_site_links(page, base_url):
            if page_kind(link) not in seen_kinds:
                queue.append(link)
    return visited

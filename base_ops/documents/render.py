"""HTML → PDF with WeasyPrint (A4, fonts embedded as subsets), and the response that carries it.

The engine lays the page out with Pango and HarfBuzz and finds fonts through fontconfig: the
documents ask for "Noto Serif CJK SC" / "Noto Sans CJK SC" (fonts-noto-cjk, installed by .ci/run and
named in README "Documents"); the PDF embeds the subsets it uses, so the Chinese prints on any machine.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, unquote, urlparse

from flask import Response, current_app, render_template
from flask_babel import gettext as _

PDF_MIMETYPE = "application/pdf"


def page_counter_css() -> str:
    """The footer's "第 x 页 共 y 页" as a CSS `content` value: the translated words around the page counters."""
    text = _("Page %(page)s of %(pages)s", page="\x01", pages="\x02")
    parts: list[str] = []
    for chunk in text.replace("\x02", "\x00\x02\x00").replace("\x01", "\x00\x01\x00").split("\x00"):
        if chunk == "\x01":
            parts.append("counter(page)")
        elif chunk == "\x02":
            parts.append("counter(pages)")
        elif chunk:
            parts.append('"' + chunk.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return " ".join(parts)


def static_only_fetcher():
    """WeasyPrint may read the app's own static files, nothing else: a document never reaches the network,
    and no value typed by a user can make the server fetch a URL or read a file elsewhere."""
    from weasyprint.urls import URLFetcher  # imported late: Pango is loaded only when a document is printed

    static = Path(current_app.static_folder).resolve()

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):
            parsed = urlparse(url)
            path = Path(unquote(parsed.path)).resolve() if parsed.scheme == "file" else None
            if path is None or not path.is_relative_to(static):
                raise ValueError("documents load nothing outside static/")
            return super().fetch(url, headers)

    return StaticOnly(allowed_protocols=("file",), fail_on_errors=False)


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    base_url = Path(current_app.static_folder).resolve().as_uri() + "/"
    return HTML(string=html, base_url=base_url, url_fetcher=static_only_fetcher()).write_pdf()


def render_pdf(template: str, **context) -> bytes:
    """A document template (extending documents/_paper.html) rendered to PDF bytes."""
    from base_ops.documents.vocabulary import labels

    return html_to_pdf(render_template(template, page_counter=page_counter_css(), **labels(), **context))


def pdf_response(content: bytes, filename: str, ascii_filename: str) -> Response:
    """Shown in the browser (inline), saved under the Chinese name (RFC 5987 `filename*`) or, by an old
    client, under the ASCII one."""
    disposition = f"inline; filename=\"{ascii_filename}\"; filename*=UTF-8''{quote(filename, safe='')}"
    return Response(content, mimetype=PDF_MIMETYPE,
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})


def document_response(document) -> Response:
    """A built document (documents.queries.Document) printed and sent."""
    pdf = render_pdf(document.template, doc=document, **document.context)
    return pdf_response(pdf, document.filename, document.ascii_filename)

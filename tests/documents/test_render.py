"""The renderer: the page counter in the reader's language, and nothing fetched but the app's static files."""

from __future__ import annotations

from pathlib import Path

import pytest

from base_ops.documents import render


def test_page_counter_is_the_translated_words_around_the_counters(app):
    with app.test_request_context():
        assert render.page_counter_css() == '"第 " counter(page) " 页 共 " counter(pages) " 页"'


def test_the_fetcher_reads_static_files_only(app):
    with app.test_request_context():
        fetcher = render.static_only_fetcher()
        static = Path(app.static_folder).resolve()
        some_file = next(p for p in static.rglob("*.css"))
        response = fetcher(some_file.as_uri())
        assert response.read()  # the file itself
        response.close()
        for url in ("file:///etc/hostname", (static / ".." / "README.md").as_uri(), "http://127.0.0.1:9/x.png",
                    "data:text/plain,hi"):
            with pytest.raises(ValueError):
                fetcher(url)


def test_a_document_with_a_foreign_image_still_prints(app):
    with app.test_request_context():
        pdf = render.html_to_pdf('<p>张三</p><img src="http://127.0.0.1:9/x.png"><img src="file:///etc/hostname">')
    assert pdf.startswith(b"%PDF")

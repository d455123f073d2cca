"""Documents tests: a frozen today and helpers that read a PDF back as text (pypdf; pdftotext where installed)."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

TODAY = date(2026, 12, 21)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "documents"


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: TODAY)
    return TODAY


def pdf_text(response) -> str:
    """The text of a PDF response, as pypdf extracts it, with the layout's spaces and line breaks removed
    (a table cell may wrap)."""
    from pypdf import PdfReader

    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


def poppler_text(data: bytes) -> str:
    """The same through poppler's pdftotext (what a clerk's tools use), or '' where it is not installed."""
    if shutil.which("pdftotext") is None:
        return ""
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout
    return "".join(out.decode().split())


def audit_rows(db, action="document_printed"):
    from base_ops.core.audit import AuditEvent

    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def keep_picture(data: bytes, name: str) -> None:
    """With KEEP_DOCUMENT_PICTURES set, the first page as PNG under test-artifacts/documents/ (to look at)."""
    import os

    if not os.environ.get("KEEP_DOCUMENT_PICTURES") or shutil.which("pdftoppm") is None:
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", "-", str(ARTIFACTS / name)],
                   input=data, check=True)

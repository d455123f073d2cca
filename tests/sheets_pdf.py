"""Print a spreadsheet for real (issue 21): LibreOffice headless converts it to PDF, poppler reads it back.

Shared by the tests that print sheets. Without LibreOffice and poppler-utils a developer's machine skips
them; under CI (the `CI` variable set, as `.ci/run` does, which installs libreoffice-calc-nogui) a missing
tool fails instead, so the check cannot silently stop running."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
READY = bool(SOFFICE and shutil.which("pdftotext") and shutil.which("pdfinfo"))
MISSING = "LibreOffice (libreoffice-calc-nogui) and poppler-utils are not installed"


def require_printing() -> None:
    """Skip without the tools, or fail under CI, where .ci/run installs them."""
    if READY:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{MISSING}, but CI must print the spreadsheets: install them (.ci/run system_packages)")
    pytest.skip(MISSING)


def pdf_pages(tmp_path, content: bytes, name: str = "sheet") -> tuple[int, list[str]]:
    """(page count, text of each page) of the workbook printed as LibreOffice prints it: every sheet in turn."""
    require_printing()
    source = tmp_path / f"{name}.xlsx"
    source.write_bytes(content)
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), str(source)], check=True, capture_output=True, timeout=180)
    pdf = tmp_path / f"{name}.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    texts = [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(pdf), "-"], check=True,
                            capture_output=True, text=True).stdout for n in range(1, pages + 1)]
    return pages, texts


def flat(text: str) -> str:
    return text.replace(" ", "").replace("\n", "")

"""Hostile spreadsheets given to the release-notice import are refused quickly, before they are parsed in full.

Security finding: a 450 KB .xlsx that unpacks to 95 MB (700,000 rows) tied a worker up for ~50 s, because
the whole sheet went through pandas before the "more than 20000 rows" check. Every file here is built by hand
(zip bombs, sheets whose dimension lies, one row of 10,000 columns, a huge or a bombed shared-strings table, an
XML entity bomb, CSVs with too many rows or one enormous line) and must be refused with an error on the upload
field, in under SECONDS, with nothing written and no upload kept.
"""

from __future__ import annotations

import functools
import io
import random
import re
import string
import struct
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator

import pytest

from base_ops.core.errors import ValidationFailed
from base_ops.intake.notices import importer as notices_import
from tests.intake.test_import import ZH_HEADERS, csv_bytes, good_row, import_dir, upload, xlsx_bytes
from tests.intake.test_notices import freeze_today, notice_count

# The old code needed ~50 s for the finding's file; a refusal while streaming takes about a second at most.
SECONDS = 5.0  # generous for a loaded CI machine: the worst file takes ~1.3 s here

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

CONTENT_TYPES = XML_DECLARATION + (
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml"'
    b' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml"'
    b' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b'<Override PartName="/xl/sharedStrings.xml"'
    b' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    b'</Types>'
)
ROOT_RELS = XML_DECLARATION + (
    f'<Relationships xmlns="{PACKAGE_REL_NS}">'
    f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
    '</Relationships>'
).encode()
WORKBOOK = XML_DECLARATION + (
    f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
    '<sheets><sheet name="通知书" sheetId="1" r:id="rId1"/></sheets></workbook>'
).encode()
WORKBOOK_RELS = XML_DECLARATION + (
    f'<Relationships xmlns="{PACKAGE_REL_NS}">'
    f'<Relationship Id="rId1" Type="{REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
    '</Relationships>'
).encode()
EMPTY_SHARED_STRINGS = XML_DECLARATION + f'<sst xmlns="{MAIN_NS}" count="0" uniqueCount="0"></sst>'.encode()


# ---------------------------------------------------------------- building hostile workbooks

def inline(text: str) -> str:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'


HEADER_ROW = ("<row>" + "".join(inline(h) for h in ZH_HEADERS) + "</row>").encode()


def sheet_xml(rows: Iterable[bytes], dimension: str | None = None, prologue: bytes = b"") -> Iterator[bytes]:
    """A worksheet part as a stream of bytes: the header row, then `rows` (each one <row> element)."""
    yield XML_DECLARATION + prologue + f'<worksheet xmlns="{MAIN_NS}">'.encode()
    if dimension:
        yield f'<dimension ref="{dimension}"/>'.encode()
    yield b"<sheetData>" + HEADER_ROW
    yield from rows
    yield b"</sheetData></worksheet>"


def workbook(sheet: Iterable[bytes], shared_strings: Iterable[bytes] = (EMPTY_SHARED_STRINGS,),
             extra_members: int = 0) -> bytes:
    """A minimal .xlsx whose sheet and shared strings are written as streams, deflated (so a small file can
    unpack to a huge one)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        for name, chunks in (("xl/worksheets/sheet1.xml", sheet), ("xl/sharedStrings.xml", shared_strings)):
            with archive.open(name, "w") as member:
                for chunk in chunks:
                    member.write(chunk)
        for n in range(extra_members):
            archive.writestr(f"customXml/item{n}.xml", b"<a/>")
    return buffer.getvalue()


def varied_rows(count: int) -> Iterator[bytes]:
    """Rows that differ from each other, so they compress like real data (about 7 to 1), not like a bomb."""
    for n in range(2, count + 2):
        yield (f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>3301061985{n * 7919 % 99999989:08d}</t></is></c>'
               f'<c r="B{n}"><v>{n}</v></c></row>').encode()


def finding_replica() -> bytes:
    """The reported file: ~0.5 MB that unpacks to ~95 MB, 700,000 identical rows."""
    row = ("<row>" + inline("330106198501010011") + inline("浙江省第一监狱") + "<c><v>1</v></c></row>").encode()
    return workbook(sheet_xml(row for _ in range(700_000)))


def many_rows() -> bytes:
    """150,000 rows, under the unpacked ceiling and with an ordinary compression ratio: only counting stops it."""
    return workbook(sheet_xml(varied_rows(150_000)))


def lying_dimension() -> bytes:
    """The sheet declares two rows (A1:J2) and holds 40,000: the declaration must not be believed."""
    return workbook(sheet_xml(varied_rows(40_000), dimension="A1:J2"))


def ten_thousand_columns() -> bytes:
    row = b'<row r="2">' + b"".join(b"<c><v>%d</v></c>" % n for n in range(10_000)) + b"</row>"
    return workbook(sheet_xml([row], dimension="A1:J2"))


def empty_cell_flood() -> bytes:
    """600,000 styled empty cells (30 to a row): nothing to import, but each one costs parsing time."""
    def rows():
        for n in range(2, 20_002):
            yield (f'<row r="{n}">' + "".join(f'<c r="{column}{n}" s="1"/>' for column in string.ascii_uppercase)
                   + f'<c r="AA{n}" s="1"/><c r="AB{n}" s="1"/><c r="AC{n}" s="1"/><c r="AD{n}" s="1"/></row>'
                   ).encode()
    return workbook(sheet_xml(rows()))


def huge_shared_string() -> bytes:
    """One shared string of a million random letters (it does not compress, so only its length can stop it)."""
    text = "".join(random.Random(7).choices(string.ascii_letters, k=1_000_000))
    strings = [XML_DECLARATION, f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>'.encode(),
               text.encode(), b"</t></si></sst>"]
    return workbook(sheet_xml([b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>']), strings)


def shared_strings_bomb() -> bytes:
    """600,000 distinct shared strings; the table is loaded before any cell refers to it."""
    def strings():
        yield XML_DECLARATION + f'<sst xmlns="{MAIN_NS}">'.encode()
        yield from (b"<si><t>%d</t></si>" % n for n in range(600_000))
        yield b"</sst>"
    return workbook(sheet_xml([b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>']), strings())


def shared_strings_zip_bomb() -> bytes:
    """A shared-strings part of 200 MB of one letter: it deflates ~1000 to 1."""
    def strings():
        yield XML_DECLARATION + f'<sst xmlns="{MAIN_NS}"><si><t>'.encode()
        yield from (b"A" * 2**20 for _ in range(200))
        yield b"</t></si></sst>"
    return workbook(sheet_xml([]), strings())


def entity_bomb() -> bytes:
    """Billion laughs: ten levels of ten references expand one entity into 10^9 'lol's."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">' for level in range(1, 10)]
    doctype = f"<!DOCTYPE worksheet [{''.join(entities)}]>".encode()
    return workbook(sheet_xml([b'<row r="2">' + inline("&lol9;").encode() + b"</row>"], prologue=doctype))


def lying_declared_size() -> bytes:
    """A sheet member of 8 MB whose zip headers declare 2,000 bytes."""
    name = b"xl/worksheets/sheet1.xml"
    patched = bytearray(workbook(sheet_xml(varied_rows(70_000))))
    local = zipfile.ZipFile(io.BytesIO(patched)).getinfo(name.decode()).header_offset
    struct.pack_into("<I", patched, local + 22, 2000)  # the local file header's uncompressed size
    end_of_directory = patched.rindex(b"PK\x05\x06")
    entry = struct.unpack_from("<I", patched, end_of_directory + 16)[0]  # the central directory's first entry
    while patched[entry + 46:entry + 46 + len(name)] != name:
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", patched, entry + 28)
        entry += 46 + name_length + extra_length + comment_length
    struct.pack_into("<I", patched, entry + 24, 2000)  # the central directory's uncompressed size
    return bytes(patched)


def too_many_members() -> bytes:
    return workbook(sheet_xml([]), extra_members=5_000)


def csv_many_rows() -> bytes:
    return csv_bytes([good_row(n) for n in range(30_000)])


def csv_ten_megabyte_line() -> bytes:
    return ",".join(ZH_HEADERS).encode() + b"\r\n" + b"A" * (10 * 2**20) + b"\r\n"


def csv_four_megabyte_line() -> bytes:
    """Under the 5 MB upload limit: the line itself must be refused, not handed to the CSV parser."""
    return ",".join(ZH_HEADERS).encode() + b"\r\n" + b"1," * (2 * 2**20) + b"\r\n"


def csv_five_thousand_columns() -> bytes:
    return ",".join(ZH_HEADERS).encode() + b"\r\n" + b",".join(b"1" for _ in range(5_000)) + b"\r\n"


def csv_endless_quoted_cell() -> bytes:
    """An opening quote that is never closed: four million short lines would all become one cell."""
    return ",".join(ZH_HEADERS).encode() + b'\r\n"' + b"a\r\n" * 1_300_000


HOSTILE: dict[str, tuple[str, Callable[[], bytes]]] = {
    "finding_replica": ("notices.xlsx", finding_replica),
    "many_rows": ("notices.xlsx", many_rows),
    "lying_dimension": ("notices.xlsx", lying_dimension),
    "ten_thousand_columns": ("notices.xlsx", ten_thousand_columns),
    "empty_cell_flood": ("notices.xlsx", empty_cell_flood),
    "huge_shared_string": ("notices.xlsx", huge_shared_string),
    "shared_strings_bomb": ("notices.xlsx", shared_strings_bomb),
    "shared_strings_zip_bomb": ("notices.xlsx", shared_strings_zip_bomb),
    "entity_bomb": ("notices.xlsx", entity_bomb),
    "lying_declared_size": ("notices.xlsx", lying_declared_size),
    "too_many_members": ("notices.xlsx", too_many_members),
    "csv_many_rows": ("notices.csv", csv_many_rows),
    "csv_ten_megabyte_line": ("notices.csv", csv_ten_megabyte_line),
    "csv_four_megabyte_line": ("notices.csv", csv_four_megabyte_line),
    "csv_five_thousand_columns": ("notices.csv", csv_five_thousand_columns),
    "csv_endless_quoted_cell": ("notices.csv", csv_endless_quoted_cell),
}


@functools.cache
def hostile(name: str) -> tuple[str, bytes]:
    """Each file is built once for the module (building is what takes time here)."""
    filename, build = HOSTILE[name]
    return filename, build()


@pytest.fixture(autouse=True)
def own_upload_folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))


@pytest.fixture
def frozen_today(monkeypatch):
    return freeze_today(monkeypatch)


def kept_uploads(app) -> list:
    folder = import_dir(app)
    return list(folder.iterdir()) if folder.exists() else []


def file_field_errors(html: str) -> list[str]:
    """The error messages shown under the upload field, if its input is marked invalid."""
    file_input = re.search(r'<input[^>]*name="file"[^>]*>', html)
    assert file_input, "the upload form is shown again"
    if "is-invalid" not in file_input.group(0):
        return []
    return re.findall(r'<div class="invalid-feedback d-block">([^<]*)</div>', html[file_input.end():])


# ---------------------------------------------------------------- the checks

def test_the_hostile_files_are_small(app):
    for name in HOSTILE:
        _filename, data = hostile(name)
        limit = 11 * 2**20 if name == "csv_ten_megabyte_line" else notices_import.MAX_BYTES
        assert len(data) <= limit, (name, len(data))


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_upload_is_refused_quickly_on_the_page(app, world, login_as, db, frozen_today, name):
    filename, data = hostile(name)
    client = login_as(world.manager_a)
    before = notice_count(db)

    started = time.monotonic()
    response = upload(client, data, filename)
    elapsed = time.monotonic() - started

    assert elapsed < SECONDS, f"{name}: refused after {elapsed:.1f} s"
    assert response.status_code == 200  # the upload page again, not a preview, never a 500
    errors = file_field_errors(response.get_data(as_text=True))
    assert errors, f"{name}: no error on the upload field"
    assert all(re.search(r"[\u4e00-\u9fff]", error) for error in errors), errors  # in Chinese
    assert notice_count(db) == before
    assert not kept_uploads(app)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_upload_is_a_422_on_the_file_field(app, world, db, frozen_today, name):
    filename, data = hostile(name)
    before = notice_count(db)

    started = time.monotonic()
    with pytest.raises(ValidationFailed) as caught:
        notices_import.upload_import(world.manager_a, filename, io.BytesIO(data))
    elapsed = time.monotonic() - started

    assert elapsed < SECONDS, f"{name}: refused after {elapsed:.1f} s"
    assert caught.value.status == 422
    assert list(caught.value.fields) == ["file"]
    assert notice_count(db) == before
    assert not kept_uploads(app)


@pytest.mark.parametrize(("name", "words"), [
    ("finding_replica", "MB"),
    ("many_rows", "20000"),
    ("lying_dimension", "20000"),
    ("ten_thousand_columns", "50"),
    ("empty_cell_flood", "500000"),
    ("huge_shared_string", "4000"),
    ("shared_strings_bomb", "500000"),
    ("entity_bomb", "DTD"),
    ("too_many_members", "200"),
    ("csv_many_rows", "20000"),
    ("csv_four_megabyte_line", "20000"),
    ("csv_five_thousand_columns", "50"),
])
def test_the_refusal_names_the_bound(world, db, name, words):
    filename, data = hostile(name)
    with pytest.raises(ValidationFailed) as caught:
        notices_import.upload_import(world.manager_a, filename, io.BytesIO(data))
    assert words in caught.value.fields["file"][0], caught.value.fields


# ---------------------------------------------------------------- good files at the bounds still go through

def test_a_sheet_of_exactly_max_rows_is_read_and_one_more_is_refused(world, db, frozen_today, monkeypatch):
    monkeypatch.setattr(notices_import, "MAX_ROWS", 30)
    rows = [good_row(n) for n in range(30)]
    for filename, data in (("a.xlsx", xlsx_bytes(rows)), ("a.csv", csv_bytes(rows))):
        check = notices_import.upload_import(world.manager_a, filename, io.BytesIO(data))
        assert (check.rows, [r for r, _clean in check.valid][-1]) == (30, 31)
    for filename, data in (("b.xlsx", xlsx_bytes([*rows, good_row(30)])), ("b.csv", csv_bytes([*rows, good_row(30)]))):
        with pytest.raises(ValidationFailed) as caught:
            notices_import.upload_import(world.manager_a, filename, io.BytesIO(data))
        assert "30" in caught.value.fields["file"][0]


def test_long_texts_up_to_the_field_limit_are_row_errors_not_file_refusals(world, db, frozen_today):
    """A risk assessment over 2000 characters is that row's mistake; the cell bound is well above it."""
    row = good_row(1)
    row[7] = "危" * 2500
    for filename, data in (("a.xlsx", xlsx_bytes([row, good_row(2)])), ("a.csv", csv_bytes([row, good_row(2)]))):
        check = notices_import.upload_import(world.manager_a, filename, io.BytesIO(data))
        assert [(e.row, e.field) for e in check.errors] == [(2, "risk_assessment")]
        assert [r for r, _clean in check.valid] == [3]

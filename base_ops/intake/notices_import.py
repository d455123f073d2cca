"""Bulk import of a prison's release notices from a spreadsheet (.xlsx or .csv, UTF-8 or GBK).

Two steps (security.md "Bulk import"): the upload is stored outside static/
and every row is checked with the same `validate_notice` the API uses, writing
nothing; the preview lists each bad row (spreadsheet row number, field,
reason). On confirmation the valid rows go in one transaction with one audit
row, and only when there are no bad rows or the user chose "valid rows only".
Regions, existing notices and residents are loaded once per file, not per row.

A file is read as a stream and refused at the first bound it passes, never parsed in full first (security
finding: a 450 KB .xlsx unpacking to 95 MB kept a worker busy ~50 s before "more than 20000 rows"). An
.xlsx is a zip: its directory is checked before anything in it is unpacked (parts, unpacked size,
compression ratio); then the workbook's XML parts are parsed a chunk at a time by expat, refusing any DTD
(the vehicle of entity-expansion bombs) and counting elements, cells, columns, text lengths and rows as
they come. The sheet's declared <dimension> is not used: it can lie. A .csv is read a line at a time, each
line bounded before the csv module splits it. Every refusal is an error on the upload field ("file").
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
import re
import secrets
import time
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from flask import current_app
from flask_babel import gettext as _
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel, from_ISO8601
from sqlalchemy import select

from base_ops.core import audit
from base_ops.core.errors import Conflict, NotFound, ValidationFailed
from base_ops.core.identity import mask_id_number
from base_ops.extensions import db
from base_ops.intake.models import ReleaseNotice
from base_ops.intake.notices import (
    LONG_TEXT_MAX,
    NOTICE_FIELDS,
    as_text,
    build_notice,
    due_dates,
    notice_rules,
    resident_ids_by_id_number,
    validate_notice,
)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
# What a file may hold, checked while it is read. A prison's list has ~10 columns of short text.
MAX_COLUMNS = 50  # no value right of column AX
MAX_CELL_CHARS = 2 * LONG_TEXT_MAX  # above every field's limit: an over-long text stays that row's error
MAX_CELLS = 500_000  # an .xlsx's cells, empty styled ones too (each costs parsing): 20,000 rows of 25
MAX_LINE_CHARS = 20_000  # a .csv line: a notice is ~150 characters, ~4,200 with both texts at their maximum
# An .xlsx's zip, checked from its directory before anything is unpacked.
MAX_ARCHIVE_MEMBERS = 200  # a workbook of a few sheets has 10-30 parts
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # a full 20,000-row sheet unpacks to ~10 MB
MAX_COMPRESSION_RATIO = 100  # sheets deflate 5-15 to 1; a zip bomb ~1000 to 1
RATIO_CHECKED_FROM_BYTES = 1024 * 1024  # a small part may compress as it likes: it cannot be a bomb
MAX_XML_ELEMENTS = 4 * MAX_CELLS  # in any one part: a cell is 2-4 elements (c, v or is and t, f)
XML_CHUNK_BYTES = 64 * 1024
EXTENSIONS = ("xlsx", "csv")
TOKEN = re.compile(r"^[0-9a-f]{32}$")
STALE_SECONDS = 24 * 3600
CHUNK = 500

# Column headers: the Chinese ones of the prisons' sheets, and api.md's field names.
HEADERS = {
    "身份证号": "id_number",
    "公民身份号码": "id_number",
    "身份证号码": "id_number",
    "姓名": "name",
    "监狱名称": "prison_name",
    "监狱所在地代码": "prison_region_code",
    "预计释放日期": "expected_release_on",
    "收到日期": "received_on",
    "接收地代码": "receiving_region_code",
    "危险性评估": "risk_assessment",
    "回归社会危险性评估意见": "risk_assessment",
    "救助建议": "relief_advice",
    "是否重点帮教对象": "is_key_subject",
    **{name: name for name in NOTICE_FIELDS},
}
# The header each field is shown under in the error table.
LABELS = {
    "id_number": "身份证号", "name": "姓名", "prison_name": "监狱名称", "prison_region_code": "监狱所在地代码",
    "expected_release_on": "预计释放日期", "received_on": "收到日期", "receiving_region_code": "接收地代码",
    "risk_assessment": "危险性评估", "relief_advice": "救助建议", "is_key_subject": "是否重点帮教对象",
}
OPTIONAL = frozenset({"risk_assessment", "relief_advice"})


@dataclass(frozen=True)
class RowError:
    row: int  # as in the spreadsheet: the header is row 1, the first data row is 2
    field: str
    reason: str

    @property
    def label(self) -> str:
        return LABELS.get(self.field, self.field)


@dataclass
class ImportCheck:
    """The outcome of checking a file: valid rows (row number, clean values) and the errors of the others."""

    token: str
    rows: int = 0
    valid: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def invalid_rows(self) -> int:
        return len({e.row for e in self.errors})

    def sample(self, n: int = 10) -> list[dict[str, Any]]:
        """The first valid rows for the preview, ID numbers masked."""
        return [{**clean, "row": row, "id_number": mask_id_number(clean["id_number"])} for row, clean in
                self.valid[:n]]


# ---------------------------------------------------------------- storage

def _folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _meta_path(token: str) -> Path:
    """Where the upload's owner and type are kept; the token must be one this module made."""
    if not TOKEN.match(token or ""):
        raise NotFound(_("No such upload."))
    return _folder() / f"{token}.json"


def _extension(filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if ext not in EXTENSIONS:
        raise ValidationFailed.on("file", _("must be an .xlsx or .csv file"))
    return ext


def _sniff(data: bytes, ext: str) -> None:
    """The content must be what the name says: an .xlsx is a zip holding a workbook; a .csv is text."""
    if not data:
        raise ValidationFailed.on("file", _("is empty"))
    if ext == "xlsx":
        if not data.startswith(b"PK\x03\x04"):
            raise ValidationFailed.on("file", _("is not an Excel .xlsx workbook"))
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                _check_archive(archive)
        except zipfile.BadZipFile:
            raise ValidationFailed.on("file", _("is not an Excel .xlsx workbook")) from None
    elif b"\x00" in data[:8192] or data.startswith(b"PK\x03\x04"):
        raise ValidationFailed.on("file", _("is not a text .csv file"))


def _check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse a zip bomb from the zip's directory alone, before anything is unpacked.

    The sizes are the declared ones; the parts that are read are measured again as they are unpacked.
    """
    members = archive.infolist()
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise ValidationFailed.on("file", _("holds more than %(max)s parts, more than any workbook",
                                            max=MAX_ARCHIVE_MEMBERS))
    if "xl/workbook.xml" not in {member.filename for member in members}:
        raise ValidationFailed.on("file", _("is not an Excel .xlsx workbook"))
    if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
        raise _unpacks_too_much()
    for member in members:
        if (member.file_size > RATIO_CHECKED_FROM_BYTES
                and member.file_size > MAX_COMPRESSION_RATIO * member.compress_size):
            raise ValidationFailed.on("file", _("is compressed more than %(ratio)s to 1, as no spreadsheet is",
                                                ratio=MAX_COMPRESSION_RATIO))


def _unpacks_too_much() -> ValidationFailed:
    return ValidationFailed.on("file", _("unpacks to more than %(mb)s MB", mb=MAX_UNPACKED_BYTES // 2**20))


def _purge_stale(folder: Path) -> None:
    cutoff = time.time() - STALE_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue


def store_upload(actor, filename: str, stream: IO[bytes]) -> str:
    """Keep an upload under UPLOAD_FOLDER/imports/<token>.<ext> for its owner; returns the token. Writes no rows."""
    ext = _extension(filename)
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationFailed.on("file", _("must be at most %(mb)s MB", mb=MAX_BYTES // 2**20))
    _sniff(data, ext)
    folder = _folder()
    _purge_stale(folder)
    token = secrets.token_hex(16)
    (folder / f"{token}.{ext}").write_bytes(data)
    meta = {"owner": actor.id, "ext": ext}
    (folder / f"{token}.json").write_text(json.dumps(meta))
    return token


def _owned_file(actor, token: str) -> tuple[Path, str]:
    """The stored file of this token if it belongs to the actor; 404 otherwise (someone else's is not found)."""
    meta_path = _meta_path(token)
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        raise NotFound(_("No such upload; it may have been imported or expired. Upload the file again.")) from None
    ext = meta.get("ext")
    path = meta_path.with_name(f"{token}.{ext}")
    if meta.get("owner") != actor.id or ext not in EXTENSIONS or not path.exists():
        raise NotFound(_("No such upload; it may have been imported or expired. Upload the file again."))
    return path, ext


def discard_upload(actor, token: str) -> None:
    path, _ext = _owned_file(actor, token)
    for p in (path, _meta_path(token)):
        p.unlink(missing_ok=True)


# ---------------------------------------------------------------- reading

def _header_field(header: Any) -> str | None:
    text = as_text(header)
    text = re.split(r"[（(]", text, maxsplit=1)[0].strip()  # 是否重点帮教对象（是/否）
    return HEADERS.get(text) or HEADERS.get(text.lower())


def read_rows(path: Path, ext: str) -> list[tuple[int, dict[str, Any]]]:
    """(row number, {field: cell}) of every non-blank data row of the first sheet; refused at the first bound passed."""
    try:
        return _mapped_rows(_xlsx_records(path) if ext == "xlsx" else _csv_records(path))
    except ValidationFailed:
        raise
    except Exception:  # a damaged or hostile file is a user mistake, never a 500
        current_app.logger.info("import: unreadable %s file", ext, exc_info=True)
        raise ValidationFailed.on("file", _("could not be read as a spreadsheet")) from None


def _mapped_rows(records: Iterable[tuple[int, dict[int, Any]]]) -> list[tuple[int, dict[str, Any]]]:
    """The first record is the header; the others become {field: cell}, counted against MAX_ROWS as they come."""
    records = iter(records)
    _number, header = next(records, (1, {}))
    columns: dict[int, str] = {}
    for index, text in sorted(header.items()):
        name = _header_field(text)
        if name is None:
            continue
        if name in columns.values():
            raise ValidationFailed.on("file", _("has two columns for %(column)s", column=LABELS[name]))
        columns[index] = name
    missing = [LABELS[f] for f in NOTICE_FIELDS if f not in columns.values() and f not in OPTIONAL]
    if missing:
        raise ValidationFailed.on("file", _("lacks the columns: %(columns)s", columns="、".join(missing)))
    rows = []
    for count, (number, cells) in enumerate(records, start=1):
        if count > MAX_ROWS:
            raise ValidationFailed.on("file", _("has more than %(max)s rows; split it", max=MAX_ROWS))
        raw = {name: cells.get(index, "") for index, name in columns.items()}
        if any(as_text(v) for v in raw.values()):
            rows.append((number, raw))
    return rows


def _value_beyond_last_column() -> ValidationFailed:
    return ValidationFailed.on("file", _("has a value beyond column %(max)s", max=MAX_COLUMNS))


def _cell_too_long() -> ValidationFailed:
    return ValidationFailed.on("file", _("has a cell longer than %(max)s characters", max=MAX_CELL_CHARS))


# ---------------------------------------------------------------- reading a .csv

def _csv_records(path: Path) -> Iterator[tuple[int, dict[int, str]]]:
    """(row number, {column index: text}) of every record, blank ones too, in UTF-8 (with or without BOM) or GBK."""
    data = path.read_bytes()  # at most MAX_BYTES
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationFailed.on("file", _("is neither UTF-8 nor GBK text"))
    for number, cells in enumerate(csv.reader(_bounded_lines(io.StringIO(text, newline=""))), start=1):
        if len(cells) > MAX_COLUMNS and any(cells[MAX_COLUMNS:]):
            raise _value_beyond_last_column()
        if any(len(cell) > MAX_CELL_CHARS for cell in cells):
            raise _cell_too_long()
        yield number, dict(enumerate(cells))


def _bounded_lines(lines: Iterable[str]) -> Iterator[str]:
    """The lines as they are, refusing one too long before the csv module splits it into (maybe a million) cells.

    A quoted cell spanning lines is bounded by the csv module itself (field_size_limit, 128 K characters).
    """
    for line in lines:
        if len(line) > MAX_LINE_CHARS:
            raise ValidationFailed.on("file", _("has a line longer than %(max)s characters", max=MAX_LINE_CHARS))
        yield line


# ---------------------------------------------------------------- reading an .xlsx

# Number formats 27-36 and 50-58 are dates in the Chinese (and Japanese, Korean) editions of Excel, which
# does not write them out ("yyyy年m月d日" is 31); openpyxl's table of built-in formats lacks them.
EAST_ASIAN_DATE_FORMATS = frozenset({*range(27, 37), *range(50, 59)})
CELL_REFERENCE = re.compile(r"^([A-Z]{1,3})\d{1,7}$")


def _xlsx_records(path: Path) -> Iterator[tuple[int, dict[int, Any]]]:
    """(row number, {column index: value}) of the first worksheet's rows holding a value, as they are parsed."""
    with zipfile.ZipFile(path) as archive:
        _check_archive(archive)
        relationships = _Relationships(archive, "xl/_rels/workbook.xml.rels").read().targets
        book = _Workbook(archive, "xl/workbook.xml").read()
        names = set(archive.namelist())
        sheets = [relationships[i][1] for i in book.sheet_ids
                  if relationships.get(i, ("", ""))[0] == "worksheet" and relationships[i][1] in names]
        if not sheets:
            raise ValidationFailed.on("file", _("is not an Excel .xlsx workbook"))
        parts = {kind: target for kind, target in relationships.values() if target in names}
        strings = _SharedStrings(archive, parts["sharedStrings"]).read().strings if "sharedStrings" in parts else []
        date_styles = _Styles(archive, parts["styles"]).read().date_styles() if "styles" in parts else frozenset()
        epoch = MAC_EPOCH if book.date1904 else WINDOWS_EPOCH
        yield from _Sheet(archive, sheets[0], strings, date_styles, epoch).rows()


def _local(name: str) -> str:
    """An element's or attribute's name without its namespace (expat gives "namespace local")."""
    return name.rsplit(" ", 1)[-1]


class _XmlPart:
    """One XML part of the workbook, unpacked and parsed a chunk at a time by expat, bounds checked as it goes.

    A DTD is refused outright: spreadsheets never have one, and its entities are what an XML bomb expands.
    Subclasses handle elements (by local name) and text.
    """

    def __init__(self, archive: zipfile.ZipFile, name: str):
        self.archive = archive
        self.name = name
        self.elements = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        pass

    def end(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass

    def parse(self) -> Iterator[None]:
        """Feed the part to expat; yields after each chunk, so what was parsed can be taken before the rest is."""
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True  # text in one call per run, not one per line or entity
        parser.StartDoctypeDeclHandler = self._refuse_dtd
        parser.EntityDeclHandler = self._refuse_dtd
        parser.StartElementHandler = self._start
        parser.EndElementHandler = lambda name: self.end(_local(name))
        parser.CharacterDataHandler = self.text
        unpacked = 0
        with self.archive.open(self.name) as source:
            while chunk := source.read(XML_CHUNK_BYTES):
                unpacked += len(chunk)
                if unpacked > MAX_UNPACKED_BYTES:  # whatever its directory entry declared
                    raise _unpacks_too_much()
                parser.Parse(chunk, False)
                yield
        parser.Parse(b"", True)
        yield

    def read(self):
        for _chunk in self.parse():
            pass
        return self

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        self.elements += 1
        if self.elements > MAX_XML_ELEMENTS:
            raise ValidationFailed.on("file", _("is too complex: more than %(max)s XML elements in %(part)s",
                                                max=MAX_XML_ELEMENTS, part=self.name))
        self.start(_local(name), {_local(key): value for key, value in attributes.items()})

    def _refuse_dtd(self, *_args) -> None:
        raise ValidationFailed.on("file", _("contains an XML DTD, which no spreadsheet has"))


class _Relationships(_XmlPart):
    """xl/_rels/workbook.xml.rels: the workbook's parts, {relationship id: (type, path in the zip)}."""

    def __init__(self, archive: zipfile.ZipFile, name: str):
        super().__init__(archive, name)
        self.targets: dict[str, tuple[str, str]] = {}

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if name == "Relationship" and attributes.get("TargetMode") != "External":
            target = attributes.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            self.targets[attributes.get("Id", "")] = (attributes.get("Type", "").rsplit("/", 1)[-1], path)


class _Workbook(_XmlPart):
    """xl/workbook.xml: the sheets' relationship ids in order, and whether dates count from 1904."""

    def __init__(self, archive: zipfile.ZipFile, name: str):
        super().__init__(archive, name)
        self.sheet_ids: list[str] = []
        self.date1904 = False

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if name == "sheet":
            self.sheet_ids.append(attributes.get("id", ""))
        elif name == "workbookPr":
            self.date1904 = attributes.get("date1904") in ("1", "true")


class _Styles(_XmlPart):
    """xl/styles.xml: which cell styles show their number as a date (such cells hold dates as day counts)."""

    def __init__(self, archive: zipfile.ZipFile, name: str):
        super().__init__(archive, name)
        self.custom_formats: dict[int, str] = {}
        self.cell_formats: list[int] = []  # the number format of each cell style (<cellXfs>), by style index
        self.in_cell_formats = False

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if name == "numFmt":
            self.custom_formats[int(attributes.get("numFmtId", 0))] = attributes.get("formatCode", "")
        elif name == "cellXfs":
            self.in_cell_formats = True
        elif name == "xf" and self.in_cell_formats:
            self.cell_formats.append(int(attributes.get("numFmtId", 0)))

    def end(self, name: str) -> None:
        if name == "cellXfs":
            self.in_cell_formats = False

    def date_styles(self) -> frozenset[int]:
        return frozenset(style for style, number_format in enumerate(self.cell_formats)
                         if number_format in EAST_ASIAN_DATE_FORMATS or is_date_format(
                             self.custom_formats.get(number_format) or BUILTIN_FORMATS.get(number_format)))


class _TextPart(_XmlPart):
    """A part holding cell texts: each is collected while `capturing`, refused past MAX_CELL_CHARS.

    Phonetic guides (<rPh>, the reading of East Asian text) are not part of the text.
    """

    def __init__(self, archive: zipfile.ZipFile, name: str):
        super().__init__(archive, name)
        self.capturing = False
        self.phonetic = False
        self.pieces: list[str] = []
        self.length = 0

    def begin_text(self) -> None:
        self.pieces = []
        self.length = 0

    def collected(self) -> str:
        return "".join(self.pieces)

    def text(self, data: str) -> None:
        if self.capturing:
            self.length += len(data)
            if self.length > MAX_CELL_CHARS:
                raise _cell_too_long()
            self.pieces.append(data)


class _SharedStrings(_TextPart):
    """xl/sharedStrings.xml: the texts cells refer to by index; loaded before the sheet, so bounded on its own."""

    def __init__(self, archive: zipfile.ZipFile, name: str):
        super().__init__(archive, name)
        self.strings: list[str] = []

    def start(self, name: str, _attributes: dict[str, str]) -> None:
        if name == "si":
            self.begin_text()
        elif name == "t":
            self.capturing = not self.phonetic
        elif name == "rPh":
            self.phonetic = True

    def end(self, name: str) -> None:
        if name == "t":
            self.capturing = False
        elif name == "rPh":
            self.phonetic = False
        elif name == "si":
            self.strings.append(self.collected())
            if len(self.strings) > MAX_CELLS:
                raise ValidationFailed.on("file", _("has more than %(max)s distinct cell texts", max=MAX_CELLS))


class _Sheet(_TextPart):
    """A worksheet, a row at a time: (row number, {column index: value}) of each row holding a value.

    Cells are counted (empty styled ones too), a value right of MAX_COLUMNS refuses the file as soon as it is
    met, in the middle of a row if need be. Values are what openpyxl gives: numbers, dates for numbers in a
    date style, booleans, texts.
    """

    def __init__(self, archive: zipfile.ZipFile, name: str, shared_strings: Sequence[str],
                 date_styles: frozenset[int], epoch):
        super().__init__(archive, name)
        self.shared_strings = shared_strings
        self.date_styles = date_styles
        self.epoch = epoch
        self.finished_rows: list[tuple[int, dict[int, Any]]] = []
        self.row_number = 0
        self.cells: dict[int, Any] = {}
        self.cell_count = 0
        self.column = 0
        self.kind = "n"
        self.style = 0
        self.in_cell = False

    def rows(self) -> Iterator[tuple[int, dict[int, Any]]]:
        for _chunk in self.parse():
            yield from self.finished_rows
            self.finished_rows = []

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if name == "row":
            self.row_number = int(attributes["r"]) if "r" in attributes else self.row_number + 1
            self.cells = {}
            self.column = 0
        elif name == "c":
            self.cell_count += 1
            if self.cell_count > MAX_CELLS:
                raise ValidationFailed.on("file", _("has more than %(max)s cells", max=MAX_CELLS))
            self.column = _column_index(attributes["r"]) if "r" in attributes else self.column + 1
            self.kind = attributes.get("t", "n")
            self.style = int(attributes.get("s", 0))
            self.in_cell = True
            self.begin_text()
        elif name == "v" and self.in_cell:
            self.capturing = self.kind != "inlineStr"
        elif name == "t" and self.in_cell:
            self.capturing = self.kind == "inlineStr" and not self.phonetic
        elif name == "rPh":
            self.phonetic = True

    def end(self, name: str) -> None:
        if name in ("v", "t"):
            self.capturing = False
        elif name == "rPh":
            self.phonetic = False
        elif name == "c":
            self.in_cell = False
            value = self._value(self.collected())
            if value is not None and value != "":
                if self.column > MAX_COLUMNS:
                    raise _value_beyond_last_column()
                self.cells[self.column - 1] = value
        elif name == "row" and self.cells:
            self.finished_rows.append((self.row_number, self.cells))

    def _value(self, text: str) -> Any:
        if self.kind in ("inlineStr", "str", "e"):
            return text
        if not text:
            return None
        if self.kind == "s":
            index = int(text)
            if not 0 <= index < len(self.shared_strings):
                raise ValueError(f"no shared string {index}")
            return self.shared_strings[index]
        if self.kind == "b":
            return text in ("1", "true")
        if self.kind == "d":
            return from_ISO8601(text)
        number = float(text) if any(c in text for c in ".eE") else int(text)
        if self.style in self.date_styles:
            try:
                return from_excel(number, self.epoch)
            except (OverflowError, ValueError):  # no date: the number is shown, the row check says so
                return number
        return number


def _column_index(reference: str) -> int:
    """1 for "A7", 28 for "AB7"; a reference past column ZZZ is no reference."""
    match = CELL_REFERENCE.match(reference)
    if not match:
        raise ValueError(f"bad cell reference {reference[:20]!r}")
    index = 0
    for letter in match.group(1):
        index = index * 26 + ord(letter) - ord("A") + 1
    return index


# ---------------------------------------------------------------- checking

def _existing_keys(keys: set[tuple[str, Any]]) -> set[tuple[str, Any]]:
    """Which (id_number, expected_release_on) pairs are already registered: one query per 500 ID numbers."""
    numbers = sorted({number for number, _day in keys})
    found: set[tuple[str, Any]] = set()
    for i in range(0, len(numbers), CHUNK):
        chunk = numbers[i:i + CHUNK]
        found.update((number, day) for number, day in db.session.execute(
            select(ReleaseNotice.id_number, ReleaseNotice.expected_release_on)
            .where(ReleaseNotice.id_number.in_(chunk))
        ))
    return found & keys


def check_rows(actor, token: str, rows: Sequence[tuple[int, Mapping[str, Any]]]) -> ImportCheck:
    """Validate every row with the service's own rules, plus duplicates within the file and against the database."""
    codes = {as_text(raw.get(f)) for _row, raw in rows for f in ("prison_region_code", "receiving_region_code")}
    rules = notice_rules(actor, codes)
    check = ImportCheck(token=token, rows=len(rows))
    candidates: list[tuple[int, dict[str, Any]]] = []
    for row, raw in rows:
        clean, errors = validate_notice(raw, rules)
        for name, problems in errors.items():
            check.errors.extend(RowError(row, name, problem) for problem in problems)
        if not errors:
            candidates.append((row, clean))
    existing = _existing_keys({(c["id_number"], c["expected_release_on"]) for _row, c in candidates})
    first_row: dict[tuple[str, Any], int] = {}
    for row, clean in candidates:
        key = (clean["id_number"], clean["expected_release_on"])
        if key in existing:
            check.errors.append(RowError(row, "id_number", _(
                "a notice for this person and release date is already registered")))
        elif key in first_row:
            check.errors.append(RowError(row, "id_number", _(
                "repeats row %(row)s (same person and release date)", row=first_row[key])))
        else:
            first_row[key] = row
            check.valid.append((row, clean))
    check.errors.sort(key=lambda e: (e.row, NOTICE_FIELDS.index(e.field) if e.field in NOTICE_FIELDS else 99))
    return check


def upload_import(actor, filename: str, stream: IO[bytes]) -> ImportCheck:
    """Store an upload and check it (nothing written); a file that cannot be read at all is not kept."""
    token = store_upload(actor, filename, stream)
    try:
        return preview_import(actor, token)
    except ValidationFailed:
        discard_upload(actor, token)
        raise


def preview_import(actor, token: str) -> ImportCheck:
    """Read and check the actor's stored upload; writes nothing."""
    path, ext = _owned_file(actor, token)
    return check_rows(actor, token, read_rows(path, ext))


def confirm_import(actor, token: str, *, valid_only: bool) -> ImportCheck:
    """Insert the valid rows in one transaction with one audit row; refuse if rows are bad and not `valid_only`.

    The file is checked again: notices registered since the preview count as duplicates.
    """
    path, ext = _owned_file(actor, token)
    check = check_rows(actor, token, read_rows(path, ext))
    if check.errors and not valid_only:
        raise Conflict(_("%(count)s rows have errors. Correct the file, or choose to import the valid rows only.",
                         count=check.invalid_rows), code="import_has_errors")
    if not check.valid:
        raise ValidationFailed.on("file", _("has no valid rows to import"))
    due = due_dates([clean["received_on"] for _row, clean in check.valid])
    residents = resident_ids_by_id_number(clean["id_number"] for _row, clean in check.valid)
    notices = [build_notice(actor, clean, due(clean["received_on"]), residents.get(clean["id_number"]))
               for _row, clean in check.valid]
    db.session.add_all(notices)
    db.session.flush()
    audit.record(actor, "notices_imported", object_type="ReleaseNotice", rows=check.rows,
                 imported=len(notices), skipped=check.invalid_rows, file_type=ext,
                 first_id=min(n.id for n in notices), last_id=max(n.id for n in notices))
    db.session.commit()
    discard_upload(actor, token)  # files go after the commit
    return check


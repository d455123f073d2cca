"""Reading an uploaded spreadsheet (.xlsx or .csv) as a stream, within bounds.

A file is read as a stream and refused at the first bound it passes, never parsed in full first
(issue 15: a 450 KB .xlsx unpacking to 95 MB kept a worker busy ~50 s before the import said "more
than 20000 rows"). An .xlsx is a zip: its directory is checked before anything in it is unpacked
(parts, unpacked size, compression ratio); then the workbook's XML parts are parsed a chunk at a
time by expat, refusing any DTD (the vehicle of entity-expansion bombs) and counting elements,
cells, columns and text lengths as they come. The sheet's declared <dimension> is not used: it can
lie. A .csv is read a line at a time, each line bounded before the csv module splits it. Every
refusal is a ValidationFailed on the upload field ("file"). The caller counts rows (its own limit).
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any
from xml.parsers import expat

from flask_babel import gettext as _
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel, from_ISO8601

from base_ops.core.errors import ValidationFailed

# What a file may hold, checked while it is read. A prison's list of notices has ~10 columns of short text.
MAX_COLUMNS = 50  # no value right of column AX
MAX_CELL_CHARS = 4_000  # twice the longest text field the app takes (2,000): an over-long text stays that row's error
MAX_CELLS = 500_000  # an .xlsx's cells, empty styled ones too (each costs parsing): 20,000 rows of 25
MAX_LINE_CHARS = 20_000  # a .csv line: a notice is ~150 characters, ~4,200 with both texts at their maximum
# An .xlsx's zip, checked from its directory before anything is unpacked.
MAX_ARCHIVE_MEMBERS = 200  # a workbook of a few sheets has 10-30 parts
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # a full 20,000-row sheet unpacks to ~10 MB
MAX_COMPRESSION_RATIO = 100  # sheets deflate 5-15 to 1; a zip bomb ~1000 to 1
RATIO_CHECKED_FROM_BYTES = 1024 * 1024  # a small part may compress as it likes: it cannot be a bomb
MAX_XML_ELEMENTS = 4 * MAX_CELLS  # in any one part: a cell is 2-4 elements (c, v or is and t, f)
XML_CHUNK_BYTES = 64 * 1024


def check_archive(archive: zipfile.ZipFile) -> None:
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

def _value_beyond_last_column() -> ValidationFailed:
    return ValidationFailed.on("file", _("has a value beyond column %(max)s", max=MAX_COLUMNS))


def _cell_too_long() -> ValidationFailed:
    return ValidationFailed.on("file", _("has a cell longer than %(max)s characters", max=MAX_CELL_CHARS))


# ---------------------------------------------------------------- reading a .csv

def csv_records(path: Path) -> Iterator[tuple[int, dict[int, str]]]:
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


def xlsx_records(path: Path) -> Iterator[tuple[int, dict[int, Any]]]:
    """(row number, {column index: value}) of the first worksheet's rows holding a value, as they are parsed."""
    with zipfile.ZipFile(path) as archive:
        check_archive(archive)
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

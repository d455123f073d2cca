"""Bulk import of a prison's release notices from a spreadsheet (.xlsx or .csv, UTF-8 or GBK).

Two steps (docs/security.md "Bulk import"): the upload is stored outside static/
and every row is checked with the same `validate_notice` the API uses, writing
nothing; the preview lists each bad row (spreadsheet row number, field,
reason). On confirmation the valid rows go in one transaction with one audit
row, and only when there are no bad rows or the user chose "valid rows only".
Regions, existing notices and residents are loaded once per file, not per row.

The file is read as a stream by core.sheet_reader, which refuses a hostile one at the first bound it
passes (zip bombs, XML bombs, huge rows or cells); rows are counted against MAX_ROWS as they come.
"""

from __future__ import annotations

import io
import json
import re
import secrets
import time
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from base_ops.core import audit, sheet_reader
from base_ops.core.errors import Conflict, NotFound, ValidationFailed
from base_ops.core.identity import mask_id_number
from base_ops.core.unit_of_work import flush, unit_of_work
from base_ops.extensions import db
from base_ops.intake.models import ReleaseNotice
from base_ops.intake.notices.services import (
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
EXTENSIONS = ("xlsx", "csv")
TOKEN = re.compile(r"^[0-9a-f]{32}$")
STALE_SECONDS = 24 * 3600
CHUNK = 500

# Column headers: the Chinese ones of the prisons' sheets, and docs/api.md's field names.
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


# ---------------------------------------------------------------- the template

# The template's column order, its header (the LABELS above, with the format in brackets, which
# `_header_field` ignores), width, whether required, how to fill it in, and an example.
TEMPLATE_COLUMNS = [
    ("id_number", "身份证号", 21, "18 位公民身份号码（15 位旧号码亦可），末位可为 X；按文本填写", "33010619850312001X"),
    ("name", "姓名", 10, "与判决书一致", "张三"),
    ("prison_name", "监狱名称", 18, "发出通知书的监狱全称", "浙江省第一监狱"),
    ("prison_region_code", "监狱所在地代码（6位）", 14, "监狱所在地的行政区划代码（GB/T 2260，6 位数字）", "330100"),
    ("expected_release_on", "预计释放日期（年-月-日）", 14, "日期，格式 2026-11-20", "2026-12-15"),
    ("received_on", "收到日期（年-月-日）", 14, "收到通知书的日期，格式 2026-11-20，不得晚于今天", "2026-11-20"),
    ("receiving_region_code", "接收地代码（6位）", 14, "接收地的区县级行政区划代码（6 位数字），须在您的管辖范围内",
     "330106"),
    ("risk_assessment", "危险性评估（选填）", 20, "回归社会危险性评估意见，可留空", "低"),
    ("relief_advice", "救助建议（选填）", 20, "安置帮教或救助建议，可留空", "建议过渡性安置"),
    ("is_key_subject", "是否重点帮教对象（是/否）", 12, "填写“是”或“否”", "否"),
]
DATE_FIELDS = ("expected_release_on", "received_on")
CODE_FIELDS = ("prison_region_code", "receiving_region_code")


def template_xlsx() -> bytes:
    """The import template (issue 21): the first sheet holds exactly the headers `read_rows` accepts,
    one row, with cell formats and data validation for dates, region codes, ID numbers and 是/否, and
    nothing below it (a sample row there would be imported); the second sheet explains every column and
    gives an example row. Built with XlsxWriter, strings never turned into formulas (docs/security.md)."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})
    header = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True,
                              "valign": "vcenter"})
    formats = {"text": book.add_format({"num_format": "@"}), "date": book.add_format({"num_format": "yyyy-mm-dd"})}
    rows = MAX_ROWS + 1  # data rows 2 .. MAX_ROWS + 1
    sheet = book.add_worksheet("释放通知书")
    sheet.set_row(0, 36)
    for col, (name, title, width, note, _example) in enumerate(TEMPLATE_COLUMNS):
        sheet.set_column(col, col, width, formats["date" if name in DATE_FIELDS else "text"])
        sheet.write_string(0, col, title, header)
        sheet.write_comment(0, col, note)
        rule = _validation(name)
        if rule is not None:
            words = {"input_title": title[:32], "input_message": note[:255], "error_title": title[:32],
                     "error_message": note[:255]}
            sheet.data_validation(1, col, rows - 1, col, rule | words)
    sheet.freeze_panes(1, 0)

    notes = book.add_worksheet("填写说明")
    notes.set_column(0, 0, 26)
    notes.set_column(1, 1, 22)
    notes.set_column(2, 2, 8)
    notes.set_column(3, 3, 60)
    notes.set_column(4, 4, 22)
    notes.write_string(0, 0, "释放通知书导入模板 · 填写说明", book.add_format({"bold": True, "font_size": 13}))
    notes.write_string(1, 0, "在第一张工作表“释放通知书”中，从第 2 行起每行填写一份通知书；第 1 行的列名请勿修改。"
                             "每个文件最多 20000 行；也可另存为 UTF-8 或 GBK 编码的 .csv 文件。")
    for col, title in enumerate(["列名", "字段（API）", "必填", "格式与说明", "示例"]):
        notes.write_string(3, col, title, header)
    for row, (name, title, _width, note, example) in enumerate(TEMPLATE_COLUMNS, start=4):
        for col, value in enumerate([title, name, "选填" if name in OPTIONAL else "必填", note, example]):
            notes.write_string(row, col, value, formats["text"])
    book.close()
    return buffer.getvalue()


def _validation(name: str) -> dict | None:
    """The spreadsheet's own check of a column; the importer checks every row again (validate_notice)."""
    if name in DATE_FIELDS:
        from datetime import date

        return {"validate": "date", "criteria": "between", "minimum": date(2000, 1, 1), "maximum": date(2100, 12, 31)}
    if name in CODE_FIELDS:
        return {"validate": "length", "criteria": "==", "value": 6}
    if name == "id_number":
        return {"validate": "length", "criteria": "between", "minimum": 15, "maximum": 18}
    if name == "is_key_subject":
        return {"validate": "list", "source": ["是", "否"]}
    return None


TEMPLATE_FILENAME = "释放通知书导入模板.xlsx"


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
                sheet_reader.check_archive(archive)
        except zipfile.BadZipFile:
            raise ValidationFailed.on("file", _("is not an Excel .xlsx workbook")) from None
    elif b"\x00" in data[:8192] or data.startswith(b"PK\x03\x04"):
        raise ValidationFailed.on("file", _("is not a text .csv file"))



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
        return _mapped_rows(sheet_reader.xlsx_records(path) if ext == "xlsx" else sheet_reader.csv_records(path))
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
    notices = [build_notice(actor, clean, due(clean["received_on"], clean["receiving_region_code"]),
                            residents.get(clean["id_number"]))
               for _row, clean in check.valid]
    # One unit: all the rows and their one audit row, or nothing (a notice registered meanwhile by
    # someone else is 409 notice_exists, registered by the notices' services).
    with unit_of_work():
        db.session.add_all(notices)
        flush()
        audit.record(actor, "notices_imported", object_type="ReleaseNotice", rows=check.rows,
                     imported=len(notices), skipped=check.invalid_rows, file_type=ext,
                     first_id=min(n.id for n in notices), last_id=max(n.id for n in notices))
    discard_upload(actor, token)  # files go after the commit
    return check


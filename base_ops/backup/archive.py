"""One archive of the database and the uploaded files, restorable on SQLite or PostgreSQL.

docs/api.md: `flask backup PATH` writes one archive of the database and uploaded files; `flask restore PATH`
loads it into the configured database, which must be empty, across SQLite and PostgreSQL.
docs/security.md "Backup and restore" asks for a test that restores into an empty database and checks row
counts and the audit chain (tests/backup/test_archive.py).

Why a logical dump and not pg_dump / a copy of the SQLite file: an archive must cross databases, so
rows are written as JSON lines, one member per table, with each column's kind recorded in the manifest
(dates, datetimes in UTC, decimals as strings, bytes as base64). The dump reads in one transaction
(REPEATABLE READ on PostgreSQL) on a connection of its own, so the archive is one consistent moment even
while the app runs; the transaction only reads and ends when the connection closes.

A restore builds the schema at the archive's Alembic revision, loads every table in foreign-key order in
one unit of work (core/unit_of_work.py; a failure leaves the database empty again), resets PostgreSQL's
id sequences, then upgrades to the code's head so an older archive is carried forward by the ordinary
migrations. Each command's audit row is a unit of its own, written once the work is done.

Layout of the zip:
    manifest.json           format, revision, source dialect, created_at, tables (columns, kinds, rows),
                            uploads (path, size, sha256)
    tables/<name>.jsonl     one JSON array per row, in the manifest's column order, by primary key
    uploads/<path>          the files under UPLOAD_FOLDER
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path, PurePosixPath

from alembic.migration import MigrationContext
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    DateTime,
    Float,
    LargeBinary,
    MetaData,
    Numeric,
    Table,
    Time,
    func,
    inspect,
    select,
    text,
)

from base_ops.core import audit
from base_ops.core.unit_of_work import unit_of_work
from base_ops.extensions import db

FORMAT = "base_ops-backup/1"
BATCH_ROWS = 2000
SKIPPED_TABLES = frozenset({"alembic_version"})  # the revision travels in the manifest instead

# Tables the migrations themselves fill (reference data, the audit chain's genesis head). A database
# holding only these rows is still "empty"; the restore replaces them with the archive's rows.
# tests/backup/test_archive.py checks this set against a freshly migrated database.
SEEDED_BY_MIGRATIONS = frozenset({
    "audit_chain_head",
    "discriminatory_phrases",
    "rejection_reasons",
    "work_calendar_days",
})


class BackupError(Exception):
    """A refusal or a damaged archive, with a message meant for the operator."""


@dataclass
class Summary:
    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0
    revision: str | None = None

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


# --- column kinds: how a value is written to JSON and read back --------------------------------------

def column_kind(column_type) -> str:
    if isinstance(column_type, DateTime):
        return "datetime"
    if isinstance(column_type, Date):
        return "date"
    if isinstance(column_type, Time):
        return "time"
    if isinstance(column_type, Boolean):
        return "bool"
    if isinstance(column_type, Numeric) and not isinstance(column_type, Float):
        return "decimal"
    if isinstance(column_type, LargeBinary):
        return "bytes"
    if isinstance(column_type, JSON):
        return "json"
    return "plain"


def _encode(kind: str, value):
    if value is None:
        return None
    if kind == "datetime":
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.isoformat()
    if kind in ("date", "time"):
        return value.isoformat()
    if kind == "decimal":
        return str(value)
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "bool":
        return bool(value)
    return value


def _decoder(kind: str, target_type) -> Callable:
    """A function turning an archived value into what the target column takes."""
    if kind == "datetime":
        keeps_zone = bool(getattr(target_type, "timezone", False))

        def decode_datetime(value):
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:  # written from a zone-less column: the app keeps UTC there
                moment = moment.replace(tzinfo=UTC)
            moment = moment.astimezone(UTC)
            return moment if keeps_zone else moment.replace(tzinfo=None)

        return decode_datetime
    if kind == "date":
        return date.fromisoformat
    if kind == "time":
        return time.fromisoformat
    if kind == "decimal":
        return Decimal
    if kind == "bytes":
        return base64.b64decode
    return lambda value: value


# --- backup -------------------------------------------------------------------------------------------

def backup(path: Path, progress: Callable[[str], None] = lambda _line: None) -> Summary:
    """Write the archive to `path` (refusing to overwrite) and audit it with its row counts."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} already exists; choose a new file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    summary = Summary()
    partial = path.with_name(path.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            manifest = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(), "tables": []}
            with _snapshot_connection() as conn:
                manifest["dialect"] = conn.dialect.name
                manifest["revision"] = summary.revision = _revision(conn)
                if manifest["revision"] is None:
                    raise BackupError("the database has no schema (run `flask db upgrade` first)")
                metadata = MetaData()
                metadata.reflect(bind=conn)
                for table in metadata.sorted_tables:
                    if table.name in SKIPPED_TABLES:
                        continue
                    rows = _dump_table(conn, table, archive)
                    manifest["tables"].append({
                        "name": table.name,
                        "columns": [c.name for c in table.columns],
                        "kinds": [column_kind(c.type) for c in table.columns],
                        "rows": rows,
                    })
                    summary.tables[table.name] = rows
                    progress(f"{table.name}: {rows} rows")
            manifest["uploads"] = _add_uploads(archive)
            summary.files = len(manifest["uploads"])
            progress(f"uploaded files: {summary.files}")
            archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        partial.rename(path)
    finally:
        partial.unlink(missing_ok=True)
    # A backup is the widest export there is (docs/security.md "Audit": every export, with row count).
    with unit_of_work():
        audit.record(None, "backup.created", object_type="Backup", object_id=path.name, username="cli",
                     rows=summary.rows, tables=len(summary.tables), files=summary.files)
    return summary


@contextmanager
def _snapshot_connection() -> Iterator[Connection]:
    """A connection reading one consistent moment: REPEATABLE READ on PostgreSQL, one read
    transaction on SQLite (WAL keeps it a snapshot while the app writes).

    Its own connection, not the session's: the dump holds its snapshot for minutes, and a unit of
    work's writes (the audit row) must not run in it. Closing the connection ends the transaction,
    which wrote nothing, so there is nothing to commit."""
    engine = db.engine
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect() as conn:
        conn.execution_options(**options)
        conn.begin()
        yield conn


def _revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _dump_table(conn: Connection, table: Table, archive: zipfile.ZipFile) -> int:
    kinds = [column_kind(c.type) for c in table.columns]
    order = list(table.primary_key.columns) or list(table.columns)
    statement = select(table).order_by(*order).execution_options(stream_results=True, yield_per=BATCH_ROWS)
    count = 0
    with archive.open(f"tables/{table.name}.jsonl", "w", force_zip64=True) as raw:
        out = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
        for row in conn.execute(statement):
            out.write(json.dumps([_encode(k, v) for k, v in zip(kinds, row, strict=True)], ensure_ascii=False))
            out.write("\n")
            count += 1
        out.flush()
        out.detach()
    return count


def _upload_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def _uploaded_files() -> list[Path]:
    root = _upload_root()
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file())


def _add_uploads(archive: zipfile.ZipFile) -> list[dict]:
    root = _upload_root()
    listed = []
    for file in _uploaded_files():
        relative = file.relative_to(root).as_posix()
        digest = hashlib.sha256()
        with file.open("rb") as source, archive.open(f"uploads/{relative}", "w", force_zip64=True) as target:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                digest.update(chunk)
                target.write(chunk)
        listed.append({"path": relative, "size": file.stat().st_size, "sha256": digest.hexdigest()})
    return listed


# --- restore ------------------------------------------------------------------------------------------

def restore(path: Path, progress: Callable[[str], None] = lambda _line: None) -> Summary:
    """Load the archive into the configured database, which must be empty; see the module docstring."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise BackupError(f"{path} is not a backup archive ({error})") from None
    with archive:
        manifest = _read_manifest(archive)
        _refuse_unless_empty()
        summary = Summary(revision=manifest["revision"])
        _build_schema(manifest["revision"], progress)
        _load(archive, manifest, summary, progress)
    upgrade(revision="head")  # an older archive is carried forward by the ordinary migrations
    with unit_of_work():
        audit.record(None, "backup.restored", object_type="Backup", object_id=path.name, username="cli",
                     rows=summary.rows, tables=len(summary.tables), files=summary.files,
                     source=manifest["dialect"], created_at=manifest["created_at"])
    return summary


def _read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except KeyError:
        raise BackupError("the archive has no manifest.json: not a base_ops backup") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown archive format {manifest.get('format')!r} (this version reads {FORMAT})")
    names = set(archive.namelist())
    for table in manifest["tables"]:
        if f"tables/{table['name']}.jsonl" not in names:
            raise BackupError(f"the archive is incomplete: tables/{table['name']}.jsonl is missing")
    for upload in manifest["uploads"]:
        _safe_upload_path(upload["path"])
        if f"uploads/{upload['path']}" not in names:
            raise BackupError(f"the archive is incomplete: uploads/{upload['path']} is missing")
    return manifest


def _refuse_unless_empty() -> None:
    """docs/security.md / docs/api.md: restore goes into an empty database only, never over live data."""
    engine = db.engine
    existing = set(inspect(engine).get_table_names()) - SKIPPED_TABLES
    with engine.connect() as conn:
        holding = [
            name for name in sorted(existing - SEEDED_BY_MIGRATIONS)
            if conn.execute(select(func.count()).select_from(text(_quoted(conn, name)))).scalar_one()
        ]
    if holding:
        shown = ", ".join(holding[:5]) + (" …" if len(holding) > 5 else "")
        raise BackupError(f"the database is not empty ({len(holding)} tables hold rows: {shown}); "
                          "restore only into an empty database")
    if _uploaded_files():
        raise BackupError(f"the upload folder {_upload_root()} is not empty; restore only into an empty one")


def _quoted(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _build_schema(revision: str, progress: Callable[[str], None]) -> None:
    with db.engine.connect() as conn:
        current = _revision(conn)
    if current is None:
        progress(f"building the schema at revision {revision}")
        upgrade(revision=revision)
    elif current != revision:
        raise BackupError(f"the empty database is at revision {current} but the archive at {revision}; "
                          "drop its tables (or start from a new database) and restore again")


def _load(archive: zipfile.ZipFile, manifest: dict, summary: Summary, progress) -> None:
    """Tables and files together, in one unit of work on the session's connection: the rows commit only
    once every file is in place, and a failure (the unit rolls back) removes the files written so far, so a
    failed restore leaves an empty database and folder."""
    metadata = MetaData()
    metadata.reflect(bind=db.engine)
    archived = {table["name"]: table for table in manifest["tables"]}
    unknown = sorted(set(archived) - set(metadata.tables))
    if unknown:
        raise BackupError(f"the archive has tables the schema at its revision lacks: {', '.join(unknown)}")
    with unit_of_work() as session:
        conn = session.connection()
        for table in metadata.sorted_tables:
            if table.name in SKIPPED_TABLES or table.name not in archived:
                continue
            if table.name in SEEDED_BY_MIGRATIONS:
                conn.execute(table.delete())  # the archive carries these rows as they were
            entry = archived[table.name]
            summary.tables[table.name] = _load_table(conn, table, entry, archive)
            progress(f"{table.name}: {summary.tables[table.name]} rows")
            if summary.tables[table.name] != entry["rows"]:
                raise BackupError(f"{table.name}: the manifest says {entry['rows']} rows, "
                                  f"the archive holds {summary.tables[table.name]}")
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn, metadata)
        written: list[Path] = []
        try:
            _restore_uploads(archive, manifest, written)
        except BaseException:
            for file in written:
                file.unlink(missing_ok=True)
            raise
        summary.files = len(written)
        progress(f"uploaded files: {summary.files}")


def _load_table(conn: Connection, table: Table, entry: dict, archive: zipfile.ZipFile) -> int:
    missing = [name for name in entry["columns"] if name not in table.columns]
    if missing:
        raise BackupError(f"{table.name}: the archive has columns the schema lacks: {', '.join(missing)}")
    decoders = [
        _decoder(kind, table.columns[name].type) for name, kind in zip(entry["columns"], entry["kinds"], strict=True)
    ]
    insert = table.insert()
    count = 0
    batch: list[dict] = []
    with archive.open(f"tables/{table.name}.jsonl") as raw:
        for line in io.TextIOWrapper(raw, encoding="utf-8"):
            values = json.loads(line)
            batch.append({
                name: None if value is None else decode(value)
                for name, decode, value in zip(entry["columns"], decoders, values, strict=True)
            })
            if len(batch) >= BATCH_ROWS:
                conn.execute(insert, batch)
                count += len(batch)
                batch = []
    if batch:
        conn.execute(insert, batch)
        count += len(batch)
    return count


def _reset_sequences(conn: Connection, metadata: MetaData) -> None:
    """Rows came with their ids: move each id sequence past the largest so new rows do not collide."""
    for table in metadata.sorted_tables:
        for column in table.primary_key.columns:
            sequence = conn.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"), {"table": table.name, "column": column.name}
            ).scalar_one()
            if sequence:
                largest = select(func.max(column)).scalar_subquery()
                conn.execute(select(func.setval(sequence, func.coalesce(largest, 0) + 1, False)))


def _safe_upload_path(relative: str) -> PurePosixPath:
    """An archive may not write outside the upload folder (no absolute paths, no '..')."""
    candidate = PurePosixPath(relative)
    if candidate.is_absolute() or ".." in candidate.parts or not candidate.parts:
        raise BackupError(f"the archive names an unsafe upload path: {relative!r}")
    return candidate


def _restore_uploads(archive: zipfile.ZipFile, manifest: dict, written: list[Path]) -> None:
    root = _upload_root()
    for upload in manifest["uploads"]:
        target = root.joinpath(*_safe_upload_path(upload["path"]).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        written.append(target)
        digest = hashlib.sha256()
        with archive.open(f"uploads/{upload['path']}") as source, target.open("wb") as out:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != upload["sha256"]:
            raise BackupError(f"uploads/{upload['path']} does not match its checksum: the archive is damaged")


"""`flask backup` / `flask restore` (issue 8 item 5; docs/security.md "Backup and restore"; docs/api.md command line).

The source is the demo (every module's tables hold rows) plus uploaded files, on its own database. The
round trip goes through the other database when the suite runs on PostgreSQL (PostgreSQL → SQLite →
PostgreSQL), so both directions of "an archive from SQLite restores into PostgreSQL and back" are proved;
on SQLite alone it goes SQLite → SQLite → SQLite. Every row of every table is compared, not only counts.
"""

from __future__ import annotations

import json
import os
import zipfile
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from flask_migrate import upgrade
from sqlalchemy import MetaData, func, select, text

from base_ops.backup.archive import SEEDED_BY_MIGRATIONS, BackupError, backup, restore
from base_ops.core import audit
from base_ops.extensions import db
from tests.race_support import app_on, dispose, new_database, separate_app

EVIDENCE = b"%PDF-1.4 receipt of wages \x00\xff"


def _build_demo(app) -> None:
    from base_ops.seed import loaders

    loaders.load_demo()
    folder = app.config["UPLOAD_FOLDER"]
    os.makedirs(f"{folder}/evidence/7", exist_ok=True)
    with open(f"{folder}/evidence/7/工资单.pdf", "wb") as file:
        file.write(EVIDENCE)
    with open(f"{folder}/evidence/notes.txt", "wb") as file:
        file.write(b"second file")


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    yield from separate_app(tmp_path_factory, "backup_src", _build_demo)


def _normal(value):
    """Values as both databases agree on them: datetimes in UTC without zone, decimals normalised."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, bool):
        return int(value)
    return value


def _contents(app) -> dict[str, list[dict]]:
    """Every row of every table (but alembic_version), ordered by primary key."""
    with app.app_context():
        metadata = MetaData()
        metadata.reflect(bind=db.engine)
        with db.engine.connect() as conn:
            return {
                table.name: [
                    {key: _normal(value) for key, value in row._mapping.items()}
                    for row in conn.execute(select(table).order_by(*table.primary_key.columns))
                ]
                for table in metadata.sorted_tables
                if table.name != "alembic_version"
            }


def _uploads(app) -> dict[str, bytes]:
    from pathlib import Path

    root = Path(app.config["UPLOAD_FOLDER"])
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _without_backup_audit(contents: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Drop the audit rows backup and restore write about themselves, and the chain head they move."""
    trimmed = dict(contents)
    trimmed["audit_events"] = [row for row in contents["audit_events"] if not row["action"].startswith("backup.")]
    trimmed.pop("audit_chain_head")
    return trimmed


def _verify(app) -> audit.VerifyResult:
    with app.app_context():
        return audit.verify()


def test_backup_wipe_restore_gives_back_the_same_data_and_a_verifying_chain(source, tmp_path):
    before = _contents(source)
    files_before = _uploads(source)
    assert all(before[name] for name in ("residents", "stays", "bed_assignments", "claims", "audit_events")), \
        "the demo must fill the tables this test is about"

    with source.app_context():
        summary = backup(tmp_path / "first.zip")
    assert summary.tables == {name: len(rows) for name, rows in before.items()}
    assert summary.files == 2
    with zipfile.ZipFile(tmp_path / "first.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert {t["name"]: t["rows"] for t in manifest["tables"]} == summary.tables
    assert manifest["revision"] == summary.revision

    # Through SQLite: from PostgreSQL when the suite runs there, else SQLite to SQLite.
    with new_database(tmp_path, "restored", "sqlite") as other_url:
        other = app_on(other_url, tmp_path / "uploads_other")
        try:
            with other.app_context():
                restore(tmp_path / "first.zip")
            assert _verify(other).ok
            assert _without_backup_audit(_contents(other)) == _without_backup_audit(before)
            assert _uploads(other) == files_before
            with other.app_context():
                backup(tmp_path / "second.zip")
        finally:
            dispose(other)

    with new_database(tmp_path, "back_again") as back_url:
        back = app_on(back_url, tmp_path / "uploads_back")
        try:
            with back.app_context():
                restore(tmp_path / "second.zip")
            result = _verify(back)
            assert result.ok, result.reason
            after = _contents(back)
            assert _without_backup_audit(after) == _without_backup_audit(before)
            actions = [row["action"] for row in after["audit_events"] if row["action"].startswith("backup.")]
            assert actions == ["backup.restored", "backup.restored"]
            with back.app_context():
                # New rows take new ids: the restore moved PostgreSQL's sequences past the loaded ones.
                probe = audit.record(None, "test.probe", username="cli")
                db.session.commit()
                assert probe.id > max(row["id"] for row in after["audit_events"])
            assert _uploads(back) == files_before
        finally:
            dispose(back)


def test_restore_refuses_a_database_that_holds_data(source, tmp_path):
    with source.app_context():
        backup(tmp_path / "a.zip")
    before = _contents(source)
    with source.app_context(), pytest.raises(BackupError, match="not empty"):
        restore(tmp_path / "a.zip")
    assert _contents(source) == before


def test_restore_refuses_an_upload_folder_that_holds_files(source, tmp_path):
    with source.app_context():
        backup(tmp_path / "a.zip")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "left-over.pdf").write_bytes(b"x")
    with new_database(tmp_path, "uploads_busy") as url:
        target = app_on(url, tmp_path / "busy")
        try:
            with target.app_context(), pytest.raises(BackupError, match="upload folder"):
                restore(tmp_path / "a.zip")
            with target.app_context(), db.engine.connect() as conn:
                assert not db.inspect(conn).get_table_names(), "a refused restore must not build anything"
        finally:
            dispose(target)


def _rewrite(archive_path, target_path, change) -> None:
    """Copy an archive, letting change(name, data) -> data alter members."""
    with zipfile.ZipFile(archive_path) as old, zipfile.ZipFile(target_path, "w") as new:
        for item in old.infolist():
            new.writestr(item.filename, change(item.filename, old.read(item.filename)))


def test_a_damaged_file_rolls_the_whole_restore_back(source, tmp_path):
    with source.app_context():
        backup(tmp_path / "a.zip")
    _rewrite(tmp_path / "a.zip", tmp_path / "damaged.zip",
             lambda name, data: b"tampered" if name.startswith("uploads/evidence/7/") else data)
    with new_database(tmp_path, "damaged") as url:
        target = app_on(url, tmp_path / "uploads_damaged")
        try:
            with target.app_context(), pytest.raises(BackupError, match="checksum"):
                restore(tmp_path / "damaged.zip")
            contents = _contents(target)
            holding = sorted(name for name, rows in contents.items() if rows and name not in SEEDED_BY_MIGRATIONS)
            assert holding == [], "a failed restore must leave the database empty"
            assert _uploads(target) == {}, "and no files behind"
        finally:
            dispose(target)


def test_an_archive_cannot_write_outside_the_upload_folder(source, tmp_path):
    with source.app_context():
        backup(tmp_path / "a.zip")

    def escape(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["uploads"][0]["path"] = "../../etc/cron.d/evil"
            return json.dumps(manifest).encode()
        return data

    _rewrite(tmp_path / "a.zip", tmp_path / "evil.zip", escape)
    with new_database(tmp_path, "evil") as url:
        target = app_on(url, tmp_path / "uploads_evil")
        try:
            with target.app_context(), pytest.raises(BackupError, match="unsafe upload path"):
                restore(tmp_path / "evil.zip")
        finally:
            dispose(target)


def test_not_an_archive_and_existing_target_are_refused(source, tmp_path):
    (tmp_path / "notes.zip").write_text("not a zip")
    with source.app_context():
        with pytest.raises(BackupError, match="not a backup archive"):
            restore(tmp_path / "notes.zip")
        with pytest.raises(BackupError, match="already exists"):
            backup(tmp_path / "notes.zip")
    assert (tmp_path / "notes.zip").read_text() == "not a zip"


def test_backup_is_audited_with_its_row_count(source, tmp_path):
    with source.app_context():
        summary = backup(tmp_path / "audited.zip")
        event = db.session.scalars(
            select(audit.AuditEvent).order_by(audit.AuditEvent.seq.desc()).limit(1)
        ).one()
    assert event.action == "backup.created"
    assert event.details_dict["rows"] == summary.rows


def test_cli_commands_exit_non_zero_with_the_reason(source, tmp_path):
    runner = source.test_cli_runner()
    done = runner.invoke(args=["backup", str(tmp_path / "cli.zip")])
    assert done.exit_code == 0, done.output
    assert "backup written to" in done.output
    refused = runner.invoke(args=["restore", str(tmp_path / "cli.zip")])
    assert refused.exit_code == 1
    assert "restore refused: the database is not empty" in refused.output


def test_seeded_tables_are_exactly_those_the_migrations_fill(tmp_path):
    """A fresh migrated database counts as empty: only SEEDED_BY_MIGRATIONS may hold rows there."""
    with new_database(tmp_path, "fresh") as url:
        fresh = app_on(url, tmp_path / "uploads_fresh")
        try:
            with fresh.app_context():
                upgrade()
                metadata = MetaData()
                metadata.reflect(bind=db.engine)
                with db.engine.connect() as conn:
                    filled = {
                        table.name for table in metadata.sorted_tables
                        if table.name != "alembic_version"
                        and conn.execute(select(func.count()).select_from(table)).scalar_one()
                    }
                    assert conn.execute(text("SELECT 1")).scalar_one() == 1
            assert filled == SEEDED_BY_MIGRATIONS
        finally:
            dispose(fresh)

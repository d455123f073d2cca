"""A background export caught in a database restart is tried again, not stranded for six hours.

docs/security.md "Reliability" (database restart during load: the app recovers by itself). Found by
`make load`: a job the RQ worker picked up while PostgreSQL restarted failed in the worker, and its
row stayed "queued" until the purge marked it interrupted six hours later.
"""

from __future__ import annotations

import pytest
from psycopg import errors as pg_errors
from sqlalchemy import exc

from base_ops.reports.exports import services as jobs
from base_ops.reports.exports import spreadsheets as exports
from base_ops.reports.models import ExportJob, ExportStatus

PARAMS = {"from": "2026-01-01", "to": "2027-01-01", "region_code": None, "base_id": None}


@pytest.fixture
def folder(app, tmp_path, monkeypatch):
    path = tmp_path / "exports"
    monkeypatch.setitem(app.config, "EXPORT_FOLDER", str(path))
    return path


@pytest.fixture
def job(db, world):
    job = ExportJob(kind="placements", requested_by_id=world.officer_x.id, rows_total=1, params=PARAMS)
    db.session.add(job)
    db.session.commit()
    return job


def restart_then(real, failures: int):
    """write_xlsx that fails `failures` times the way a restart does (SQLSTATE 57P01), then works."""
    calls = []

    def write(kind, f, fileobj, progress=None):
        calls.append(kind)
        if len(calls) <= failures:
            fileobj.write(b"PK half a spreadsheet")
            raise exc.OperationalError("SELECT ...", {}, pg_errors.AdminShutdown("terminating connection"))
        return real(kind, f, fileobj, progress=progress)

    return write, calls


def test_job_interrupted_by_a_restart_runs_again_and_completes(db, job, folder, monkeypatch):
    write, calls = restart_then(exports.write_xlsx, failures=1)
    monkeypatch.setattr(exports, "write_xlsx", write)

    jobs.run_job_retrying(job.id, pauses=(0,))

    db.session.expire_all()
    done = db.session.get(ExportJob, job.id)
    assert len(calls) == 2
    assert done.status == ExportStatus.DONE
    assert [p.name for p in folder.iterdir()] == [done.stored_name]  # no half file left beside it


def test_database_away_for_good_gives_up_after_the_last_pause(db, job, folder, monkeypatch):
    write, calls = restart_then(exports.write_xlsx, failures=99)
    monkeypatch.setattr(exports, "write_xlsx", write)

    with pytest.raises(exc.OperationalError):
        jobs.run_job_retrying(job.id, pauses=(0, 0))

    assert len(calls) == 3
    assert list(folder.iterdir()) == []


def test_other_errors_are_not_retried(db, job, folder, monkeypatch):
    calls = []

    def broken(kind, f, fileobj, progress=None):
        calls.append(kind)
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "write_xlsx", broken)

    jobs.run_job_retrying(job.id, pauses=(0, 0))

    db.session.expire_all()
    failed = db.session.get(ExportJob, job.id)
    assert len(calls) == 1
    assert failed.status == ExportStatus.FAILED and "RuntimeError" in failed.error

"""Background exports (reports/exports/services.py, views.py): direct or job, progress, file, expiry, audit, access."""

from __future__ import annotations

import io
import os
import signal
import threading
import time
from datetime import date, timedelta

import openpyxl
import pytest
from flask import render_template_string
from sqlalchemy import select

from base_ops.core.audit import AuditEvent
from base_ops.core.db import utcnow
from base_ops.reports.exports import services as jobs
from base_ops.reports.exports import spreadsheets as exports
from base_ops.reports.models import ExportJob, ExportStatus
from tests.reports.test_exports import add_stay

FORM = {"kind": "placements", "from": "2026-01-01", "to": "2027-01-01"}


@pytest.fixture
def folder(app, tmp_path, monkeypatch):
    """Files under a temporary EXPORT_FOLDER; jobs run inline (synchronously, in the test's session)."""
    path = tmp_path / "exports"
    monkeypatch.setitem(app.config, "EXPORT_FOLDER", str(path))
    monkeypatch.setitem(app.config, "EXPORT_RUNNER", "inline")
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 0)  # every export with a row is a job
    return path


def last_audit(db, action):
    return db.session.execute(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq.desc()).limit(1)
    ).scalar_one_or_none()


def only_job(db, user) -> ExportJob:
    return db.session.execute(select(ExportJob).where(ExportJob.requested_by_id == user.id)).scalar_one()


def flashes(client):
    with client.session_transaction() as session:
        return [message for _category, message in session.get("_flashes", [])]


def stale_login(client):
    with client.session_transaction() as session:
        session["auth_at"] = utcnow().timestamp() - 3600


def leavers(db, world, n, base=None):
    for i in range(n):
        add_stay(db, base or world.base_a, f"老乡{i}", 100 + i, date(2026, 2, 1), date(2026, 2, 11), "returned_home")
    db.session.commit()


# ---------------------------------------------------------------- direct or job

def test_small_export_is_sent_directly_and_audited(app, db, world, login_as, folder, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 1)
    client = login_as(world.officer_x)

    response = client.post("/exports/", data=FORM)

    assert response.status_code == 200
    assert response.mimetype == exports_mimetype()
    assert "attachment" in response.headers["Content-Disposition"]
    assert "placements-2026-01-01-2026-12-31.xlsx" in response.headers["Content-Disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(response.data)).active
    names = [row[0].value for row in ws.iter_rows()]
    assert "张三" in names and "李四" not in names
    event = last_audit(db, "export.download")
    assert event.actor_id == world.officer_x.id
    assert event.details_dict["rows"] == 1 and event.details_dict["kind"] == "placements"
    assert db.session.execute(select(ExportJob)).first() is None
    assert not folder.exists() or not any(folder.iterdir())


def exports_mimetype():
    from base_ops.core.excel import XLSX_MIMETYPE

    return XLSX_MIMETYPE


def test_threshold_switches_direct_to_job(app, db, world, login_as, folder, monkeypatch):
    leavers(db, world, 3)
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 3)
    client = login_as(world.manager_a)
    form = {**FORM, "kind": "leavers"}

    assert client.post("/exports/", data=form).status_code == 200  # 3 rows: at the threshold, direct
    add_stay(db, world.base_a, "再一个", 199, date(2026, 3, 1), date(2026, 3, 5), "employed")
    db.session.commit()
    response = client.post("/exports/", data=form)  # 4 rows: a job

    job = only_job(db, world.manager_a)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/exports/{job.id}")
    assert job.rows_total == 4
    assert last_audit(db, "export.requested").object_id == str(job.id)


# ---------------------------------------------------------------- running a job

def test_job_runs_with_progress_and_writes_the_file(app, db, world, login_as, folder, monkeypatch):
    leavers(db, world, 5)
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    committed = []
    real_writer = jobs._progress_writer

    def spying_writer(job_id):
        write = real_writer(job_id)

        def progress(rows_done):
            write(rows_done)
            committed.append(db.session.execute(select(ExportJob.rows_done).where(ExportJob.id == job_id))
                             .scalar_one())

        return progress

    monkeypatch.setattr(jobs, "_progress_writer", spying_writer)
    client = login_as(world.manager_a)

    response = client.post("/exports/", data={**FORM, "kind": "leavers"})

    job = only_job(db, world.manager_a)
    db.session.refresh(job)
    assert response.status_code == 302
    assert committed == [2, 4, 5]  # each progress step reached the database as it went
    assert job.status == ExportStatus.DONE
    assert (job.rows_done, job.rows_total) == (5, 5)
    assert job.started_at is not None and job.finished_at is not None
    assert job.expires_at - job.finished_at == timedelta(hours=24)
    assert len(job.stored_name) == 37 and job.stored_name.endswith(".xlsx")  # random, not the download name
    assert sorted(p.name for p in folder.iterdir()) == [job.stored_name]
    ws = openpyxl.load_workbook(folder / job.stored_name).active
    assert sum(1 for row in ws.iter_rows() if str(row[0].value).startswith("老乡")) == 5

    page = client.get(f"/exports/{job.id}")
    assert page.status_code == 200
    assert b'id="export-download"' in page.data
    assert client.get(f"/exports/{job.id}/status").get_json() == {
        "status": "done", "rows_done": 5, "rows_total": 5, "percent": 100}


def test_job_download_is_audited_with_the_row_count(db, world, login_as, folder):
    client = login_as(world.officer_x)
    client.post("/exports/", data=FORM)
    job = only_job(db, world.officer_x)

    response = client.get(f"/exports/{job.id}/download")

    assert response.status_code == 200
    assert response.mimetype == exports_mimetype()
    assert "placements-2026-01-01-2026-12-31.xlsx" in response.headers["Content-Disposition"]
    assert openpyxl.load_workbook(io.BytesIO(response.data)).active["A1"].value == "就业安置人员明细"
    event = last_audit(db, "export.download")
    assert (event.object_type, event.object_id, event.actor_id) == ("ExportJob", str(job.id), world.officer_x.id)
    assert event.details_dict["rows"] == 1


def test_failed_job_records_the_error_and_leaves_no_file(db, world, login_as, folder, monkeypatch):
    def broken(kind, f, fileobj, progress=None):
        fileobj.write(b"PK half a spreadsheet")
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "write_xlsx", broken)
    client = login_as(world.officer_x)

    client.post("/exports/", data=FORM)

    job = only_job(db, world.officer_x)
    db.session.refresh(job)
    assert job.status == ExportStatus.FAILED
    assert "RuntimeError" in job.error
    assert job.stored_name is None
    assert list(folder.iterdir()) == []
    page = client.get(f"/exports/{job.id}")
    assert b'id="export-error"' in page.data and b"RuntimeError" in page.data
    assert client.get(f"/exports/{job.id}/download").status_code == 404


def test_job_of_a_disabled_account_fails(db, world, folder):
    job = ExportJob(kind="placements", requested_by_id=world.officer_x.id, rows_total=1,
                    params={"from": "2026-01-01", "to": "2027-01-01", "region_code": None, "base_id": None})
    db.session.add(job)
    world.officer_x.is_enabled = False
    db.session.commit()

    jobs.run_job(job.id)

    db.session.refresh(job)
    assert job.status == ExportStatus.FAILED and job.error
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_job_runs_once(db, world, folder):
    client_job = ExportJob(kind="placements", requested_by_id=world.officer_x.id, rows_total=1, status="done",
                           params={"from": "2026-01-01", "to": "2027-01-01"})
    db.session.add(client_job)
    db.session.commit()

    jobs.run_job(client_job.id)  # not queued: nothing to do

    db.session.refresh(client_job)
    assert client_job.status == ExportStatus.DONE and client_job.started_at is None


def test_worker_thread_runner(app, db, world, folder, monkeypatch):
    """The embedded default (no REDIS_URL): a thread of the web process runs the job."""
    monkeypatch.setitem(app.config, "EXPORT_RUNNER", "auto")
    monkeypatch.setitem(app.config, "REDIS_URL", None)

    job = jobs.request_export(world.officer_x, "placements", start=date(2026, 1, 1), end=date(2027, 1, 1))

    thread = next(t for t in threading.enumerate() if t.name == f"export-{job.id}")
    thread.join(timeout=30)
    db.session.expire_all()
    assert db.session.get(ExportJob, job.id).status == ExportStatus.DONE
    assert (folder / db.session.get(ExportJob, job.id).stored_name).is_file()


# ---------------------------------------------------------------- expiry

def test_expired_file_is_deleted_when_the_list_is_shown(db, world, login_as, folder):
    client = login_as(world.officer_x)
    client.post("/exports/", data=FORM)
    job = only_job(db, world.officer_x)
    path = folder / job.stored_name
    assert path.is_file()
    job.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    page = client.get("/exports/")

    assert page.status_code == 200
    db.session.refresh(job)
    assert job.status == ExportStatus.EXPIRED
    assert not path.exists()
    assert client.get(f"/exports/{job.id}/download").status_code == 404


def test_flask_exports_purge(app, db, world, folder):
    job = jobs.request_export(world.officer_x, "placements", start=date(2026, 1, 1), end=date(2027, 1, 1))
    keep = jobs.request_export(world.officer_x, "residents", start=date(2026, 1, 1), end=date(2027, 1, 1))
    job.expires_at = utcnow() - timedelta(seconds=1)
    stale = ExportJob(kind="leavers", requested_by_id=world.officer_x.id, rows_total=9, status="running",
                      params={"from": "2026-01-01", "to": "2027-01-01"}, created_at=utcnow() - timedelta(hours=7))
    db.session.add(stale)
    db.session.commit()
    stray_old, stray_new = folder / "old.xlsx.part", folder / "new.xlsx.part"
    stray_old.write_bytes(b"x")
    stray_new.write_bytes(b"x")
    two_days_ago = time.time() - 48 * 3600
    os.utime(stray_old, (two_days_ago, two_days_ago))

    result = app.test_cli_runner().invoke(args=["exports", "purge"])

    assert result.exit_code == 0, result.output
    assert "2 job(s)" in result.output and "1 stray file(s)" in result.output
    db.session.expire_all()
    assert db.session.get(ExportJob, job.id).status == ExportStatus.EXPIRED
    assert db.session.get(ExportJob, stale.id).status == ExportStatus.FAILED
    assert db.session.get(ExportJob, keep.id).status == ExportStatus.DONE
    assert sorted(p.name for p in folder.iterdir()) == sorted([keep.stored_name, "new.xlsx.part"])


# ---------------------------------------------------------------- access

def test_someone_elses_job_is_not_found(db, world, login_as, folder):
    login_as(world.officer_x).post("/exports/", data=FORM)
    job = only_job(db, world.officer_x)
    for user in (world.officer_y, world.manager_a):
        client = login_as(user)
        for url in (f"/exports/{job.id}", f"/exports/{job.id}/status", f"/exports/{job.id}/download"):
            assert client.get(url).status_code == 404, (user.username, url)
        assert f"/exports/{job.id}".encode() not in client.get("/exports/").data


def test_download_needs_a_fresh_login(db, world, login_as, folder):
    client = login_as(world.officer_x)
    client.post("/exports/", data=FORM)
    job = only_job(db, world.officer_x)
    stale_login(client)
    downloads_before = db.session.execute(select(AuditEvent).where(AuditEvent.action == "export.download")).all()

    response = client.get(f"/exports/{job.id}/download")

    assert response.status_code == 302 and "/account/reauth" in response.headers["Location"]
    post = client.post("/exports/", data={**FORM, "next": "/reports/placements?from=2026-01-01"})
    assert post.status_code == 302 and "/account/reauth" in post.headers["Location"]
    assert "next=/reports/placements" in post.headers["Location"].replace("%2F", "/").replace("%3F", "?")
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "export.download")).all() == \
        downloads_before
    assert len(db.session.execute(select(ExportJob)).all()) == 1  # the second request started nothing


@pytest.mark.parametrize(("form", "field"), [
    ({**FORM, "kind": "bank_accounts"}, "kind"),
    ({**FORM, "from": "2026-13-01"}, "from"),
    ({**FORM, "to": ""}, "to"),
    ({**FORM, "to": "2025-01-01"}, "to"),
    ({**FORM, "base_id": "A"}, "base_id"),
])
def test_bad_request_names_the_field(db, world, login_as, folder, form, field):
    client = login_as(world.officer_x)

    response = client.post("/exports/", data={**form, "next": "/reports/"})

    assert response.status_code == 302 and response.headers["Location"].endswith("/reports/")
    assert any(message.startswith(f"{field}:") for message in flashes(client)), flashes(client)
    assert db.session.execute(select(ExportJob)).first() is None


def test_export_outside_scope_is_not_found(db, world, login_as, folder):
    assert login_as(world.officer_x).post("/exports/", data={**FORM, "base_id": world.base_b.id}).status_code == 404
    assert login_as(world.officer_x).post("/exports/", data={**FORM, "region_code": "330110"}).status_code == 404
    assert login_as(world.manager_a).post("/exports/", data={**FORM, "base_id": world.base_b.id}).status_code == 404
    assert db.session.execute(select(ExportJob)).first() is None


def test_export_buttons_macro(app, db, world):
    template = ('{% from "_macros/export_form.html" import export_buttons %}'
                '{{ export_buttons(["placements", "leavers"], f) }}')
    with app.test_request_context("/reports/"):
        html = render_template_string(template, f={"from": "2026-01-01", "to": "2027-01-01",
                                                   "region_code": None, "base_ids": [world.base_a.id]})
    assert html.count('action="/exports/"') == 2
    assert html.count('name="csrf_token"') == 2
    assert 'name="kind" value="leavers"' in html
    assert f'name="base_id" value="{world.base_a.id}"' in html
    assert 'name="region_code"' not in html


# ---------------------------------------------------------------- RQ with Redis

def _redis_or_skip():
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=0.5)
    try:
        connection.ping()
    except redis.exceptions.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    return connection


def test_rq_job_with_simple_worker(app, db, world, folder, monkeypatch):
    from rq import SimpleWorker

    _redis_or_skip()
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setitem(app.config, "EXPORT_RUNNER", "auto")
    queue = jobs.rq_queue()
    queue.empty()

    job = jobs.request_export(world.officer_x, "placements", start=date(2026, 1, 1), end=date(2027, 1, 1))

    assert queue.count == 1
    db.session.refresh(job)
    assert job.status == ExportStatus.QUEUED
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
    finally:  # the worker installs its own stop handlers; give the test runner back its own
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    db.session.expire_all()
    job = db.session.get(ExportJob, job.id)
    assert job.status == ExportStatus.DONE, job.error
    assert (job.rows_done, job.rows_total) == (1, 1)
    assert (folder / job.stored_name).is_file()
    assert queue.count == 0


def test_rq_unreachable_fails_the_job(app, db, world, folder, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    monkeypatch.setitem(app.config, "EXPORT_RUNNER", "rq")

    job = jobs.request_export(world.officer_x, "placements", start=date(2026, 1, 1), end=date(2027, 1, 1))

    db.session.refresh(job)
    assert job.status == ExportStatus.FAILED and job.error

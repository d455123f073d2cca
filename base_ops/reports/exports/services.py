"""Background exports: a detail spreadsheet over EXPORT_BACKGROUND_ROWS rows is built off the request.

issue 7 item 4. The job runs on RQ when REDIS_URL is set, else in a worker thread of
the web process (the embedded set-up has no Redis); `EXPORT_RUNNER` ("auto", the
default, "rq", "thread" or "inline" — run at once, in the caller's session: tests)
picks another. Each step of a job is a unit of work of its own (core/unit_of_work.py):
the claim, the read that builds the file, done or failed, the purge; progress is
committed on a session of its own, so the page polling the job sees it while the
export's read is still streaming. Every move of a job's status is one the model
declares (`ExportJob.transitions`, made by `SYSTEM`) and a compare-and-set UPDATE:
of two runners handed the same job, one claims it and the other does nothing. The file is
written under a random name and published only when complete (a failure leaves no
partial file), kept EXPORT_KEEP_HOURS (24), then deleted by the purge that runs when
a job starts, when a user lists his jobs, and from `flask exports purge`. Every
download is audited with its row count (docs/security.md "Audit": every export).
"""

from __future__ import annotations

import io
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from base_ops.core import audit
from base_ops.core.db import utcnow
from base_ops.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed, is_database_unavailable
from base_ops.core.excel import attachment
from base_ops.core.transitions import compare_and_set
from base_ops.core.unit_of_work import before_first_write, discard, unit_of_work, use_case
from base_ops.extensions import db
from base_ops.reports.exports import spreadsheets as exports
from base_ops.reports.metrics.filters import ReportFilter, resolve_filter
from base_ops.reports.models import SYSTEM, ExportJob, ExportStatus

log = logging.getLogger(__name__)

QUEUE_NAME = "base_ops-exports"
RQ_JOB_TIMEOUT = 3 * 3600  # seconds: a province-wide export is minutes, never hours
# A queued or running job this old has lost its runner (web process restarted, worker killed).
STALE_AFTER = timedelta(hours=6)
DATABASE_RETRY_PAUSES = (2.0, 5.0, 10.0, 20.0, 30.0)  # seconds between tries while the database is away
LIST_LIMIT = 50


@dataclass
class DirectExport:
    """A small export, built in the request and sent at once."""

    content: bytes
    filename: str
    rows: int


# ---------------------------------------------------------------- asking for an export

def request_export(actor, kind: str, *, start: date, end: date, region_code: str | None = None,
                   base_id: int | None = None) -> DirectExport | ExportJob:
    """Build a small export now, or queue a job for a large one.

    The filter is resolved against the actor's scope first (a region or base outside it is
    not found). Up to EXPORT_BACKGROUND_ROWS rows the file is built here and the download
    audited; above, a job is recorded and handed to the runner once its unit has committed
    (so this use case is never called inside another unit: the runner must see the job).
    """
    if kind not in exports.EXPORT_KINDS:
        raise ValidationFailed.on("kind", _("Unknown export %(kind)s.", kind=kind))
    f = resolve_filter(actor, start=start, end=end, region_code=region_code, base_id=base_id)
    purge_expired()
    total = exports.count_rows(kind, f)
    name = download_name(kind, f)
    if total <= current_app.config["EXPORT_BACKGROUND_ROWS"]:
        buffer = io.BytesIO()
        rows = exports.write_xlsx(kind, f, buffer)
        with unit_of_work():
            audit.record(actor, "export.download", object_type="export", object_id=kind, kind=kind, rows=rows,
                         filter=f.describe())
        return DirectExport(buffer.getvalue(), name, rows)

    with unit_of_work():
        job = ExportJob(kind=kind, requested_by_id=actor.id, rows_total=total, filename=name,
                        params={"from": start.isoformat(), "to": end.isoformat(), "region_code": region_code,
                                "base_id": base_id, "filter": f.describe()})
        db.session.add(job)
        audit.record(actor, "export.requested", job, kind=kind, rows=total, filter=f.describe())
    dispatch(job.id)  # after the commit: the runner must see the job
    return job


def download_name(kind: str, f: ReportFilter) -> str:
    last_day = date.fromordinal(f.end.toordinal() - 1)
    return f"{kind}-{f.start.isoformat()}-{last_day.isoformat()}.xlsx"


def content_disposition(filename: str) -> str:
    """The download's header: the name a user reads, the export's title in words (kind-from-to.xlsx with the
    kind in Chinese), and the stored ASCII name as the fallback (issue 17)."""
    kind, _sep, rest = filename.partition("-")
    title = exports.EXPORT_KINDS.get(kind)
    return attachment(f"{title}-{rest}" if title and rest else filename, filename)


# ---------------------------------------------------------------- runners

def runner_name() -> str:
    runner = current_app.config.get("EXPORT_RUNNER", "auto")
    if runner == "auto":
        return "rq" if current_app.config.get("REDIS_URL") else "thread"
    if runner not in ("rq", "thread", "inline"):
        raise RuntimeError(f"EXPORT_RUNNER must be auto, rq, thread or inline, not {runner!r}")
    return runner


def dispatch(job_id: int) -> threading.Thread | None:
    """Hand a committed job to its runner; returns the worker thread when there is one."""
    runner = runner_name()
    if runner == "inline":
        run_job(job_id)
        return None
    if runner == "rq":
        _enqueue(job_id)
        return None
    app = current_app._get_current_object()
    thread = threading.Thread(target=_run_in_thread, args=(app, job_id), name=f"export-{job_id}", daemon=True)
    thread.start()
    return thread


def _run_in_thread(app, job_id: int) -> None:
    with app.app_context():
        try:
            run_job_retrying(job_id)
        except Exception:  # run_job records its own failures; this is the database being unreachable
            log.exception("export job %s could not be run", job_id)


def rq_queue():
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE_NAME, connection=Redis.from_url(current_app.config["REDIS_URL"]))


def _enqueue(job_id: int) -> None:
    from redis.exceptions import RedisError

    try:
        rq_queue().enqueue(run_queued_job, job_id, job_timeout=RQ_JOB_TIMEOUT, result_ttl=3600,
                           description=f"export job {job_id}")
    except RedisError:
        log.exception("export job %s could not be queued", job_id)
        _fail(job_id, _("The export queue is not reachable; please try again later."), was=ExportStatus.QUEUED)


def run_queued_job(job_id: int) -> None:
    """RQ entry point. A work horse of plain `rq worker` has no app, so it builds its own;
    under `flask exports worker` (and SimpleWorker in tests) the app context is already there."""
    if has_app_context():
        run_job_retrying(job_id)
        return
    from base_ops import create_app

    with create_app().app_context():
        run_job_retrying(job_id)


# ---------------------------------------------------------------- running a job

def run_job_retrying(job_id: int, pauses: tuple[float, ...] = DATABASE_RETRY_PAUSES) -> None:
    """run_job, tried again after a pause while the database is unreachable (a restart takes seconds).

    Found by `make load` (tests/load): a job picked up during a PostgreSQL restart stayed queued (or
    running) until the purge called it interrupted six hours later. A retry first puts the job this
    runner had claimed back in the queue; if the database is still away after the last pause, the
    error goes to the runner's log and the purge deals with the job as before.
    """
    for attempt, pause in enumerate((*pauses, None)):
        try:
            if attempt:
                _requeue(job_id)
            run_job(job_id)
            return
        except Exception as error:
            if pause is None or not is_database_unavailable(error):
                raise
            log.warning("export job %s: database unavailable (%s); trying again in %s s", job_id,
                        getattr(error, "orig", error), pause)
            try:
                discard()  # the failed step's unit rolled back already; this makes sure the session starts afresh
            except Exception:  # the connection is gone
                db.session.registry.clear()
            time.sleep(pause)


def _move(job_id: int, expected: ExportStatus, target: ExportStatus, values: dict | None = None) -> bool:
    """One move of a job, as ExportJob.transitions declares it, by the system: a compare-and-set UPDATE in
    the caller's unit. False when the job was no longer `expected` (another runner or the purge moved it)."""
    ExportJob.transitions.require(SYSTEM, expected, target)  # a move the model lacks is a bug, not a race
    return compare_and_set(ExportJob, job_id, expected, target, values=values)


@use_case
def _requeue(job_id: int) -> None:
    """running → queued for a job whose run the database interrupted (this runner claimed it)."""
    _move(job_id, ExportStatus.RUNNING, ExportStatus.QUEUED)


def run_job(job_id: int) -> None:
    """Build one job's file: claim it, stream the rows, publish the file, or record why it failed.

    Each step is a unit of its own: the claim; the read that writes the file (its end closes the read
    transaction, so on SQLite the next step waits for the write lock with no stale snapshot); done or failed.
    """
    if not _claim(job_id):
        return  # another runner has it, or it is no longer queued
    folder = Path(current_app.config["EXPORT_FOLDER"])
    stored_name = f"{secrets.token_hex(16)}.xlsx"
    partial, final = folder / f"{stored_name}.part", folder / stored_name
    try:
        with unit_of_work():
            job = db.session.get(ExportJob, job_id)
            f = _filter_for(job)
            folder.mkdir(parents=True, exist_ok=True)
            with open(partial, "wb") as out:
                rows = exports.write_xlsx(job.kind, f, out, progress=_progress_writer(job_id))
        os.replace(partial, final)
        if not _finish(job_id, rows, stored_name):
            final.unlink(missing_ok=True)  # the purge gave the job up meanwhile: no file without a done job
            log.warning("export job %s was no longer running when its file was ready", job_id)
    except Exception as error:
        partial.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        if is_database_unavailable(error):
            raise  # nothing can be recorded now: run_job_retrying tries again when the database is back
        if isinstance(error, DomainError):
            log.warning("export job %s refused: %s", job_id, error.message)
            message = error.message
        else:
            log.exception("export job %s failed", job_id)
            message = _("The export failed (%(error)s); the details are in the server log.",
                        error=type(error).__name__)
        _fail(job_id, message)


@use_case
def _claim(job_id: int) -> bool:
    """queued → running, as one compare-and-set UPDATE (its unit's first statement: it waits for the write
    lock). Of two runners handed the same job, one claims it; the other gets False and does nothing."""
    return _move(job_id, ExportStatus.QUEUED, ExportStatus.RUNNING, {"started_at": utcnow(), "rows_done": 0})


@use_case
def _finish(job_id: int, rows: int, stored_name: str) -> bool:
    """running → done, with the published file's name and its expiry."""
    finished = utcnow()
    return _move(job_id, ExportStatus.RUNNING, ExportStatus.DONE, {
        "rows_done": rows, "rows_total": rows, "stored_name": stored_name, "finished_at": finished,
        "expires_at": finished + timedelta(hours=current_app.config["EXPORT_KEEP_HOURS"])})


def _filter_for(job: ExportJob) -> ReportFilter:
    """The filter re-resolved against the requester's scope as it is now (it may have changed since)."""
    from base_ops.accounts.models import User

    user = db.session.get(User, job.requested_by_id)
    if user is None or not user.is_enabled:
        raise PermissionDenied(_("The account that asked for this export is disabled."))
    params = job.params
    return resolve_filter(user, start=date.fromisoformat(params["from"]), end=date.fromisoformat(params["to"]),
                          region_code=params.get("region_code"), base_id=params.get("base_id"))


def _progress_writer(job_id: int):
    """progress(rows_done), committed on a session of its own while the export's read goes on.

    Not the unit of work's session: that one is mid-read (a commit there would end the streaming
    read), so each progress step is a transaction of its own (`session.begin()` commits it). The
    session is bound to what the main session is bound to: the engine (a connection of its own) in
    the app; the test's connection in tests, where it commits as a savepoint. Not a status move.
    """
    bind = db.session.get_bind()

    def progress(rows_done: int) -> None:
        with Session(bind=bind, join_transaction_mode="create_savepoint") as session, session.begin():
            session.execute(update(ExportJob).where(ExportJob.id == job_id).values(rows_done=rows_done))

    return progress


@use_case
def _fail(job_id: int, message: str, *, was: ExportStatus = ExportStatus.RUNNING) -> None:
    """was → failed, with the reason the requester reads on the job's page."""
    if not _move(job_id, was, ExportStatus.FAILED, {"error": message[:1000], "finished_at": utcnow()}):
        log.warning("export job %s was no longer %s when it failed: %s", job_id, was, message)


# ---------------------------------------------------------------- expiry

@use_case
def purge_expired() -> int:
    """Delete the files of jobs past expires_at and mark them expired; fail jobs whose runner is gone.

    Returns the number of jobs changed. Reads first and writes only when there is something
    to do, so the common call (nothing expired) costs one query. Each job moves by a
    compare-and-set: a job a runner moved meanwhile is left to it.
    """
    now = utcnow()
    expired = db.session.execute(
        select(ExportJob.id, ExportJob.stored_name)
        .where(ExportJob.status == ExportStatus.DONE, ExportJob.expires_at <= now)
    ).all()
    stale = db.session.execute(
        select(ExportJob.id, ExportJob.status).where(ExportJob.status.in_((ExportStatus.QUEUED, ExportStatus.RUNNING)),
                                                     ExportJob.created_at < now - STALE_AFTER)
    ).all()
    if not expired and not stale:
        return 0
    before_first_write()
    folder = Path(current_app.config["EXPORT_FOLDER"])
    for _job_id, stored_name in expired:
        if stored_name:
            (folder / stored_name).unlink(missing_ok=True)  # the file first: never an "expired" job with a file
    changed = sum(_move(job_id, ExportStatus.DONE, ExportStatus.EXPIRED) for job_id, _name in expired)
    interrupted = {"finished_at": now, "error": _("The export was interrupted; please ask for it again.")}
    changed += sum(_move(job_id, ExportStatus(status), ExportStatus.FAILED, interrupted) for job_id, status in stale)
    log.info("export purge: %s expired, %s interrupted", len(expired), len(stale))
    return changed


def purge_orphans() -> int:
    """Delete files in EXPORT_FOLDER that no finished job owns and that are older than the keep time
    (left by a process killed mid-export); a running job's partial file is recent and stays."""
    folder = Path(current_app.config["EXPORT_FOLDER"])
    if not folder.is_dir():
        return 0
    owned = set(db.session.execute(
        select(ExportJob.stored_name).where(ExportJob.status == ExportStatus.DONE)).scalars())
    cutoff = utcnow().timestamp() - current_app.config["EXPORT_KEEP_HOURS"] * 3600
    removed = 0
    for path in folder.iterdir():
        if path.is_file() and path.name not in owned and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


# ---------------------------------------------------------------- the requester's view of his jobs

def get_job(actor, job_id: int) -> ExportJob:
    """Only the requester sees a job; anyone else's is not found (docs/security.md "Object scope")."""
    job = db.session.get(ExportJob, job_id)
    if job is None or job.requested_by_id != actor.id:
        raise NotFound(_("No such export."))
    return job


def base_name_of(job: ExportJob) -> str | None:
    """The name of the base a job was limited to, for its page (a base by name, never "#3")."""
    from base_ops.org.models import Base

    base_id = (job.params or {}).get("base_id")
    base = db.session.get(Base, base_id) if isinstance(base_id, int) else None
    return base.name if base is not None else None


def list_jobs(actor) -> list[ExportJob]:
    purge_expired()
    return list(db.session.execute(
        select(ExportJob).where(ExportJob.requested_by_id == actor.id)
        .order_by(ExportJob.created_at.desc(), ExportJob.id.desc()).limit(LIST_LIMIT)
    ).scalars())


def progress_of(job: ExportJob) -> dict:
    """{status, rows_done, rows_total, percent} for the progress bar."""
    if job.status == ExportStatus.DONE:
        percent = 100
    elif job.rows_total:
        percent = min(99, job.rows_done * 100 // job.rows_total)
    else:
        percent = 0
    return {"status": str(job.status), "rows_done": job.rows_done, "rows_total": job.rows_total,
            "percent": percent}


def job_file(actor, job_id: int) -> tuple[ExportJob, Path]:
    """The finished file of the actor's job, its download audited with the row count."""
    job = get_job(actor, job_id)
    if job.status == ExportStatus.DONE and job.expires_at is not None and job.expires_at <= utcnow():
        purge_expired()  # a unit of its own: the expiry stands though this download is then refused
    if job.status != ExportStatus.DONE or not job.stored_name:
        raise NotFound(_("This export has no file to download (it is not finished, failed or has expired)."))
    path = Path(current_app.config["EXPORT_FOLDER"]) / job.stored_name
    if not path.is_file():
        raise NotFound(_("The file of this export is no longer there; please ask for it again."))
    with unit_of_work():
        audit.record(actor, "export.download", job, kind=job.kind, rows=job.rows_total)
    return job, path

"""The moves declared on the reports' models (issue 16): export jobs (ExportJob.transitions, every move the
system's, each a compare-and-set, so two runners never both run a job) and monthly reports (MonthlyReport:
the county's own officer submits and corrects, a correction needs a reason, the unique version decides)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from base_ops.core.errors import Conflict
from base_ops.core.roles import Role
from base_ops.core.unit_of_work import unit_of_work
from base_ops.extensions import db as _db
from base_ops.org.models import Region
from base_ops.reports.exports import services as jobs
from base_ops.reports.exports import spreadsheets as exports
from base_ops.reports.models import (
    EXPORT_MOVES,
    MONTHLY_MOVES,
    SYSTEM,
    ExportJob,
    ExportStatus,
    MonthlyMove,
    MonthlyReport,
)
from base_ops.reports.monthly import services as monthly  # noqa: F401  (registers the version's constraint)
from tests.race_support import race, separate_app

E = ExportStatus
PARAMS = {"from": "2026-01-01", "to": "2027-01-01", "region_code": None, "base_id": None}


@pytest.fixture
def folder(app, tmp_path, monkeypatch):
    path = tmp_path / "exports"
    monkeypatch.setitem(app.config, "EXPORT_FOLDER", str(path))
    return path


def queued_job(db, user, **values) -> ExportJob:
    job = ExportJob(kind="placements", requested_by_id=user.id, rows_total=1, params=PARAMS, **values)
    db.session.add(job)
    db.session.commit()
    return job


def status_of(db, job_id: int) -> ExportStatus:
    db.session.expire_all()
    return db.session.get(ExportJob, job_id).status


# ---------------------------------------------------------------- export jobs: the table

def test_the_export_table():
    assert {
        E.QUEUED: {E.RUNNING, E.FAILED},
        E.RUNNING: {E.DONE, E.FAILED, E.QUEUED},
        E.DONE: {E.EXPIRED},
        E.FAILED: set(),
        E.EXPIRED: set(),
    } == EXPORT_MOVES
    assert set(EXPORT_MOVES) == set(ExportStatus)  # every status is declared, if only as an end


def test_only_the_system_moves_a_job(db, world):
    job = queued_job(db, world.officer_x)
    assert job.can(E.RUNNING, SYSTEM) and job.can(E.FAILED, SYSTEM)
    assert not job.can(E.DONE, SYSTEM)  # not in the table: a job is claimed before it is done
    for actor in (world.officer_x, world.admin, None):
        assert not job.can(E.RUNNING, actor) and not job.can(E.FAILED, actor)  # the requester cannot cancel
    assert ExportJob.transitions.moves_for(SYSTEM, E.RUNNING, instance=job) == [E.QUEUED, E.DONE, E.FAILED]


def test_a_move_the_table_lacks_is_refused_before_any_write(db, world):
    job = queued_job(db, world.officer_x, status=E.DONE)
    with pytest.raises(Conflict) as refused:
        jobs._move(job.id, E.DONE, E.RUNNING)
    assert refused.value.code == "invalid_transition"
    assert status_of(db, job.id) == E.DONE


# ---------------------------------------------------------------- export jobs: compare-and-set

def test_a_job_is_claimed_once(db, world):
    job = queued_job(db, world.officer_x)
    assert jobs._claim(job.id) is True
    assert jobs._claim(job.id) is False  # a second runner handed the same job: no longer queued
    db.session.expire_all()
    claimed = db.session.get(ExportJob, job.id)
    assert claimed.status == E.RUNNING and claimed.started_at is not None


def test_a_failure_does_not_overwrite_a_finished_job(db, world):
    job = queued_job(db, world.officer_x, status=E.DONE)
    jobs._fail(job.id, "too late")  # running -> failed: this job is no longer running
    db.session.expire_all()
    assert db.session.get(ExportJob, job.id).status == E.DONE
    assert db.session.get(ExportJob, job.id).error is None


def test_a_job_given_up_while_building_publishes_no_file(db, world, folder, monkeypatch):
    """The purge failed the job (its runner seemed gone) while the file was being written: the runner's
    done is refused by the compare-and-set and its file removed; the job stays failed."""
    job = queued_job(db, world.officer_x)

    def written_while_given_up(kind, f, fileobj, progress=None):
        fileobj.write(b"PK a spreadsheet")
        jobs._fail(job.id, "interrupted")  # what the purge does to a stale running job
        return 1

    monkeypatch.setattr(exports, "write_xlsx", written_while_given_up)

    jobs.run_job(job.id)

    db.session.expire_all()
    given_up = db.session.get(ExportJob, job.id)
    assert given_up.status == E.FAILED and given_up.error == "interrupted" and given_up.stored_name is None
    assert list(folder.iterdir()) == []


# ---------------------------------------------------------------- export jobs: two runners at once

@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    yield from separate_app(tmp_path_factory, "export_race", _site)


def _site(app) -> None:
    from base_ops.accounts.services import create_user
    from base_ops.org import services as org
    from tests.conftest import REGIONS

    org.load_regions([{"code": c, "name": n, "level": lvl, "parent_code": p} for c, n, lvl, p in REGIONS])
    create_user(None, username="export_officer", role="county_officer", password="Correct-Horse-42",
                region_code="330106")


def _new_job(app) -> int:
    from base_ops.accounts.models import User

    with app.app_context():
        officer = _db.session.scalar(select(User).where(User.username == "export_officer"))
        with unit_of_work():
            job = ExportJob(kind="placements", requested_by_id=officer.id, rows_total=1, params=PARAMS)
            _db.session.add(job)
        return job.id


def _run(barrier, job_id):
    _db.session.get(ExportJob, job_id)  # hold a read snapshot when the race starts
    barrier.wait()
    jobs.run_job(job_id)


@pytest.mark.parametrize("round_", range(2))
def test_two_runners_handed_the_same_job_build_it_once(race_app, tmp_path, monkeypatch, round_):
    """RQ retried a job a thread already took (or two workers got it): one claims it, the other does nothing."""
    monkeypatch.setitem(race_app.config, "EXPORT_FOLDER", str(tmp_path))
    built = []
    lock = threading.Lock()

    def write(kind, f, fileobj, progress=None):
        with lock:
            built.append(threading.current_thread().name)
        time.sleep(0.2)  # the other runner tries its claim while this one builds
        fileobj.write(b"PK a spreadsheet")
        return 1

    monkeypatch.setattr(exports, "write_xlsx", write)
    job_id = _new_job(race_app)

    assert race(race_app, _run, (job_id,), (job_id,)) == ["ok", "ok"]

    assert len(built) == 1
    with race_app.app_context():
        job = _db.session.get(ExportJob, job_id)
        assert job.status == E.DONE
        assert sorted(p.name for p in tmp_path.iterdir()) == [job.stored_name]
        _db.session.remove()


# ---------------------------------------------------------------- monthly reports

def test_the_monthly_table():
    assert {"unsubmitted": {MonthlyMove.SUBMIT}, "submitted": {MonthlyMove.CORRECT}} == MONTHLY_MOVES
    assert MonthlyReport.next_move(0) == MonthlyMove.SUBMIT
    assert MonthlyReport.next_move(1) == MonthlyReport.next_move(7) == MonthlyMove.CORRECT
    assert MonthlyReport.needs_reason(MonthlyMove.CORRECT) and not MonthlyReport.needs_reason(MonthlyMove.SUBMIT)


def test_the_countys_own_officer_submits_and_corrects(db, world, factory):
    county = db.session.get(Region, "330106")
    city = db.session.get(Region, "330100")
    city_officer = factory.user("county_officer", username="officer_city_m", region_code="330100")
    for move in MonthlyMove:
        assert MonthlyReport.can(move, world.officer_x, county)
        assert not MonthlyReport.can(move, world.officer_y, county)  # another county
        assert not MonthlyReport.can(move, city_officer, county)  # the city reads, the county submits
        assert not MonthlyReport.can(move, city_officer, city)  # a city has no monthly report of its own
        assert not MonthlyReport.can(move, world.manager_a, county)
        assert not MonthlyReport.can(move, SimpleNamespace(role=Role.COUNTY_OFFICER, region_code=None), county)
        assert not MonthlyReport.can(move, None, county)


def test_a_version_stored_twice_is_409_version_exists_wherever_it_is_written(db, world):
    """The unique (region, month, version) is mapped once (on_constraint), not only in submit_month."""
    def version_one():
        return MonthlyReport(region_code="330106", month="2026-09", version=1, figures={}, reason=None,
                             submitted_by_id=world.officer_x.id, submitted_at=datetime(2026, 10, 2, tzinfo=UTC))

    with unit_of_work():
        db.session.add(version_one())
    with pytest.raises(Conflict) as taken, unit_of_work():
        db.session.add(version_one())
    assert taken.value.code == "version_exists"
    assert len(db.session.scalars(select(MonthlyReport).where(MonthlyReport.month == "2026-09")).all()) == 1

"""Concurrency: two hires racing for the last open position of a posting, two hires racing for the last
place of an agreement's hire quota, and one referral hired twice at once. Exactly one wins; the other
gets a clear 409 (posting_full / quota_reached / invalid_transition), never a 500, never a second
placement, and open_positions never goes below zero. Likewise a placement ended twice at once, or ended
and undone at once, makes one move (its state machine).

Like tests/beds/test_races.py: a database of its own (a SQLite file, or a PostgreSQL database
created for the module when TEST_DATABASE_URL is set), threads with their own app contexts and
sessions, released together by a barrier after each has read what it needs.
"""

from __future__ import annotations

import itertools
import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from base_ops.extensions import db
from tests.race_support import separate_app

TODAY = date(2026, 11, 20)
SERIALS = itertools.count(1000)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    for module in ("base_ops.core.clock", "base_ops.placements.services", "base_ops.placements.queries"):
        monkeypatch.setattr(f"{module}.today", lambda: TODAY)


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    yield from separate_app(tmp_path_factory, "hire_race", _site)


def _site(app) -> None:
    from base_ops.accounts.services import create_user
    from base_ops.enterprises.services import create_enterprise
    from base_ops.org import services as org
    from tests.conftest import REGIONS

    org.load_regions([{"code": c, "name": n, "level": lvl, "parent_code": p} for c, n, lvl, p in REGIONS])
    base = org.create_base(None, name="竞争基地", region_code="330106", address="测试路 9 号")
    enterprise = create_enterprise(None, name="竞争企业", uscc="91330106MA27XK3L01", region_code="330106",
                                   contact_name="王", contact_phone="0571-1")
    create_user(None, username="race_manager", role="base_manager", password="Correct-Horse-42", base_ids=[base.id])
    create_user(None, username="race_hr", role="enterprise", password="Correct-Horse-42",
                enterprise_id=enterprise.id)
    app.config["RACE_BASE_ID"] = base.id
    app.config["RACE_ENTERPRISE_ID"] = enterprise.id
    # an enterprise whose agreement allows one hire (the quota race)
    from decimal import Decimal

    from base_ops.enterprises.services import create_agreement

    quota = create_enterprise(None, name="定额企业", uscc="91330106MA2GL8Y00P", region_code="330106",
                              contact_name="李", contact_phone="0571-2")
    create_user(None, username="race_quota_hr", role="enterprise", password="Correct-Horse-42",
                enterprise_id=quota.id)
    officer = create_user(None, username="race_officer", role="county_officer", password="Correct-Horse-42",
                          region_code="330106")
    create_agreement(officer, quota, starts_on=date(2026, 1, 1), ends_on=date(2027, 12, 31), hire_quota=1,
                     min_contract_months=12, one_time_subsidy=Decimal("3000"), one_time_after_months=6,
                     post_subsidy_monthly=Decimal("600"), post_subsidy_max_months=12,
                     insurance_subsidy_monthly=Decimal("800"), insurance_subsidy_max_months=36,
                     budget=Decimal("100000"))
    app.config["RACE_QUOTA_ENTERPRISE_ID"] = quota.id


def _user(username):
    from base_ops.accounts.models import User

    return db.session.scalar(select(User).where(User.username == username))


def _offered_pair(app, tag: str, positions: int = 1, hr_name: str = "race_hr",
                  enterprise_key: str = "RACE_ENTERPRISE_ID") -> tuple[int, list[int]]:
    """A posting with `positions` and two residents referred to it and offered: (posting_id, referral ids)."""
    from base_ops.enterprises import services as enterprise_services
    from base_ops.placements import services
    from tests.placements.helpers import admit_new_resident

    with app.app_context():
        from base_ops.org.models import Base

        manager, hr = _user("race_manager"), _user(hr_name)
        base = db.session.get(Base, app.config["RACE_BASE_ID"])
        posting = enterprise_services.create_posting(
            hr, enterprise_id=app.config[enterprise_key], title=f"岗位{tag}", description="d",
            positions=positions, wage_min=3000, wage_max=4000, location="杭州", provides_housing=False)
        enterprise_services.open_posting(hr, posting)
        referral_ids = []
        for i in range(2):
            resident, _ = admit_new_resident(manager, base, next(SERIALS), f"竞{tag}{i}", admitted_on=date(2026, 11, 1))
            referral = services.refer(manager, posting_id=posting.id, resident_id=resident.id)
            services.move_referral(hr, referral, status="interviewing")
            services.move_referral(hr, referral, status="offered")
            referral_ids.append(referral.id)
        return posting.id, referral_ids


def _race(app, referral_ids: list[int], hr_name: str = "race_hr") -> list[str]:
    from base_ops.core.errors import DomainError
    from base_ops.placements import services
    from base_ops.placements.models import Referral

    barrier = threading.Barrier(len(referral_ids), timeout=30)
    results: list[str] = []
    lock = threading.Lock()

    def run(referral_id):
        outcome = None
        with app.app_context():
            try:
                hr = _user(hr_name)
                referral = db.session.get(Referral, referral_id)
                assert referral.status == "offered"  # read first: a SQLite worker holds a snapshot
                barrier.wait()
                services.hire(hr, referral, started_on=TODAY, contract_months=12, monthly_wage="4000",
                              social_insurance=True)
                outcome = "ok"
            except DomainError as error:
                outcome = error.code
            except Exception as error:  # anything else is a failure of the test
                outcome = repr(error)
            finally:
                db.session.remove()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(rid,)) for rid in referral_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a racer hung"
    return sorted(results)


def _state(app, posting_id: int) -> tuple[int, int]:
    from base_ops.enterprises.models import JobPosting
    from base_ops.placements.models import Placement, Referral

    with app.app_context():
        placements = db.session.scalar(select(func.count()).select_from(Placement).join(Referral)
                                       .where(Referral.posting_id == posting_id))
        return db.session.get(JobPosting, posting_id).open_positions, placements


@pytest.mark.parametrize("round_", range(3))
def test_two_hires_race_for_the_last_position(race_app, round_):
    posting_id, referral_ids = _offered_pair(race_app, f"L{round_}")
    results = _race(race_app, referral_ids)
    assert results == ["ok", "posting_full"]
    assert _state(race_app, posting_id) == (0, 1)


def test_two_hires_race_for_the_last_place_of_the_hire_quota(race_app):
    """Two postings of one enterprise whose agreement allows one hire (two postings: no posting row
    serialises the hires): one hire wins, the other is 409 quota_reached (counted under the agreement's
    row lock), never two placements."""
    pairs = [_offered_pair(race_app, f"Q{i}", hr_name="race_quota_hr", enterprise_key="RACE_QUOTA_ENTERPRISE_ID")
             for i in range(2)]
    results = _race(race_app, [referral_ids[0] for _posting, referral_ids in pairs], hr_name="race_quota_hr")
    assert results == ["ok", "quota_reached"]
    assert sorted(_state(race_app, posting_id) for posting_id, _ in pairs) == [(0, 1), (1, 0)]


def test_the_same_referral_hired_twice_at_once(race_app):
    posting_id, referral_ids = _offered_pair(race_app, "S", positions=2)
    results = _race(race_app, [referral_ids[0], referral_ids[0]])
    assert results == ["invalid_transition", "ok"]
    assert _state(race_app, posting_id) == (1, 1)


def test_a_double_clicked_open_opens_the_posting_once(race_app):
    """Both clicks read the draft; one opens it, the other gets 409 invalid_transition; one audit row."""
    from base_ops.core.audit import AuditEvent
    from base_ops.core.errors import DomainError
    from base_ops.enterprises import services as enterprise_services
    from base_ops.enterprises.models import JobPosting

    with race_app.app_context():
        posting = enterprise_services.create_posting(
            _user("race_hr"), enterprise_id=race_app.config["RACE_ENTERPRISE_ID"], title="双击岗位", description="d",
            positions=1, wage_min=3000, wage_max=4000, location="杭州", provides_housing=False)
        posting_id = posting.id
    barrier = threading.Barrier(2, timeout=30)
    results: list[str] = []
    lock = threading.Lock()

    def click():
        outcome = None
        with race_app.app_context():
            try:
                hr = _user("race_hr")
                draft = db.session.get(JobPosting, posting_id)
                assert draft.status == "draft"  # read first: a SQLite worker holds a snapshot
                barrier.wait()
                enterprise_services.open_posting(hr, draft)
                outcome = "ok"
            except DomainError as error:
                outcome = error.code
            except Exception as error:  # anything else is a failure of the test
                outcome = repr(error)
            finally:
                db.session.remove()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a click hung"
    assert sorted(results) == ["invalid_transition", "ok"]
    with race_app.app_context():
        assert db.session.get(JobPosting, posting_id).status == "open"
        opened = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "posting_opened", AuditEvent.object_id == str(posting_id)))
        assert opened == 1


def _hired(app, tag: str) -> int:
    """A placement hired from a fresh offered pair (the first referral): its id."""
    from base_ops.placements import services
    from base_ops.placements.models import Referral

    _posting_id, referral_ids = _offered_pair(app, tag, positions=2)
    with app.app_context():
        placement = services.hire(_user("race_hr"), db.session.get(Referral, referral_ids[0]), started_on=TODAY,
                                  contract_months=12, monthly_wage="4000", social_insurance=True)
        return placement.id


def _race_moves(app, placement_id: int, moves) -> list[str]:
    """Each racer reads the active placement, then makes its move (issue 16: the placement's state machine,
    a compare-and-set on the state it read)."""
    from base_ops.core.errors import DomainError
    from base_ops.placements import services
    from base_ops.placements.models import Placement

    barrier = threading.Barrier(len(moves), timeout=30)
    results: list[str] = []
    lock = threading.Lock()

    def run(move):
        outcome = None
        with app.app_context():
            try:
                hr = _user("race_hr")
                placement = db.session.get(Placement, placement_id)
                assert placement.state == "active" and placement.checks == []  # read first
                barrier.wait()
                if move == "end":
                    services.end_placement(hr, placement, ended_on=TODAY, reason="合同解除")
                else:
                    services.cancel_placement(hr, placement)
                outcome = "ok"
            except DomainError as error:
                outcome = error.code
            except Exception as error:  # anything else is a failure of the test
                outcome = repr(error)
            finally:
                db.session.remove()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(move,)) for move in moves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a racer hung"
    return sorted(results)


def _moves_recorded(app, placement_id: int) -> list[str]:
    from base_ops.core.audit import AuditEvent

    with app.app_context():
        return sorted(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "Placement", AuditEvent.object_id == str(placement_id),
            AuditEvent.action != "placement_created")))


# The loser read "active": if the winner committed before the loser's unit began, the loser reads the new
# state and is refused by it (placement_ended / placement_cancelled / invalid_transition); if not, the
# compare-and-set refuses it (invalid_transition). Never both moves, never a 500.
LOST = {"invalid_transition", "placement_ended", "placement_cancelled"}


def test_a_double_clicked_end_ends_the_placement_once(race_app):
    placement_id = _hired(race_app, "E")
    results = _race_moves(race_app, placement_id, ["end", "end"])
    assert results[1] == "ok" and results[0] in LOST, results
    assert _moves_recorded(race_app, placement_id) == ["placement_ended"]


def test_an_end_and_an_undo_at_once_make_one_move(race_app):
    from base_ops.enterprises.models import JobPosting
    from base_ops.placements.models import Placement, Referral

    placement_id = _hired(race_app, "U")
    results = _race_moves(race_app, placement_id, ["end", "undo"])
    assert sorted(outcome == "ok" for outcome in results) == [False, True], results
    assert set(results) - {"ok"} <= LOST
    recorded = _moves_recorded(race_app, placement_id)
    assert recorded in (["placement_ended"], ["placement_cancelled"])
    with race_app.app_context():
        placement = db.session.get(Placement, placement_id)
        referral = db.session.get(Referral, placement.referral_id)
        posting = db.session.get(JobPosting, referral.posting_id)
        if recorded == ["placement_ended"]:  # the undo left nothing behind: still hired, the position still taken
            assert (placement.state, referral.status, posting.open_positions) == ("ended", "hired", 1)
        else:
            assert (placement.state, referral.status, posting.open_positions) == ("cancelled", "offered", 2)

"""Shared fixtures: app (migrated schema), per-test rolled-back db, client, login_as, factories.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is
set (CI sets it). The schema is built by the Alembic migrations, not
create_all, so every run also proves the migrations work.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

import pyotp
import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import text

from base_ops import create_app
from base_ops.config import TestConfig
from base_ops.core.db import utcnow
from base_ops.extensions import db as _db

PASSWORD = "Correct-Horse-42"

REGIONS = [
    ("330000", "浙江省", "province", None),
    ("330100", "杭州市", "city", "330000"),
    ("330106", "西湖区", "county", "330100"),
    ("330110", "余杭区", "county", "330100"),
    ("330200", "宁波市", "city", "330000"),
    ("330203", "海曙区", "county", "330200"),
    ("110000", "北京市", "province", None),
    ("110100", "北京市", "city", "110000"),
    ("110105", "朝阳区", "county", "110100"),
]


def _database_url(tmp_root: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_root / 'test.sqlite3'}"


def reset_database(app) -> None:
    """Empty the database and build the schema with the migrations."""
    from flask_migrate import upgrade

    with app.app_context():
        engine = _db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            _db.drop_all()
            with engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        _db.session.remove()


@pytest.fixture(scope="session")
def app():
    tmp_root = Path(tempfile.mkdtemp(prefix="base_ops_test_"))
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=_database_url(tmp_root),
                     UPLOAD_FOLDER=str(tmp_root / "uploads"))
    app.test_client_class = IsolatedClient
    reset_database(app)
    return app


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (and so its own `g` and session),
    as in production, even though the test itself holds an app context open."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


class _ConnectionBoundSession(FlaskSession):
    """Flask-SQLAlchemy's session picks the engine itself; this one keeps to the test's connection."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@pytest.fixture
def db(app):
    """A session whose every commit is a savepoint inside one outer transaction, rolled back after the test."""
    with app.app_context():
        connection = _db.engine.connect()
        outer = connection.begin()
        session = _db._make_scoped_session(
            {"class_": _ConnectionBoundSession, "bind": connection, "join_transaction_mode": "create_savepoint"}
        )
        saved = _db.session
        _db.session = session
        try:
            yield _db
        finally:
            session.remove()
            _db.session = saved
            if outer.is_active:
                outer.rollback()
            connection.close()


@pytest.fixture
def client(app, db):
    return app.test_client()


# ---------------------------------------------------------------- factories

class Factory:
    """Builds objects through the services, so tests see what users would."""

    def __init__(self, db):
        self.db = db
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def regions(self):
        from base_ops.org.services import load_regions

        rows = [{"code": c, "name": n, "level": lvl, "parent_code": p} for c, n, lvl, p in REGIONS]
        load_regions(rows)

    def base(self, region_code="330106", name=None, rooms=(("101", "male", ("A", "B")),)):
        from base_ops.org import services

        base = services.create_base(None, name=name or f"基地{self._next()}", region_code=region_code,
                                    address="测试路 1 号")
        for room_name, sex, labels in rooms:
            room = services.create_room(None, base, name=room_name, sex=sex)
            for label in labels:
                services.create_bed(None, room, label=label, in_service_from=date(2025, 1, 1))
        return self._with_account(base)

    def enterprise(self, region_code="330106", uscc="91330106MA27XK3L01", name=None):
        from base_ops.enterprises.services import create_enterprise

        return self._with_account(create_enterprise(None, name=name or f"企业{self._next()}", uscc=uscc,
                                                    region_code=region_code, contact_name="王经理",
                                                    contact_phone="0571-88000000"))

    def _with_account(self, payee):
        """A bank account to pay its claims to: approval refuses a claim without one (subsidies/payees.py)."""
        payee.bank_account = f"6217000010{payee.id:08d}"
        self.db.session.commit()
        return payee

    def user(self, role, *, username=None, region_code=None, bases=(), enterprise=None, totp=False,
             password=PASSWORD):
        from base_ops.accounts.services import create_user

        defaults_region = "330106" if role == "county_officer" and region_code is None else region_code
        user = create_user(
            None, username=username or f"{role}{self._next()}", role=role, password=password,
            region_code=defaults_region, base_ids=[b.id for b in bases],
            enterprise_id=enterprise.id if enterprise else None,
        )
        if totp:
            user.totp_secret = pyotp.random_base32()
            user.totp_enabled = True
            self.db.session.commit()
        return user


@pytest.fixture
def factory(db):
    f = Factory(db)
    f.regions()
    return f


@pytest.fixture
def world(factory):
    """Two counties (X=330106, Y=330110), a base in each, an enterprise, one user per role and scope."""

    class World:
        pass

    w = World()
    w.base_a = factory.base("330106", name="基地A", rooms=(("101", "male", ("A", "B")), ("201", "female", ("A",))))
    w.base_b = factory.base("330110", name="基地B", rooms=(("1", "male", ("1",)),))
    w.enterprise = factory.enterprise("330106")
    w.admin = factory.user("admin", username="admin_w", totp=True)
    w.auditor = factory.user("auditor", username="auditor_w", totp=True)
    w.officer_x = factory.user("county_officer", username="officer_x", region_code="330106", totp=True)
    w.officer_y = factory.user("county_officer", username="officer_y", region_code="330110", totp=True)
    w.manager_a = factory.user("base_manager", username="manager_a", bases=[w.base_a])
    w.manager_b = factory.user("base_manager", username="manager_b", bases=[w.base_b])
    w.trainer_a = factory.user("trainer", username="trainer_a", bases=[w.base_a])
    w.enterprise_user = factory.user("enterprise", username="enterprise_e", enterprise=w.enterprise)
    _people(factory.db, w)
    return w


# Valid ID numbers (check characters computed with stdnum.cn.ric).
ID_A = "330106198503121231"  # male, born 1985-03-12
ID_B = "330102199007084565"  # female, born 1990-07-08
ID_OLD = "11010519491231002X"  # female, born 1949-12-31
ID_MINOR = "330106201201011111"  # male, born 2012-01-01


def _people(db, w):
    """A resident with an open stay and a bed in each base, a notice in county X.

    Built straight from the models (not the services) so every module's tests,
    and the route sweep, have objects to point at whatever the services do.
    """
    from base_ops.beds.models import BedAssignment
    from base_ops.intake.models import Leave, ReleaseNotice, Stay
    from base_ops.residents.models import CaseNote, Resident

    def person(id_number, name, sex, birth, base, hukou):
        return Resident(id_number=id_number, name=name, sex=sex, birth_on=birth, hukou_region_code=hukou,
                        subject_type="released", released_on=date(2026, 9, 1), prison_name="浙江省第一监狱",
                        prison_region_code="330106", offence="盗窃罪", sentence_months=36,
                        registered_on=date(2026, 9, 10), is_homeless=True, has_no_relatives=True,
                        is_unemployed=True, health_notes="高血压", bank_account="6222020200112233445",
                        phone="13800000000", base_id=base.id, hardship_recorded_on=date(2026, 9, 10),
                        hardship_evidence="村委会出具的生活困难证明")

    w.resident_a = person(ID_A, "张三", "male", date(1985, 3, 12), w.base_a, "330106")
    w.resident_b = person(ID_B, "李四", "female", date(1990, 7, 8), w.base_b, "330110")
    db.session.add_all([w.resident_a, w.resident_b])
    db.session.flush()
    w.stay_a = Stay(resident_id=w.resident_a.id, base_id=w.base_a.id, admitted_on=date(2026, 9, 12))
    w.stay_b = Stay(resident_id=w.resident_b.id, base_id=w.base_b.id, admitted_on=date(2026, 9, 15))
    db.session.add_all([w.stay_a, w.stay_b])
    db.session.flush()
    bed_a = w.base_a.rooms[0].beds[0]  # room 101 (male), bed A
    db.session.add(BedAssignment(stay_id=w.stay_a.id, resident_id=w.resident_a.id, bed_id=bed_a.id,
                                 start_on=date(2026, 9, 12)))
    w.leave_a = Leave(stay_id=w.stay_a.id, start_on=date(2026, 10, 1), end_on=date(2026, 10, 3), reason="探亲")
    w.note_a = CaseNote(resident_id=w.resident_a.id, stay_id=w.stay_a.id, kind="talk", noted_on=date(2026, 9, 13),
                        text="入住谈话", author_id=w.manager_a.id)
    w.notice_x = ReleaseNotice(id_number=ID_OLD, name="王五", prison_name="浙江省第二监狱",
                               prison_region_code="330110", expected_release_on=date(2026, 12, 20),
                               received_on=date(2026, 11, 16), receiving_region_code="330106",
                               is_key_subject=True, feedback_due_on=date(2026, 11, 23))
    db.session.add_all([w.leave_a, w.note_a, w.notice_x])
    db.session.commit()
    _training_and_jobs(db, w)


def _training_and_jobs(db, w):
    """A course at base A (trainer_a) with a session and resident_a enrolled; an agreement and an
    open posting of the enterprise, with resident_a referred and hired (a placement)."""
    from decimal import Decimal

    from base_ops.enterprises.models import JobPosting, PlacementAgreement
    from base_ops.placements.models import Placement, Referral
    from base_ops.training.models import Course as CourseModel
    from base_ops.training.models import CourseSession, Enrolment

    w.course_a = CourseModel(base_id=w.base_a.id, title="电焊基础", skill="电焊", trainer_id=w.trainer_a.id,
                             starts_on=date(2026, 11, 2), ends_on=date(2026, 12, 18), capacity=20, enrolled_count=1,
                             hours=Decimal("40"), certificate_type="焊工职业技能等级证书")
    db.session.add(w.course_a)
    db.session.flush()
    w.session_a = CourseSession(course_id=w.course_a.id, held_on=date(2026, 11, 20), hours=Decimal("4"))
    w.enrolment_a = Enrolment(course_id=w.course_a.id, resident_id=w.resident_a.id, stay_id=w.stay_a.id,
                              enrolled_on=date(2026, 11, 2))
    w.agreement = PlacementAgreement(
        enterprise_id=w.enterprise.id, starts_on=date(2026, 1, 1), ends_on=date(2027, 12, 31), hire_quota=10,
        min_contract_months=12, one_time_subsidy=Decimal("3000.00"), one_time_after_months=6,
        post_subsidy_monthly=Decimal("600.00"), post_subsidy_max_months=12,
        insurance_subsidy_monthly=Decimal("800.00"), insurance_subsidy_max_months=36, budget=Decimal("100000.00"))
    w.posting = JobPosting(enterprise_id=w.enterprise.id, title="物业保洁员", description="负责小区日常保洁",
                           positions=3, open_positions=2, wage_min=Decimal("3500"), wage_max=Decimal("4200"),
                           location="杭州市西湖区", provides_housing=True, status="open")
    db.session.add_all([w.session_a, w.enrolment_a, w.agreement, w.posting])
    db.session.flush()
    w.referral_a = Referral(posting_id=w.posting.id, resident_id=w.resident_a.id, enterprise_id=w.enterprise.id,
                            base_id=w.base_a.id, status="hired", referred_by_id=w.manager_a.id)
    db.session.add(w.referral_a)
    db.session.flush()
    w.placement_a = Placement(referral_id=w.referral_a.id, resident_id=w.resident_a.id, enterprise_id=w.enterprise.id,
                              agreement_id=w.agreement.id, stay_id=w.stay_a.id, started_on=date(2026, 11, 10),
                              contract_months=12, monthly_wage=Decimal("3800.00"), social_insurance=True)
    db.session.add(w.placement_a)
    db.session.commit()


@pytest.fixture
def english(app, db):
    """Run the test with the English UI, for assertions on message text (Chinese is the default)."""
    from flask_babel import force_locale

    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    try:
        with force_locale("en"):
            yield
    finally:
        app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"


@pytest.fixture
def login_as(app, db):
    """login_as(user) -> a test client with a live, fresh session for that user."""

    def _login(user):
        client = app.test_client()
        db.session.refresh(user)  # the session version may have moved on (logout, password change)
        now = utcnow().timestamp()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            session["login_at"] = now
            session["last_seen"] = now
            session["auth_at"] = now
        return client

    return _login


@pytest.fixture
def api_headers(db):
    """api_headers(user) -> Authorization header with a fresh bearer token."""
    from base_ops.accounts.services import issue_token

    def _headers(user):
        token, _expires = issue_token(user, via="test")
        return {"Authorization": f"Bearer {token}"}

    return _headers

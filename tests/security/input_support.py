"""Shared ground of the input-side security sweeps (test_csrf, test_mass_assignment, test_idor).

- a frozen today, and snapshots of every row of every table with their diffs, so "nothing written"
  and "the same written" can be asserted for any request;
- `rolled_back()`: a savepoint around requests, so one world serves hundreds of writes;
- two sides: side A (the world's base A, county X, enterprise E) and its mirror side B (base B,
  county Y, a second enterprise) with one object of every kind an URL can name, in the states the
  write endpoints need (`build_sides`);
- WRITES: a valid request for every write endpoint of the app (coverage is asserted);
- the IDOR tables: which object each URL parameter names, and what each scoped role must not reach.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case, func, select

from base_ops.core import clock
from base_ops.core.db import utcnow
from base_ops.extensions import db as _db

TODAY = date(2026, 12, 15)
AUDIT_TABLES = frozenset({"audit_events", "audit_chain_head"})


def freeze_today(monkeypatch, day: date = TODAY) -> None:
    """Every module that imported clock.today sees `day` (modules bind the function at import)."""
    original = clock.today
    monkeypatch.setattr(clock, "today", lambda: day)
    for name, module in list(sys.modules.items()):
        if name.startswith("base_ops.") and getattr(module, "today", None) is original:
            monkeypatch.setattr(module, "today", lambda: day)


def _connection():
    return _db.session.get_bind()


_STATEMENTS: dict[tuple[str, str], tuple[str, list[str], list[str]]] = {}


def _statement(connection, table) -> tuple[str, list[str], list[str]]:
    """SELECT of every column, as SQL text made once per table and dialect (snapshots run hundreds of times)."""
    key = (connection.dialect.name, table.name)
    if key not in _STATEMENTS:
        quote = connection.dialect.identifier_preparer.quote
        columns = [c.name for c in table.columns]
        where = " WHERE source <> 'chinesecalendar'" if table.name == "work_calendar_days" else ""
        sql = f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table.name)}{where}"
        _STATEMENTS[key] = (sql, columns, [c.name for c in table.primary_key.columns])
    return _STATEMENTS[key]


def _calendar_summary(connection, table) -> dict:
    """The work calendar holds ~8,000 seeded days: they are summed up; edited days are kept in full."""
    c = table.c
    summary = connection.execute(select(
        func.count(), func.sum(case((c.is_workday, 1), else_=0)), func.count(c.note),
        func.sum(func.length(c.note)), func.min(c.day), func.max(c.day))).one()
    return dict(zip(("count", "workdays", "notes", "note_length", "first", "last"), summary, strict=True))


def snapshot() -> dict[str, dict[tuple, dict]]:
    """Every row of every table (raw values), keyed by table and primary key: what a request may not change."""
    connection = _connection()
    state: dict[str, dict[tuple, dict]] = {}
    for table in _db.metadata.sorted_tables:
        sql, columns, pk = _statement(connection, table)
        rows = [dict(zip(columns, row, strict=True)) for row in connection.exec_driver_sql(sql).all()]
        state[table.name] = {tuple(row[c] for c in pk): row for row in rows}
        if table.name == "work_calendar_days":
            state[table.name][("summary",)] = _calendar_summary(connection, table)
    return state


def fingerprint() -> dict[str, int]:
    """Row counts of every table in one query: a cheap first check between two full snapshots."""
    connection = _connection()
    quote = connection.dialect.identifier_preparer.quote
    names = [t.name for t in _db.metadata.sorted_tables]
    sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {quote(n)})" for n in names)
    return dict(zip(names, connection.exec_driver_sql(sql).one(), strict=True))


def audit_actions_since(seq: int) -> list[str]:
    rows = _connection().exec_driver_sql(f"SELECT action FROM audit_events WHERE seq > {int(seq)} ORDER BY seq")
    return [row[0] for row in rows]


def last_audit_seq() -> int:
    return _connection().exec_driver_sql("SELECT coalesce(max(seq), 0) FROM audit_events").scalar_one()


def diff(before: dict, after: dict) -> dict[str, dict]:
    """{table: {"inserted": [row], "deleted": [row], "updated": [(pk, {column: (old, new)})]}}, changed tables only."""
    changes: dict[str, dict] = {}
    for name, rows in after.items():
        old = before.get(name, {})
        inserted = [rows[k] for k in rows.keys() - old.keys()]
        deleted = [old[k] for k in old.keys() - rows.keys()]
        updated = []
        for key in rows.keys() & old.keys():
            cols = {c: (old[key][c], rows[key][c]) for c in rows[key] if rows[key][c] != old[key][c]}
            if cols:
                updated.append((key, cols))
        if inserted or deleted or updated:
            changes[name] = {"inserted": inserted, "deleted": deleted, "updated": updated}
    return changes


def describe(changes: dict[str, dict], limit: int = 3) -> str:
    parts = []
    for name, change in sorted(changes.items()):
        bits = [f"+{len(change['inserted'])}" if change["inserted"] else "",
                f"-{len(change['deleted'])}" if change["deleted"] else "",
                f"~{[(k, sorted(cols)) for k, cols in change['updated'][:limit]]}" if change["updated"] else ""]
        parts.append(f"{name} {' '.join(b for b in bits if b)}")
    return "; ".join(parts)


@contextmanager
def rolled_back():
    """Whatever happens inside (requests included) is undone: a savepoint on the test's connection.

    Requests commit into savepoints of their own inside this one. The test's session is committed
    before, and rolled back (its own savepoint, if it opened one inside) before this savepoint is."""
    _db.session.commit()
    nested = _connection().begin_nested()
    try:
        yield
    finally:
        _db.session.rollback()
        if nested.is_active:
            nested.rollback()
        _db.session.expire_all()



# ---------------------------------------------------------------- the two sides

def make_id(birth: date, seq: int) -> str:
    """A valid 18-character ID number of someone born in 西湖区 (odd seq: male, even: female; stdnum
    knows 330106 from 1985 on)."""
    from stdnum.cn import ric

    body = f"330106{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


class Side:
    """One side of the sweep: a base with its county, people and every kind of object an URL can name.

    Side A is the world's base A (county X, enterprise E); side B mirrors it at base B (county Y, a
    second enterprise). Attributes of the same name are counterparts: the IDOR sweep swaps A's for B's.
    Side B's text carries the marker "IDORB" so a leak shows in any response body."""

    def ids(self) -> dict[tuple[type, int], str]:
        """(model class, id) -> attribute name, to find which object an id in a request body is."""
        found = {}
        for name, value in vars(self).items():
            if hasattr(value, "__table__") and getattr(value, "id", None) is not None:
                found.setdefault((type(value), value.id), name)
        return found


def _side_b(factory, db, world) -> Side:
    """World's base B with what base A has in the world: a trainer and course, a second enterprise with an
    agreement, a posting and a hire, a notice, a case note and a leave."""
    from decimal import Decimal

    from base_ops.enterprises.models import JobPosting, PlacementAgreement
    from base_ops.intake.models import Leave, ReleaseNotice
    from base_ops.placements.models import Placement, Referral, ReferralStatus
    from base_ops.residents.models import CaseNote
    from base_ops.training.models import Course, CourseSession, Enrolment

    b = Side()
    b.name, b.county = "B", "330110"
    b.base, b.officer, b.manager = world.base_b, world.officer_y, world.manager_b
    b.resident, b.stay = world.resident_b, world.stay_b
    b.resident.name, b.base.name = "IDORB李四", "IDORB基地"
    b.room = b.base.rooms[0]
    b.bed = b.room.beds[0]
    b.trainer = factory.user("trainer", username="trainer_b", bases=[b.base])
    b.enterprise = factory.enterprise("330110", uscc="91330110MA27XK3L0R", name="IDORB企业")
    b.enterprise_user = factory.user("enterprise", username="enterprise_e2", enterprise=b.enterprise)
    b.course = Course(base_id=b.base.id, title="IDORB课程", skill="烹饪", trainer_id=b.trainer.id,
                      starts_on=date(2026, 11, 2), ends_on=date(2026, 12, 18), capacity=20, enrolled_count=1,
                      hours=Decimal("40"), certificate_type="IDORB证书")
    b.agreement = PlacementAgreement(
        enterprise_id=b.enterprise.id, starts_on=date(2026, 1, 1), ends_on=date(2027, 12, 31), hire_quota=10,
        min_contract_months=12, one_time_subsidy=Decimal("3000.00"), one_time_after_months=6,
        post_subsidy_monthly=Decimal("600.00"), post_subsidy_max_months=12,
        insurance_subsidy_monthly=Decimal("800.00"), insurance_subsidy_max_months=36, budget=Decimal("100000.00"))
    b.posting = JobPosting(enterprise_id=b.enterprise.id, title="IDORB岗位", description="IDORB岗位说明",
                           positions=3, open_positions=2, wage_min=Decimal("3500"), wage_max=Decimal("4200"),
                           location="IDORB地点", provides_housing=True, status="open")
    b.notice = ReleaseNotice(id_number=make_id(date(1986, 5, 6), 22), name="IDORB通知人",
                             prison_name="IDORB监狱", prison_region_code="330106",
                             expected_release_on=date(2026, 12, 20), received_on=date(2026, 11, 16),
                             receiving_region_code="330110", is_key_subject=True, feedback_due_on=date(2026, 11, 23),
                             risk_assessment="IDORB评估")
    b.note = CaseNote(resident_id=b.resident.id, stay_id=b.stay.id, kind="talk", noted_on=date(2026, 9, 16),
                      text="IDORB谈话", author_id=b.manager.id)
    b.leave = Leave(stay_id=b.stay.id, start_on=date(2026, 10, 1), end_on=date(2026, 10, 3), reason="IDORB探亲")
    db.session.add_all([b.course, b.agreement, b.posting, b.notice, b.note, b.leave])
    db.session.flush()
    b.session = CourseSession(course_id=b.course.id, held_on=date(2026, 11, 20), hours=Decimal("4"))
    b.enrolment = Enrolment(course_id=b.course.id, resident_id=b.resident.id, stay_id=b.stay.id,
                            enrolled_on=date(2026, 11, 2))
    b.referral = Referral(posting_id=b.posting.id, resident_id=b.resident.id, enterprise_id=b.enterprise.id,
                          base_id=b.base.id, status=ReferralStatus.HIRED, referred_by_id=b.manager.id)
    db.session.add_all([b.session, b.enrolment, b.referral])
    db.session.flush()
    b.placement = Placement(referral_id=b.referral.id, resident_id=b.resident.id, enterprise_id=b.enterprise.id,
                            agreement_id=b.agreement.id, stay_id=b.stay.id, started_on=date(2026, 11, 10),
                            contract_months=12, monthly_wage=Decimal("3800.00"), social_insurance=True)
    db.session.add(b.placement)
    db.session.commit()
    return b


def _side_a(world) -> Side:
    a = Side()
    a.name, a.county = "A", "330106"
    a.base, a.officer, a.manager, a.trainer = world.base_a, world.officer_x, world.manager_a, world.trainer_a
    a.resident, a.stay = world.resident_a, world.stay_a
    a.room = a.base.rooms[0]
    a.bed = a.room.beds[0]
    a.enterprise, a.enterprise_user = world.enterprise, world.enterprise_user
    a.course, a.session, a.enrolment = world.course_a, world.session_a, world.enrolment_a
    a.agreement, a.posting = world.agreement, world.posting
    a.referral, a.placement = world.referral_a, world.placement_a
    a.notice, a.note, a.leave = world.notice_x, world.note_a, world.leave_a
    return a


def _complete(side: Side, db, seq: int) -> None:
    """Objects every side needs beyond the world's, built the same way on both sides: a second resident
    with an open stay (no bed) and an absence, a resident without a stay, courses of another trainer and
    an ended one, draft and extra open postings with a referred and an offered candidate, claims in each
    state, a payment batch, evidence, export jobs and a monthly report."""
    from decimal import Decimal

    from base_ops.enterprises.models import JobPosting
    from base_ops.intake.models import Absence, ReleaseNotice, Stay
    from base_ops.org.models import DibaoStandard
    from base_ops.placements.models import Referral, ReferralStatus
    from base_ops.residents.models import Resident
    from base_ops.training.models import Attendance, Course, CourseSession, Enrolment

    tag = "" if side.name == "A" else "IDORB"

    def person(name, seq_no, stay_on):
        resident = Resident(id_number=make_id(date(1992, 1, 1), seq_no), name=name, sex="male",
                            birth_on=date(1992, 1, 1), hukou_region_code=side.county, subject_type="released",
                            released_on=date(2026, 9, 1), prison_name=f"{tag}第三监狱", prison_region_code="330106",
                            offence="诈骗罪", sentence_months=24, registered_on=date(2026, 9, 10),
                            is_homeless=True, has_no_relatives=True, is_unemployed=True, base_id=side.base.id)
        db.session.add(resident)
        db.session.flush()
        stay = None
        if stay_on:
            stay = Stay(resident_id=resident.id, base_id=side.base.id, admitted_on=stay_on)
            db.session.add(stay)
            db.session.flush()
        return resident, stay

    side.resident2, side.stay2 = person(f"{tag}王二", seq + 1, date(2026, 10, 1))
    side.resident3, _none = person(f"{tag}赵三", seq + 3, None)
    # A leaver (discharged, with his follow-up schedule): follow-up contacts are recorded after a discharge.
    side.leaver, side.stay_left = person(f"{tag}钱四", seq + 7, date(2026, 10, 1))
    side.stay_left.discharged_on, side.stay_left.destination = date(2026, 12, 1), "returned_home"
    db.session.flush()
    from base_ops.followup.services import schedule_after_discharge

    schedule_after_discharge(side.stay_left)
    from base_ops.followup.models import FollowUp

    db.session.add(FollowUp(resident_id=side.leaver.id, contacted_on=date(2026, 12, 5), method="phone",
                            outcome="stable", note=f"{tag}电话回访", recorded_by_id=side.manager.id,
                            base_id=side.base.id))
    side.absence = Absence(stay_id=side.stay2.id, start_on=date(2026, 12, 10), note=f"{tag}未归")
    side.course_other = Course(base_id=side.base.id, title=f"{tag}另一课程", skill="家政", trainer_id=None,
                               starts_on=date(2026, 11, 2), ends_on=date(2026, 12, 18), capacity=10,
                               enrolled_count=1, hours=Decimal("20"))
    side.course_old = Course(base_id=side.base.id, title=f"{tag}已结课程", skill="电工", trainer_id=side.trainer.id,
                             starts_on=date(2026, 10, 5), ends_on=date(2026, 11, 30), capacity=10, enrolled_count=1,
                             hours=Decimal("8"), certificate_type="电工证")
    drafts = dict(description=f"{tag}岗位说明", positions=2, open_positions=2, wage_min=Decimal("3000"),
                  wage_max=Decimal("3600"), location=f"{tag}地点", provides_housing=False)
    side.posting_draft = JobPosting(enterprise_id=side.enterprise.id, title=f"{tag}草稿岗位", status="draft", **drafts)
    side.posting_open2 = JobPosting(enterprise_id=side.enterprise.id, title=f"{tag}岗位二", status="open", **drafts)
    side.posting_open3 = JobPosting(enterprise_id=side.enterprise.id, title=f"{tag}岗位三", status="open", **drafts)
    db.session.add_all([side.absence, side.course_other, side.course_old, side.posting_draft, side.posting_open2,
                        side.posting_open3, DibaoStandard(region_code=side.county, year=2026,
                                                          monthly=Decimal("1100.00"))])
    db.session.flush()
    side.session_other = CourseSession(course_id=side.course_other.id, held_on=date(2026, 11, 21), hours=Decimal("4"))
    side.session_old = CourseSession(course_id=side.course_old.id, held_on=date(2026, 11, 5), hours=Decimal("8"))
    side.enrolment_other = Enrolment(course_id=side.course_other.id, resident_id=side.resident2.id,
                                     stay_id=side.stay2.id, enrolled_on=date(2026, 11, 2))
    side.enrolment_old = Enrolment(course_id=side.course_old.id, resident_id=side.resident2.id,
                                   stay_id=side.stay2.id, enrolled_on=date(2026, 10, 5))

    def referral(posting, status):
        return Referral(posting_id=posting.id, resident_id=side.resident2.id, enterprise_id=side.enterprise.id,
                        base_id=side.base.id, status=status, referred_by_id=side.manager.id)

    side.referral_referred = referral(side.posting_open2, ReferralStatus.REFERRED)
    side.referral_offered = referral(side.posting_open3, ReferralStatus.OFFERED)
    db.session.add_all([side.session_other, side.session_old, side.enrolment_other, side.enrolment_old,
                        side.referral_referred, side.referral_offered])
    db.session.flush()
    db.session.add(Attendance(session_id=side.session_old.id, resident_id=side.resident2.id,
                              enrolment_id=side.enrolment_old.id, status="present", recorded_by_id=side.trainer.id))
    side.notice2 = ReleaseNotice(id_number=make_id(date(1987, 4, 4), seq + 5), name=f"{tag}孙五",
                                 prison_name=f"{tag}第二监狱", prison_region_code="330106",
                                 expected_release_on=date(2026, 12, 10), received_on=date(2026, 11, 20),
                                 receiving_region_code=side.county, is_key_subject=True,
                                 feedback_due_on=date(2026, 11, 27))
    db.session.add(side.notice2)
    from base_ops.policies import services as policies

    side.policy = policies.create_policy(None, {"region_code": side.county, "title": f"{tag}离站管理办法",
                                                "effective_from": date(2020, 1, 1),
                                                "rules": {"absence_flag_nights": 3},
                                                "articles": {"absence_flag_nights": "第十二条"}})
    side.bed_free = next(bed for room in side.base.rooms for bed in room.beds if bed.id != side.bed.id) \
        if side.name == "A" else side.bed  # base B's one bed is free: resident_b has none
    db.session.commit()
    _claims(side)


def _claims(side: Side) -> None:
    """Claims in each state (draft, submitted, reviewed, approved; one paid in an open batch) and evidence,
    through the services so amounts and events are real."""
    from werkzeug.datastructures import FileStorage

    from base_ops.subsidies import batches, evidence, services

    def claim(kind, month, *, placement=None, resident=None, steps=()):
        filer = side.enterprise_user if placement is not None else side.manager
        made, _created = services.create_claim(filer, kind=kind, month=month,
                                                placement_id=placement.id if placement else None,
                                                resident_id=resident.id if resident else None)
        for step in steps:
            if step == "submit":
                services.submit(filer, made)
            elif step == "review":
                services.review(side.manager, made, decision="approve")
            elif step == "approve":
                services.approve(side.officer, made)
        return made

    side.claim_draft = claim("post_subsidy", "2026-11", placement=side.placement)
    side.claim_submitted = claim("insurance_subsidy", "2026-11", placement=side.placement, steps=["submit"])
    side.claim_reviewed = claim("living_allowance", "2026-11", resident=side.resident, steps=["submit", "review"])
    side.claim_batched = claim("living_allowance", "2026-10", resident=side.resident,
                               steps=["submit", "review", "approve"])
    side.batch = batches.create_batch(side.officer, side.county, "2026-10")
    side.claim_approved = claim("living_allowance", "2026-09", resident=side.resident,
                                steps=["submit", "review", "approve"])
    pdf = FileStorage(stream=_bytes_io(PDF), filename=f"{side.name}合同.pdf", content_type="application/pdf")
    side.evidence = evidence.add_evidence(side.enterprise_user, side.claim_draft, pdf, "contract")


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _bytes_io(data: bytes):
    import io

    return io.BytesIO(data)


def _reports(side: Side) -> None:
    """An export job of the manager and of the officer (run inline, file on disk) and a submitted month."""
    from base_ops.reports.exports import services as jobs
    from base_ops.reports.monthly import services as monthly

    side.job = jobs.request_export(side.manager, "residents", start=date(2026, 1, 1), end=date(2027, 1, 1))
    side.job_officer = jobs.request_export(side.officer, "residents", start=date(2026, 1, 1), end=date(2027, 1, 1))
    side.report = monthly.submit_month(side.officer, side.county, "2026-10", None)


def _lock_at_an_address(db, user) -> None:
    """The user's name locked at one address after repeated failures (accounts.services.register_failure)."""
    from base_ops.accounts import services
    from base_ops.accounts.models import SignInThrottle

    now = utcnow()
    db.session.add(SignInThrottle(name_digest=services._name_digest(user.username), address="198.51.100.7",
                                  user_id=user.id, failures=0, window_started_at=now,
                                  locked_until=now + timedelta(minutes=10)))


def _api_token(user):
    from base_ops.accounts.models import ApiToken
    from base_ops.accounts.services import issue_token

    issue_token(user, via="api")
    return _db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())).first()


def _reminder(db, s: Side):
    """An open reminder of the side's manager (reminders/models.py), as a daily run would add it."""
    from base_ops.reminders.models import Reminder

    reminder = Reminder(user_id=s.manager.id, kind="overstay", object_type="stay", object_id=str(s.stay.id),
                        due_on=date(2026, 12, 1), created_on=date(2026, 12, 1))
    db.session.add(reminder)
    db.session.flush()
    return reminder


def build_sides(app, factory, db, world, monkeypatch, tmp_path) -> tuple[Side, Side]:
    """Freeze today, then build side A (the world's base A) and side B (base B, a second enterprise)."""
    freeze_today(monkeypatch)
    monkeypatch.setitem(app.config, "EXPORT_RUNNER", "inline")
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 0)  # every export with a row is a job
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    monkeypatch.setitem(app.config, "EXPORT_FOLDER", str(tmp_path / "exports"))
    a, b = _side_a(world), _side_b(factory, db, world)
    for seq, side in ((100, a), (200, b)):
        side.admin, side.auditor = world.admin, world.auditor
        _complete(side, db, seq)
        _reports(side)
    a.locked_user = factory.user("base_manager", username="locked_a", bases=[a.base])
    _lock_at_an_address(db, a.locked_user)
    for side in (a, b):
        side.token = _api_token(side.manager)  # the manager's own API token (his account page revokes it)
        side.reminder = _reminder(db, side)  # the manager's own open item (only he may dismiss it)
    a.enrolling_auditor = factory.user("auditor", username="auditor_enrols")  # must set up TOTP at sign-in
    db.session.commit()
    return a, b


# ---------------------------------------------------------------- a valid request for every write endpoint

AD, AU, CO, BM = "admin", "auditor", "county_officer", "base_manager"
TR, EN, ANON = "trainer", "enterprise", "anonymous"
ACTOR_ATTRIBUTE = {AD: "admin", AU: "auditor", CO: "officer", BM: "manager", TR: "trainer", EN: "enterprise_user"}
PASSWORD = "Correct-Horse-42"  # tests/conftest.py
NEW_PASSWORD = "Another-Horse-77"
NEW_USCC = "91330106MA27XK3M0"


@dataclass(frozen=True)
class Lit:
    """An URL value that is not an object of the side (a day, a month, a year)."""

    value: object


@dataclass(frozen=True)
class Write:
    """A valid request to one write endpoint, as `role` of side A would send it.

    `url` maps each URL parameter to a side attribute (its object's id) or a Lit; `body(side)` is the
    form or JSON body; `files(side)` uploads; `prepare(requester, side)` runs first (inside the same
    rolled-back block) and returns more body fields, e.g. a token a previous step handed out."""

    endpoint: str
    role: str
    body: Callable[[Side], dict] = field(default=lambda s: {})
    url: dict[str, str | Lit] = field(default_factory=dict)
    files: Callable[[Side], dict] | None = None
    prepare: Callable | None = None
    # The valid request leaves a trace in the database (rows or the audit log), so that "nothing written"
    # means something; False only with a reason in `why`.
    writes: bool = True
    why: str = ""

    @property
    def is_api(self) -> bool:
        return "_api." in self.endpoint  # the JSON API's blueprints are named *_api


def url_value(side: Side, ref: str | Lit):
    if isinstance(ref, Lit):
        return ref.value
    value = getattr(side, ref)
    return value.id if hasattr(value, "__table__") else value


def _notice_body(s: Side) -> dict:
    return {"id_number": make_id(date(1989, 3, 3), 11), "name": "新通知", "prison_name": "浙江省第一监狱",
            "prison_region_code": "330110", "expected_release_on": "2027-01-20", "received_on": "2026-12-14",
            "receiving_region_code": s.county}


def _course_form(s: Side) -> dict:
    return {"title": "电焊基础（二期）", "skill": "电焊", "trainer": s.trainer.username, "capacity": "20",
            "hours": "40", "threshold_percent": "80", "certificate_type": "焊工证"}


AGREEMENT = {"hire_quota": 5, "min_contract_months": 12, "one_time_subsidy": "3000.00", "one_time_after_months": 6,
             "post_subsidy_monthly": "600.00", "post_subsidy_max_months": 12, "insurance_subsidy_monthly": "800.00",
             "insurance_subsidy_max_months": 36, "budget": "50000.00"}
POSTING = {"title": "小区保安", "description": "门岗值守，三班倒", "location": "杭州市西湖区"}


def _import_file(s: Side) -> bytes:
    headers = "身份证号,姓名,监狱名称,监狱所在地代码,预计释放日期,收到日期,接收地代码,是否重点帮教对象"
    row = f"{make_id(date(1991, 2, 2), 31)},导入人,浙江省第一监狱,330110,2027-01-10,2026-12-14,{s.county},否"
    return f"{headers}\r\n{row}\r\n".encode()


def _prepare_import(requester, s: Side) -> dict:
    response = requester.send("POST", "/notices/import", {}, files={"file": (_import_file(s), "notices.csv")})
    assert response.status_code == 200, f"import upload failed: {response.status_code}"
    with requester.client.session_transaction() as session:
        return {"token": session["notice_imports"][-1], "valid_only": "y"}


def _pending_after_password(requester, username: str) -> dict:
    """Sign in with the password; the pending second step (which user) is in the session, the key to
    enrol on the user (never in the cookie)."""
    response = requester.send("POST", "/login", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, f"sign-in of {username} failed: {response.status_code}"
    with requester.client.session_transaction() as session:
        return dict(session["pending"])


def _prepare_otp(requester, s: Side) -> dict:
    """officer_x has TOTP: the code of his secret."""
    import pyotp

    from base_ops.accounts.models import User

    pending = _pending_after_password(requester, s.officer.username)
    return {"code": pyotp.TOTP(_db.session.get(User, pending["user_id"]).totp_secret).now()}


def _prepare_totp_setup(requester, s: Side) -> dict:
    """An auditor without TOTP must enrol at sign-in: the code of the secret the page offers."""
    import pyotp

    from base_ops.accounts.models import User

    pending = _pending_after_password(requester, s.enrolling_auditor.username)
    user = _db.session.get(User, pending["user_id"])
    _db.session.refresh(user)  # the sign-in just stored the key to enrol
    return {"code": pyotp.TOTP(user.totp_pending_secret).now()}


def _prepare_totp_enrolment(requester, s: Side) -> dict:
    import pyotp

    secret = pyotp.random_base32()  # as if the password step (accounts.services.begin_totp_change) was passed
    s.manager.totp_pending_secret = secret
    _db.session.flush()
    return {"code": pyotp.TOTP(secret).now()}


WRITES: list[Write] = [
    # ---- accounts (pages)
    Write("accounts.login", ANON, lambda s: {"username": s.manager.username, "password": PASSWORD}),
    Write("accounts.login_otp", ANON, prepare=_prepare_otp),
    Write("accounts.login_totp_setup", ANON, prepare=_prepare_totp_setup),
    Write("accounts.logout", BM),
    Write("accounts.change_password", BM, lambda s: {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                     "confirm": NEW_PASSWORD}),
    Write("accounts.reauthenticate", BM, lambda s: {"password": PASSWORD}, writes=False,
          why="a typed password only refreshes the session's sign-in time (the cookie)"),
    Write("accounts.account_totp", BM, prepare=_prepare_totp_enrolment),
    Write("accounts.new_user", AD, lambda s: {"username": "new_manager", "display_name": "新管理员", "role": BM,
                                              "password": NEW_PASSWORD, "region_code": "", "base_ids": [s.base.id],
                                              "enterprise_id": ""}),
    Write("accounts.edit_user", AD, lambda s: {"display_name": "管理员甲", "role": BM, "region_code": "",
                                               "base_ids": [s.base.id], "enterprise_id": "", "is_enabled": "y"},
          url={"user_id": "manager"}),
    Write("accounts.reset_user_password", AD, lambda s: {"new_password": NEW_PASSWORD}, url={"user_id": "manager"}),
    Write("accounts.reset_user_totp", AD, url={"user_id": "officer"}),
    Write("accounts.unlock_user", AD, url={"user_id": "locked_user"}),
    Write("accounts.end_user_sessions", AD, url={"user_id": "manager"}),
    Write("accounts.revoke_own_token", BM, url={"token_id": "token"}),
    Write("core.set_language", ANON, lambda s: {"lang": "en"}, writes=False,
          why="the language is kept in the session cookie, not the database"),
    # ---- sites (pages)
    Write("org.new_base", AD, lambda s: {"name": "新基地", "region_code": s.county, "address": "测试路 9 号",
                                         "max_stay_days": "180", "meal_standard": "30", "is_active": "y"}),
    Write("org.edit_base", AD, lambda s: {"name": "基地A（改）", "region_code": s.county, "address": "测试路 1 号",
                                          "max_stay_days": "200", "meal_standard": "32", "is_active": "y"},
          url={"base_id": "base"}),
    Write("org.new_room", AD, lambda s: {"room-name": "301", "room-sex": "male"}, url={"base_id": "base"}),
    Write("org.new_bed", AD, lambda s: {"bed-label": "C", "bed-in_service_from": "2026-12-15"},
          url={"room_id": "room"}),
    Write("org.set_bed_service", AD, lambda s: {"svc-in_service": "0", "svc-from_on": "2026-12-20"},
          url={"bed_id": "bed_free"}),
    Write("org.dibao", AD, lambda s: {"region_code": s.county, "year": "2027", "monthly": "1200.00"}),
    Write("enterprises.new_enterprise", AD, lambda s: {"name": "新合作企业", "uscc": NEW_USCC + _uscc_check(),
                                                       "region_code": s.county, "contact_name": "李经理",
                                                       "contact_phone": "0571-88000001"}),
    Write("enterprises.list_phrases", AD, lambda s: {"phrase": "测试短语"}),
    Write("enterprises.set_phrase_active", AD, lambda s: {"active": "0"}, url={"phrase_id": Lit(1)}),
    Write("notices.set_calendar_day", AD, lambda s: {"is_workday": "0", "note": "测试"},
          url={"day": Lit("2026-12-24")}),
    Write("policies.new_policy", AD, lambda s: {
        "region_code": s.county, "title": "测试办法", "document_no": "测〔2026〕1号", "issued_by": "",
        "effective_from": "2026-01-01", "effective_to": "", "rule-receipt_working_days": "7",
        "article-receipt_working_days": "第四条", "action": "save"}),
    Write("policies.end_policy", AD, lambda s: {"effective_to": "2026-12-31"}, url={"policy_id": "policy"}),
    Write("subsidies.set_reason", AD, lambda s: {"code": "test_reason", "label": "测试原因", "is_active": "y"}),
    # ---- enterprises, postings (pages)
    Write("enterprises.new_agreement", CO, lambda s: {"starts_on": "2027-01-01", "ends_on": "2027-12-31",
                                                      **{k: str(v) for k, v in AGREEMENT.items()}},
          url={"enterprise_id": "enterprise"}),
    Write("enterprises.new_posting", EN, lambda s: {**POSTING, "requirements": "", "positions": "2",
                                                    "wage_min": "3000", "wage_max": "4000",
                                                    "provides_housing": "y"}),
    Write("subsidies.set_enterprise_account", CO, lambda s: {"bank_account": "6217000010123456789"},
          url={"enterprise_id": "enterprise"}),
    Write("subsidies.set_base_account", CO, lambda s: {"bank_account": "6217000010123456780"},
          url={"base_id": "base"}),
    Write("enterprises.open_posting", EN, url={"posting_id": "posting_draft"}),
    Write("enterprises.close_posting", EN, url={"posting_id": "posting"}),
    # ---- residents, notices (pages)
    Write("residents.new_resident", BM, lambda s: {
        "id_number": make_id(date(1990, 6, 6), 51), "name": "新居民", "hukou_region_code": s.county,
        "subject_type": "released", "released_on": "2026-12-01", "is_homeless": "y", "has_no_relatives": "y",
        "is_unemployed": "y", "diet": "standard", "base_id": str(s.base.id)}),
    Write("residents.edit_resident", BM, lambda s: {
        "name": s.resident.name, "hukou_region_code": s.resident.hukou_region_code, "subject_type": "released",
        "released_on": "2026-09-01", "registered_on": "2026-09-10", "is_homeless": "y", "has_no_relatives": "y",
        "is_unemployed": "y", "diet": "halal", "phone": "13900000000"}, url={"resident_id": "resident"}),
    Write("residents.add_case_note", BM, lambda s: {"kind": "talk", "noted_on": "2026-12-14", "text": "谈心"},
          url={"resident_id": "resident"}),
    Write("residents.record_reoffence", BM, lambda s: {"on": "2026-12-10"}, url={"resident_id": "resident"}),
    Write("reminders.dismiss", BM, url={"reminder_id": "reminder"}),
    Write("followup.record", BM, lambda s: {"contacted_on": "2026-12-14", "method": "phone", "outcome": "stable",
                                            "note": "电话回访"}, url={"resident_id": "leaver"}),
    Write("residents.record_hardship", BM, lambda s: {"evidence": "村委会出具的生活困难证明",
                                                      "recorded_on": "2026-12-14"}, url={"resident_id": "resident"}),
    Write("residents.clear_hardship", BM, url={"resident_id": "resident"}),
    Write("notices.new_notice", CO, lambda s: {**_notice_body(s), "is_key_subject": "1", "risk_assessment": "",
                                               "relief_advice": ""}),
    Write("notices.record_feedback", CO, lambda s: {"fb-sent_on": "2026-12-15", "fb-arrangement": "派车接回"},
          url={"notice_id": "notice"}),
    Write("notices.record_collection", CO, lambda s: {"col-collected_on": "2026-12-10", "col-collected_by": "张干事"},
          url={"notice_id": "notice2"}),
    Write("notices.import_upload", CO, files=lambda s: {"file": (_import_file(s), "notices.csv")}, writes=False,
          why="the upload is kept as a file for its preview; import_confirm writes the rows"),
    Write("notices.import_confirm", CO, prepare=_prepare_import),
    # ---- stays, beds (pages)
    Write("stays.admit", BM, lambda s: {"resident_id": s.resident3.id, "base_id": s.base.id,
                                        "admitted_on": "2026-12-15", "bed_id": "", "referral_source": "司法所",
                                        "override_reason": ""}),
    Write("stays.record_leave", BM, lambda s: {"leave-start_on": "2026-12-20", "leave-end_on": "2026-12-22",
                                               "leave-reason": "探亲"}, url={"stay_id": "stay"}),
    Write("stays.record_absence", BM, lambda s: {"absence-start_on": "2026-12-14", "absence-note": "夜不归宿"},
          url={"stay_id": "stay"}),
    Write("stays.record_return", BM, lambda s: {"return-returned_on": "2026-12-15"}, url={"absence_id": "absence"}),
    Write("stays.discharge", BM, lambda s: {"discharge-discharged_on": "2026-12-15",
                                            "discharge-destination": "returned_home", "discharge-note": ""},
          url={"stay_id": "stay"}),
    Write("beds.assign", BM, lambda s: {"assign-bed_id": s.bed_free.id, "assign-stay_id": s.stay2.id,
                                        "assign-on": "2026-12-15", "assign-base_id": s.base.id}),
    Write("beds.move", BM, lambda s: {"move-stay_id": s.stay.id, "move-bed_id": s.bed_free.id,
                                      "move-on": "2026-12-15", "move-base_id": s.base.id}),
    Write("beds.release", BM, lambda s: {"release-stay_id": s.stay.id, "release-on": "2026-12-15",
                                         "release-base_id": s.base.id}),
    # ---- training (pages)
    Write("training.new_course", BM, lambda s: {**_course_form(s), "base_id": s.base.id, "starts_on": "2027-01-04",
                                                "ends_on": "2027-02-26"}),
    Write("training.edit_course", BM, lambda s: {**_course_form(s), "starts_on": "2026-11-02",
                                                 "ends_on": "2026-12-18"}, url={"course_id": "course"}),
    Write("training.add_session", TR, lambda s: {"session-held_on": "2026-12-16", "session-hours": "4",
                                                 "session-topic": "安全"}, url={"course_id": "course"}),
    Write("training.generate_sessions", TR, lambda s: {"generate-weekdays": ["3", "4"],
                                                       "generate-from_on": "2026-12-16",
                                                       "generate-to_on": "2026-12-18", "generate-hours": "2",
                                                       "generate-skip_holidays": "y"}, url={"course_id": "course"}),
    Write("training.enrol", BM, lambda s: {"enrol-resident_id": s.resident2.id}, url={"course_id": "course"}),
    Write("training.withdraw", BM, url={"enrolment_id": "enrolment"}),
    Write("training.record_certificate", TR, lambda s: {"certificate-certificate_number": "Z-2026-001",
                                                        "certificate-certificate_on": "2026-12-01"},
          url={"enrolment_id": "enrolment_old"}),
    Write("training.attendance", TR, lambda s: {f"status-{s.resident.id}": "present"}, url={"session_id": "session"}),
    # ---- placements (pages)
    Write("placements.new_referral", BM, lambda s: {"posting_id": s.posting.id, "resident_id": s.resident2.id}),
    Write("placements.set_referral_status", EN, lambda s: {"status": "interviewing"},
          url={"referral_id": "referral_referred"}),
    Write("placements.hire", EN, lambda s: {"started_on": "2026-12-16", "contract_months": "12",
                                            "monthly_wage": "3500", "social_insurance": "y"},
          url={"referral_id": "referral_offered"}),
    Write("placements.cancel_placement", EN, url={"placement_id": "placement"}),
    Write("placements.record_check", EN, lambda s: {"checked_on": "2026-12-15", "employed": "1"},
          url={"placement_id": "placement"}),
    Write("placements.end_placement", EN, lambda s: {"ended_on": "2026-12-15", "reason": "合同到期"},
          url={"placement_id": "placement"}),
    Write("placements.discharge_employed", BM, lambda s: {"discharged_on": "2026-12-15"},
          url={"placement_id": "placement"}),
    # ---- subsidies (pages)
    Write("subsidies.new_claim", BM, lambda s: {"kind": "living_allowance", "resident_id": s.resident.id,
                                                "month": "2026-12", "placement_id": "", "release_notice_id": ""}),
    Write("subsidies.submit_claim", EN, url={"claim_id": "claim_draft"}),
    Write("subsidies.review_claim", BM, lambda s: {"decision": "approve", "reason_code": "", "reason": ""},
          url={"claim_id": "claim_submitted"}),
    Write("subsidies.approve_claim", CO, url={"claim_id": "claim_reviewed"}),
    Write("subsidies.reject_claim", CO, lambda s: {"reason_code": "missing_evidence", "reason": "缺少劳动合同"},
          url={"claim_id": "claim_reviewed"}),
    Write("subsidies.bulk_approve", CO, lambda s: {"claim_ids": [str(s.claim_reviewed.id)]}),
    Write("subsidies.upload_evidence", EN, lambda s: {"kind": "contract"}, url={"claim_id": "claim_draft"},
          files=lambda s: {"file": (PDF, "合同.pdf")}),
    Write("subsidies.create_batch", CO, lambda s: {"region_code": s.county, "period": "2026-09"}),
    Write("subsidies.pay_batch", CO, url={"batch_id": "batch"}),
    # ---- reports (pages)
    Write("monthly.submit", CO, lambda s: {"version": "1", "reason": ""},
          url={"region_code": "county", "month": Lit("2026-11")}),
    Write("exports.create_export", BM, lambda s: {"kind": "residents", "from": "2026-01-01", "to": "2027-01-01",
                                                  "region_code": "", "base_id": str(s.base.id)}),
    # ---- the JSON API
    Write("auth_api.create_token", ANON, lambda s: {"username": s.manager.username, "password": PASSWORD}),
    Write("reference_api.create_base", AD, lambda s: {"name": "新基地", "region_code": s.county,
                                                      "address": "测试路 9 号"}),
    Write("reference_api.create_room", AD, lambda s: {"name": "301", "sex": "male"}, url={"base_id": "base"}),
    Write("reference_api.create_bed", AD, lambda s: {"label": "C"}, url={"room_id": "room"}),
    Write("reference_api.update_bed", AD, lambda s: {"in_service": False, "from": "2026-12-20"},
          url={"bed_id": "bed_free"}),
    Write("reference_api.put_dibao", AD, lambda s: {"monthly": "1200.00"},
          url={"region_code": "county", "year": Lit(2027)}),
    Write("policies_api.create_policy", AD, lambda s: {"region_code": s.county, "title": "测试办法",
                                                       "effective_from": "2026-01-01",
                                                       "rules": {"receipt_working_days": 7},
                                                       "articles": {"receipt_working_days": "第四条"}}),
    Write("policies_api.preview_policy", AD, lambda s: {"region_code": s.county, "title": "测试办法",
                                                        "effective_from": "2026-01-01",
                                                        "rules": {"receipt_working_days": 7}}, writes=False,
          why="a preview computes what a policy would change and writes nothing"),
    Write("policies_api.end_policy", AD, lambda s: {"effective_to": "2026-12-31"}, url={"policy_id": "policy"}),
    Write("residents_api.create_resident", BM, lambda s: {
        "id_number": make_id(date(1990, 6, 6), 51), "name": "新居民", "hukou_region_code": s.county,
        "subject_type": "released", "released_on": "2026-12-01", "is_homeless": True, "has_no_relatives": True,
        "is_unemployed": True, "reoffend_risk": False, "state_security": False, "false_identity": False}),
    Write("residents_api.update_resident", BM, lambda s: {"phone": "13900000000", "diet": "halal"},
          url={"resident_id": "resident"}),
    Write("residents_api.create_case_note", BM, lambda s: {"kind": "talk", "noted_on": "2026-12-14", "text": "谈心"},
          url={"resident_id": "resident"}),
    Write("residents_api.record_reoffence", BM, lambda s: {"on": "2026-12-10"}, url={"resident_id": "resident"}),
    Write("reminders_api.dismiss_reminder", BM, url={"reminder_id": "reminder"}),
    Write("followup_api.create_follow_up", BM, lambda s: {"contacted_on": "2026-12-14", "method": "visit",
                                                          "outcome": "stable"}, url={"resident_id": "leaver"}),
    Write("residents_api.record_hardship", BM, lambda s: {"evidence": "村委会出具的生活困难证明"},
          url={"resident_id": "resident"}),
    Write("notices_api.create_notice", CO, lambda s: {**_notice_body(s), "is_key_subject": True}),
    Write("notices_api.record_feedback", CO, lambda s: {"sent_on": "2026-12-15", "arrangement": "派车接回"},
          url={"notice_id": "notice"}),
    Write("notices_api.record_collection", CO, lambda s: {"collected_on": "2026-12-10", "collected_by": "张干事"},
          url={"notice_id": "notice2"}),
    Write("stays_api.create_stay", BM, lambda s: {"resident_id": s.resident3.id, "base_id": s.base.id,
                                                  "admitted_on": "2026-12-15"}),
    Write("stays_api.assign_bed", BM, lambda s: {"bed_id": s.bed_free.id, "on": "2026-12-15"},
          url={"stay_id": "stay2"}),
    Write("stays_api.release_bed", BM, lambda s: {"on": "2026-12-15"}, url={"stay_id": "stay"}),
    Write("stays_api.record_leave", BM, lambda s: {"start_on": "2026-12-20", "end_on": "2026-12-22", "reason": "探亲"},
          url={"stay_id": "stay"}),
    Write("stays_api.record_absence", BM, lambda s: {"start_on": "2026-12-14"}, url={"stay_id": "stay"}),
    Write("stays_api.record_return", BM, lambda s: {"returned_on": "2026-12-15"}, url={"absence_id": "absence"}),
    Write("stays_api.discharge", BM, lambda s: {"discharged_on": "2026-12-15", "destination": "returned_home"},
          url={"stay_id": "stay"}),
    Write("training_api.create_course", BM, lambda s: {"base_id": s.base.id, "title": "电焊基础（二期）",
                                                       "skill": "电焊", "starts_on": "2027-01-04",
                                                       "ends_on": "2027-02-26", "capacity": 10, "hours": "40"}),
    Write("training_api.update_course", BM, lambda s: {"capacity": 25}, url={"course_id": "course"}),
    Write("training_api.create_session", TR, lambda s: {"held_on": "2026-12-16", "hours": "4"},
          url={"course_id": "course"}),
    Write("training_api.generate_sessions", TR, lambda s: {"weekdays": [3, 4], "hours": "2", "from": "2026-12-16",
                                                           "to": "2026-12-18"}, url={"course_id": "course"}),
    Write("training_api.create_enrolment", BM, lambda s: {"resident_id": s.resident2.id}, url={"course_id": "course"}),
    Write("training_api.withdraw_enrolment", BM, url={"enrolment_id": "enrolment"}),
    Write("training_api.record_certificate", TR, lambda s: {"certificate_number": "Z-2026-001"},
          url={"enrolment_id": "enrolment_old"}),
    Write("training_api.put_attendance", TR, lambda s: {"records": [{"resident_id": s.resident.id,
                                                                     "status": "present"}]},
          url={"session_id": "session"}),
    Write("enterprises_api.create_enterprise", CO, lambda s: {"name": "新合作企业", "uscc": NEW_USCC + _uscc_check(),
                                                              "region_code": s.county, "contact_name": "李经理",
                                                              "contact_phone": "0571-88000001"}),
    Write("enterprises_api.create_agreement", CO, lambda s: {"starts_on": "2027-01-01", "ends_on": "2027-12-31",
                                                             **AGREEMENT}, url={"enterprise_id": "enterprise"}),
    Write("enterprises_api.create_posting", EN, lambda s: {**POSTING, "enterprise_id": s.enterprise.id,
                                                           "positions": 2, "wage_min": "3000.00",
                                                           "wage_max": "4000.00", "provides_housing": True}),
    Write("enterprises_api.open_posting", EN, url={"posting_id": "posting_draft"}),
    Write("enterprises_api.close_posting", EN, url={"posting_id": "posting"}),
    Write("placements_api.create_referral", BM, lambda s: {"posting_id": s.posting.id, "resident_id": s.resident2.id}),
    Write("placements_api.set_referral_status", EN, lambda s: {"status": "interviewing"},
          url={"referral_id": "referral_referred"}),
    Write("placements_api.create_placement", EN, lambda s: {"referral_id": s.referral_offered.id,
                                                            "started_on": "2026-12-16", "contract_months": 12,
                                                            "monthly_wage": "3500.00", "social_insurance": True}),
    Write("placements_api.cancel_placement", EN, url={"placement_id": "placement"}),
    Write("placements_api.create_check", EN, lambda s: {"checked_on": "2026-12-15", "employed": True},
          url={"placement_id": "placement"}),
    Write("placements_api.end_placement", EN, lambda s: {"ended_on": "2026-12-15", "reason": "合同到期"},
          url={"placement_id": "placement"}),
    Write("placements_api.discharge", BM, lambda s: {"discharged_on": "2026-12-15"}, url={"placement_id": "placement"}),
    Write("subsidies_api.create_claim", EN, lambda s: {"kind": "post_subsidy", "placement_id": s.placement.id,
                                                       "month": "2026-12"}),
    Write("subsidies_api.submit_claim", EN, url={"claim_id": "claim_draft"}),
    Write("subsidies_api.put_enterprise_payee_account", CO, lambda s: {"bank_account": "6217000010123456789"},
          url={"enterprise_id": "enterprise"}),
    Write("subsidies_api.put_base_payee_account", CO, lambda s: {"bank_account": "6217000010123456780"},
          url={"base_id": "base"}),
    Write("subsidies_api.review_claim", BM, lambda s: {"decision": "approve"}, url={"claim_id": "claim_submitted"}),
    Write("subsidies_api.approve_claim", CO, url={"claim_id": "claim_reviewed"}),
    Write("subsidies_api.reject_claim", CO, lambda s: {"reason_code": "missing_evidence", "reason": "缺少劳动合同"},
          url={"claim_id": "claim_reviewed"}),
    Write("subsidies_api.pay_claim", CO, url={"claim_id": "claim_approved"}),
    Write("monthly_api.submit_monthly", CO, lambda s: {"region_code": s.county, "month": "2026-11"}),
]
WRITES_BY_ENDPOINT = {w.endpoint: w for w in WRITES}


def _uscc_check() -> str:
    from stdnum.cn import uscc

    return uscc.calc_check_digit(NEW_USCC)


def write_endpoints(app) -> dict[str, set[str]]:
    """{endpoint: write methods} of every rule that changes state (POST/PUT/PATCH/DELETE)."""
    found: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}
        if methods:
            found.setdefault(rule.endpoint, set()).update(methods)
    return found


# ---------------------------------------------------------------- sending the requests

class Requester:
    """A client for one actor: cookies for pages, a bearer token for the API; CSRF tokens on demand.

    `csrf` says what a page POST carries when CSRF protection is on: "none" (no token), "forged" (a
    well-signed token of another session, as an attacker has his own) or "valid" (this session's token,
    as the page's form has)."""

    def __init__(self, app, client, headers: dict | None = None, csrf: str = "valid"):
        self.app, self.client, self.headers, self.csrf = app, client, headers or {}, csrf

    def _token(self, of_session: str) -> str:
        """Flask-WTF's token: the session's raw value signed with the app's key."""
        from itsdangerous import URLSafeTimedSerializer

        with self.client.session_transaction() as session:
            session["csrf_token"] = "raw-csrf-token-of-this-session"
        return URLSafeTimedSerializer(self.app.secret_key, salt="wtf-csrf-token").dumps(of_session)

    def send(self, method: str, url: str, body: dict, files: dict | None = None, *, csrf: str | None = None):
        if url.startswith("/api/"):
            return self.client.open(url, method=method, json=body, headers=self.headers)
        data = dict(body)
        mode = csrf or self.csrf
        if mode == "valid":
            data["csrf_token"] = self._token("raw-csrf-token-of-this-session")
        elif mode == "forged":
            data["csrf_token"] = self._token("raw-csrf-token-of-the-attackers-session")
        for name, (content, filename) in (files or {}).items():
            data[name] = (_bytes_io(content), filename)
        return self.client.open(url, method=method, data=data,
                                content_type="multipart/form-data" if files else None)


def actor_of(side: Side, role: str):
    return None if role == ANON else getattr(side, ACTOR_ATTRIBUTE[role])


class Clients:
    """Logged-in clients and API tokens per actor; made outside any rolled-back block (they touch the session)."""

    def __init__(self, app, login_as, api_headers):
        self.app, self.login_as, self.api_headers = app, login_as, api_headers
        self._headers: dict[int, dict] = {}

    def issue_tokens(self, actors) -> None:
        """Bearer tokens are rows: issue them before the snapshot a test compares with."""
        for actor in actors:
            if actor is not None and actor.id not in self._headers:
                self._headers[actor.id] = self.api_headers(actor)

    def requester(self, actor, *, api: bool, csrf: str = "valid") -> Requester:
        if actor is None:
            return Requester(self.app, self.app.test_client(), csrf=csrf)
        if api:
            if actor.id not in self._headers:
                self._headers[actor.id] = self.api_headers(actor)
            return Requester(self.app, self.app.test_client(), self._headers[actor.id], csrf=csrf)
        return Requester(self.app, self.login_as(actor), csrf=csrf)


def write_method(app, endpoint: str) -> str:
    return sorted(write_endpoints(app)[endpoint])[0]


def build_url(app, endpoint: str, values: dict) -> str:
    from flask import url_for

    with app.test_request_context():
        return url_for(endpoint, **values)


def spec_url(app, spec: Write, side: Side, swap: Callable[[str, str | Lit], object] | None = None) -> str:
    values = {name: (swap(name, ref) if swap else url_value(side, ref)) for name, ref in spec.url.items()}
    return build_url(app, spec.endpoint, values)


def send_spec(app, spec: Write, side: Side, requester: Requester, *, url: str | None = None,
              extra: dict | None = None, body: dict | None = None, csrf: str | None = None,
              prepared: dict | None = None):
    """Send the spec's request with `extra` fields added to its body. Its `prepare` step runs first
    (with a valid CSRF token: it stands for the pages a user went through), unless `prepared` gives
    what it returned."""
    if prepared is None:
        prepared = prepare_spec(spec, side, requester)
    payload = {**(spec.body(side) if body is None else body), **prepared, **(extra or {})}
    files = spec.files(side) if spec.files else None
    return requester.send(write_method(app, spec.endpoint), url or spec_url(app, spec, side), payload, files,
                          csrf=csrf)


def prepare_spec(spec: Write, side: Side, requester: Requester) -> dict:
    return spec.prepare(requester, side) if spec.prepare else {}


# ---------------------------------------------------------------- comparing what two requests wrote

VOLATILE = frozenset({("users", "password_hash"), ("users", "totp_secret"), ("api_tokens", "token_hash"),
                      ("claim_evidence", "stored_name"), ("export_jobs", "stored_name")})


def canonical(changes: dict[str, dict]) -> dict[str, tuple]:
    """What a request wrote, comparable with another request's: new rows' ids (and references to them)
    replaced by their order of insertion, times and random values left out, the audit log left out."""
    from sqlalchemy import DateTime

    tables = _db.metadata.tables
    new_ids: dict[tuple[str, object], str] = {}
    for name, change in changes.items():
        pk = list(tables[name].primary_key.columns) if name in tables else []
        if len(pk) == 1:
            rows = sorted(change["inserted"], key=lambda r: r[pk[0].name])
            for i, row in enumerate(rows):
                new_ids[(name, row[pk[0].name])] = f"<new {name} #{i}>"

    def value(table, column: str, v):
        if table is None or column not in table.c:
            return v
        col = table.c[column]
        if isinstance(col.type, DateTime) or isinstance(getattr(col.type, "impl", None), DateTime):
            return "<time>"
        if (table.name, column) in VOLATILE:
            return "<random>"
        if col.primary_key and (table.name, v) in new_ids:
            return new_ids[(table.name, v)]
        for fk in col.foreign_keys:
            if (fk.column.table.name, v) in new_ids:
                return new_ids[(fk.column.table.name, v)]
        return v

    def row_repr(table, row: dict) -> str:
        return repr(sorted((c, value(table, c, v)) for c, v in row.items()))

    result = {}
    for name, change in changes.items():
        if name in AUDIT_TABLES:
            continue
        table = tables.get(name)
        result[name] = (
            sorted(row_repr(table, r) for r in change["inserted"]),
            sorted(row_repr(table, r) for r in change["deleted"]),
            sorted(repr((key, sorted((c, value(table, c, o), value(table, c, n)) for c, (o, n) in cols.items())))
                   for key, cols in change["updated"]),
        )
    return {name: parts for name, parts in result.items() if any(parts)}


def compare(plain: dict, extra: dict) -> str:
    """'' when both requests wrote the same; else which tables differ and how."""
    a, b = canonical(plain), canonical(extra)
    lines = []
    for name in sorted(a.keys() | b.keys()):
        if a.get(name) != b.get(name):
            lines.append(f"{name}: without extras {a.get(name)} / with extras {b.get(name)}")
    return "\n      ".join(lines)


def non_audit(changes: dict) -> dict:
    return {name: change for name, change in changes.items() if name not in AUDIT_TABLES}


def new_audit_actions(changes: dict) -> list[str]:
    return sorted(row["action"] for row in changes.get("audit_events", {}).get("inserted", []))


# ---------------------------------------------------------------- object scope (IDOR)

# What an URL parameter names: the side attribute of its object (side A's is asked for in the plain
# request, side B's — or, for trainers, another trainer's — by the intruder). Coverage: every URL
# parameter of url_map must be here, in GLOBAL_PARAMS or in NOT_OBJECTS.
OBJECT_PARAMS = {
    "base_id": "base", "room_id": "room", "bed_id": "bed", "resident_id": "resident", "stay_id": "stay",
    "notice_id": "notice", "note_id": "note", "leave_id": "leave", "course_id": "course", "session_id": "session",
    "enrolment_id": "enrolment", "enterprise_id": "enterprise", "agreement_id": "agreement",
    "posting_id": "posting", "referral_id": "referral", "placement_id": "placement", "absence_id": "absence",
    "claim_id": "claim_draft", "batch_id": "batch", "evidence_id": "evidence", "job_id": "job",
    "region_code": "county", "token_id": "token",
    "report_id": "report",  # a submitted monthly report version (documents.monthly_report)
    "reminder_id": "reminder",  # the manager's own reminder: only its owner may dismiss it (404 for anyone else)
}
GLOBAL_PARAMS = {
    "user_id": "users are kept by the admin, who has no object scope (everyone else is refused by the matrix)",
    "phrase_id": "the discrimination screen's phrases are reference data kept by the admin",
    "policy_id": "policy documents are published reference data every allowed role reads; the admin keeps them",
}
NOT_OBJECTS = {
    "year": "a year (with a region: the dibao standard)", "day": "a calendar day", "month": "a month",
    "filename": "a static file", "name": "the name of a report",
}
# Endpoints where a scoped parameter names reference data every allowed role may read.
UNSCOPED = {
    ("reference_api.get_dibao", "region_code"): "dibao standards are published reference data of every region",
    ("reference_api.put_dibao", "region_code"): "the admin keeps the dibao standards of every region",
}
SCOPED_ROLES = (CO, BM, TR, EN)
# An attribute of side A as seen by a role, when the role's own object differs from the default.
OWN = {CO: {"job": "job_officer"}}
# The intruder's target where it is not the same attribute on side B.
TRAINER_OTHER = {"course_id": "course_other", "session_id": "session_other", "enrolment_id": "enrolment_other",
                 "resident_id": "resident3",  # a resident in none of his courses
                 "token_id": "token",  # the manager's API token: only its owner may revoke it
                 "reminder_id": "reminder"}  # the manager's reminder: only its owner may dismiss it
MANAGER_OTHER = {"posting_id": "posting_draft"}  # a manager sees every published posting: B's draft is not his


def own_attribute(role: str, attribute: str) -> str:
    return OWN.get(role, {}).get(attribute, attribute)


def other_object(role: str, param: str, attribute: str, a: Side, b: Side):
    """The object (or region code) `role` of side A must not reach, in place of side A's `attribute`."""
    if param == "job_id":  # an export job is its requester's alone: another user's of the same county
        return a.job if role == CO else a.job_officer
    if role == TR:
        return getattr(a, TRAINER_OTHER[param]) if param in TRAINER_OTHER else None
    if role == BM and param in MANAGER_OTHER:
        return getattr(b, MANAGER_OTHER[param])
    return getattr(b, own_attribute(role, attribute), None)


def markers(role: str, a: Side, b: Side) -> list[str]:
    """Text of objects `role` of side A may never see: none of it may appear in an answer about them."""
    people = [b.resident.name, b.resident2.name, b.resident3.name, b.resident.id_number, b.resident2.id_number,
              b.base.name, b.notice.name, b.notice2.name, b.notice.risk_assessment, b.note.text, b.leave.reason,
              b.absence.note]
    courses = [b.course.title, b.course_other.title, b.course_old.title]
    enterprise = [b.enterprise.name, b.posting.title, b.posting_draft.title, b.posting_open2.title]
    return {
        BM: [*people, *courses, b.posting_draft.title],
        CO: [*people, *courses, *enterprise],
        TR: [*people, *courses, a.course_other.title],
        EN: [*enterprise, b.resident.name, b.resident2.name, b.base.name],
    }[role]


def leaked(body: str, hidden: list[str]) -> list[str]:
    return [m for m in hidden if m and m in body]


def text_of(response) -> str:
    """A response body as text to search: JSON without \\u escapes, spreadsheets as their cells' values."""
    import json

    from tests.security.crawl import read

    if response.is_json:
        data = response.get_json(silent=True)
        if data is not None:
            return json.dumps(data, ensure_ascii=False)
    return read("", response).text

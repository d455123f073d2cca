"""No N+1 (issue 16): every list page and API list runs as many SQL statements for 50 rows as for 5.

The cases come from the app itself (`app.url_map` and the access table of core/permissions.py): every
GET route a signed-in role may open, minus EXCLUDED (each with its reason). That is the list pages and
the API lists (GET routes without URL parameters: residents, notices, stays, the bed board, courses,
enterprises, postings, referrals, placements, claims and their queue, payment batches, the audit log,
users, bases, exports, monthly reports, meals, reports, the forms whose choices list objects, ...) and
the pages of one object that list its rows (a course's enrolments and attendance sheet, a base's rooms,
a posting's referrals, a batch's claims, a resident's file ...). A new route fails
`test_every_list_has_a_case` until it is measured here or excluded with a reason; every API list of the
OpenAPI document (GET without path parameters answering {"items": [...]}) must be among the cases.

Each case is fetched as every role that may open it (so each role's scope and template is seen: the
county officer of county X, the manager of base A, the enterprise's user, the trainer, the admin and the
auditor of tests/security/crawl.py `actor`), once in a world with about 5 objects of each kind in
scope and once after about 45 more of each kind, counting the statements sent to the database during
the request (the test harness's SAVEPOINT/RELEASE left out). The count may not grow at all
(ALLOWED_GROWTH = 0): every list reads its rows and their related rows in a fixed number of statements.

The objects are written straight through the models, a flush per kind (as the `world` fixture does):
only the shapes the pages read matter here, not the services' checks. On SQLite the whole file takes
about 15 seconds.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import event, select
from stdnum.cn import ric, uscc

from base_ops.core.db import utcnow
from base_ops.core.permissions import ENDPOINT_ACCESS, PUBLIC
from tests.security.conftest import TODAY, rich_world  # noqa: F401 -- the fixture, used by name below
from tests.security.crawl import REQUIRED_QUERIES, ROLES, actor, build_url, role_may

# Extra statements allowed for 50 rows over 5: none. A list reads a page's related rows in one statement
# (a join, a selectinload, or one IN query for the whole page), so its count does not depend on the rows.
ALLOWED_GROWTH = 0

# GET routes of signed-in users that are not measured, with the reason.
EXCLUDED = {
    "accounts.change_password": "a form about the signed-in user alone: no rows",
    "accounts.reauthenticate": "a password prompt: no rows",
    "accounts.account_totp": "the signed-in user's second factor: no rows",
    "subsidies.download_evidence": "streams one stored file: no rows",
    "exports.download": "streams one finished export file: no rows",
    "exports.job_status": "one job's progress, polled by its page: no rows",
    "documents.certificate": "one trainee's certificate, no list; 409 here (no enrolment of the world is completed)",
    "documents_api.enrolment_certificate": "the same certificate through the API",
}

AUDIT_ACTION = "grown.event"

# Query strings that show every row of a list (its default filter shows only some).
QUERIES = {
    "notices.list_notices": "status=all",
    "audit.list_events": f"action={AUDIT_ACTION}",  # the world's services alone wrote more than a page
    "audit_api.list_events": f"action={AUDIT_ACTION}",
    "org.list_regions": "parent=330100",  # the counties the world adds
    "reference_api.list_regions": "parent=330100",
    "reports.people_list": "from=2024-01-01&to=2027-01-01",
    "reports.index": "from=2024-01-01&to=2027-01-01",
    "reports_api.occupancy_report": "from=2026-01-01&to=2027-01-01",
    "reports_api.placements_report": "from=2024-01-01&to=2027-01-01",
    "meals.monthly_cost": "month=2026-12",
    "meals.monthly_cost_xlsx": "month=2026-12",
} | REQUIRED_QUERIES

SMALL, LARGE = 5, 50


def signed_in_get_endpoints(app) -> set[str]:
    """Every GET route (static files aside) that a signed-in role may open."""
    return {rule.endpoint for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and rule.endpoint != "static" and ENDPOINT_ACCESS.get(rule.endpoint) != PUBLIC}


def api_list_paths(client) -> set[str]:
    """The API's list operations: GET paths without path parameters answering {"items": [...]}."""
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]

    def resolve(schema):
        while "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    found = set()
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path:
            continue
        schema = get["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema")
        if schema and "items" in resolve(schema).get("properties", {}):
            found.add(path)
    return found


def cases(app, world) -> list[tuple[str, str, str]]:
    """(endpoint, role, url) for every measured endpoint and every role that may open it; URL parameters
    point at the world's objects (the rich world's claim, batch, job ...; the officer's own export job)."""
    ids = world.rich.ids()
    per_role = {"county_officer": ids | {"job_id": world.rich.officer_job.id}}
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        if rule.endpoint not in signed_in_get_endpoints(app) or rule.endpoint in EXCLUDED:
            continue
        for role in ROLES:
            if role_may(role, rule.endpoint):
                url = build_url(app, rule, world, per_role.get(role, ids))
                if rule.endpoint in QUERIES:
                    url += "?" + QUERIES[rule.endpoint]
                found.append((rule.endpoint, role, url))
    return found


def test_every_list_has_a_case(app):
    """Measured: every signed-in GET route but the reasoned exclusions, every API list among them."""
    endpoints = signed_in_get_endpoints(app)
    assert set(EXCLUDED) <= endpoints, f"gone, drop from EXCLUDED: {set(EXCLUDED) - endpoints}"
    measured = endpoints - set(EXCLUDED)
    for endpoint in measured:
        assert any(role_may(role, endpoint) for role in ROLES), f"{endpoint}: no role may open it"
    paths = api_list_paths(app.test_client())
    adapter = app.url_map.bind("localhost")
    api_lists = {adapter.match(path, method="GET")[0] for path in paths}
    assert len(api_lists) >= 11, api_lists
    assert api_lists <= measured, api_lists - measured
    list_pages = {"residents.list_residents", "notices.list_notices", "stays.list_stays", "beds.board",
                  "training.list_courses", "enterprises.list_enterprises", "enterprises.list_postings",
                  "placements.list_referrals", "placements.list_placements", "subsidies.queue",
                  "subsidies.list_claims", "subsidies.list_batches", "audit.list_events", "accounts.list_users",
                  "org.list_bases", "exports.list_jobs", "monthly.index"}
    assert list_pages <= measured, list_pages - measured


# ---------------------------------------------------------------- counting


@contextmanager
def counting(engine):
    """Statements sent during the block, the test harness's savepoints left out."""
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def measure(app, db, world, login_as, api_headers, all_cases) -> dict[tuple[str, str], tuple[int, list[str], int]]:
    """{(endpoint, role): (statements, their text, status)}, one request per case."""
    engine = db.session.get_bind().engine
    pages = {role: login_as(actor(world, role)) for role in ROLES}
    api = app.test_client()
    headers = {role: api_headers(actor(world, role)) for role in ROLES}
    db.session.commit()
    results = {}
    for endpoint, role, url in all_cases:
        with counting(engine) as statements:
            response = api.get(url, headers=headers[role]) if url.startswith("/api/") else pages[role].get(url)
        results[(endpoint, role)] = (len(statements), list(statements), response.status_code)
    return results


def test_lists_do_not_grow_with_their_rows(app, rich_world, db, login_as, api_headers):  # noqa: F811
    w = rich_world
    grower = Grower(db, w)
    grower.grow(SMALL - 1)  # the rich world has one of each already
    all_cases = cases(app, w)
    small = measure(app, db, w, login_as, api_headers, all_cases)
    grower.grow(LARGE - SMALL)
    large = measure(app, db, w, login_as, api_headers, all_cases)

    # Each page answers the same both times, with content (a course's attendance picker redirects to a session).
    broken = [f"{url} as {role}: {small[(endpoint, role)][2]} then {large[(endpoint, role)][2]}"
              for endpoint, role, url in all_cases
              if small[(endpoint, role)][2] != large[(endpoint, role)][2] or small[(endpoint, role)][2] >= 400]
    assert not broken, broken
    grown = []
    for endpoint, role, url in all_cases:
        before, _, _ = small[(endpoint, role)]
        after, statements, _ = large[(endpoint, role)]
        if after - before > ALLOWED_GROWTH:
            repeated = sorted(_repeated(statements).items(), key=lambda kv: -kv[1])[:2]
            grown.append(f"{url} as {role}: {before} -> {after} statements; most repeated: {repeated}")
    assert not grown, "\n".join(grown)


def _repeated(statements: list[str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for statement in statements:
        counts[" ".join(statement.split())[:160]] += 1
    return {text: n for text, n in counts.items() if n > 1}


# ---------------------------------------------------------------- the growing world


class Grower:
    """Adds `n` more objects of every kind a list shows, in scope of the world's users."""

    def __init__(self, db, world):
        self.db = db
        self.w = world
        self.done = 0  # objects of each kind added so far: keeps names, codes and months apart
        self.password_hash = world.manager_a.password_hash

    def grow(self, n: int) -> None:
        start, self.done = self.done, self.done + n
        numbers = range(start, start + n)
        self._bases(numbers)
        self._users(numbers)
        residents = self._residents_and_stays(numbers)
        self._notices(numbers, residents)
        self._training(numbers, residents)
        placements = self._enterprises_and_jobs(numbers, residents)
        self._claims(numbers, residents, placements)
        self._reports_and_jobs(numbers)
        self._reference(numbers)
        self._audit(numbers)
        self.db.session.commit()

    def add(self, rows: list) -> list:
        self.db.session.add_all(rows)
        self.db.session.flush()
        return rows

    # -- organisation

    def _bases(self, numbers) -> None:
        from base_ops.org.models import Base, Bed, BedServicePeriod, Room

        bases = self.add([Base(name=f"增长基地{i}", region_code="330106", address=f"增长路 {i} 号") for i in numbers])
        rooms = self.add([Room(base_id=base.id, name="1", sex="male") for base in bases])
        beds = self.add([Bed(room_id=room.id, label=label) for room in rooms for label in ("A", "B")])
        self.add([BedServicePeriod(bed_id=bed.id, start_on=date(2025, 1, 1)) for bed in beds])
        # In the county officer's scope by their region; the manager of base A runs them too.
        self.w.manager_a.bases.extend(bases)
        self.db.session.flush()

    def _users(self, numbers) -> None:
        from base_ops.accounts.models import ApiToken, User

        users = []
        for i in numbers:
            users.append(User(username=f"grown_manager{i}", display_name=f"管理员{i}", role="base_manager",
                              password_hash=self.password_hash, bases=[self.w.base_a]))
            users.append(User(username=f"grown_officer{i}", display_name=f"科员{i}", role="county_officer",
                              region_code="330106", password_hash=self.password_hash))
        self.add(users)
        tokens = []
        for user in (self.w.admin, self.w.auditor, self.w.officer_x, self.w.manager_a, self.w.trainer_a,
                     self.w.enterprise_user):
            for _ in numbers:
                tokens.append(ApiToken(user_id=user.id, token_hash=secrets.token_hex(32),
                                       expires_at=utcnow() + timedelta(days=30),
                                       session_version=user.session_version, issued_via="api"))
        self.add(tokens)

    # -- people at base A

    def _residents_and_stays(self, numbers) -> list:
        """2n residents of base A: n on site (open stay, a bed, a leave or an absence, a note), n who left."""
        from base_ops.beds.models import BedAssignment
        from base_ops.intake.models import Absence, Leave, Stay
        from base_ops.org.models import Bed, BedServicePeriod, Room
        from base_ops.residents.models import CaseNote, Resident

        w = self.w
        residents = []
        for i in numbers:
            for leaver in (False, True):
                birth = date(1970, 1, 1) + timedelta(days=2 * i + leaver)
                body = f"330106{birth:%Y%m%d}{101 + 2 * (i % 400):03d}"
                residents.append(Resident(
                    id_number=body + ric.calc_check_digit(body + "0"), name=f"住民{i}{'离' if leaver else ''}",
                    sex="male", birth_on=birth, hukou_region_code="330106", subject_type="released",
                    released_on=date(2026, 6, 1), prison_name="浙江省第一监狱", offence="盗窃罪",
                    sentence_months=24, registered_on=date(2026, 6, 5), is_homeless=True, has_no_relatives=True,
                    is_unemployed=True, diet=("standard", "halal", "vegetarian", "medical")[i % 4],
                    bank_account=f"62220202{i:011d}", base_id=w.base_a.id))
        self.add(residents)
        on_site = [r for r in residents if "离" not in r.name]
        leavers = [r for r in residents if "离" in r.name]
        room = self.add([Room(base_id=w.base_a.id, name=f"G{numbers.start}", sex="male")])[0]
        beds = self.add([Bed(room_id=room.id, label=f"{i}") for i in numbers])
        self.add([BedServicePeriod(bed_id=bed.id, start_on=date(2025, 1, 1)) for bed in beds])
        stays = self.add([Stay(resident_id=r.id, base_id=w.base_a.id, referral_source="监狱转介",
                               admitted_on=date(2026, 6, 10) + timedelta(days=k % 90), admitted_by_id=w.manager_a.id)
                          for k, r in enumerate(on_site)])
        self.add([Stay(resident_id=r.id, base_id=w.base_a.id, admitted_on=date(2026, 6, 10),
                       discharged_on=date(2026, 11, 20) + timedelta(days=k % 10),
                       destination=("employed", "returned_home", "relatives")[k % 3], discharge_note="离站")
                  for k, r in enumerate(leavers)])
        self.add([BedAssignment(stay_id=s.id, resident_id=s.resident_id, bed_id=bed.id, start_on=s.admitted_on,
                                assigned_by_id=w.manager_a.id) for s, bed in zip(stays, beds, strict=True)])
        # Leave and absences mostly past, so most are on tonight's meal roster; every fourth is away now.
        self.add([Leave(stay_id=s.id, start_on=date(2026, 12, 5), end_on=date(2026, 12, 7), reason="探亲")
                  for s in stays[::2]])
        self.add([Absence(stay_id=s.id, start_on=date(2026, 12, 1), recorded_by_id=w.manager_a.id, note="未请假外出",
                          returned_on=None if k % 2 else date(2026, 12, 3)) for k, s in enumerate(stays[1::2])])
        self.add([CaseNote(resident_id=r.id, stay_id=s.id, kind="talk", noted_on=date(2026, 12, 1), text="谈话",
                           author_id=w.manager_a.id) for r, s in zip(on_site, stays, strict=True)])
        self.add([CaseNote(resident_id=w.resident_a.id, stay_id=w.stay_a.id, kind=("talk", "education")[i % 2],
                           noted_on=date(2026, 10, 1) + timedelta(days=i), text=f"记录{i}",
                           author_id=w.manager_a.id) for i in numbers])  # resident A's file grows too
        self.stays = dict(zip((r.id for r in on_site), stays, strict=True))
        return on_site

    def _notices(self, numbers, residents) -> None:
        from base_ops.intake.models import ReleaseNotice

        rows = []
        for k, i in enumerate(numbers):
            received = TODAY - timedelta(days=i % 20)
            rows.append(ReleaseNotice(
                id_number=residents[k].id_number, name=residents[k].name, prison_name="浙江省第二监狱",
                prison_region_code="330110", expected_release_on=TODAY + timedelta(days=i % 30),
                received_on=received, receiving_region_code="330106", is_key_subject=bool(i % 2),
                feedback_due_on=received + timedelta(days=7), feedback_sent_on=received if i % 3 == 0 else None,
                resident_id=residents[k].id if i % 2 else None, created_by_id=self.w.officer_x.id))
        self.add(rows)

    def _training(self, numbers, residents) -> None:
        from base_ops.training.models import Attendance, Course, CourseSession, Enrolment

        w = self.w
        courses = self.add([Course(base_id=w.base_a.id, title=f"课程{i}", skill="电焊", trainer_id=w.trainer_a.id,
                                   starts_on=date(2026, 11, 1), ends_on=date(2026, 12, 31) - timedelta(days=i % 40),
                                   capacity=60, enrolled_count=1, hours=Decimal("20"),
                                   certificate_type="焊工职业技能等级证书") for i in numbers])
        # A session of each new course today (the trainer's day lists them), more of course A on other days.
        sessions = self.add([CourseSession(course_id=c.id, held_on=TODAY, hours=Decimal("4"), topic="安全")
                             for c in courses])
        sessions += self.add([CourseSession(course_id=w.course_a.id, hours=Decimal("2"),
                                            held_on=TODAY + timedelta(days=-1 - i if i < 24 else i))
                              for i in numbers])
        enrolments = self.add([Enrolment(course_id=c.id, resident_id=r.id, stay_id=self.stays[r.id].id,
                                         enrolled_on=date(2026, 11, 1))
                               for c, r in zip(courses, residents, strict=True)])
        enrolments_a = self.add([Enrolment(course_id=w.course_a.id, resident_id=r.id, stay_id=self.stays[r.id].id,
                                           enrolled_on=date(2026, 11, 2)) for r in residents])
        w.course_a.capacity = 200
        w.course_a.enrolled_count += len(enrolments_a)
        self.add([Attendance(session_id=s.id, resident_id=e.resident_id, enrolment_id=e.id, status="present",
                             recorded_by_id=w.trainer_a.id)
                  for s, e in zip(sessions[:len(courses)], enrolments, strict=True)])
        self.add([Attendance(session_id=w.session_a.id, resident_id=e.resident_id, enrolment_id=e.id,
                             status=("present", "late", "absent", "excused")[k % 4], recorded_by_id=w.trainer_a.id)
                  for k, e in enumerate(enrolments_a)])

    # -- employers and jobs

    def _enterprises_and_jobs(self, numbers, residents) -> list:
        from base_ops.enterprises.models import DiscriminatoryPhrase, Enterprise, JobPosting, PlacementAgreement
        from base_ops.placements.models import Placement, Referral, ReferralEvent, RetentionCheck

        w = self.w
        enterprises = []
        for i in numbers:
            body = f"9133010600{i:07d}"
            enterprises.append(Enterprise(name=f"增长企业{i}", uscc=body + uscc.calc_check_digit(body),
                                          region_code="330106", contact_name="联系人", contact_phone="0571-88000001"))
        self.add(enterprises)
        self.add([PlacementAgreement(enterprise_id=e.id, starts_on=date(2026, 1, 1), ends_on=date(2027, 12, 31),
                                     hire_quota=5, one_time_subsidy=Decimal("3000.00"), budget=Decimal("50000.00"),
                                     post_subsidy_monthly=Decimal("600.00"),
                                     insurance_subsidy_monthly=Decimal("800.00")) for e in enterprises])
        self.add([JobPosting(enterprise_id=e.id, title=f"岗位{e.id}", description="说明", positions=2, open_positions=2,
                             wage_min=Decimal("3000"), wage_max=Decimal("4000"), location="西湖区", status="open")
                  for e in enterprises])
        self.add([DiscriminatoryPhrase(phrase=f"增长短语{i}") for i in numbers])
        postings = self.add([JobPosting(enterprise_id=w.enterprise.id, title=f"企业岗位{i}", description="负责日常工作",
                                        positions=5, open_positions=4, wage_min=Decimal("3500"),
                                        wage_max=Decimal("4500"), location="杭州市西湖区",
                                        status=("open", "draft", "closed")[i % 3], created_by_id=w.enterprise_user.id)
                             for i in numbers])
        statuses = ("hired", "referred", "interviewing", "offered", "declined_by_employer")
        referrals = self.add([Referral(posting_id=p.id, resident_id=r.id, enterprise_id=w.enterprise.id,
                                       base_id=w.base_a.id, status=statuses[k % 5], referred_by_id=w.manager_a.id)
                              for k, (p, r) in enumerate(zip(postings, residents, strict=True))])
        # Every resident also referred to the world's posting, so the posting's own lists grow too.
        referrals += self.add([Referral(posting_id=w.posting.id, resident_id=r.id, enterprise_id=w.enterprise.id,
                                        base_id=w.base_a.id, status="hired", referred_by_id=w.manager_a.id)
                               for r in residents])
        self.add([ReferralEvent(referral_id=ref.id, from_status=None, to_status="referred", actor_id=w.manager_a.id)
                  for ref in referrals])
        self.add([ReferralEvent(referral_id=ref.id, from_status="referred", to_status=ref.status,
                                actor_id=w.enterprise_user.id, note="进展") for ref in referrals])
        hired = [ref for ref in referrals if ref.status == "hired"]
        placements = self.add([Placement(referral_id=ref.id, resident_id=ref.resident_id, enterprise_id=w.enterprise.id,
                                         agreement_id=w.agreement.id, stay_id=self.stays[ref.resident_id].id,
                                         started_on=date(2026, 7, 1) + timedelta(days=k % 120), contract_months=12,
                                         monthly_wage=Decimal("3800.00"), social_insurance=True)
                                for k, ref in enumerate(hired)])
        self.add([RetentionCheck(placement_id=p.id, month_mark=1, checked_on=p.started_on + timedelta(days=31),
                                 employed=True, checked_by_id=w.enterprise_user.id) for p in placements[::2]])
        return placements

    # -- money

    def _claims(self, numbers, residents, placements) -> None:
        from base_ops.subsidies.models import Claim, ClaimEvent, Evidence, PaymentBatch, RejectionReason

        w = self.w
        batches = self.add([PaymentBatch(region_code="330106", period=f"{2020 + i // 12}-{i % 12 + 1:02d}",
                                         status="paid" if i % 2 else "open", created_by_id=w.officer_x.id)
                            for i in numbers])
        batches.insert(0, w.rich.batch)  # its page lists some of the new claims
        statuses = ("draft", "submitted", "reviewed", "approved", "rejected", "paid")
        claims = []
        for k, placement in enumerate(placements):
            status = statuses[k % 6]
            claims.append(Claim(kind="post_subsidy", status=status, subject_key=f"placement:{placement.id}",
                                period="2026-11", placement_id=placement.id, agreement_id=w.agreement.id,
                                enterprise_id=w.enterprise.id, base_id=w.base_a.id, region_code="330106",
                                amount=Decimal("600.00"), rule="600.00 × 1", payee_name=w.enterprise.name,
                                payee_account="6222020200998877665", created_by_id=w.enterprise_user.id,
                                reason_code="missing_evidence" if status == "rejected" else None,
                                reason="缺少材料" if status == "rejected" else None,
                                batch_id=batches[k % len(batches)].id if status in ("approved", "paid") else None))
        for k, resident in enumerate(residents):
            status = statuses[k % 6]
            claims.append(Claim(kind="living_allowance", status=status, subject_key=f"resident:{resident.id}",
                                period="2026-11", resident_id=resident.id, base_id=w.base_a.id,
                                region_code="330106", amount=Decimal("1100.00"), rule="1100.00 × 1",
                                payee_name=resident.name, payee_account=resident.bank_account,
                                created_by_id=w.manager_a.id,
                                batch_id=batches[k % len(batches)].id if status in ("approved", "paid") else None))
        self.add(claims)
        self.add([ClaimEvent(claim_id=c.id, from_status=None, to_status="draft", actor_id=c.created_by_id)
                  for c in claims])
        self.add([ClaimEvent(claim_id=c.id, from_status="draft", to_status=c.status, actor_id=w.manager_a.id)
                  for c in claims if c.status != "draft"])
        self.add([Evidence(claim_id=c.id, kind="contract", filename="合同.pdf", stored_name=secrets.token_hex(16),
                           content_type="application/pdf", size=10, sha256="0" * 64,
                           uploaded_by_id=c.created_by_id) for c in claims])
        self.add([RejectionReason(code=f"grown_{i}", label=f"原因{i}") for i in numbers])

    # -- reports, exports and reference data

    def _reports_and_jobs(self, numbers) -> None:
        from base_ops.reports.models import ExportJob, MonthlyReport

        w = self.w
        first = w.rich.officer_job  # a finished job: its params are what the list reads
        jobs = []
        for user in (w.manager_a, w.officer_x):
            for i in numbers:
                status = ("done", "failed", "queued", "expired")[i % 4]
                jobs.append(ExportJob(kind=("residents", "placements", "leavers")[i % 3], params=dict(first.params),
                                      requested_by_id=user.id, status=status, rows_total=10 + i,
                                      rows_done=10 + i if status == "done" else 0,
                                      filename=f"export-{i}.xlsx", error="导出失败" if status == "failed" else None,
                                      stored_name=secrets.token_hex(16) if status == "done" else None,
                                      finished_at=utcnow() if status in ("done", "failed") else None,
                                      expires_at=utcnow() + timedelta(hours=20) if status == "done" else None))
        self.add(jobs)
        submitted = self.db.session.scalars(select(MonthlyReport).where(MonthlyReport.region_code == "330106")
                                            .order_by(MonthlyReport.month, MonthlyReport.version)).all()
        figures = submitted[-1].figures  # the rich world's November, as submitted
        versions: dict[str, int] = defaultdict(int)
        for existing in submitted:
            versions[existing.month] = existing.version
        months = [f"2026-{m:02d}" for m in range(1, 12)]  # November's versions are on its month page
        reports = []
        for i in numbers:
            month = months[i % len(months)]
            versions[month] += 1
            reports.append(MonthlyReport(region_code="330106", month=month, version=versions[month],
                                         figures=dict(figures), submitted_by_id=w.officer_x.id,
                                         submitted_at=utcnow(), reason=None if versions[month] == 1 else "更正"))
        self.add(reports)

    def _reference(self, numbers) -> None:
        from base_ops.org.models import DibaoStandard, Region

        self.add([Region(code=f"3301{20 + i:02d}", name=f"增长区{i}", level="county", parent_code="330100")
                  for i in numbers])
        self.add([DibaoStandard(region_code="330110", year=2000 + i, monthly=Decimal("900.00")) for i in numbers])

    def _audit(self, numbers) -> None:
        from base_ops.core import audit

        w = self.w
        users = (w.manager_a, w.officer_x, w.enterprise_user, w.admin)
        for i in numbers:
            audit.record(users[i % len(users)], AUDIT_ACTION, w.resident_a, note=f"第{i}次")

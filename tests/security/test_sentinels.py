"""Enterprise and trainer sentinel sweep across every module (docs/security.md "Enterprise sentinel test").

Unique sentinel values are put into everything about resident_a that an enterprise or a trainer
must never see: offence, sentence, prison, release date, birth date, risk flags, health notes,
the ID number (full and the masked form), bank account (on his file and as the payee of his
living allowance claim), phone, address, ethnicity, dibao date, case notes, leave and absence
notes, stay notes, and the release notice's assessments. Then, as the enterprise user and as
the trainer, every GET endpoint of app.url_map is fetched — pages and /api/v1 JSON, with the
richer world's ids and with the ids of objects that are not theirs, list pages with search
queries, every spreadsheet (cells decoded with openpyxl), the background export job pages and
files, 403/404/405 error pages — and every same-site link found on their pages is followed one
level. No sentinel may appear in any answer. The enterprise sees a candidate's name, sex, age,
skills and courses; the trainer names and enrolment only (docs/domain.md): for both, the masked
ID number and the birth date are sentinels too. Not the diet either (docs/domain.md "What an
enterprise may see": 清真 reveals a religion, 病号餐 a health condition; PIPL art. 28): resident_a
eats 清真 here (病号餐 in tests/placements/test_privacy.py), and no diet word, label or value may
reach them.

The detectors are shown to work in the same world: the base manager's view of the same file,
of the export job's spreadsheet and of the payment batch does show them.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from base_ops.residents.models import CaseNote
from tests.conftest import ID_A
from tests.security import crawl

TAG = "7f3a"
SENTINELS = {
    "offence": f"SENTINEL-OFFENCE-{TAG}",
    "prison_name": f"SENTINEL-PRISON-{TAG}",
    "health_notes": f"SENTINEL-HEALTH-{TAG}",
    "hukou_address": f"SENTINEL-ADDRESS-{TAG}",
    "ethnicity": f"SENTINEL-ETHNIC-{TAG}",  # String(20)
    "case_note": f"SENTINEL-CASENOTE-{TAG}",
    "leave_reason": f"SENTINEL-LEAVE-{TAG}",
    "absence_note": f"SENTINEL-ABSENCE-{TAG}",
    "stay_note": f"SENTINEL-STAY-{TAG}",
    "notice_risk": f"SENTINEL-RISK-{TAG}",
    "notice_relief": f"SENTINEL-RELIEF-{TAG}",
    "notice_arrangement": f"SENTINEL-ARRANGE-{TAG}",
    "claim_reason": f"SENTINEL-REJECTED-{TAG}",
    "hardship_evidence": f"SENTINEL-HARDSHIP-{TAG}",
}
BANK = "6222027394011587"
PHONE = "13957203846"
RELEASED_ON = date(2019, 2, 27)
DIBAO_SINCE = date(2021, 6, 17)
SENTENCE_MONTHS = 8641
MASKED_ID = ID_A[:6] + "********" + ID_A[-4:]


# The diet of a person, in words (zh and en labels), as a value and as a field of a JSON answer.
DIET_PATTERNS = [
    ("diet (清真)", re.compile(r"清真|\bHalal\b|\bhalal\b")),
    ("diet (病号餐)", re.compile(r"病号餐|Medical diet|\bmedical\b")),
    ("diet (field)", re.compile(r'"diet"\s*:|饮食|\bDiet\b')),
]


def _date_pattern(day: date) -> str:
    return (rf"{day.year}-{day.month:02d}-{day.day:02d}|{day.year}年0?{day.month}月0?{day.day}日"
            rf"|{day.year}/0?{day.month}/0?{day.day}|{day.year}{day.month:02d}{day.day:02d}")


def forbidden() -> list[tuple[str, re.Pattern]]:
    """(what, pattern) for every sentinel."""
    patterns = [(name, re.compile(re.escape(value))) for name, value in SENTINELS.items()]
    patterns += [
        ("ID number", re.compile(ID_A)),
        ("masked ID number", re.compile(re.escape(MASKED_ID))),
        ("bank account", re.compile(BANK)),
        ("bank account (masked)", re.compile(r"\*{2,}\s?" + BANK[-4:] + r"(?!\d)")),
        ("phone", re.compile(PHONE)),
        ("phone (masked)", re.compile(PHONE[:3] + r"\*{2,}\s?" + PHONE[-4:])),
        ("release date", re.compile(_date_pattern(RELEASED_ON))),
        ("dibao date", re.compile(_date_pattern(DIBAO_SINCE))),
        ("birth date", re.compile(_date_pattern(date(1985, 3, 12)))),
        ("sentence", re.compile(rf"(?<![\w.]){SENTENCE_MONTHS}(?![\w.])")),
        ("risk flag (JSON)", re.compile(r'"(reoffend_risk|state_security|false_identity|is_key_subject)"\s*:')),
        ("risk flag (badge)", re.compile(r"badge-(key|three-none|hardship)\b")),
        *DIET_PATTERNS,
    ]
    return patterns


@pytest.fixture
def sentinel_world(rich_world, db):
    w = rich_world
    resident = w.resident_a
    for field in ("offence", "prison_name", "health_notes", "hukou_address", "ethnicity"):
        setattr(resident, field, SENTINELS[field])
    resident.bank_account, resident.phone = BANK, PHONE
    resident.released_on, resident.dibao_since, resident.sentence_months = RELEASED_ON, DIBAO_SINCE, SENTENCE_MONTHS
    resident.reoffend_risk = resident.state_security = True
    resident.diet = "halal"
    resident.hardship_recorded_on, resident.hardship_evidence = date(2026, 9, 10), SENTINELS["hardship_evidence"]
    w.note_a.text = SENTINELS["case_note"]
    db.session.add(CaseNote(resident_id=resident.id, stay_id=w.stay_a.id, kind="talk", noted_on=date(2026, 12, 1),
                            text=SENTINELS["case_note"], author_id=w.manager_a.id))
    w.leave_a.reason = SENTINELS["leave_reason"]
    w.rich.absence.note = SENTINELS["absence_note"]
    w.stay_a.referral_source = w.stay_a.override_reason = SENTINELS["stay_note"]
    w.notice_x.id_number, w.notice_x.resident_id = ID_A, resident.id  # his own release notice
    w.notice_x.prison_name = SENTINELS["prison_name"]
    w.notice_x.risk_assessment = SENTINELS["notice_risk"]
    w.notice_x.relief_advice = SENTINELS["notice_relief"]
    w.notice_x.feedback_arrangement = SENTINELS["notice_arrangement"]
    w.rich.living_claim.payee_account = BANK  # copied from his file when the claim was made
    w.rich.handover_claim.reason = SENTINELS["claim_reason"]
    db.session.commit()
    return w


# Searches and filters on the list pages and list APIs (a 400/422 for a parameter a route does not take is fine).
SEARCHES = ["q=张三", f"q={ID_A[-4:]}", f"q={ID_A}", f"q=SENTINEL-OFFENCE-{TAG}", "status=all", "month=2026-11",
            "from=2026-01-01&to=2027-01-01", "region_code=330106&month=2026-11"]
MIN_FETCHED = {"enterprise": 250, "trainer": 180}


def _leaks(pages: list[crawl.Fetched]) -> list[str]:
    problems = []
    for page in pages:
        for what, pattern in forbidden():
            if what.startswith(("risk flag (JSON)", "diet")) and page.url.startswith("/api/v1/openapi.json"):
                continue  # the API document names fields; it holds no data
            if pattern.search(page.text):
                problems.append(f"{page.url} -> {page.status} shows the {what}")
    return problems


@pytest.mark.parametrize("role", ["enterprise", "trainer"])
def test_no_sentinel_reaches_the_enterprise_or_the_trainer(app, sentinel_world, login_as, api_headers, role):
    w = sentinel_world
    browser = crawl.Browser(app, crawl.actor(w, role), login_as, api_headers)
    id_sets = w.rich.id_sets()
    every_get = crawl.get_rules(app)
    reachable = [rule for rule in every_get if crawl.role_may(role, rule.endpoint)]
    urls = crawl.sweep_urls(app, w, every_get, id_sets)  # every GET route, reachable or not (403 pages)
    urls += crawl.sweep_urls(app, w, reachable, id_sets, queries=SEARCHES)
    urls += crawl.sweep_urls(app, w, crawl.write_only_rules(app), id_sets)  # GET on a write route: 405 pages
    urls += ["/nowhere", "/api/v1/nowhere", f"/residents/{w.resident_a.id + 999}"]
    pages = crawl.crawl(browser, urls)
    # the background export: asking for one is refused, its job and file are not reachable
    refused = browser.pages.post("/exports/", data={"kind": "residents", "from": "2026-01-01", "to": "2027-01-01"})
    pages.append(crawl.read("POST /exports/", refused))
    assert refused.status_code == 403

    problems = _leaks(pages) + crawl.server_errors(pages)
    by_status: dict[int, int] = {}
    for page in pages:
        by_status[page.status] = by_status.get(page.status, 0) + 1
    spreadsheets = sorted(page.url for page in pages if page.is_xlsx)
    print(f"{role}: {len(pages)} answers checked, by status {dict(sorted(by_status.items()))}; "
          f"spreadsheets: {spreadsheets}")
    assert not problems, "\n".join(problems)
    assert len(pages) >= MIN_FETCHED[role], len(pages)  # the sweep really ran
    assert not crawl.unreached(app, pages, reachable), "routes of the role that answered no page"
    ok = {page.url for page in pages if page.status == 200}
    # the role really saw its own pages with the person on them (so the sweep looked where data is)
    if role == "enterprise":
        assert {f"/referrals/{w.referral_a.id}", f"/placements/{w.placement_a.id}", f"/claims/{w.rich.post_claim.id}",
                f"/api/v1/claims/{w.rich.post_claim.id}", f"/evidence/{w.rich.evidence.id}"} <= ok
        assert "张三" in next(p.text for p in pages if p.url == f"/referrals/{w.referral_a.id}")
    else:
        assert {f"/training/courses/{w.course_a.id}", f"/training/courses/{w.course_a.id}/sheet.xlsx",
                f"/training/sessions/{w.session_a.id}/attendance"} <= ok
        assert "张三" in next(p.text for p in pages if p.url.endswith("/sheet.xlsx"))


def test_the_sentinels_are_found_where_staff_may_see_them(app, sentinel_world, login_as, api_headers):
    """The detectors can fail: the manager's file view, his export job's spreadsheet and the officer's
    payment batch spreadsheet do show the sentinels (pages, JSON and xlsx are all read)."""
    w = sentinel_world
    manager = crawl.Browser(app, w.manager_a, login_as, api_headers)
    officer = crawl.Browser(app, w.officer_x, login_as, api_headers)
    pages = [manager.get(f"/residents/{w.resident_a.id}"), manager.get(f"/residents/{w.resident_a.id}/sensitive"),
             manager.get(f"/api/v1/residents/{w.resident_a.id}"), manager.get(f"/exports/{w.rich.job.id}/download"),
             officer.get(f"/batches/{w.rich.batch.id}.xlsx"), manager.get(f"/notices/{w.notice_x.id}"),
             manager.get(f"/stays/{w.stay_a.id}")]
    assert all(page.status == 200 for page in pages), [(p.url, p.status) for p in pages]
    assert pages[3].is_xlsx and pages[4].is_xlsx
    found = {what.split(" (")[0] for what in (line.split(" shows the ")[1] for line in _leaks(pages))}
    expected = {"offence", "prison_name", "health_notes", "case_note", "ID number", "bank account", "phone",
                "release date", "dibao date", "sentence", "risk flag", "masked ID number", "notice_risk",
                "leave_reason", "absence_note", "stay_note", "diet", "hardship_evidence"}
    assert expected <= found, expected - found
    assert any("masked ID number" in line for line in _leaks(pages[3:4])), "the export job's file is read"
    assert any("bank account" in line for line in _leaks(pages[4:5])), "the payment batch's file is read"

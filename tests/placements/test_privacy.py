"""Enterprise sentinel test (docs/security.md "Access control"; docs/domain.md: what an enterprise may see).

Sentinel strings are put into everything about resident_a an enterprise must never see: ID
number, offence, sentence, prison, release date, birth date, risk (flags and the notice's
assessment), health notes, bank account, case notes, phone and address. Then, as the
enterprise user, every page and API answer the matrix lets the enterprise reach is fetched
(every GET endpoint with the world's ids, the list filters, error pages) together with the
answers of the enterprise's own writes (status moves, the hire, checks); no sentinel may
appear anywhere. Nor the diet (docs/domain.md "What an enterprise may see": 病号餐 reveals a health
condition, 清真 a religion; PIPL art. 28): resident_a eats 病号餐 here, and neither the word, the
label nor the value may reach the enterprise.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import url_for

from base_ops.accounts.models import Role
from base_ops.core.permissions import ANY_USER, ENDPOINT_ACCESS, PUBLIC
from base_ops.intake.models import ReleaseNotice
from base_ops.placements.models import ReferralStatus
from base_ops.residents.models import CaseNote
from tests.conftest import ID_A
from tests.core.test_permissions import _url_args
from tests.placements.conftest import open_posting

SENTINELS = {
    "offence": "哨兵罪名QX7",
    "prison_name": "哨兵监狱QX7",
    "health_notes": "哨兵病史QX7",
    "bank_account": "6222999988887777",
    "phone": "13912345678",
    "hukou_address": "哨兵户籍地址QX7",
    "ethnicity": "哨兵族",
    "case_note": "哨兵谈话记录QX7",
    "risk_assessment": "哨兵危险性评估QX7",
    "relief_advice": "哨兵救助建议QX7",
}
RELEASED_ON = date(2019, 2, 27)
SENTENCE_MONTHS = 7319
MASKED_ID = ID_A[:6] + "********" + ID_A[-4:]


def _forbidden_patterns() -> list[tuple[str, re.Pattern]]:
    patterns = [(name, re.compile(re.escape(value))) for name, value in SENTINELS.items()]
    patterns += [
        ("id_number", re.compile(re.escape(ID_A))),
        ("masked id_number", re.compile(re.escape(MASKED_ID))),
        ("release date", re.compile(r"2019-02-27|2019年0?2月27日|2019/0?2/27")),
        ("birth date", re.compile(r"1985-03-12|1985年0?3月12日|19850312")),
        ("sentence", re.compile(rf"(?<!\d){SENTENCE_MONTHS}(?!\d)")),
        # field names of the file in data answers (the OpenAPI document names fields, holds no data)
        ("risk flag", re.compile(r'"(reoffend_risk|is_key_subject|state_security|false_identity)"\s*:')),
        ("diet", re.compile(r'病号餐|清真|饮食|Medical diet|\bHalal\b|\bDiet\b|\bmedical\b|"diet"\s*:')),
    ]
    return patterns


@pytest.fixture
def sentinel_world(world, db):
    resident = world.resident_a
    for field in ("offence", "prison_name", "health_notes", "bank_account", "phone", "hukou_address", "ethnicity"):
        setattr(resident, field, SENTINELS[field])
    resident.released_on = RELEASED_ON
    resident.sentence_months = SENTENCE_MONTHS
    resident.reoffend_risk = True
    resident.diet = "medical"
    db.session.add(CaseNote(resident_id=resident.id, stay_id=world.stay_a.id, kind="talk", noted_on=date(2026, 11, 1),
                            text=SENTINELS["case_note"], author_id=world.manager_a.id))
    db.session.add(ReleaseNotice(id_number=ID_A, name=resident.name, prison_name=SENTINELS["prison_name"],
                                 prison_region_code="330106", expected_release_on=RELEASED_ON,
                                 received_on=date(2019, 1, 20), receiving_region_code="330106",
                                 risk_assessment=SENTINELS["risk_assessment"],
                                 relief_advice=SENTINELS["relief_advice"], is_key_subject=True,
                                 feedback_due_on=date(2019, 1, 25), resident_id=resident.id))
    db.session.commit()
    return world


def _enterprise_may(endpoint: str) -> bool:
    rule = ENDPOINT_ACCESS.get(endpoint)
    return rule in (PUBLIC, ANY_USER) or (isinstance(rule, frozenset) and Role.ENTERPRISE in rule)


def _check(label: str, response, problems: list[str]) -> None:
    body = response.get_data(as_text=True)
    for name, pattern in _forbidden_patterns():
        if name in ("risk flag", "diet") and label.startswith("/api/v1/openapi.json"):
            continue
        if pattern.search(body):
            problems.append(f"{label} -> {response.status_code} shows the {name}")
    if response.status_code >= 500:
        problems.append(f"{label} -> {response.status_code}")


LIST_QUERIES = ["", "?status=open", "?status=referred", "?status=offered", "?status=hired", "?active=1",
                "?q=%E5%BC%A0", "?posting_id=1", "?within_days=366"]


def test_no_sentinel_reaches_the_enterprise(app, sentinel_world, login_as, api_headers, db):
    world = sentinel_world
    # the enterprise's own pipeline: a second posting with resident_a referred to it
    from base_ops.placements import services

    job = open_posting(world, positions=2, title="叉车司机")
    referral = services.refer(world.manager_a, posting_id=job.id, resident_id=world.resident_a.id)

    page_client = login_as(world.enterprise_user)
    api_client = app.test_client()
    headers = api_headers(world.enterprise_user)
    problems: list[str] = []
    fetched = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not _enterprise_may(rule.endpoint) or rule.endpoint == "static":
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **_url_args(rule, world))
        is_api = url.startswith("/api/")
        for query in LIST_QUERIES if not rule.arguments else [""]:
            response = (api_client.get(url + query, headers=headers) if is_api
                        else page_client.get(url + query))
            fetched += 1
            _check(url + query, response, problems)
    # the enterprise's own referral and posting pages, by their ids
    for url in (f"/referrals/{referral.id}", f"/postings/{job.id}", f"/api/v1/referrals/{referral.id}",
                f"/api/v1/referrals?posting_id={job.id}"):
        response = api_client.get(url, headers=headers) if url.startswith("/api/") else page_client.get(url)
        assert response.status_code == 200, url
        _check(url, response, problems)
    # answers of its own writes: moves, the hire, a check
    for status in ("interviewing", "offered"):
        _check(f"status {status}", api_client.post(f"/api/v1/referrals/{referral.id}/status", headers=headers,
                                                   json={"status": status}), problems)
    hired = api_client.post("/api/v1/placements", headers=headers,
                            json={"referral_id": referral.id, "started_on": "2026-10-01", "contract_months": 12,
                                  "monthly_wage": "4000.00", "social_insurance": True})
    assert hired.status_code == 201, hired.json
    _check("hire", hired, problems)
    placement_id = hired.json["id"]
    _check("check", api_client.post(f"/api/v1/placements/{placement_id}/checks", headers=headers,
                                    json={"checked_on": "2026-11-02", "employed": True}), problems)
    for url in (f"/placements/{placement_id}", f"/api/v1/placements/{placement_id}", "/placements", "/",
                f"/referrals/{referral.id}", "/api/v1/retention-checks/due?within_days=366"):
        response = api_client.get(url, headers=headers) if url.startswith("/api/") else page_client.get(url)
        _check(url, response, problems)
    # pages it may not open, and pages that do not exist, must not leak either
    for url in (f"/residents/{world.resident_a.id}", f"/api/v1/residents/{world.resident_a.id}",
                f"/stays/{world.stay_a.id}", "/notices", "/nowhere", f"/api/v1/referrals/{referral.id + 999}"):
        response = api_client.get(url, headers=headers) if url.startswith("/api/") else page_client.get(url)
        assert response.status_code in (403, 404), url
        _check(url, response, problems)
    assert fetched > 20  # the sweep really ran
    assert not problems, "\n".join(problems)
    # sanity: the enterprise did see the candidate's allowed fields
    candidate = api_client.get(f"/api/v1/referrals/{referral.id}", headers=headers).json["candidate"]
    assert candidate["name"] == "张三" and candidate["age"] == 41
    db.session.refresh(referral)
    assert ReferralStatus(referral.status) == ReferralStatus.HIRED


def test_the_sentinels_are_really_there_for_staff(app, sentinel_world, login_as):
    """The check can fail: the same patterns do match what the base manager sees on the file."""
    world = sentinel_world
    body = login_as(world.manager_a).get(f"/residents/{world.resident_a.id}").get_data(as_text=True)
    found = {name for name, pattern in _forbidden_patterns() if pattern.search(body)}
    assert {"offence", "prison_name", "masked id_number", "case_note", "release date", "sentence", "diet"} <= found

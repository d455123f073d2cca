"""Policies as data (docs/domain.md "Policy differs by region and changes over time", docs/api.md "Policies"):
the most specific region's document in force on the deciding day decides, county → city → province →
national → system default; documents are checked, never edited, ended or superseded from a date; every amount
and deadline says which document decided it, and an approved claim never changes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from base_ops.core.audit import AuditEvent
from base_ops.core.errors import Conflict, PermissionDenied, ValidationFailed
from base_ops.intake.notices import services as notices
from base_ops.policies import changes, services
from base_ops.policies.keys import RULE_KEYS
from base_ops.subsidies import services as claims
from tests.subsidies import conftest as claims_world

# The claims' world (a dibao standard, a collected notice) and their frozen today.
sw = claims_world.sw
frozen_today = claims_world.frozen_today


def policy(actor, region_code, start, rules, *, end=None, title=None, articles=None, **extra):
    data = {"region_code": region_code, "title": title or f"{region_code}安置帮教办法{start.year}",
            "document_no": f"测试〔{start.year}〕1号", "effective_from": start, "effective_to": end, "rules": rules,
            "articles": articles or {key: "第六条" for key in rules}, **extra}
    return changes.adopt(actor, data)


# ---------------------------------------------------------------- which value applies

def test_without_a_document_the_system_default_applies_and_says_so(world):
    applied = services.applied("receipt_working_days", "330106", date(2026, 11, 16))
    assert applied.value == RULE_KEYS["receipt_working_days"].default == Decimal("5")
    assert applied.policy_id is None and applied.citation() == "系统默认值"


def test_county_then_city_then_province_then_national(world):
    day = date(2026, 6, 1)
    national = policy(world.admin, None, date(2020, 1, 1), {"receipt_working_days": 9}, title="全国文件")
    assert services.applied("receipt_working_days", "330106", day).policy_id == national.id
    province = policy(world.admin, "330000", date(2020, 1, 1), {"receipt_working_days": 8})
    assert services.applied("receipt_working_days", "330106", day).policy_id == province.id
    city = policy(world.admin, "330100", date(2020, 1, 1), {"receipt_working_days": 7})
    assert services.applied("receipt_working_days", "330106", day).value == 7
    county = policy(world.admin, "330106", date(2020, 1, 1), {"receipt_working_days": 6})
    assert services.applied("receipt_working_days", "330106", day).policy_id == county.id
    # The neighbour county follows its city; another province follows the national document.
    assert services.applied("receipt_working_days", "330110", day).policy_id == city.id
    assert services.applied("receipt_working_days", "110105", day).policy_id == national.id
    # A key none of them sets falls through to the default.
    assert services.applied("living_allowance_months", "330106", day).policy_id is None


def test_the_deciding_day_picks_the_version_in_force(world):
    old = policy(world.admin, "330106", date(2020, 1, 1), {"receipt_working_days": 7}, title="旧办法")
    new = policy(world.admin, "330106", date(2026, 7, 1), {"receipt_working_days": 10}, title="新办法",
                 supersedes_id=old.id)
    assert old.effective_to == date(2026, 6, 30)
    assert services.applied("receipt_working_days", "330106", date(2026, 6, 30)).policy_id == old.id
    assert services.applied("receipt_working_days", "330106", date(2026, 7, 1)).policy_id == new.id
    assert services.applied("receipt_working_days", "330106", date(2019, 12, 31)).policy_id is None
    citation = services.applied("receipt_working_days", "330106", date(2026, 7, 1)).citation()
    assert citation == "《新办法》（测试〔2026〕1号）第六条"


def test_an_ended_policy_stops_applying_the_next_day(world):
    p = policy(world.admin, "330106", date(2020, 1, 1), {"absence_flag_nights": 5})
    changes.end(world.admin, p, date(2026, 3, 31))
    assert services.applied("absence_flag_nights", "330106", date(2026, 3, 31)).value == 5
    assert services.applied("absence_flag_nights", "330106", date(2026, 4, 1)).policy_id is None


# ---------------------------------------------------------------- checking a document

@pytest.mark.parametrize("rules, field", [
    ({"no_such_rule": 1}, "rules.no_such_rule"),
    ({"receipt_working_days": "abc"}, "rules.receipt_working_days"),
    ({"receipt_working_days": 2.5}, "rules.receipt_working_days"),
    ({"receipt_working_days": 0}, "rules.receipt_working_days"),
    ({"receipt_working_days": "1e9"}, "rules.receipt_working_days"),
    ({"receipt_working_days": "NaN"}, "rules.receipt_working_days"),
    ({"receipt_working_days": True}, "rules.receipt_working_days"),
    ({"training_completion_rate": "1.5"}, "rules.training_completion_rate"),
    ({"handover_same_county": "-1"}, "rules.handover_same_county"),
    ({}, "rules"),
])
def test_a_bad_rule_is_refused_naming_it_and_nothing_is_written(world, db, rules, field):
    before = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    with pytest.raises(ValidationFailed) as info:
        policy(world.admin, "330106", date(2026, 1, 1), rules, articles={})
    assert field in info.value.fields
    assert db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) == before


@pytest.mark.parametrize("data, field", [
    ({"region_code": "999999"}, "region_code"),
    ({"title": "  "}, "title"),
    ({"title": "长" * 201}, "title"),
    ({"effective_from": None}, "effective_from"),
    ({"effective_from": "2026-02-30"}, "effective_from"),
    ({"effective_to": date(2025, 12, 31)}, "effective_to"),
    ({"effective_from": date(1900, 1, 1)}, "effective_from"),
    ({"articles": {"receipt_working_days": "第" * 60}}, "articles.receipt_working_days"),
    ({"articles": {"living_allowance_months": "第一条"}}, "articles.living_allowance_months"),
])
def test_bad_document_fields_are_refused_naming_the_field(world, data, field):
    base = {"region_code": "330106", "title": "办法", "effective_from": date(2026, 1, 1),
            "rules": {"receipt_working_days": 6}}
    with pytest.raises(ValidationFailed) as info:
        changes.adopt(world.admin, {**base, **data})
    assert field in info.value.fields


def test_two_documents_of_a_region_cannot_set_one_rule_on_the_same_day(world):
    policy(world.admin, "330106", date(2026, 1, 1), {"receipt_working_days": 6})
    with pytest.raises(Conflict) as info:
        policy(world.admin, "330106", date(2026, 6, 1), {"receipt_working_days": 7, "absence_flag_nights": 4})
    assert info.value.code == "policy_overlap"
    # Other rules, another region, or days after the first one ends are fine.
    policy(world.admin, "330106", date(2026, 6, 1), {"absence_flag_nights": 4})
    policy(world.admin, "330110", date(2026, 6, 1), {"receipt_working_days": 7})


def test_supersede_must_be_the_same_region_and_later(world):
    old = policy(world.admin, "330106", date(2026, 1, 1), {"receipt_working_days": 6})
    with pytest.raises(ValidationFailed) as info:
        policy(world.admin, "330110", date(2026, 6, 1), {"receipt_working_days": 7}, supersedes_id=old.id)
    assert "supersedes_id" in info.value.fields
    with pytest.raises(ValidationFailed) as info:
        policy(world.admin, "330106", date(2026, 1, 1), {"receipt_working_days": 7}, supersedes_id=old.id)
    assert "effective_from" in info.value.fields


@pytest.mark.parametrize("who", ["officer_x", "manager_a", "enterprise_user", "auditor", "trainer_a"])
def test_only_an_administrator_enters_or_ends_a_document(world, who):
    with pytest.raises(PermissionDenied):
        policy(getattr(world, who), "330106", date(2026, 1, 1), {"receipt_working_days": 6})
    p = policy(world.admin, "330106", date(2026, 1, 1), {"receipt_working_days": 6})
    with pytest.raises(PermissionDenied):
        changes.end(getattr(world, who), p, date(2026, 12, 31))


def test_entering_and_ending_are_audited(world, db):
    p = policy(world.admin, "330106", date(2026, 1, 1), {"receipt_working_days": 6})
    changes.end(world.admin, p, date(2026, 12, 31))
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(p.id))))
    assert {"policy_created", "policy_ended"} <= actions


# ---------------------------------------------------------------- the rules that use them

def test_receipt_deadline_follows_the_receiving_countys_policy(world):
    received = date(2026, 11, 16)  # a Monday
    default_due, _estimate = notices.feedback_due(received, "330106")
    policy(world.admin, "330106", date(2026, 1, 1), {"receipt_working_days": 10})
    longer, _estimate = notices.feedback_due(received, "330106")
    assert longer > default_due
    assert notices.feedback_due(received, "330110")[0] == default_due


def test_a_new_policy_moves_open_deadlines_and_leaves_sent_receipts(world, db):
    notice = world.notice_x
    before = notice.feedback_due_on
    preview = changes.preview(world.admin, {"region_code": "330106", "title": "延长回执期限",
                                            "effective_from": date(2026, 1, 1), "rules": {"receipt_working_days": 10}})
    assert [n.notice.id for n in preview["notices"]] == [notice.id]
    assert notice.feedback_due_on == before  # the preview writes nothing
    policy(world.admin, "330106", date(2026, 1, 1), {"receipt_working_days": 10})
    db.session.refresh(notice)
    assert notice.feedback_due_on > before


def test_handover_amount_and_citation_come_from_the_receiving_countys_policy(sw, db):
    p = policy(sw.admin, "330106", date(2026, 1, 1), {"handover_same_city": 450}, title="西湖区衔接经费办法",
               articles={"handover_same_city": "第八条"})
    claim, _created = claims.create_claim(sw.manager_a, kind="handover", release_notice_id=sw.notice_x.id)
    assert claim.amount == Decimal("450.00")  # prison 330110, receiving 330106: same city
    assert claim.policy_id == p.id
    assert "《西湖区衔接经费办法》（测试〔2026〕1号）第八条" in claim.rule


def test_an_approved_claim_never_changes_and_a_draft_follows_the_new_policy(sw, db):
    from tests.subsidies.conftest import advance

    approved, _created = claims.create_claim(sw.manager_a, kind="handover", release_notice_id=sw.notice_x.id)
    advance(sw, approved, "approved")
    draft, _created = claims.create_claim(sw.manager_a, kind="living_allowance", resident_id=sw.resident_a.id,
                                          month="2026-09")
    amount_before, approved_rule = approved.amount, approved.rule
    policy(sw.admin, "330100", date(2026, 1, 1), {"handover_same_city": 999, "living_allowance_months": 1})
    db.session.refresh(approved)
    assert (approved.amount, approved.rule, approved.policy_id) == (amount_before, approved_rule, None)
    db.session.refresh(draft)
    assert draft.policy_id is not None and "最多 1 个月" in draft.rule


def test_living_allowance_months_are_the_hukou_countys_in_the_month_claimed(sw, db):
    policy(sw.admin, "330106", date(2026, 10, 1), {"living_allowance_months": 1})
    september = claims.create_claim(sw.manager_a, kind="living_allowance", resident_id=sw.resident_a.id,
                                    month="2026-09")[0]
    assert september.policy_id is None and "最多 6 个月" in september.rule
    with pytest.raises(ValidationFailed) as info:
        claims.create_claim(sw.manager_a, kind="living_allowance", resident_id=sw.resident_a.id, month="2026-10")
    assert "month" in info.value.fields


def test_support_period_follows_the_hukou_countys_policy(world):
    resident = world.resident_a  # released 2026-09-01, 户籍 330106
    assert resident.support_ends_on == date(2031, 9, 1)
    policy(world.admin, "330100", date(2020, 1, 1), {"support_years_released": 3})
    assert resident.support_ends_on == date(2029, 9, 1)


def test_stays_flag_absence_after_the_bases_county_policy(world, db):
    from base_ops.intake.models import Absence
    from base_ops.intake.stays import queries

    db.session.add(Absence(stay_id=world.stay_a.id, start_on=date(2026, 12, 1)))
    db.session.commit()
    night = date(2026, 12, 6)  # 5 nights away
    assert queries.stay_facts(world.stay_a, night).is_absent_flagged
    policy(world.admin, "330106", date(2026, 1, 1), {"absence_flag_nights": 10})
    facts = queries.stay_facts(world.stay_a, night)
    assert facts.flag_nights == 10 and not facts.is_absent_flagged


def test_a_minor_is_refused_citing_the_bases_countys_document(world, db, english):
    from base_ops.intake.stays import services as stays
    from base_ops.residents.models import Resident
    from tests.conftest import ID_MINOR
    child = Resident(id_number=ID_MINOR, name="小明", sex="male", birth_on=date(2012, 1, 1), hukou_region_code="330106",
                     subject_type="released", released_on=date(2026, 9, 1), is_homeless=True,
                     has_no_relatives=True, is_unemployed=True, base_id=world.base_a.id)
    db.session.add(child)
    db.session.commit()
    policy(world.admin, "330000", date(2020, 1, 1), {"minimum_admission_age": 16}, title="浙江省办法",
           articles={"minimum_admission_age": "第十四条"})
    with pytest.raises(ValidationFailed) as info:
        stays.admit(world.manager_a, resident_id=child.id, base_id=world.base_a.id, admitted_on=date(2026, 9, 2))
    assert info.value.code == "minor"
    assert "《浙江省办法》" in info.value.message and "山西" not in info.value.message


# ---------------------------------------------------------------- the API

def test_api_create_list_effective_keys_end(world, client, api_headers):
    admin = api_headers(world.admin)
    body = {"region_code": "330106", "title": "西湖区办法", "document_no": "西政〔2026〕3号",
            "effective_from": "2026-01-01", "rules": {"receipt_working_days": 7, "handover_same_city": "350.00"},
            "articles": {"receipt_working_days": "第四条"}}
    created = client.post("/api/v1/policies", json=body, headers=admin)
    assert created.status_code == 201, created.json
    policy_id = created.json["id"]
    assert {r["key"]: r["value"] for r in created.json["rules"]} == {"handover_same_city": "350.00",
                                                                     "receipt_working_days": "7.00"}
    officer = api_headers(world.officer_x)
    listed = client.get("/api/v1/policies?region_code=330106&on=2026-06-01", headers=officer)
    assert [p["id"] for p in listed.json["items"]] == [policy_id]
    effective = client.get("/api/v1/policies/effective?region_code=330106&on=2026-06-01", headers=officer).json
    rules = {r["key"]: r for r in effective["rules"]}
    assert rules["receipt_working_days"]["value"] == "7.00"
    assert rules["receipt_working_days"]["citation"] == "《西湖区办法》（西政〔2026〕3号）第四条"
    assert rules["living_allowance_months"]["policy_id"] is None
    keys = client.get("/api/v1/policies/keys", headers=officer).json["items"]
    assert {k["key"] for k in keys} == set(RULE_KEYS)
    ended = client.post(f"/api/v1/policies/{policy_id}/end", json={"effective_to": "2026-12-31"}, headers=admin)
    assert ended.status_code == 200 and ended.json["effective_to"] == "2026-12-31"


@pytest.mark.parametrize("body, status, field", [
    ({"rules": {"nope": 1}}, 422, "rules.nope"),
    ({"rules": {"receipt_working_days": 999}}, 422, "rules.receipt_working_days"),
    ({"rules": "x"}, 422, "rules"),
    ({"effective_from": "2026-13-01"}, 422, "effective_from"),
    ({"region_code": "33010"}, 422, "region_code"),
    ({"extra": 1}, 422, "extra"),
])
def test_api_refuses_bad_documents_naming_the_field(world, client, api_headers, body, status, field):
    base = {"region_code": "330106", "title": "办法", "effective_from": "2026-01-01",
            "rules": {"receipt_working_days": 7}}
    response = client.post("/api/v1/policies", json={**base, **body}, headers=api_headers(world.admin))
    assert response.status_code == status
    assert field in response.json["error"]["fields"]


def test_api_only_the_admin_writes_and_overlap_is_409(world, client, api_headers):
    body = {"region_code": "330106", "title": "办法", "effective_from": "2026-01-01",
            "rules": {"receipt_working_days": 7}}
    assert client.post("/api/v1/policies", json=body, headers=api_headers(world.officer_x)).status_code == 403
    assert client.post("/api/v1/policies", json=body, headers=api_headers(world.admin)).status_code == 201
    again = client.post("/api/v1/policies", json=body, headers=api_headers(world.admin))
    assert again.status_code == 409 and again.json["error"]["code"] == "policy_overlap"
    assert client.get("/api/v1/policies/keys", headers=api_headers(world.enterprise_user)).status_code == 403
    assert client.get("/api/v1/policies/999999", headers=api_headers(world.admin)).status_code == 404


def test_api_preview_writes_nothing(world, client, api_headers, db):
    body = {"region_code": "330106", "title": "办法", "effective_from": "2026-01-01",
            "rules": {"receipt_working_days": 9}}
    response = client.post("/api/v1/policies/preview", json=body, headers=api_headers(world.admin))
    assert response.status_code == 200
    assert response.json["changes"][0]["key"] == "receipt_working_days"
    assert response.json["changes"][0]["current"]["citation"] == "系统默认值"
    assert [n["notice_id"] for n in response.json["notices"]] == [world.notice_x.id]
    assert services.list_policies("330106") == []


# ---------------------------------------------------------------- the pages

def test_pages_enter_preview_and_see_a_policy(world, login_as):
    admin = login_as(world.admin)
    form = {"region_code": "330106", "title": "西湖区办法", "document_no": "", "issued_by": "",
            "effective_from": "2026-01-01", "effective_to": "", "rule-receipt_working_days": "8",
            "article-receipt_working_days": "第四条"}
    preview = admin.post("/policies/new", data={**form, "action": "preview"})
    assert preview.status_code == 200 and "5 → 8" in preview.get_data(as_text=True)  # the default, then the new
    assert services.list_policies("330106") == []
    bad = admin.post("/policies/new", data={**form, "rule-receipt_working_days": "abc", "action": "save"})
    assert bad.status_code == 422 and 'id="rule-receipt_working_days-error"' in bad.get_data(as_text=True)
    saved = admin.post("/policies/new", data={**form, "action": "save"})
    assert saved.status_code == 302
    officer = login_as(world.officer_x)
    page = officer.get("/policies").get_data(as_text=True)
    assert "西湖区办法" in page and "第四条" in page
    assert officer.get("/policies/new").status_code == 403


def test_no_page_of_a_hangzhou_user_cites_a_document_hangzhou_does_not_follow(world, login_as):
    """issue 18: every page cited 《山西省安置帮教工作办法》 in a Hangzhou system. With Shanxi's document entered
    (as the seed does), a Hangzhou user's pages and refusals cite Hangzhou's documents or the system default."""
    from base_ops.org.services import load_regions
    from base_ops.seed import loaders

    load_regions([{"code": "140000", "name": "山西省", "level": "province", "parent_code": None}])
    assert loaders.load_policies() >= 1
    pages = {
        "manager_a": ["/", "/stays/new", f"/stays/{world.stay_a.id}", "/notices", "/notices/new", "/policies",
                      f"/residents/{world.resident_a.id}"],
        "officer_x": ["/", "/notices", "/policies", "/postings"],
        "enterprise_user": ["/", "/postings", "/postings/new"],
        "admin": ["/admin/phrases", "/policies"],
    }
    for who, urls in pages.items():
        client = login_as(getattr(world, who))
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (who, url, response.status_code)
            text = response.get_data(as_text=True)
            if not (who == "admin" and url == "/policies"):  # the admin's list shows every region's documents
                assert "山西" not in text and "Shanxi" not in text, (who, url)
    posted = login_as(world.enterprise_user).post("/postings/new", data={
        "title": "仓库管理员", "description": "要求无犯罪记录", "requirements": "", "location": "杭州",
        "positions": "1", "wage_min": "3000", "wage_max": "4000"})
    text = posted.get_data(as_text=True)
    assert posted.status_code in (200, 422) and "无犯罪记录" in text and "山西" not in text


def test_a_claim_answer_names_its_policy(sw, client, api_headers):
    p = policy(sw.admin, "330106", date(2026, 1, 1), {"handover_same_city": 450}, title="西湖区衔接经费办法")
    response = client.post("/api/v1/claims", json={"kind": "handover", "release_notice_id": sw.notice_x.id},
                           headers=api_headers(sw.manager_a))
    assert response.status_code == 201, response.json
    assert response.json["policy_id"] == p.id and response.json["amount"] == "450.00"
    assert "依据：《西湖区衔接经费办法》" in response.json["rule"]


def test_the_notice_page_says_which_document_set_the_receipt_deadline(world, login_as):
    officer = login_as(world.officer_x)
    page = officer.get(f"/notices/{world.notice_x.id}").get_data(as_text=True)
    assert "系统默认值" in page
    policy(world.admin, "330106", date(2026, 1, 1), {"receipt_working_days": 7}, title="西湖区衔接办法",
           articles={"receipt_working_days": "第四条"})
    page = officer.get(f"/notices/{world.notice_x.id}").get_data(as_text=True)
    assert "《西湖区衔接办法》（测试〔2026〕1号）第四条" in page


def test_zhengzhou_sets_its_follow_up_interval_cited_to_its_document(world):
    """issue 18: seed 001 (Zhengzhou) is entered as Zhengzhou's policy: 每半年跟踪教育一次 (三、第三) is its
    follow-up interval, cited for a person of a Zhengzhou county; a Hangzhou county does not cite it."""
    from datetime import date

    from base_ops.org.services import load_regions
    from base_ops.policies import services as policies
    from base_ops.seed import loaders

    load_regions([{"code": "410000", "name": "河南省", "level": "province", "parent_code": None},
                  {"code": "410100", "name": "郑州市", "level": "city", "parent_code": "410000"},
                  {"code": "410102", "name": "中原区", "level": "county", "parent_code": "410100"}])
    assert loaders.load_policies() >= 1
    applied = policies.applied("follow_up_interval_months", "410102", date(2026, 12, 1))
    assert applied.value == 6 and applied.document_no == "郑政文〔2009〕278号" and applied.article == "三、第三"
    assert "郑州" in applied.citation()
    before = policies.applied("follow_up_interval_months", "410102", date(2009, 11, 1))
    assert before.policy_id is None  # before the document: the system default
    assert "郑州" not in policies.applied("follow_up_interval_months", "330106", date(2026, 12, 1)).citation()

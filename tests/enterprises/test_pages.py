"""Enterprise pages: the enterprise and its agreement history, a new version from the form, the
portal's postings (the screen's message names the phrase), open/close, the admin's phrase list;
scope answers 404; CSRF is on in production, off in TestConfig."""

from __future__ import annotations

from sqlalchemy import func, select

from base_ops.core.audit import AuditEvent
from base_ops.enterprises.models import DiscriminatoryPhrase, JobPosting, PlacementAgreement, PostingStatus
from tests.placements.helpers import admit_new_resident


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


POSTING_FORM = {"title": "绿化养护工", "description": "负责园区绿化日常养护", "requirements": "", "positions": "2",
                "wage_min": "3600", "wage_max": "4500", "location": "杭州市西湖区", "provides_housing": "y"}


def test_enterprise_page_and_history(world, login_as):
    client = login_as(world.officer_x)
    page = client.get(f"/enterprises/{world.enterprise.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert world.enterprise.name in html and "3000.00" in html and "100000.00" in html
    history = client.get(f"/enterprises/{world.enterprise.id}/agreements").get_data(as_text=True)
    assert "v1" in history
    assert login_as(world.officer_y).get(f"/enterprises/{world.enterprise.id}").status_code == 404


def test_new_version_from_the_form(world, login_as, db):
    client = login_as(world.officer_x)
    form = client.get(f"/enterprises/{world.enterprise.id}/agreements/new").get_data(as_text=True)
    assert 'value="3000.00"' in form  # filled with the current terms
    data = {"starts_on": "2027-01-01", "ends_on": "2027-12-31", "hire_quota": "5", "min_contract_months": "12",
            "one_time_subsidy": "4000", "one_time_after_months": "6", "post_subsidy_monthly": "600",
            "post_subsidy_max_months": "12", "insurance_subsidy_monthly": "800",
            "insurance_subsidy_max_months": "36", "budget": "50000"}
    response = client.post(f"/enterprises/{world.enterprise.id}/agreements/new", data=data)
    assert response.status_code == 302
    versions = db.session.scalars(select(PlacementAgreement).order_by(PlacementAgreement.version)).all()
    assert [(a.version, a.is_current) for a in versions] == [(1, False), (2, True)]
    bad = client.post(f"/enterprises/{world.enterprise.id}/agreements/new", data={**data, "ends_on": "2026-01-01"})
    assert bad.status_code == 200 and "is-invalid" in bad.get_data(as_text=True)
    assert _count(db, PlacementAgreement) == 2


def test_portal_refuses_a_discriminatory_posting_naming_the_phrase(world, login_as, db):
    client = login_as(world.enterprise_user)
    response = client.post("/postings/new", data={**POSTING_FORM, "requirements": "需要无犯罪记录证明"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "无犯罪记录" in html and "alert-danger" in html and "is-invalid" in html
    assert _count(db, JobPosting) == 1
    ok = client.post("/postings/new", data=POSTING_FORM)
    assert ok.status_code == 302
    posting = db.session.scalars(select(JobPosting).order_by(JobPosting.id.desc())).first()
    assert posting.status == PostingStatus.DRAFT and posting.provides_housing is True
    assert client.post(f"/postings/{posting.id}/open").status_code == 302
    db.session.refresh(posting)
    assert posting.status == PostingStatus.OPEN
    detail = client.get(f"/postings/{posting.id}").get_data(as_text=True)
    assert "绿化养护工" in detail


def test_postings_list_per_role(world, login_as):
    assert "物业保洁员" in login_as(world.enterprise_user).get("/postings").get_data(as_text=True)
    assert "物业保洁员" in login_as(world.manager_a).get("/postings?status=open").get_data(as_text=True)
    assert "物业保洁员" not in login_as(world.officer_y).get("/postings").get_data(as_text=True)


def test_manager_sees_the_refer_form_on_an_open_posting(world, login_as):
    html = login_as(world.manager_a).get(f"/postings/{world.posting.id}").get_data(as_text=True)
    assert "/referrals/new" not in html  # 张三, his only resident, is already referred
    admit_new_resident(world.manager_a, world.base_a, 7, "王小明")
    html = login_as(world.manager_a).get(f"/postings/{world.posting.id}").get_data(as_text=True)
    assert "/referrals/new" in html and "王小明" in html
    html = login_as(world.enterprise_user).get(f"/postings/{world.posting.id}").get_data(as_text=True)
    assert "/referrals/new" not in html and "张三" in html  # the hired candidate is listed


def test_admin_phrase_list(world, login_as, db):
    client = login_as(world.admin)
    page = client.get("/admin/phrases").get_data(as_text=True)
    assert "无犯罪记录" in page
    assert client.post("/admin/phrases", data={"phrase": "两劳人员勿扰"}).status_code == 302
    assert db.session.scalar(select(DiscriminatoryPhrase).where(DiscriminatoryPhrase.phrase == "两劳人员勿扰"))
    duplicate = client.post("/admin/phrases", data={"phrase": "两劳 人员勿扰"})
    assert duplicate.status_code == 200 and "is-invalid" in duplicate.get_data(as_text=True)
    row = db.session.get(DiscriminatoryPhrase, 1)
    assert client.post(f"/admin/phrases/{row.id}/active", data={"active": "0"}).status_code == 302
    db.session.refresh(row)
    assert row.is_active is False
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert event.action == "phrase_deactivated" and event.actor_username == "admin_w"
    assert login_as(world.enterprise_user).get("/admin/phrases").status_code == 403


def test_user_text_is_escaped(world, login_as, db):
    client = login_as(world.enterprise_user)
    client.post("/postings/new", data={**POSTING_FORM, "title": '"><img src=x onerror=alert(1)>'})
    html = client.get("/postings").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_admin_registers_an_enterprise_through_the_form(world, login_as, db):
    from base_ops.enterprises.models import Enterprise
    from tests.enterprises.conftest import USCC_OTHER

    client = login_as(world.admin)
    data = {"name": "余杭制造有限公司", "uscc": USCC_OTHER, "region_code": "330110", "contact_name": "李经理",
            "contact_phone": "0571-86000000"}
    bad = client.post("/admin/enterprises/new", data={**data, "uscc": USCC_OTHER[:-1] + "0"})
    assert bad.status_code == 200 and "is-invalid" in bad.get_data(as_text=True)
    assert _count(db, Enterprise) == 1
    assert client.post("/admin/enterprises/new", data=data).status_code == 302
    listing = client.get("/enterprises").get_data(as_text=True)
    assert "余杭制造有限公司" in listing and "/admin/phrases" in listing
    assert "余杭制造有限公司" not in login_as(world.officer_x).get("/enterprises").get_data(as_text=True)

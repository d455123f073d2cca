"""Lawful bars on some jobs (docs/domain.md "Lawful bars on some jobs"; 《保安服务管理条例》 art. 17): a posting
for a barred job is marked and warned about but not refused; the base never refers a resident to it
(422 barred_job citing the regulation); the training catalogue does not offer the job as a skill
(422 naming `skill`), while an existing course of it stays readable."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from base_ops.core.errors import ValidationFailed
from base_ops.enterprises import bars
from base_ops.enterprises import services as enterprise_services
from base_ops.placements import services as placement_services
from base_ops.placements.models import Referral
from base_ops.training import services as training_services
from base_ops.training.models import Course
from tests.enterprises.conftest import posting_body

ROOT = Path(__file__).resolve().parents[2]


def _open_posting(world, title: str):
    posting = enterprise_services.create_posting(world.enterprise_user, **{
        **posting_body(world.enterprise.id, title=title), "wage_min": "3600", "wage_max": "4500"})
    return enterprise_services.open_posting(world.enterprise_user, posting)


# ---------------------------------------------------------------- the table

@pytest.mark.parametrize("title", ["保安员", "小区保安", "安保员", "押运员", "保 安 员", "銀行押運員", "ＡＢ保安",
                                   "物业秩序维护员", "工厂门卫"])
def test_barred_titles(title):
    bar = bars.bar_for_title(title)
    assert bar is not None and bar.job == "保安" and bar.citation() == "《保安服务管理条例》 第十七条"


@pytest.mark.parametrize("title", ["保洁员", "仓库理货员", "安装工", "押金专员", "", None])
def test_other_titles_are_not_barred(title):
    assert bars.bar_for_title(title) is None


def test_the_rule_is_explicit_and_every_subject_is_barred(world):
    bar = bars.bar_for_skill("保安")
    assert bar is not None and bars.bar_for_skill("电焊") is None
    assert bars.is_barred(bar, world.resident_a) is True
    assert bars.is_barred(None, world.resident_a) is False


def test_the_law_is_cited_in_the_repository_words():
    domain = ROOT.joinpath("docs/domain.md").read_text(encoding="utf-8")
    section = domain.split("## Lawful bars on some jobs", 1)[1].split("\n## ", 1)[0]
    for bar in bars.BARS:
        assert bar.law in section and "art. 17" in section


# ---------------------------------------------------------------- postings

def test_a_barred_posting_is_saved_and_opened_and_marked(world, db):
    posting = _open_posting(world, "小区保安")
    assert posting.status == "open" and posting.bar is not None
    assert _open_posting(world, "仓库理货员").bar is None


def test_the_api_marks_the_barred_posting(world, client, api_headers, db):
    response = client.post("/api/v1/postings", headers=api_headers(world.enterprise_user),
                           json=posting_body(world.enterprise.id, title="安保员"))
    assert response.status_code == 201, response.json
    assert response.json["is_barred"] is True
    assert "《保安服务管理条例》" in response.json["barred_by"]
    other = client.post("/api/v1/postings", headers=api_headers(world.enterprise_user),
                        json=posting_body(world.enterprise.id))
    assert (other.json["is_barred"], other.json["barred_by"]) == (False, None)


def test_the_enterprise_is_warned_on_the_form_and_the_page(world, login_as, db):
    client = login_as(world.enterprise_user)
    form = client.get("/postings/new").get_data(as_text=True)
    assert "《保安服务管理条例》" in form
    response = client.post("/postings/new", data={
        "title": "押运员", "description": "押运现金", "positions": "2", "wage_min": "4000", "wage_max": "5000",
        "location": "杭州", "provides_housing": "y"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "posting-bar" in page and "《保安服务管理条例》 第十七条" in page


# ---------------------------------------------------------------- referrals

def test_the_base_never_refers_a_resident_to_a_barred_job(world, db):
    posting = _open_posting(world, "保安员")
    with pytest.raises(ValidationFailed) as error:
        placement_services.refer(world.manager_a, posting_id=posting.id, resident_id=world.resident_a.id)
    assert error.value.code == "barred_job" and error.value.status == 422
    assert "《保安服务管理条例》" in error.value.message and "posting_id" in error.value.fields
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Referral).where(Referral.posting_id == posting.id)) == 0


def test_the_api_refuses_the_referral_with_barred_job(world, client, api_headers, db):
    posting = _open_posting(world, "安保员")
    response = client.post("/api/v1/referrals", headers=api_headers(world.manager_a),
                           json={"posting_id": posting.id, "resident_id": world.resident_a.id})
    assert response.status_code == 422
    assert response.json["error"]["code"] == "barred_job"
    assert "《保安服务管理条例》" in response.json["error"]["message"]


def test_the_manager_sees_the_bar_and_no_referral_form(world, login_as, db):
    posting = _open_posting(world, "保安员")
    client = login_as(world.manager_a)
    page = client.get(f"/postings/{posting.id}").get_data(as_text=True)
    assert "posting-bar" in page and 'action="/referrals/new"' not in page
    form = client.get("/referrals/new").get_data(as_text=True)
    assert f'value="{posting.id}"' not in form  # not offered among the postings to refer to


# ---------------------------------------------------------------- training

def test_the_catalogue_does_not_train_for_a_barred_job(world, db):
    assert "保安" not in training_services.SKILLS
    with pytest.raises(ValidationFailed) as error:
        training_services.create_course(world.manager_a, base_id=world.base_a.id, title="保安培训", skill="保安",
                                        starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 20), capacity=10,
                                        hours=Decimal("40"))
    assert set(error.value.fields) == {"skill"}
    assert "《保安服务管理条例》" in error.value.fields["skill"][0]


def test_the_api_and_the_form_refuse_the_barred_skill(world, client, api_headers, login_as, db):
    response = client.post("/api/v1/courses", headers=api_headers(world.manager_a), json={
        "base_id": world.base_a.id, "title": "保安培训", "skill": "保安", "starts_on": "2026-12-01",
        "ends_on": "2026-12-20", "capacity": 10, "hours": "40"})
    assert response.status_code == 422 and "skill" in response.json["error"]["fields"]
    form = login_as(world.manager_a).get("/training/courses/new").get_data(as_text=True)
    assert 'value="保安"' not in form and 'value="电焊"' in form


def test_an_existing_course_of_a_barred_job_stays_readable_and_editable(world, client, api_headers, login_as, db):
    old = Course(base_id=world.base_a.id, title="保安员（初级）", skill="保安", starts_on=date(2026, 11, 2),
                 ends_on=date(2026, 12, 18), capacity=20, enrolled_count=0, hours=Decimal("40"))
    db.session.add(old)
    db.session.commit()
    assert client.get(f"/api/v1/courses/{old.id}", headers=api_headers(world.manager_a)).json["skill"] == "保安"
    manager = login_as(world.manager_a)
    assert "保安员（初级）" in manager.get(f"/training/courses/{old.id}").get_data(as_text=True)
    edit = manager.get(f"/training/courses/{old.id}/edit")
    assert edit.status_code == 200 and 'value="保安"' in edit.get_data(as_text=True)
    training_services.update_course(world.manager_a, old, capacity=15)
    db.session.refresh(old)
    assert (old.skill, old.capacity) == ("保安", 15)

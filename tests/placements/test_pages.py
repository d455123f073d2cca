"""Placement pages: the manager refers from a posting, the enterprise moves its candidate along
(interview, offer), records the hire, checks and the end; the manager undoes a hire and
discharges a placed resident as employed; lists and the due list; other scopes get 404."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from base_ops.intake.models import Destination
from base_ops.placements.models import Placement, Referral, ReferralStatus, RetentionCheck
from tests.enterprises.conftest import USCC_OTHER
from tests.placements.conftest import hire
from tests.placements.helpers import admit_new_resident


def test_manager_refers_from_the_form(world, login_as, db, job):
    client = login_as(world.manager_a)
    form = client.get(f"/referrals/new?posting_id={job.id}").get_data(as_text=True)
    assert "仓库理货员" in form and "张三" in form
    response = client.post("/referrals/new", data={"posting_id": job.id, "resident_id": world.resident_a.id})
    assert response.status_code == 302
    referral = db.session.scalar(select(Referral).where(Referral.posting_id == job.id))
    assert referral.status == ReferralStatus.REFERRED
    again = client.post("/referrals/new", data={"posting_id": job.id, "resident_id": world.resident_a.id})
    assert again.status_code == 200 and "alert-danger" in again.get_data(as_text=True)
    out_of_scope = client.post("/referrals/new", data={"posting_id": job.id, "resident_id": world.resident_b.id})
    assert out_of_scope.status_code == 200 and "李四" not in out_of_scope.get_data(as_text=True)
    assert db.session.scalar(select(Referral).where(Referral.resident_id == world.resident_b.id)) is None


def test_enterprise_moves_and_hires_through_the_pages(world, login_as, db, job):
    from base_ops.placements import services

    referral = services.refer(world.manager_a, posting_id=job.id, resident_id=world.resident_a.id)
    client = login_as(world.enterprise_user)
    candidates = client.get("/referrals").get_data(as_text=True)
    assert "张三" in candidates and "仓库理货员" in candidates
    detail = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert 'data-move="interviewing"' in detail and 'data-move="withdrawn"' not in detail
    assert "hire-form" not in detail
    for status in ("interviewing", "offered"):
        assert client.post(f"/referrals/{referral.id}/status", data={"status": status}).status_code == 302
    skipped = client.post(f"/referrals/{referral.id}/status", data={"status": "referred"})
    assert skipped.status_code == 302
    db.session.refresh(referral)
    assert referral.status == ReferralStatus.OFFERED
    detail = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "hire-form" in detail
    bad = client.post(f"/referrals/{referral.id}/hire", data={"started_on": "2026-11-16", "contract_months": "0",
                                                              "monthly_wage": "4200"})
    assert bad.status_code == 422 and "is-invalid" in bad.get_data(as_text=True)
    response = client.post(f"/referrals/{referral.id}/hire", data={
        "started_on": "2026-11-16", "contract_months": "12", "monthly_wage": "4200", "social_insurance": "y"})
    assert response.status_code == 302
    placement = db.session.scalar(select(Placement).where(Placement.referral_id == referral.id))
    assert response.headers["Location"].endswith(f"/placements/{placement.id}")
    page = client.get(f"/placements/{placement.id}").get_data(as_text=True)
    assert "4200.00" in page and "2026-12-16" in page  # the 1-month check
    assert client.post(f"/placements/{placement.id}/checks",
                       data={"checked_on": "2026-11-20", "employed": "1"}).status_code == 302
    assert db.session.scalar(select(RetentionCheck).where(RetentionCheck.placement_id == placement.id))
    future = client.post(f"/placements/{placement.id}/checks", data={"checked_on": "2026-12-01", "employed": "1"})
    assert future.status_code == 422
    assert client.post(f"/placements/{placement.id}/end",
                       data={"ended_on": "2026-11-20", "reason": "试用期未通过"}).status_code == 302
    db.session.refresh(placement)
    assert placement.end_reason == "试用期未通过"


def test_manager_undoes_a_hire_and_discharges_as_employed(world, login_as, db, offered, job):
    client = login_as(world.manager_a)
    placement = hire(world, offered)
    page = client.get(f"/placements/{placement.id}").get_data(as_text=True)
    assert "discharge" in page and "/cancel" in page
    assert client.post(f"/placements/{placement.id}/cancel").status_code == 302
    db.session.refresh(placement)
    db.session.refresh(job)
    assert placement.is_cancelled and job.open_positions == 1
    db.session.refresh(offered)
    assert offered.status == ReferralStatus.OFFERED
    placement = hire(world, offered)
    response = client.post(f"/placements/{placement.id}/discharge", data={"discharged_on": "2026-11-16"})
    assert response.status_code == 302
    db.session.refresh(world.stay_a)
    assert world.stay_a.destination == Destination.EMPLOYED and world.stay_a.discharged_on == date(2026, 11, 16)
    page = client.get(f"/placements/{placement.id}").get_data(as_text=True)
    assert "discharged_on" not in page  # no open stay: the button is gone
    assert "/cancel" not in page  # he left the base for this job: the hire stands


def test_lists_and_due_checks(world, login_as, db):
    resident, _ = admit_new_resident(world.manager_a, world.base_a, 51, "韩六")
    from base_ops.placements import services
    from tests.placements.conftest import offer

    referral = offer(world, services.refer(world.manager_a, posting_id=world.posting.id, resident_id=resident.id))
    hire(world, referral, started_on=date(2026, 10, 28))
    for user in (world.manager_a, world.enterprise_user, world.officer_x):
        html = login_as(user).get("/placements").get_data(as_text=True)
        assert "韩六" in html and "2026-11-28" in html, user.username  # due in 8 days
    html = login_as(world.enterprise_user).get("/").get_data(as_text=True)
    assert "韩六" in html and "2026-11-28" in html
    assert "韩六" not in login_as(world.manager_b).get("/placements").get_data(as_text=True)
    current = login_as(world.manager_a).get("/placements?active=1").get_data(as_text=True)
    assert "韩六" in current


def test_other_scopes_get_404_pages(world, login_as, factory, offered):
    placement = hire(world, offered)
    other = factory.user("enterprise", username="other_e",
                         enterprise=factory.enterprise("330106", uscc=USCC_OTHER, name="别家"))
    for user in (other, world.manager_b):
        client = login_as(user)
        for url in (f"/referrals/{offered.id}", f"/placements/{placement.id}", f"/referrals/{world.referral_a.id}"):
            response = client.get(url)
            assert response.status_code == 404 and "张三" not in response.get_data(as_text=True), (user, url)
        assert client.post(f"/placements/{placement.id}/cancel").status_code == 404
        assert "张三" not in client.get("/referrals").get_data(as_text=True)
    assert login_as(other).get(f"/postings/{world.posting.id}").status_code == 404

"""Claim pages: work queues, filing a claim (amount computed, never typed), the claim with its rule,
history and buttons, bulk approval, and payment batches (issue 6 items 4–6)."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
from sqlalchemy import func, select

from base_ops.core.audit import AuditEvent
from base_ops.core.db import utcnow
from base_ops.subsidies import batches, services
from base_ops.subsidies.models import BatchStatus, Claim, ClaimEvent, ClaimStatus, PaymentBatch
from tests.subsidies.conftest import advance


def claims(db) -> int:
    return db.session.scalar(select(func.count(Claim.id)))


def test_each_role_sees_its_own_queue(db, sw, post_claim, login_as):
    draft = post_claim("draft", month="2026-11", kind="insurance_subsidy")
    submitted = post_claim("submitted", month="2026-11")
    reviewed = post_claim("reviewed", month="2026-12")
    link = "/claims/{}\""

    def queue(user, **params):
        response = login_as(user).get("/claims/queue", query_string=params)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    page = queue(sw.enterprise_user)
    assert link.format(draft.id) in page and link.format(submitted.id) not in page
    page = queue(sw.manager_a)
    assert link.format(submitted.id) in page and link.format(draft.id) not in page
    page = queue(sw.officer_x)
    assert link.format(reviewed.id) in page and link.format(submitted.id) not in page
    assert f'name="claim_ids" value="{reviewed.id}"' in page  # bulk approval checkbox
    for user in (sw.manager_b, sw.officer_y):
        page = queue(user)
        assert all(link.format(c.id) not in page for c in (draft, submitted, reviewed))
    # filters: kind, status, month
    assert link.format(reviewed.id) not in queue(sw.officer_x, kind="insurance_subsidy")
    assert link.format(reviewed.id) not in queue(sw.officer_x, month="2026-11")
    assert link.format(reviewed.id) in queue(sw.officer_x, month="2026-12", kind="post_subsidy")
    # unknown filter values are ignored, never an error
    assert link.format(reviewed.id) in queue(sw.officer_x, kind="x' OR 1=1", status="nope", month="2026-99")


def test_all_claims_list_is_scoped_and_filtered(db, sw, post_claim, login_as):
    nov = post_claim("approved", month="2026-11")
    dec = post_claim("draft", month="2026-12")
    page = login_as(sw.officer_x).get("/claims", query_string={"status": "approved"}).get_data(as_text=True)
    assert f"/claims/{nov.id}\"" in page and f"/claims/{dec.id}\"" not in page
    for user in (sw.manager_b, sw.officer_y):
        page = login_as(user).get("/claims").get_data(as_text=True)
        assert f"/claims/{nov.id}\"" not in page


def test_enterprise_files_a_claim_the_amount_is_computed(db, sw, login_as):
    client = login_as(sw.enterprise_user)
    form = client.get("/claims/new").get_data(as_text=True)
    assert 'name="amount"' not in form
    response = client.post("/claims/new", data={"kind": "post_subsidy", "placement_id": sw.placement_a.id,
                                                 "month": "2026-11", "amount": "99999", "status": "paid",
                                                 "enterprise_id": "999"})
    assert response.status_code == 302
    claim = db.session.scalars(select(Claim)).one()
    assert claim.amount != 99999 and claim.status == ClaimStatus.DRAFT and claim.enterprise_id == sw.enterprise.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert str(claim.amount) in page and claim.rule in page
    # the same request again shows the same claim
    again = client.post("/claims/new", data={"kind": "post_subsidy", "placement_id": sw.placement_a.id,
                                              "month": "2026-11"})
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/claims/{claim.id}")
    assert claims(db) == 1


def test_the_one_time_hiring_subsidy_form_sends_no_month(db, sw, login_as):
    """issue 17: the page keeps its (hidden) month for every kind; the one-time subsidy and the handover
    subsidy came back refused for it ("该类补贴申请无需填写此项") with the error in the hidden block."""
    from datetime import date

    from base_ops.placements.models import Placement

    placement = db.session.get(Placement, sw.placement_a.id)
    placement.started_on = date(2026, 5, 4)  # retained more than the agreement's six months by TODAY
    db.session.commit()
    response = login_as(sw.enterprise_user).post("/claims/new", data={
        "kind": "one_time_hire", "placement_id": sw.placement_a.id, "month": "2026-12"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    claim = db.session.scalars(select(Claim)).one()
    assert claim.kind == "one_time_hire" and claim.period == ""
    handover = login_as(sw.manager_a).post("/claims/new", data={
        "kind": "handover", "release_notice_id": sw.notice_x.id, "month": "2026-12"})
    assert handover.status_code == 302


def test_not_eligible_is_shown_and_nothing_is_written(db, sw, login_as, english):
    response = login_as(sw.enterprise_user).post("/claims/new", data={
        "kind": "post_subsidy", "placement_id": sw.placement_a.id, "month": "2026-09"})
    assert response.status_code == 422
    assert "Not eligible" in response.get_data(as_text=True) or "invalid-feedback" in response.get_data(as_text=True)
    assert claims(db) == 0
    bad_month = login_as(sw.enterprise_user).post("/claims/new", data={
        "kind": "post_subsidy", "placement_id": sw.placement_a.id, "month": "2026-13"})
    assert bad_month.status_code == 422 and claims(db) == 0


def test_manager_files_the_living_allowance_of_a_late_resident_with_reduced_months(db, sw, login_as):
    # Released 2026-09-01, registered 2026-11-15: 75 days, 45 late → 6 − ceil(45/30) = 4 months.
    from datetime import date

    sw.resident_a.registered_on = date(2026, 11, 15)
    db.session.commit()
    client = login_as(sw.manager_a)
    response = client.post("/claims/new", data={"kind": "living_allowance", "resident_id": sw.resident_a.id,
                                                "month": "2026-11"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "4 个月" in page and "1100.00" in page
    assert "6222020200112233445" not in page and "3445" in page  # the manager sees the account masked
    too_late = client.post("/claims/new", data={"kind": "living_allowance", "resident_id": sw.resident_a.id,
                                                "month": "2027-03"})
    assert too_late.status_code == 422 and claims(db) == 1


def test_other_scopes_get_404_on_a_claim(db, sw, post_claim, login_as):
    claim = post_claim("submitted")
    for user in (sw.manager_b, sw.officer_y):
        client = login_as(user)
        assert client.get(f"/claims/{claim.id}").status_code == 404
    assert login_as(sw.manager_b).post(f"/claims/{claim.id}/review", data={"decision": "approve"}).status_code == 404
    assert login_as(sw.officer_y).post(f"/claims/{claim.id}/approve").status_code == 404
    db.session.refresh(claim)
    assert claim.status == ClaimStatus.SUBMITTED


def test_the_whole_life_cycle_through_the_pages(db, sw, post_claim, login_as):
    claim = post_claim("draft")
    ent = login_as(sw.enterprise_user)
    page = ent.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert 'id="submit-claim"' in page and 'id="review-approve"' not in page
    assert ent.post(f"/claims/{claim.id}/submit").status_code == 302
    ent.post(f"/claims/{claim.id}/submit")  # the double click
    submits = db.session.scalars(select(ClaimEvent).where(ClaimEvent.claim_id == claim.id,
                                                          ClaimEvent.to_status == "submitted")).all()
    assert len(submits) == 1
    manager = login_as(sw.manager_a)
    page = manager.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert 'id="review-approve"' in page and "missing_evidence" in page
    assert manager.post(f"/claims/{claim.id}/review", data={"decision": "approve"}).status_code == 302
    officer = login_as(sw.officer_x)
    assert 'id="approve-claim"' in officer.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert officer.post(f"/claims/{claim.id}/approve").status_code == 302
    db.session.refresh(claim)
    assert claim.status == ClaimStatus.APPROVED
    page = officer.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "manager_a" in page and "officer_x" in page  # the history says who


def test_rejection_needs_a_reason_code_and_text(db, sw, post_claim, login_as):
    claim = post_claim("reviewed")
    officer = login_as(sw.officer_x)
    assert officer.post(f"/claims/{claim.id}/reject", data={"reason_code": "", "reason": ""}).status_code == 422
    db.session.refresh(claim)
    assert claim.status == ClaimStatus.REVIEWED
    response = officer.post(f"/claims/{claim.id}/reject", data={"reason_code": "not_employed",
                                                                "reason": "<script>alert(1)</script>"})
    assert response.status_code == 302
    db.session.refresh(claim)
    assert claim.status == ClaimStatus.REJECTED and claim.reason_code == "not_employed"
    page = login_as(sw.enterprise_user).get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "当月未在岗" in page


def test_manager_rejects_at_review(db, sw, post_claim, login_as):
    claim = post_claim("submitted")
    response = login_as(sw.manager_a).post(f"/claims/{claim.id}/review", data={
        "decision": "reject", "reason_code": "missing_evidence", "reason": "缺少劳动合同"})
    assert response.status_code == 302
    db.session.refresh(claim)
    assert claim.status == ClaimStatus.REJECTED


def test_bulk_approve_reports_each_claim(db, sw, post_claim, login_as, english):
    ok = post_claim("reviewed", month="2026-11")
    not_ready = post_claim("submitted", month="2026-12")
    client = login_as(sw.officer_x)
    response = client.post("/claims/queue/approve", data={"claim_ids": [str(ok.id), str(not_ready.id)]},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "1 claims approved" in page
    assert f"Claim {not_ready.number} not approved" in page  # by its readable number (issue 17)
    db.session.refresh(ok)
    db.session.refresh(not_ready)
    assert ok.status == ClaimStatus.APPROVED and not_ready.status == ClaimStatus.SUBMITTED
    assert login_as(sw.manager_a).post("/claims/queue/approve", data={"claim_ids": [str(not_ready.id)]}
                                       ).status_code == 403


def test_batch_pages_create_pay_and_download(db, sw, post_claim, login_as):
    a = post_claim("approved", month="2026-11")
    client = login_as(sw.officer_x)
    assert client.get("/batches").status_code == 200
    response = client.post("/batches", data={"region_code": "330106", "period": "2026-11"})
    assert response.status_code == 302
    batch = db.session.scalars(select(PaymentBatch)).one()
    page = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert f"/claims/{a.id}\"" in page and str(a.amount) in page
    empty = client.post("/batches", data={"region_code": "330106", "period": "2026-11"})
    assert empty.status_code == 409
    xlsx = client.get(f"/batches/{batch.id}.xlsx")
    assert xlsx.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    assert a.id in [c.value for row in ws.iter_rows() for c in row]
    assert client.post(f"/batches/{batch.id}/pay").status_code == 302
    db.session.refresh(batch)
    db.session.refresh(a)
    assert batch.status == BatchStatus.PAID and a.status == ClaimStatus.PAID
    assert login_as(sw.officer_y).get(f"/batches/{batch.id}").status_code == 404
    assert login_as(sw.officer_y).get(f"/batches/{batch.id}.xlsx").status_code == 404


def test_batch_export_needs_a_fresh_login(db, sw, post_claim, login_as):
    post_claim("approved", month="2026-11")
    batch = batches.create_batch(sw.officer_x, "330106", "2026-11")
    client = login_as(sw.officer_x)
    with client.session_transaction() as session:
        session["auth_at"] = (utcnow() - timedelta(hours=1)).timestamp()
    response = client.get(f"/batches/{batch.id}.xlsx")
    assert response.status_code == 302 and "/account/reauth" in response.headers["Location"]
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all() == []


def test_bad_batch_form_names_the_field(db, sw, login_as):
    response = login_as(sw.officer_x).post("/batches", data={"region_code": "330110", "period": "2026-11"})
    assert response.status_code == 422
    assert db.session.scalars(select(PaymentBatch)).all() == []


def test_handover_claim_from_the_manager(db, sw, login_as):
    response = login_as(sw.manager_a).post("/claims/new", data={"kind": "handover",
                                                                "release_notice_id": sw.notice_x.id})
    assert response.status_code == 302
    claim = db.session.scalars(select(Claim)).one()
    assert claim.kind == "handover" and claim.period == ""
    advance(sw, claim, "submitted")
    assert services  # the engine moved it; the manager's queue lists it
    page = login_as(sw.manager_a).get("/claims/queue").get_data(as_text=True)
    assert f"/claims/{claim.id}\"" in page


# ---------------------------------------------------------------- reference data (admin)

def test_rates_are_policy_documents_not_settings(db, sw, login_as):
    """The rates come from the policies (tests/policies): the reference page points there, and the old
    one-value-for-everywhere setting form is gone."""
    admin = login_as(sw.admin)
    page = admin.get("/admin/reference/subsidies")
    assert page.status_code == 200 and "/policies" in page.get_data(as_text=True)
    assert admin.post("/admin/reference/subsidies/settings",
                      data={"key": "handover_same_city", "value": "350"}).status_code in (404, 405)


def test_admin_maintains_rejection_reasons(db, sw, login_as):
    from base_ops.subsidies.models import RejectionReason

    admin = login_as(sw.admin)
    assert admin.post("/admin/reference/subsidies/reasons", data={"code": "late_filing", "label": "逾期申报",
                                                                   "is_active": "y"}).status_code == 302
    assert db.session.get(RejectionReason, "late_filing").label == "逾期申报"
    assert admin.post("/admin/reference/subsidies/reasons", data={"code": "duplicate", "label": "重复申请"}
                      ).status_code == 302  # unticked: retired
    assert db.session.get(RejectionReason, "duplicate").is_active is False
    assert admin.post("/admin/reference/subsidies/reasons", data={"code": "Bad Code!", "label": "x"}
                      ).status_code == 422
    assert db.session.get(RejectionReason, "Bad Code!") is None
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "rejection_reason_set")).all()) == 2
    # others may not
    for user in (sw.officer_x, sw.manager_a, sw.auditor):
        assert login_as(user).post("/admin/reference/subsidies/reasons",
                                   data={"code": "x_y", "label": "x"}).status_code == 403
    assert db.session.get(RejectionReason, "x_y") is None

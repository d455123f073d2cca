"""The claim approval form (生活补助审批表 for the living allowance) and the payment list of a batch."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from base_ops.documents.money import capital_amount
from tests.documents.conftest import audit_rows, keep_picture, pdf_text, poppler_text

SUBSIDY_TODAY = date(2026, 12, 15)


@pytest.fixture
def sw(world, db, monkeypatch):
    """The world with a dibao standard in county X (the living allowance's basis), claims filed on 2026-12-15."""
    from base_ops.org.models import DibaoStandard

    monkeypatch.setattr("base_ops.subsidies.services.today", lambda: SUBSIDY_TODAY)
    db.session.add(DibaoStandard(region_code="330106", year=2026, monthly=Decimal("1100.00")))
    db.session.commit()
    return world


def approved(world, claim):
    from base_ops.subsidies import services

    filer = world.enterprise_user if claim.enterprise_id else world.manager_a
    services.submit(filer, claim)
    services.review(world.manager_a, claim, decision="approve")
    services.approve(world.officer_x, claim)
    return claim


def living_allowance(world):
    from base_ops.subsidies import services

    claim, _created = services.create_claim(world.manager_a, kind="living_allowance",
                                            resident_id=world.resident_a.id, month="2026-11")
    return approved(world, claim)


def post_subsidy(world):
    from base_ops.subsidies import services

    claim, _created = services.create_claim(world.enterprise_user, kind="post_subsidy",
                                            placement_id=world.placement_a.id, month="2026-11")
    return approved(world, claim)


def figures(amount) -> str:
    return f"{Decimal(amount):,.2f}"


def test_capital_amounts():
    assert capital_amount(Decimal("1234.50")) == "壹仟贰佰叁拾肆元伍角"
    assert capital_amount(Decimal("3000")) == "叁仟元整"
    assert capital_amount(Decimal("0")) == "零元整"
    assert capital_amount(Decimal("0.05")) == "伍分"
    assert capital_amount(Decimal("1.05")) == "壹元零伍分"
    assert capital_amount(Decimal("1005.00")) == "壹仟零伍元整"
    assert capital_amount(Decimal("100100")) == "壹拾万零壹佰元整"
    assert capital_amount(Decimal("10000005")) == "壹仟万零伍元整"
    assert capital_amount(Decimal("100000005")) == "壹亿零伍元整"
    assert capital_amount(Decimal("20300.7")) == "贰万零叁佰元柒角"


def test_living_allowance_form_carries_rule_history_and_the_full_id_for_payment(sw, login_as, db):
    claim = living_allowance(sw)
    response = login_as(sw.officer_x).get(f"/claims/{claim.id}/form.pdf")
    text = pdf_text(response)
    assert "生活补助审批表" in text and "张三" in text
    assert "330106198503121231" in text and "6222020200112233445" in text
    assert "".join(claim.rule.split()) in text and "依据" in text
    assert figures(claim.amount) in text and capital_amount(claim.amount) in text
    assert sw.manager_a.display_name in text and sw.officer_x.display_name in text
    assert "已提交" in text or "提交" in text
    assert claim.number in text
    assert not poppler_text(response.data) or "生活补助审批表" in poppler_text(response.data)
    (row,) = audit_rows(db)
    assert (row.object_type, row.object_id, row.details_dict["document"]) == ("Claim", str(claim.id), "claim_form")
    keep_picture(response.data, "claim_form")
    page = login_as(sw.officer_x).get(f"/claims/{claim.id}").get_data(as_text=True)
    assert f'href="/claims/{claim.id}/form.pdf"' in page


def test_an_enterprise_claim_form_masks_and_is_scoped(sw, login_as, api_headers, client, db):
    claim = post_subsidy(sw)
    text = pdf_text(client.get(f"/api/v1/claims/{claim.id}/form.pdf", headers=api_headers(sw.enterprise_user)))
    assert "补贴申领审批表" in text and "张三" in text
    assert "330106" not in text.replace("330106-", "")  # the enterprise reads its hire's name, no ID number
    assert figures(claim.amount) in text
    assert login_as(sw.manager_b).get(f"/claims/{claim.id}/form.pdf").status_code == 404
    assert client.get(f"/api/v1/claims/{claim.id}/form.pdf", headers=api_headers(sw.officer_y)).status_code == 404
    assert len(audit_rows(db)) == 1


def test_batch_list_totals_in_figures_and_capitals(sw, login_as, api_headers, client, db):
    from base_ops.subsidies import batches

    living = living_allowance(sw)
    post = post_subsidy(sw)
    batch = batches.create_batch(sw.officer_x, "330106", "2026-11")
    response = login_as(sw.officer_x).get(f"/batches/{batch.id}/list.pdf")
    text = pdf_text(response)
    total = living.amount + post.amount
    assert "补贴发放花名册" in text and batch.number in text
    assert living.payee_name in text and post.payee_name in text
    assert "330106198503121231" in text and "6222020200112233445" in text and post.payee_account in text
    assert figures(living.amount) in text and figures(post.amount) in text and figures(total) in text
    assert capital_amount(total) in text
    assert "制表" in text and "审核" in text and "负责人" in text
    keep_picture(response.data, "batch_list")
    assert f'href="/batches/{batch.id}/list.pdf"' in login_as(sw.officer_x).get(f"/batches/{batch.id}").get_data(
        as_text=True)
    assert client.get(f"/api/v1/batches/{batch.id}/list.pdf", headers=api_headers(sw.officer_y)).status_code == 404
    assert login_as(sw.manager_a).get(f"/batches/{batch.id}/list.pdf").status_code == 403
    (row,) = audit_rows(db)
    assert (row.object_type, row.details_dict["document"]) == ("PaymentBatch", "batch_list")


def test_the_batch_list_needs_a_fresh_login_like_its_spreadsheet(sw, login_as, db):
    """Full ID numbers and accounts: the printed list asks for the password again, as the .xlsx does."""
    from datetime import timedelta

    from base_ops.core.db import utcnow
    from base_ops.subsidies import batches

    living_allowance(sw)
    batch = batches.create_batch(sw.officer_x, "330106", "2026-11")
    client = login_as(sw.officer_x)
    with client.session_transaction() as session:
        session["auth_at"] = (utcnow() - timedelta(hours=1)).timestamp()
    response = client.get(f"/batches/{batch.id}/list.pdf")
    assert response.status_code == 302 and "/account/reauth" in response.headers["Location"]
    assert audit_rows(db) == []

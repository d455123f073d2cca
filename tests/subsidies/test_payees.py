"""Payee required (issue 21): a claim is neither approved nor paid with an empty 收款账号. The account is
taken from the payee (the enterprise, the resident's file, the base) when the claim has none; without
one the refusal is 422 naming `payee_account` and where to fill it in, and nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from base_ops.core.audit import AuditEvent
from base_ops.core.errors import PermissionDenied, ValidationFailed
from base_ops.enterprises.models import Enterprise
from base_ops.subsidies import batches, payees, services
from base_ops.subsidies.models import Claim, ClaimEvent

ACCOUNT = "6217000010999888777"


def _clear(db, *rows):
    for row in rows:
        row.bank_account = None
    db.session.commit()


def _events(db, claim) -> int:
    return db.session.scalar(select(func.count()).select_from(ClaimEvent).where(ClaimEvent.claim_id == claim.id))


def test_approval_without_a_payee_account_is_refused_naming_the_field_and_where(db, sw, post_claim):
    claim = post_claim("reviewed")
    _clear(db, db.session.get(Enterprise, sw.enterprise.id))
    db.session.execute(Claim.__table__.update().values(payee_account=None))
    db.session.commit()
    before = _events(db, claim)
    with pytest.raises(ValidationFailed) as caught:
        services.approve(sw.officer_x, claim)
    assert caught.value.code == "payee_account_missing"
    (problem,) = caught.value.fields["payee_account"]
    assert sw.enterprise.name in problem  # says which page to fill it in on
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).status == "reviewed" and _events(db, claim) == before


def test_an_account_filled_in_later_is_taken_at_approval(db, sw, post_claim):
    claim = post_claim("reviewed")
    enterprise = db.session.get(Enterprise, sw.enterprise.id)
    _clear(db, enterprise)
    payees.set_bank_account(sw.officer_x, enterprise, f" {ACCOUNT} ")
    services.approve(sw.officer_x, claim)
    db.session.expire_all()
    approved = db.session.get(Claim, claim.id)
    assert approved.status == "approved" and approved.payee_account == ACCOUNT
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "payee_account_set")).one()
    assert ACCOUNT not in audit.details  # never a bank number in the audit log


def test_payment_without_an_account_is_refused_and_a_batch_pays_none(db, sw, post_claim):
    claim = post_claim("approved", month="2026-11")
    batch = batches.create_batch(sw.officer_x, "330106", "2026-11")
    _clear(db, db.session.get(Enterprise, sw.enterprise.id))
    db.session.execute(Claim.__table__.update().values(payee_account=None))
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        services.mark_paid(sw.officer_x, db.session.get(Claim, claim.id))
    assert "payee_account" in caught.value.fields
    with pytest.raises(ValidationFailed):
        batches.mark_batch_paid(sw.officer_x, batch)
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).status == "approved"


def test_an_illegal_move_is_still_a_409_whatever_the_account(db, sw, post_claim):
    from base_ops.core.errors import Conflict

    claim = post_claim("submitted")
    _clear(db, db.session.get(Enterprise, sw.enterprise.id))
    with pytest.raises(Conflict) as caught:
        services.approve(sw.officer_x, claim)
    assert caught.value.code == "invalid_transition"


def test_the_api_answers_422_naming_payee_account(db, sw, post_claim, client, api_headers):
    claim = post_claim("reviewed")
    _clear(db, db.session.get(Enterprise, sw.enterprise.id))
    db.session.execute(Claim.__table__.update().values(payee_account=None))
    db.session.commit()
    response = client.post(f"/api/v1/claims/{claim.id}/approve", json={}, headers=api_headers(sw.officer_x))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "payee_account_missing"
    assert "payee_account" in response.json["error"]["fields"]


def test_who_records_an_account_and_what_it_must_be(db, sw):
    enterprise = db.session.get(Enterprise, sw.enterprise.id)
    for actor in (sw.enterprise_user, sw.manager_a, sw.officer_y):
        with pytest.raises(PermissionDenied):
            payees.set_bank_account(actor, enterprise, ACCOUNT)
    with pytest.raises(ValidationFailed) as caught:
        payees.set_bank_account(sw.officer_x, enterprise, "12-34")
    assert "bank_account" in caught.value.fields
    payees.set_bank_account(sw.admin, db.session.get(type(sw.base_a), sw.base_a.id), ACCOUNT)
    assert db.session.get(type(sw.base_a), sw.base_a.id).bank_account == ACCOUNT


def test_the_pages_show_the_account_masked_and_let_the_officer_fill_it_in(db, sw, login_as):
    _clear(db, db.session.get(Enterprise, sw.enterprise.id))
    client = login_as(sw.officer_x)
    page = client.get(f"/enterprises/{sw.enterprise.id}").get_data(as_text=True)
    assert 'id="payee-account"' in page and f"/enterprises/{sw.enterprise.id}/payee-account" in page
    response = client.post(f"/enterprises/{sw.enterprise.id}/payee-account", data={"bank_account": ACCOUNT})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Enterprise, sw.enterprise.id).bank_account == ACCOUNT
    page = client.get(f"/enterprises/{sw.enterprise.id}").get_data(as_text=True)
    assert ACCOUNT not in page and ACCOUNT[-4:] in page
    base_page = client.get(f"/bases/{sw.base_a.id}").get_data(as_text=True)
    assert f"/admin/bases/{sw.base_a.id}/payee-account" in base_page
    assert login_as(sw.enterprise_user).post(f"/enterprises/{sw.enterprise.id}/payee-account",
                                             data={"bank_account": "1234567890"}).status_code == 403
    assert login_as(sw.manager_a).post(f"/admin/bases/{sw.base_a.id}/payee-account",
                                       data={"bank_account": "1234567890"}).status_code == 403


def test_the_api_records_a_payee_account_masked_and_refuses_bad_input_naming_the_field(
        db, world, client, api_headers):
    """PUT /enterprises/<id>/payee-account and /bases/<id>/payee-account (issue 21: the account had a page
    but no API; other systems keep payees up to date)."""
    headers = api_headers(world.officer_x)
    url = f"/api/v1/enterprises/{world.enterprise.id}/payee-account"
    response = client.put(url, json={"bank_account": "6217 0000 1099 9888 777"}, headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body == {"payee_type": "enterprise", "payee_id": world.enterprise.id, "name": world.enterprise.name,
                    "has_account": True, "masked_account": "***************8777"}
    db.session.expire_all()
    assert db.session.get(Enterprise, world.enterprise.id).bank_account == ACCOUNT

    for bad in ("12345", "62170000109998887x7", 12345):
        response = client.put(url, json={"bank_account": bad}, headers=headers)
        assert response.status_code == 422, bad
        assert "bank_account" in response.get_json()["error"]["fields"]
    assert client.put(url, json={"bank_account": ACCOUNT, "iban": "x"}, headers=headers).status_code == 422
    db.session.expire_all()
    assert db.session.get(Enterprise, world.enterprise.id).bank_account == ACCOUNT  # nothing written

    base_url = f"/api/v1/bases/{world.base_a.id}/payee-account"
    response = client.put(base_url, json={"bank_account": None}, headers=headers)
    assert response.status_code == 200 and response.get_json()["has_account"] is False

    # Never the enterprise itself (an account is not redirected by the one paid), nor a base manager.
    assert client.put(url, json={"bank_account": ACCOUNT},
                      headers=api_headers(world.enterprise_user)).status_code == 403
    assert client.put(base_url, json={"bank_account": ACCOUNT},
                      headers=api_headers(world.manager_a)).status_code == 403
    # Another county's officer: the base is not in scope.
    assert client.put(base_url, json={"bank_account": ACCOUNT},
                      headers=api_headers(world.officer_y)).status_code in (403, 404)

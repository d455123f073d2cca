"""Payment batches: a month's approved claims of a county, a claim in at most one batch, the
spreadsheet (masked account, totals, formula-safe), marking paid (docs/domain.md "Subsidies and relief")."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select, update

from base_ops.core.audit import AuditEvent
from base_ops.core.clock import LOCAL_ZONE
from base_ops.core.db import utcnow
from base_ops.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from base_ops.subsidies import batches, services
from base_ops.subsidies.models import BatchStatus, Claim, ClaimEvent, ClaimStatus, PaymentBatch
from tests.subsidies.conftest import advance


def this_month() -> str:
    """One-time claims are paid in the month they were approved (their event time, China time)."""
    return utcnow().astimezone(LOCAL_ZONE).strftime("%Y-%m")


@pytest.fixture
def handover_claim(sw):
    def make(status="approved"):
        claim, created = services.create_claim(sw.manager_a, kind="handover", release_notice_id=sw.notice_x.id)
        assert created
        return advance(sw, claim, status)

    return make


def test_gathers_the_months_approved_claims_only(db, sw, post_claim):
    nov = post_claim("approved", month="2026-11")
    dec = post_claim("approved", month="2026-12")
    ins = post_claim("reviewed", month="2026-11", kind="insurance_subsidy")
    batch = batches.create_batch(sw.officer_x, "330106", "2026-11")
    assert [c.id for c in batches.claims_of(batch)] == [nov.id]
    assert batch.status == BatchStatus.OPEN and batch.region_code == "330106" and batch.period == "2026-11"
    db.session.refresh(dec)
    db.session.refresh(ins)
    assert dec.batch_id is None and ins.batch_id is None
    row = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "payment_batch_created")).one()
    assert row.details_dict["claims"] == 1 and row.details_dict["total"] == str(nov.amount)


def test_one_time_claims_join_in_their_approval_month(db, sw, handover_claim):
    claim = handover_claim("approved")
    with pytest.raises(Conflict):
        batches.create_batch(sw.officer_x, "330106", "2025-01")
    batch = batches.create_batch(sw.officer_x, "330106", this_month())
    assert [c.id for c in batches.claims_of(batch)] == [claim.id]


def test_a_claim_is_in_at_most_one_batch(db, sw, post_claim):
    claim = post_claim("approved", month="2026-11")
    first = batches.create_batch(sw.officer_x, "330106", "2026-11")
    with pytest.raises(Conflict) as caught:
        batches.create_batch(sw.officer_x, "330106", "2026-11")
    assert caught.value.code == "batch_empty"
    assert db.session.scalars(select(PaymentBatch)).all() == [first]
    db.session.refresh(claim)
    assert claim.batch_id == first.id


def test_the_guarded_update_never_moves_a_claim_already_gathered(db, sw, post_claim, monkeypatch):
    """Another officer gathered the claim between our read and our write: it stays in his batch."""
    claim = post_claim("approved", month="2026-11")
    other = PaymentBatch(region_code="330106", period="2026-11", status=BatchStatus.OPEN)
    db.session.add(other)
    db.session.commit()

    def stale_read(region_code, period):
        # What our read saw (the claim still free), while the other officer's write lands.
        db.session.execute(update(Claim).where(Claim.id == claim.id).values(batch_id=other.id))
        return Claim.id == claim.id

    monkeypatch.setattr(batches, "payable_clause", stale_read)
    with pytest.raises(Conflict):
        batches.create_batch(sw.officer_x, "330106", "2026-11")
    assert db.session.scalars(select(PaymentBatch).where(PaymentBatch.id != other.id)).all() == []


def test_only_county_officers_of_the_region(db, sw, post_claim, factory):
    post_claim("approved", month="2026-11")
    for user in (sw.manager_a, sw.enterprise_user, sw.admin, sw.auditor):
        with pytest.raises(PermissionDenied):
            batches.create_batch(user, "330106", "2026-11")
    with pytest.raises(ValidationFailed) as caught:
        batches.create_batch(sw.officer_y, "330106", "2026-11")
    assert "region_code" in caught.value.fields
    city = factory.user("county_officer", region_code="330100")
    assert batches.create_batch(city, "330106", "2026-11").region_code == "330106"
    assert db.session.scalars(select(PaymentBatch)).all()


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "", "2026/11", "2026-11-01", "' OR 1=1 --"])
def test_bad_period_is_refused(db, sw, post_claim, period):
    post_claim("approved", month="2026-11")
    with pytest.raises(ValidationFailed) as caught:
        batches.create_batch(sw.officer_x, "330106", period)
    assert "period" in caught.value.fields
    assert db.session.scalars(select(PaymentBatch)).all() == []


def test_batches_are_scoped(db, sw, post_claim):
    post_claim("approved", month="2026-11")
    batch = batches.create_batch(sw.officer_x, "330106", "2026-11")
    assert batches.get_batch(sw.officer_x, batch.id) is batch
    for user in (sw.officer_y, sw.manager_a, sw.enterprise_user, sw.admin):
        with pytest.raises(NotFound):
            batches.get_batch(user, batch.id)
    assert db.session.scalars(batches.batches_in_scope(sw.officer_y)).all() == []


def test_mark_paid_pays_every_claim_once(db, sw, post_claim):
    a = post_claim("approved", month="2026-11")
    b = post_claim("approved", month="2026-11", kind="insurance_subsidy")
    batch = batches.create_batch(sw.officer_x, "330106", "2026-11")
    batches.mark_batch_paid(sw.officer_x, batch)
    assert batch.status == BatchStatus.PAID and batch.paid_by_id == sw.officer_x.id and batch.paid_at
    for claim in (a, b):
        db.session.refresh(claim)
        assert claim.status == ClaimStatus.PAID
        events = db.session.scalars(select(ClaimEvent).where(ClaimEvent.claim_id == claim.id,
                                                             ClaimEvent.to_status == "paid")).all()
        assert len(events) == 1 and events[0].actor_id == sw.officer_x.id
    with pytest.raises(Conflict) as caught:
        batches.mark_batch_paid(sw.officer_x, batch)
    assert caught.value.code == "invalid_transition"
    paid = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "payment_batch_paid")).one()
    assert paid.details_dict["claims"] == 2


def test_mark_paid_is_refused_to_others(db, sw, post_claim):
    claim = post_claim("approved", month="2026-11")
    batch = batches.create_batch(sw.officer_x, "330106", "2026-11")
    with pytest.raises(NotFound):
        batches.mark_batch_paid(sw.officer_y, batch)
    with pytest.raises(PermissionDenied):
        batches.mark_batch_paid(sw.manager_a, batch)
    db.session.refresh(claim)
    assert claim.status == ClaimStatus.APPROVED
    assert db.session.get(PaymentBatch, batch.id).status == BatchStatus.OPEN


def _read(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content)).active


def test_export_has_filters_rows_in_chinese_and_totals(db, sw, post_claim):
    a = post_claim("approved", month="2026-11")
    b = post_claim("approved", month="2026-11", kind="insurance_subsidy")
    batch = batches.create_batch(sw.officer_x, "330106", "2026-11")
    ws = _read(batches.export_batch(sw.officer_x, batch))
    values = [[c.value for c in row] for row in ws.iter_rows()]
    flat = [v for row in values for v in row if v is not None]
    assert any("2026-11" in str(v) for v in flat[:6])  # the filter at the top
    header = next(i for i, row in enumerate(values) if row[0] == "申请编号")
    assert values[header][1:4] == ["收款人", "收款账号", "金额（元）"]  # side by side on the printed line
    rows = values[header + 1:header + 4]
    assert [r[0] for r in rows[:2]] == [a.id, b.id]
    assert rows[0][4] == "岗位补贴" and rows[1][4] == "社会保险补贴"
    assert rows[0][6] == a.rule
    assert rows[2][1] == "合计 2 笔"
    assert Decimal(str(rows[2][3])) == a.amount + b.amount
    closing = [row[0] for row in values[header + 4:] if row[0]]
    assert [line[:3] for line in closing] == ["经办人", "复核人", "审批人"] and all("日期" in line for line in closing)
    row = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert row.details_dict["rows"] == 2 and row.object_id == str(batch.id)


def test_export_masks_the_account_unless_permitted_and_writes_text_not_formulas(db, sw, monkeypatch):
    from base_ops.subsidies import queries

    claim, _created = services.create_claim(sw.manager_a, kind="living_allowance", resident_id=sw.resident_a.id,
                                            month="2026-09")
    advance(sw, claim, "approved")
    db.session.execute(update(Claim).where(Claim.id == claim.id).values(payee_name="=HYPERLINK(\"http://x\")"))
    db.session.commit()
    batch = batches.create_batch(sw.officer_x, "330106", "2026-09")
    full = _read(batches.export_batch(sw.officer_x, batch))
    cells = [c for row in full.iter_rows() for c in row if c.value is not None]
    assert "6222020200112233445" in [c.value for c in cells]
    monkeypatch.setattr(queries, "payee_account_visible", lambda actor: False)
    masked = _read(batches.export_batch(sw.officer_x, batch))
    values = [c.value for row in masked.iter_rows() for c in row if c.value is not None]
    assert "6222020200112233445" not in values
    assert "***************3445" in values
    formula = next(c for row in masked.iter_rows() for c in row if isinstance(c.value, str)
                   and c.value.startswith("=HYPERLINK"))
    assert formula.data_type == "s"


def test_export_needs_an_officer_of_the_region(db, sw, post_claim):
    post_claim("approved", month="2026-11")
    batch = batches.create_batch(sw.officer_x, "330106", "2026-11")
    with pytest.raises(NotFound):
        batches.export_batch(sw.officer_y, batch)
    with pytest.raises(PermissionDenied):
        batches.export_batch(sw.manager_a, batch)
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all() == []


def test_bulk_approval_checks_each_claim(db, sw, post_claim):
    ok = post_claim("reviewed", month="2026-11")
    draft = post_claim("draft", month="2026-12")
    outcome = dict(batches.approve_many(sw.officer_x, [ok.id, draft.id, 999999]))
    assert outcome[ok.id] is None
    assert outcome[draft.id] and outcome[999999]
    db.session.refresh(ok)
    db.session.refresh(draft)
    assert ok.status == ClaimStatus.APPROVED and draft.status == ClaimStatus.DRAFT
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "claim_approved")).all()) == 1
    with pytest.raises(PermissionDenied):
        batches.approve_many(sw.manager_a, [draft.id])

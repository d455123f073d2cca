"""Payment batches: a county bureau gathers a month's approved claims, exports them, and marks them paid
(docs/domain.md "Subsidies and relief", payment; 专款专用 — every amount traceable to its claim and rule).

A claim is in at most one batch: it joins with a guarded UPDATE ... WHERE batch_id IS NULL,
so two officers gathering the same month at once cannot put one claim in two batches. Marking a batch
paid is its one move (`PaymentBatch.transitions`), a compare-and-set: a double-clicked "Mark paid"
pays once, and the batch's claims are paid in the same unit of work, all or none.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select, and_, exists, false, or_, select, update

from base_ops.accounts.models import Role
from base_ops.core import audit, bounds, transitions
from base_ops.core.clock import today
from base_ops.core.db import utcnow
from base_ops.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from base_ops.core.excel import Column, Sheet, generate_xlsx
from base_ops.core.scope import region_contains, region_level_of
from base_ops.core.unit_of_work import before_first_write, in_unit_of_work, unit_of_work, use_case
from base_ops.extensions import db
from base_ops.org.models import Region
from base_ops.subsidies.models import BatchStatus, Claim, ClaimEvent, ClaimKind, ClaimStatus, PaymentBatch

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# Monthly kinds are paid for their own month; one-time kinds in the month they were approved.
MONTHLY_KINDS = (ClaimKind.POST_SUBSIDY, ClaimKind.INSURANCE_SUBSIDY, ClaimKind.LIVING_ALLOWANCE)
ONE_TIME_KINDS = (ClaimKind.ONE_TIME_HIRE, ClaimKind.HANDOVER)
KIND_NAMES_ZH = {
    ClaimKind.ONE_TIME_HIRE: "一次性吸纳就业补贴",
    ClaimKind.POST_SUBSIDY: "岗位补贴",
    ClaimKind.INSURANCE_SUBSIDY: "社会保险补贴",
    ClaimKind.LIVING_ALLOWANCE: "过渡性困难生活补助金",
    ClaimKind.HANDOVER: "衔接经费补助",
}


# ---------------------------------------------------------------- scope

def _require_officer(actor) -> None:
    if actor is None or actor.role != Role.COUNTY_OFFICER or not actor.region_code:
        raise PermissionDenied(_("Only a county officer handles payment batches."))


def batch_scope_filter(actor):
    if actor is None or actor.role != Role.COUNTY_OFFICER or not actor.region_code:
        return false()
    return region_contains(PaymentBatch.region_code, actor.region_code)


def batches_in_scope(actor) -> Select:
    return select(PaymentBatch).where(batch_scope_filter(actor))


def get_batch(actor, batch_id: int) -> PaymentBatch:
    batch = db.session.scalars(select(PaymentBatch).where(PaymentBatch.id == batch_id,
                                                          batch_scope_filter(actor))).first()
    if batch is None:
        raise NotFound(_("No such payment batch."))
    return batch


def claims_of(batch: PaymentBatch) -> list[Claim]:
    return list(db.session.scalars(select(Claim).where(Claim.batch_id == batch.id).order_by(Claim.id)))


def total_of(claims: list[Claim]) -> Decimal:
    return sum((c.amount for c in claims), Decimal("0.00"))


def counties_of(actor) -> list[Region]:
    """The counties whose claims this officer may gather (his county, or those under his city/province)."""
    if actor is None or actor.role != Role.COUNTY_OFFICER or not actor.region_code:
        return []
    regions = db.session.scalars(select(Region).where(region_contains(Region.code, actor.region_code))
                                 .order_by(Region.code))
    return [r for r in regions if region_level_of(r.code) == "county"]


# ---------------------------------------------------------------- gathering

def parse_period(value: str | None) -> str:
    value = (value or "").strip()
    if not PERIOD.match(value):
        raise ValidationFailed.on("period", _("must be a month written YYYY-MM"))
    bounds.parse_month("period", value)  # within the app's dates: the month's end is computed from it
    return value


def _month_bounds_utc(period: str) -> tuple[datetime, datetime]:
    year, month = int(period[:4]), int(period[5:])
    start = datetime(year, month, 1, tzinfo=LOCAL_ZONE)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=LOCAL_ZONE)
    return start, end


def payable_clause(region_code: str, period: str):
    """Approved claims of the county, not yet in a batch, that belong to the month."""
    start, end = _month_bounds_utc(period)
    approved_in_month = exists().where(ClaimEvent.claim_id == Claim.id,
                                       ClaimEvent.to_status == ClaimStatus.APPROVED.value,
                                       ClaimEvent.at >= start, ClaimEvent.at < end)
    return and_(
        Claim.region_code == region_code,
        Claim.status == ClaimStatus.APPROVED,
        Claim.batch_id.is_(None),
        or_(and_(Claim.kind.in_(MONTHLY_KINDS), Claim.period == period),
            and_(Claim.kind.in_(ONE_TIME_KINDS), approved_in_month)),
    )


def payable_claims(actor, region_code: str, period: str) -> list[Claim]:
    _require_officer(actor)
    return list(db.session.scalars(select(Claim).where(payable_clause(region_code, period)).order_by(Claim.id)))


@use_case
def create_batch(actor, region_code: str, period: str) -> PaymentBatch:
    """Gather the county's approved claims of the month into a new batch; each claim joins one batch only."""
    _require_officer(actor)
    period = parse_period(period)
    region_code = (region_code or "").strip()
    if region_code not in {r.code for r in counties_of(actor)}:
        raise ValidationFailed.on("region_code", _("must be a county in your region"))
    before_first_write()
    ids = list(db.session.scalars(select(Claim.id).where(payable_clause(region_code, period))))
    if not ids:
        raise Conflict(_("There are no approved claims of %(period)s waiting for payment.", period=period),
                       code="batch_empty")
    batch = PaymentBatch(region_code=region_code, period=period, status=BatchStatus.OPEN, created_by_id=actor.id)
    db.session.add(batch)
    db.session.flush()
    # The guard in the WHERE holds even if another officer gathered some of these claims meanwhile.
    result = db.session.execute(
        update(Claim).where(Claim.id.in_(ids), Claim.batch_id.is_(None), Claim.status == ClaimStatus.APPROVED)
        .values(batch_id=batch.id).execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:  # the unit of work rolls the empty batch back
        raise Conflict(_("These claims were just gathered into another batch."), code="batch_empty")
    db.session.expire_all()
    claims = claims_of(batch)
    audit.record(actor, "payment_batch_created", batch, region_code=region_code, period=period,
                 claims=len(claims), total=str(total_of(claims)))
    return batch


@use_case
def mark_batch_paid(actor, batch: PaymentBatch) -> PaymentBatch:
    """Mark the batch paid (open → paid, a compare-and-set: of two clicks one pays, the other gets 409),
    then every claim of it, each through the claim life cycle (its own ClaimEvent and audit row).
    One unit of work: every claim paid, or none (a refusal rolls back the claims already moved)."""
    from base_ops.subsidies import services

    _require_officer(actor)
    batch = get_batch(actor, batch.id)
    if BatchStatus(batch.status) != BatchStatus.OPEN:
        raise Conflict(_("This batch is already paid."), code="invalid_transition")
    claims = claims_of(batch)
    transitions.transition(batch, BatchStatus.PAID, actor=actor, expected=BatchStatus.OPEN,
                           values={"paid_at": utcnow(), "paid_by_id": actor.id},
                           details={"claims": len(claims), "total": str(total_of(claims))})
    for claim in claims:
        if ClaimStatus(claim.status) == ClaimStatus.APPROVED:
            services.mark_paid(actor, claim)
    return batch


# ---------------------------------------------------------------- bulk approval

def approve_many(actor, claim_ids: list[int]) -> list[tuple[int, str | None]]:
    """Bulk approval: each claim still goes through the engine's approve (role, scope, budget, audit).

    Each approval is its own unit of work, so a refused claim (rolled back) leaves the others approved;
    that is why this runs outside any unit (inside one, a refusal after the status UPDATE would stay).
    Returns (claim id, None) for each approved claim and (claim id, message) for each refused one.
    """
    from base_ops.subsidies import queries, services

    assert not in_unit_of_work(), "approve_many commits each approval: call it outside a unit of work"
    _require_officer(actor)
    outcome: list[tuple[int, str | None]] = []
    for claim_id in dict.fromkeys(claim_ids):
        try:
            services.approve(actor, queries.get_claim(actor, claim_id))
        except DomainError as error:
            outcome.append((claim_id, error.message))
        else:
            outcome.append((claim_id, None))
    return outcome


# ---------------------------------------------------------------- export

SIGN_OFF = ["经办人：＿＿＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日",
            "复核人：＿＿＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日",
            "审批人：＿＿＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日"]


def export_batch(actor, batch: PaymentBatch) -> bytes:
    """The batch as a spreadsheet: payee, account (masked unless permitted), amount, rule, claim ids, totals."""
    from base_ops.subsidies import queries

    _require_officer(actor)
    batch = get_batch(actor, batch.id)
    claims = claims_of(batch)
    full_account = queries.payee_account_visible(actor)
    region = db.session.get(Region, batch.region_code)
    sheet = Sheet(
        name="支付批次",
        title=f"补贴支付批次 #{batch.id}",
        filters=[f"区县：{region.name if region else ''}（{batch.region_code}）", f"月份：{batch.period}",
                 f"状态：{'已支付' if BatchStatus(batch.status) == BatchStatus.PAID else '待支付'}",
                 f"导出日期：{today().isoformat()}"],
        # Payee, account and amount side by side on one printed line (issue 21), the rule last; the
        # list ends with the sign-off of those who pay it.
        columns=[Column("申请编号", 10, "int"), Column("收款人", 24), Column("收款账号", 24),
                 Column("金额（元）", 14, "money"), Column("补贴类型", 20), Column("所属月份", 10),
                 Column("计算依据", 50)],
        rows=[[c.id, c.payee_name or "", (c.payee_account if full_account else queries.mask_account(c.payee_account))
               or "", c.amount, KIND_NAMES_ZH[ClaimKind(c.kind)], c.period or "", c.rule]
              for c in claims],
        totals=[None, f"合计 {len(claims)} 笔", "", total_of(claims), "", "", ""],
        identity_columns=2,
        closing=SIGN_OFF,
    )
    content = generate_xlsx([sheet], constant_memory=False)
    with unit_of_work():
        audit.record(actor, "export", batch, export="payment_batch", rows=len(claims), full_account=full_account)
    return content

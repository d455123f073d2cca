"""Read-only selects of claims, scoped to the actor: pages, API and batches use these."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, false, func, select

from base_ops.accounts.models import Role
from base_ops.core.errors import NotFound
from base_ops.core.scope import region_contains
from base_ops.extensions import db
from base_ops.subsidies.models import ENTERPRISE_KINDS, Claim, ClaimKind, ClaimStatus, RejectionReason

COMMITTED = (ClaimStatus.APPROVED, ClaimStatus.PAID)


def claim_scope_filter(actor) -> ColumnElement[bool]:
    """Enterprise users: their enterprise's claims; base managers: claims of their bases;
    county officers: claims their region approves and pays; nobody else sees any.
    The SQL twin of models.claim_in_scope (one claim's check, which the moves use)."""
    role = getattr(actor, "role", None)
    if role == Role.ENTERPRISE:
        return Claim.enterprise_id == actor.enterprise_id if actor.enterprise_id else false()
    if role == Role.BASE_MANAGER:
        ids = actor.base_ids
        return Claim.base_id.in_(ids) if ids else false()
    if role == Role.COUNTY_OFFICER and actor.region_code:
        return region_contains(Claim.region_code, actor.region_code)
    return false()


def claims_in_scope(actor, *, status: str | None = None, kind: str | None = None,
                    month: str | None = None) -> Select:
    stmt = select(Claim).where(claim_scope_filter(actor))
    if status:
        stmt = stmt.where(Claim.status == ClaimStatus(status))
    if kind:
        stmt = stmt.where(Claim.kind == ClaimKind(kind))
    if month:
        stmt = stmt.where(Claim.period == month)
    return stmt


def get_claim(actor, claim_id: int) -> Claim:
    """The claim if it exists and is in the actor's scope; 404 otherwise (no leak)."""
    claim = db.session.execute(claims_in_scope(actor).where(Claim.id == claim_id)).scalar_one_or_none()
    if claim is None:
        raise NotFound(_("No such claim."))
    return claim


def queue_for(actor) -> Select:
    """What waits for this actor: the enterprise its drafts and rejected claims, the base manager
    the submitted claims of his bases, the county officer the reviewed claims to approve and
    the approved ones not yet in a batch."""
    stmt = claims_in_scope(actor)
    role = getattr(actor, "role", None)
    if role == Role.ENTERPRISE:
        return stmt.where(Claim.status.in_((ClaimStatus.DRAFT, ClaimStatus.REJECTED)))
    if role == Role.BASE_MANAGER:
        return stmt.where(
            ((Claim.status == ClaimStatus.SUBMITTED))
            | ((Claim.kind.not_in(ENTERPRISE_KINDS)) & Claim.status.in_((ClaimStatus.DRAFT, ClaimStatus.REJECTED)))
        )
    if role == Role.COUNTY_OFFICER:
        return stmt.where(
            (Claim.status == ClaimStatus.REVIEWED)
            | ((Claim.status == ClaimStatus.APPROVED) & Claim.batch_id.is_(None))
        )
    return stmt.where(false())


def payee_account_visible(actor) -> bool:
    """The payee's bank account is shown to the county officer who pays it; masked for others."""
    return getattr(actor, "role", None) == Role.COUNTY_OFFICER


def mask_account(value: str | None) -> str | None:
    """6222 **** 3445: the last four digits only."""
    if not value:
        return value
    return "*" * max(0, len(value) - 4) + value[-4:]


def active_reason_codes() -> set[str]:
    return set(db.session.execute(select(RejectionReason.code).where(RejectionReason.is_active)).scalars())


def committed_total(agreement_id: int) -> Decimal:
    """Approved + paid amounts under an agreement version (the budget's use)."""
    total = db.session.execute(
        select(func.coalesce(func.sum(Claim.amount), 0)).where(Claim.agreement_id == agreement_id,
                                                               Claim.status.in_(COMMITTED))
    ).scalar_one()
    return Decimal(str(total)).quantize(Decimal("0.01"))


def claim_view(actor, claim: Claim) -> dict:
    """The API shape: the account masked unless the actor may see it."""
    account = claim.payee_account if payee_account_visible(actor) else mask_account(claim.payee_account)
    return {
        "id": claim.id, "kind": ClaimKind(claim.kind).value, "status": ClaimStatus(claim.status).value,
        "subject_key": claim.subject_key, "period": claim.period, "month": claim.period or None,
        "placement_id": claim.placement_id, "resident_id": claim.resident_id,
        "release_notice_id": claim.release_notice_id, "agreement_id": claim.agreement_id,
        "policy_id": claim.policy_id,
        "enterprise_id": claim.enterprise_id, "base_id": claim.base_id, "region_code": claim.region_code,
        "amount": claim.amount, "rule": claim.rule, "payee_name": claim.payee_name, "payee_account": account,
        "resubmissions": claim.resubmissions, "reason_code": claim.reason_code, "reason": claim.reason,
        "batch_id": claim.batch_id, "created_at": claim.created_at,
        "events": [{"from_status": e.from_status, "to_status": e.to_status, "actor_id": e.actor_id, "at": e.at,
                    "reason_code": e.reason_code, "reason": e.reason} for e in claim.events],
    }


def claim_people(claim: Claim) -> dict[str, str]:
    """The names a claim's page shows for its placement, resident and release notice (docs/architecture.md
    rule 11: people by name, never "#25"); read-only, one query each."""
    from base_ops.intake.models import ReleaseNotice
    from base_ops.placements.models import Placement
    from base_ops.residents.models import Resident

    names = {}
    if claim.placement_id:
        names["placement"] = db.session.execute(
            select(Resident.name).join(Placement, Placement.resident_id == Resident.id)
            .where(Placement.id == claim.placement_id)).scalar() or ""
    if claim.resident_id:
        names["resident"] = db.session.execute(
            select(Resident.name).where(Resident.id == claim.resident_id)).scalar() or ""
    if claim.release_notice_id:
        names["notice"] = db.session.execute(
            select(ReleaseNotice.name).where(ReleaseNotice.id == claim.release_notice_id)).scalar() or ""
    return names

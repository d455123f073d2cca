"""Payees: the account a claim is paid to (收款账号). Approval and payment need one (issue 21).

A claim is paid to its payee (subsidies/services.py sets the payee when the claim is filed): an
enterprise's claims to the enterprise, the living allowance to the resident, a handover claim to the
base that collected the person. The account is kept where the payee is (the enterprise, the
resident's file, the base) and copied onto the claim; a claim filed before the account was filled in
takes it from there when it is approved or paid. A claim whose payee still has no account is refused
with 422 naming `payee_account` and saying where to fill it in: money is never approved for, or paid
to, nobody (docs/domain.md "Subsidies and relief": 专款专用, every amount traceable to its claim).
"""

from __future__ import annotations

from flask_babel import gettext as _

from base_ops.accounts.models import Role
from base_ops.core import audit
from base_ops.core.errors import PermissionDenied, ValidationFailed
from base_ops.core.scope import region_code_prefix
from base_ops.core.unit_of_work import use_case
from base_ops.enterprises.models import Enterprise
from base_ops.extensions import db
from base_ops.org.models import Base
from base_ops.residents.models import Resident
from base_ops.subsidies.models import Claim, ClaimKind, ClaimStatus

ENTERPRISE_KINDS = (ClaimKind.ONE_TIME_HIRE, ClaimKind.POST_SUBSIDY, ClaimKind.INSURANCE_SUBSIDY)


def payee_of(claim: Claim) -> tuple[object | None, str]:
    """The row that keeps the payee's account and, in words, where a user fills it in."""
    kind = ClaimKind(claim.kind)
    if kind in ENTERPRISE_KINDS and claim.enterprise_id is not None:
        enterprise = db.session.get(Enterprise, claim.enterprise_id)
        return enterprise, _("the enterprise's page (%(name)s, 收款账号)", name=enterprise.name)
    if kind == ClaimKind.LIVING_ALLOWANCE and claim.resident_id is not None:
        resident = db.session.get(Resident, claim.resident_id)
        return resident, _("the resident's file (%(name)s, edit, bank account)", name=resident.name)
    if kind == ClaimKind.HANDOVER and claim.base_id is not None:
        base = db.session.get(Base, claim.base_id)
        return base, _("the base's page (%(name)s, 收款账号)", name=base.name)
    return None, _("the payee's record")


def require_payee_account(claim: Claim, target: ClaimStatus) -> dict[str, str]:
    """Before a claim is approved or paid: its payee account, taken from the payee if the claim has none.

    Returns the columns the move's compare-and-set UPDATE also sets ({"payee_account": ...} when the
    account was taken from the payee; else nothing). Nothing to check when the move is not allowed from
    the claim's status: the move itself answers 409 invalid_transition."""
    if not Claim.transitions.allowed(ClaimStatus(claim.status), target) or claim.payee_account:
        return {}
    payee, where = payee_of(claim)
    account = getattr(payee, "bank_account", None)
    if not account:
        raise ValidationFailed.on(
            "payee_account",
            _("is empty: %(payee)s has no bank account. Fill it in on %(where)s, then try again.",
              payee=claim.payee_name or "—", where=where),
            code="payee_account_missing")
    return {"payee_account": account}


@use_case
def set_bank_account(actor, payee: Enterprise | Base, bank_account: str | None) -> Enterprise | Base:
    """Record the account an enterprise's or a base's claims are paid to.

    The county officer of the payee's region (who approves and pays) or the admin, or the system (actor
    None: the seed); never the enterprise itself, so an account cannot be redirected by the one paid.
    Audited without the number (docs/security.md "Audit": never a bank number in a detail)."""
    from base_ops.residents.services import clean_bank_account  # the one rule for an account number

    allowed = actor is None or actor.role == Role.ADMIN or (
        actor.role == Role.COUNTY_OFFICER and bool(actor.region_code)
        and payee.region_code.startswith(region_code_prefix(actor.region_code)))
    if not allowed:
        raise PermissionDenied(_("The payee's account is recorded by the county officer or the administrator."))
    payee.bank_account = clean_bank_account(bank_account)
    audit.record(actor, "payee_account_set", payee, has_account=payee.bank_account is not None)
    return payee

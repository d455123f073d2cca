"""What a new or ended policy changes in the work still open, shown before and done after (docs/api.md
"Policies"; docs/domain.md "Policy differs by region and changes over time").

Open work is what nobody has handed on yet: claims in draft (an approved claim keeps the amount and the
policy it was approved under — a later policy never changes it) and receipt deadlines of notices whose
回执 has not been sent. `preview` computes the changes under the proposed policy without writing;
`adopt` and `end` write the policy and bring that open work in line, in one unit of work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select, true

from base_ops.core import audit
from base_ops.core.scope import region_contains
from base_ops.core.unit_of_work import use_case
from base_ops.extensions import db
from base_ops.intake.models import ReleaseNotice
from base_ops.intake.notices.services import feedback_due
from base_ops.policies import services
from base_ops.policies.models import Policy
from base_ops.residents.models import Resident
from base_ops.subsidies.models import Claim, ClaimKind, ClaimStatus
from base_ops.subsidies.services import amount_under_policies

RECOMPUTED_KINDS = (ClaimKind.LIVING_ALLOWANCE, ClaimKind.HANDOVER)


@dataclass(frozen=True)
class ClaimChange:
    claim: Claim
    amount: Decimal | None  # None: no longer eligible
    rule: str | None
    policy_id: int | None


@dataclass(frozen=True)
class NoticeChange:
    notice: ReleaseNotice
    due_on: date
    is_estimate: bool


def _in_region(column, region_code: str | None):
    """Within the policy's region; a national policy reaches everywhere."""
    return true() if region_code is None else region_contains(column, region_code)


def _draft_claims(region_code: str | None) -> list[Claim]:
    """Draft living-allowance claims of people whose 户籍 lies in the region, and draft handover claims of
    notices the region received."""
    living = (select(Claim).join(Resident, Resident.id == Claim.resident_id)
              .where(Claim.status == ClaimStatus.DRAFT, Claim.kind == ClaimKind.LIVING_ALLOWANCE,
                     _in_region(Resident.hukou_region_code, region_code)))
    handover = (select(Claim).join(ReleaseNotice, ReleaseNotice.id == Claim.release_notice_id)
                .where(Claim.status == ClaimStatus.DRAFT, Claim.kind == ClaimKind.HANDOVER,
                       _in_region(ReleaseNotice.receiving_region_code, region_code)))
    return list(db.session.scalars(living.order_by(Claim.id))) + list(db.session.scalars(handover.order_by(Claim.id)))


def _open_notices(region_code: str | None) -> list[ReleaseNotice]:
    stmt = (select(ReleaseNotice).where(ReleaseNotice.feedback_sent_on.is_(None),
                                        _in_region(ReleaseNotice.receiving_region_code, region_code))
            .order_by(ReleaseNotice.id))
    return list(db.session.scalars(stmt))


def open_work_changes(region_code: str | None) -> tuple[list[ClaimChange], list[NoticeChange]]:
    """The draft claims and open deadlines of the region whose amount or date the policies, as they answer
    now, would change."""
    claims = []
    for claim in _draft_claims(region_code):
        now = amount_under_policies(claim)
        if now is None:
            claims.append(ClaimChange(claim, None, None, None))
        elif now[0] != Decimal(claim.amount) or now[2] != claim.policy_id:
            claims.append(ClaimChange(claim, *now))
    notices = []
    for notice in _open_notices(region_code):
        due, estimate = feedback_due(notice.received_on, notice.receiving_region_code)
        if due != notice.feedback_due_on:
            notices.append(NoticeChange(notice, due, estimate))
    return claims, notices


def preview(actor, data: Mapping) -> dict:
    """What the policy in `data` would change if entered now: the rule values that differ from those in force
    on its first day, and the open work affected. Nothing is written."""
    services.require_admin(actor)
    clean = services.check_policy(data)
    changes = []
    for key, (value, _article) in clean.rules.items():
        current = services.applied(key, clean.region_code, clean.effective_from)
        if current.value != value:
            changes.append({"key": key, "current": current, "proposed": value})
    with services.proposing(services.draft_entry(clean)):
        claims, notices = open_work_changes(clean.region_code)
    return {"changes": changes, "claims": claims, "notices": notices}


def _bring_open_work_in_line(actor, policy: Policy) -> None:
    claims, notices = open_work_changes(policy.region_code)
    for change in claims:
        if change.amount is not None:
            change.claim.amount, change.claim.rule, change.claim.policy_id = change.amount, change.rule, \
                change.policy_id
    for change in notices:
        change.notice.feedback_due_on, change.notice.feedback_due_is_estimate = change.due_on, change.is_estimate
    audit.record(actor, "policy_applied_to_open_work", policy,
                 claims=[c.claim.id for c in claims if c.amount is not None],
                 no_longer_eligible=[c.claim.id for c in claims if c.amount is None],
                 notices=[n.notice.id for n in notices])


@use_case
def adopt(actor, data: Mapping) -> Policy:
    """Enter a policy and bring the region's draft claims and open deadlines in line with it."""
    policy = services.create_policy(actor, data)
    _bring_open_work_in_line(actor, policy)
    return policy


@use_case
def end(actor, policy: Policy, effective_to) -> Policy:
    """End a policy on a day and bring the open work in line with what applies after it."""
    services.end_policy(actor, policy, effective_to)
    _bring_open_work_in_line(actor, policy)
    return policy

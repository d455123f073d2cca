"""Read-only selects for enterprises, agreements, postings and the phrase list, through the actor's scope.

Enterprises: the admin sees all, a county officer those of his region, an
enterprise user his own. Postings: an enterprise user sees all of his
enterprise's, drafts included; base managers see every published posting (open
or closed: they refer residents to them); county officers the published postings
of their region's enterprises. Out of scope is 404, the same as missing.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, false, func, select, true

from base_ops.accounts.models import Role
from base_ops.core.errors import NotFound
from base_ops.core.scope import region_filter
from base_ops.enterprises.models import DiscriminatoryPhrase, Enterprise, JobPosting, PlacementAgreement, PostingStatus
from base_ops.extensions import db


def enterprise_scope_filter(actor) -> ColumnElement[bool]:
    if actor.role == Role.ENTERPRISE:
        return Enterprise.id == actor.enterprise_id if actor.enterprise_id else false()
    if actor.role in (Role.ADMIN, Role.COUNTY_OFFICER):
        return region_filter(actor, Enterprise.region_code)
    return false()


def enterprises_in_scope(actor) -> Select:
    return select(Enterprise).where(enterprise_scope_filter(actor))


def get_enterprise(actor, enterprise_id: int) -> Enterprise:
    enterprise = db.session.execute(
        enterprises_in_scope(actor).where(Enterprise.id == enterprise_id)
    ).scalar_one_or_none()
    if enterprise is None:
        raise NotFound(_("No such enterprise."))
    return enterprise


# ---------------------------------------------------------------- agreements

def current_agreement(enterprise_id: int) -> PlacementAgreement | None:
    return db.session.execute(
        select(PlacementAgreement).where(PlacementAgreement.enterprise_id == enterprise_id,
                                         PlacementAgreement.is_current)
    ).scalar_one_or_none()


def agreement_history(enterprise: Enterprise) -> list[PlacementAgreement]:
    """Every version, newest first (old versions stay readable: claims keep their terms)."""
    return list(db.session.execute(
        select(PlacementAgreement).where(PlacementAgreement.enterprise_id == enterprise.id)
        .order_by(PlacementAgreement.version.desc())
    ).scalars())


def get_agreement(actor, agreement_id: int) -> PlacementAgreement:
    agreement = db.session.execute(
        select(PlacementAgreement).join(Enterprise, Enterprise.id == PlacementAgreement.enterprise_id)
        .where(PlacementAgreement.id == agreement_id, enterprise_scope_filter(actor))
    ).scalar_one_or_none()
    if agreement is None:
        raise NotFound(_("No such agreement."))
    return agreement


# ---------------------------------------------------------------- postings

def posting_scope_filter(actor) -> ColumnElement[bool]:
    published = JobPosting.status != PostingStatus.DRAFT
    if actor.role == Role.ENTERPRISE:
        return JobPosting.enterprise_id == actor.enterprise_id if actor.enterprise_id else false()
    if actor.role == Role.BASE_MANAGER:
        return published
    if actor.role == Role.COUNTY_OFFICER:
        in_region = JobPosting.enterprise_id.in_(
            select(Enterprise.id).where(region_filter(actor, Enterprise.region_code)))
        return and_(published, in_region)
    return false()


def postings_in_scope(actor, status: str | None = None, enterprise_id: int | None = None) -> Select:
    stmt = select(JobPosting).where(posting_scope_filter(actor))
    if status:
        stmt = stmt.where(JobPosting.status == PostingStatus(status))
    if enterprise_id:
        stmt = stmt.where(JobPosting.enterprise_id == enterprise_id)
    return stmt


def get_posting(actor, posting_id: int) -> JobPosting:
    posting = db.session.execute(
        postings_in_scope(actor).where(JobPosting.id == posting_id)
    ).scalar_one_or_none()
    if posting is None:
        raise NotFound(_("No such posting."))
    return posting


def posting_counts(enterprise_id: int) -> dict[str, int]:
    """{status: postings} of one enterprise, and the open positions of its open postings."""
    rows = db.session.execute(
        select(JobPosting.status, func.count(), func.coalesce(func.sum(JobPosting.open_positions), 0))
        .where(JobPosting.enterprise_id == enterprise_id).group_by(JobPosting.status)
    ).all()
    counts = {status.value: 0 for status in PostingStatus}
    open_positions = 0
    for status, count, positions in rows:
        counts[PostingStatus(status).value] = count
        if PostingStatus(status) == PostingStatus.OPEN:
            open_positions = int(positions)
    counts["open_positions"] = open_positions
    return counts


# ---------------------------------------------------------------- the phrase list

def phrases(active_only: bool = False) -> list[DiscriminatoryPhrase]:
    stmt = select(DiscriminatoryPhrase).order_by(DiscriminatoryPhrase.is_active.desc(), DiscriminatoryPhrase.id)
    return list(db.session.execute(stmt.where(DiscriminatoryPhrase.is_active if active_only else true())).scalars())


def get_phrase(phrase_id: int) -> DiscriminatoryPhrase:
    phrase = db.session.get(DiscriminatoryPhrase, phrase_id)
    if phrase is None:
        raise NotFound(_("No such phrase."))
    return phrase

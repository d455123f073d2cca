"""Enterprise use cases: partner enterprises, placement agreements (versioned), job postings with the
discrimination screen, and the screen's phrase list.

Every use case takes plain values and the acting user, writes an audit row and runs as one unit
of work (core/unit_of_work.py), which commits once. `take_position` / `return_position` are the
two steps the placements module calls inside its own unit (a hire, an undone hire): it never
writes this module's tables itself.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select, update

from base_ops.accounts.models import Role
from base_ops.core import audit, transitions
from base_ops.core.errors import Conflict, PermissionDenied, ValidationFailed
from base_ops.core.identity import validate_uscc
from base_ops.core.scope import region_code_prefix
from base_ops.core.unit_of_work import flush, on_constraint, use_case
from base_ops.enterprises import screen
from base_ops.enterprises.models import DiscriminatoryPhrase, Enterprise, JobPosting, PlacementAgreement, PostingStatus
from base_ops.enterprises.vocabulary import status_word
from base_ops.extensions import db
from base_ops.org.models import Region

MAX_MONEY = Decimal("100000000")
MAX_POSITIONS = 1000


def _agreement_changed() -> Conflict:
    return Conflict(_("Someone else changed this agreement at the same time. Reload and try again."),
                    code="agreement_changed")


# Two officers changing one enterprise's agreement at once: the version numbers and the one current
# version are held by these two (the enterprise's row lock serialises them on PostgreSQL first).
on_constraint("uq_placement_agreements_enterprise_id_version", _agreement_changed)
on_constraint("uq_placement_agreements_current", _agreement_changed)


def invalid_transition(current: str, target: str) -> Conflict:
    """409 invalid_transition naming a posting's or referral's statuses in words (the hire and its undoing
    use it; ordinary moves get it from the model's state machine)."""
    return transitions.invalid_transition(status_word(current), status_word(target))


# ---------------------------------------------------------------- value checks

def _text(value: str | None, field: str, *, max_length: int, required: bool = True) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationFailed.on(field, _("is required"))
        return None
    if len(value) > max_length:
        raise ValidationFailed.on(field, _("must be at most %(max)s characters", max=max_length))
    return value


def money(value, field: str) -> Decimal:
    """A non-negative amount in yuan with two places (docs/api.md "Formats": "200.00")."""
    if isinstance(value, bool) or value is None or value == "":
        raise ValidationFailed.on(field, _("must be an amount in yuan, e.g. 3000.00"))
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed.on(field, _("must be an amount in yuan, e.g. 3000.00")) from None
    if not amount.is_finite():
        raise ValidationFailed.on(field, _("must be an amount in yuan, e.g. 3000.00"))
    # The range first: quantize() raises InvalidOperation on a number too large for its precision.
    if amount < 0 or amount >= MAX_MONEY:
        raise ValidationFailed.on(field, _("must not be negative") if amount < 0 else _("is too large"))
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed.on(field, _("must have at most two decimal places"))
    return amount.quantize(Decimal("0.01"))


def _count(value, field: str, *, low: int = 0, high: int = 1200) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed.on(field, _("must be a whole number"))
    if not low <= value <= high:
        raise ValidationFailed.on(field, _("must be between %(low)s and %(high)s", low=low, high=high))
    return value


def _phone(value: str | None) -> str:
    phone = (value or "").strip()
    if not phone or not all(c.isdigit() or c in "+- " for c in phone) or not phone.isascii() or len(phone) > 30:
        raise ValidationFailed.on("contact_phone", _("use digits, spaces, '+' or '-'"))
    return phone


# ---------------------------------------------------------------- enterprises

def _in_region(actor, region_code: str) -> bool:
    return bool(actor.region_code) and region_code.startswith(region_code_prefix(actor.region_code))


@use_case
def create_enterprise(actor, *, name: str, uscc: str, region_code: str, contact_name: str,
                      contact_phone: str) -> Enterprise:
    """Register a partner enterprise (安置就业基地 / 合作企业) with its 统一社会信用代码 (GB 32100-2015).

    The admin registers anywhere; a county officer only within his region (403 otherwise).
    """
    name = _text(name, "name", max_length=200)
    code = validate_uscc(uscc)
    if db.session.get(Region, region_code or "") is None:
        raise ValidationFailed.on("region_code", _("no region with code %(code)r", code=region_code))
    if actor is not None and actor.role == Role.COUNTY_OFFICER and not _in_region(actor, region_code):
        raise PermissionDenied(_("You may register enterprises of your own region only."),
                                   fields={"region_code": [_("is outside your region")]})
    contact = _text(contact_name, "contact_name", max_length=50)
    phone = _phone(contact_phone)
    existing = db.session.execute(select(Enterprise).where(Enterprise.uscc == code)).scalar_one_or_none()
    if existing is not None:
        raise Conflict(_("An enterprise with this credit code exists."), fields={"uscc": [_("is already registered")]},
                       code="enterprise_exists", extra={"id": existing.id})
    enterprise = Enterprise(name=name, uscc=code, region_code=region_code, contact_name=contact, contact_phone=phone)
    db.session.add(enterprise)
    audit.record(actor, "enterprise_created", enterprise, region_code=region_code)
    return enterprise


# ---------------------------------------------------------------- agreements

AGREEMENT_COUNTS = ("hire_quota", "min_contract_months", "one_time_after_months", "post_subsidy_max_months",
                    "insurance_subsidy_max_months")
AGREEMENT_AMOUNTS = ("one_time_subsidy", "post_subsidy_monthly", "insurance_subsidy_monthly", "budget")


@use_case
def create_agreement(actor, enterprise: Enterprise, *, starts_on: date, ends_on: date, **terms) -> PlacementAgreement:
    """A new version of the enterprise's 安置协议 (seed 002 二(四)3(2), seed 003 item 3).

    A change is never made in place: the new row gets version + 1 and supersedes the
    current one, which stays readable (claims keep the terms they were computed under).
    Kept by county officers of the enterprise's region (the caller resolves the
    enterprise through the actor's scope).
    """
    if actor is None or actor.role != Role.COUNTY_OFFICER:
        raise PermissionDenied(_("Agreements are kept by the county officers."))
    unknown = set(terms) - set(AGREEMENT_COUNTS) - set(AGREEMENT_AMOUNTS)
    if unknown:
        raise ValidationFailed.on(sorted(unknown)[0], _("is not a term of an agreement"))
    if not isinstance(starts_on, date):
        raise ValidationFailed.on("starts_on", _("is required"))
    if not isinstance(ends_on, date):
        raise ValidationFailed.on("ends_on", _("is required"))
    if ends_on <= starts_on:
        raise ValidationFailed.on("ends_on", _("must be after the start (%(date)s)", date=starts_on.isoformat()))
    values: dict = {}
    for field in AGREEMENT_COUNTS:
        if field not in terms:
            raise ValidationFailed.on(field, _("is required"))
        values[field] = _count(terms[field], field, high=10000 if field == "hire_quota" else 1200)
    for field in AGREEMENT_AMOUNTS:
        if field not in terms:
            raise ValidationFailed.on(field, _("is required"))
        values[field] = money(terms[field], field)

    # Two officers changing the agreement at once: the enterprise's row serialises them (PostgreSQL);
    # the unique (enterprise_id, version) and the one-current index hold in any case.
    db.session.execute(select(Enterprise.id).where(Enterprise.id == enterprise.id).with_for_update(of=Enterprise))
    current = db.session.execute(
        select(PlacementAgreement).where(PlacementAgreement.enterprise_id == enterprise.id,
                                         PlacementAgreement.is_current)
    ).scalar_one_or_none()
    latest = db.session.scalar(
        select(PlacementAgreement.version).where(PlacementAgreement.enterprise_id == enterprise.id)
        .order_by(PlacementAgreement.version.desc()).limit(1)
    ) or 0
    if current is not None:
        current.is_current = False
        db.session.flush()  # the partial unique index allows one current version at a time
    agreement = PlacementAgreement(enterprise_id=enterprise.id, version=latest + 1,
                                   supersedes_id=current.id if current else None, is_current=True,
                                   starts_on=starts_on, ends_on=ends_on, created_by_id=actor.id, **values)
    db.session.add(agreement)
    flush()  # the loser of a race learns it here, before the audit row
    audit.record(actor, "agreement_version_created", agreement, enterprise_id=enterprise.id,
                 version=agreement.version, supersedes_id=agreement.supersedes_id,
                 starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat(),
                 **{k: str(v) for k, v in values.items()})
    return agreement


# ---------------------------------------------------------------- postings

def _refuse_discriminatory(fields: dict[str, str | None]) -> None:
    """422 discriminatory_content naming the field and the phrase (seed 000 art. 20/35)."""
    finding = screen.screen(fields)
    if finding is None:
        return
    problem = _("contains the discriminatory phrase “%(phrase)s”: employers must not ask for a clean record "
                "or exclude released persons", phrase=finding.phrase)
    labels = {"title": _("job title"), "description": _("description"), "requirements": _("requirements")}
    # No document is cited here: the ban is in every region's rules (seed 000 art. 20/35 is Shanxi's wording of
    # it), and a page never cites a document the user's region does not follow (docs/domain.md).
    message = _("The posting was refused because of the discriminatory phrase “%(phrase)s” in its %(field)s: job "
                "postings must not exclude people released from prison.", field=labels[finding.field],
                phrase=finding.phrase)
    raise ValidationFailed(message, fields={finding.field: [problem]}, code="discriminatory_content",
                           extra={"phrase": finding.phrase, "field": finding.field})


@use_case
def create_posting(actor, *, enterprise_id: int, title: str, description: str, requirements: str | None = None,
                   positions: int, wage_min, wage_max, location: str, provides_housing: bool) -> JobPosting:
    """A draft job posting of the actor's own enterprise, screened for discriminatory content."""
    if actor is None or actor.role != Role.ENTERPRISE or not actor.enterprise_id:
        raise PermissionDenied(_("Job postings are published by the enterprise's own users."))
    if enterprise_id != actor.enterprise_id:
        raise ValidationFailed.on("enterprise_id", _("is not your enterprise"))
    fields = {
        "title": _text(title, "title", max_length=100),
        "description": _text(description, "description", max_length=5000),
        "requirements": _text(requirements, "requirements", max_length=2000, required=False),
    }
    positions = _count(positions, "positions", low=1, high=MAX_POSITIONS)
    low, high = money(wage_min, "wage_min"), money(wage_max, "wage_max")
    if high < low:
        raise ValidationFailed.on("wage_max", _("must not be below the minimum wage offered"))
    location = _text(location, "location", max_length=200)
    if not isinstance(provides_housing, bool):
        raise ValidationFailed.on("provides_housing", _("must be true or false"))
    _refuse_discriminatory(fields)
    posting = JobPosting(enterprise_id=enterprise_id, positions=positions, open_positions=positions, wage_min=low,
                         wage_max=high, location=location, provides_housing=provides_housing,
                         status=PostingStatus.DRAFT, created_by_id=actor.id, **fields)
    db.session.add(posting)
    audit.record(actor, "posting_created", posting, enterprise_id=enterprise_id, positions=positions)
    return posting


def _move_posting(actor, posting: JobPosting, target: PostingStatus) -> JobPosting:
    """A move of the posting's life cycle, compare-and-set: of a double-clicked open, one wins, the other 409s.

    403 first for another enterprise's user (he learns nothing of the status), then 409 invalid_transition.
    The model's declaration records the move (its audit row).
    """
    JobPosting.transitions.require_mover(actor, target, instance=posting)
    current = PostingStatus(posting.status)
    if target == PostingStatus.OPEN and JobPosting.transitions.allowed(current, target):
        # The phrase list may have grown since the draft was written.
        _refuse_discriminatory({name: getattr(posting, name) for name in screen.SCREENED_FIELDS})
    transitions.transition(posting, target, actor=actor, expected=current)
    return posting


@use_case
def open_posting(actor, posting: JobPosting) -> JobPosting:
    """draft -> open: residents can now be referred to it."""
    return _move_posting(actor, posting, PostingStatus.OPEN)


@use_case
def close_posting(actor, posting: JobPosting) -> JobPosting:
    """open -> closed: no more referrals."""
    return _move_posting(actor, posting, PostingStatus.CLOSED)


def take_position(posting_id: int) -> bool:
    """One open position taken by a hire, atomically in the caller's unit of work.

    False when none is left: the conditional UPDATE (and the CHECK 0 <= open_positions)
    holds under concurrent hires, so two hires never take the last position twice.
    """
    result = db.session.execute(
        update(JobPosting).where(JobPosting.id == posting_id, JobPosting.open_positions > 0)
        .values(open_positions=JobPosting.open_positions - 1).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def hold_current_agreement(enterprise_id: int) -> PlacementAgreement | None:
    """The enterprise's agreement in force, its row locked until the caller's unit of work ends.

    A hire counts itself against the agreement's hire quota under this lock (FOR UPDATE on
    PostgreSQL; on SQLite the unit already holds the write lock), so two hires at once are
    counted one after the other and never both take the last place of the quota.
    """
    return db.session.execute(
        select(PlacementAgreement).where(PlacementAgreement.enterprise_id == enterprise_id,
                                         PlacementAgreement.is_current)
        .with_for_update(of=PlacementAgreement)
    ).scalar_one_or_none()


def return_position(posting_id: int) -> bool:
    """An undone hire gives its position back, in the caller's unit of work; never above `positions`."""
    result = db.session.execute(
        update(JobPosting).where(JobPosting.id == posting_id, JobPosting.open_positions < JobPosting.positions)
        .values(open_positions=JobPosting.open_positions + 1).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


# ---------------------------------------------------------------- the phrase list

@use_case
def add_phrase(actor, *, phrase: str) -> DiscriminatoryPhrase:
    """Extend the screen's list (reference data an admin maintains; audited)."""
    text = _text(phrase, "phrase", max_length=50)
    key = screen.normalise(text)
    if len(key) < 2:
        raise ValidationFailed.on("phrase", _("must have at least two letters or digits"))
    for existing in db.session.execute(select(DiscriminatoryPhrase)).scalars():
        if screen.normalise(existing.phrase) == key:
            raise Conflict(_("The list already has “%(phrase)s”.", phrase=existing.phrase),
                           fields={"phrase": [_("is already on the list")]}, code="phrase_exists",
                           extra={"id": existing.id})
    row = DiscriminatoryPhrase(phrase=text, is_active=True)
    db.session.add(row)
    audit.record(actor, "phrase_added", row, phrase=text)
    return row


@use_case
def set_phrase_active(actor, row: DiscriminatoryPhrase, *, active: bool) -> DiscriminatoryPhrase:
    """Deactivate (or reactivate) a phrase; rows are kept so the history stays readable."""
    if row.is_active == active:
        raise Conflict(_("The phrase is already active.") if active else _("The phrase is already inactive."),
                       code="invalid_transition")
    row.is_active = active
    audit.record(actor, "phrase_activated" if active else "phrase_deactivated", row, phrase=row.phrase)
    return row

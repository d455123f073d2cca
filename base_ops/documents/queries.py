"""One function per document: it fetches the object through its own domain's scoped getter (out of scope: 404,
exactly as the object's page) and builds what the template prints. Read only (docs/architecture.md rule 6).

Document numbers are derived from the object, so a reprint carries the same number and no table is needed:
回执〔2026〕330106-00012 is the receipt of notice 12, received in 2026 by county 330106 (README "Documents").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from base_ops.accounts.models import User
from base_ops.core import clock
from base_ops.core.errors import Conflict, NotFound
from base_ops.core.identity import mask_id_number
from base_ops.documents import money
from base_ops.extensions import db
from base_ops.intake.notices import queries as notices_queries
from base_ops.intake.stays import queries as stays_queries
from base_ops.org.models import Base, Region
from base_ops.placements.queries import placements_of_resident
from base_ops.reports.models import MonthlyReport
from base_ops.reports.monthly import services as monthly
from base_ops.residents import queries as residents_queries
from base_ops.residents.models import Resident
from base_ops.residents.services import may_see_sensitive
from base_ops.subsidies import batches as subsidies_batches
from base_ops.subsidies import queries as subsidies_queries
from base_ops.subsidies.models import Claim, ClaimKind
from base_ops.training import queries as training_queries


@dataclass
class Document:
    """What a document prints and how it is filed: its kind (for the audit row), the object it prints, its
    template, title, number, issuer and the template's own values."""

    kind: str
    obj: object
    template: str
    title: str
    number: str
    issuer: str
    issued_on: date
    context: dict = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"{self.title}-{self.number}.pdf"

    @property
    def ascii_filename(self) -> str:
        return f"{self.kind}-{self.obj.id}.pdf"


def document_number(prefix: str, year: int, region_code: str, serial: int) -> str:
    """回执〔2026〕330106-00012: the kind's word, the year in 〔〕 as on official papers, the county, the serial."""
    return f"{prefix}〔{year}〕{region_code}-{serial:05d}"


def _region_name(code: str | None) -> str:
    region = db.session.get(Region, code) if code else None
    return region.name if region else (code or "")


def _bureau(region_code: str) -> str:
    """The county bureau of justice of a region (司法局), the issuer of the county's papers."""
    return _("%(region)s Bureau of Justice", region=_region_name(region_code))


def _display_names(user_ids) -> dict[int, str]:
    ids = sorted({uid for uid in user_ids if uid})
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


# ---------------------------------------------------------------- 衔接回执

def receipt(actor, notice_id: int) -> Document:
    """The receipt (衔接回执) the receiving county returns to the prison for its release notice (seed 004
    item 4): the person, the notice, when it came and what is arranged."""
    notice = notices_queries.get_notice(actor, notice_id)
    return Document(
        kind="receipt", obj=notice, template="documents/receipt.html", title=_("Handover receipt"),
        number=document_number(_("Receipt"), notice.received_on.year, notice.receiving_region_code, notice.id),
        issuer=_bureau(notice.receiving_region_code), issued_on=notice.feedback_sent_on or clock.today(),
        context={"notice": notice, "masked_id": mask_id_number(notice.id_number),
                 "prison_region": _region_name(notice.prison_region_code),
                 "receiving_region": _region_name(notice.receiving_region_code)},
    )


# ---------------------------------------------------------------- 入住登记表

def admission(actor, stay_id: int) -> Document:
    """The admission form (入住登记表) of one stay: who, where, since when, on which bed."""
    stay = stays_queries.get_stay(actor, stay_id)
    resident = stay.resident
    record = next((r for r in residents_queries.stays_of(resident) if r.stay.id == stay.id), None)
    return Document(
        kind="admission", obj=stay, template="documents/admission.html", title=_("Admission form"),
        number=document_number(_("Admission"), stay.admitted_on.year, stay.base.region_code, stay.id),
        issuer=stay.base.name, issued_on=stay.admitted_on,
        context={"stay": stay, "resident": resident, "masked_id": mask_id_number(resident.id_number),
                 "assignments": record.assignments if record else [],
                 "hukou_region": _region_name(resident.hukou_region_code),
                 "admitted_by": _display_names([stay.admitted_by_id]).get(stay.admitted_by_id, "")},
    )


# ---------------------------------------------------------------- 一人一档

def resident_file(actor, resident_id: int) -> Document:
    """The whole file (一人一档): personal data, stays with beds, case notes, training, placements, claims."""
    resident = residents_queries.get_resident(actor, resident_id)
    base = db.session.get(Base, resident.base_id)
    notes = residents_queries.case_notes_of(resident)
    claims = list(db.session.scalars(subsidies_queries.claims_in_scope(actor)
                                     .where(Claim.resident_id == resident.id)
                                     .order_by(Claim.id)))
    year = (resident.registered_on or resident.released_on).year
    return Document(
        kind="resident_file", obj=resident, template="documents/resident_file.html", title=_("Resident file"),
        number=document_number(_("File"), year, base.region_code, resident.id),
        issuer=base.name, issued_on=clock.today(),
        context={"resident": resident, "masked_id": mask_id_number(resident.id_number),
                 "masked_account": subsidies_queries.mask_account(resident.bank_account),
                 "hukou_region": _region_name(resident.hukou_region_code),
                 "stays": residents_queries.stays_of(resident), "notes": notes,
                 "authors": _display_names(n.author_id for n in notes),
                 "courses": training_queries.courses_of_resident(resident.id),
                 "placements": placements_of_resident(resident.id), "claims": claims},
    )


# ---------------------------------------------------------------- claim approval form

def claim_form(actor, claim_id: int) -> Document:
    """The approval form of a claim (生活补助审批表 for the living allowance): the rule line with its 依据,
    the amount in figures and capitals, the history with who and when, and the approval boxes. The living
    allowance is paid to the person, so his ID number and account are printed in full for the manager and the
    officer who may see them (residents.services.may_see_sensitive; the finance office pays by them); every other
    claim shows them masked."""
    claim = subsidies_queries.get_claim(actor, claim_id)
    living = ClaimKind(claim.kind) == ClaimKind.LIVING_ALLOWANCE
    resident = db.session.get(Resident, claim.resident_id) if claim.resident_id else None
    full = living and may_see_sensitive(actor)
    id_number = None
    if resident is not None and may_see_sensitive(actor):  # an enterprise reads its hire's name, not his ID
        id_number = resident.id_number if full else mask_id_number(resident.id_number)
    account = claim.payee_account if full else subsidies_queries.mask_account(claim.payee_account)
    title = _("Living allowance approval form") if living else _("Subsidy claim approval form")
    return Document(
        kind="claim_form", obj=claim, template="documents/claim_form.html", title=title,
        number=claim.number,  # the number the pages and reminders show (subsidies/models.py)
        issuer=_bureau(claim.region_code), issued_on=clock.today(),
        context={"claim": claim, "resident": resident, "id_number": id_number, "account": account,
                 "capital": money.capital_amount(claim.amount),
                 "names": _display_names(e.actor_id for e in claim.events),
                 "region": _region_name(claim.region_code),
                 "base": db.session.get(Base, claim.base_id) if claim.base_id else None},
    )


# ---------------------------------------------------------------- payment list

def _payee_id_number(claim: Claim, id_numbers: dict[int, str], full: bool) -> str:
    """A person payee's ID number (the living allowance is paid to the resident); none for an enterprise or a base."""
    if ClaimKind(claim.kind) != ClaimKind.LIVING_ALLOWANCE or claim.resident_id not in id_numbers:
        return ""
    number = id_numbers[claim.resident_id]
    return number if full else mask_id_number(number)


def batch_list(actor, batch_id: int) -> Document:
    """The payment list of a batch (发放花名册): every claim with payee, account and amount, the total in
    figures and capitals, and the sign-off (制表, 审核, 负责人). The bank pays by these accounts, so they and
    a person payee's ID number are printed in full for the county officer who pays (subsidies.queries)."""
    batch = subsidies_batches.get_batch(actor, batch_id)
    claims = subsidies_batches.claims_of(batch)
    total = subsidies_batches.total_of(claims)
    full = subsidies_queries.payee_account_visible(actor)
    resident_ids = [c.resident_id for c in claims if c.resident_id and ClaimKind(c.kind) == ClaimKind.LIVING_ALLOWANCE]
    id_numbers = dict(db.session.execute(select(Resident.id, Resident.id_number)
                                         .where(Resident.id.in_(resident_ids))).all()) \
        if resident_ids else {}
    rows = [{"claim": c,
             "account": c.payee_account if full else subsidies_queries.mask_account(c.payee_account),
             "id_number": _payee_id_number(c, id_numbers, full)}
            for c in claims]
    return Document(
        kind="batch_list", obj=batch, template="documents/batch_list.html", title=_("Subsidy payment list"),
        number=batch.number,
        issuer=_bureau(batch.region_code), issued_on=clock.today(),
        context={"batch": batch, "rows": rows, "total": total, "capital": money.capital_amount(total),
                 "region": _region_name(batch.region_code)},
    )


# ---------------------------------------------------------------- 结业证书

def certificate(actor, enrolment_id: int) -> Document:
    """The certificate of completion (结业证书): only for a completed enrolment (course ended, attendance at
    the threshold; training.queries.progress), else 409."""
    enrolment = training_queries.get_enrolment(actor, enrolment_id)
    progress = training_queries.progress_of(enrolment)
    if not progress.completed:
        raise Conflict(_("This trainee has not completed the course; there is no certificate to print."))
    course = enrolment.course
    return Document(
        kind="certificate", obj=enrolment, template="documents/certificate.html", title=_("Certificate of completion"),
        number=enrolment.certificate_number or document_number(_("Training"), course.ends_on.year,
                                                               course.base.region_code, enrolment.id),
        issuer=course.base.name, issued_on=enrolment.certificate_on or course.ends_on,
        context={"enrolment": enrolment, "course": course, "resident": enrolment.resident, "progress": progress,
                 # the manager and the officer print the masked ID; a trainer knows his trainee by name only
                 "masked_id": mask_id_number(enrolment.resident.id_number) if may_see_sensitive(actor) else None,
                 "rate": training_queries.percent(progress.attendance_rate)},
    )


# ---------------------------------------------------------------- monthly report

def get_monthly_report(actor, report_id: int) -> MonthlyReport:
    """A submitted version, if its county lies in the officer's region (monthly.region_in_scope); else 404."""
    report = db.session.get(MonthlyReport, report_id)
    try:
        if report is not None:
            monthly.region_in_scope(actor, report.region_code)
    except NotFound:
        report = None  # another region's report is not found, the same answer as a missing one
    if report is None:
        raise NotFound(_("No such monthly report."))
    return report


def monthly_report(actor, report_id: int) -> Document:
    """A monthly report (月报) exactly as submitted: the version's frozen figures, never today's."""
    report = get_monthly_report(actor, report_id)
    return Document(
        kind="monthly_report", obj=report, template="documents/monthly_report.html",
        title=_("Monthly report of the transitional resettlement bases"),
        number=document_number(_("Monthly"), int(report.month[:4]), report.region_code, report.id),
        issuer=_bureau(report.region_code), issued_on=monthly.submitted_on(report),
        context={"report": report, "sections": monthly.sections(report.figures),
                 "submitted_at": monthly.submitted_at_local(report),
                 "due_on": monthly.due_on(report.month, report.region_code),
                 "on_time": monthly.submitted_on(report) <= monthly.due_on(report.month, report.region_code)},
    )

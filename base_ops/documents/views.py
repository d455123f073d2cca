"""HTML routes of documents: the PDFs the pages' "打印" buttons open (same paths as the API, docs/api.md
"Documents"). Each is scoped like its object (the domain's getter: 404), printed, then audited."""

from __future__ import annotations

from flask import Blueprint

from base_ops.accounts.auth import fresh_login_required
from base_ops.core.actor import current_actor
from base_ops.documents import queries, services
from base_ops.documents.render import document_response

bp = Blueprint("documents", __name__)


@bp.app_template_filter("docdate")
def docdate(value) -> str:
    """A date on paper as everywhere in the app, YYYY-MM-DD; an empty box stays visibly empty."""
    return value.isoformat() if value else "—"


def _print(build, object_id: int):
    actor = current_actor()
    document = build(actor, object_id)
    response = document_response(document)
    services.record_document_view(actor, document, via="page")
    return response


@bp.get("/release-notices/<int:notice_id>/receipt.pdf")
def receipt(notice_id: int):
    return _print(queries.receipt, notice_id)


@bp.get("/stays/<int:stay_id>/admission.pdf")
def admission(stay_id: int):
    return _print(queries.admission, stay_id)


@bp.get("/residents/<int:resident_id>/file.pdf")
def resident_file(resident_id: int):
    return _print(queries.resident_file, resident_id)


@bp.get("/claims/<int:claim_id>/form.pdf")
def claim_form(claim_id: int):
    return _print(queries.claim_form, claim_id)


@bp.get("/enrolments/<int:enrolment_id>/certificate.pdf")
def certificate(enrolment_id: int):
    return _print(queries.certificate, enrolment_id)


@bp.get("/batches/<int:batch_id>/list.pdf")
@fresh_login_required  # full ID numbers and accounts, like the batch's spreadsheet (docs/security.md)
def batch_list(batch_id: int):
    return _print(queries.batch_list, batch_id)


@bp.get("/monthly-reports/<int:report_id>.pdf")
def monthly_report(report_id: int):
    return _print(queries.monthly_report, report_id)

"""JSON API of documents (docs/api.md "Documents"): each object's paper as `application/pdf`, scoped like the
object (404 out of scope) and audited as a view (document_printed)."""

from __future__ import annotations

from flask_smorest import Blueprint

from base_ops.core.actor import current_actor
from base_ops.core.api import BINARY
from base_ops.documents import queries, services
from base_ops.documents.render import PDF_MIMETYPE, document_response

blp = Blueprint("documents_api", __name__, description="Documents (PDF, A4) for printing and the archive")


def _print(build, object_id: int):
    actor = current_actor()
    document = build(actor, object_id)
    response = document_response(document)
    services.record_document_view(actor, document, via="api")
    return response


def _pdf(description: str):
    return blp.response(200, BINARY, content_type=PDF_MIMETYPE, description=description)


@blp.route("/release-notices/<int:notice_id>/receipt.pdf", methods=["GET"])
@_pdf("衔接回执: the receipt for the prison, ID number masked.")
def release_notice_receipt(notice_id):
    """The receipt (衔接回执) of a release notice, for the prison."""
    return _print(queries.receipt, notice_id)


@blp.route("/stays/<int:stay_id>/admission.pdf", methods=["GET"])
@_pdf("入住登记表: the admission form of a stay, ID number masked.")
def stay_admission_form(stay_id):
    """The admission form (入住登记表) of a stay."""
    return _print(queries.admission, stay_id)


@blp.route("/residents/<int:resident_id>/file.pdf", methods=["GET"])
@_pdf("一人一档: personal data, stays and beds, case notes, training, placements, claims; ID number and "
      "account masked.")
def resident_file_pdf(resident_id):
    """The whole file (一人一档) of a resident."""
    return _print(queries.resident_file, resident_id)


@blp.route("/claims/<int:claim_id>/form.pdf", methods=["GET"])
@_pdf("The claim's approval form with its rule line and history (living allowance: 生活补助审批表, with the "
      "person's full ID number and account for payment).")
def claim_approval_form(claim_id):
    """The approval form of a claim."""
    return _print(queries.claim_form, claim_id)


@blp.route("/enrolments/<int:enrolment_id>/certificate.pdf", methods=["GET"])
@_pdf("结业证书 of a completed enrolment.")
@blp.alt_response(409, description="conflict: the enrolment is not completed")
def enrolment_certificate(enrolment_id):
    """The certificate of completion (结业证书); `409` unless the enrolment is completed."""
    return _print(queries.certificate, enrolment_id)


@blp.route("/batches/<int:batch_id>/list.pdf", methods=["GET"])
@_pdf("The payment list of a batch: payees, accounts, amounts, the total in figures and capitals, signatures.")
def payment_batch_list(batch_id):
    """The payment list of a batch, for the county officer who pays it."""
    return _print(queries.batch_list, batch_id)


@blp.route("/monthly-reports/<int:report_id>.pdf", methods=["GET"])
@_pdf("A monthly report version exactly as submitted (its frozen figures).")
def monthly_report_pdf(report_id):
    """A submitted monthly report version (月报)."""
    return _print(queries.monthly_report, report_id)

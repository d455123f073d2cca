"""JSON API of release notices (docs/api.md "Residents and notices"): register, receipt, collection, lists.

ID numbers come back masked (first 6, last 4): the sender already holds the
full number, and nobody else needs it through this API.
"""

import io

from flask import send_file
from flask_smorest import Blueprint

from base_ops.core import clock
from base_ops.core.actor import current_actor
from base_ops.core.api import BINARY, page_schema, paginate
from base_ops.core.excel import XLSX_MIMETYPE
from base_ops.extensions import db
from base_ops.intake.models import ReleaseNotice
from base_ops.intake.notices import importer
from base_ops.intake.notices import queries as notices_queries
from base_ops.intake.notices import services as notices
from base_ops.intake.notices.schemas import (
    CollectionSchema,
    FeedbackSchema,
    NoticeCreateSchema,
    NoticeListArgsSchema,
    NoticeSchema,
    NoticeStateSchema,
    NoticeSummarySchema,
)

blp = Blueprint("notices_api", __name__, description="Release notices (释放通知书), receipts and collection")
NoticePageSchema = page_schema(NoticeSummarySchema, "ReleaseNoticePage")


@blp.route("/release-notices/import-template.xlsx", methods=["GET"])
@blp.response(200, BINARY, content_type=XLSX_MIMETYPE,
              description="The import template: a first sheet with exactly the Chinese headers the page's importer "
                          "accepts (with data validation), and a sheet of notes with an example row.")
def import_template():
    return send_file(io.BytesIO(importer.template_xlsx()), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=importer.TEMPLATE_FILENAME, max_age=0)


@blp.route("/release-notices", methods=["POST"])
@blp.arguments(NoticeCreateSchema)
@blp.response(201, NoticeSchema)
def create_notice(body):
    """Register a notice; the receipt is due the receiving county's policy's working days (5 by default) after
    `received_on` (`feedback_due_on`).

    `feedback_due_is_estimate` is true when the work calendar does not know a
    day in between (Monday-Friday assumed). 409 `notice_exists` (with `id`)
    for the same person and expected release date.
    """
    return notices.register_notice(current_actor(), **body)


@blp.route("/release-notices", methods=["GET"])
@blp.arguments(NoticeListArgsSchema, location="query")
@blp.response(200, NoticePageSchema)
def list_notices(args):
    """Notices received by counties in the caller's scope: `due_today`, `overdue`, `upcoming` (release
    within 14 days) or `all`."""
    stmt = notices_queries.notices_by_status(current_actor(), args["status"], clock.today())
    return paginate(db.session, stmt, ReleaseNotice.id, args["limit"], args["cursor"])


@blp.route("/release-notices/<int:notice_id>", methods=["GET"])
@blp.response(200, NoticeSchema)
def get_notice(notice_id):
    """One notice with its risk assessment and relief advice; each such view is audited (notice_viewed)."""
    actor = current_actor()
    return notices.record_notice_view(actor, notices_queries.get_notice(actor, notice_id), via="api")


@blp.route("/release-notices/<int:notice_id>/feedback", methods=["POST"])
@blp.arguments(FeedbackSchema)
@blp.response(200, NoticeStateSchema)
def record_feedback(body, notice_id):
    """Record the receipt (回执) sent to the prison; once (409 `feedback_exists`)."""
    notice = notices_queries.get_notice(current_actor(), notice_id)
    return notices.record_feedback(current_actor(), notice, **body)


@blp.route("/release-notices/<int:notice_id>/collection", methods=["POST"])
@blp.arguments(CollectionSchema)
@blp.response(200, NoticeStateSchema)
def record_collection(body, notice_id):
    """Record the collection of a key subject (必接必送); 422 `not_key_subject`, 409 `collection_exists`."""
    notice = notices_queries.get_notice(current_actor(), notice_id)
    return notices.record_collection(current_actor(), notice, **body)

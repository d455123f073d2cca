"""The audit log page (auditor only): search and filter, newest first."""

from flask import Blueprint, render_template, request
from sqlalchemy import select

from base_ops.audit_log import queries
from base_ops.audit_log.vocabulary import ACTION_LABELS, OBJECT_LABELS, RESULT_LABELS
from base_ops.core.audit import AuditEvent
from base_ops.core.bounds import date_arg
from base_ops.extensions import db

bp = Blueprint("audit", __name__)

FILTERS = ("action", "username", "object_type", "object_id", "result")


@bp.get("/audit")
def list_events():
    filters = {name: (request.args.get(name) or "").strip() or None for name in FILTERS}
    stmt = queries.search(**filters, from_on=date_arg("from"), to_on=date_arg("to"))
    page = db.paginate(stmt.order_by(AuditEvent.seq.desc()), per_page=50, error_out=False)
    actions = db.session.execute(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).scalars().all()
    words = queries.describe(page.items)
    return render_template("audit/list.html", page=page, filters=filters, actions=actions, words=words,
                           details=queries.readable_details(page.items, words), action_labels=ACTION_LABELS,
                           object_labels=OBJECT_LABELS, result_labels=RESULT_LABELS,
                           from_on=request.args.get("from", ""), to_on=request.args.get("to", ""),
                           query_args={k: v for k, v in request.args.items() if k != "page"})

"""Background exports: large spreadsheets built off the request, with progress, kept 24 hours, audited download.

issue 7 item 4. POST /exports/ answers a small export with the file itself and a
large one with a redirect to its job page; only the requester sees a job (anyone
else gets 404). Every download needs a fresh login (docs/security.md).
"""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from base_ops.accounts.auth import fresh_login_required, is_fresh
from base_ops.core import bounds
from base_ops.core.actor import current_actor
from base_ops.core.errors import ValidationFailed
from base_ops.core.excel import XLSX_MIMETYPE
from base_ops.core.redirects import local_path, path_of_same_site_url, safe_next
from base_ops.core.ui import flash_error
from base_ops.reports.exports import services as jobs
from base_ops.reports.exports.spreadsheets import EXPORT_KINDS
from base_ops.reports.models import ExportStatus

bp = Blueprint("exports", __name__, url_prefix="/exports")


@bp.record_once
def _register_template_globals(state) -> None:
    # The export_buttons macro is imported without context by the report pages: labels as a global.
    state.app.jinja_env.globals["export_kind_labels"] = EXPORT_KINDS


def _back() -> str:
    """Where a refused export request returns: the report page it came from (same site only)."""
    target = local_path(request.form.get("next")) or path_of_same_site_url(request.referrer, request.host)
    return safe_next(target, url_for("exports.list_jobs"))


def _export_request(form) -> dict:
    """kind, from, to, region_code, base_id from the form (shape only; the service checks scope)."""
    values: dict = {"kind": (form.get("kind") or "").strip(), "region_code": (form.get("region_code") or "").strip()
                    or None}
    for field, key in (("from", "start"), ("to", "end")):
        values[key] = bounds.parse_date(field, form.get(field) or "")
    raw_base = (form.get("base_id") or "").strip()
    values["base_id"] = bounds.id_or_none(raw_base) if raw_base else None
    if raw_base and values["base_id"] is None:
        raise ValidationFailed.on("base_id", bounds.id_problem())
    return values


@bp.post("/")
def create_export():
    if not is_fresh():  # docs/security.md: any export needs a fresh login; come back to the report page after
        flash(_("Please confirm your password to continue."), "info")
        return redirect(url_for("accounts.reauthenticate", next=_back()))
    try:
        values = _export_request(request.form)
        kind = values.pop("kind")
        result = jobs.request_export(current_actor(), kind, **values)
    except ValidationFailed as error:
        flash_error(error)
        return redirect(_back())
    if isinstance(result, jobs.DirectExport):
        response = send_file(BytesIO(result.content), mimetype=XLSX_MIMETYPE, as_attachment=True,
                             download_name=result.filename)
        response.headers["Content-Disposition"] = jobs.content_disposition(result.filename)
        return response
    flash(_("The export has %(rows)s rows: it is being prepared; you can leave this page.", rows=result.rows_total),
          "info")
    return redirect(url_for("exports.job_detail", job_id=result.id))


@bp.get("/")
def list_jobs():
    return render_template("exports/list.html", jobs=jobs.list_jobs(current_actor()), progress_of=jobs.progress_of,
                           kinds=EXPORT_KINDS, status=ExportStatus)


@bp.get("/<int:job_id>")
def job_detail(job_id: int):
    job = jobs.get_job(current_actor(), job_id)
    return render_template("exports/job.html", job=job, progress=jobs.progress_of(job), kinds=EXPORT_KINDS,
                           status=ExportStatus, base_name=jobs.base_name_of(job))


@bp.get("/<int:job_id>/status")
def job_status(job_id: int):
    return jsonify(jobs.progress_of(jobs.get_job(current_actor(), job_id)))


@bp.get("/<int:job_id>/download")
@fresh_login_required
def download(job_id: int):
    job, path = jobs.job_file(current_actor(), job_id)
    response = send_file(path, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=job.filename or path.name)
    response.headers["Content-Disposition"] = jobs.content_disposition(job.filename or path.name)
    return response

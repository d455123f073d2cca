"""Pages for release notices (lists, detail, receipt, collection, bulk import) and the admin's work calendar."""

from __future__ import annotations

import io
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, session, url_for
from flask_babel import gettext as _

from base_ops.core import clock
from base_ops.core.actor import current_actor
from base_ops.core.errors import DomainError
from base_ops.core.excel import XLSX_MIMETYPE
from base_ops.core.identity import mask_id_number
from base_ops.core.redirects import page_on_get
from base_ops.core.ui import flash_error, form_errors_from
from base_ops.extensions import db
from base_ops.intake.notices import importer as notices_import
from base_ops.intake.notices import queries as notices_queries
from base_ops.intake.notices import services as notices
from base_ops.intake.notices.forms import (
    CalendarDayForm,
    CollectionForm,
    FeedbackForm,
    ImportConfirmForm,
    ImportUploadForm,
    NoticeForm,
    county_choices,
)

bp = Blueprint("notices", __name__)
# Uploads this browser session made: a token from anyone else's session is refused.
SESSION_IMPORTS = "notice_imports"


@bp.get("/notices")
def list_notices():
    on = clock.today()
    counts = notices_queries.status_counts(current_actor(), on)
    status = request.args.get("status")
    if status not in notices_queries.STATUSES:
        # Open on the most urgent list that has work in it, not on an empty "due today" (issue 17).
        status = next((name for name in notices_queries.STATUSES if counts.get(name)), "all")
    stmt = notices_queries.ordered(notices_queries.notices_by_status(current_actor(), status, on), status)
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("intake/notices.html", page=page, status=status, on=on, counts=counts,
                           regions=notices_queries.region_names(n.receiving_region_code for n in page.items),
                           feedback_status=notices_queries.feedback_status, mask=mask_id_number)


@bp.get("/notices/<int:notice_id>")
def notice_detail(notice_id: int):
    notice = notices.record_notice_view(current_actor(), notices_queries.get_notice(current_actor(), notice_id))
    return _detail(notice, FeedbackForm(prefix="fb"), CollectionForm(prefix="col"))


def _detail(notice, feedback_form, collection_form):
    regions = notices_queries.region_names([notice.prison_region_code, notice.receiving_region_code])
    return render_template("intake/notices_detail.html", notice=notice, regions=regions,
                           status=notices_queries.feedback_status(notice, clock.today()),
                           receipt_rule=notices.receipt_rule(notice.receiving_region_code, notice.received_on),
                           feedback_form=feedback_form, collection_form=collection_form, mask=mask_id_number)


@bp.route("/notices/<int:notice_id>/feedback", methods=["GET", "POST"])
@page_on_get(lambda **args: url_for("notices.notice_detail", **args))
def record_feedback(notice_id: int):
    notice = notices_queries.get_notice(current_actor(), notice_id)
    form = FeedbackForm(prefix="fb")
    if form.validate_on_submit():
        try:
            notices.record_feedback(current_actor(), notice, sent_on=form.sent_on.data,
                                    arrangement=form.arrangement.data)
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("Receipt recorded."), "success")
            return redirect(url_for("notices.notice_detail", notice_id=notice.id))
    return _detail(notice, form, CollectionForm(prefix="col")), 422


@bp.route("/notices/<int:notice_id>/collection", methods=["GET", "POST"])
@page_on_get(lambda **args: url_for("notices.notice_detail", **args))
def record_collection(notice_id: int):
    notice = notices_queries.get_notice(current_actor(), notice_id)
    form = CollectionForm(prefix="col")
    if form.validate_on_submit():
        try:
            notices.record_collection(current_actor(), notice, collected_on=form.collected_on.data,
                                      collected_by=form.collected_by.data)
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("Collection recorded."), "success")
            return redirect(url_for("notices.notice_detail", notice_id=notice.id))
    return _detail(notice, FeedbackForm(prefix="fb"), form), 422


@bp.route("/notices/new", methods=["GET", "POST"])
def new_notice():
    form = NoticeForm()
    form.receiving_region_code.choices = county_choices(notices_queries.receiving_counties(current_actor()))
    if form.validate_on_submit():
        try:
            notice = notices.register_notice(
                current_actor(), id_number=form.id_number.data, name=form.name.data, prison_name=form.prison_name.data,
                prison_region_code=form.prison_region_code.data, expected_release_on=form.expected_release_on.data,
                received_on=form.received_on.data, receiving_region_code=form.receiving_region_code.data,
                is_key_subject=form.is_key_subject.data == "1", risk_assessment=form.risk_assessment.data,
                relief_advice=form.relief_advice.data)
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("Notice registered; the receipt is due on %(day)s.", day=notice.feedback_due_on.isoformat()),
                  "success")
            return redirect(url_for("notices.notice_detail", notice_id=notice.id))
    return render_template("intake/notices_form.html", form=form)


@bp.route("/notices/import", methods=["GET", "POST"])
def import_upload():
    form = ImportUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            check = notices_import.upload_import(current_actor(), upload.filename or "", upload.stream)
        except DomainError as error:
            form_errors_from(form, error)
        else:
            session[SESSION_IMPORTS] = [*session.get(SESSION_IMPORTS, [])[-4:], check.token]
            return _preview(check, ImportConfirmForm(formdata=None, token=check.token))
    return render_template("intake/notices_import.html", form=form, headers=notices_import.LABELS,
                           optional=notices_import.OPTIONAL)


@bp.get("/notices/import/template.xlsx")
def import_template():
    """The import template: the headers the importer accepts, with a sheet of notes (issue 21)."""
    return send_file(io.BytesIO(notices_import.template_xlsx()), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=notices_import.TEMPLATE_FILENAME, max_age=0)


def _preview(check, form):
    return render_template("intake/notices_import_preview.html", check=check, form=form,
                           errors=check.errors[:300], labels=notices_import.LABELS)


@bp.route("/notices/import/confirm", methods=["GET", "POST"])
@page_on_get(lambda **args: url_for("notices.import_upload", **args))
def import_confirm():
    form = ImportConfirmForm()
    token = form.token.data or ""
    if not form.validate_on_submit() or token not in session.get(SESSION_IMPORTS, []):
        flash(_("This upload is not available to you. Upload the file again."), "danger")
        return redirect(url_for("notices.import_upload"))
    try:
        check = notices_import.confirm_import(current_actor(), token, valid_only=form.valid_only.data)
    except DomainError as error:
        flash_error(error)
        if error.code != "import_has_errors":
            return redirect(url_for("notices.import_upload"))
        return _preview(notices_import.preview_import(current_actor(), token), form), 409
    session[SESSION_IMPORTS] = [t for t in session.get(SESSION_IMPORTS, []) if t != token]
    flash(_("%(count)s notices imported.", count=len(check.valid)), "success")
    return redirect(url_for("notices.list_notices", status="all"))


# ---------------------------------------------------------------- the work calendar (admin)

def _month_arg() -> tuple[int, int]:
    try:
        year, month = (int(p) for p in request.args.get("month", "").split("-"))
        date(year, month, 1)
        if not 2000 <= year <= 2100:
            raise ValueError
    except ValueError:
        on = clock.today()
        return on.year, on.month
    return year, month


def _day_arg(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.get("/admin/calendar")
def calendar():
    year, month = _month_arg()
    selected = _day_arg(request.args.get("day"))
    if selected and (selected.year, selected.month) != (year, month):
        selected = None
    weeks = notices_queries.calendar_month(year, month)
    day_info = next((c for w in weeks for c in w if c and c["day"] == selected), None)
    form = CalendarDayForm(is_workday="1" if day_info and day_info["is_workday"] else "0",
                           note=day_info["note"] if day_info else None)
    return render_template("intake/calendar.html", weeks=weeks, year=year, month=month, selected=day_info,
                           form=form, known_years=notices_queries.calendar_years())


@bp.post("/admin/calendar/<day>")
def set_calendar_day(day: str):
    on = _day_arg(day) or abort(404)
    form = CalendarDayForm()
    if form.validate_on_submit():
        try:
            notices.set_calendar_day(current_actor(), day=on, is_workday=form.is_workday.data == "1",
                                     note=form.note.data)
            flash(_("%(day)s saved.", day=on.isoformat()), "success")
        except DomainError as error:
            flash_error(error)
    else:
        flash(_("Not saved: choose working day or holiday."), "danger")
    return redirect(url_for("notices.calendar", month=on.strftime("%Y-%m"), day=on.isoformat()))

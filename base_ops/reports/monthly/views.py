"""Monthly reports (月报): a county submits a month, corrections are new versions, officers above see who has
submitted by the deadline and the roll-up of submitted figures."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from base_ops.core.actor import current_actor
from base_ops.core.bounds import BoundedIntegerField, int_arg
from base_ops.core.errors import DomainError, ValidationFailed
from base_ops.core.ui import flash_error, form_errors_from
from base_ops.org.models import RegionLevel
from base_ops.reports.models import MonthlyReport
from base_ops.reports.monthly import services as monthly
from base_ops.reports.vocabulary import SECTION_LABELS, STATUS_LABELS

bp = Blueprint("monthly", __name__, url_prefix="/reports/monthly")


class SubmitForm(FlaskForm):
    """Submit a month, or correct it: `version` is the version the page offers to create."""

    version = BoundedIntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(min=1)])
    reason = TextAreaField(_l("Reason for the correction"), validators=[Optional(), Length(max=monthly.REASON_MAX)])


@bp.context_processor
def _labels():
    return {"status_labels": STATUS_LABELS, "section_labels": SECTION_LABELS, "Status": monthly.Status}


@bp.get("/")
def index():
    """A county officer: his recent months. An officer above: the counties × a month and the roll-up."""
    actor = current_actor()
    own = monthly.region_in_scope(actor, actor.region_code)
    if own.level == RegionLevel.COUNTY:
        rows = monthly.county_months(actor, own.code, monthly.recent_months())
        return render_template("monthly/county.html", region=own, rows=rows)
    month = request.args.get("month") or monthly.last_finished_month()
    region_code = request.args.get("region_code") or own.code
    try:
        month = monthly.parse_month(month)
    except ValidationFailed as error:
        flash_error(error)
        month = monthly.last_finished_month()
    board = monthly.board(actor, region_code, month)
    return render_template("monthly/board.html", board=board, regions=monthly.regions_to_pick(actor),
                           sections=monthly.sections(board.rollup), months=monthly.recent_months(24))


@bp.get("/<region_code>/<month>")
def month_detail(region_code: str, month: str):
    return _render_month(region_code, month, SubmitForm())


@bp.post("/<region_code>/<month>")
def submit(region_code: str, month: str):
    form = SubmitForm()
    if not form.validate_on_submit():
        return _render_month(region_code, month, form, 422)
    try:
        report = monthly.submit_month(current_actor(), region_code, month, form.reason.data, version=form.version.data)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        form_errors_from(form, error)
        return _render_month(region_code, month, form, error.status)
    flash(_("Version %(n)s of %(month)s is submitted; its figures are frozen.", n=report.version, month=month),
          "success")
    return redirect(url_for("monthly.month_detail", region_code=region_code, month=month))


def _render_month(region_code: str, month: str, form: SubmitForm, status: int = 200):
    """The month's figures: the chosen (default: latest) version frozen, next to the live figures."""
    actor = current_actor()
    standing = monthly.county_month(actor, region_code, month)
    versions = monthly.versions(actor, region_code, month)
    wanted = int_arg("version")
    shown = monthly.get_version(actor, region_code, month, wanted) if wanted else standing.latest
    lines = monthly.compare(monthly.live_figures(actor, region_code, month), shown.figures if shown else None)
    latest_version = standing.latest.version if standing.latest else 0
    form.version.data = latest_version + 1
    # The model says who submits or corrects (the county's own officer); only a finished month is reported.
    may_submit = MonthlyReport.can(MonthlyReport.next_move(latest_version), actor, standing.region) \
        and standing.submittable
    # "Changed since submitted" matters for the version that counts, the latest; an older one is history.
    is_latest = shown is not None and shown.version == standing.latest.version
    changed = is_latest and any(line.differs for _key, group in lines for line in group)
    return render_template("monthly/month.html", standing=standing, versions=versions, shown=shown, form=form,
                           may_submit=may_submit, lines=lines, is_latest=is_latest, changed=changed), status

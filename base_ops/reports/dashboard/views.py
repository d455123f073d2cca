"""Report pages: the dashboard (key figures, trend, units with drill-down, claims), the people behind a
number, and the report spreadsheets. Scope is resolved by reports.filters before any query."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request

from base_ops.accounts.auth import fresh_login_required
from base_ops.core.actor import current_actor
from base_ops.core.bounds import page_number
from base_ops.core.errors import DomainError, NotFound, ValidationFailed
from base_ops.core.excel import XLSX_MIMETYPE
from base_ops.intake.vocabulary import DESTINATION_LABELS
from base_ops.reports.dashboard import people, spreadsheets
from base_ops.reports.dashboard import queries as dashboard
from base_ops.reports.dashboard.forms import PeopleFilterForm, ReportFilterForm
from base_ops.reports.exports import spreadsheets as exports
from base_ops.reports.metrics import figures as F
from base_ops.reports.metrics.filters import resolve_filter, scope_name
from base_ops.reports.metrics.periods import default_period

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _resolve(form: ReportFilterForm):
    """The form's filter within the actor's scope; form errors and domain errors go on the form."""
    if not form.validate():
        return None
    start, end = default_period(form.start.data, form.end.data)
    try:
        return resolve_filter(current_actor(), start=start, end=end, region_code=form.region_code.data or None,
                              base_id=form.base_id.data)
    except NotFound:
        abort(404)
    except DomainError as error:
        for field_name, problems in error.fields.items():
            field = {"from": form.start, "to": form.end}.get(field_name) or getattr(form, field_name, None)
            if field is not None:
                field.errors = [*field.errors, *problems]
        return None


@bp.get("/")
def index():
    form = ReportFilterForm(request.args)
    f = _resolve(form)
    if f is None:
        return render_template("reports/dashboard.html", form=form, board=None), 422
    board = dashboard.build(f)
    return render_template("reports/dashboard.html", form=form, board=board,
                           trail=people.trail(current_actor(), f), scope_name=scope_name(f),
                           titles=spreadsheets.report_titles(), export_kinds=exports.EXPORT_KINDS, display=F.display)


@bp.get("/people")
def people_list():
    form = PeopleFilterForm(request.args)
    f = _resolve(form)
    if f is None:
        return render_template("reports/people.html", form=form, listing=None), 422
    listing = people.listing(f, form.kind.data, form.destination.data or None,
                             page=page_number())
    return render_template("reports/people.html", form=form, listing=listing, f=f,
                           trail=people.trail(current_actor(), f), scope_name=scope_name(f),
                           kinds=exports.EXPORT_KINDS, destination_label=DESTINATION_LABELS.get(listing.destination),
                           page_args={k: v for k, v in request.args.items() if k != "page"})


@bp.get("/<string:name>.xlsx")
@fresh_login_required
def report_xlsx(name: str):
    if name not in spreadsheets.NAMES:
        abort(404)
    # No page to show the filter's errors on: the error page names them (ValidationFailed, 422).
    form = ReportFilterForm(request.args)
    if not form.validate():
        problems = {field.name: list(field.errors) for field in form if field.errors}
        raise ValidationFailed("; ".join(f"{name}: {problem}" for name, errors in problems.items()
                                         for problem in errors), fields=problems)
    start, end = default_period(form.start.data, form.end.data)
    try:
        f = resolve_filter(current_actor(), start=start, end=end, region_code=form.region_code.data or None,
                           base_id=form.base_id.data, group_by=request.args.get("group_by") or "base")
    except NotFound:
        abort(404)
    content = spreadsheets.download(current_actor(), name, f)
    return Response(content, mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": spreadsheets.content_disposition(name, f)})

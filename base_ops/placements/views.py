"""Pages of the placements module: candidates (referrals) and their pipeline, hires, placements
with retention checks falling due, the end of a placement and discharge to employment."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from base_ops.accounts.models import Role
from base_ops.core.actor import current_actor
from base_ops.core.clock import today
from base_ops.core.errors import DomainError
from base_ops.core.forms import EmptyForm
from base_ops.core.redirects import page_on_get
from base_ops.core.ui import flash_error, form_errors_from
from base_ops.enterprises import queries as enterprise_queries
from base_ops.enterprises.models import JobPosting
from base_ops.enterprises.vocabulary import POSTING_STATUS_LABELS
from base_ops.extensions import db
from base_ops.placements import queries, services
from base_ops.placements.forms import (
    CheckForm,
    DischargeForm,
    EndForm,
    HireForm,
    ReferralForm,
    StatusForm,
)
from base_ops.placements.models import Placement, PlacementState, Referral, ReferralStatus
from base_ops.placements.vocabulary import MOVE_LABELS, REFERRAL_STATUS_LABELS
from base_ops.residents.vocabulary import SEX_LABELS

bp = Blueprint("placements", __name__)


@bp.context_processor
def _labels():
    return {"referral_status_labels": REFERRAL_STATUS_LABELS, "move_labels": MOVE_LABELS,
            "sex_labels": SEX_LABELS, "posting_status_labels": POSTING_STATUS_LABELS}


# ---------------------------------------------------------------- referrals (candidates)

@bp.get("/referrals")
def list_referrals():
    status = request.args.get("status") or None
    if status not in (None, *[s.value for s in ReferralStatus]):
        status = None
    stmt = queries.referrals_in_scope(current_actor(), status=status).order_by(Referral.id.desc())
    page = db.paginate(stmt, per_page=50, error_out=False)
    views = queries.referral_views(current_actor(), page.items)
    return render_template("placements/referrals.html", page=page, referrals=views, status=status,
                           counts=queries.pipeline_counts(current_actor()))


def _referral_form(formdata=None) -> ReferralForm:
    form = ReferralForm(formdata=formdata) if formdata is not None else ReferralForm()
    postings = db.session.scalars(
        enterprise_queries.postings_in_scope(current_actor(), status="open").order_by(JobPosting.id.desc()).limit(500)
    ).all()
    # a job closed by law to people with a record is not offered (docs/domain.md "Lawful bars on some jobs")
    form.posting_id.choices = [(p.id, f"{p.title} · {p.enterprise.name}") for p in postings if p.bar is None]
    form.resident_id.choices = queries.referable_residents(current_actor())
    return form


@bp.route("/referrals/new", methods=["GET", "POST"])
def new_referral():
    form = _referral_form(request.args if request.method == "GET" and request.args.get("posting_id") else None)
    if form.validate_on_submit():
        try:
            referral = services.refer(current_actor(), posting_id=form.posting_id.data,
                                      resident_id=form.resident_id.data)
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("%(name)s referred to %(title)s.", name=referral.resident.name, title=referral.posting.title),
                  "success")
            return redirect(url_for("placements.referral_detail", referral_id=referral.id))
    return render_template("placements/referral_form.html", form=form)


def _render_referral(referral: Referral, hire_form: HireForm | None = None, status: int = 200):
    actor = current_actor()
    can_hire = actor.role in services.HIRING_ROLES and ReferralStatus(referral.status) == ReferralStatus.OFFERED
    if hire_form is None and can_hire:
        hire_form = HireForm(formdata=None, started_on=today())
    return render_template("placements/referral_detail.html", referral=referral,
                           view=queries.referral_view(actor, referral), moves=referral.moves_for(actor),
                           status_form=StatusForm(), hire_form=hire_form if can_hire else None,
                           is_enterprise=actor.role == Role.ENTERPRISE), status


@bp.get("/referrals/<int:referral_id>")
def referral_detail(referral_id: int):
    return _render_referral(queries.get_referral(current_actor(), referral_id))


@bp.post("/referrals/<int:referral_id>/status")
def set_referral_status(referral_id: int):
    referral = queries.get_referral(current_actor(), referral_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            services.move_referral(current_actor(), referral, status=form.status.data)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("Status changed to %(status)s.",
                    status=REFERRAL_STATUS_LABELS[ReferralStatus(referral.status)]), "success")
    return redirect(url_for("placements.referral_detail", referral_id=referral_id))


@bp.route("/referrals/<int:referral_id>/hire", methods=["GET", "POST"])
@page_on_get(lambda **args: url_for("placements.referral_detail", **args))
def hire(referral_id: int):
    referral = queries.get_referral(current_actor(), referral_id)
    form, status = HireForm(), 422
    if form.validate_on_submit():
        try:
            placement = services.hire(current_actor(), referral, started_on=form.started_on.data,
                                      contract_months=form.contract_months.data,
                                      monthly_wage=form.monthly_wage.data,
                                      social_insurance=form.social_insurance.data)
        except DomainError as error:
            form_errors_from(form, error)
            status = error.status
        else:
            flash(_("Hire recorded: %(name)s starts on %(date)s.", name=referral.resident.name,
                    date=placement.started_on.isoformat()), "success")
            return redirect(url_for("placements.placement_detail", placement_id=placement.id))
    return _render_referral(queries.get_referral(current_actor(), referral_id), hire_form=form, status=status)


# ---------------------------------------------------------------- placements

@bp.get("/placements")
def list_placements():
    active = request.args.get("active") == "1"
    stmt = queries.placements_in_scope(current_actor(), active_only=active).order_by(Placement.started_on.desc(),
                                                                              Placement.id.desc())
    page = db.paginate(stmt, per_page=50, error_out=False)
    # The checks falling due are a to-do list for those who record them (enterprise, base manager);
    # an officer reads each placement's next check in the list instead of a province-long to-do.
    due = queries.due_checks(current_actor()) if current_actor().role in services.HIRING_ROLES else None
    return render_template("placements/placements.html", page=page, active=active,
                           due=due, today=today(), next_check=queries.next_check)


def _render_placement(placement: Placement, *, check_form=None, end_form=None, status: int = 200):
    actor = current_actor()
    on = today()
    return render_template(
        "placements/placement_detail.html", placement=placement, view=queries.placement_view(actor, placement),
        check_form=check_form or CheckForm(formdata=None, checked_on=on),
        end_form=end_form or EndForm(formdata=None, ended_on=on),
        discharge_form=DischargeForm(formdata=None, discharged_on=min(on, placement.started_on)),
        action_form=EmptyForm(), open_stay=queries.open_stay_in_scope(actor, placement.resident_id)
        if actor.role == Role.BASE_MANAGER else None,
        # checks are recorded on a placement exactly while it may be ended (active, and the actor's to end)
        is_enterprise=actor.role == Role.ENTERPRISE, can_act=placement.can(PlacementState.ENDED, actor),
        can_undo=placement.can(PlacementState.CANCELLED, actor) and queries.can_undo(placement),
    ), status


@bp.get("/placements/<int:placement_id>")
def placement_detail(placement_id: int):
    return _render_placement(queries.get_placement(current_actor(), placement_id))


@bp.post("/placements/<int:placement_id>/cancel")
def cancel_placement(placement_id: int):
    placement = queries.get_placement(current_actor(), placement_id)
    if EmptyForm().validate_on_submit():
        try:
            services.cancel_placement(current_actor(), placement)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("The hire was undone: the candidate is back at “offered” and the position is open again."),
                  "success")
            return redirect(url_for("placements.referral_detail", referral_id=placement.referral_id))
    return redirect(url_for("placements.placement_detail", placement_id=placement_id))


@bp.route("/placements/<int:placement_id>/checks", methods=["GET", "POST"])
@page_on_get(lambda **args: url_for("placements.placement_detail", **args))
def record_check(placement_id: int):
    placement = queries.get_placement(current_actor(), placement_id)
    form, status = CheckForm(), 422
    if form.validate_on_submit():
        try:
            check = services.record_check(current_actor(), placement, checked_on=form.checked_on.data,
                                          employed=form.employed.data == "1")
        except DomainError as error:
            form_errors_from(form, error)
            status = error.status
        else:
            flash(_("%(mark)s-month check recorded.", mark=check.month_mark) if check.month_mark
                  else _("Check recorded."), "success")
            return redirect(url_for("placements.placement_detail", placement_id=placement_id))
    return _render_placement(queries.get_placement(current_actor(), placement_id), check_form=form, status=status)


@bp.route("/placements/<int:placement_id>/end", methods=["GET", "POST"])
@page_on_get(lambda **args: url_for("placements.placement_detail", **args))
def end_placement(placement_id: int):
    placement = queries.get_placement(current_actor(), placement_id)
    form, status = EndForm(), 422
    if form.validate_on_submit():
        try:
            services.end_placement(current_actor(), placement, ended_on=form.ended_on.data, reason=form.reason.data)
        except DomainError as error:
            form_errors_from(form, error)
            status = error.status
        else:
            flash(_("Placement ended."), "success")
            return redirect(url_for("placements.placement_detail", placement_id=placement_id))
    return _render_placement(queries.get_placement(current_actor(), placement_id), end_form=form, status=status)


@bp.post("/placements/<int:placement_id>/discharge")
def discharge_employed(placement_id: int):
    placement = queries.get_placement(current_actor(), placement_id)
    form = DischargeForm()
    if form.validate_on_submit():
        try:
            stay = services.discharge_to_employment(current_actor(), placement, discharged_on=form.discharged_on.data)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("%(name)s left the base for this job on %(date)s.", name=placement.resident.name,
                    date=stay.discharged_on.isoformat()), "success")
    else:
        flash(_("Give the date he leaves the base."), "danger")
    return redirect(url_for("placements.placement_detail", placement_id=placement_id))

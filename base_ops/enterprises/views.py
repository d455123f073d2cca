"""Enterprise pages: the list and registration (admin, county officers), an enterprise with its
agreement versions (county officers keep them), the enterprise portal's job postings, and the
admin's list of discriminatory phrases."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from base_ops.accounts.models import Role
from base_ops.core.actor import current_actor
from base_ops.core.errors import DomainError
from base_ops.core.forms import EmptyForm
from base_ops.core.scope import region_filter
from base_ops.core.ui import flash_error, form_errors_from
from base_ops.enterprises import bars, queries, services
from base_ops.enterprises.forms import AgreementForm, EnterpriseForm, PhraseForm, PostingForm
from base_ops.enterprises.models import Enterprise, JobPosting, PostingStatus
from base_ops.enterprises.vocabulary import POSTING_STATUS_LABELS
from base_ops.extensions import db
from base_ops.placements import queries as placement_queries
from base_ops.placements.forms import ReferralForm
from base_ops.placements.vocabulary import REFERRAL_STATUS_LABELS

bp = Blueprint("enterprises", __name__)


@bp.context_processor
def _labels():
    # barred jobs are warned about on the posting form and pages (docs/domain.md "Lawful bars on some jobs")
    return {"posting_status_labels": POSTING_STATUS_LABELS, "referral_status_labels": REFERRAL_STATUS_LABELS,
            "barred_jobs": bars.BARS, "bar_warning": bars.warning}


@bp.get("/enterprises")
def list_enterprises():
    stmt = select(Enterprise).where(region_filter(current_user, Enterprise.region_code)).order_by(Enterprise.name)
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("enterprises/list.html", page=page)


@bp.route("/admin/enterprises/new", methods=["GET", "POST"])
def new_enterprise():
    form = EnterpriseForm()
    if form.validate_on_submit():
        try:
            enterprise = services.create_enterprise(
                current_actor(), name=form.name.data, uscc=form.uscc.data,
                region_code=form.region_code.data, contact_name=form.contact_name.data,
                contact_phone=form.contact_phone.data,
            )
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("Enterprise %(name)s registered.", name=enterprise.name), "success")
            return redirect(url_for("enterprises.list_enterprises"))
    return render_template("enterprises/form.html", form=form)


# ---------------------------------------------------------------- an enterprise and its agreements

@bp.get("/enterprises/<int:enterprise_id>")
def enterprise_detail(enterprise_id: int):
    enterprise = queries.get_enterprise(current_actor(), enterprise_id)
    return render_template("enterprises/detail.html", enterprise=enterprise,
                           agreement=queries.current_agreement(enterprise.id),
                           counts=queries.posting_counts(enterprise.id))


@bp.get("/enterprises/<int:enterprise_id>/agreements")
def agreement_history(enterprise_id: int):
    enterprise = queries.get_enterprise(current_actor(), enterprise_id)
    return render_template("enterprises/agreements.html", enterprise=enterprise,
                           versions=queries.agreement_history(enterprise))


@bp.route("/enterprises/<int:enterprise_id>/agreements/new", methods=["GET", "POST"])
def new_agreement(enterprise_id: int):
    """A new version of the agreement, the form filled with the current terms."""
    enterprise = queries.get_enterprise(current_actor(), enterprise_id)
    current = queries.current_agreement(enterprise.id)
    form = AgreementForm(obj=current)
    if form.validate_on_submit():
        try:
            agreement = services.create_agreement(current_actor(), enterprise, **form.values())
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("Agreement version %(version)s is now in force.", version=agreement.version), "success")
            return redirect(url_for("enterprises.agreement_history", enterprise_id=enterprise.id))
    return render_template("enterprises/agreement_form.html", enterprise=enterprise, form=form, current=current)


# ---------------------------------------------------------------- job postings

@bp.get("/postings")
def list_postings():
    status = request.args.get("status") or None
    if status not in (None, *[s.value for s in PostingStatus]):
        status = None
    stmt = queries.postings_in_scope(current_actor(), status=status).order_by(JobPosting.id.desc())
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("enterprises/postings.html", page=page, status=status)


@bp.route("/postings/new", methods=["GET", "POST"])
def new_posting():
    form = PostingForm()
    if form.validate_on_submit():
        try:
            actor = current_actor()
            posting = services.create_posting(actor, enterprise_id=actor.enterprise_id, **form.values())
        except DomainError as error:
            form_errors_from(form, error)
            if error.code == "discriminatory_content":
                flash(error.message, "danger")
        else:
            flash(_("Posting saved as a draft. Open it to receive referrals."), "success")
            if posting.bar is not None:
                flash(bars.warning(posting.bar), "warning")
            return redirect(url_for("enterprises.posting_detail", posting_id=posting.id))
    return render_template("enterprises/posting_form.html", form=form)


@bp.get("/postings/<int:posting_id>")
def posting_detail(posting_id: int):
    actor = current_actor()
    posting = queries.get_posting(actor, posting_id)
    referral_form = None
    if actor.role == Role.BASE_MANAGER:
        referral_form = ReferralForm(formdata=None, posting_id=posting.id)
        referral_form.resident_id.choices = placement_queries.referable_residents(actor, posting)
    return render_template("enterprises/posting_detail.html", posting=posting, action_form=EmptyForm(),
                           can_open=posting.can(PostingStatus.OPEN, actor),
                           can_close=posting.can(PostingStatus.CLOSED, actor), referral_form=referral_form,
                           referrals=placement_queries.referrals_of_posting(actor, posting))


def _move_posting(posting_id: int, move, done_message: str):
    posting = queries.get_posting(current_actor(), posting_id)
    if EmptyForm().validate_on_submit():
        try:
            move(current_actor(), posting)
        except DomainError as error:
            flash_error(error)
        else:
            flash(done_message, "success")
    return redirect(url_for("enterprises.posting_detail", posting_id=posting.id))


@bp.post("/postings/<int:posting_id>/open")
def open_posting(posting_id: int):
    return _move_posting(posting_id, services.open_posting, _("Posting opened: base managers can refer residents."))


@bp.post("/postings/<int:posting_id>/close")
def close_posting(posting_id: int):
    return _move_posting(posting_id, services.close_posting, _("Posting closed to new referrals."))


# ---------------------------------------------------------------- the discrimination screen's phrases

@bp.route("/admin/phrases", methods=["GET", "POST"])
def list_phrases():
    form = PhraseForm()
    if form.validate_on_submit():
        try:
            row = services.add_phrase(current_actor(), phrase=form.phrase.data)
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("“%(phrase)s” added to the screen.", phrase=row.phrase), "success")
            return redirect(url_for("enterprises.list_phrases"))
    return render_template("enterprises/phrases.html", form=form, phrases=queries.phrases(),
                           action_form=EmptyForm())


@bp.post("/admin/phrases/<int:phrase_id>/active")
def set_phrase_active(phrase_id: int):
    row = queries.get_phrase(phrase_id)
    if EmptyForm().validate_on_submit():
        active = request.form.get("active") == "1"
        try:
            services.set_phrase_active(current_actor(), row, active=active)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("“%(phrase)s” is back on the screen.", phrase=row.phrase) if active
                  else _("“%(phrase)s” no longer screens postings.", phrase=row.phrase), "success")
    return redirect(url_for("enterprises.list_phrases"))

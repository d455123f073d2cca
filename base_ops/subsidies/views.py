"""Pages of the subsidies module: each role's work queue, the claims, a claim with its rule, history
and evidence, filing a claim, and the county's payment batches (issue 6, docs/domain.md "Subsidies and relief")."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from base_ops.accounts.auth import fresh_login_required
from base_ops.accounts.models import Role, User
from base_ops.core.actor import current_actor
from base_ops.core.bounds import id_or_none
from base_ops.core.clock import today
from base_ops.core.errors import DomainError
from base_ops.core.excel import XLSX_MIMETYPE, attachment
from base_ops.core.forms import EmptyForm
from base_ops.core.redirects import page_on_get
from base_ops.core.ui import flash_error, form_errors_from
from base_ops.extensions import db
from base_ops.intake.models import ReleaseNotice
from base_ops.intake.notices import queries as notices_queries
from base_ops.placements import queries as placement_queries
from base_ops.placements.models import Placement
from base_ops.residents import queries as resident_queries
from base_ops.residents.models import Resident
from base_ops.subsidies import batches, evidence, payees, queries, reference, services
from base_ops.subsidies.forms import (
    BatchForm,
    ClaimForm,
    EvidenceForm,
    PayeeAccountForm,
    ReasonForm,
    RejectForm,
    ReviewForm,
)
from base_ops.subsidies.models import BatchStatus, Claim, ClaimKind, ClaimStatus, PaymentBatch, RejectionReason
from base_ops.subsidies.vocabulary import KIND_LABELS, STATUS_LABELS

bp = Blueprint("subsidies", __name__)

ENTERPRISE_KINDS = (ClaimKind.ONE_TIME_HIRE, ClaimKind.POST_SUBSIDY, ClaimKind.INSURANCE_SUBSIDY)
BASE_KINDS = (ClaimKind.LIVING_ALLOWANCE, ClaimKind.HANDOVER)


@bp.context_processor
def _labels():
    return {"kind_labels": KIND_LABELS, "status_labels": STATUS_LABELS, "evidence_kinds": evidence.KINDS}


def _filters() -> dict[str, str | None]:
    """kind/status/month from the query string; unknown values are ignored, never passed on."""
    kind = request.args.get("kind") or None
    status = request.args.get("status") or None
    month = (request.args.get("month") or "").strip() or None
    return {"kind": kind if kind in {k.value for k in ClaimKind} else None,
            "status": status if status in {s.value for s in ClaimStatus} else None,
            "month": month if month and batches.PERIOD.match(month) else None}


def _filtered(stmt, filters):
    if filters["kind"]:
        stmt = stmt.where(Claim.kind == ClaimKind(filters["kind"]))
    if filters["status"]:
        stmt = stmt.where(Claim.status == ClaimStatus(filters["status"]))
    if filters["month"]:
        stmt = stmt.where(Claim.period == filters["month"])
    return stmt.order_by(Claim.id.desc())


def _reason_choices() -> list[tuple[str, str]]:
    rows = db.session.scalars(select(RejectionReason).where(RejectionReason.is_active).order_by(RejectionReason.code))
    return [("", _("— choose —"))] + [(r.code, r.label) for r in rows]


# ---------------------------------------------------------------- queues and lists

@bp.get("/claims/queue")
def queue():
    filters = _filters()
    stmt = _filtered(queries.queue_for(current_actor()), filters).options(selectinload(Claim.batch))
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("subsidies/queue.html", page=page, filters=filters, action_form=EmptyForm(),
                           bulk=current_actor().role == Role.COUNTY_OFFICER)


@bp.post("/claims/queue/approve")
def bulk_approve():
    # Ticked boxes carry claim ids: anything that cannot be an id is no claim.
    ids = [i for i in (id_or_none(v) for v in request.form.getlist("claim_ids")) if i is not None]
    if not EmptyForm().validate_on_submit() or not ids:
        flash(_("Tick the claims to approve."), "warning")
        return redirect(url_for("subsidies.queue", status="reviewed"))
    outcome = batches.approve_many(current_actor(), ids)
    done = [cid for cid, problem in outcome if problem is None]
    if done:
        flash(_("%(count)s claims approved.", count=len(done)), "success")
    refused = [(cid, problem) for cid, problem in outcome if problem is not None]
    numbers = {c.id: c.number for c in db.session.scalars(select(Claim).where(Claim.id.in_([c for c, _p in refused])))}
    for cid, problem in refused:  # a claim by its readable number (issue 17), an unknown id as it was typed
        flash(_("Claim %(number)s not approved: %(problem)s", number=numbers.get(cid, cid), problem=problem), "danger")
    return redirect(url_for("subsidies.queue", status="reviewed"))


@bp.get("/claims")
def list_claims():
    filters = _filters()
    stmt = _filtered(queries.claims_in_scope(current_actor()), filters).options(selectinload(Claim.batch))
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("subsidies/claims.html", page=page, filters=filters)


# ---------------------------------------------------------------- filing a claim

def _claim_form(formdata=None) -> ClaimForm:
    actor = current_actor()
    form = ClaimForm(formdata=formdata) if formdata is not None else ClaimForm()
    kinds = ENTERPRISE_KINDS if actor.role == Role.ENTERPRISE else BASE_KINDS
    form.kind.choices = [(k.value, KIND_LABELS[k]) for k in kinds]
    none = [(None, _("— choose —"))]
    if actor.role == Role.ENTERPRISE:
        placements = db.session.scalars(placement_queries.placements_in_scope(actor)
                                        .order_by(Placement.started_on.desc()).limit(500)).all()
        form.placement_id.choices = none + [(p.id, f"{p.resident.name} · {p.started_on.isoformat()}")
                                            for p in placements]
    else:
        residents = db.session.scalars(resident_queries.residents_in_scope(actor).order_by(Resident.name)
                                       .limit(500)).all()
        form.resident_id.choices = none + [(r.id, r.name) for r in residents]
        notices = db.session.scalars(notices_queries.notices_in_scope(actor)
                                     .where(ReleaseNotice.is_key_subject).order_by(ReleaseNotice.id.desc())
                                     .limit(500)).all()
        form.release_notice_id.choices = none + [(n.id, f"{n.name} · {n.prison_name}") for n in notices]
    return form


@bp.route("/claims/new", methods=["GET", "POST"])
def new_claim():
    form = _claim_form()
    if request.method == "GET" and not form.month.data:
        form.month.data = today().strftime("%Y-%m")
    status = 200
    if form.validate_on_submit():
        try:
            claim, created = services.create_claim(
                current_actor(), kind=form.kind.data, placement_id=form.placement_id.data,
                resident_id=form.resident_id.data, release_notice_id=form.release_notice_id.data,
                # The month field stays in the page (hidden) for the kinds without one: only the monthly
                # kinds send it (issue 17: the one-time hiring subsidy came back refused for its month).
                month=(form.month.data or None) if form.kind.data in services.MONTHLY_KINDS else None)
        except DomainError as error:
            form_errors_from(form, error)
            status = error.status
        else:
            flash(_("Claim created: %(amount)s CNY.", amount=claim.amount) if created
                  else _("This claim exists already; here it is."), "success" if created else "info")
            return redirect(url_for("subsidies.claim_detail", claim_id=claim.id))
    elif request.method == "POST":
        status = 422
    return render_template("subsidies/claim_form.html", form=form,
                           is_enterprise=current_actor().role == Role.ENTERPRISE), status


# ---------------------------------------------------------------- one claim

def _actions(actor, claim: Claim) -> dict[str, bool]:
    """Which buttons to show: the moves the model says are the actor's (the service accepts exactly those)."""
    moves = claim.moves_for(actor)
    return {
        "submit": ClaimStatus.SUBMITTED in moves,
        "review": ClaimStatus.REVIEWED in moves,
        "approve": ClaimStatus.APPROVED in moves,
        "reject": ClaimStatus.REJECTED in moves,
        "upload": evidence.may_upload(actor, claim),
    }


def _render_claim(claim: Claim, *, evidence_form=None, reject_form=None, status: int = 200):
    actor = current_actor()
    reasons = _reason_choices()
    review_form, reject_form = ReviewForm(formdata=None), reject_form or RejectForm(formdata=None)
    review_form.reason_code.choices = reject_form.reason_code.choices = reasons
    user_ids = {e.actor_id for e in claim.events if e.actor_id}
    names = {uid: name for uid, name in db.session.execute(
        select(User.id, User.display_name).where(User.id.in_(user_ids)))}
    return render_template(
        "subsidies/claim_detail.html", claim=claim, view=queries.claim_view(actor, claim), names=names,
        people=queries.claim_people(claim),
        actions=_actions(actor, claim), action_form=EmptyForm(), review_form=review_form, reject_form=reject_form,
        evidence_form=evidence_form or EvidenceForm(formdata=None), reason_labels=dict(reasons),
    ), status


@bp.get("/claims/<int:claim_id>")
def claim_detail(claim_id: int):
    return _render_claim(queries.get_claim(current_actor(), claim_id))


def _move(claim_id: int, move, done_message: str):
    claim = queries.get_claim(current_actor(), claim_id)
    try:
        move(claim)
    except DomainError as error:
        flash_error(error)
    else:
        flash(done_message, "success")
    return redirect(url_for("subsidies.claim_detail", claim_id=claim_id))


@bp.post("/claims/<int:claim_id>/submit")
def submit_claim(claim_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    return _move(claim_id, lambda c: services.submit(current_actor(), c), _("Claim submitted for review."))


@bp.post("/claims/<int:claim_id>/review")
def review_claim(claim_id: int):
    form = ReviewForm()
    form.reason_code.choices = _reason_choices()
    if not form.validate_on_submit() or form.decision.data not in ("approve", "reject"):
        abort(400)
    return _move(claim_id, lambda c: services.review(current_actor(), c, decision=form.decision.data,
                                                     reason_code=form.reason_code.data or None,
                                                     reason=form.reason.data or None),
                 _("Review recorded."))


@bp.post("/claims/<int:claim_id>/approve")
def approve_claim(claim_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    return _move(claim_id, lambda c: services.approve(current_actor(), c), _("Claim approved."))


@bp.route("/claims/<int:claim_id>/reject", methods=["GET", "POST"])
@page_on_get(lambda **args: url_for("subsidies.claim_detail", **args))
def reject_claim(claim_id: int):
    claim = queries.get_claim(current_actor(), claim_id)
    form = RejectForm()
    form.reason_code.choices = _reason_choices()
    if not form.validate_on_submit():
        return _render_claim(claim, reject_form=form, status=422)
    return _move(claim_id, lambda c: services.reject(current_actor(), c, reason_code=form.reason_code.data,
                                                     reason=form.reason.data), _("Claim rejected."))


@bp.route("/claims/<int:claim_id>/evidence", methods=["GET", "POST"])
@page_on_get(lambda **args: url_for("subsidies.claim_detail", **args))
def upload_evidence(claim_id: int):
    claim = queries.get_claim(current_actor(), claim_id)
    form = EvidenceForm()
    if form.validate_on_submit():
        try:
            evidence.add_evidence(current_actor(), claim, form.file.data, form.kind.data)
        except DomainError as error:
            form_errors_from(form, error)
            return _render_claim(queries.get_claim(current_actor(), claim_id), evidence_form=form, status=error.status)
        flash(_("File added."), "success")
        return redirect(url_for("subsidies.claim_detail", claim_id=claim_id) + "#evidence")
    return _render_claim(claim, evidence_form=form, status=422)


@bp.get("/evidence/<int:evidence_id>")
def download_evidence(evidence_id: int):
    item, path = evidence.open_evidence(current_actor(), evidence_id)
    return send_file(path, mimetype=item.content_type, as_attachment=True, download_name=item.filename,
                     max_age=0)


# ---------------------------------------------------------------- payment batches

def _batch_form(formdata=None) -> BatchForm:
    form = BatchForm(formdata=formdata) if formdata is not None else BatchForm()
    form.region_code.choices = [(r.code, f"{r.name} {r.code}") for r in batches.counties_of(current_actor())]
    return form


def _render_batches(form: BatchForm, status: int = 200):
    stmt = batches.batches_in_scope(current_actor()).order_by(PaymentBatch.id.desc())
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("subsidies/batches.html", page=page, form=form,
                           batch_status_paid=BatchStatus.PAID), status


@bp.get("/batches")
def list_batches():
    form = _batch_form(formdata=None)
    form.period.data = form.period.data or today().strftime("%Y-%m")
    return _render_batches(form)


@bp.post("/batches")
def create_batch():
    form = _batch_form()
    if form.validate_on_submit():
        try:
            batch = batches.create_batch(current_actor(), form.region_code.data, form.period.data)
        except DomainError as error:
            form_errors_from(form, error)
            return _render_batches(form, error.status)
        flash(_("Batch created."), "success")
        return redirect(url_for("subsidies.batch_detail", batch_id=batch.id))
    return _render_batches(form, 422)


@bp.get("/batches/<int:batch_id>")
def batch_detail(batch_id: int):
    batch = batches.get_batch(current_actor(), batch_id)
    claims = batches.claims_of(batch)
    return render_template("subsidies/batch_detail.html", batch=batch, claims=claims, total=batches.total_of(claims),
                           is_open=BatchStatus(batch.status) == BatchStatus.OPEN,
                           may_pay=batch.can(BatchStatus.PAID, current_actor()), action_form=EmptyForm(),
                           full_account=queries.payee_account_visible(current_actor()), mask=queries.mask_account)


@bp.post("/batches/<int:batch_id>/pay")
def pay_batch(batch_id: int):
    batch = batches.get_batch(current_actor(), batch_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        batches.mark_batch_paid(current_actor(), batch)
    except DomainError as error:
        flash_error(error)
    else:
        flash(_("The batch is marked paid."), "success")
    return redirect(url_for("subsidies.batch_detail", batch_id=batch_id))


@bp.get("/batches/<int:batch_id>.xlsx")
@fresh_login_required
def batch_xlsx(batch_id: int):
    batch = batches.get_batch(current_actor(), batch_id)
    content = batches.export_batch(current_actor(), batch)
    return Response(content, mimetype=XLSX_MIMETYPE, headers={
        "Content-Disposition": attachment(f"拨付批次-{batch.number}.xlsx", f"payment-batch-{batch_id}.xlsx")})


# ---------------------------------------------------------------- reference data (admin)

def _render_reference(reason_form=None, status: int = 200):
    return render_template("subsidies/reference.html", reasons=reference.reasons_list(),
                           reason_form=reason_form or ReasonForm(formdata=None)), status


@bp.get("/admin/reference/subsidies")
def reference_data():
    return _render_reference()


@bp.route("/admin/reference/subsidies/reasons", methods=["GET", "POST"])
@page_on_get(lambda **args: url_for("subsidies.reference_data", **args))
def set_reason():
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            reference.set_reason(current_actor(), form.code.data, form.label.data, form.is_active.data)
        except DomainError as error:
            form_errors_from(form, error)
            return _render_reference(form, error.status)
        flash(_("Rejection reason saved."), "success")
        return redirect(url_for("subsidies.reference_data"))
    return _render_reference(form, 422)


# ---------------------------------------------------------------- payee accounts (issue 21)

def _set_payee_account(payee, back: str):
    form = PayeeAccountForm()
    if form.validate_on_submit():
        try:
            payees.set_bank_account(current_actor(), payee, form.bank_account.data)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("Bank account saved."), "success")
    else:
        flash(_("The bank account is at most 40 characters."), "danger")
    return redirect(back)


@bp.post("/enterprises/<int:enterprise_id>/payee-account")
def set_enterprise_account(enterprise_id: int):
    from base_ops.enterprises.queries import get_enterprise

    enterprise = get_enterprise(current_actor(), enterprise_id)
    return _set_payee_account(enterprise, url_for("enterprises.enterprise_detail", enterprise_id=enterprise.id))


@bp.post("/admin/bases/<int:base_id>/payee-account")
def set_base_account(base_id: int):
    from base_ops.org.queries import get_base

    base = get_base(current_actor(), base_id)
    return _set_payee_account(base, url_for("org.base_detail", base_id=base.id))

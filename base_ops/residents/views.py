"""Pages of the residents module: list and search, the person's file (一人一档), forms, case notes."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from base_ops.accounts.auth import fresh_login_required
from base_ops.core.actor import current_actor
from base_ops.core.bounds import page_number
from base_ops.core.clock import today
from base_ops.core.errors import DomainError
from base_ops.core.forms import EmptyForm
from base_ops.core.identity import mask_id_number
from base_ops.core.redirects import page_on_get
from base_ops.core.ui import FetchedPage, flash_error, form_errors_from
from base_ops.extensions import db
from base_ops.intake.vocabulary import DESTINATION_LABELS
from base_ops.org.models import Base
from base_ops.org.queries import region_path
from base_ops.placements.queries import placements_of_resident
from base_ops.residents import queries, services, vocabulary
from base_ops.residents.forms import CaseNoteForm, HardshipForm, ReoffenceForm, ResidentForm, SearchForm, edit_form
from base_ops.residents.models import Resident
from base_ops.training.queries import courses_of_resident

bp = Blueprint("residents", __name__)
RESIDENTS_PER_PAGE = 50
# Templates mask ID numbers with `|mask_id` (first 6 + last 4; docs/domain.md "Identity").
bp.add_app_template_filter(mask_id_number, "mask_id")


@bp.context_processor
def _labels():
    return {"case_note_kind_labels": vocabulary.CASE_NOTE_KIND_LABELS,
            "subject_type_labels": vocabulary.SUBJECT_TYPE_LABELS, "diet_labels": vocabulary.DIET_LABELS,
            "destination_labels": DESTINATION_LABELS, "flag_labels": vocabulary.FLAG_LABELS}


@bp.get("/residents")
def list_residents():
    form = SearchForm(request.args)
    number = page_number()
    try:
        ids, total = queries.resident_list_page(current_actor(), form.q.data, number, RESIDENTS_PER_PAGE)
    except DomainError as error:
        flash_error(error)
        form.q.data = None  # never echo back what may be a whole ID number
        ids, total = [], 0
    page = FetchedPage(page=number, per_page=RESIDENTS_PER_PAGE, items=ids, total=total)
    rows = queries.resident_list_rows(ids)
    return render_template("residents/list.html", page=page, rows=rows, form=form, today=today())


@bp.route("/residents/new", methods=["GET", "POST"])
def new_resident():
    form = ResidentForm()
    form.base_id.choices = [(b.id, b.name) for b in current_actor().bases]
    if form.validate_on_submit():
        try:
            resident = services.create_resident(current_actor(), **form.values(editing=False))
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("File opened for %(name)s.", name=resident.name), "success")
            return redirect(url_for("residents.resident_file", resident_id=resident.id))
    return render_template("residents/form.html", form=form, resident=None)


@bp.route("/residents/<int:resident_id>/edit", methods=["GET", "POST"])
def edit_resident(resident_id: int):
    resident = queries.get_resident(current_actor(), resident_id)
    form = edit_form(resident)
    if form.validate_on_submit():
        try:
            services.update_resident(current_actor(), resident, **form.values(editing=True))
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("File saved."), "success")
            return redirect(url_for("residents.resident_file", resident_id=resident.id))
    return render_template("residents/form.html", form=form, resident=resident)


def _render_file(resident: Resident, *, reveal: bool = False, note_form: CaseNoteForm | None = None,
                 reoffence_form: ReoffenceForm | None = None, hardship_form: HardshipForm | None = None, status=200):
    if note_form is None:
        note_form = CaseNoteForm(formdata=None, noted_on=today())
    stays = queries.stays_of(resident)
    return render_template(
        "residents/file.html", resident=resident, reveal=reveal, note_form=note_form, today=today(),
        reoffence_form=reoffence_form or ReoffenceForm(formdata=None, on=resident.reoffended_on),
        hardship_form=hardship_form or HardshipForm(formdata=None, evidence=resident.hardship_evidence,
                                                    recorded_on=resident.hardship_recorded_on or today()),
        action_form=EmptyForm(),
        hukou_path=region_path(resident.hukou_region_code),
        prison_path=region_path(resident.prison_region_code) if resident.prison_region_code else [],
        stays=stays, in_stay=any(record.stay.is_open for record in stays), notes=queries.case_notes_of(resident),
        courses=courses_of_resident(resident.id), placements=placements_of_resident(resident.id),
        registering_base=db.session.get(Base, resident.base_id),
    ), status


@bp.get("/residents/<int:resident_id>")
def resident_file(resident_id: int):
    return _render_file(queries.get_resident(current_actor(), resident_id))


@bp.get("/residents/<int:resident_id>/sensitive")
@fresh_login_required
def reveal_sensitive(resident_id: int):
    """The file with the full ID number, health notes and bank account: fresh login, audited."""
    resident = queries.get_resident(current_actor(), resident_id)
    services.record_sensitive_view(current_actor(), resident)
    return _render_file(resident, reveal=True)


@bp.route("/residents/<int:resident_id>/case-notes", methods=["GET", "POST"])
@page_on_get(lambda **args: url_for("residents.resident_file", **args))
def add_case_note(resident_id: int):
    resident = queries.get_resident(current_actor(), resident_id)
    form = CaseNoteForm()
    if form.validate_on_submit():
        try:
            services.add_case_note(current_actor(), resident, kind=form.kind.data, noted_on=form.noted_on.data,
                                   text=form.text.data)
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("Case note added."), "success")
            return redirect(url_for("residents.resident_file", resident_id=resident.id) + "#case-notes")
    return _render_file(resident, note_form=form, status=422)


@bp.route("/residents/<int:resident_id>/reoffence", methods=["GET", "POST"])
@page_on_get(lambda **args: url_for("residents.resident_file", **args))
def record_reoffence(resident_id: int):
    """A reoffence in the support period (docs/domain.md "Living allowance": the allowance stops after it)."""
    resident = queries.get_resident(current_actor(), resident_id)
    form = ReoffenceForm()
    if form.validate_on_submit():
        try:
            services.record_reoffence(current_actor(), resident, on=form.on.data)
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("Reoffence recorded on %(date)s.", date=form.on.data.isoformat()), "success")
            return redirect(url_for("residents.resident_file", resident_id=resident.id) + "#hardship-reoffence")
    return _render_file(resident, reoffence_form=form, status=422)


@bp.route("/residents/<int:resident_id>/hardship", methods=["GET", "POST"])
@page_on_get(lambda **args: url_for("residents.resident_file", **args))
def record_hardship(resident_id: int):
    """生活确有困难 with its evidence (seed 002 三(三))."""
    resident = queries.get_resident(current_actor(), resident_id)
    form = HardshipForm()
    if form.validate_on_submit():
        try:
            services.record_hardship(current_actor(), resident, evidence=form.evidence.data,
                                     recorded_on=form.recorded_on.data)
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("Hardship recorded."), "success")
            return redirect(url_for("residents.resident_file", resident_id=resident.id) + "#hardship-reoffence")
    return _render_file(resident, hardship_form=form, status=422)


@bp.post("/residents/<int:resident_id>/hardship/clear")
def clear_hardship(resident_id: int):
    resident = queries.get_resident(current_actor(), resident_id)
    if EmptyForm().validate_on_submit():
        try:
            services.clear_hardship(current_actor(), resident)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("Hardship cleared."), "success")
    return redirect(url_for("residents.resident_file", resident_id=resident.id) + "#hardship-reoffence")

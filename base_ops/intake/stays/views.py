"""Stay pages: open stays with their flags, admission, the stay's page with leave, absence and discharge."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from base_ops.beds.models import BedAssignment
from base_ops.beds.queries import boards, free_bed_ids
from base_ops.core import clock
from base_ops.core.actor import current_actor
from base_ops.core.bounds import date_arg, int_arg
from base_ops.core.errors import DomainError
from base_ops.core.identity import mask_id_number
from base_ops.core.redirects import page_on_get
from base_ops.core.ui import form_errors_from
from base_ops.extensions import db
from base_ops.intake.models import Destination
from base_ops.intake.stays import queries, services
from base_ops.intake.stays.forms import AbsenceForm, AdmitForm, DischargeForm, LeaveForm, ReturnForm
from base_ops.intake.vocabulary import DESTINATION_LABELS
from base_ops.org.models import Base
from base_ops.org.queries import bases_in_scope

bp = Blueprint("stays", __name__)


def _bases():
    return db.session.scalars(bases_in_scope(current_actor()).order_by(Base.name)).all()


@bp.get("/stays")
def list_stays():
    base_id = int_arg("base_id")
    page = db.paginate(queries.open_stay_ids(current_actor(), base_id=base_id), per_page=100, error_out=False)
    rows = queries.open_stays(current_actor(), base_id=base_id, stay_ids=list(page.items))
    return render_template("intake/stays.html", rows=rows, page=page, bases=_bases(), base_id=base_id,
                           night=clock.today())


def _admit_choices(form: AdmitForm) -> None:
    """Residents in scope without an open stay; the manager's bases; the beds free every night from the
    admission date on (issue 21: an admission dated in the past takes only a bed that is really free),
    of the chosen resident's sex when one is chosen."""
    sex_labels = {"male": _("male"), "female": _("female")}
    residents = queries.residents_to_admit(current_actor())
    form.resident_id.choices = [("", _("Choose a resident"))] + [
        (r.id, f"{r.name} · {sex_labels[r.sex.value]} · {r.birth_on.year} · {mask_id_number(r.id_number)}")
        for r in residents]
    chosen = next((r for r in residents if r.id == form.resident_id.data), None)
    bases = _bases()
    form.base_id.choices = [(b.id, b.name) for b in bases]
    night = form.admitted_on.data or clock.today()
    free = free_bed_ids([b.id for b in bases], night)
    rooms_of = boards([b.id for b in bases], night)  # every base's board in one query
    beds = [(tile.id, f"{base.name} · {room.name} ({sex_labels[room.sex.value]}) · {tile.label}")
            for base in bases for room in rooms_of[base.id] for tile in room.tiles
            if tile.id in free and (chosen is None or room.sex == chosen.sex)]
    # The empty choice says how many beds are free, never "no beds" while some are (issue 17).
    form.bed_id.choices = [("", _("Assign a bed later (%(count)s free from that date)", count=len(beds))), *beds]


@bp.route("/stays/new", methods=["GET", "POST"])
def admit():
    form = AdmitForm(admitted_on=date_arg("admitted_on", clock.today()), resident_id=int_arg("resident_id"),
                     base_id=int_arg("base_id"))
    _admit_choices(form)
    if form.validate_on_submit():
        try:
            stay = services.admit(current_actor(), resident_id=form.resident_id.data, base_id=form.base_id.data,
                                  admitted_on=form.admitted_on.data, bed_id=form.bed_id.data,
                                  referral_source=form.referral_source.data, override_reason=form.override_reason.data)
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("%(name)s admitted.", name=stay.resident.name), "success")
            return redirect(url_for("stays.stay_detail", stay_id=stay.id))
    return render_template("intake/stay_admit.html", form=form), 422 if form.errors else 200


def _render_detail(stay, **forms):
    facts = queries.stay_facts(stay)
    night = clock.today()
    forms.setdefault("leave_form", LeaveForm(prefix="leave", start_on=night))
    forms.setdefault("absence_form", AbsenceForm(prefix="absence", start_on=night))
    forms.setdefault("return_form", ReturnForm(prefix="return", returned_on=night))
    default_destination = Destination.SELF_LEFT.value if facts.may_close_as_self_left else None
    forms.setdefault("discharge_form", DischargeForm(prefix="discharge", discharged_on=night,
                                                     destination=default_destination))
    assignments = db.session.scalars(
        select(BedAssignment).where(BedAssignment.stay_id == stay.id).order_by(BedAssignment.start_on)).all()
    # The discharge form is shown exactly when the model says this user may discharge this stay now.
    return render_template("intake/stay_detail.html", stay=stay, facts=facts, assignments=assignments, night=night,
                           stay_moves=stay.moves_for(current_actor()),
                           destination_labels=DESTINATION_LABELS, flag_nights=facts.flag_nights,
                           close_nights=facts.close_nights, **forms)


@bp.get("/stays/<int:stay_id>")
def stay_detail(stay_id: int):
    return _render_detail(queries.get_stay(current_actor(), stay_id))


def _post(stay, form_name: str, form, call, done: str):
    """Validate one of the stay page's forms, call its service, redirect or show the page with errors."""
    if form.validate_on_submit():
        try:
            call(form)
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(done, "success")
            return redirect(url_for("stays.stay_detail", stay_id=stay.id))
    return _render_detail(stay, **{form_name: form}), 422


@bp.route("/stays/<int:stay_id>/leaves", methods=["GET", "POST"])
@page_on_get(lambda **args: url_for("stays.stay_detail", **args))
def record_leave(stay_id: int):
    stay = queries.get_stay(current_actor(), stay_id)
    return _post(stay, "leave_form", LeaveForm(prefix="leave"), lambda f: services.record_leave(
        current_actor(), stay, start_on=f.start_on.data, end_on=f.end_on.data, reason=f.reason.data),
        _("Leave recorded."))


@bp.route("/stays/<int:stay_id>/absences", methods=["GET", "POST"])
@page_on_get(lambda **args: url_for("stays.stay_detail", **args))
def record_absence(stay_id: int):
    stay = queries.get_stay(current_actor(), stay_id)
    return _post(stay, "absence_form", AbsenceForm(prefix="absence"), lambda f: services.record_absence(
        current_actor(), stay, start_on=f.start_on.data, note=f.note.data), _("Absence recorded."))


@bp.route("/absences/<int:absence_id>/return", methods=["GET", "POST"])
@page_on_get(lambda absence_id: url_for("stays.stay_detail",
                                        stay_id=queries.get_absence(current_actor(), absence_id).stay_id))
def record_return(absence_id: int):
    absence = queries.get_absence(current_actor(), absence_id)
    return _post(absence.stay, "return_form", ReturnForm(prefix="return"), lambda f: services.record_return(
        current_actor(), absence, returned_on=f.returned_on.data), _("Return recorded."))


@bp.route("/stays/<int:stay_id>/discharge", methods=["GET", "POST"])
@page_on_get(lambda **args: url_for("stays.stay_detail", **args))
def discharge(stay_id: int):
    stay = queries.get_stay(current_actor(), stay_id)
    return _post(stay, "discharge_form", DischargeForm(prefix="discharge"), lambda f: services.discharge(
        current_actor(), stay, discharged_on=f.discharged_on.data, destination=f.destination.data, note=f.note.data),
        _("Stay closed."))

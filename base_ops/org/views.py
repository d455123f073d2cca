"""Site pages: bases (list, detail with rooms and beds), admin forms, regions, dibao."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from base_ops.core.actor import current_actor
from base_ops.core.clock import today
from base_ops.core.errors import DomainError
from base_ops.core.ui import flash_error, form_errors_from
from base_ops.extensions import db
from base_ops.org import queries, services
from base_ops.org.forms import BaseForm, BedForm, BedServiceForm, DibaoForm, RoomForm
from base_ops.org.models import Base, Region

bp = Blueprint("org", __name__)
bp.add_app_template_filter(queries.region_name, "region_name")


@bp.get("/bases")
def list_bases():
    page = db.paginate(queries.bases_in_scope(current_actor()).order_by(Base.region_code, Base.name), per_page=50,
                       error_out=False)
    counts = queries.bed_counts_by_base([b.id for b in page.items], today())
    return render_template("org/bases.html", page=page, counts=counts)


@bp.get("/bases/<int:base_id>")
def base_detail(base_id: int):
    base = queries.get_base(current_actor(), base_id)
    night = today()
    beds = queries.beds_of_base(base, night)
    rooms: dict[int, dict] = {}
    for bed in beds:
        room = rooms.setdefault(bed["room"]["id"], {"name": bed["room"]["name"], "sex": bed["sex"], "beds": []})
        room["beds"].append(bed)
    for room in base.rooms:  # rooms without beds yet
        rooms.setdefault(room.id, {"name": room.name, "sex": room.sex, "beds": []})
    return render_template("org/base_detail.html", base=base, rooms=rooms, night=night, beds_total=len(beds),
                           beds_serving=sum(1 for bed in beds if bed["in_service"]),
                           region_path=queries.region_path(base.region_code),
                           room_form=RoomForm(prefix="room"), bed_form=BedForm(prefix="bed"),
                           service_form=BedServiceForm(prefix="svc"))


@bp.route("/admin/bases/new", methods=["GET", "POST"])
def new_base():
    form = BaseForm()
    if form.validate_on_submit():
        try:
            base = services.create_base(current_actor(), name=form.name.data, region_code=form.region_code.data,
                                        address=form.address.data, max_stay_days=form.max_stay_days.data,
                                        meal_standard=form.meal_standard.data)
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("Base %(name)s created.", name=base.name), "success")
            return redirect(url_for("org.base_detail", base_id=base.id))
    return render_template("org/base_form.html", form=form, base=None)


@bp.route("/admin/bases/<int:base_id>/edit", methods=["GET", "POST"])
def edit_base(base_id: int):
    base = queries.get_base(current_actor(), base_id)
    form = BaseForm(obj=base)
    if form.validate_on_submit():
        try:
            services.update_base(current_actor(), base, name=form.name.data, region_code=form.region_code.data,
                                 address=form.address.data, max_stay_days=form.max_stay_days.data,
                                 meal_standard=form.meal_standard.data, is_active=form.is_active.data)
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("Base saved."), "success")
            return redirect(url_for("org.base_detail", base_id=base.id))
    return render_template("org/base_form.html", form=form, base=base)


@bp.post("/admin/bases/<int:base_id>/rooms")
def new_room(base_id: int):
    base = queries.get_base(current_actor(), base_id)
    form = RoomForm(prefix="room")
    if form.validate_on_submit():
        try:
            room = services.create_room(current_actor(), base, name=form.name.data, sex=form.sex.data)
            flash(_("Room %(name)s added.", name=room.name), "success")
        except DomainError as error:
            flash_error(error)
    else:
        flash(_("Room not added: give it a name."), "danger")
    return redirect(url_for("org.base_detail", base_id=base.id))


@bp.post("/admin/rooms/<int:room_id>/beds")
def new_bed(room_id: int):
    room = queries.get_room(current_actor(), room_id)
    form = BedForm(prefix="bed")
    if form.validate_on_submit():
        try:
            bed = services.create_bed(current_actor(), room, label=form.label.data,
                                      in_service_from=form.in_service_from.data or today())
            flash(_("Bed %(label)s added.", label=bed.label), "success")
        except DomainError as error:
            flash_error(error)
    else:
        flash(_("Bed not added: give it a label and a valid date."), "danger")
    return redirect(url_for("org.base_detail", base_id=room.base_id))


@bp.post("/admin/beds/<int:bed_id>/service")
def set_bed_service(bed_id: int):
    bed = queries.get_bed(current_actor(), bed_id)
    form = BedServiceForm(prefix="svc")
    if form.validate_on_submit():
        try:
            services.set_bed_service(current_actor(), bed, in_service=form.in_service.data == "1",
                                     from_on=form.from_on.data or today())
            flash(_("Bed %(label)s updated.", label=bed.label), "success")
        except DomainError as error:
            flash_error(error)
    else:
        flash(_("Not changed: the date is not valid."), "danger")
    return redirect(url_for("org.base_detail", base_id=bed.room.base_id))


@bp.get("/admin/regions")
def list_regions():
    parent = request.args.get("parent") or None
    if parent and db.session.get(Region, parent) is None:
        abort(404)
    children = queries.regions(parent)
    child_counts = dict(
        db.session.execute(
            select(Region.parent_code, func.count()).where(Region.parent_code.in_([r.code for r in children]))
            .group_by(Region.parent_code)
        ).all()
    )
    return render_template("org/regions.html", regions=children, child_counts=child_counts,
                           path=queries.region_path(parent) if parent else [])


@bp.route("/admin/reference/dibao", methods=["GET", "POST"])
def dibao():
    form = DibaoForm()
    if form.validate_on_submit():
        try:
            services.put_dibao(current_actor(), region_code=form.region_code.data, year=form.year.data,
                               monthly=form.monthly.data)
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("Dibao standard saved."), "success")
            return redirect(url_for("org.dibao"))
    return render_template("org/dibao.html", form=form, rows=queries.dibao_list())

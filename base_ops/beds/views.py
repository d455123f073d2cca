"""The bed board: a base's rooms and beds for one night, and assign / move / release from it."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from base_ops.beds import queries, services
from base_ops.beds.forms import AssignForm, BoardFilterForm, MoveForm, ReleaseForm
from base_ops.core import clock
from base_ops.core.actor import current_actor
from base_ops.core.errors import DomainError, NotFound
from base_ops.core.ui import flash_error
from base_ops.extensions import db
from base_ops.intake.stays.queries import get_stay
from base_ops.org.models import Base
from base_ops.org.queries import bases_in_scope, get_base

bp = Blueprint("beds", __name__)


@bp.get("/beds")
def board():
    bases = db.session.scalars(bases_in_scope(current_actor()).order_by(Base.name)).all()
    form = BoardFilterForm(request.args)
    if not form.validate():
        flash(_("That night or base could not be read; showing tonight."), "warning")
    base_id = form.base_id.data if not form.base_id.errors else None
    night = (form.on.data if not form.on.errors else None) or clock.today()
    if not bases:
        return render_template("beds/board.html", base=None, bases=bases, night=night)
    base = get_base(current_actor(), base_id) if base_id else bases[0]
    rooms = queries.board(base.id, night)
    return render_template(
        "beds/board.html", base=base, bases=bases, night=night, rooms=rooms, counts=queries.board_counts(rooms),
        vacant=[tile for room in rooms for tile in room.tiles if tile.state == queries.VACANT],
        waiting=queries.stays_without_bed(base.id, night), previous=night - timedelta(days=1),
        next=night + timedelta(days=1), is_today=night == clock.today(),
        assign_form=AssignForm(prefix="assign"), move_form=MoveForm(prefix="move"),
        release_form=ReleaseForm(prefix="release"))


def _back(form):
    """Back to the board the form came from (base and night are plain GET parameters, scope-checked there)."""
    base_id = form.base_id.data if str(form.base_id.data or "").isdigit() else None
    night = form.on.data.isoformat() if form.on.data else None
    return redirect(url_for("beds.board", base_id=base_id, on=night))


def _do(form, call, done):
    if form.validate_on_submit():
        try:
            call(form)
        except NotFound:
            raise  # a stay or bed outside the scope: 404, as anywhere else
        except DomainError as error:
            flash_error(error)
        else:
            flash(done, "success")
    else:
        flash(_("Nothing changed: choose a resident, a bed and a night."), "danger")
    return _back(form)


@bp.post("/beds/assign")
def assign():
    form, actor = AssignForm(prefix="assign"), current_actor()
    return _do(form, lambda f: services.assign_bed(actor, get_stay(actor, f.stay_id.data), f.bed_id.data, f.on.data),
               _("Bed assigned."))


@bp.post("/beds/move")
def move():
    form, actor = MoveForm(prefix="move"), current_actor()
    return _do(form, lambda f: services.assign_bed(actor, get_stay(actor, f.stay_id.data), f.bed_id.data, f.on.data),
               _("Moved to the new bed."))


@bp.post("/beds/release")
def release():
    form, actor = ReleaseForm(prefix="release"), current_actor()
    return _do(form, lambda f: services.release_bed(actor, get_stay(actor, f.stay_id.data), f.on.data),
               _("Bed released."))

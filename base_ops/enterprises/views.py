"""Enterprise pages: the list (admin, county officers in their region) and registration (admin)."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from base_ops.core.errors import DomainError
from base_ops.core.scope import region_filter
from base_ops.core.ui import form_errors_from
from base_ops.enterprises import services
from base_ops.enterprises.forms import EnterpriseForm
from base_ops.enterprises.models import Enterprise
from base_ops.extensions import db

bp = Blueprint("enterprises", __name__)


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
                current_user._get_current_object(), name=form.name.data, uscc=form.uscc.data,
                region_code=form.region_code.data, contact_name=form.contact_name.data,
                contact_phone=form.contact_phone.data,
            )
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("Enterprise %(name)s registered.", name=enterprise.name), "success")
            return redirect(url_for("enterprises.list_enterprises"))
    return render_template("enterprises/form.html", form=form)

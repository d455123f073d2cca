"""Meal pages: the day's roster (made for printing) and the monthly meal cost."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user

from base_ops.accounts.auth import fresh_login_required
from base_ops.core.actor import current_actor
from base_ops.core.bounds import date_arg, int_arg, month_arg
from base_ops.core.clock import today
from base_ops.core.excel import XLSX_MIMETYPE, attachment, file_part
from base_ops.extensions import db
from base_ops.meals import queries, services
from base_ops.meals.vocabulary import DIET_LABELS, MEAL_LABELS
from base_ops.org import queries as org_queries
from base_ops.org.models import Base

bp = Blueprint("meals", __name__)


def _day_arg() -> date:
    return date_arg("date", today())


def _base_arg() -> Base:
    actor = current_actor()
    base_id = int_arg("base_id")
    if base_id is None:
        base = db.session.scalars(org_queries.bases_in_scope(actor).order_by(Base.id).limit(1)).first()
        return base or abort(404)
    return org_queries.get_base(actor, base_id)


def _month_arg() -> date:
    return month_arg("month", today())


def _xlsx(content: bytes, filename: str, fallback: str) -> Response:
    return Response(content, mimetype=XLSX_MIMETYPE, headers={"Content-Disposition": attachment(filename, fallback)})


@bp.get("/meals")
def roster():
    base, day = _base_arg(), _day_arg()
    bases = db.session.scalars(org_queries.bases_in_scope(current_user).order_by(Base.name)).all()
    return render_template("meals/roster.html", base=base, day=day, bases=bases, diet_labels=DIET_LABELS,
                           meal_labels=MEAL_LABELS,
                           counts=queries.diet_counts(base.id, day), lines=queries.roster_lines(base.id, day),
                           previous_day=day - timedelta(days=1), next_day=day + timedelta(days=1))


@bp.get("/meals/roster.xlsx")
@fresh_login_required
def roster_xlsx():
    base, day = _base_arg(), _day_arg()
    content = services.export_roster(current_actor(), base, day)
    return _xlsx(content, f"用餐名单-{file_part(base.name)}-{day.isoformat()}.xlsx",
                 f"meal-roster-{base.id}-{day.isoformat()}.xlsx")


@bp.get("/meals/cost")
def monthly_cost():
    month = _month_arg()
    bases = db.session.scalars(org_queries.bases_in_scope(current_user).order_by(Base.name)).all()
    until = today() + timedelta(days=1)
    costs = queries.monthly_cost(bases, month, until)
    return render_template("meals/cost.html", month=month, costs=costs, until=until,
                           total_days=sum(c.resident_days for c in costs), total_cost=sum(c.cost for c in costs))


@bp.get("/meals/cost.xlsx")
@fresh_login_required
def monthly_cost_xlsx():
    month = _month_arg()
    bases = db.session.scalars(org_queries.bases_in_scope(current_user).order_by(Base.name)).all()
    content = services.export_monthly_cost(current_actor(), bases, month,
                                           today() + timedelta(days=1))
    return _xlsx(content, f"伙食费-{month.strftime('%Y-%m')}.xlsx", f"meal-cost-{month.strftime('%Y-%m')}.xlsx")

"""GET /api/v1/bases/<id>/meal-roster?date= (docs/api.md "Stays, beds, meals")."""

import marshmallow as ma
from flask_smorest import Blueprint

from base_ops.core.actor import current_actor
from base_ops.core.api import StrictSchema
from base_ops.core.clock import today
from base_ops.meals import queries
from base_ops.org import queries as org_queries

blp = Blueprint("meals_api", __name__, description="Meal roster")


class RosterQuerySchema(StrictSchema):
    date = ma.fields.Date(load_default=None)


class DietCountsSchema(ma.Schema):
    standard = ma.fields.Integer(required=True)
    halal = ma.fields.Integer(required=True)
    vegetarian = ma.fields.Integer(required=True)
    medical = ma.fields.Integer(required=True)


class MealsSchema(ma.Schema):
    breakfast = ma.fields.Nested(DietCountsSchema, required=True)
    lunch = ma.fields.Nested(DietCountsSchema, required=True)
    dinner = ma.fields.Nested(DietCountsSchema, required=True)


class RosterSchema(ma.Schema):
    date = ma.fields.Date(required=True)
    residents = ma.fields.Integer(required=True)
    meals = ma.fields.Nested(MealsSchema, required=True)


@blp.route("/bases/<int:base_id>/meal-roster", methods=["GET"])
@blp.arguments(RosterQuerySchema, location="query")
@blp.response(200, RosterSchema)
def get_meal_roster(args, base_id):
    """Residents served that day by meal and diet (in a stay, not on leave, not absent)."""
    base = org_queries.get_base(current_actor(), base_id)
    return queries.roster(base.id, args["date"] or today())

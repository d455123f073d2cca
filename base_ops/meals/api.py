"""JSON API of the meals module (api.md)."""

from flask_smorest import Blueprint

blp = Blueprint("meals_api", __name__, description="meals")

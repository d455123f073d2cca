"""JSON API of the placements module (api.md)."""

from flask_smorest import Blueprint

blp = Blueprint("placements_api", __name__, description="placements")

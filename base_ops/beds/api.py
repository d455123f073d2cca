"""JSON API of the beds module (api.md)."""

from flask_smorest import Blueprint

blp = Blueprint("beds_api", __name__, description="beds")

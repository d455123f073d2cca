"""JSON API of the residents module (api.md)."""

from flask_smorest import Blueprint

blp = Blueprint("residents_api", __name__, description="residents")

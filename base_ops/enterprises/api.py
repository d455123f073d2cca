"""JSON API of the enterprises module (api.md)."""

from flask_smorest import Blueprint

blp = Blueprint("enterprises_api", __name__, description="enterprises")

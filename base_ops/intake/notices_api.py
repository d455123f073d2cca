"""JSON API of the notices module (api.md)."""

from flask_smorest import Blueprint

blp = Blueprint("notices_api", __name__, description="notices")

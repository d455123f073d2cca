"""JSON API of the stays module (api.md)."""

from flask_smorest import Blueprint

blp = Blueprint("stays_api", __name__, description="stays")

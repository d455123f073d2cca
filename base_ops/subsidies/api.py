"""JSON API of the subsidies module (api.md "Claims")."""

from flask_smorest import Blueprint

blp = Blueprint("subsidies_api", __name__, description="Claims")

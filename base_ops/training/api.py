"""JSON API of the training module (api.md)."""

from flask_smorest import Blueprint

blp = Blueprint("training_api", __name__, description="training")

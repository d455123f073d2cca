"""Pages of the placements module."""

from flask import Blueprint

bp = Blueprint("placements", __name__)

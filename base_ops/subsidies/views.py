"""Pages of the subsidies module."""

from flask import Blueprint

bp = Blueprint("subsidies", __name__)

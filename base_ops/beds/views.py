"""Pages of the beds module."""

from flask import Blueprint

bp = Blueprint("beds", __name__)

"""Pages of the notices module."""

from flask import Blueprint

bp = Blueprint("notices", __name__)

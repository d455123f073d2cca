"""Pages of the residents module."""

from flask import Blueprint

bp = Blueprint("residents", __name__)

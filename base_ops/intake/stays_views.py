"""Pages of the stays module."""

from flask import Blueprint

bp = Blueprint("stays", __name__)

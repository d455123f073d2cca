"""Pages of the meals module."""

from flask import Blueprint

bp = Blueprint("meals", __name__)

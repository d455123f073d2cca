"""Pages of the training module."""

from flask import Blueprint

bp = Blueprint("training", __name__)

"""The words of meals, translated, for the roster page and its spreadsheet alike (one home). Diets
are a resident's (residents.vocabulary.DIET_LABELS)."""

from flask_babel import lazy_gettext as _l

from base_ops.residents.vocabulary import DIET_LABELS

MEAL_LABELS = {"breakfast": _l("Breakfast"), "lunch": _l("Lunch"), "dinner": _l("Dinner")}

__all__ = ["DIET_LABELS", "MEAL_LABELS"]

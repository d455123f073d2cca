"""The follow-up contact form (shape and format only; the rules are in followup/services.py)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from base_ops.core.bounds import BoundedDateField
from base_ops.followup.vocabulary import METHOD_LABELS, OUTCOME_LABELS


class FollowUpForm(FlaskForm):
    contacted_on = BoundedDateField(_l("Contacted on"), validators=[DataRequired()])
    method = SelectField(_l("Contact method"), choices=[(k.value, v) for k, v in METHOD_LABELS.items()],
                         validators=[DataRequired()])
    outcome = SelectField(_l("Outcome"), choices=[(k.value, v) for k, v in OUTCOME_LABELS.items()],
                          validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])

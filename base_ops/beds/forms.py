"""Bed board forms: which base and night to show; assign, move, release (shape and format only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired, Optional

from base_ops.core.bounds import BoundedDateField, BoundedIntegerField, optional_id


class BoardFilterForm(FlaskForm):
    """GET parameters of the board: no CSRF token (GET never changes state)."""

    class Meta:
        csrf = False

    base_id = SelectField(_l("Base"), coerce=optional_id, validators=[Optional()], validate_choice=False)
    on = BoundedDateField(_l("Night of"), validators=[Optional()])


class AssignForm(FlaskForm):
    """Put a resident without a bed into a vacant bed from a night on."""

    bed_id = BoundedIntegerField(validators=[DataRequired()])
    stay_id = SelectField(_l("Resident"), coerce=optional_id, validators=[DataRequired()], validate_choice=False)
    on = BoundedDateField(_l("From the night of"), validators=[DataRequired()])
    base_id = HiddenField()


class MoveForm(FlaskForm):
    """Move an occupant to another (vacant) bed from a night on."""

    stay_id = BoundedIntegerField(validators=[DataRequired()])
    bed_id = SelectField(_l("To bed"), coerce=optional_id, validators=[DataRequired()], validate_choice=False)
    on = BoundedDateField(_l("From the night of"), validators=[DataRequired()])
    base_id = HiddenField()


class ReleaseForm(FlaskForm):
    """Give up the bed from a night on (the stay stays open)."""

    stay_id = BoundedIntegerField(validators=[DataRequired()])
    on = BoundedDateField(_l("From the night of"), validators=[DataRequired()])
    base_id = HiddenField()

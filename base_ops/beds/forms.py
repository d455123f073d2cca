"""Bed board forms: which base and night to show; assign, move, release (shape and format only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField
from wtforms.validators import DataRequired, Optional


def optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class BoardFilterForm(FlaskForm):
    """GET parameters of the board: no CSRF token (GET never changes state)."""

    class Meta:
        csrf = False

    base_id = SelectField(_l("Base"), coerce=optional_int, validators=[Optional()], validate_choice=False)
    on = DateField(_l("Night of"), validators=[Optional()])


class AssignForm(FlaskForm):
    """Put a resident without a bed into a vacant bed from a night on."""

    bed_id = IntegerField(validators=[DataRequired()])
    stay_id = SelectField(_l("Resident"), coerce=optional_int, validators=[DataRequired()], validate_choice=False)
    on = DateField(_l("From the night of"), validators=[DataRequired()])
    base_id = HiddenField()


class MoveForm(FlaskForm):
    """Move an occupant to another (vacant) bed from a night on."""

    stay_id = IntegerField(validators=[DataRequired()])
    bed_id = SelectField(_l("To bed"), coerce=optional_int, validators=[DataRequired()], validate_choice=False)
    on = DateField(_l("From the night of"), validators=[DataRequired()])
    base_id = HiddenField()


class ReleaseForm(FlaskForm):
    """Give up the bed from a night on (the stay stays open)."""

    stay_id = IntegerField(validators=[DataRequired()])
    on = DateField(_l("From the night of"), validators=[DataRequired()])
    base_id = HiddenField()

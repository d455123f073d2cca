"""Site forms (shape and format only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from base_ops.core.bounds import BoundedDateField, BoundedIntegerField

SEX_CHOICES = [("male", _l("Male")), ("female", _l("Female"))]


class BaseForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    region_code = StringField(_l("County code (GB/T 2260)"), validators=[DataRequired(), Length(min=6, max=6)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    max_stay_days = BoundedIntegerField(_l("Maximum stay (days)"), default=180,
                                        validators=[DataRequired(), NumberRange(min=1, max=3650)])
    meal_standard = DecimalField(_l("Meal standard (CNY per person per day)"), places=2, default=30,
                                 validators=[DataRequired(), NumberRange(min=0)])
    is_active = BooleanField(_l("In operation"), default=True)


class RoomForm(FlaskForm):
    name = StringField(_l("Room"), validators=[DataRequired(), Length(max=50)])
    sex = SelectField(_l("For"), choices=SEX_CHOICES)


class BedForm(FlaskForm):
    label = StringField(_l("Bed label"), validators=[DataRequired(), Length(max=20)])
    in_service_from = BoundedDateField(_l("In service from"), validators=[Optional()])


class BedServiceForm(FlaskForm):
    in_service = SelectField(_l("Change"), choices=[("0", _l("Take out of service")), ("1", _l("Return to service"))])
    from_on = BoundedDateField(_l("From the night of"), validators=[Optional()])


class DibaoForm(FlaskForm):
    region_code = StringField(_l("Region code"), validators=[DataRequired(), Length(min=6, max=6)])
    year = BoundedIntegerField(_l("Year"), validators=[DataRequired(), NumberRange(min=2000, max=2100)])
    monthly = DecimalField(_l("Monthly standard (CNY)"), places=2, validators=[DataRequired(), NumberRange(min=0.01)])

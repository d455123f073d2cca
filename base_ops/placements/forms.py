"""Referral, hire, retention-check, end and discharge forms (shape only; the rules are the services')."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from base_ops.core.bounds import BoundedDateField, BoundedIntegerField, optional_id


class ReferralForm(FlaskForm):
    posting_id = SelectField(_l("Job posting"), coerce=optional_id, validate_choice=False,
                             validators=[InputRequired()])
    resident_id = SelectField(_l("Resident"), coerce=optional_id, validate_choice=False,
                              validators=[InputRequired()])


class StatusForm(FlaskForm):
    status = HiddenField(validators=[DataRequired()])


class HireForm(FlaskForm):
    started_on = BoundedDateField(_l("Starts on"), validators=[DataRequired()])
    contract_months = BoundedIntegerField(_l("Labour contract (months)"), default=12,
                                          validators=[InputRequired(), NumberRange(min=1, max=120)])
    monthly_wage = DecimalField(_l("Monthly wage (CNY)"), places=2, validators=[InputRequired(), NumberRange(min=0)])
    social_insurance = BooleanField(_l("Social insurance paid"), default=True)


class CheckForm(FlaskForm):
    checked_on = BoundedDateField(_l("Checked on"), validators=[DataRequired()])
    employed = SelectField(_l("Still employed?"), choices=[("1", _l("Yes, still employed")),
                                                           ("0", _l("No, no longer employed"))])


class EndForm(FlaskForm):
    ended_on = BoundedDateField(_l("Ended on"), validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])


class DischargeForm(FlaskForm):
    discharged_on = BoundedDateField(_l("Leaves the base on"), validators=[DataRequired()])

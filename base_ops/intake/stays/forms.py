"""Stay forms: admission, leave, absence, return, discharge (shape and format only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from base_ops.core.bounds import BoundedDateField, optional_id
from base_ops.intake.vocabulary import DESTINATION_LABELS


class AdmitForm(FlaskForm):
    resident_id = SelectField(_l("Resident"), coerce=optional_id, validators=[DataRequired()],
                              validate_choice=False)
    base_id = SelectField(_l("Base"), coerce=optional_id, validators=[DataRequired()], validate_choice=False)
    admitted_on = BoundedDateField(_l("Admitted on"), validators=[DataRequired()])
    bed_id = SelectField(_l("Bed from the first night (optional)"), coerce=optional_id, validate_choice=False)
    referral_source = StringField(_l("Referred by"), validators=[Optional(), Length(max=100)])
    override_reason = TextAreaField(_l("Override reason (only for someone outside the admitted categories)"),
                                    validators=[Optional(), Length(max=500)])


class LeaveForm(FlaskForm):
    start_on = BoundedDateField(_l("First night away"), validators=[DataRequired()])
    end_on = BoundedDateField(_l("First night back"), validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])


class AbsenceForm(FlaskForm):
    start_on = BoundedDateField(_l("First night away without leave"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class ReturnForm(FlaskForm):
    returned_on = BoundedDateField(_l("First night back"), validators=[DataRequired()])


class DischargeForm(FlaskForm):
    discharged_on = BoundedDateField(_l("Discharged on"), validators=[DataRequired()])
    destination = SelectField(_l("Destination"), choices=[(d.value, label) for d, label in DESTINATION_LABELS.items()])
    note = TextAreaField(_l("Note (required for other)"), validators=[Optional(), Length(max=500)])

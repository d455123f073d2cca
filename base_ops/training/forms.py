"""Training forms (shape and format only; the rules are in services)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from base_ops.core.bounds import BoundedDateField, BoundedIntegerField, id_or_none, optional_id
from base_ops.training.services import SKILLS

SKILL_CHOICES = [(s, s) for s in SKILLS]
WEEKDAY_CHOICES = [(1, _l("Mon")), (2, _l("Tue")), (3, _l("Wed")), (4, _l("Thu")), (5, _l("Fri")),
                   (6, _l("Sat")), (7, _l("Sun"))]


class CourseForm(FlaskForm):
    base_id = SelectField(_l("Base"), coerce=optional_id, validators=[DataRequired()], validate_choice=False)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=100)])
    skill = SelectField(_l("Skill"), choices=SKILL_CHOICES)
    trainer = SelectField(_l("Trainer"), validate_choice=False)
    starts_on = BoundedDateField(_l("First day"), validators=[DataRequired()])
    ends_on = BoundedDateField(_l("Last day"), validators=[DataRequired()])
    capacity = BoundedIntegerField(_l("Places"), validators=[InputRequired()])
    hours = DecimalField(_l("Hours in all"), places=1, validators=[InputRequired()])
    threshold_percent = DecimalField(_l("Attendance needed to complete, in percent"), places=1, default=80,
                                     validators=[InputRequired(), NumberRange(min=1, max=100)])
    certificate_type = StringField(_l("Certificate"), validators=[Optional(), Length(max=100)])


class SessionForm(FlaskForm):
    held_on = BoundedDateField(_l("Day"), validators=[DataRequired()])
    hours = DecimalField(_l("Hours"), places=1, validators=[InputRequired()])
    topic = StringField(_l("Topic"), validators=[Optional(), Length(max=100)])


class GenerateSessionsForm(FlaskForm):
    weekdays = SelectMultipleField(_l("Weekdays"), choices=WEEKDAY_CHOICES, coerce=int,
                                   widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                   validators=[DataRequired()])
    from_on = BoundedDateField(_l("From"), validators=[DataRequired()])
    to_on = BoundedDateField(_l("To"), validators=[DataRequired()])
    hours = DecimalField(_l("Hours per session"), places=1, validators=[InputRequired()])
    skip_holidays = BooleanField(_l("Skip public holidays"), default=True)


class EnrolForm(FlaskForm):
    resident_id = SelectField(_l("Resident"), coerce=optional_id, validators=[DataRequired()],
                              validate_choice=False)


class CertificateForm(FlaskForm):
    certificate_number = StringField(_l("Certificate number"), validators=[DataRequired(), Length(max=50)])
    certificate_on = BoundedDateField(_l("Issued on"), validators=[Optional()])


class AttendanceForm(FlaskForm):
    """The roster's radios are named status-<resident_id>; only the CSRF token is a WTForms field."""


def attendance_records(formdata, resident_ids: list[int]) -> list[dict]:
    """The marked rows of the roster form, as records for the service (unmarked rows are left out)."""
    records = []
    for resident_id in resident_ids:
        status = formdata.get(f"status-{resident_id}")
        if status:
            records.append({"resident_id": resident_id, "status": status})
    return records


def extra_records(formdata, resident_ids: list[int]) -> list[dict]:
    """Marks posted for residents not on the roster (tampered or stale form): the service refuses them."""
    known = {f"status-{i}" for i in resident_ids}
    records = []
    for key, status in formdata.items():
        if key.startswith("status-") and key not in known:
            resident_id = id_or_none(key.removeprefix("status-"))
            if resident_id is not None:  # else it names no one at all
                records.append({"resident_id": resident_id, "status": status})
    return records

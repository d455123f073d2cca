"""Release-notice and work-calendar forms (shape and format only; the rules are in intake.notices)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from base_ops.core.bounds import BoundedDateField

KEY_CHOICES = [SelectChoice("", _l("— choose —")), SelectChoice("1", _l("Yes: key subject, collected from the prison")),
               SelectChoice("0", _l("No"))]
DAY_CHOICES = [SelectChoice("1", _l("Working day")), SelectChoice("0", _l("Holiday / rest day"))]


def county_choices(counties: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(code, f"{name} ({code})") for code, name in counties]


class NoticeForm(FlaskForm):
    id_number = StringField(_l("ID number"), validators=[DataRequired(), Length(max=18)])
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=50)])
    prison_name = StringField(_l("Prison"), validators=[DataRequired(), Length(max=100)])
    prison_region_code = StringField(_l("Prison region code"), validators=[DataRequired(), Length(min=6, max=6)])
    expected_release_on = BoundedDateField(_l("Expected release date"), validators=[DataRequired()])
    received_on = BoundedDateField(_l("Notice received on"), validators=[DataRequired()])
    receiving_region_code = SelectField(_l("Receiving county"), validators=[DataRequired()], choices=[])
    is_key_subject = SelectField(_l("Key subject (重点帮教对象)"), choices=KEY_CHOICES, validators=[DataRequired()])
    risk_assessment = TextAreaField(_l("Risk assessment (回归社会危险性评估意见)"),
                                    validators=[Optional(), Length(max=2000)])
    relief_advice = TextAreaField(_l("Relief advice (救助建议)"), validators=[Optional(), Length(max=2000)])


class FeedbackForm(FlaskForm):
    sent_on = BoundedDateField(_l("Receipt sent on"), validators=[DataRequired()])
    arrangement = TextAreaField(_l("Arrangement (who collects, when)"), validators=[DataRequired(), Length(max=2000)])


class CollectionForm(FlaskForm):
    collected_on = BoundedDateField(_l("Collected on"), validators=[DataRequired()])
    collected_by = StringField(_l("Collected by"), validators=[DataRequired(), Length(max=100)])


class ImportUploadForm(FlaskForm):
    file = FileField(_l("Spreadsheet (.xlsx or .csv)"), validators=[FileRequired()])


class ImportConfirmForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$")])
    valid_only = BooleanField(_l("Import the valid rows only; leave the rows with errors out"))


class CalendarDayForm(FlaskForm):
    is_workday = SelectField(_l("Day"), choices=DAY_CHOICES, validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=50)])

"""Resident forms (shape and format only; every rule lives in residents.services, every label in vocabulary)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from base_ops.core.bounds import BoundedDateField, BoundedIntegerField, optional_id
from base_ops.residents.vocabulary import CASE_NOTE_KIND_LABELS, DIET_LABELS, FLAG_LABELS, SUBJECT_TYPE_LABELS


class ResidentForm(FlaskForm):
    """New and edit. On edit, an empty ID number, health note or bank account keeps the
    recorded value, so the form never has to show them in full."""

    id_number = StringField(_l("ID number"), validators=[Length(max=40)])
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=50)])
    ethnicity = StringField(_l("Ethnicity"), validators=[Optional(), Length(max=20)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    hukou_region_code = StringField(_l("Household registration region code"),
                                    validators=[DataRequired(), Length(max=6)])
    hukou_address = StringField(_l("Household registration address"), validators=[Optional(), Length(max=200)])
    subject_type = SelectField(_l("Subject type"), choices=list(SUBJECT_TYPE_LABELS.items()))
    released_on = BoundedDateField(_l("Released on"), validators=[DataRequired()])
    prison_name = StringField(_l("Prison"), validators=[Optional(), Length(max=100)])
    prison_region_code = StringField(_l("Prison region code"), validators=[Optional(), Length(max=6)])
    offence = StringField(_l("Offence"), validators=[Optional(), Length(max=200)])
    sentence_months = BoundedIntegerField(_l("Sentence (months)"), validators=[Optional()])
    registered_on = BoundedDateField(_l("Registered at the justice office on"), validators=[Optional()])
    is_homeless = BooleanField(FLAG_LABELS["is_homeless"])
    has_no_relatives = BooleanField(FLAG_LABELS["has_no_relatives"])
    is_unemployed = BooleanField(FLAG_LABELS["is_unemployed"])
    reoffend_risk = BooleanField(FLAG_LABELS["reoffend_risk"])
    state_security = BooleanField(FLAG_LABELS["state_security"])
    false_identity = BooleanField(FLAG_LABELS["false_identity"])
    special_hardship = BooleanField(FLAG_LABELS["special_hardship"])
    diet = SelectField(_l("Diet"), choices=list(DIET_LABELS.items()))
    dibao_since = BoundedDateField(_l("Dibao paid since"), validators=[Optional()])
    reoffended_on = BoundedDateField(_l("Reoffended on"), validators=[Optional()])
    health_notes = TextAreaField(_l("Health notes"), validators=[Optional(), Length(max=2000)])
    bank_account = StringField(_l("Bank account"), validators=[Optional(), Length(max=40)])
    base_id = SelectField(_l("Registering base"), coerce=optional_id, validate_choice=False)

    FLAGS = tuple(FLAG_LABELS)
    KEEP_IF_EMPTY = ("id_number", "health_notes", "bank_account")
    NEW_ONLY = ("base_id",)
    EDIT_ONLY = ("dibao_since", "reoffended_on")

    def values(self, editing: bool) -> dict:
        """The submitted fields as the service takes them (empty text -> None)."""
        skip = ("csrf_token", *(self.NEW_ONLY if editing else self.EDIT_ONLY))
        data = {}
        for name, field in self._fields.items():
            if name in skip:
                continue
            value = field.data
            if isinstance(value, str):
                value = value.strip() or None
            if editing and name in self.KEEP_IF_EMPTY and value is None:
                continue
            data[name] = value
        if not editing and data.get("base_id") is None:
            data.pop("base_id", None)
        return data


class CaseNoteForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=list(CASE_NOTE_KIND_LABELS.items()))
    noted_on = BoundedDateField(_l("Date"), validators=[DataRequired()])
    text = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=2000)])


class ReoffenceForm(FlaskForm):
    on = BoundedDateField(_l("Reoffended on"), validators=[DataRequired()])


class HardshipForm(FlaskForm):
    evidence = StringField(_l("Evidence of hardship"), validators=[DataRequired(), Length(max=200)])
    recorded_on = BoundedDateField(_l("Recorded on"), validators=[Optional()])


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name or last digits of the ID number"), validators=[Optional(), Length(max=50)])


def edit_form(resident) -> ResidentForm:
    """The edit form filled from the file, with the sensitive fields left empty (keep)."""
    form = ResidentForm(obj=resident)
    if not form.is_submitted():
        for name in ResidentForm.KEEP_IF_EMPTY:
            getattr(form, name).data = None
    return form

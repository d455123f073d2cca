"""Resident forms (shape and format only; every rule lives in residents.services) and display labels."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from base_ops.core.bounds import BoundedDateField, BoundedIntegerField, optional_id
from base_ops.intake.models import Destination
from base_ops.residents.models import CaseNoteKind, Diet, SubjectType

CASE_NOTE_KIND_LABELS = {
    CaseNoteKind.TALK: _l("Talk"),  # 谈心谈话
    CaseNoteKind.COUNSELLING: _l("Counselling"),  # 心理咨询
    CaseNoteKind.JOB_GUIDANCE: _l("Job guidance"),  # 就业指导
    CaseNoteKind.EDUCATION: _l("Education"),  # 教育
    CaseNoteKind.REWARD: _l("Reward"),  # 奖励
    CaseNoteKind.BREACH: _l("Breach of rules"),  # 违纪
}
SUBJECT_TYPE_LABELS = {
    SubjectType.RELEASED: _l("Released from prison"),  # 刑满释放人员
    SubjectType.CORRECTION_ENDED: _l("Community correction ended"),  # 解除社区矫正人员
}
DIET_LABELS = {
    Diet.STANDARD: _l("Standard"),
    Diet.HALAL: _l("Halal"),  # 清真
    Diet.VEGETARIAN: _l("Vegetarian"),
    Diet.MEDICAL: _l("Medical diet"),  # 病号餐
}
SEX_LABELS = {"male": _l("Male"), "female": _l("Female")}
DESTINATION_LABELS = {
    Destination.EMPLOYED: _l("Employed"),
    Destination.RETURNED_HOME: _l("Returned home"),
    Destination.RELATIVES: _l("Went to relatives"),
    Destination.ASSISTANCE_INSTITUTION: _l("Relief institution"),
    Destination.SELF_LEFT: _l("Left on his own"),
    Destination.EXPELLED: _l("Expelled"),
    Destination.REOFFENDED: _l("Reoffended"),
    Destination.HOSPITAL: _l("Long-term medical care"),
    Destination.DECEASED: _l("Deceased"),
    Destination.OTHER: _l("Other"),
}
# Flags as the forms show them, in the order of domain.md "Who is served".
FLAG_LABELS = {
    "is_homeless": _l("No home (无家可归)"),
    "has_no_relatives": _l("No relatives to go to (无亲可投)"),
    "is_unemployed": _l("No job (无业可就)"),
    "reoffend_risk": _l("Obvious tendency to reoffend"),
    "state_security": _l("Convicted of endangering state security"),
    "false_identity": _l("False name, identity or address (三假)"),
    "special_hardship": _l("Community-correction subject in special hardship"),
}


class ResidentForm(FlaskForm):
    """New and edit. On edit, an empty ID number, health note or bank account keeps the
    recorded value, so the form never has to show them in full."""

    id_number = StringField(_l("ID number"), validators=[Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=50)])
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

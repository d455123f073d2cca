"""Claim, review, evidence and batch forms (shape only; the rules and amounts are the engine's)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from base_ops.core.bounds import optional_id
from base_ops.subsidies.evidence import KINDS as EVIDENCE_KINDS

MONTH = Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message=_l("Write the month as YYYY-MM."))


class ClaimForm(FlaskForm):
    """What the claim is for; the amount is computed by the system, never typed."""

    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    placement_id = SelectField(_l("Placement"), coerce=optional_id, validate_choice=False, validators=[Optional()])
    resident_id = SelectField(_l("Resident"), coerce=optional_id, validate_choice=False, validators=[Optional()])
    release_notice_id = SelectField(_l("Release notice"), coerce=optional_id, validate_choice=False,
                                    validators=[Optional()])
    month = StringField(_l("Month (YYYY-MM)"), validators=[Optional(), MONTH])


class ReviewForm(FlaskForm):
    decision = HiddenField(validators=[DataRequired()])
    reason_code = SelectField(_l("Reason"), validate_choice=False, validators=[Optional()])
    reason = TextAreaField(_l("Explanation"), validators=[Optional(), Length(max=1000)])


class RejectForm(FlaskForm):
    reason_code = SelectField(_l("Reason"), validate_choice=False, validators=[InputRequired()])
    reason = TextAreaField(_l("Explanation"), validators=[DataRequired(), Length(max=1000)])


class EvidenceForm(FlaskForm):
    kind = SelectField(_l("What it is"), choices=list(EVIDENCE_KINDS.items()), default="contract")
    file = FileField(_l("File (PDF, JPG or PNG, at most 5 MB)"), validators=[FileRequired()])


class BatchForm(FlaskForm):
    region_code = SelectField(_l("County"), validate_choice=False, validators=[DataRequired()])
    period = StringField(_l("Month (YYYY-MM)"), validators=[DataRequired(), MONTH])


class ReasonForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=100)])
    is_active = BooleanField(_l("In use"), default=True)


class PayeeAccountForm(FlaskForm):
    """The account an enterprise's or a base's claims are paid to (issue 21); empty clears it."""

    bank_account = StringField(_l("Bank account (收款账号)"), validators=[Optional(), Length(max=40)])

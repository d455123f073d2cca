"""Enterprise, agreement, posting and phrase forms (shape only; the rules are the services')."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from base_ops.core.bounds import BoundedDateField, BoundedIntegerField


class EnterpriseForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    uscc = StringField(_l("Unified social credit code"), validators=[DataRequired(), Length(max=30)])
    region_code = StringField(_l("Region code"), validators=[DataRequired(), Length(min=6, max=6)])
    contact_name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=50)])
    contact_phone = StringField(_l("Contact phone"), validators=[DataRequired(), Length(max=30)])


def _months(label, default):
    return BoundedIntegerField(label, default=default, validators=[InputRequired(), NumberRange(min=0, max=1200)])


def _amount(label):
    return DecimalField(label, places=2, validators=[InputRequired(), NumberRange(min=0)])


class AgreementForm(FlaskForm):
    starts_on = BoundedDateField(_l("Valid from"), validators=[DataRequired()])
    ends_on = BoundedDateField(_l("Valid until"), validators=[DataRequired()])
    hire_quota = BoundedIntegerField(_l("Hire quota"), validators=[InputRequired(), NumberRange(min=0, max=10000)])
    min_contract_months = _months(_l("Minimum labour contract (months)"), 12)
    one_time_subsidy = _amount(_l("One-time hiring subsidy (CNY per hire)"))
    one_time_after_months = _months(_l("Payable after retention of (months)"), 6)
    post_subsidy_monthly = _amount(_l("Post subsidy (CNY per month)"))
    post_subsidy_max_months = _months(_l("Post subsidy for at most (months)"), 12)
    insurance_subsidy_monthly = _amount(_l("Social-insurance subsidy (CNY per month)"))
    insurance_subsidy_max_months = _months(_l("Insurance subsidy for at most (months)"), 36)
    budget = _amount(_l("Budget (CNY)"))

    TERMS = ("hire_quota", "min_contract_months", "one_time_subsidy", "one_time_after_months",
             "post_subsidy_monthly", "post_subsidy_max_months", "insurance_subsidy_monthly",
             "insurance_subsidy_max_months", "budget")

    def values(self) -> dict:
        return {"starts_on": self.starts_on.data, "ends_on": self.ends_on.data,
                **{name: getattr(self, name).data for name in self.TERMS}}


class PostingForm(FlaskForm):
    title = StringField(_l("Job title"), validators=[DataRequired(), Length(max=100)])
    description = TextAreaField(_l("Description"), validators=[DataRequired(), Length(max=5000)])
    requirements = TextAreaField(_l("Requirements"), validators=[Optional(), Length(max=2000)])
    positions = BoundedIntegerField(_l("Positions"), default=1,
                                    validators=[InputRequired(), NumberRange(min=1, max=1000)])
    wage_min = DecimalField(_l("Monthly wage from (CNY)"), places=2, validators=[InputRequired(), NumberRange(min=0)])
    wage_max = DecimalField(_l("Monthly wage to (CNY)"), places=2, validators=[InputRequired(), NumberRange(min=0)])
    location = StringField(_l("Place of work"), validators=[DataRequired(), Length(max=200)])
    provides_housing = BooleanField(_l("Housing provided"))

    FIELDS = ("title", "description", "requirements", "positions", "wage_min", "wage_max", "location",
              "provides_housing")

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in self.FIELDS}


class PhraseForm(FlaskForm):
    phrase = StringField(_l("Phrase"), validators=[DataRequired(), Length(max=50)])

"""Account forms: shape and format only; the rules live in services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional

from base_ops.core.bounds import optional_id
from base_ops.core.roles import ROLE_LABELS

# How a token was issued (ApiToken.issued_via), as the account pages name it.
TOKEN_SOURCES = {"api": _l("Sign-in through the API"), "cli": _l("Command line (operator)")}


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class OtpForm(FlaskForm):
    code = StringField(_l("6-digit code"), validators=[DataRequired(), Length(min=6, max=8)])


class ReauthForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class TotpChangeForm(FlaskForm):
    """Before a new second factor is shown: the password, and a code of the current factor if one is on."""

    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    current_code = StringField(_l("Code from your current authenticator app"),
                               validators=[DataRequired(), Length(min=6, max=8)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("Repeat the new password"), validators=[DataRequired(), Length(max=256)])


class UserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=100)])
    email = StringField(_l("E-mail (daily reminder digest)"), validators=[Optional(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[(r.value, label) for r, label in ROLE_LABELS.items()])
    region_code = StringField(_l("Region code (county officers)"), validators=[Optional(), Length(min=6, max=6)])
    base_ids = SelectMultipleField(_l("Bases (managers, trainers)"), coerce=optional_id, validate_choice=False)
    enterprise_id = SelectField(_l("Enterprise (enterprise users)"), coerce=optional_id, validate_choice=False)
    password = PasswordField(_l("Initial password"), validators=[Optional(), Length(max=256)])
    is_enabled = BooleanField(_l("Account enabled"), default=True)


class AdminPasswordForm(FlaskForm):
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])

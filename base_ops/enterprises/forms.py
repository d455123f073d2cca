"""Enterprise forms (shape only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class EnterpriseForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    uscc = StringField(_l("Unified social credit code"), validators=[DataRequired(), Length(max=30)])
    region_code = StringField(_l("Region code"), validators=[DataRequired(), Length(min=6, max=6)])
    contact_name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=50)])
    contact_phone = StringField(_l("Contact phone"), validators=[DataRequired(), Length(max=30)])

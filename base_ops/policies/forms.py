"""Policy forms (shape and format only; the service checks the rules and names each field at fault)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional

from base_ops.core.bounds import BoundedDateField


class PolicyForm(FlaskForm):
    """The document's own fields; each rule's value and article come as `rule-<key>` / `article-<key>`
    (one row per key the engine knows, policies/keys.py), read by the view."""

    region_code = StringField(_l("Region code"), validators=[Optional(), Length(min=6, max=6)])
    title = StringField(_l("Document title"), validators=[DataRequired(), Length(max=200)])
    document_no = StringField(_l("Document number (文号)"), validators=[Optional(), Length(max=100)])
    issued_by = StringField(_l("Issuing body"), validators=[Optional(), Length(max=100)])
    effective_from = BoundedDateField(_l("In force from"), validators=[DataRequired()])
    effective_to = BoundedDateField(_l("Last day in force"), validators=[Optional()])
    supersedes_id = HiddenField()


class EndPolicyForm(FlaskForm):
    effective_to = BoundedDateField(_l("Last day in force"), validators=[DataRequired()])

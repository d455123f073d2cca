"""The report filter of the pages (GET, no CSRF: reading changes nothing)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Optional, Regexp

from base_ops.core.bounds import BoundedDateField, BoundedIntegerField
from base_ops.intake.models import Destination
from base_ops.reports.exports.spreadsheets import EXPORT_KINDS


class ReportFilterForm(FlaskForm):
    class Meta:
        csrf = False

    start = BoundedDateField(_l("From"), validators=[Optional()], name="from")
    end = BoundedDateField(_l("To (exclusive)"), validators=[Optional()], name="to")
    region_code = StringField(_l("Region code"), validators=[Optional(), Regexp(r"^\d{6}$",
                                                                               message=_l("Six digits."))])
    base_id = BoundedIntegerField(_l("Base"), validators=[Optional()])


class PeopleFilterForm(ReportFilterForm):
    kind = SelectField(_l("List"), choices=list(EXPORT_KINDS.items()), default="leavers")
    destination = SelectField(_l("Destination"), choices=[("", "")] + [(d.value, d.value) for d in Destination],
                              default="")

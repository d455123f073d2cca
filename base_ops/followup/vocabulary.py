"""The words of follow-up: contact methods, outcomes and the status of a due, for pages and forms (one home)."""

from flask_babel import lazy_gettext as _l

from base_ops.followup.models import ContactMethod, DueStatus, Outcome

METHOD_LABELS = {
    ContactMethod.VISIT: _l("Visit"),
    ContactMethod.PHONE: _l("Phone"),
    ContactMethod.OTHER: _l("Other contact"),
}
OUTCOME_LABELS = {
    Outcome.STABLE: _l("Stable"),
    Outcome.EMPLOYED: _l("Employed"),
    Outcome.UNEMPLOYED: _l("Unemployed"),
    Outcome.MISSING: _l("Missing (脱管)"),
    Outcome.REOFFENDED: _l("Reoffended"),
    Outcome.DECEASED: _l("Deceased"),
}
DUE_STATUS_LABELS = {
    DueStatus.DUE: _l("Awaiting contact"),
    DueStatus.DONE: _l("Done"),
    DueStatus.MISSED: _l("Missed"),
    DueStatus.CANCELLED: _l("Cancelled"),
}

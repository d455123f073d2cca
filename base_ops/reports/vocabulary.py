"""The words of monthly reports (月报): their sections and where a county stands, translated, for pages
and spreadsheets alike (one home)."""

from flask_babel import lazy_gettext as _l

from base_ops.reports.monthly import services as monthly

SECTION_LABELS = {
    "occupancy": _l("Occupancy"),
    "placements": _l("Admissions and placements"),
    "length_of_stay": _l("Length of stay (leavers)"),
    "retention": _l("Retention"),
    "training": _l("Training"),
    "handover": _l("Handover"),
    "subsidies": _l("Subsidies"),
    "follow_up": _l("Follow-up after discharge"),
}
STATUS_LABELS = {
    monthly.Status.ON_TIME: _l("Submitted on time"),
    monthly.Status.LATE: _l("Submitted late"),
    monthly.Status.MISSING: _l("Not yet submitted"),
    monthly.Status.OVERDUE: _l("Overdue"),
}

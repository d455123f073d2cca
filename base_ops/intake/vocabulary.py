"""The words of stays: where a resident went when he left (离站去向), translated, for the discharge
form, the resident's file, report pages and spreadsheets alike (one home); and a stay's states."""

from flask_babel import lazy_gettext as _l

from base_ops.intake.models import Destination, StayState

DESTINATION_LABELS = {
    Destination.EMPLOYED: _l("Left for a job (就业安置)"),
    Destination.RETURNED_HOME: _l("Returned home (返回户籍地)"),
    Destination.RELATIVES: _l("Went to relatives (投亲)"),
    Destination.ASSISTANCE_INSTITUTION: _l("Referred to a relief institution (救助机构)"),
    Destination.SELF_LEFT: _l("Left on his own / absent too long (自行离站)"),
    Destination.EXPELLED: _l("Expelled for breach of rules (违规清退)"),
    Destination.REOFFENDED: _l("Taken into custody (重新犯罪)"),
    Destination.HOSPITAL: _l("Long-term medical care (长期医疗)"),
    Destination.DECEASED: _l("Died (死亡)"),
    Destination.OTHER: _l("Other (reason required)"),
}

STAY_STATE_LABELS = {
    StayState.OPEN: _l("Open"),
    StayState.DISCHARGED: _l("Discharged"),
}

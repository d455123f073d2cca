"""The words of referrals and placements: each status and each move of the pipeline, and each state of a
placement, translated, for pages, buttons, messages and spreadsheets alike (one home)."""

from flask_babel import lazy_gettext as _l

from base_ops.placements.models import PlacementState, ReferralStatus

REFERRAL_STATUS_LABELS = {
    ReferralStatus.REFERRED: _l("Referred"),
    ReferralStatus.INTERVIEWING: _l("Interviewing"),
    ReferralStatus.OFFERED: _l("Offered"),
    ReferralStatus.HIRED: _l("Hired"),
    ReferralStatus.DECLINED_BY_EMPLOYER: _l("Declined by the employer"),
    ReferralStatus.DECLINED_BY_RESIDENT: _l("Declined by the resident"),
    ReferralStatus.WITHDRAWN: _l("Withdrawn"),
}
# Button labels for the moves of the pipeline.
MOVE_LABELS = {
    ReferralStatus.INTERVIEWING: _l("Invite to interview"),
    ReferralStatus.OFFERED: _l("Make an offer"),
    ReferralStatus.DECLINED_BY_EMPLOYER: _l("Decline"),
    ReferralStatus.DECLINED_BY_RESIDENT: _l("Resident declined"),
    ReferralStatus.WITHDRAWN: _l("Withdraw the referral"),
}
PLACEMENT_STATE_LABELS = {
    PlacementState.ACTIVE: _l("Employed"),
    PlacementState.ENDED: _l("Placement ended"),
    PlacementState.CANCELLED: _l("Hire undone"),
}


def placement_state_word(state: str) -> str:
    """A placement's state as a word for a message; the code itself if unknown."""
    for code, label in PLACEMENT_STATE_LABELS.items():
        if str(code) == str(state):
            return str(label)
    return str(state)

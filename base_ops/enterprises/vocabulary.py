"""The words of job postings, translated, for pages and messages alike (one home).

A refused move names both statuses in words (`status_word`), posting or referral, so users never
see a raw code.
"""

from flask_babel import lazy_gettext as _l

from base_ops.enterprises.models import PostingStatus

POSTING_STATUS_LABELS = {
    PostingStatus.DRAFT: _l("Draft"),
    PostingStatus.OPEN: _l("Open"),
    PostingStatus.CLOSED: _l("Closed"),
}


def status_word(status: str) -> str:
    """A posting's or a referral's status as a word for a message; the code itself if unknown."""
    from base_ops.placements.vocabulary import REFERRAL_STATUS_LABELS

    for labels in (POSTING_STATUS_LABELS, REFERRAL_STATUS_LABELS):
        for code, label in labels.items():
            if str(code) == str(status):
                return str(label)
    return str(status)

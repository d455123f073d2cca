"""The words of subsidy claims: each kind and status, translated, for forms, pages, dashboards and
spreadsheets alike (one home)."""

from flask_babel import lazy_gettext as _l

from base_ops.subsidies.models import ClaimKind, ClaimStatus

KIND_LABELS = {
    ClaimKind.ONE_TIME_HIRE: _l("One-time hiring subsidy"),
    ClaimKind.POST_SUBSIDY: _l("Post subsidy"),
    ClaimKind.INSURANCE_SUBSIDY: _l("Social-insurance subsidy"),
    ClaimKind.LIVING_ALLOWANCE: _l("Transitional living allowance"),
    ClaimKind.HANDOVER: _l("Handover subsidy"),
}
STATUS_LABELS = {
    ClaimStatus.DRAFT: _l("Draft"),
    ClaimStatus.SUBMITTED: _l("Submitted"),
    ClaimStatus.REVIEWED: _l("Reviewed"),
    ClaimStatus.APPROVED: _l("Approved"),
    ClaimStatus.PAID: _l("Paid out"),
    ClaimStatus.REJECTED: _l("Rejected"),
}

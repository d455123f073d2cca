"""The rejection reason codes, maintained by an admin and audited (issue 6: "configurable reference data,
not constants"). The rates and thresholds the amounts are computed from are policy documents
(base_ops/policies/)."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from base_ops.accounts.models import Role
from base_ops.core import audit
from base_ops.core.errors import PermissionDenied, ValidationFailed
from base_ops.core.unit_of_work import use_case
from base_ops.extensions import db
from base_ops.subsidies.models import RejectionReason

CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def _require_admin(actor) -> None:
    if actor is None or actor.role != Role.ADMIN:
        raise PermissionDenied(_("Only an administrator maintains subsidy reference data."))


def reasons_list() -> list[RejectionReason]:
    return list(db.session.scalars(select(RejectionReason).order_by(RejectionReason.code)))


@use_case
def set_reason(actor, code: str, label: str, is_active: bool) -> RejectionReason:
    """Add a rejection reason code, or relabel / retire one (codes used by claims are never deleted)."""
    _require_admin(actor)
    code = (code or "").strip()
    label = (label or "").strip()
    if not CODE.match(code):
        raise ValidationFailed.on("code", _("use lower-case letters, digits and _ (2–40 characters)"))
    if not label or len(label) > 100:
        raise ValidationFailed.on("label", _("is required, at most 100 characters"))
    row = db.session.get(RejectionReason, code)
    created = row is None
    if created:
        row = RejectionReason(code=code, label=label, is_active=bool(is_active))
        db.session.add(row)
    else:
        row.label, row.is_active = label, bool(is_active)
    audit.record(actor, "rejection_reason_set", object_type="RejectionReason", object_id=code, label=label,
                 is_active=bool(is_active), created=created)
    return row

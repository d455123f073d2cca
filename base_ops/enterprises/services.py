"""Enterprise use cases (the partner-enterprise work builds agreements and postings on these)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from base_ops.core import audit
from base_ops.core.errors import Conflict, ValidationFailed
from base_ops.core.identity import validate_uscc
from base_ops.enterprises.models import Enterprise
from base_ops.extensions import db
from base_ops.org.models import Region


def create_enterprise(actor, *, name: str, uscc: str, region_code: str, contact_name: str,
                      contact_phone: str) -> Enterprise:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed.on("name", _("is required"))
    code = validate_uscc(uscc)
    if db.session.get(Region, region_code or "") is None:
        raise ValidationFailed.on("region_code", _("no region with code %(code)r", code=region_code))
    if not (contact_name or "").strip():
        raise ValidationFailed.on("contact_name", _("is required"))
    phone = (contact_phone or "").strip()
    if not phone or not all(c.isdigit() or c in "+- " for c in phone) or not phone.isascii():
        raise ValidationFailed.on("contact_phone", _("use digits, spaces, '+' or '-'"))
    existing = db.session.execute(select(Enterprise).where(Enterprise.uscc == code)).scalar_one_or_none()
    if existing is not None:
        raise Conflict(_("An enterprise with this credit code exists."), fields={"uscc": [_("is already registered")]},
                       code="enterprise_exists", extra={"id": existing.id})
    enterprise = Enterprise(name=name, uscc=code, region_code=region_code, contact_name=contact_name.strip(),
                            contact_phone=phone)
    db.session.add(enterprise)
    audit.record(actor, "enterprise_created", enterprise, region_code=region_code)
    db.session.commit()
    return enterprise

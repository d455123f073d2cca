"""The six roles a user can hold, and how the pages name them.

A role is a kernel concept: the access table (core.permissions) and the row-level scope
(core.scope) are written in roles, and the kernel imports no domain package. So the enum lives
here, and accounts.models (whose User carries a role) imports it from here;
`from base_ops.accounts.models import Role` keeps working.
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class Role(enum.StrEnum):
    ADMIN = "admin"
    AUDITOR = "auditor"
    COUNTY_OFFICER = "county_officer"
    BASE_MANAGER = "base_manager"
    TRAINER = "trainer"
    ENTERPRISE = "enterprise"


ROLE_LABELS = {
    Role.ADMIN: _l("System administrator"),
    Role.AUDITOR: _l("Auditor"),
    Role.COUNTY_OFFICER: _l("County officer"),
    Role.BASE_MANAGER: _l("Base manager"),
    Role.TRAINER: _l("Trainer"),
    Role.ENTERPRISE: _l("Partner enterprise"),
}

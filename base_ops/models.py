"""Imports every model module so the metadata (and Alembic) sees all tables."""

from base_ops.accounts import models as accounts_models  # noqa: F401
from base_ops.beds import models as beds_models  # noqa: F401
from base_ops.core import (
    audit,  # noqa: F401
    workdays,  # noqa: F401
)
from base_ops.enterprises import models as enterprises_models  # noqa: F401
from base_ops.followup import models as followup_models  # noqa: F401
from base_ops.intake import models as intake_models  # noqa: F401
from base_ops.org import models as org_models  # noqa: F401
from base_ops.placements import models as placements_models  # noqa: F401
from base_ops.policies import models as policies_models  # noqa: F401
from base_ops.reminders import models as reminders_models  # noqa: F401
from base_ops.reports import models as reports_models  # noqa: F401
from base_ops.residents import models as residents_models  # noqa: F401
from base_ops.subsidies import models as subsidies_models  # noqa: F401
from base_ops.training import models as training_models  # noqa: F401

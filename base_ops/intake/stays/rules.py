"""Who may be admitted without an override reason (docs/domain.md "Who is served"), as pure functions.

Asked by the admission use case and by the seeds (base_ops/seed/domain.py), which write an override
reason on exactly the stays these functions find a problem with. No database, no clock. `resident` is
a Resident (a transient one will do): its age, 三无, key-subject and special-hardship answers are the
model's.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

ADULT_AGE = 18  # residents are adults: 16 and 17 only with an override reason


def is_adult(resident, on: date) -> bool:
    return resident.age_on(on) >= ADULT_AGE


def in_served_category(resident) -> bool:
    """三无, a key subject, or a 社区矫正 person in special hardship."""
    return resident.is_key_subject or resident.is_three_none or resident.special_hardship


def admissible(resident, admitted_on: date) -> bool:
    """Admitted without an override reason: `eligibility_problem` finds nothing (without wording it)."""
    return is_adult(resident, admitted_on) and in_served_category(resident)


def eligibility_problem(resident, admitted_on: date) -> str | None:
    """Why the resident is outside the admitted categories on `admitted_on`, or None."""
    if not is_adult(resident, admitted_on):
        return _("%(name)s is under 18: residents are adults.", name=resident.name)
    if not in_served_category(resident):
        return _("%(name)s is neither a 三无 person, a key subject nor in special hardship.", name=resident.name)
    return None

"""Building blocks for placement tests, made through the services (as users would)."""

from __future__ import annotations

from datetime import date, timedelta

from stdnum.cn import ric


def id_number(serial: int, male: bool = True) -> str:
    """A valid ID number of 330106, distinct for each serial below 8000 (the birth date moves
    by a day per serial from 1984-01-01), with its check character."""
    birth = date(1984, 1, 1) + timedelta(days=serial % 8000)
    seq = f"{serial % 100:02d}{(serial // 100 % 5) * 2 + (1 if male else 0)}"
    body = f"330106{birth:%Y%m%d}{seq}"
    return body + ric.calc_check_digit(body + "0")  # stdnum wants a placeholder check character


def admit_new_resident(manager, base, serial: int, name: str, *, admitted_on=date(2026, 10, 1), **fields):
    """A resident registered and admitted to `base` by `manager` (residents and stays services)."""
    from base_ops.intake.stays import services as stays
    from base_ops.residents import services as residents

    values = {"id_number": id_number(serial), "name": name, "hukou_region_code": "330106",
              "subject_type": "released", "released_on": date(2026, 9, 1), "registered_on": date(2026, 9, 5),
              "is_homeless": True, "has_no_relatives": True, "is_unemployed": True, "reoffend_risk": False,
              "state_security": False, "false_identity": False, "base_id": base.id}
    values.update(fields)
    resident = residents.create_resident(manager, **values)
    stay = stays.admit(manager, resident_id=resident.id, base_id=base.id, admitted_on=admitted_on)
    return resident, stay

"""A discharge as `reoffended` records the reoffence on the person, and the living allowance stops from
the month after (docs/domain.md "Living allowance"; issue 18: 720.00 was computed for the month after)."""

from __future__ import annotations

from datetime import date

import pytest

from base_ops.core.errors import ValidationFailed
from base_ops.intake.stays import services as stays
from base_ops.subsidies import services


def test_the_allowance_for_the_month_after_a_reoffended_discharge_is_refused(sw, db):
    stays.discharge(sw.manager_a, sw.stay_a, discharged_on=date(2026, 11, 10), destination="reoffended")
    db.session.refresh(sw.resident_a)
    assert sw.resident_a.reoffended_on == date(2026, 11, 10)
    october, created = services.create_claim(sw.manager_a, kind="living_allowance", resident_id=sw.resident_a.id,
                                             month="2026-10")
    assert created and october.amount > 0  # a month before the reoffence is still paid
    with pytest.raises(ValidationFailed) as error:
        services.create_claim(sw.manager_a, kind="living_allowance", resident_id=sw.resident_a.id, month="2026-12")
    assert error.value.code == "not_eligible"


def test_a_discharge_elsewhere_records_no_reoffence(sw, db):
    stays.discharge(sw.manager_a, sw.stay_a, discharged_on=date(2026, 11, 10), destination="returned_home")
    db.session.refresh(sw.resident_a)
    assert sw.resident_a.reoffended_on is None


def test_an_earlier_reoffence_recorded_on_the_file_is_kept_by_the_discharge(sw, db):
    from base_ops.residents import services as residents

    residents.record_reoffence(sw.manager_a, sw.resident_a, on=date(2026, 11, 2))
    stays.discharge(sw.manager_a, sw.stay_a, discharged_on=date(2026, 11, 10), destination="reoffended")
    db.session.refresh(sw.resident_a)
    assert sw.resident_a.reoffended_on == date(2026, 11, 2)

"""Intake's use cases in the unit of work (core/unit_of_work.py): the database's own guards, violated by a
request that passed the friendly check (a concurrent one got there first), are the same 409s."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from base_ops.core.errors import Conflict
from base_ops.core.unit_of_work import unit_of_work
from base_ops.intake.models import Absence, ReleaseNotice
from base_ops.intake.notices import services as notices
from base_ops.intake.stays import services as stays
from tests.beds.helpers import TODAY
from tests.intake.test_notices import notice_fields


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("base_ops.core.clock.today", lambda: TODAY)


def test_a_notice_registered_meanwhile_is_409_notice_exists_with_its_id(world, db, monkeypatch):
    first = notices.register_notice(world.manager_a, **notice_fields())
    real = notices._existing_notice_id
    calls = []

    def missed_by_the_check(id_number, expected_release_on):
        calls.append(1)
        return None if len(calls) == 1 else real(id_number, expected_release_on)

    monkeypatch.setattr(notices, "_existing_notice_id", missed_by_the_check)
    with pytest.raises(Conflict) as caught:
        notices.register_notice(world.officer_x, **notice_fields(name="另一个名字"))
    assert caught.value.code == "notice_exists"
    assert caught.value.extra == {"id": first.id}
    assert db.session.scalar(select(func.count()).select_from(ReleaseNotice)
                             .where(ReleaseNotice.id_number == first.id_number)) == 1


def test_a_second_open_stay_refused_by_the_index_is_409_open_stay_exists(world, db, monkeypatch, english):
    monkeypatch.setattr(stays, "open_stay_id", lambda resident_id: None)  # the check missed the other stay
    with pytest.raises(stays.OpenStayExists) as caught:
        stays.admit(world.manager_a, resident_id=world.resident_a.id, base_id=world.base_a.id, admitted_on=TODAY)
    assert caught.value.code == "open_stay_exists"
    assert world.resident_a.name in caught.value.message


def test_a_second_open_absence_refused_by_the_index_is_409_absence_open(world, db):
    stays.record_absence(world.manager_a, world.stay_a, start_on=date(2026, 11, 18))
    with pytest.raises(Conflict) as caught, unit_of_work():  # as a concurrent request that passed the check
        db.session.add(Absence(stay_id=world.stay_a.id, start_on=date(2026, 11, 19)))
    assert caught.value.code == "absence_open"
    assert db.session.scalar(select(func.count()).select_from(Absence)
                             .where(Absence.stay_id == world.stay_a.id)) == 1

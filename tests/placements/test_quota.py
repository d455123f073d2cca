"""The agreement's hire quota is enforced (issue 18; docs/domain.md "Placement agreements"): a hire beyond
the quota of the agreement in force is `409 quota_reached` naming the quota, on the service, the API
and the page, and nothing is written. The race of two hires for the last place of the quota is in
tests/placements/test_races.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from base_ops.core.errors import Conflict
from base_ops.enterprises import services as enterprise_services
from base_ops.placements import services
from base_ops.placements.models import Placement, ReferralStatus
from tests.placements.conftest import hire

TERMS = {"min_contract_months": 12, "one_time_subsidy": Decimal("3000"), "one_time_after_months": 6,
         "post_subsidy_monthly": Decimal("600"), "post_subsidy_max_months": 12,
         "insurance_subsidy_monthly": Decimal("800"), "insurance_subsidy_max_months": 36,
         "budget": Decimal("100000")}


def _placements(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Placement))


@pytest.fixture
def quota_of_one(world, db):
    """The world's agreement (2026–2027) allows one hire, and placement_a (2026-11-10) already took it."""
    world.agreement.hire_quota = 1
    db.session.commit()
    return world.agreement


def test_a_hire_beyond_the_quota_is_409_quota_reached_and_writes_nothing(world, db, offered, job, quota_of_one):
    before = _placements(db)
    with pytest.raises(Conflict) as error:
        hire(world, offered)
    assert error.value.code == "quota_reached" and error.value.status == 409
    assert "1" in error.value.message
    db.session.rollback()
    db.session.refresh(offered)
    db.session.refresh(job)
    assert offered.status == ReferralStatus.OFFERED and job.open_positions == 1
    assert _placements(db) == before


def test_within_the_quota_the_hire_goes_through(world, db, offered):
    world.agreement.hire_quota = 2
    db.session.commit()
    assert hire(world, offered).agreement_id == world.agreement.id


def test_an_undone_hire_gives_its_place_in_the_quota_back(world, db, offered, quota_of_one):
    services.cancel_placement(world.enterprise_user, world.placement_a)
    assert hire(world, offered).agreement_id == world.agreement.id


def test_a_new_version_for_the_same_period_keeps_counting_and_a_renewal_starts_afresh(world, db, offered):
    enterprise_services.create_agreement(world.officer_x, world.enterprise, starts_on=date(2026, 1, 1),
                                         ends_on=date(2027, 12, 31), hire_quota=1, **TERMS)
    with pytest.raises(Conflict) as error:
        hire(world, offered)
    assert error.value.code == "quota_reached"
    db.session.rollback()
    renewal = enterprise_services.create_agreement(world.officer_x, world.enterprise, starts_on=date(2026, 11, 15),
                                                   ends_on=date(2027, 11, 14), hire_quota=1, **TERMS)
    assert hire(world, offered).agreement_id == renewal.id  # placement_a started before the renewal's period


def test_the_api_answers_409_quota_reached(world, client, api_headers, db, offered, quota_of_one):
    response = client.post("/api/v1/placements", headers=api_headers(world.enterprise_user),
                           json={"referral_id": offered.id, "started_on": "2026-11-16", "contract_months": 12,
                                 "monthly_wage": "4200.00", "social_insurance": True})
    assert response.status_code == 409, response.json
    assert response.json["error"]["code"] == "quota_reached"
    assert "1" in response.json["error"]["message"]


def test_the_page_says_the_quota_is_reached(world, login_as, db, offered, quota_of_one, english):
    response = login_as(world.enterprise_user).post(f"/referrals/{offered.id}/hire", data={
        "started_on": "2026-11-16", "contract_months": "12", "monthly_wage": "4200", "social_insurance": "y"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "alert-danger" in page and "hire quota of 1" in page

"""The demo and synthetic seeds make the follow-up schedule of every discharge, as the discharge service does."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from base_ops.followup import services
from base_ops.followup.models import FollowUpDue


@pytest.fixture(autouse=True)
def today_is():
    """The seeds run on the real today (the package's frozen day is years ahead)."""
    return None


def test_the_demo_has_dues_and_scheduling_again_adds_none(db):
    from base_ops.seed import loaders

    assert loaders.load_demo() is True
    assert db.session.scalar(select(func.count()).select_from(FollowUpDue)) > 0
    assert services.schedule_all() == 0


def test_the_synthetic_world_has_the_same_dues_the_service_makes(app, db):
    result = app.test_cli_runner().invoke(args=["seed", "synthetic", "--scale", "small"])
    assert result.exit_code == 0, result.output
    written = db.session.scalar(select(func.count()).select_from(FollowUpDue))
    assert written > 0
    rows = set(db.session.execute(select(FollowUpDue.stay_id, FollowUpDue.sequence, FollowUpDue.due_on,
                                         FollowUpDue.closes_on)).all())
    db.session.execute(FollowUpDue.__table__.delete())
    assert services.schedule_all() == written
    assert set(db.session.execute(select(FollowUpDue.stay_id, FollowUpDue.sequence, FollowUpDue.due_on,
                                         FollowUpDue.closes_on)).all()) == rows

"""The base manager's Today page: each number counted right, each linking to its list."""

from __future__ import annotations

from datetime import date

import pytest

from base_ops.home import today as today_summary
from base_ops.intake.models import Absence, Stay
from base_ops.residents.models import Resident

DAY = date(2026, 11, 21)


@pytest.fixture
def busy(world, db):
    """base_a adds: a resident without a bed absent for 5 nights, and an overstayer."""
    absent = Resident(id_number="330106198401010055", name="赵七", sex="male", birth_on=date(1984, 1, 1),
                      hukou_region_code="330106", subject_type="released", released_on=date(2026, 1, 1),
                      base_id=world.base_a.id)
    db.session.add(absent)
    db.session.flush()
    stay = Stay(resident_id=absent.id, base_id=world.base_a.id, admitted_on=date(2026, 3, 1))  # 265 days > 180
    db.session.add(stay)
    db.session.flush()
    db.session.add(Absence(stay_id=stay.id, start_on=date(2026, 11, 16)))
    db.session.commit()
    return world


def test_counts(busy):
    summary = today_summary.for_bases([busy.base_a], DAY)
    # base_a: room 101 male beds A (occupied by resident_a) and B; room 201 female bed A.
    assert summary.beds == {"male": {"in_service": 2, "occupied": 1, "vacant": 1},
                            "female": {"in_service": 1, "occupied": 0, "vacant": 1}}
    assert summary.open_stays == 2
    assert summary.without_bed == 1
    assert summary.overstays == 1
    assert (summary.absent, summary.absent_flagged) == (1, 1)
    # notice_x: received 2026-11-16, due 2026-11-23, release 2026-12-20 (outside 14 days).
    assert (summary.feedback_due_today, summary.feedback_overdue, summary.expected_arrivals) == (0, 0, 0)
    later = today_summary.for_bases([busy.base_a], date(2026, 12, 10))
    assert later.feedback_overdue == 1
    assert later.expected_arrivals == 1


def test_the_absence_flag_follows_the_policy_not_a_constant(busy):
    """issue 18: "Today" flagged absences after a hard-coded 3 nights; it follows the base's county policy."""
    from base_ops.policies import changes

    first = changes.adopt(busy.admin, {"region_code": busy.base_a.region_code, "title": "离站规则",
                                       "effective_from": date(2020, 1, 1), "rules": {"absence_flag_nights": 10}})
    summary = today_summary.for_bases([busy.base_a], DAY)  # the resident has been away 5 nights
    assert (summary.absent, summary.absent_flagged) == (1, 0)
    changes.adopt(busy.admin, {"region_code": busy.base_a.region_code, "title": "离站规则（修订）",
                               "effective_from": DAY, "rules": {"absence_flag_nights": 4}, "supersedes_id": first.id})
    assert today_summary.for_bases([busy.base_a], DAY).absent_flagged == 1


def test_other_bases_do_not_count(busy):
    summary = today_summary.for_bases([busy.base_b], DAY)
    assert summary.open_stays == 1
    assert summary.overstays == 0 and summary.absent == 0


def test_today_page_links_each_number(busy, login_as, monkeypatch):
    monkeypatch.setattr("base_ops.home.views.today", lambda: DAY)
    body = login_as(busy.manager_a).get("/").get_data(as_text=True)
    for href in ("/notices?status=due_today", "/notices?status=overdue", "/notices?status=upcoming",
                 "/stays?flag=no_bed", "/stays?flag=absent", "/stays?flag=overstay", "/beds"):
        assert f'href="{href}' in body, href

"""The county officer's home lists his work waiting, each item a link to where it is done (issue 17)."""

from __future__ import annotations

import re

from base_ops.home import work
from base_ops.reports.monthly import services as monthly


def test_the_officer_home_links_claims_and_reports_waiting(world, login_as):
    body = login_as(world.officer_x).get("/").get_data(as_text=True)
    assert 'id="work-approve" href="/claims/queue?status=reviewed"' in body
    assert 'id="work-batch" href="/claims/queue?status=approved"' in body
    month = monthly.last_finished_month()
    # Nothing is submitted in the plain world: the county's last finished month is waiting, as a link.
    assert re.search(rf'class="[^"]*work-report" href="/reports/monthly/330106/{month}"', body)


def test_work_counts_follow_the_queue(world, db):
    waiting = work.for_officer(world.officer_x)
    assert (waiting.claims_to_approve, waiting.claims_to_batch) == (0, 0)
    assert waiting.reports_due[0].month == monthly.last_finished_month()
    assert {due.region_code for due in waiting.reports_due} == {"330106"}

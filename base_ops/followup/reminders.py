"""The follow_up_due reminder source (base_ops/reminders/sources.py "The Candidate contract").

Each open due whose day is within the next 7 days, or past while its window is still open
(followup/models.py FollowUpDue: closes_on), is an item for every enabled manager of the base of the stay the
schedule belongs to (the person's last stay). One set-based query (docs/architecture.md rule 7); a due that is
done, cancelled or whose window closed is no longer returned, so its item closes.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from base_ops.accounts.models import Role, User, user_bases
from base_ops.extensions import db
from base_ops.followup.models import FollowUpDue
from base_ops.intake.models import Stay

WITHIN_DAYS = 7  # issue 19: follow-ups due in the next 7 days, or overdue


def follow_up_due(day: date) -> list:
    """Candidates (user_id, "follow_up_due", "resident", resident id, due_on) for `day`."""
    from base_ops.reminders.sources import Candidate  # the reminders package owns the contract

    rows = db.session.execute(
        select(user_bases.c.user_id, FollowUpDue.resident_id, FollowUpDue.due_on)
        .select_from(FollowUpDue).join(Stay, Stay.id == FollowUpDue.stay_id)
        .join(user_bases, user_bases.c.base_id == Stay.base_id).join(User, User.id == user_bases.c.user_id)
        .where(User.role == Role.BASE_MANAGER, User.is_enabled.is_(True),
               FollowUpDue.done_follow_up_id.is_(None), FollowUpDue.cancelled_on.is_(None),
               FollowUpDue.closes_on > day, FollowUpDue.due_on <= day + timedelta(days=WITHIN_DAYS))
        .order_by(FollowUpDue.due_on, FollowUpDue.id)).all()
    return [Candidate(user_id, "follow_up_due", "resident", str(resident_id), due_on)
            for user_id, resident_id, due_on in rows]

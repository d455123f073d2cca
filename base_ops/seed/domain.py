"""What the seed asks the domain: every rule a seeded row must obey, answered by the domain's own code.

The seed writes history in bulk (synthetic.py) or back-dated (demo_history.py), so it cannot go through
the use cases that stamp "now"; but it decides nothing itself. Whether a person is a key subject or
needs an override reason, a notice's receipt deadline, the statuses a referral passes, the mark a
retention check answers, which enrolments completed a course, which batch pays a claim — each
function here hands the question to the model, rules module or query that the pages use, so a
change of rule changes the seeded world too. tests/seed/test_domain_rules.py checks the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from functools import lru_cache

from sqlalchemy import select

from base_ops.extensions import db
from base_ops.intake.notices import services as notices
from base_ops.intake.stays import rules as stay_rules
from base_ops.placements import queries as placement_queries
from base_ops.placements.models import Referral, ReferralStatus
from base_ops.residents.models import Resident
from base_ops.subsidies import batches
from base_ops.subsidies.models import ClaimKind
from base_ops.training.models import Enrolment
from base_ops.training.queries import join_progress, progress_columns

# ---------------------------------------------------------------- residents and admission


@lru_cache(maxsize=256)
def _resident_with(flags: tuple[tuple[str, bool], ...]) -> Resident:
    """A transient Resident (never added to the session) with these category flags: one per combination
    (there are 2^7), so that asking the model costs no more than a dictionary look-up at province scale."""
    return Resident(**dict(flags))


def is_key_subject(flags: dict[str, bool]) -> bool:
    """重点帮教对象, as the Resident model decides it from the category flags."""
    return _resident_with(tuple(sorted(flags.items()))).is_key_subject


def needs_override(*, birth_on: date, flags: dict[str, bool], admitted_on: date) -> bool:
    """Whether an admission needs an override reason (intake/stays/rules.py finds a problem)."""
    resident = _resident_with(tuple(sorted(flags.items())))
    resident.birth_on = birth_on  # the only other fact the rule reads (the age on the day)
    return not stay_rules.admissible(resident, admitted_on)


# ---------------------------------------------------------------- release notices


def notice_deadlines(received: Iterable[date]) -> Callable[[date, str], tuple[date, bool]]:
    """(feedback_due_on, is_estimate) for a notice received on a day by a county: the notices service's own
    working-day rule and the county's policy (intake/notices/services.py), from one calendar query covering
    every day in `received`."""
    return notices.due_dates(list(received))


# ---------------------------------------------------------------- referrals and placements


@lru_cache(maxsize=16)
def referral_path(outcome: str) -> tuple[str, ...]:
    """The statuses a referral passes from `referred` to `outcome` (both included), the fewest moves of
    the model's table (Referral.transitions) plus the hire, which placements.services.hire makes from
    `offered` as a use case of its own."""
    moves = {str(k): {str(t) for t in v} for k, v in Referral.transitions.moves.items()}
    moves.setdefault(ReferralStatus.OFFERED.value, set()).add(ReferralStatus.HIRED.value)
    start = ReferralStatus.REFERRED.value
    paths = {start: (start,)}
    frontier = [start]
    while frontier:
        following = []
        for status in frontier:
            for target in sorted(moves.get(status, ())):
                if target not in paths:
                    paths[target] = (*paths[status], target)
                    following.append(target)
        frontier = following
    if outcome not in paths:
        raise ValueError(f"no way from referred to {outcome}")
    return paths[outcome]


CHECK_MARKS = placement_queries.CHECK_MARKS  # retention checks at 1, 3, 6 and 12 months


def check_due_on(started_on: date, mark: int) -> date:
    return placement_queries.due_on(started_on, mark)


def check_mark(started_on: date, checked_on: date, recorded: set[int]) -> int | None:
    """The mark a retention check made on `checked_on` answers (placements.queries.mark_for_check)."""
    return placement_queries.mark_for_check(started_on, checked_on, recorded)


# ---------------------------------------------------------------- training


def completed_enrolments(course_ids, on: date) -> list[int]:
    """Ids of the enrolments of these courses (a list, or a select of course ids) that completed by `on`, by
    the one definition of completion (training.queries.progress_columns): the certificates go to them."""
    held, marks, _held_n, _attended, _excused, _denominator, completed = progress_columns(on, course_ids)
    stmt = join_progress(select(Enrolment.id), held, marks).where(Enrolment.course_id.in_(course_ids), completed)
    return list(db.session.scalars(stmt.order_by(Enrolment.id)))


# ---------------------------------------------------------------- subsidy claims


def batch_period(kind: str, period: str, approved_on: date) -> str:
    """The month of the payment batch that pays an approved claim (subsidies.batches.payable_clause):
    a monthly claim's own month, a one-time claim's month of approval."""
    if ClaimKind(kind) in batches.MONTHLY_KINDS:
        return period
    return f"{approved_on.year:04d}-{approved_on.month:02d}"

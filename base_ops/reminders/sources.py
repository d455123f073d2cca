"""Where reminders come from: one function per kind, `(day) -> list[Candidate]`.

The Candidate contract (for every source, this package's and others', e.g. followup/reminders.py):
- a source is a function `source(day: date) -> list[Candidate]`, listed in `SOURCES` (services.run calls
  each in turn, inside the run's unit of work); it only reads, never writes;
- it returns *every* item that should be open on `day`, not only new ones: an open item whose candidate is
  no longer returned is closed as done (the work was done), so a source that finds nothing closes its items;
- `kind` is a ReminderKind value; `object_type` a short word the vocabulary knows (reminders/vocabulary.py
  builds the title and the link from it); `object_id` the object's id as text;
- `due_on` is the day the thing is due. (user_id, kind, object_type, object_id, due_on) is the item's identity:
  the same thing due again on another day (the next retention mark, a claim back at a stage) is a new item;
- each source is a few set-based queries over the whole province (rows of the due things only), reading rule
  values through policies.services: no query per person (docs/architecture.md rule 7).

Who gets an item is who does the work (docs/domain.md): managers of the base, officers of the county itself
(officers of a city or province read the counties under them and are not reminded of each county's work),
users of the enterprise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select, union

from base_ops.accounts.models import Role, User, user_bases
from base_ops.core import clock
from base_ops.core.sqldates import days_between
from base_ops.core.workdays import add_working_days
from base_ops.extensions import db
from base_ops.followup.reminders import follow_up_due
from base_ops.intake.models import Absence, ReleaseNotice, Stay
from base_ops.intake.stays.services import absence_flag_nights
from base_ops.org.models import Base, Region, RegionLevel
from base_ops.placements.models import Placement, Referral, RetentionCheck
from base_ops.placements.queries import CHECK_MARKS, DUE_WINDOW_DAYS, add_months
from base_ops.reminders.models import ReminderKind
from base_ops.reports.metrics.periods import month_start
from base_ops.reports.models import MonthlyReport
from base_ops.reports.monthly.services import due_on as monthly_due_on
from base_ops.residents.models import Resident, add_years
from base_ops.subsidies.models import ENTERPRISE_KINDS, Claim, ClaimEvent, ClaimStatus

K = ReminderKind
ARRIVAL_DAYS = 7  # issue 19: expected arrivals within 7 days
SUPPORT_ENDING_DAYS = 30  # support periods ending within 30 days
RECEIPT_DUE_WORKING_DAYS = 1  # a receipt due within one working day, or overdue
SUPPORT_YEARS_RANGE = range(1, 21)  # policies/keys.py support_years_*: low 1, high 20


@dataclass(frozen=True)
class Candidate:
    user_id: int
    kind: str
    object_type: str
    object_id: str
    due_on: date

    @property
    def key(self) -> tuple[int, str, str, str, date]:
        return (self.user_id, str(self.kind), self.object_type, self.object_id, self.due_on)


# ---------------------------------------------------------------- who

def _enabled(role: Role):
    return and_(User.role == role, User.is_enabled.is_(True))


def _base_managers():
    return (select(user_bases.c.user_id.label("user_id"), user_bases.c.base_id.label("base_id"), Base.region_code)
            .join(User, User.id == user_bases.c.user_id).join(Base, Base.id == user_bases.c.base_id)
            .where(_enabled(Role.BASE_MANAGER))).subquery()


def _county_officers():
    """Officers of a county itself (the ones who register, send receipts, approve and report for it)."""
    return (select(User.id.label("user_id"), User.region_code.label("region_code"))
            .join(Region, Region.code == User.region_code)
            .where(_enabled(Role.COUNTY_OFFICER), Region.level == RegionLevel.COUNTY)).subquery()


def _candidates(kind: K, object_type: str, rows) -> list[Candidate]:
    return [Candidate(user_id, str(kind), object_type, str(object_id), due_on) for user_id, object_id, due_on in rows]


# ---------------------------------------------------------------- sources

def receipt_due(day: date) -> list[Candidate]:
    """A notice's receipt (回执) due within one working day or overdue, not sent (seed 004 item 4): to the
    managers of the bases of the receiving county and its county officers, who may both record it
    (intake/notices/services.py receiving_scope). Closes when the receipt is recorded."""
    horizon, _estimate = add_working_days(day, RECEIPT_DUE_WORKING_DAYS)
    due = and_(ReleaseNotice.feedback_sent_on.is_(None), ReleaseNotice.feedback_due_on <= horizon)
    managers, officers = _base_managers(), _county_officers()
    rows = db.session.execute(
        select(managers.c.user_id, ReleaseNotice.id, ReleaseNotice.feedback_due_on)
        .join(managers, managers.c.region_code == ReleaseNotice.receiving_region_code).where(due)
        .union(select(officers.c.user_id, ReleaseNotice.id, ReleaseNotice.feedback_due_on)
               .join(officers, officers.c.region_code == ReleaseNotice.receiving_region_code).where(due))
    ).all()
    return _candidates(K.RECEIPT_DUE, "notice", rows)


def arrival_expected(day: date) -> list[Candidate]:
    """A person released within 7 days into a county with a base, not yet admitted: to the managers of the
    county's bases. Closes when the person is admitted (a stay of the person since the notice came)."""
    managers = _base_managers()
    admitted = exists().where(Resident.id_number == ReleaseNotice.id_number, Stay.resident_id == Resident.id,
                              Stay.admitted_on >= ReleaseNotice.received_on)
    rows = db.session.execute(
        select(managers.c.user_id, ReleaseNotice.id, ReleaseNotice.expected_release_on)
        .join(managers, managers.c.region_code == ReleaseNotice.receiving_region_code)
        .where(ReleaseNotice.expected_release_on.between(day, day + timedelta(days=ARRIVAL_DAYS)), ~admitted)
    ).all()
    return _candidates(K.ARRIVAL_EXPECTED, "notice", rows)


def overstay(day: date) -> list[Candidate]:
    """An open stay past its base's longest stay (docs/domain.md "Stays"): to the base's managers, due the
    first day over. Closes at discharge."""
    managers = _base_managers()
    rows = db.session.execute(
        select(managers.c.user_id, Stay.id, Stay.admitted_on, Base.max_stay_days)
        .join(Base, Base.id == Stay.base_id).join(managers, managers.c.base_id == Stay.base_id)
        .where(Stay.discharged_on.is_(None), days_between(Stay.admitted_on, day) > Base.max_stay_days)
    ).all()
    return [Candidate(user_id, str(K.OVERSTAY), "stay", str(stay_id), admitted_on + timedelta(days=max_days + 1))
            for user_id, stay_id, admitted_on, max_days in rows]


def absence(day: date) -> list[Candidate]:
    """An absence (未请假离开) that has lasted the base county's flag nights (脱管 risk; policies/keys.py
    absence_flag_nights): to the base's managers. Closes when the return (or the discharge) is recorded."""
    bases = db.session.execute(select(Base.id, Base.region_code)).all()
    if not bases:
        return []
    # One rule value per base (a few dozen), not per person; the SQL compares each absence with its base's.
    flag = {base_id: absence_flag_nights(region_code, day) for base_id, region_code in bases}
    managers = _base_managers()
    rows = db.session.execute(
        select(managers.c.user_id, Absence.id, Absence.start_on, Stay.base_id)
        .join(Stay, Stay.id == Absence.stay_id).join(managers, managers.c.base_id == Stay.base_id)
        .where(Absence.returned_on.is_(None), Stay.discharged_on.is_(None), Absence.start_on <= day,
               or_(*[and_(Stay.base_id == base_id, days_between(Absence.start_on, day) >= nights)
                     for base_id, nights in flag.items()]))
    ).all()
    return [Candidate(user_id, str(K.ABSENCE), "absence", str(absence_id), start_on + timedelta(days=flag[base_id]))
            for user_id, absence_id, start_on, base_id in rows]


def _latest_start(horizon: date, months: int) -> date:
    """The latest start date whose `months`-month mark falls on or before `horizon` (month ends clamp)."""
    start = add_months(horizon, -months)
    while add_months(start + timedelta(days=1), months) <= horizon:
        start += timedelta(days=1)
    return start


def retention_check_due(day: date) -> list[Candidate]:
    """The next retention check (1, 3, 6, 12 months; docs/domain.md) due within the placements' due window
    or overdue: to the enterprise's users and the referring base's managers, who both record check-ups
    (placements/queries.py due_checks). Closes when the check is recorded (the next mark is a new item)."""
    answered = (select(RetentionCheck.placement_id, func.max(RetentionCheck.month_mark).label("answered"))
                .where(RetentionCheck.month_mark.is_not(None)).group_by(RetentionCheck.placement_id).subquery())
    later = RetentionCheck.__table__.alias("later")
    stopped = exists().where(  # the latest check found the person no longer employed: end it, not check it
        RetentionCheck.placement_id == Placement.id, RetentionCheck.employed.is_(False),
        ~exists().where(later.c.placement_id == RetentionCheck.placement_id,
                        or_(later.c.checked_on > RetentionCheck.checked_on,
                            and_(later.c.checked_on == RetentionCheck.checked_on, later.c.id > RetentionCheck.id))))
    last = func.coalesce(answered.c.answered, 0)
    horizon = day + timedelta(days=DUE_WINDOW_DAYS)
    marks = [(m, and_(last < m, last >= prev)) for prev, m in zip((0, *CHECK_MARKS), CHECK_MARKS, strict=False)]
    due = or_(*[and_(is_next, Placement.started_on <= _latest_start(horizon, m)) for m, is_next in marks])
    placements = (select(Placement.id, Placement.started_on, last.label("answered"), Placement.enterprise_id,
                         Referral.base_id)
                  .join(Referral, Referral.id == Placement.referral_id)
                  .outerjoin(answered, answered.c.placement_id == Placement.id)
                  .where(Placement.is_cancelled.is_(False), Placement.ended_on.is_(None), ~stopped, due)).subquery()
    managers = _base_managers()
    rows = db.session.execute(
        select(managers.c.user_id, placements.c.id, placements.c.started_on, placements.c.answered)
        .join(managers, managers.c.base_id == placements.c.base_id)
        .union(select(User.id, placements.c.id, placements.c.started_on, placements.c.answered)
               .join(User, User.enterprise_id == placements.c.enterprise_id).where(_enabled(Role.ENTERPRISE)))
    ).all()
    result = []
    for user_id, placement_id, started_on, answered_mark in rows:
        mark = next(m for m in CHECK_MARKS if m > answered_mark)
        result.append(Candidate(user_id, str(K.RETENTION_CHECK_DUE), "placement", str(placement_id),
                                add_months(started_on, mark)))
    return result


def claim_waiting(day: date) -> list[Candidate]:
    """A claim waiting for the users who make its next move (subsidies/models.py claim_movers): the claimant
    submits a draft or a rejected claim (the enterprise its hires' subsidies, the base's managers the others),
    the base's managers review a submitted one, the county's officers approve a reviewed one and pay an
    approved one. Due the day it reached its stage; closes when it moves on."""
    reached = (select(ClaimEvent.claim_id, func.max(ClaimEvent.at).label("at"))
               .group_by(ClaimEvent.claim_id).subquery())
    claims = (select(Claim.id, Claim.kind, Claim.status, Claim.base_id, Claim.enterprise_id, Claim.region_code,
                     func.coalesce(reached.c.at, Claim.created_at).label("at"))
              .outerjoin(reached, reached.c.claim_id == Claim.id)
              .where(Claim.status.in_([ClaimStatus.DRAFT, ClaimStatus.REJECTED, ClaimStatus.SUBMITTED,
                                       ClaimStatus.REVIEWED, ClaimStatus.APPROVED]))).subquery()
    managers, officers = _base_managers(), _county_officers()
    by_enterprise = claims.c.kind.in_([str(k) for k in ENTERPRISE_KINDS])
    claimant_stage = claims.c.status.in_([str(ClaimStatus.DRAFT), str(ClaimStatus.REJECTED)])
    rows = db.session.execute(union(
        select(User.id, claims.c.id, claims.c.at)
        .join(User, User.enterprise_id == claims.c.enterprise_id)
        .where(_enabled(Role.ENTERPRISE), claimant_stage, by_enterprise),
        select(managers.c.user_id, claims.c.id, claims.c.at)
        .join(managers, managers.c.base_id == claims.c.base_id)
        .where(or_(claims.c.status == str(ClaimStatus.SUBMITTED), and_(claimant_stage, ~by_enterprise))),
        select(officers.c.user_id, claims.c.id, claims.c.at)
        .join(officers, officers.c.region_code == claims.c.region_code)
        .where(claims.c.status.in_([str(ClaimStatus.REVIEWED), str(ClaimStatus.APPROVED)])),
    )).all()
    return [Candidate(user_id, str(K.CLAIM_WAITING), "claim", str(claim_id), _local_day(at))
            for user_id, claim_id, at in rows]


def _local_day(at) -> date:
    """The day (China time) of a stored timestamp; SQLite hands back text from a UNION."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(clock.LOCAL_ZONE).date()


def monthly_report_due(day: date) -> list[Candidate]:
    """Last month's report not yet submitted: to the county's own officers (only they submit it; reports/
    models.py _own_county_officer), from the first of the month, due on the configured day (by the 3rd of the
    following month, docs/domain.md "Rates and reports"). Closes when it is submitted."""
    month = month_start(day, 1).strftime("%Y-%m")
    officers = _county_officers()
    submitted = exists().where(MonthlyReport.region_code == officers.c.region_code, MonthlyReport.month == month)
    rows = db.session.execute(select(officers.c.user_id, officers.c.region_code).where(~submitted)).all()
    due = {code: monthly_due_on(month, code) for code in {code for _user, code in rows}}  # the county's policy
    return [Candidate(user_id, str(K.MONTHLY_REPORT_DUE), "monthly_report", f"{code}:{month}", due[code])
            for user_id, code in rows]


def _last_base():
    """Each resident's last base: the base of the latest stay, else the base that registered the file."""
    latest = select(Stay.resident_id, func.max(Stay.id).label("stay_id")).group_by(Stay.resident_id).subquery()
    return (select(Resident.id.label("resident_id"), func.coalesce(Stay.base_id, Resident.base_id).label("base_id"))
            .outerjoin(latest, latest.c.resident_id == Resident.id)
            .outerjoin(Stay, Stay.id == latest.c.stay_id))


def _to_managers_of_last_base(kind: ReminderKind, due_by_resident: dict[int, date]) -> list[Candidate]:
    """An item about each person, due on his day, for the managers of the person's last base."""
    last = _last_base().where(Resident.id.in_(due_by_resident)).subquery()
    managers = _base_managers()
    rows = db.session.execute(
        select(managers.c.user_id, last.c.resident_id).join(managers, managers.c.base_id == last.c.base_id)
    ).all()
    return [Candidate(user_id, str(kind), "resident", str(resident_id), due_by_resident[resident_id])
            for user_id, resident_id in rows]


def support_ending(day: date) -> list[Candidate]:
    """A support period (帮教期) ending within 30 days: to the managers of the person's last base. The period
    is the 户籍 county's policy on the day of release (residents/models.py support_ends_on), so SQL narrows
    to the people released that many years (any value a policy may set) before, and the exact end is
    computed for those few. Due on the last day; closes by itself when the period is over."""
    windows = [and_(Resident.released_on >= add_years(day, -years),
                    Resident.released_on <= add_years(day + timedelta(days=SUPPORT_ENDING_DAYS), -years))
               for years in SUPPORT_YEARS_RANGE]
    people = db.session.execute(select(Resident).where(or_(*windows), Resident.reoffended_on.is_(None))).scalars()
    ending = {p.id: p.support_ends_on for p in people
              if day <= p.support_ends_on <= day + timedelta(days=SUPPORT_ENDING_DAYS)}
    if not ending:
        return []
    return _to_managers_of_last_base(K.SUPPORT_ENDING, ending)


def _most_allowance_months() -> int:
    """The most months any document (or the default) grants: how far back a registration may still be paid."""
    from base_ops.policies.keys import RULE_KEYS
    from base_ops.policies.models import PolicyRule

    default = RULE_KEYS["living_allowance_months"].default
    most = db.session.execute(select(func.max(PolicyRule.value)).where(PolicyRule.key == "living_allowance_months"))
    return int(max(default, most.scalar() or 0))


def allowance_ending(day: date) -> list[Candidate]:
    """The living allowance's last month (seed 002 三(三): consecutive months from the month of registration,
    as many as the 户籍 county's policy leaves after late registration; subsidies/rules.py allowance_months):
    to the managers of the person's last base, due the month's last day, so the person's next step (work,
    dibao) is ready. SQL narrows to the people who can still be paid (released from prison, hardship recorded,
    registered within the most months any policy grants, no reoffence, no dibao); the months are computed for
    those with the subsidies service's terms."""
    from base_ops.subsidies.rules import allowance_months
    from base_ops.subsidies.services import allowance_terms

    this_month = month_start(day)
    month_end = month_start(day, -1) - timedelta(days=1)
    people = db.session.execute(
        select(Resident.id, Resident.released_on, Resident.registered_on, Resident.hukou_region_code)
        .where(Resident.subject_type == "released", Resident.hardship_recorded_on.is_not(None),
               Resident.registered_on.is_not(None), Resident.reoffended_on.is_(None),
               Resident.registered_on >= month_start(day, _most_allowance_months() - 1),
               Resident.registered_on <= month_end,
               or_(Resident.dibao_since.is_(None), Resident.dibao_since > month_end))
    ).all()
    terms: dict[str, object] = {}  # one policy look-up per 户籍 county, not per person
    ending = []
    for resident_id, released_on, registered_on, hukou in people:
        if hukou not in terms:
            terms[hukou] = allowance_terms(hukou, this_month)[0]
        months = allowance_months(released_on, registered_on, terms[hukou])
        if months and add_months(month_start(registered_on), months - 1) == this_month:
            ending.append(resident_id)
    if not ending:
        return []
    return _to_managers_of_last_base(K.ALLOWANCE_ENDING, dict.fromkeys(ending, month_end))


# follow_up_due lives with the follow-up schedule it reads (followup/reminders.py).
SOURCES = [receipt_due, arrival_expected, overstay, absence, retention_check_due, claim_waiting,
           monthly_report_due, support_ending, allowance_ending, follow_up_due]

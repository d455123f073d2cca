"""The seeded worlds obey the domain's own rules (issue 16: the seed builds through the domain's rules).

The synthetic and demo seeds write history directly, asking base_ops/seed/domain.py what it means.
These tests recompute every such answer from the written rows with the domain's functions — not the
seed's — so a rule changed in the domain but not followed by the seed (or the other way round) fails
here: a claim's amount and rule line, a notice's receipt deadline, an override reason, a certificate,
a referral's moves, a retention check's mark, the batch that paid a claim.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from itertools import pairwise

from sqlalchemy import or_, select

from base_ops.core import clock
from base_ops.core.clock import LOCAL_ZONE
from base_ops.core.scope import regions_up_from
from base_ops.enterprises.models import PlacementAgreement
from base_ops.intake.models import ReleaseNotice, Stay
from base_ops.intake.notices.services import due_dates
from base_ops.intake.stays.rules import eligibility_problem
from base_ops.org.queries import region_name
from base_ops.placements.models import Placement, Referral, ReferralEvent, ReferralStatus, RetentionCheck
from base_ops.placements.queries import mark_for_check
from base_ops.residents.models import Resident
from base_ops.subsidies import rules
from base_ops.subsidies.batches import MONTHLY_KINDS
from base_ops.subsidies.models import Claim, ClaimEvent, ClaimKind, PaymentBatch
from base_ops.subsidies.services import allowance_terms, dibao_table, handover_terms, hire_of, person_of, terms_of
from base_ops.training.models import Course, Enrolment
from base_ops.training.queries import join_progress, progress_columns


def _local_day(moment: datetime) -> date:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(LOCAL_ZONE).date()


def _all(db, stmt):
    return db.session.execute(stmt).scalars().all()


def check_notice_deadlines(db) -> None:
    notices = _all(db, select(ReleaseNotice))
    assert notices
    deadline = due_dates([n.received_on for n in notices])
    wrong = [(n.id, n.received_on, n.feedback_due_on) for n in notices
             if (n.feedback_due_on, n.feedback_due_is_estimate) != deadline(n.received_on, n.receiving_region_code)]
    assert wrong == []


def check_override_reasons(db) -> None:
    rows = db.session.execute(select(Stay, Resident).join(Resident, Resident.id == Stay.resident_id)).all()
    assert rows
    wrong = [stay.id for stay, resident in rows
             if (stay.override_reason is not None) != (eligibility_problem(resident, stay.admitted_on) is not None)]
    assert wrong == []


def check_claim_amounts(db) -> None:
    """Every claim's amount and rule line are what subsidies.rules gives for its facts, as filed: on its
    creation day, after the earlier months of its subject and kind."""
    claims = _all(db, select(Claim).order_by(Claim.kind, Claim.subject_key, Claim.period))
    assert {ClaimKind(c.kind) for c in claims} == set(ClaimKind)
    earlier: dict[tuple[str, str], int] = defaultdict(int)
    wrong = []
    for claim in claims:
        kind, filed_on = ClaimKind(claim.kind), _local_day(claim.created_at)
        if kind == ClaimKind.HANDOVER:
            notice = db.session.get(ReleaseNotice, claim.release_notice_id)
            terms, policy_id = handover_terms(notice.receiving_region_code, notice.received_on,
                                              notice.prison_region_code)
            expected = rules.handover(is_key_subject=notice.is_key_subject, collected_on=notice.collected_on,
                                      prison_region_code=notice.prison_region_code,
                                      receiving_region_code=notice.receiving_region_code, terms=terms,
                                      region_names={c: region_name(c) for c in (notice.prison_region_code,
                                                                               notice.receiving_region_code)})
            assert claim.policy_id == policy_id
        elif kind == ClaimKind.LIVING_ALLOWANCE:
            r = db.session.get(Resident, claim.resident_id)
            terms, policy_id = allowance_terms(r.hukou_region_code, rules.parse_month(claim.period))
            expected = rules.living_allowance(person_of(r), month=claim.period, terms=terms,
                                              dibao=dibao_table(r.hukou_region_code, int(claim.period[:4])),
                                              region_names={c: region_name(c)
                                                            for c in regions_up_from(r.hukou_region_code)})
            assert claim.policy_id == policy_id
        else:
            terms = terms_of(db.session.get(PlacementAgreement, claim.agreement_id))
            hire = hire_of(db.session.get(Placement, claim.placement_id))
            if kind == ClaimKind.ONE_TIME_HIRE:
                expected = rules.one_time_hire(terms, hire, claimed_on=filed_on)
            else:
                key = (kind.value, claim.subject_key)
                expected = rules.monthly_subsidy(kind.value, terms, hire, month=claim.period,
                                                 earlier_claims=earlier[key], current_month=rules.month_key(filed_on))
                earlier[key] += 1
        if (claim.amount, claim.rule) != expected:
            wrong.append((claim.id, claim.kind, claim.amount, claim.rule, expected))
    assert wrong == []


def check_certificates(db) -> None:
    """Certificates only for those training.queries counts as completed, between the course's end and today."""
    held, marks, *_columns, completed = progress_columns(clock.today())
    done = set(db.session.scalars(join_progress(select(Enrolment.id), held, marks).where(completed)))
    certified = db.session.execute(select(Enrolment.id, Enrolment.certificate_on, Course.ends_on)
                                   .join(Course, Course.id == Enrolment.course_id)
                                   .where(Enrolment.certificate_number.is_not(None))).all()
    assert certified
    assert [e for e, _on, _ends in certified if e not in done] == []
    assert [e for e, on, ends in certified if not ends <= on <= clock.today()] == []


def check_referral_moves(db) -> None:
    """Each referral's events are moves of Referral.transitions (or the hire, offered → hired) ending at its status."""
    events: dict[int, list[ReferralEvent]] = defaultdict(list)
    for event in _all(db, select(ReferralEvent).order_by(ReferralEvent.referral_id, ReferralEvent.id)):
        events[event.referral_id].append(event)
    referrals = _all(db, select(Referral))
    assert referrals
    wrong = []
    for referral in referrals:
        chain = events[referral.id]
        steps = [(e.from_status, e.to_status) for e in chain]
        legal = (steps[0] == (None, ReferralStatus.REFERRED.value)
                 and all(before == after for (_a, before), (after, _b) in pairwise(steps))
                 and all(Referral.transitions.allowed(ReferralStatus(a), ReferralStatus(b))
                         or (a, b) == (ReferralStatus.OFFERED.value, ReferralStatus.HIRED.value) for a, b in steps[1:])
                 and steps[-1][1] == referral.status
                 and all(x.at <= y.at for x, y in pairwise(chain)))
        if not legal:
            wrong.append((referral.id, referral.status, steps))
    assert wrong == []


def check_retention_marks(db) -> None:
    checks: dict[int, list[RetentionCheck]] = defaultdict(list)
    for check in _all(db, select(RetentionCheck).order_by(RetentionCheck.checked_on, RetentionCheck.id)):
        checks[check.placement_id].append(check)
    assert checks
    wrong = []
    for placement_id, found in checks.items():
        started = db.session.get(Placement, placement_id).started_on
        recorded: set[int] = set()
        for check in found:
            if check.month_mark != mark_for_check(started, check.checked_on, recorded):
                wrong.append((placement_id, check.month_mark, check.checked_on))
            if check.month_mark:
                recorded.add(check.month_mark)
    assert wrong == []


def check_payment_batches(db) -> None:
    """A paid claim is in the batch subsidies.batches would gather it in (its county; a monthly claim's own
    month, a one-time claim's month of approval) and was paid when the batch was, after its approval."""
    batches = {b.id: b for b in _all(db, select(PaymentBatch))}
    assert batches
    events: dict[int, dict[str, datetime]] = defaultdict(dict)
    for event in _all(db, select(ClaimEvent).order_by(ClaimEvent.id)):
        events[event.claim_id][event.to_status] = event.at
    wrong = []
    for claim in _all(db, select(Claim).where(Claim.status == "paid")):
        batch, moved = batches[claim.batch_id], events[claim.id]
        month = (claim.period if ClaimKind(claim.kind) in MONTHLY_KINDS
                 else rules.month_key(_local_day(moved["approved"])))
        if (batch.region_code, batch.period) != (claim.region_code, month) or moved["paid"] != batch.paid_at \
                or moved["approved"] > moved["paid"]:
            wrong.append((claim.id, claim.kind, claim.period, batch.region_code, batch.period))
    assert wrong == []


def check_lawful_bars(db) -> None:
    """No course trains for a job the law closes to residents, and no resident is referred to one
    (docs/domain.md "Lawful bars on some jobs"; enterprises/bars.py)."""
    from base_ops.enterprises import bars
    from base_ops.enterprises.models import JobPosting

    assert _all(db, select(Course))
    assert [c.id for c in _all(db, select(Course)) if bars.bar_for_skill(c.skill)] == []
    referred_to = _all(db, select(JobPosting).where(JobPosting.id.in_(select(Referral.posting_id))))
    assert referred_to
    assert [(p.id, p.title) for p in referred_to if p.bar is not None] == []


def check_hire_quotas(db) -> None:
    """No agreement has more hires within its period than its hire quota (placements.services.hire)."""
    from base_ops.placements.queries import hires_within

    agreements = _all(db, select(PlacementAgreement))
    assert agreements
    assert [(a.id, a.hire_quota, hires_within(a)) for a in agreements if hires_within(a) > a.hire_quota] == []


def check_payee_accounts(db) -> None:
    """No claim is approved or paid with an empty 收款账号 (subsidies/payees.py, issue 21)."""
    from base_ops.subsidies.models import Claim

    unpaid = db.session.execute(select(Claim.id, Claim.kind, Claim.status).where(
        Claim.status.in_(("approved", "paid")), or_(Claim.payee_account.is_(None), Claim.payee_account == ""))).all()
    assert unpaid == []


def check_world(db) -> None:
    check_lawful_bars(db)
    check_payee_accounts(db)
    check_hire_quotas(db)
    check_notice_deadlines(db)
    check_override_reasons(db)
    check_claim_amounts(db)
    check_certificates(db)
    check_referral_moves(db)
    check_retention_marks(db)
    check_payment_batches(db)


def test_the_synthetic_world_obeys_the_domain_rules(app, db):
    result = app.test_cli_runner().invoke(args=["seed", "synthetic", "--scale", "small"])
    assert result.exit_code == 0, result.output
    check_world(db)
    # A few stays need an override reason (the rule finds a problem), most do not.
    with_override = db.session.scalar(select(Stay.id).where(Stay.override_reason.is_not(None)).limit(1))
    assert with_override is not None


def test_the_demo_world_obeys_the_domain_rules(db):
    from base_ops.seed import loaders

    assert loaders.load_demo() is True
    check_world(db)


def test_the_seed_commits_nothing_itself():
    """One unit of work: the seed leaves commit and rollback to core/unit_of_work.py."""
    from pathlib import Path

    import base_ops.seed

    for path in Path(base_ops.seed.__file__).parent.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "commit()" not in text and "rollback()" not in text, path.name

"""The subsidy rules as pure functions (docs/domain.md "Subsidies and relief"), with property tests."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from base_ops.policies.keys import RULE_KEYS
from base_ops.subsidies import rules
from base_ops.subsidies.rules import AllowanceTerms, HandoverTerms, Hire, NotEligible, Person, Terms

# The system defaults as the policies give them where a region has no document of its own.
ALLOWANCE = AllowanceTerms(full_months=6, grace_days=30, step_days=30, source="系统默认值")
HANDOVER = HandoverTerms({key: RULE_KEYS[key].default for key in rules.HANDOVER_KEYS}, source="系统默认值")
TERMS = Terms(starts_on=date(2026, 1, 1), ends_on=date(2027, 12, 31), min_contract_months=12,
              one_time_subsidy=Decimal("3000.00"), one_time_after_months=6, post_subsidy_monthly=Decimal("600.00"),
              post_subsidy_max_months=12, insurance_subsidy_monthly=Decimal("800.00"),
              insurance_subsidy_max_months=36, budget=Decimal("100000.00"))
HIRE = Hire(started_on=date(2026, 3, 10), contract_months=12, social_insurance=True)
DIBAO = {("330106", 2026): Decimal("1100.00"), ("330100", 2027): Decimal("1150.00"),
         ("330000", 2028): Decimal("900.00")}


def person(released=date(2026, 9, 1), registered=date(2026, 9, 10), **kw) -> Person:
    kw.setdefault("subject_type", "released")
    kw.setdefault("hardship_recorded_on", registered or released)
    return Person(released_on=released, registered_on=registered, hukou_region_code="330106", **kw)


# ---------------------------------------------------------------- one-time hire

def test_one_time_hire_after_the_retention_months():
    amount, rule = rules.one_time_hire(TERMS, HIRE, claimed_on=date(2026, 9, 10))
    assert amount == Decimal("3000.00")
    assert "6 个月" in rule and "3000.00" in rule


def test_one_time_hire_one_day_too_early():
    with pytest.raises(NotEligible) as info:
        rules.one_time_hire(TERMS, HIRE, claimed_on=date(2026, 9, 9))
    assert info.value.field == "placement_id"


def test_one_time_hire_needs_the_minimum_contract():
    with pytest.raises(NotEligible, match="contract"):
        rules.one_time_hire(TERMS, Hire(date(2026, 3, 10), 11, True), claimed_on=date(2027, 1, 1))


def test_one_time_hire_counts_retention_only_until_the_hire_ended_or_a_check_found_him_gone():
    with pytest.raises(NotEligible):
        rules.one_time_hire(TERMS, Hire(date(2026, 3, 10), 12, True, ended_on=date(2026, 8, 1)),
                            claimed_on=date(2027, 1, 1))
    with pytest.raises(NotEligible):
        rules.one_time_hire(TERMS, Hire(date(2026, 3, 10), 12, True, not_employed_on=(date(2026, 6, 10),)),
                            claimed_on=date(2027, 1, 1))


# ---------------------------------------------------------------- monthly enterprise subsidies

def test_post_subsidy_for_a_month_employed():
    amount, rule = rules.monthly_subsidy("post_subsidy", TERMS, HIRE, month="2026-03", earlier_claims=0)
    assert amount == Decimal("600.00")
    assert "2026-03" in rule and "第 1 个月" in rule


@pytest.mark.parametrize("month", ["2026-02", "2026-07"])
def test_no_post_subsidy_before_the_start_or_from_the_month_the_hire_ended(month):
    hire = Hire(date(2026, 3, 10), 12, True, ended_on=date(2026, 7, 1))
    with pytest.raises(NotEligible) as info:
        rules.monthly_subsidy("post_subsidy", TERMS, hire, month=month, earlier_claims=0)
    assert info.value.field == "month"


def test_the_month_the_hire_ended_mid_month_still_counts():
    hire = Hire(date(2026, 3, 10), 12, True, ended_on=date(2026, 7, 15))
    assert rules.monthly_subsidy("post_subsidy", TERMS, hire, month="2026-07", earlier_claims=0)[0] == Decimal("600")


def test_insurance_only_when_insured():
    rules.monthly_subsidy("insurance_subsidy", TERMS, HIRE, month="2026-04", earlier_claims=0)
    with pytest.raises(NotEligible, match="insured"):
        rules.monthly_subsidy("insurance_subsidy", TERMS, Hire(date(2026, 3, 10), 12, False), month="2026-04",
                              earlier_claims=0)


def test_never_beyond_the_maximum_months():
    rules.monthly_subsidy("post_subsidy", TERMS, HIRE, month="2027-02", earlier_claims=11)
    with pytest.raises(NotEligible, match="maximum"):
        rules.monthly_subsidy("post_subsidy", TERMS, HIRE, month="2027-03", earlier_claims=12)


def test_only_within_the_agreement_and_not_for_a_future_month():
    with pytest.raises(NotEligible, match="validity"):
        rules.monthly_subsidy("post_subsidy", TERMS, HIRE, month="2028-01", earlier_claims=0)
    with pytest.raises(NotEligible):
        rules.monthly_subsidy("post_subsidy", TERMS, HIRE, month="2026-12", earlier_claims=0, current_month="2026-11")


# ---------------------------------------------------------------- living allowance

@pytest.mark.parametrize("days_late, months", [(0, 6), (30, 6), (31, 5), (60, 5), (61, 4), (180, 1), (181, 0),
                                               (400, 0)])
def test_allowance_months_formula(days_late, months):
    released = date(2026, 1, 1)
    assert rules.allowance_months(released, released + timedelta(days=days_late), ALLOWANCE) == months


def test_allowance_months_follow_the_policy():
    custom = AllowanceTerms(full_months=3, grace_days=30, step_days=10, source="《某办法》第九条")
    assert rules.allowance_months(date(2026, 1, 1), date(2026, 2, 15), custom) == 1  # 45 days: 15 late → 2 steps
    _amount, rule = rules.living_allowance(person(released=date(2026, 1, 1), registered=date(2026, 1, 20)),
                                           month="2026-01", terms=custom, dibao=DIBAO | {("330106", 2026): 1})
    assert "最多 3 个月" in rule and "依据：《某办法》第九条" in rule


def test_living_allowance_only_for_people_released_from_prison():
    """seed 002 三(三): the allowance is tied to the 刑满释放证明书, not to the end of community correction."""
    with pytest.raises(NotEligible, match="community correction"):
        rules.living_allowance(person(subject_type="correction_ended"), month="2026-09", terms=ALLOWANCE,
                               dibao=DIBAO)


def test_living_allowance_needs_hardship_recorded():
    """seed 002 三(三): 为生活困难的刑满释放人员 — hardship recorded with its evidence."""
    with pytest.raises(NotEligible, match="hardship"):
        rules.living_allowance(person(hardship_recorded_on=None), month="2026-09", terms=ALLOWANCE, dibao=DIBAO)


def test_living_allowance_months_start_with_the_registration_month():
    p = person()
    amount, rule = rules.living_allowance(p, month="2026-09", terms=ALLOWANCE, dibao=DIBAO)
    assert amount == Decimal("1100.00") and "330106" in rule and "6 个月" in rule
    rules.living_allowance(p, month="2027-02", terms=ALLOWANCE, dibao={("330106", 2027): Decimal("1")})
    for month in ("2026-08", "2027-03"):
        with pytest.raises(NotEligible):
            rules.living_allowance(p, month=month, terms=ALLOWANCE, dibao=DIBAO)


def test_late_registration_shortens_the_months():
    late = person(released=date(2026, 6, 1), registered=date(2026, 8, 15))  # 75 days: 45 late → 2 months less
    _amount, rule = rules.living_allowance(late, month="2026-11", terms=ALLOWANCE, dibao=DIBAO)
    assert "可享 4 个月" in rule
    with pytest.raises(NotEligible):
        rules.living_allowance(late, month="2026-12", terms=ALLOWANCE, dibao=DIBAO)


def test_no_allowance_with_dibao_or_after_reoffending():
    with pytest.raises(NotEligible, match="dibao"):
        rules.living_allowance(person(dibao_since=date(2026, 10, 20)), month="2026-10", terms=ALLOWANCE, dibao=DIBAO)
    rules.living_allowance(person(dibao_since=date(2026, 10, 20)), month="2026-09", terms=ALLOWANCE, dibao=DIBAO)
    with pytest.raises(NotEligible, match="reoffend"):
        rules.living_allowance(person(reoffended_on=date(2026, 11, 2)), month="2026-12", terms=ALLOWANCE,
                               dibao=DIBAO)
    # The month of the reoffence itself is still paid: the allowance stops from the month after.
    rules.living_allowance(person(reoffended_on=date(2026, 11, 2)), month="2026-11", terms=ALLOWANCE,
                           dibao=DIBAO | {("330106", 2026): Decimal("1100.00")})


def test_dibao_standard_of_county_else_city_else_province_for_the_months_year():
    p = person(released=date(2027, 12, 1), registered=date(2027, 12, 5))
    assert rules.living_allowance(p, month="2027-12", terms=ALLOWANCE, dibao=DIBAO)[0] == Decimal("1150.00")
    assert rules.living_allowance(p, month="2028-01", terms=ALLOWANCE, dibao=DIBAO)[0] == Decimal("900.00")
    with pytest.raises(NotEligible, match="330106") as info:
        rules.living_allowance(p, month="2028-01", terms=ALLOWANCE, dibao={})
    assert "2028" in info.value.reason


def test_no_allowance_without_registration():
    with pytest.raises(NotEligible, match="registered"):
        rules.living_allowance(person(registered=None), month="2026-09", terms=ALLOWANCE, dibao=DIBAO)


# ---------------------------------------------------------------- handover

@pytest.mark.parametrize("prison, receiving, amount", [
    ("330106", "330106", "200.00"), ("330110", "330106", "300.00"), ("330281", "330106", "500.00"),
    ("110105", "330106", "1000.00"),
])
def test_handover_by_region_distance(prison, receiving, amount):
    got, rule = rules.handover(is_key_subject=True, collected_on=date(2026, 11, 20), prison_region_code=prison,
                               receiving_region_code=receiving, terms=HANDOVER)
    assert got == Decimal(amount) and amount in rule


@pytest.mark.parametrize("prison, receiving, tier", [
    # A prison recorded only by its city's code, in the receiving county's city: nothing says another county.
    ("330100", "330106", "handover_same_county"),
    ("330200", "330106", "handover_same_province"),
    ("330000", "330106", "handover_same_county"),
    ("320100", "330106", "handover_other_province"),
    ("330106", "330100", "handover_same_county"),
    ("330110", "330106", "handover_same_city"),
])
def test_handover_tier_compares_the_most_precise_codes_both_sides_have(prison, receiving, tier):
    assert rules.handover_tier(prison, receiving)[0] == tier


def test_handover_rates_and_citation_come_from_the_policy():
    terms = HandoverTerms({**HANDOVER.amounts, "handover_same_county": Decimal("250")}, source="《甲》第6项")
    got, rule = rules.handover(is_key_subject=True, collected_on=date(2026, 11, 20), prison_region_code="330106",
                               receiving_region_code="330106", terms=terms)
    assert got == Decimal("250.00") and "依据：《甲》第6项" in rule


def test_handover_only_for_a_key_subject_collected():
    with pytest.raises(NotEligible, match="key"):
        rules.handover(is_key_subject=False, collected_on=date(2026, 11, 20), prison_region_code="330106",
                       receiving_region_code="330106", terms=HANDOVER)
    with pytest.raises(NotEligible, match="collected"):
        rules.handover(is_key_subject=True, collected_on=None, prison_region_code="330106",
                       receiving_region_code="330106", terms=HANDOVER)


# ---------------------------------------------------------------- properties

days = st.dates(min_value=date(2024, 1, 1), max_value=date(2029, 12, 31))
money = st.decimals(min_value=0, max_value=100000, places=2)
region = st.sampled_from(["330106", "330110", "330281", "110105", "440303"])


@st.composite
def terms(draw):
    start = draw(days)
    return Terms(starts_on=start, ends_on=start + timedelta(days=draw(st.integers(1, 2000))),
                 min_contract_months=draw(st.integers(0, 36)), one_time_subsidy=draw(money),
                 one_time_after_months=draw(st.integers(0, 24)), post_subsidy_monthly=draw(money),
                 post_subsidy_max_months=draw(st.integers(0, 36)), insurance_subsidy_monthly=draw(money),
                 insurance_subsidy_max_months=draw(st.integers(0, 60)), budget=draw(money))


@st.composite
def hires(draw):
    start = draw(days)
    ended = draw(st.none() | st.integers(0, 900).map(lambda d: start + timedelta(days=d)))
    return Hire(started_on=start, contract_months=draw(st.integers(1, 60)), social_insurance=draw(st.booleans()),
                ended_on=ended)


@settings(max_examples=300, deadline=None)
@given(terms(), hires(), days, st.sampled_from(["post_subsidy", "insurance_subsidy"]), st.integers(0, 70))
def test_no_enterprise_amount_exceeds_its_rule_maximum(t, hire, day, kind, earlier):
    maximum = t.post_subsidy_monthly if kind == "post_subsidy" else t.insurance_subsidy_monthly
    max_months = t.post_subsidy_max_months if kind == "post_subsidy" else t.insurance_subsidy_max_months
    try:
        amount, _rule = rules.monthly_subsidy(kind, t, hire, month=rules.month_key(day), earlier_claims=earlier)
    except NotEligible:
        return
    assert 0 <= amount <= maximum
    assert earlier < max_months  # the (earlier + 1)-th month is within the maximum
    try:
        one, _rule = rules.one_time_hire(t, hire, claimed_on=day)
    except NotEligible:
        return
    assert one <= t.one_time_subsidy


@settings(max_examples=300, deadline=None)
@given(region, region, days, st.booleans())
def test_no_handover_amount_exceeds_the_largest_rate(prison, receiving, collected, key):
    try:
        amount, _rule = rules.handover(is_key_subject=key, collected_on=collected, prison_region_code=prison,
                                       receiving_region_code=receiving, terms=HANDOVER)
    except NotEligible:
        assert not key
        return
    assert 0 < amount <= max(HANDOVER.amounts.values())


@settings(max_examples=300, deadline=None)
@given(days, st.integers(0, 400), st.integers(0, 400), st.integers(0, 12), st.integers(1, 60), st.integers(1, 60))
def test_allowance_months_within_bounds_and_never_rise_with_lateness(released, late, more, full, grace, step):
    s = AllowanceTerms(full_months=full, grace_days=grace, step_days=step, source="")
    months = rules.allowance_months(released, released + timedelta(days=late), s)
    later = rules.allowance_months(released, released + timedelta(days=late + more), s)
    assert 0 <= months <= full
    assert later <= months
    default = rules.allowance_months(released, released + timedelta(days=late), ALLOWANCE)
    assert 0 <= default <= 6


@settings(max_examples=300, deadline=None)
@given(days, st.integers(0, 400), days, st.decimals(min_value=1, max_value=5000, places=2))
def test_no_living_allowance_exceeds_the_dibao_standard_or_its_months(released, late, month_day, standard):
    p = person(released=released, registered=released + timedelta(days=late))
    table = {("330106", y): standard for y in range(2024, 2032)}
    try:
        amount, _rule = rules.living_allowance(p, month=rules.month_key(month_day), terms=ALLOWANCE, dibao=table)
    except NotEligible:
        return
    assert amount == standard
    start = p.registered_on.replace(day=1)
    index = (month_day.year - start.year) * 12 + month_day.month - start.month
    assert 0 <= index < rules.allowance_months(p.released_on, p.registered_on, ALLOWANCE)


@settings(max_examples=300, deadline=None)
@given(money, st.lists(money, max_size=30))
def test_approved_and_paid_never_exceed_the_budget(budget, amounts):
    """Approving one after another with the budget check: the committed sum stays within budget."""
    committed = Decimal("0.00")
    for amount in amounts:
        if rules.within_budget(budget, committed, amount):
            committed += amount
        assert committed <= budget

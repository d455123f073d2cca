"""The subsidy rules as pure functions (docs/domain.md "Subsidies and relief"): plain values in,
(amount, rule line) out, or NotEligible naming the reason. No database, no request.

The rule line is stored with the claim in Chinese (the record the county pays from), so
it reads the same whoever opens the claim later; the reasons for refusal are translated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _

from base_ops.core.scope import region_level_of, regions_up_from

CENTS = Decimal("0.01")
class NotEligible(Exception):
    """The claim does not meet its rule: `field` is the input at fault, `reason` says why."""

    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Terms:
    """The agreement version's terms (enterprises.PlacementAgreement)."""

    starts_on: date
    ends_on: date
    min_contract_months: int
    one_time_subsidy: Decimal
    one_time_after_months: int
    post_subsidy_monthly: Decimal
    post_subsidy_max_months: int
    insurance_subsidy_monthly: Decimal
    insurance_subsidy_max_months: int
    budget: Decimal = Decimal("0")


@dataclass(frozen=True)
class Hire:
    """The placement's facts: start, contract, insurance, end, and the dates of retention
    checks that found the hire no longer employed."""

    started_on: date
    contract_months: int
    social_insurance: bool
    ended_on: date | None = None
    not_employed_on: tuple[date, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Person:
    """The resident's facts for the living allowance."""

    released_on: date
    registered_on: date | None
    hukou_region_code: str
    subject_type: str  # "released" (刑满释放人员) or "correction_ended"
    hardship_recorded_on: date | None  # 生活确有困难, recorded with its evidence
    dibao_since: date | None = None
    reoffended_on: date | None = None


@dataclass(frozen=True)
class AllowanceTerms:
    """The living allowance's numbers from the policy in force for the person's 户籍 county in the month
    claimed (policies.keys: living_allowance_months, registration_grace_days, lateness_step_days)."""

    full_months: int
    grace_days: int
    step_days: int
    source: str  # the document(s) and articles they come from, or 系统默认值


@dataclass(frozen=True)
class HandoverTerms:
    """The handover tiers from the policy in force for the receiving county on the day of receipt."""

    amounts: Mapping[str, Decimal]  # handover_same_county … handover_other_province
    source: str


# ---------------------------------------------------------------- months

def parse_month(value: str | None) -> date:
    """'YYYY-MM' -> the first day of that month; NotEligible is not the right error here, so ValueError."""
    if not isinstance(value, str) or len(value) != 7 or value[4] != "-":
        raise ValueError(value)
    year, month = int(value[:4]), int(value[5:])
    return date(year, month, 1)


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def first_of(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - date(year, month, 1)).days
    return date(year, month, min(day.day, last))


def months_between(start: date, end: date) -> int:
    """Whole months from `start` to `end` (0 when end is before start + 1 month)."""
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return max(0, months)


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENTS)


def _employment_end(hire: Hire) -> date | None:
    """The first day the hire is known not to be employed: the end of the placement or the
    first retention check that found the person gone, whichever is earlier."""
    ends = [d for d in (hire.ended_on, *hire.not_employed_on) if d is not None]
    return min(ends) if ends else None


# ---------------------------------------------------------------- enterprise kinds

def one_time_hire(terms: Terms, hire: Hire, *, claimed_on: date) -> tuple[Decimal, str]:
    """Once per placement, when the hire was retained ≥ N months and the contract ≥ the minimum."""
    if hire.contract_months < terms.min_contract_months:
        raise NotEligible("placement_id", _("the contract of %(months)s months is shorter than the %(min)s months "
                                            "the agreement requires", months=hire.contract_months,
                                            min=terms.min_contract_months))
    end = _employment_end(hire)
    until = min(claimed_on, end) if end else claimed_on
    retained = months_between(hire.started_on, until)
    if retained < terms.one_time_after_months:
        raise NotEligible("placement_id", _("retained %(months)s months; the agreement pays after %(after)s months",
                                            months=retained, after=terms.one_time_after_months))
    if not terms.starts_on <= hire.started_on <= terms.ends_on:
        raise NotEligible("placement_id", _("the hire falls outside the agreement's validity"))
    amount = _money(terms.one_time_subsidy)
    rule = (f"一次性吸纳就业补贴：协议约定 {amount} 元；{hire.started_on.isoformat()} 入职，"
            f"已稳定就业 {retained} 个月（≥{terms.one_time_after_months} 个月），"
            f"劳动合同 {hire.contract_months} 个月（≥{terms.min_contract_months} 个月）")
    return amount, rule


def monthly_subsidy(kind: str, terms: Terms, hire: Hire, *, month: str, earlier_claims: int,
                    current_month: str | None = None) -> tuple[Decimal, str]:
    """post_subsidy / insurance_subsidy for one month: employed (and insured) that month, within
    the agreement's validity, and never beyond the maximum months (`earlier_claims` = the
    placement's other claims of this kind that are not rejected)."""
    try:
        first = parse_month(month)
    except ValueError:
        raise NotEligible("month", _("must be a month YYYY-MM")) from None
    last = add_months(first, 1)  # exclusive
    if kind == "insurance_subsidy":
        monthly, maximum, label = terms.insurance_subsidy_monthly, terms.insurance_subsidy_max_months, "社保补贴"
        if not hire.social_insurance:
            raise NotEligible("placement_id", _("the hire is not insured"))
    elif kind == "post_subsidy":
        monthly, maximum, label = terms.post_subsidy_monthly, terms.post_subsidy_max_months, "岗位补贴"
    else:
        raise ValueError(kind)
    if current_month is not None and month > current_month:
        raise NotEligible("month", _("%(month)s has not begun", month=month))
    end = _employment_end(hire)
    if hire.started_on >= last or (end is not None and end <= first):
        raise NotEligible("month", _("the hire was not employed in %(month)s", month=month))
    if terms.starts_on >= last or terms.ends_on < first:
        raise NotEligible("month", _("%(month)s is outside the agreement's validity", month=month))
    if earlier_claims >= maximum:
        raise NotEligible("month", _("the maximum of %(max)s months is reached", max=maximum))
    amount = _money(monthly)
    rule = (f"{label}：{month} 在岗{'并参保' if kind == 'insurance_subsidy' else ''}，"
            f"按协议每月 {amount} 元；第 {earlier_claims + 1} 个月（最多 {maximum} 个月）")
    return amount, rule


# ---------------------------------------------------------------- living allowance

def allowance_months(released_on: date, registered_on: date, terms: AllowanceTerms) -> int:
    """months = 6 − ceil(max(0, days_from_release_to_registration − 30) / 30), floored at 0 (with the
    policy's own 6, 30 and 30)."""
    late = max(0, (registered_on - released_on).days - terms.grace_days)
    return max(0, terms.full_months - math.ceil(late / max(1, terms.step_days)))


def living_allowance(person: Person, *, month: str, terms: AllowanceTerms,
                     dibao: Mapping[tuple[str, int], Decimal],
                     region_names: Mapping[str, str] | None = None) -> tuple[Decimal, str]:
    """过渡性困难生活补助金 for one month (seed 002 三(三)): the dibao standard of the 户籍 region and
    the month's year; consecutive months from the month of registration, at most `months`. Only for a
    person released from prison (the seed ties it to the 刑满释放证明书) whose 生活确有困难 is recorded
    with its evidence. `region_names` names the dibao region in the rule a person reads (issue 17: places by
    name); a code without a name is shown as the code."""
    names = region_names or {}
    try:
        first = parse_month(month)
    except ValueError:
        raise NotEligible("month", _("must be a month YYYY-MM")) from None
    if person.subject_type != "released":
        raise NotEligible("resident_id", _("the living allowance is for people released from prison (with a "
                                           "刑满释放证明书), not for people whose community correction ended"))
    if person.hardship_recorded_on is None:
        raise NotEligible("resident_id", _("生活确有困难 (hardship) is not recorded with its evidence on the "
                                           "resident's file"))
    if person.registered_on is None:
        raise NotEligible("resident_id", _("the resident has not registered"))
    months = allowance_months(person.released_on, person.registered_on, terms)
    late_days = (person.registered_on - person.released_on).days
    start = first_of(person.registered_on)
    if months == 0:
        raise NotEligible("resident_id", _("registered %(days)s days after release: no allowance months remain "
                                           "(%(source)s)", days=late_days, source=terms.source))
    index = (first.year - start.year) * 12 + first.month - start.month
    if not 0 <= index < months:
        raise NotEligible("month", _("the allowance covers %(months)s months from %(start)s", months=months,
                                     start=month_key(start)))
    if person.dibao_since is not None and first_of(person.dibao_since) <= first:
        raise NotEligible("month", _("dibao is paid in %(month)s", month=month))
    # Paid up to the month of the reoffence, none from the month after (seed 002 三(三): 重新犯罪的，不再发放).
    if person.reoffended_on is not None and first_of(person.reoffended_on) < first:
        raise NotEligible("month", _("no allowance after reoffending"))
    for code in regions_up_from(person.hukou_region_code):  # the 户籍 county, else its city, else province
        standard = dibao.get((code, first.year))
        if standard is not None:
            break
    else:
        raise NotEligible("resident_id", _("no dibao standard for region %(region)s in %(year)s",
                                           region=names.get(person.hukou_region_code, person.hukou_region_code),
                                           year=first.year))
    amount = _money(standard)
    rule = (f"过渡性困难生活补助金：户籍地 {names.get(code, code)} {first.year} 年低保标准 {amount} 元/月；"
            f"释放后第 {late_days} 天报到，可享 {months} 个月（最多 {terms.full_months} 个月，"
            f"逾期 {terms.grace_days} 天后每 {terms.step_days} 天扣减 1 个月），"
            f"自 {month_key(start)} 起第 {index + 1} 个月；依据：{terms.source}")
    return amount, rule


# ---------------------------------------------------------------- handover

# The tier by the first level (province, city, county: digits of the GB/T 2260 code) at which the prison's
# and the receiving region's codes differ; equal at every level both codes name → the same county.
HANDOVER_TIERS = (
    (2, "handover_other_province", "外省"),
    (4, "handover_same_province", "同省不同市"),
    (6, "handover_same_city", "同市不同县"),
)
SAME_COUNTY = ("handover_same_county", "同县")
HANDOVER_KEYS = (*(key for _d, key, _l in HANDOVER_TIERS), SAME_COUNTY[0])


def code_precision(code: str) -> int:
    """How many leading digits of a GB/T 2260 code name a region: 2 (province PP0000), 4 (city PPCC00), 6."""
    return {"province": 2, "city": 4}.get(region_level_of(code), 6)


def handover_tier(prison_region_code: str, receiving_region_code: str) -> tuple[str, str]:
    """(setting key, label) comparing the most precise codes both sides have: a prison recorded by its
    city's code, in the receiving county's city, is not "another county" — nothing says it is."""
    depth = min(code_precision(prison_region_code), code_precision(receiving_region_code))
    for digits, key, label in HANDOVER_TIERS:
        if digits <= depth and prison_region_code[:digits] != receiving_region_code[:digits]:
            return key, label
    return SAME_COUNTY


def handover(*, is_key_subject: bool, collected_on: date | None, prison_region_code: str,
             receiving_region_code: str, terms: HandoverTerms,
             region_names: dict[str, str] | None = None) -> tuple[Decimal, str]:
    """衔接经费补助 (seed 004 item 6 as the default): once per release notice, for a key subject actually
    collected; the tiers are the receiving county's policy on the day of receipt."""
    if not is_key_subject:
        raise NotEligible("release_notice_id", _("only key subjects are eligible"))
    if collected_on is None:
        raise NotEligible("release_notice_id", _("the person has not been collected"))
    key, label = handover_tier(prison_region_code, receiving_region_code)
    amount = _money(terms.amounts[key])
    names = region_names or {}  # places by name in the rule a person reads (issue 17), the code if unknown
    rule = (f"衔接经费补助：监狱所在地 {names.get(prison_region_code, prison_region_code)}，"
            f"接收地 {names.get(receiving_region_code, receiving_region_code)}（{label}），"
            f"{collected_on.isoformat()} 接回重点对象，补助 {amount} 元；依据：{terms.source}")
    return amount, rule


# ---------------------------------------------------------------- budget

def within_budget(budget: Decimal, committed: Decimal, amount: Decimal) -> bool:
    """Approving `amount` keeps approved + paid (`committed`) within the agreement's budget."""
    return committed + amount <= budget

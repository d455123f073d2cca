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

CENTS = Decimal("0.01")
DEFAULT_SETTINGS: dict[str, Decimal] = {
    "handover_same_county": Decimal("200"),
    "handover_same_city": Decimal("300"),
    "handover_same_province": Decimal("500"),
    "handover_other_province": Decimal("1000"),
    "living_allowance_months": Decimal("6"),
    "registration_grace_days": Decimal("30"),
    "lateness_step_days": Decimal("30"),
    "max_resubmissions": Decimal("2"),
}


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
    dibao_since: date | None = None
    reoffended_on: date | None = None


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


def _setting(settings: Mapping[str, Decimal], key: str) -> Decimal:
    value = settings.get(key)
    return Decimal(str(value)) if value is not None else DEFAULT_SETTINGS[key]


def _int_setting(settings: Mapping[str, Decimal], key: str) -> int:
    return int(_setting(settings, key))


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

def allowance_months(released_on: date, registered_on: date, settings: Mapping[str, Decimal]) -> int:
    """months = 6 − ceil(max(0, days_from_release_to_registration − 30) / 30), floored at 0."""
    full = _int_setting(settings, "living_allowance_months")
    grace = _int_setting(settings, "registration_grace_days")
    step = max(1, _int_setting(settings, "lateness_step_days"))
    late = max(0, (registered_on - released_on).days - grace)
    return max(0, full - math.ceil(late / step))


def region_candidates(code: str) -> list[str]:
    """The 户籍 county, else its city, else its province (GB/T 2260 codes)."""
    out = [code, code[:4] + "00", code[:2] + "0000"]
    return list(dict.fromkeys(out))


def living_allowance(person: Person, *, month: str, settings: Mapping[str, Decimal],
                     dibao: Mapping[tuple[str, int], Decimal]) -> tuple[Decimal, str]:
    """过渡性困难生活补助金 for one month (seed 002 三(三)): the dibao standard of the 户籍 region and
    the month's year; consecutive months from the month of registration, at most `months`."""
    try:
        first = parse_month(month)
    except ValueError:
        raise NotEligible("month", _("must be a month YYYY-MM")) from None
    if person.registered_on is None:
        raise NotEligible("resident_id", _("the resident has not registered"))
    months = allowance_months(person.released_on, person.registered_on, settings)
    late_days = (person.registered_on - person.released_on).days
    start = first_of(person.registered_on)
    if months == 0:
        raise NotEligible("resident_id", _("registered %(days)s days after release: no allowance months remain",
                                           days=late_days))
    index = (first.year - start.year) * 12 + first.month - start.month
    if not 0 <= index < months:
        raise NotEligible("month", _("the allowance covers %(months)s months from %(start)s", months=months,
                                     start=month_key(start)))
    if person.dibao_since is not None and first_of(person.dibao_since) <= first:
        raise NotEligible("month", _("dibao is paid in %(month)s", month=month))
    if person.reoffended_on is not None and first_of(person.reoffended_on) <= first:
        raise NotEligible("month", _("no allowance after reoffending"))
    for code in region_candidates(person.hukou_region_code):
        standard = dibao.get((code, first.year))
        if standard is not None:
            break
    else:
        raise NotEligible("resident_id", _("no dibao standard for region %(region)s in %(year)s",
                                           region=person.hukou_region_code, year=first.year))
    amount = _money(standard)
    full = _int_setting(settings, "living_allowance_months")
    rule = (f"过渡性困难生活补助金：户籍地 {code} {first.year} 年低保标准 {amount} 元/月；"
            f"释放后第 {late_days} 天报到，可享 {months} 个月（最多 {full} 个月），"
            f"自 {month_key(start)} 起第 {index + 1} 个月")
    return amount, rule


# ---------------------------------------------------------------- handover

HANDOVER_LEVELS = (
    (6, "handover_same_county", "同县"),
    (4, "handover_same_city", "同市不同县"),
    (2, "handover_same_province", "同省不同市"),
    (0, "handover_other_province", "外省"),
)


def handover(*, is_key_subject: bool, collected_on: date | None, prison_region_code: str,
             receiving_region_code: str, settings: Mapping[str, Decimal]) -> tuple[Decimal, str]:
    """衔接经费补助 (seed 004 item 6): once per release notice, for a key subject actually collected."""
    if not is_key_subject:
        raise NotEligible("release_notice_id", _("only key subjects are eligible"))
    if collected_on is None:
        raise NotEligible("release_notice_id", _("the person has not been collected"))
    key, label = next((k, lbl) for digits, k, lbl in HANDOVER_LEVELS
                      if prison_region_code[:digits] == receiving_region_code[:digits])
    amount = _money(_setting(settings, key))
    rule = (f"衔接经费补助：监狱所在地 {prison_region_code}，接收地 {receiving_region_code}（{label}），"
            f"{collected_on.isoformat()} 接回重点对象，补助 {amount} 元")
    return amount, rule


def max_handover(settings: Mapping[str, Decimal]) -> Decimal:
    return max(_money(_setting(settings, key)) for _d, key, _l in HANDOVER_LEVELS)


# ---------------------------------------------------------------- budget

def within_budget(budget: Decimal, committed: Decimal, amount: Decimal) -> bool:
    """Approving `amount` keeps approved + paid (`committed`) within the agreement's budget."""
    return committed + amount <= budget

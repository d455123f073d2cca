"""The rule values a published policy document can set, each with its national default
(docs/domain.md "Policy differs by region and changes over time"; docs/policies.md "Policies as data").

One home for every number that a province, city or county replaces by its own document: the
engine knows only these keys (a policy naming another key is refused), and the code asks
`policies.services.applied(key, region_code, on)` for the value that applies to a case — never a
constant of its own. The defaults are the system's, not any region's document: a page that shows
one says so ("系统默认值") and never cites a document the region does not follow.

`decided_by` says which region and which date decide the value (docs/domain.md lists them):
- the receiving county on the day of receipt: notice deadlines and the handover tiers;
- the person's 户籍 county: the living allowance (the month claimed) and the support period
  (the day of release or of the end of correction);
- the person's 户籍 county on the day of discharge: the follow-up schedule (follow_up_*);
- the base's county on the day: stays, absences, training.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class RuleKey:
    key: str
    default: Decimal
    label: object  # lazy string
    unit: object  # lazy string
    decided_by: object  # lazy string
    whole: bool = True  # a count of days, months, years, nights or times
    low: Decimal = Decimal("0")
    high: Decimal = Decimal("100000")
    # Where the default comes from, in the repo's words (docs/policies.md); shown beside it.
    default_source: str = ""


def show(value: Decimal) -> str:
    """A rule value as people write it: 200, 0.8 — not 200.00 or 2E+2."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


_RECEIVING = _l("the receiving county, on the day the notice is received")
_HUKOU_MONTH = _l("the person's 户籍 county, in the month claimed")
_HUKOU_RELEASE = _l("the person's 户籍 county, on the day of release")
_HUKOU_DISCHARGE = _l("the person's 户籍 county, on the day of discharge")
_BASE_DAY = _l("the base's county, on the day")
_CLAIM_DAY = _l("the claim's county, on the day")
_REPORT_MONTH = _l("the county, in the month the report is due")

RULE_KEYS: dict[str, RuleKey] = {k.key: k for k in (
    RuleKey("handover_same_county", Decimal("200"), _l("Handover subsidy, prison in the same county"), _l("CNY"),
            _RECEIVING, whole=False, high=Decimal("1000000"), default_source="seed 004 item 6"),
    RuleKey("handover_same_city", Decimal("300"), _l("Handover subsidy, same city, another county"), _l("CNY"),
            _RECEIVING, whole=False, high=Decimal("1000000"), default_source="seed 004 item 6"),
    RuleKey("handover_same_province", Decimal("500"), _l("Handover subsidy, same province, another city"),
            _l("CNY"), _RECEIVING, whole=False, high=Decimal("1000000"), default_source="seed 004 item 6"),
    RuleKey("handover_other_province", Decimal("1000"), _l("Handover subsidy, prison in another province"),
            _l("CNY"), _RECEIVING, whole=False, high=Decimal("1000000"), default_source="seed 004 item 6"),
    RuleKey("receipt_working_days", Decimal("5"), _l("Receipt to the prison due within"), _l("working days"),
            _RECEIVING, low=Decimal("1"), high=Decimal("60"), default_source="seed 004 item 4"),
    RuleKey("living_allowance_months", Decimal("6"), _l("Living allowance, at most"), _l("months"),
            _HUKOU_MONTH, high=Decimal("60"), default_source="seed 002 三(三)"),
    RuleKey("registration_grace_days", Decimal("30"), _l("Registration after release within"), _l("days"),
            _HUKOU_MONTH, high=Decimal("365"), default_source="seed 002 三(三)"),
    RuleKey("lateness_step_days", Decimal("30"), _l("One allowance month deducted per late"), _l("days"),
            _HUKOU_MONTH, low=Decimal("1"), high=Decimal("365"), default_source="seed 002 三(三)"),
    RuleKey("support_years_released", Decimal("5"), _l("Support period after release from prison"), _l("years"),
            _HUKOU_RELEASE, low=Decimal("1"), high=Decimal("20"), default_source="seed 002 二(三)3"),
    RuleKey("support_years_correction_ended", Decimal("3"), _l("Support period after community correction ends"),
            _l("years"), _HUKOU_RELEASE, low=Decimal("1"), high=Decimal("20"), default_source="seed 002 二(三)3"),
    # 帮教回访 after discharge: four early contacts, then one every interval until the support period ends
    # (docs/domain.md "Follow-up after discharge"; seed 001 三、第三 每半年跟踪教育一次 for the half-year).
    *(RuleKey(f"follow_up_month_{n}", Decimal(months), label, _l("months after discharge"), _HUKOU_DISCHARGE,
              low=Decimal("1"), high=Decimal("120"), default_source="docs/domain.md \"Follow-up after discharge\"")
      for n, months, label in ((1, 1, _l("First follow-up contact")), (2, 3, _l("Second follow-up contact")),
                               (3, 6, _l("Third follow-up contact")), (4, 12, _l("Fourth follow-up contact")))),
    RuleKey("follow_up_interval_months", Decimal("6"), _l("Follow-up contacts after the fourth, every"), _l("months"),
            _HUKOU_DISCHARGE, low=Decimal("1"), high=Decimal("60"), default_source="seed 001 三、第三"),
    RuleKey("max_stay_days", Decimal("180"), _l("Longest stay at a base (a new base's limit)"), _l("days"),
            _BASE_DAY, low=Decimal("1"), high=Decimal("3650"), default_source="docs/domain.md \"Stays\""),
    RuleKey("absence_flag_nights", Decimal("3"), _l("Absence flagged (脱管 risk) after"), _l("nights"), _BASE_DAY,
            low=Decimal("1"), high=Decimal("29"), default_source="docs/domain.md \"Leave and absence\""),
    RuleKey("monthly_report_due_day", Decimal("3"), _l("Monthly report due to the city by"),
            _l("day of the following month"), _REPORT_MONTH, low=Decimal("1"), high=Decimal("28"),
            default_source="docs/domain.md \"Rates and reports\""),
    RuleKey("self_left_nights", Decimal("30"), _l("A stay may be closed as self-left after"), _l("nights away"),
            _BASE_DAY, low=Decimal("2"), high=Decimal("365"), default_source="docs/domain.md \"Leave and absence\""),
    RuleKey("training_completion_rate", Decimal("0.8"), _l("Share of sessions attended to complete a course"),
            _l("fraction 0–1"), _BASE_DAY, whole=False, low=Decimal("0.01"), high=Decimal("1"),
            default_source="docs/domain.md \"Training\""),
    RuleKey("minimum_admission_age", Decimal("16"), _l("Youngest age admitted (younger: refer to school)"),
            _l("years"), _BASE_DAY, low=Decimal("14"), high=Decimal("18"), default_source="seed 000 art. 14"),
    RuleKey("max_resubmissions", Decimal("2"), _l("Times a rejected claim may be resubmitted"), _l("times"),
            _CLAIM_DAY, high=Decimal("20"), default_source="docs/domain.md \"Claim life cycle\""),
)}

"""Release-notice use cases: register a notice, its receipt (回执) and collection (必接必送); the work calendar.

Seed 004 item 4: the prison sends a 《释放通知书》 about a month before release;
the receiving office answers with a receipt within 5 working days (the default; the receiving county's
policy decides, policies/keys.py receipt_working_days). Seed 002
二(三)2: key subjects are collected from the prison by staff.

Validation of one notice is a pure function (`validate_notice`) over rules
loaded once (`notice_rules`), so one registration through the API and two
thousand rows of a prison's spreadsheet are checked by the very same code.
Each write is a use case in one unit of work (core/unit_of_work.py): it commits
once, and a refusal rolls everything back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from base_ops.accounts.models import Role
from base_ops.core import audit, clock
from base_ops.core.errors import Conflict, ValidationFailed
from base_ops.core.identity import validate_id_number
from base_ops.core.scope import region_code_prefix
from base_ops.core.transitions import compare_and_set
from base_ops.core.unit_of_work import before_first_write, on_constraint, unit_of_work, use_case
from base_ops.core.workdays import WorkCalendar, WorkCalendarDay, add_working_days, due_with
from base_ops.extensions import db
from base_ops.intake.models import ReleaseNotice
from base_ops.org.models import Region, RegionLevel
from base_ops.policies import services as policies
from base_ops.residents.models import Resident

NOTICE_FIELDS = (
    "id_number", "name", "prison_name", "prison_region_code", "expected_release_on", "received_on",
    "receiving_region_code", "risk_assessment", "relief_advice", "is_key_subject",
)
TEXT_LIMITS = {"name": 50, "prison_name": 100}
LONG_TEXT_MAX = 2000
TRUE_WORDS = frozenset({"是", "true", "yes", "y", "1", "重点"})
FALSE_WORDS = frozenset({"否", "false", "no", "n", "0"})
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S")
REGION_CODE = re.compile(r"^\d{6}$")


# ---------------------------------------------------------------- validation (pure)

@dataclass(frozen=True)
class NoticeRules:
    """What checking a notice needs, loaded once: today, the regions named, the actor's receiving scope."""

    today: date
    region_levels: Mapping[str, RegionLevel]
    may_receive: Callable[[str], bool]


def receiving_scope(actor) -> Callable[[str], bool]:
    """Counties the actor may register notices for: a manager's base counties, an officer's region."""
    if actor is None:  # the system itself (seed loaders)
        return lambda _code: True
    if actor.role == Role.BASE_MANAGER:
        codes = frozenset(base.region_code for base in actor.bases)
        return lambda code: code in codes
    if actor.role == Role.COUNTY_OFFICER and actor.region_code:
        prefix = region_code_prefix(actor.region_code)
        return lambda code: code.startswith(prefix)
    return lambda _code: False


def notice_rules(actor, region_codes: Iterable[str]) -> NoticeRules:
    """Rules for checking notices naming these region codes (one query)."""
    codes = {c for c in region_codes if isinstance(c, str) and REGION_CODE.match(c)}
    levels = dict(db.session.execute(select(Region.code, Region.level).where(Region.code.in_(codes))).all()) \
        if codes else {}
    return NoticeRules(today=clock.today(), region_levels=levels, may_receive=receiving_scope(actor))


def as_text(value: Any) -> str:
    """A cell or JSON value as trimmed text; whole numbers from spreadsheets lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value != value:  # NaN: an empty cell
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value).strip()


def parse_date(value: Any) -> date | None:
    """A date from a date, a datetime or text in the usual Chinese office formats; None if not a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = as_text(value)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = as_text(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return None


def validate_notice(raw: Mapping[str, Any], rules: NoticeRules) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check one notice; returns (clean values, {field: [problems]}). Reads nothing, writes nothing."""
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}

    def fail(field: str, problem: str) -> None:
        errors.setdefault(field, []).append(problem)

    try:
        clean["id_number"] = validate_id_number(as_text(raw.get("id_number")), "id_number")
    except ValidationFailed as error:
        for field, problems in error.fields.items():
            errors.setdefault(field, []).extend(problems)

    for field in ("name", "prison_name"):
        text = as_text(raw.get(field))
        if not text:
            fail(field, _("is required"))
        elif len(text) > TEXT_LIMITS[field]:
            fail(field, _("must be at most %(max)s characters", max=TEXT_LIMITS[field]))
        clean[field] = text

    for field in ("risk_assessment", "relief_advice"):
        text = as_text(raw.get(field))
        if len(text) > LONG_TEXT_MAX:
            fail(field, _("must be at most %(max)s characters", max=LONG_TEXT_MAX))
        clean[field] = text or None

    for field in ("expected_release_on", "received_on"):
        value = raw.get(field)
        day = parse_date(value)
        if day is None:
            fail(field, _("is required") if not as_text(value) else _("is not a date (YYYY-MM-DD)"))
        elif not 2000 <= day.year <= 2100:
            fail(field, _("must be between %(low)s and %(high)s", low=2000, high=2100))
        clean[field] = day
    if clean["received_on"] and clean["received_on"] > rules.today:
        fail("received_on", _("must not be in the future"))

    for field in ("prison_region_code", "receiving_region_code"):
        code = as_text(raw.get(field))
        clean[field] = code
        if not code:
            fail(field, _("is required"))
        elif not REGION_CODE.match(code):
            fail(field, _("must be a six-digit region code (GB/T 2260)"))
        elif code not in rules.region_levels:
            fail(field, _("no region with code %(code)s", code=code))
    code = clean["receiving_region_code"]
    if "receiving_region_code" not in errors:
        if rules.region_levels[code] != RegionLevel.COUNTY:
            fail("receiving_region_code", _("must be a county-level code"))
        elif not rules.may_receive(code):
            fail("receiving_region_code", _("is outside your scope"))

    key = raw.get("is_key_subject")
    clean["is_key_subject"] = parse_bool(key)
    if clean["is_key_subject"] is None:
        fail("is_key_subject", _("is required") if not as_text(key) else _("must be yes or no (是/否)"))
    return clean, errors


def invalid(errors: dict[str, list[str]]) -> ValidationFailed:
    return ValidationFailed(_("Invalid input: %(fields)s", fields=", ".join(sorted(errors))), fields=errors)


# ---------------------------------------------------------------- writes

# One notice per person and expected release (ReleaseNotice's unique constraint): a concurrent
# registration or import of the same notice that lost the race is 409 notice_exists.
NOTICE_UNIQUE = "uq_release_notices_id_number_expected_release_on"


def notice_exists(existing_id: int | None = None) -> Conflict:
    return Conflict(_("A notice for this person and release date is already registered."),
                    code="notice_exists", extra={"id": existing_id})


on_constraint(NOTICE_UNIQUE, notice_exists)


def _existing_notice_id(id_number: str, expected_release_on: date) -> int | None:
    return db.session.execute(
        select(ReleaseNotice.id).where(
            ReleaseNotice.id_number == id_number, ReleaseNotice.expected_release_on == expected_release_on
        )
    ).scalar()


def resident_ids_by_id_number(id_numbers: Iterable[str]) -> dict[str, int]:
    """{id_number: resident id} for the residents already on file (one query per 500 numbers)."""
    numbers = sorted(set(id_numbers))
    found: dict[str, int] = {}
    for i in range(0, len(numbers), 500):
        chunk = numbers[i:i + 500]
        found.update(db.session.execute(
            select(Resident.id_number, Resident.id).where(Resident.id_number.in_(chunk))
        ).all())
    return found


def build_notice(actor, clean: Mapping[str, Any], due: tuple[date, bool], resident_id: int | None) -> ReleaseNotice:
    """A new notice from validated values (not yet added to the session)."""
    return ReleaseNotice(
        **{field: clean[field] for field in NOTICE_FIELDS},
        feedback_due_on=due[0], feedback_due_is_estimate=due[1], resident_id=resident_id,
        created_by_id=getattr(actor, "id", None),
    )


def register_notice(actor, *, id_number, name, prison_name, prison_region_code, expected_release_on, received_on,
                    receiving_region_code, is_key_subject, risk_assessment=None,
                    relief_advice=None) -> ReleaseNotice:
    """Register a prison's release notice; the receipt falls due the receiving county's policy's working days
    after receipt (5 by default, seed 004 item 4).

    The receiving county must lie in the actor's scope. One notice per person
    and expected release date: a repeat is 409 notice_exists with its id, also for
    the loser of two concurrent registrations (the unique constraint decides).
    """
    raw = {
        "id_number": id_number, "name": name, "prison_name": prison_name, "prison_region_code": prison_region_code,
        "expected_release_on": expected_release_on, "received_on": received_on,
        "receiving_region_code": receiving_region_code, "risk_assessment": risk_assessment,
        "relief_advice": relief_advice, "is_key_subject": is_key_subject,
    }
    # Checking only reads; the unit below needs the person and release date to name the winner of a race.
    clean, errors = validate_notice(raw, notice_rules(actor, [as_text(prison_region_code),
                                                              as_text(receiving_region_code)]))
    if errors:
        raise invalid(errors)
    with unit_of_work(conflicts={NOTICE_UNIQUE: lambda: notice_exists(_winner_id(clean))}):
        existing = _existing_notice_id(clean["id_number"], clean["expected_release_on"])
        if existing is not None:
            raise notice_exists(existing)
        resident_id = resident_ids_by_id_number([clean["id_number"]]).get(clean["id_number"])
        due = feedback_due(clean["received_on"], clean["receiving_region_code"])
        notice = build_notice(actor, clean, due, resident_id)
        db.session.add(notice)
        audit.record(actor, "notice_registered", notice, receiving_region_code=notice.receiving_region_code,
                     is_key_subject=notice.is_key_subject, feedback_due_on=due[0].isoformat(),
                     feedback_due_is_estimate=due[1], resident_id=resident_id)
    return notice


def _winner_id(clean: Mapping[str, Any]) -> int | None:
    """The id of the notice that won a race. Only a unit that has rolled back can still read: one nested
    in a caller's unit maps the violation before the caller rolls back, and names no id."""
    if not db.session.is_active:
        return None
    return _existing_notice_id(clean["id_number"], clean["expected_release_on"])


def receipt_rule(receiving_region_code: str, received_on: date) -> policies.Applied:
    """The 回执 is due within this many working days: the receiving county's policy on the day of receipt
    (seed 004 item 4 sets 5 by default; policies/keys.py receipt_working_days), and the document saying so."""
    return policies.applied("receipt_working_days", receiving_region_code, received_on)


def receipt_working_days(receiving_region_code: str, received_on: date) -> int:
    return receipt_rule(receiving_region_code, received_on).whole


def feedback_due(received_on: date, receiving_region_code: str) -> tuple[date, bool]:
    return add_working_days(received_on, receipt_working_days(receiving_region_code, received_on))


def due_dates(received: list[date]) -> Callable[[date, str], tuple[date, bool]]:
    """Receipt deadlines for many notices, (received_on, receiving county) → (due, is_estimate), from one
    calendar query (the bulk import, the seed)."""
    if not received:
        return feedback_due
    calendar = WorkCalendar.covering(received, receipt_working_days("", max(received)))
    return lambda day, region_code: due_with(calendar, day, receipt_working_days(region_code, day))


def _day_problem(day: date | None, not_before: date | None, not_before_msg: str) -> str | None:
    if day is None:
        return _("is required")
    if day > clock.today():
        return _("must not be in the future")
    if not_before is not None and day < not_before:
        return not_before_msg
    return None


def _required_text(value: str | None, limit: int) -> tuple[str, str | None]:
    text = (value or "").strip()
    if not text:
        return text, _("is required")
    if len(text) > limit:
        return text, _("must be at most %(max)s characters", max=limit)
    return text, None


@use_case
def record_feedback(actor, notice: ReleaseNotice, *, sent_on: date | None, arrangement: str | None) -> ReleaseNotice:
    """Record the receipt (回执) sent back to the prison, once (seed 004 item 4)."""
    if notice.feedback_sent_on is not None:
        raise Conflict(_("The receipt for this notice is already recorded."), code="feedback_exists")
    errors: dict[str, list[str]] = {}
    problem = _day_problem(sent_on, notice.received_on,
                           _("must not be before the notice was received (%(date)s)",
                             date=notice.received_on.isoformat()))
    if problem:
        errors["sent_on"] = [problem]
    text, problem = _required_text(arrangement, LONG_TEXT_MAX)
    if problem:
        errors["arrangement"] = [problem]
    if errors or sent_on is None:
        raise invalid(errors)
    # Compare-and-set on feedback_sent_on IS NULL: two racing requests cannot both record a receipt.
    notice_id = notice.id
    before_first_write()
    if not compare_and_set(ReleaseNotice, notice_id, None, sent_on, column="feedback_sent_on",
                           values={"feedback_arrangement": text}):
        raise Conflict(_("The receipt for this notice is already recorded."), code="feedback_exists")
    db.session.refresh(notice)
    audit.record(actor, "notice_feedback_recorded", notice, sent_on=sent_on.isoformat(),
                 on_time=sent_on <= notice.feedback_due_on)
    return notice


@use_case
def record_collection(actor, notice: ReleaseNotice, *, collected_on: date | None,
                      collected_by: str | None) -> ReleaseNotice:
    """Record that staff collected a key subject from the prison (必接必送, seed 002 二(三)2), once."""
    if not notice.is_key_subject:
        raise ValidationFailed(_("Only key subjects are collected from the prison (必接必送)."),
                               code="not_key_subject")
    if notice.collected_on is not None:
        raise Conflict(_("The collection of this person is already recorded."), code="collection_exists")
    errors: dict[str, list[str]] = {}
    problem = _day_problem(collected_on, None, "")
    if problem:
        errors["collected_on"] = [problem]
    text, problem = _required_text(collected_by, 100)
    if problem:
        errors["collected_by"] = [problem]
    if errors or collected_on is None:
        raise invalid(errors)
    notice_id = notice.id
    before_first_write()
    if not compare_and_set(ReleaseNotice, notice_id, None, collected_on, column="collected_on",
                           values={"collected_by": text}):
        raise Conflict(_("The collection of this person is already recorded."), code="collection_exists")
    db.session.refresh(notice)
    audit.record(actor, "notice_collection_recorded", notice, collected_on=collected_on.isoformat(),
                 prison_region_code=notice.prison_region_code)
    return notice


@use_case
def record_notice_view(actor, notice: ReleaseNotice, via: str = "page") -> ReleaseNotice:
    """Audit that the actor opened a notice with its risk assessment and relief advice.

    The risk assessment is sensitive personal information (GB/T 35273-2020 B.2;
    docs/security.md "Audit": every view of a sensitive field is logged).
    """
    audit.record(actor, "notice_viewed", notice, fields=["risk_assessment", "relief_advice"], via=via)
    return notice


# ---------------------------------------------------------------- the work calendar

@use_case
def set_calendar_day(actor, *, day: date, is_workday: bool, note: str | None) -> WorkCalendarDay:
    """An admin marks a day as a working day or a holiday (new deadlines follow; old ones stand)."""
    if not 2000 <= day.year <= 2100:
        raise ValidationFailed.on("day", _("must be between %(low)s and %(high)s", low=2000, high=2100))
    note = (note or "").strip() or None
    if note and len(note) > 50:
        raise ValidationFailed.on("note", _("must be at most %(max)s characters", max=50))
    row = db.session.get(WorkCalendarDay, day)
    previous = None if row is None else row.is_workday
    if row is None:
        row = WorkCalendarDay(day=day)
        db.session.add(row)
    row.is_workday = is_workday
    row.source = "admin"
    row.note = note
    audit.record(actor, "calendar_day_set", object_type="WorkCalendarDay", object_id=day.isoformat(),
                 is_workday=is_workday, previous=previous, note=note)
    return row


@use_case
def refresh_calendar(actor=None) -> tuple[int, int]:
    """Add the days the installed chinesecalendar knows and the table lacks; (inserted, corrected).

    Rows an admin set (source 'admin') are never touched; rows from an older
    chinesecalendar are corrected when the package now says otherwise.
    """
    import chinese_calendar
    from chinese_calendar import constants

    years = sorted({d.year for d in constants.holidays})
    first, last = date(years[0], 1, 1), date(years[-1], 12, 31)
    existing = {row.day: row for row in db.session.execute(
        select(WorkCalendarDay).where(WorkCalendarDay.day >= first, WorkCalendarDay.day <= last)
    ).scalars()}
    inserted = corrected = 0
    day = first
    while day <= last:
        is_workday = chinese_calendar.is_workday(day)
        row = existing.get(day)
        if row is None:
            db.session.add(WorkCalendarDay(day=day, is_workday=is_workday, source="chinesecalendar",
                                           note=_holiday_name(day)))
            inserted += 1
        elif row.source == "chinesecalendar" and row.is_workday != is_workday:
            row.is_workday = is_workday
            row.note = _holiday_name(day)
            corrected += 1
        day = date.fromordinal(day.toordinal() + 1)
    audit.record(actor, "calendar_refreshed", object_type="WorkCalendarDay", inserted=inserted,
                 corrected=corrected, first=first.isoformat(), last=last.isoformat())
    return inserted, corrected


def _holiday_name(day: date) -> str | None:
    import chinese_calendar

    _on_holiday, name = chinese_calendar.get_holiday_detail(day)
    if not name:
        return None
    holiday = next((h for h in chinese_calendar.Holiday if h.value == name), None)
    return holiday.chinese if holiday else name

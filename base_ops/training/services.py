"""Training use cases: courses, sessions, enrolment, attendance, certificates (docs/domain.md "Training").

Free skills training is a core function of the base (seed 002 二(四)2(1), seed
004 item 7). Each use case takes plain values and the actor, checks before
writing, audits in the same transaction and runs as one unit of work
(core/unit_of_work.py), which commits once (a busy SQLite is 409 busy). What must
hold under concurrent requests is held by the database:

- capacity: enrolling increments `courses.enrolled_count` with one UPDATE in the
  enrolment's transaction, and the CHECK ck_courses_within_capacity refuses the
  enrolment past the last place (409 course_full). The UPDATE also serialises
  enrolments of one course (a row lock on PostgreSQL; SQLite's write lock).
- one enrolment per (course, resident) and one attendance row per (session,
  resident): unique constraints; saving attendance again updates the rows.

An enrolment's moves (withdrawn, enrolled again) are its state machine's
(models.Enrolment.transitions), which records their audit rows.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select, update

from base_ops.accounts.models import Role
from base_ops.core import audit, clock, transitions
from base_ops.core.errors import Conflict, NotEligible, PermissionDenied, ValidationFailed
from base_ops.core.unit_of_work import before_first_write, flush, use_case
from base_ops.enterprises import bars
from base_ops.extensions import db
from base_ops.org.queries import get_base
from base_ops.policies import services as policies
from base_ops.policies.keys import RULE_KEYS
from base_ops.residents.models import Resident
from base_ops.residents.queries import get_resident, residents_in_scope
from base_ops.training import queries, reports
from base_ops.training.models import (
    Attendance,
    AttendanceStatus,
    Course,
    CourseSession,
    Enrolment,
    EnrolmentStatus,
    record_enrolment_move,
)

# Skill categories, stored as the Chinese word (docs/domain.md "Training"; the enterprise view shows them as skills).
# Not 保安: the law closes it to the people the base serves, so the base does not train them for it
# (docs/domain.md "Lawful bars on some jobs"; enterprises/bars.py). Older courses of it stay as they are.
SKILLS = ("电焊", "烹饪", "家政", "电工", "叉车", "其他")
# The system default (policies/keys.py); a course created without its own takes its county's policy.
DEFAULT_THRESHOLD = RULE_KEYS["training_completion_rate"].default.quantize(Decimal("0.001"))
MAX_CAPACITY = 500
MAX_SESSION_HOURS = Decimal("12")
MAX_COURSE_HOURS = Decimal("9999.9")
MAX_GENERATED = 400


class CourseFull(Conflict):
    code = "course_full"


class AlreadyEnrolled(Conflict):
    code = "already_enrolled"


class NotEnrolled(ValidationFailed):
    code = "not_enrolled"


class SessionExists(Conflict):
    code = "session_exists"


class Busy(Conflict):
    code = "busy"


CAPACITY = "ck_courses_within_capacity"
SESSION_DAY = "uq_course_sessions_course_id_held_on"
ENROLMENT = "uq_enrolments_course_id_resident_id"
CERTIFICATE_NUMBER = "uq_enrolments_course_id_certificate_number"


# ---------------------------------------------------------------- plumbing

def _busy() -> Busy:
    """A busy SQLite (the unit of work's on_busy for every use case here)."""
    return Busy(_("Someone else is saving to this course. Please try again."))


def _write(statement) -> None:
    """The use case's first write, an UPDATE that takes the lock serialising it (a row lock on PostgreSQL,
    the write lock on SQLite, waited for after ending the read snapshot). An UPDATE statement, not text, so
    the unit of work knows the transaction has written."""
    before_first_write()
    db.session.execute(statement.execution_options(synchronize_session=False))


def _lock_course(course_id: int) -> None:
    """Serialise with the course's enrolments (and other changes of it)."""
    _write(update(Course).where(Course.id == course_id).values(capacity=Course.capacity))


def _require_manager(actor) -> None:
    if getattr(actor, "role", None) != Role.BASE_MANAGER:
        raise PermissionDenied(_("Only a base manager sets up courses and enrols residents."))


def _require_staff(actor, course: Course) -> None:
    """Sessions, attendance and certificates: the course's own trainer or a manager of its base."""
    role = getattr(actor, "role", None)
    if role == Role.BASE_MANAGER and course.base_id in actor.base_ids:
        return
    if role == Role.TRAINER and course.trainer_id == actor.id:
        return
    raise PermissionDenied(_("Only the course's trainer or a manager of its base may do this."))


def _decimal(value, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed.on(field, _("must be a number")) from None
    if not number.is_finite():
        raise ValidationFailed.on(field, _("must be a number"))
    return number


def _hours(value, field: str, maximum: Decimal) -> Decimal:
    hours = _decimal(value, field)
    # The range first: quantize() raises InvalidOperation on a number too large for its precision.
    if not Decimal("0") < hours <= maximum:
        raise ValidationFailed.on(field, _("must be more than 0 and at most %(max)s", max=maximum))
    if hours != hours.quantize(Decimal("0.1")):
        raise ValidationFailed.on(field, _("at most one decimal place, e.g. 2.5"))
    return hours


def _text(value: str | None, field: str, max_length: int, required: bool) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationFailed.on(field, _("is required"))
        return None
    if len(value) > max_length:
        raise ValidationFailed.on(field, _("must be at most %(max)s characters", max=max_length))
    return value


# ---------------------------------------------------------------- courses

def default_threshold(region_code: str, on: date) -> Decimal:
    """The share of sessions to attend to complete a course when the course does not set its own."""
    return policies.applied("training_completion_rate", region_code, on).value.quantize(Decimal("0.001"))


def _threshold(value) -> Decimal:
    if value is None or value == "":
        return DEFAULT_THRESHOLD
    threshold = _decimal(value, "completion_threshold")
    if not Decimal("0") < threshold <= Decimal("1"):
        raise ValidationFailed.on("completion_threshold", _("must be a fraction above 0 and at most 1, e.g. 0.8"))
    if threshold != threshold.quantize(Decimal("0.001")):
        raise ValidationFailed.on("completion_threshold", _("at most three decimal places, e.g. 0.85"))
    return threshold.quantize(Decimal("0.001"))


def _trainer(username: str | None, base_id: int):
    """The trainer is a user with the trainer role at the course's base (or none yet)."""
    username = (username or "").strip()
    if not username:
        return None
    trainer = queries.trainer_by_username(username, base_id)
    if trainer is None:
        raise ValidationFailed.on("trainer", _("%(username)r is not a trainer at this base", username=username))
    return trainer


def _course_fields(*, title, skill, starts_on: date, ends_on: date, capacity: int, hours, completion_threshold,
                   certificate_type, kept_skill: str | None = None) -> dict:
    """The course's values checked; `kept_skill` is an existing course's own skill, kept even if no longer offered."""
    fields = {"title": _text(title, "title", 100, required=True)}
    bar = bars.bar_for_skill(skill)
    if skill != kept_skill and bar is not None:
        raise ValidationFailed.on("skill", _("%(job)s is closed by law to %(barred)s (%(law)s %(article)s): the base "
                                             "does not train its residents for it", job=bar.job, barred=bar.barred,
                                             law=bar.law, article=bar.article))
    if skill not in SKILLS and skill != kept_skill:
        raise ValidationFailed.on("skill", _("must be one of %(skills)s", skills="、".join(SKILLS)))
    fields["skill"] = skill
    if starts_on is None:
        raise ValidationFailed.on("starts_on", _("is required"))
    if ends_on is None or ends_on < starts_on:
        raise ValidationFailed.on("ends_on", _("must not be before the first day"))
    if (ends_on - starts_on).days > 366:
        raise ValidationFailed.on("ends_on", _("a course lasts at most a year"))
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= MAX_CAPACITY:
        raise ValidationFailed.on("capacity", _("must be a whole number from 1 to %(max)s", max=MAX_CAPACITY))
    fields.update(starts_on=starts_on, ends_on=ends_on, capacity=capacity,
                  hours=_hours(hours, "hours", MAX_COURSE_HOURS), completion_threshold=_threshold(completion_threshold),
                  certificate_type=_text(certificate_type, "certificate_type", 100, required=False))
    return fields


@use_case(on_busy=_busy)
def create_course(actor, *, base_id: int, title: str, skill: str, starts_on: date, ends_on: date, capacity: int,
                  hours, trainer: str | None = None, completion_threshold=None,
                  certificate_type: str | None = None) -> Course:
    """A course at one of the manager's bases, taught by a trainer of that base (docs/domain.md "Training")."""
    _require_manager(actor)
    base = get_base(actor, base_id)
    if completion_threshold is None or completion_threshold == "":
        # Not given: the share the base's county policy sets on the first day (policies/keys.py).
        completion_threshold = default_threshold(base.region_code, starts_on or clock.today())
    fields = _course_fields(title=title, skill=skill, starts_on=starts_on, ends_on=ends_on, capacity=capacity,
                            hours=hours, completion_threshold=completion_threshold, certificate_type=certificate_type)
    teacher = _trainer(trainer, base.id)
    course = Course(base_id=base.id, trainer_id=teacher.id if teacher else None, enrolled_count=0, **fields)
    db.session.add(course)
    audit.record(actor, "course_created", course, base_id=base.id, title=course.title, skill=course.skill,
                 trainer=teacher.username if teacher else None, capacity=course.capacity)
    return course


_UNSET = object()


def _capacity_below() -> ValidationFailed:
    return ValidationFailed.on("capacity", _("is below the number of residents enrolled"))


@use_case(on_busy=_busy, conflicts={CAPACITY: _capacity_below})
def update_course(actor, course: Course, *, title=_UNSET, skill=_UNSET, starts_on=_UNSET, ends_on=_UNSET,
                  capacity=_UNSET, hours=_UNSET, trainer=_UNSET, completion_threshold=_UNSET,
                  certificate_type=_UNSET) -> Course:
    """Change the given fields. The capacity never falls below the residents enrolled, and the dates
    keep every session inside the course."""
    _require_manager(actor)
    given = {k: v for k, v in {"title": title, "skill": skill, "starts_on": starts_on, "ends_on": ends_on,
                                "capacity": capacity, "hours": hours, "completion_threshold": completion_threshold,
                                "certificate_type": certificate_type}.items() if v is not _UNSET}
    current = {"title": course.title, "skill": course.skill, "starts_on": course.starts_on, "ends_on": course.ends_on,
               "capacity": course.capacity, "hours": course.hours,
               "completion_threshold": course.completion_threshold, "certificate_type": course.certificate_type}
    fields = _course_fields(**{**current, **given}, kept_skill=course.skill)
    _lock_course(course.id)  # lock out enrolments
    db.session.refresh(course)
    if fields["capacity"] < course.enrolled_count:
        raise ValidationFailed.on("capacity", _("%(n)s residents are enrolled: the capacity cannot be lower",
                                                n=course.enrolled_count))
    sessions = queries.sessions_of(course)
    outside = [s.held_on for s in sessions if not fields["starts_on"] <= s.held_on <= fields["ends_on"]]
    if outside:
        raise ValidationFailed.on("starts_on" if outside[0] < fields["starts_on"] else "ends_on",
                                  _("a session is held on %(day)s, outside these dates", day=outside[0].isoformat()))
    if trainer is not _UNSET:
        teacher = _trainer(trainer, course.base_id)
        course.trainer_id = teacher.id if teacher else None
        fields["trainer"] = teacher.username if teacher else None
    changed = {}
    for name, value in fields.items():
        if name == "trainer":
            continue
        if getattr(course, name) != value:
            changed[name] = str(value)
            setattr(course, name, value)
    if "trainer" in fields:
        changed["trainer"] = fields["trainer"]
    audit.record(actor, "course_updated", course, **changed)
    return course


# ---------------------------------------------------------------- sessions

def _check_session_day(course: Course, held_on: date, field: str = "held_on") -> None:
    if held_on is None:
        raise ValidationFailed.on(field, _("is required"))
    if not course.starts_on <= held_on <= course.ends_on:
        raise ValidationFailed.on(field, _("must lie within the course, %(start)s to %(end)s",
                                           start=course.starts_on.isoformat(), end=course.ends_on.isoformat()))


@use_case(on_busy=_busy)
def add_session(actor, course: Course, *, held_on: date, hours, topic: str | None = None) -> CourseSession:
    """One session (a day's lesson); a course has at most one session a day."""
    _require_staff(actor, course)
    _check_session_day(course, held_on)
    hours = _hours(hours, "hours", MAX_SESSION_HOURS)
    topic = _text(topic, "topic", 100, required=False)
    if db.session.scalar(select(CourseSession.id).where(CourseSession.course_id == course.id,
                                                        CourseSession.held_on == held_on)):
        raise SessionExists(_("The course already has a session on %(day)s.", day=held_on.isoformat()),
                            fields={"held_on": [_("already has a session")]})
    session = CourseSession(course_id=course.id, held_on=held_on, hours=hours, topic=topic)
    db.session.add(session)
    # a session added at the same moment wins the unique constraint
    flush(conflicts={SESSION_DAY: lambda: SessionExists(
        _("The course already has a session on %(day)s.", day=held_on.isoformat()),
        fields={"held_on": [_("already has a session")]})})
    audit.record(actor, "session_added", session, course_id=course.id, held_on=held_on.isoformat(), hours=str(hours))
    return session


def pattern_days(first: date, last: date, weekdays: set[int], skip: set[date]) -> list[date]:
    """Days in [first, last] falling on the ISO weekdays (1 = Monday ... 7 = Sunday), except `skip`."""
    days, day = [], first
    while day <= last:
        if day.isoweekday() in weekdays and day not in skip:
            days.append(day)
        day += timedelta(days=1)
    return days


def _holidays(first: date, last: date) -> set[date]:
    """Monday-to-Friday days the working-day calendar marks as holidays (法定节假日)."""
    from base_ops.core.workdays import WorkCalendar

    calendar = WorkCalendar.load(first, last)
    return {day for day, is_workday in calendar.days.items() if not is_workday and day.isoweekday() <= 5}


def _sessions_added_meanwhile() -> SessionExists:
    return SessionExists(_("Someone added sessions at the same time. Please try again."))


@use_case(on_busy=_busy, conflicts={SESSION_DAY: _sessions_added_meanwhile})
def generate_sessions(actor, course: Course, *, weekdays, hours, from_on: date | None = None,
                      to_on: date | None = None, skip_holidays: bool = True,
                      topic: str | None = None) -> list[CourseSession]:
    """Sessions on a weekday pattern (e.g. Monday, Wednesday, Friday) between two days of the course.

    Days that already have a session are left alone, and public holidays on the working-day
    calendar are skipped unless `skip_holidays` is off. Returns the sessions created.
    """
    _require_staff(actor, course)
    try:
        pattern = {int(d) for d in (weekdays or [])}
    except (TypeError, ValueError):
        raise ValidationFailed.on("weekdays", _("must be weekday numbers, 1 = Monday to 7 = Sunday")) from None
    if not pattern or not pattern <= set(range(1, 8)):
        raise ValidationFailed.on("weekdays", _("choose at least one weekday (1 = Monday to 7 = Sunday)"))
    first, last = from_on or course.starts_on, to_on or course.ends_on
    _check_session_day(course, first, "from")
    _check_session_day(course, last, "to")
    if last < first:
        raise ValidationFailed.on("to", _("must not be before the first day"))
    hours = _hours(hours, "hours", MAX_SESSION_HOURS)
    topic = _text(topic, "topic", 100, required=False)
    _lock_course(course.id)
    taken = set(db.session.scalars(select(CourseSession.held_on).where(CourseSession.course_id == course.id)))
    skipped = _holidays(first, last) if skip_holidays else set()
    days = pattern_days(first, last, pattern, taken | skipped)
    if len(days) > MAX_GENERATED:
        raise ValidationFailed.on("to", _("would create more than %(max)s sessions", max=MAX_GENERATED))
    sessions = [CourseSession(course_id=course.id, held_on=day, hours=hours, topic=topic) for day in days]
    db.session.add_all(sessions)
    audit.record(actor, "sessions_generated", course, weekdays=sorted(pattern), first=first.isoformat(),
                 last=last.isoformat(), created=len(sessions), skipped_holidays=len(skipped))
    return sessions


# ---------------------------------------------------------------- enrolment

def _course_full() -> CourseFull:
    return CourseFull(_("The course is full."), fields={"resident_id": [_("no place is left")]})


@use_case(on_busy=_busy, conflicts={CAPACITY: _course_full})
def enrol(actor, course: Course, *, resident_id: int) -> Enrolment:
    """Enrol a resident with an open stay at the course's base (422 not_eligible otherwise).

    Refuses: a resident outside the manager's scope (404); a course that has ended (409
    course_ended); someone already enrolled (409 already_enrolled); the place past the
    capacity (409 course_full) — decided by the database, so it holds under concurrent requests.
    """
    _require_manager(actor)
    resident = get_resident(actor, resident_id)
    if course.ends_on < clock.today():
        raise Conflict(_("The course ended on %(day)s.", day=course.ends_on.isoformat()), code="course_ended")
    stay = queries.open_stay_at(resident.id, course.base_id)
    if stay is None:
        raise NotEligible.on("resident_id", _("%(name)s has no open stay at %(base)s",
                                              name=resident.name, base=course.base.name))
    name, course_id, stay_id = resident.name, course.id, stay.id
    existing = queries.enrolment_of(course_id, resident.id)
    if existing is not None and existing.status == EnrolmentStatus.ENROLLED:
        raise _already(name)
    _take_place(course_id)
    existing = queries.enrolment_of(course_id, resident_id)  # fresh, now that enrolments of the course wait for us
    if existing is not None and existing.status == EnrolmentStatus.ENROLLED:
        raise _already(name)
    if existing is not None:  # withdrawn earlier: enrolled again, one row per (course, resident)
        transitions.transition(existing, EnrolmentStatus.ENROLLED, actor=actor, expected=EnrolmentStatus.WITHDRAWN,
                               values={"stay_id": stay_id, "enrolled_on": clock.today()})
        return existing
    enrolment = Enrolment(course_id=course_id, resident_id=resident_id, stay_id=stay_id, enrolled_on=clock.today())
    db.session.add(enrolment)
    flush(conflicts={ENROLMENT: lambda: _already(name)})  # the same resident enrolled at the same moment
    record_enrolment_move(actor, enrolment, None, EnrolmentStatus.ENROLLED)
    return enrolment


def _already(name: str) -> AlreadyEnrolled:
    return AlreadyEnrolled(_("%(name)s is already enrolled in this course.", name=name),
                           fields={"resident_id": [_("is already enrolled")]})


def _take_place(course_id: int) -> None:
    """One place more, or 409 course_full: the CHECK ck_courses_within_capacity decides (mapped by the use case)."""
    _write(update(Course).where(Course.id == course_id).values(enrolled_count=Course.enrolled_count + 1))
    _expire_count(course_id)


def _expire_count(course_id: int) -> None:
    """The UPDATE bypassed the loaded course: read its count again when asked."""
    course = db.session.get(Course, course_id)
    if course is not None:
        db.session.expire(course, ["enrolled_count"])


@use_case(on_busy=_busy)
def withdraw(actor, enrolment: Enrolment) -> Enrolment:
    """Withdraw a resident from a course: the place is freed, the attendance kept."""
    _require_manager(actor)
    if enrolment.status == EnrolmentStatus.WITHDRAWN:
        raise Conflict(_("%(name)s has already been withdrawn.", name=enrolment.resident.name),
                       code="already_withdrawn")
    if enrolment.certificate_number:
        raise Conflict(_("%(name)s holds the course's certificate and cannot be withdrawn.",
                         name=enrolment.resident.name), code="certificate_recorded")
    course_id = enrolment.course_id
    _lock_course(course_id)  # withdrawals and enrolments of the course wait for us; then read again
    db.session.refresh(enrolment)
    if enrolment.status == EnrolmentStatus.WITHDRAWN:  # a double click: the place is freed once
        raise Conflict(_("%(name)s has already been withdrawn.", name=enrolment.resident.name),
                       code="already_withdrawn")
    db.session.execute(update(Course).where(Course.id == course_id).values(enrolled_count=Course.enrolled_count - 1)
                       .execution_options(synchronize_session=False))
    _expire_count(course_id)
    transitions.transition(enrolment, EnrolmentStatus.WITHDRAWN, actor=actor, expected=EnrolmentStatus.ENROLLED)
    return enrolment


# ---------------------------------------------------------------- attendance

def _records(records) -> dict[int, AttendanceStatus]:
    if not records:
        raise ValidationFailed.on("records", _("mark at least one resident"))
    marks: dict[int, AttendanceStatus] = {}
    for record in records:
        resident_id, status = record.get("resident_id"), record.get("status")
        if not isinstance(resident_id, int) or isinstance(resident_id, bool):
            raise ValidationFailed.on("records", _("every record needs a resident_id"))
        try:
            value = AttendanceStatus(status)
        except ValueError:
            raise ValidationFailed.on("records", _("status must be present, late, absent or excused")) from None
        if resident_id in marks:
            raise ValidationFailed.on("records", _("resident %(id)s is marked twice", id=resident_id))
        marks[resident_id] = value
    return marks


def _not_enrolled(actor, resident_ids: list[int]) -> NotEnrolled:
    """422 naming each resident (by name when the actor may see him, else by number)."""
    names = dict(db.session.execute(
        residents_in_scope(actor).with_only_columns(Resident.id, Resident.name).where(Resident.id.in_(resident_ids))
    ).all())
    who = "、".join(names.get(i) or _("resident %(id)s", id=i) for i in sorted(resident_ids))
    problem = _("not enrolled in this course: %(who)s", who=who)
    return NotEnrolled(_("Not enrolled in this course: %(who)s.", who=who), fields={"records": [problem]})


@use_case(on_busy=_busy)
def record_attendance(actor, session: CourseSession, records) -> dict[str, int]:
    """Mark the roster of one session in one save (docs/domain.md "Training").

    Saving again updates (one row per session and resident, held by a unique constraint);
    nothing is written for a future session (422 held_on) or when anyone marked is not
    enrolled (422 not_enrolled, naming them). Rows of residents left out stay as they were.
    Returns the counts of what was saved by status.
    """
    course = session.course
    _require_staff(actor, course)
    if session.held_on > clock.today():
        raise ValidationFailed.on("held_on", _("the session on %(day)s has not been held yet",
                                               day=session.held_on.isoformat()), code="future_session")
    marks = _records(records)
    session_id, course_id = session.id, course.id
    # one save at a time
    _write(update(CourseSession).where(CourseSession.id == session_id).values(hours=CourseSession.hours))
    enrolments = dict(db.session.execute(
        select(Enrolment.resident_id, Enrolment.id).where(
            Enrolment.course_id == course_id, Enrolment.status == EnrolmentStatus.ENROLLED,
            Enrolment.resident_id.in_(list(marks)))
    ).all())
    missing = [i for i in marks if i not in enrolments]
    if missing:
        raise _not_enrolled(actor, missing)
    existing = {row.resident_id: row for row in db.session.scalars(
        select(Attendance).where(Attendance.session_id == session_id).execution_options(populate_existing=True))}
    created = changed = 0
    for resident_id, status in marks.items():
        row = existing.get(resident_id)
        if row is None:
            db.session.add(Attendance(session_id=session_id, resident_id=resident_id,
                                      enrolment_id=enrolments[resident_id], status=status, recorded_by_id=actor.id))
            created += 1
        elif row.status != status:
            row.status, row.recorded_by_id = status, actor.id
            changed += 1
    counts = {s.value: 0 for s in AttendanceStatus}
    for status in marks.values():
        counts[status.value] += 1
    audit.record(actor, "attendance_recorded", object_type="CourseSession", object_id=session_id,
                 course_id=course_id, created=created, changed=changed, **counts)
    return counts


# ---------------------------------------------------------------- certificates

def _number_used(number: str) -> Conflict:
    return Conflict(_("Certificate number %(number)s is already recorded for someone else in this course.",
                      number=number), fields={"certificate_number": [_("is already used")]},
                    code="certificate_number_used")


@use_case(on_busy=_busy)
def record_certificate(actor, enrolment: Enrolment, *, certificate_number: str,
                       certificate_on: date | None = None) -> Enrolment:
    """The certificate number of a resident who completed the course (422 not_completed otherwise)."""
    course = enrolment.course
    _require_staff(actor, course)
    number = _text(certificate_number, "certificate_number", 50, required=True)
    row = queries.progress_of(enrolment)
    if not row.completed:
        raise ValidationFailed.on("certificate_number", _not_completed_reason(course, row), code="not_completed")
    certificate_on = certificate_on or clock.today()
    if certificate_on > clock.today():
        raise ValidationFailed.on("certificate_on", _("must not be in the future"))
    if certificate_on < course.ends_on:
        raise ValidationFailed.on("certificate_on", _("must not be before the course ended on %(day)s",
                                                      day=course.ends_on.isoformat()))
    clash = db.session.scalar(select(Enrolment.id).where(
        Enrolment.course_id == course.id, Enrolment.certificate_number == number, Enrolment.id != enrolment.id))
    if clash:
        raise _number_used(number)
    previous = enrolment.certificate_number
    enrolment.certificate_number, enrolment.certificate_on = number, certificate_on
    audit.record(actor, "certificate_recorded", enrolment, course_id=course.id, resident_id=enrolment.resident_id,
                 certificate_number=number, previous=previous, certificate_on=certificate_on.isoformat())
    flush(conflicts={CERTIFICATE_NUMBER: lambda: _number_used(number)})  # a concurrent recording of the number
    return enrolment


def _not_completed_reason(course: Course, row) -> str:
    if row.status != EnrolmentStatus.ENROLLED.value:
        return _("%(name)s was withdrawn from the course", name=row.name)
    if course.ends_on >= clock.today():
        return _("the course has not ended yet (last day %(day)s)", day=course.ends_on.isoformat())
    return _("%(name)s attended %(rate)s, below the %(threshold)s needed to complete", name=row.name,
             rate=queries.percent(row.attendance_rate), threshold=queries.percent(course.completion_threshold))


# ---------------------------------------------------------------- exports

@use_case(on_busy=_busy)
def export_attendance_sheet(actor, course: Course) -> bytes:
    """The course's attendance sheet as a spreadsheet (audited with its row count)."""
    sheet = reports.attendance_sheet(course)
    content = reports.attendance_sheet_xlsx(sheet)
    audit.record(actor, "export", course, export="attendance_sheet", rows=len(sheet.rows))
    return content

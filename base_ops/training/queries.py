"""Read-only selects for training, always through the actor's scope; progress computed in SQL.

Scope (docs/domain.md "Training", docs/security.md): a trainer sees only the courses he
teaches at his bases and, of residents, only names and enrolment; a base
manager the courses of his bases; a county officer those of his region. The
admin, the auditor and enterprise users see no course (course rosters name
people).

Attendance rate = (present + late) / (sessions held - excused), where the
sessions held are the course's sessions dated on or before the day asked
about (today by default). A session held with nobody marked for a resident
counts as held and not attended. A resident completes the course when it has
ended (ends_on before that day), his enrolment is active and the rate meets
the course's threshold. One aggregate query per course, never a loop over
sessions x people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Float, Integer, Select, and_, case, cast, exists, false, func, literal, select, true
from sqlalchemy.orm import joinedload

from base_ops.accounts.models import Role, User
from base_ops.core import clock
from base_ops.core.errors import NotFound
from base_ops.extensions import db
from base_ops.intake.models import Stay
from base_ops.org.models import Base
from base_ops.org.queries import base_ids_filter
from base_ops.residents.models import Resident
from base_ops.residents.queries import resident_scope_filter
from base_ops.training.models import Attendance, AttendanceStatus, Course, CourseSession, Enrolment, EnrolmentStatus

ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


# ---------------------------------------------------------------- scope

def course_scope_filter(actor):
    """SQL filter: the courses the actor may see (trainer: his own, at his bases)."""
    role = getattr(actor, "role", None)
    if role not in (Role.COUNTY_OFFICER, Role.BASE_MANAGER, Role.TRAINER):
        return false()
    condition = base_ids_filter(actor, Course.base_id)
    if role == Role.TRAINER:
        condition = and_(condition, Course.trainer_id == actor.id)
    return condition


def courses_in_scope(actor) -> Select:
    return select(Course).where(course_scope_filter(actor))


def get_course(actor, course_id: int) -> Course:
    """The course if it exists and is in the actor's scope; 404 otherwise (no leak)."""
    course = db.session.execute(courses_in_scope(actor).where(Course.id == course_id)).scalar_one_or_none()
    if course is None:
        raise NotFound(_("No such course."))
    return course


def get_session(actor, session_id: int) -> CourseSession:
    found = db.session.execute(
        select(CourseSession).join(Course).where(CourseSession.id == session_id, course_scope_filter(actor))
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(_("No such session."))
    return found


def get_enrolment(actor, enrolment_id: int) -> Enrolment:
    found = db.session.execute(
        select(Enrolment).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.id == enrolment_id, course_scope_filter(actor))
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(_("No such enrolment."))
    return found


def course_status(course: Course, on: date | None = None) -> str:
    on = on or clock.today()
    if course.starts_on > on:
        return "upcoming"
    if course.ends_on < on:
        return "ended"
    return "running"


def status_filter(status: str | None, on: date):
    """SQL: courses upcoming (not started on `on`), running, or ended (last day before `on`)."""
    if status == "upcoming":
        return Course.starts_on > on
    if status == "running":
        return and_(Course.starts_on <= on, Course.ends_on >= on)
    if status == "ended":
        return Course.ends_on < on
    return true()


def list_courses(actor, *, base_id: int | None = None, status: str | None = None, on: date | None = None,
                 limit: int = 500) -> list[Course]:
    """Courses in scope, running first then upcoming then ended, newest start first."""
    on = on or clock.today()
    stmt = courses_in_scope(actor).where(status_filter(status, on))
    if base_id is not None:
        stmt = stmt.where(Course.base_id == base_id)
    order = case((Course.ends_on < on, 2), (Course.starts_on > on, 1), else_=0)
    return list(db.session.scalars(stmt.order_by(order, Course.starts_on.desc(), Course.id.desc()).limit(limit)))


def trainers_of_base(base_id: int) -> list[User]:
    """Enabled users with the trainer role at the base (who may teach its courses)."""
    from base_ops.accounts.models import user_bases

    return list(db.session.scalars(
        select(User).join(user_bases, user_bases.c.user_id == User.id)
        .where(user_bases.c.base_id == base_id, User.role == Role.TRAINER, User.is_enabled.is_(True))
        .order_by(User.display_name)
    ))


def trainers_of_bases(base_ids: list[int]) -> dict[int, list[User]]:
    """{base id: trainers_of_base(base id)} for several bases in one query (the new-course form)."""
    from base_ops.accounts.models import user_bases

    found: dict[int, list[User]] = {base_id: [] for base_id in base_ids}
    if not base_ids:
        return found
    rows = db.session.execute(
        select(User, user_bases.c.base_id).join(user_bases, user_bases.c.user_id == User.id)
        .where(user_bases.c.base_id.in_(base_ids), User.role == Role.TRAINER, User.is_enabled.is_(True))
        .order_by(User.display_name)
    )
    for user, base_id in rows:
        found[base_id].append(user)
    return found


def trainer_by_username(username: str, base_id: int) -> User | None:
    return next((u for u in trainers_of_base(base_id) if u.username == username), None)


# ---------------------------------------------------------------- sessions and rosters

def sessions_of(course: Course) -> list[CourseSession]:
    return list(db.session.scalars(
        select(CourseSession).where(CourseSession.course_id == course.id).order_by(CourseSession.held_on)
    ))


def enrolments_of(course: Course) -> list[Enrolment]:
    return list(db.session.scalars(select(Enrolment).where(Enrolment.course_id == course.id).order_by(Enrolment.id)))


def session_counts(course: Course) -> dict[int, dict[str, int]]:
    """{session_id: {status: n}} for every session of the course, in one query."""
    rows = db.session.execute(
        select(Attendance.session_id, Attendance.status, func.count())
        .join(CourseSession, CourseSession.id == Attendance.session_id)
        .where(CourseSession.course_id == course.id)
        .group_by(Attendance.session_id, Attendance.status)
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for session_id, status, n in rows:
        counts.setdefault(session_id, {s.value: 0 for s in AttendanceStatus})[AttendanceStatus(status).value] = n
    return counts


def session_of_day(course: Course, on: date | None = None) -> CourseSession | None:
    """The session to mark: the one held that day, else the latest held before it."""
    on = on or clock.today()
    return db.session.scalars(
        select(CourseSession).where(CourseSession.course_id == course.id, CourseSession.held_on <= on)
        .order_by(CourseSession.held_on.desc()).limit(1)
    ).first()


@dataclass
class RosterLine:
    enrolment_id: int
    resident_id: int
    name: str
    status: str | None  # what is recorded for this session, or None


def roster(session: CourseSession) -> list[RosterLine]:
    """Everyone enrolled (active) in the session's course, by name, with what is recorded; one query.

    Names only: a trainer never sees ID numbers, offence, risk or health.
    """
    rows = db.session.execute(
        select(Enrolment.id, Enrolment.resident_id, Resident.name, Attendance.status)
        .join(Resident, Resident.id == Enrolment.resident_id)
        .outerjoin(Attendance, and_(Attendance.session_id == session.id,
                                    Attendance.resident_id == Enrolment.resident_id))
        .where(Enrolment.course_id == session.course_id, Enrolment.status == EnrolmentStatus.ENROLLED)
        .order_by(Resident.name, Enrolment.id)
    ).all()
    return [RosterLine(e_id, r_id, name, AttendanceStatus(status).value if status else None)
            for e_id, r_id, name, status in rows]


def todays_sessions(actor, on: date | None = None) -> list[CourseSession]:
    """Sessions held that day in the actor's courses (the trainer's day)."""
    on = on or clock.today()
    return list(db.session.scalars(
        select(CourseSession).join(Course).where(course_scope_filter(actor), CourseSession.held_on == on)
        .options(joinedload(CourseSession.course)).order_by(Course.title)
    ))


def marked_counts(session_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{session_id: (residents marked, residents enrolled)} for a few sessions, in one query."""
    if not session_ids:
        return {}
    marked = (select(func.count()).where(Attendance.session_id == CourseSession.id)
              .correlate(CourseSession).scalar_subquery())
    enrolled = (select(func.count()).where(Enrolment.course_id == CourseSession.course_id,
                                           Enrolment.status == EnrolmentStatus.ENROLLED)
                .correlate(CourseSession).scalar_subquery())
    rows = db.session.execute(select(CourseSession.id, marked, enrolled).where(CourseSession.id.in_(session_ids)))
    return {session_id: (int(m), int(e)) for session_id, m, e in rows}


def eligible_residents(actor, course: Course) -> list[tuple[int, str]]:
    """(resident_id, name) of residents with an open stay at the course's base, not enrolled in it."""
    enrolled = exists().where(Enrolment.course_id == course.id, Enrolment.resident_id == Resident.id,
                              Enrolment.status == EnrolmentStatus.ENROLLED)
    return [tuple(row) for row in db.session.execute(
        select(Resident.id, Resident.name).join(Stay, Stay.resident_id == Resident.id)
        .where(Stay.base_id == course.base_id, Stay.discharged_on.is_(None), ~enrolled,
               resident_scope_filter(actor))
        .order_by(Resident.name, Resident.id)
    ).all()]


def open_stay_at(resident_id: int, base_id: int) -> Stay | None:
    return db.session.scalars(
        select(Stay).where(Stay.resident_id == resident_id, Stay.base_id == base_id, Stay.discharged_on.is_(None))
    ).first()


def enrolment_of(course_id: int, resident_id: int) -> Enrolment | None:
    return db.session.scalars(
        select(Enrolment).where(Enrolment.course_id == course_id, Enrolment.resident_id == resident_id)
        .execution_options(populate_existing=True)
    ).first()


# ---------------------------------------------------------------- progress (SQL)

def progress_columns(on: date, course_ids=None):
    """Per enrolment: sessions held by `on`, attended (present + late), excused, and completed — as SQL columns.

    Returns (held, marks, held_n, attended, excused, denominator, completed): the two grouped subqueries to
    join with `join_progress`, then the columns over them. The one definition of attendance and completion,
    shared by the training pages and the reports (reports.metrics).

    `course_ids` (a select of course ids, or a list) limits the two aggregates to those courses. The
    database does not push the caller's join conditions into a grouped subquery, so without it every
    call counts the whole province's attendance (a million rows; seconds per call, tests/perf).

    Completion compares integers (attended x 1000 >= threshold in thousandths x denominator), so a
    float threshold never decides a borderline case wrongly on SQLite.
    """
    sessions_held = CourseSession.held_on <= on
    if course_ids is not None:
        sessions_held = and_(sessions_held, CourseSession.course_id.in_(course_ids))
    held = (select(CourseSession.course_id.label("course_id"), func.count().label("held"))
            .where(sessions_held).group_by(CourseSession.course_id).subquery("held"))
    marks = (select(Attendance.enrolment_id.label("enrolment_id"),
                    func.sum(case((Attendance.status.in_(ATTENDED), 1), else_=0)).label("attended"),
                    func.sum(case((Attendance.status == AttendanceStatus.EXCUSED, 1), else_=0)).label("excused"))
             .join(CourseSession, CourseSession.id == Attendance.session_id)
             .where(sessions_held).group_by(Attendance.enrolment_id).subquery("marks"))
    held_n = func.coalesce(held.c.held, 0)
    attended = func.coalesce(marks.c.attended, 0)
    excused = func.coalesce(marks.c.excused, 0)
    denominator = held_n - excused
    threshold_milli = cast(func.round(Course.completion_threshold * 1000), Integer)
    completed = and_(Course.ends_on < on, Enrolment.status == EnrolmentStatus.ENROLLED, denominator > 0,
                     attended * 1000 >= threshold_milli * denominator)
    return held, marks, held_n, attended, excused, denominator, completed


def join_progress(stmt: Select, held, marks) -> Select:
    """`stmt` over Enrolment, joined to its Course and to the `held` and `marks` of `progress_columns`."""
    return (stmt.join(Course, Course.id == Enrolment.course_id)
            .outerjoin(held, held.c.course_id == Enrolment.course_id)
            .outerjoin(marks, marks.c.enrolment_id == Enrolment.id))


def rate(attended: int, held: int, excused: int) -> float | None:
    """(present + late) / (held - excused), or None when nothing counts yet."""
    denominator = held - excused
    return None if denominator <= 0 else round(attended / denominator, 4)


def percent(value) -> str:
    """For people: 0.8 -> '80%', 0.8333 -> '83.3%', None -> '—'."""
    if value is None:
        return "—"
    shown = (Decimal(str(value)) * 100).quantize(Decimal("0.1"))
    return f"{shown.normalize():f}%"


@dataclass
class ProgressRow:
    enrolment_id: int
    resident_id: int
    name: str
    status: str
    sessions_held: int
    attended: int
    excused: int
    completed: bool
    certificate_number: str | None
    certificate_on: date | None

    @property
    def attendance_rate(self) -> float | None:
        return rate(self.attended, self.sessions_held, self.excused)


def progress(course: Course, on: date | None = None, enrolment_id: int | None = None) -> list[ProgressRow]:
    """docs/api.md GET /courses/<id>/progress: one row per enrolment, in one aggregate query."""
    on = on or clock.today()
    held, marks, held_n, attended, excused, _den, completed = progress_columns(on, [course.id])
    stmt = join_progress(
        select(Enrolment.id, Enrolment.resident_id, Resident.name, Enrolment.status, held_n, attended, excused,
               case((completed, 1), else_=0), Enrolment.certificate_number, Enrolment.certificate_on)
        .select_from(Enrolment).join(Resident, Resident.id == Enrolment.resident_id), held, marks,
    ).where(Enrolment.course_id == course.id)
    if enrolment_id is not None:
        stmt = stmt.where(Enrolment.id == enrolment_id)
    rows = db.session.execute(stmt.order_by(Resident.name, Enrolment.id)).all()
    return [ProgressRow(e_id, r_id, name, EnrolmentStatus(status).value, int(h), int(a), int(x), bool(c), cert,
                        cert_on)
            for e_id, r_id, name, status, h, a, x, c, cert, cert_on in rows]


def progress_of(enrolment: Enrolment, on: date | None = None) -> ProgressRow:
    return progress(enrolment.course, on, enrolment_id=enrolment.id)[0]


def attendance_grid(course: Course) -> dict[tuple[int, int], str]:
    """{(enrolment_id, session_id): status} for the whole course, in one query (the attendance sheet)."""
    rows = db.session.execute(
        select(Attendance.enrolment_id, Attendance.session_id, Attendance.status)
        .join(CourseSession, CourseSession.id == Attendance.session_id)
        .where(CourseSession.course_id == course.id)
    ).all()
    return {(e_id, s_id): AttendanceStatus(status).value for e_id, s_id, status in rows}


def session_attendance(session: CourseSession) -> list[tuple[int, str, str]]:
    """(resident_id, name, status) recorded for one session."""
    rows = db.session.execute(
        select(Attendance.resident_id, Resident.name, Attendance.status)
        .join(Resident, Resident.id == Attendance.resident_id)
        .where(Attendance.session_id == session.id).order_by(Resident.name, Attendance.resident_id)
    ).all()
    return [(r_id, name, AttendanceStatus(status).value) for r_id, name, status in rows]


# ---------------------------------------------------------------- the resident's file and skills

def courses_of_resident(resident_id: int, on: date | None = None) -> list[dict]:
    """Courses the person was enrolled in, newest first: title, skill, base, dates, course status,
    enrolment status, attendance rate, completed, certificate type and number. One query.

    For the resident's file (一人一档) and the enterprise's view of a candidate's skills. The caller
    has already checked that the actor may see this resident; nothing sensitive is returned.
    """
    return courses_of_residents([resident_id], on).get(resident_id, [])


def courses_of_residents(resident_ids: list[int], on: date | None = None) -> dict[int, list[dict]]:
    """courses_of_resident for several people in one query: {resident_id: courses, newest first}
    (a page of candidates would otherwise cost a query each)."""
    if not resident_ids:
        return {}
    on = on or clock.today()
    their_courses = select(Enrolment.course_id).where(Enrolment.resident_id.in_(resident_ids))
    held, marks, held_n, attended, excused, _den, completed = progress_columns(on, their_courses)
    rows = db.session.execute(join_progress(
        select(Enrolment.resident_id, Course, Base.name, Enrolment.status, held_n, attended, excused,
               case((completed, 1), else_=0), Enrolment.certificate_number, Enrolment.certificate_on,
               Enrolment.enrolled_on)
        .select_from(Enrolment), held, marks,
    ).join(Base, Base.id == Course.base_id).where(Enrolment.resident_id.in_(resident_ids))
        .order_by(Course.starts_on.desc(), Course.id.desc())).all()
    courses: dict[int, list[dict]] = {resident_id: [] for resident_id in resident_ids}
    for resident_id, course, base_name, status, h, a, x, c, cert, cert_on, enrolled_on in rows:
        courses[resident_id].append({
            "course_id": course.id, "title": course.title, "skill": course.skill, "base_name": base_name,
            "starts_on": course.starts_on, "ends_on": course.ends_on, "hours": course.hours,
            "course_status": course_status(course, on), "enrolment_status": EnrolmentStatus(status).value,
            "enrolled_on": enrolled_on, "attendance_rate": rate(int(a), int(h), int(x)),
            "completed": bool(c), "certificate_type": course.certificate_type, "certificate_number": cert,
            "certificate_on": cert_on,
        })
    return courses


# ---------------------------------------------------------------- the base's summary for a period

@dataclass
class SummaryRow:
    course: Course | None  # None: the total over every course of the period
    enrolled: int
    withdrawn: int
    ended_enrolled: int
    completions: int
    mean_rate: float | None

    @property
    def completion_rate(self) -> float | None:
        """Completions over the active enrolments of courses that have ended (the others cannot complete yet)."""
        return None if not self.ended_enrolled else round(self.completions / self.ended_enrolled, 4)


def base_summary(base: Base, first: date, last: date, on: date | None = None) -> tuple[list[SummaryRow], SummaryRow]:
    """Courses of the base running at some time in [first, last] with their enrolments, completions
    and mean attendance rate (over active enrolments that have a rate), and the total; two aggregate
    queries, whatever the number of courses and people."""
    on = on or clock.today()
    in_period = and_(Course.base_id == base.id, Course.starts_on <= last, Course.ends_on >= first)
    held, marks, _held_n, attended, _excused, denominator, completed = progress_columns(
        on, select(Course.id).where(in_period))
    active = Enrolment.status == EnrolmentStatus.ENROLLED
    member_rate = case((and_(active, denominator > 0), cast(attended, Float) / cast(denominator, Float)),
                       else_=literal(None))
    columns = (func.sum(case((active, 1), else_=0)), func.sum(case((active, 0), else_=1)),
               func.sum(case((and_(active, Course.ends_on < on), 1), else_=0)),
               func.sum(case((completed, 1), else_=0)), func.avg(member_rate))
    per_course = join_progress(select(Course.id, *columns).select_from(Enrolment), held, marks)
    stats = {row[0]: row[1:] for row in db.session.execute(per_course.where(in_period).group_by(Course.id))}
    total = db.session.execute(join_progress(select(*columns).select_from(Enrolment), held, marks)
                               .where(in_period)).one()
    courses = db.session.scalars(select(Course).where(in_period).order_by(Course.starts_on, Course.id)).all()
    rows = [_summary_row(course, stats.get(course.id, (0, 0, 0, 0, None))) for course in courses]
    return rows, _summary_row(None, total)


def _summary_row(course: Course | None, values) -> SummaryRow:
    enrolled, withdrawn, ended, completions, mean = values
    return SummaryRow(course, int(enrolled or 0), int(withdrawn or 0), int(ended or 0), int(completions or 0),
                      None if mean is None else round(float(mean), 4))

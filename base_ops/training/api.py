"""JSON API of the training module (docs/api.md "Training")."""

from flask_smorest import Blueprint

from base_ops.core import clock
from base_ops.core.actor import current_actor
from base_ops.core.api import page_schema, paginate
from base_ops.extensions import db
from base_ops.training import queries, services
from base_ops.training.models import Course
from base_ops.training.schemas import (
    AttendancePutSchema,
    CertificateSchema,
    CourseCreateSchema,
    CourseListArgsSchema,
    CourseUpdateSchema,
    EnrolmentCreateSchema,
    EnrolmentSchema,
    ProgressSchema,
    SessionAttendanceSchema,
    SessionCreateSchema,
    SessionGenerateSchema,
    SessionSchema,
    TrainingCourseSchema,
)

blp = Blueprint("training_api", __name__, description="Training: courses, sessions, enrolment, attendance")
CoursePageSchema = page_schema(TrainingCourseSchema, "CoursePage")


def _attendance(session) -> dict:
    lines = queries.session_attendance(session)
    counts = {status: 0 for status in ("present", "late", "absent", "excused")}
    for _id, _name, status in lines:
        counts[status] += 1
    return {"session_id": session.id, "course_id": session.course_id, "held_on": session.held_on, "counts": counts,
            "records": [{"resident_id": i, "name": name, "status": status} for i, name, status in lines]}


@blp.route("/courses", methods=["POST"])
@blp.arguments(CourseCreateSchema)
@blp.response(201, TrainingCourseSchema)
def create_course(body):
    """A course at one of the manager's bases; `trainer` is the username of a trainer at that base.
    `skill` is one of 电焊, 烹饪, 家政, 电工, 叉车, 其他 (not 保安, a job the law closes to residents: 422 naming
    `skill`); `completion_threshold` defaults to 0.8."""
    return services.create_course(current_actor(), **body)


@blp.route("/courses", methods=["GET"])
@blp.arguments(CourseListArgsSchema, location="query")
@blp.response(200, CoursePageSchema)
def list_courses(args):
    """Courses in the caller's scope: a trainer's own, a manager's bases', a county officer's region."""
    stmt = queries.courses_in_scope(current_actor())
    if args["base_id"] is not None:
        stmt = stmt.where(Course.base_id == args["base_id"])
    if args["status"]:
        stmt = stmt.where(queries.status_filter(args["status"], clock.today()))
    return paginate(db.session, stmt, Course.id, args["limit"], args["cursor"])


@blp.route("/courses/<int:course_id>", methods=["GET"])
@blp.response(200, TrainingCourseSchema)
def get_course(course_id):
    return queries.get_course(current_actor(), course_id)


@blp.route("/courses/<int:course_id>", methods=["PATCH"])
@blp.arguments(CourseUpdateSchema)
@blp.response(200, TrainingCourseSchema)
def update_course(body, course_id):
    """Change the given fields; the capacity never falls below the enrolled count, sessions stay inside the dates."""
    return services.update_course(current_actor(), queries.get_course(current_actor(), course_id), **body)


@blp.route("/courses/<int:course_id>/sessions", methods=["POST"])
@blp.arguments(SessionCreateSchema)
@blp.response(201, SessionSchema)
def create_session(body, course_id):
    """One session within the course's dates; `409 session_exists` for a day that has one."""
    return services.add_session(current_actor(), queries.get_course(current_actor(), course_id), **body)


@blp.route("/courses/<int:course_id>/sessions/generate", methods=["POST"])
@blp.arguments(SessionGenerateSchema)
@blp.response(201, SessionSchema(many=True))
def generate_sessions(body, course_id):
    """Sessions on ISO weekdays (1 = Monday) between `from` and `to` (default the course's dates),
    skipping days that have a session and, unless `skip_holidays` is false, public holidays."""
    return services.generate_sessions(current_actor(), queries.get_course(current_actor(), course_id), **body)


@blp.route("/courses/<int:course_id>/sessions", methods=["GET"])
@blp.response(200, SessionSchema(many=True))
def list_sessions(course_id):
    return queries.sessions_of(queries.get_course(current_actor(), course_id))


@blp.route("/courses/<int:course_id>/enrolments", methods=["POST"])
@blp.arguments(EnrolmentCreateSchema)
@blp.response(201, EnrolmentSchema)
def create_enrolment(body, course_id):
    """Enrol a resident with an open stay at the course's base: `422 not_eligible` otherwise,
    `409 course_full` past the capacity (held by the database), `409 already_enrolled`."""
    actor = current_actor()
    return services.enrol(actor, queries.get_course(actor, course_id), resident_id=body["resident_id"])


@blp.route("/courses/<int:course_id>/enrolments", methods=["GET"])
@blp.response(200, EnrolmentSchema(many=True))
def list_enrolments(course_id):
    return queries.enrolments_of(queries.get_course(current_actor(), course_id))


@blp.route("/enrolments/<int:enrolment_id>/withdraw", methods=["POST"])
@blp.response(200, EnrolmentSchema)
def withdraw_enrolment(enrolment_id):
    """Withdraw the resident: the place is freed, the attendance kept."""
    return services.withdraw(current_actor(), queries.get_enrolment(current_actor(), enrolment_id))


@blp.route("/enrolments/<int:enrolment_id>/certificate", methods=["POST"])
@blp.arguments(CertificateSchema)
@blp.response(200, EnrolmentSchema)
def record_certificate(body, enrolment_id):
    """Record the certificate number of a resident who completed the course; `422 not_completed` otherwise."""
    return services.record_certificate(current_actor(), queries.get_enrolment(current_actor(), enrolment_id), **body)


@blp.route("/sessions/<int:session_id>/attendance", methods=["PUT"])
@blp.arguments(AttendancePutSchema)
@blp.response(200, SessionAttendanceSchema)
def put_attendance(body, session_id):
    """Mark residents for one session; idempotent (saving again updates, never duplicates).
    `422 future_session` for a session not yet held; `422 not_enrolled` naming who is not enrolled."""
    session = queries.get_session(current_actor(), session_id)
    services.record_attendance(current_actor(), session, body["records"])
    return _attendance(queries.get_session(current_actor(), session_id))


@blp.route("/sessions/<int:session_id>/attendance", methods=["GET"])
@blp.response(200, SessionAttendanceSchema)
def get_attendance(session_id):
    return _attendance(queries.get_session(current_actor(), session_id))


@blp.route("/courses/<int:course_id>/progress", methods=["GET"])
@blp.response(200, ProgressSchema(many=True))
def get_progress(course_id):
    """Per enrolment: sessions held so far, attended (present + late), excused, the attendance rate
    (present + late) / (held - excused) as a number 0-1 or null, and whether the course is completed."""
    return queries.progress(queries.get_course(current_actor(), course_id))

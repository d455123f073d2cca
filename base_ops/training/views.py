"""Training pages: courses, the course page (sessions, enrolment, progress, certificates),
the trainer's attendance screen, the attendance sheet and the base's summary."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from base_ops.accounts.auth import fresh_login_required
from base_ops.core import clock
from base_ops.core.actor import current_actor
from base_ops.core.bounds import date_arg, int_arg
from base_ops.core.errors import DomainError
from base_ops.core.excel import XLSX_MIMETYPE, attachment, file_part
from base_ops.core.forms import EmptyForm
from base_ops.core.permissions import may_access
from base_ops.core.redirects import page_on_get
from base_ops.core.ui import flash_error, form_errors_from
from base_ops.extensions import db
from base_ops.org.models import Base
from base_ops.org.queries import bases_in_scope, get_base
from base_ops.training import forms, queries, reports, services, vocabulary
from base_ops.training.forms import (
    AttendanceForm,
    CertificateForm,
    CourseForm,
    EnrolForm,
    GenerateSessionsForm,
    SessionForm,
)
from base_ops.training.models import Enrolment, EnrolmentStatus

bp = Blueprint("training", __name__)
bp.add_app_template_filter(queries.percent, "percent")


@bp.app_context_processor  # also for the trainer's home page
def _labels():
    return {"attendance_labels": vocabulary.ATTENDANCE_LABELS,
            "course_status_labels": {"upcoming": _("Upcoming"), "running": _("Running"), "ended": _("Ended")},
            "course_status": queries.course_status}


def _course_form(course=None) -> CourseForm:
    """The new-course form (base chosen among the manager's) or the edit form (the base stays)."""
    if course is None:
        bases = list(current_actor().bases)
        form = CourseForm()
        form.base_id.choices = [(b.id, b.name) for b in bases]
    else:
        bases = [course.base]
        form = CourseForm(data={
            "title": course.title, "skill": course.skill, "starts_on": course.starts_on, "ends_on": course.ends_on,
            "capacity": course.capacity, "hours": course.hours, "certificate_type": course.certificate_type,
            "trainer": course.trainer.username if course.trainer else "",
            "threshold_percent": course.completion_threshold * 100})
        del form.base_id
        if course.skill not in dict(form.skill.choices):  # an older course of a skill no longer offered keeps it
            form.skill.choices = [*form.skill.choices, (course.skill, course.skill)]
    trainers = queries.trainers_of_bases([b.id for b in bases])
    form.trainer.choices = [("", _("No trainer yet"))] + [
        (u.username, f"{u.display_name} · {b.name}" if len(bases) > 1 else u.display_name)
        for b in bases for u in trainers[b.id]]
    return form


def _course_values(form: CourseForm) -> dict:
    return {"title": form.title.data, "skill": form.skill.data, "trainer": form.trainer.data or None,
            "starts_on": form.starts_on.data, "ends_on": form.ends_on.data, "capacity": form.capacity.data,
            "hours": form.hours.data, "certificate_type": form.certificate_type.data,
            "completion_threshold": form.threshold_percent.data / 100}


@bp.get("/training")
def list_courses():
    status = request.args.get("status") if request.args.get("status") in ("upcoming", "running", "ended") else None
    courses = queries.list_courses(current_actor(), status=status)
    return render_template("training/list.html", courses=courses, status=status, today=clock.today(),
                           todays_sessions=queries.todays_sessions(current_actor()))


@bp.route("/training/courses/new", methods=["GET", "POST"])
def new_course():
    form = _course_form()
    if request.method == "GET":
        form.starts_on.data = form.starts_on.data or clock.today()
    if form.validate_on_submit():
        try:
            course = services.create_course(current_actor(), base_id=form.base_id.data, **_course_values(form))
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("Course %(title)s created. Add its sessions next.", title=course.title), "success")
            return redirect(url_for("training.course_detail", course_id=course.id))
    return render_template("training/course_form.html", form=form, course=None), 422 if form.errors else 200


@bp.route("/training/courses/<int:course_id>/edit", methods=["GET", "POST"])
def edit_course(course_id: int):
    course = queries.get_course(current_actor(), course_id)
    form = _course_form(course)
    if form.validate_on_submit():
        try:
            services.update_course(current_actor(), course, **_course_values(form))
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("Course saved."), "success")
            return redirect(url_for("training.course_detail", course_id=course.id))
    return render_template("training/course_form.html", form=form, course=course), 422 if form.errors else 200


def _render_course(course, status: int = 200, **forms_):
    on = clock.today()
    forms_.setdefault("session_form", SessionForm(prefix="session", held_on=max(min(on, course.ends_on),
                                                                                 course.starts_on)))
    forms_.setdefault("generate_form", GenerateSessionsForm(prefix="generate", from_on=max(on, course.starts_on)
                                                            if on <= course.ends_on else course.starts_on,
                                                            to_on=course.ends_on))
    enrol_form = forms_.setdefault("enrol_form", EnrolForm(prefix="enrol"))
    if may_access(current_user, "training.enrol"):
        enrol_form.resident_id.choices = [("", _("Choose a resident")),
                                          *queries.eligible_residents(current_actor(), course)]
    progress = queries.progress(course, on)
    # the rows whose "withdraw" button shows: the enrolment's state machine decides (models.Enrolment)
    withdrawable = {p.enrolment_id for p in progress if Enrolment.may_move(
        current_actor(), p.status, EnrolmentStatus.WITHDRAWN, certified=bool(p.certificate_number))}
    return render_template(
        "training/course.html", course=course, today=on, status_of_course=queries.course_status(course, on),
        sessions=queries.sessions_of(course), counts=queries.session_counts(course),
        progress=progress, withdrawable=withdrawable, certificate_form=CertificateForm(prefix="certificate"),
        withdraw_form=EmptyForm(), **forms_,
    ), status


@bp.get("/training/courses/<int:course_id>")
def course_detail(course_id: int):
    return _render_course(queries.get_course(current_actor(), course_id))


def _post(course, form_name: str, form, call, done):
    """Validate one of the course page's forms, call its service, redirect or show the page with errors."""
    if form.validate_on_submit():
        try:
            result = call(form)
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(done(result), "success")
            return redirect(url_for("training.course_detail", course_id=course.id))
    return _render_course(course, 422, **{form_name: form})


@bp.route("/training/courses/<int:course_id>/sessions", methods=["GET", "POST"])
@page_on_get(lambda **args: url_for("training.course_detail", **args))
def add_session(course_id: int):
    course = queries.get_course(current_actor(), course_id)
    return _post(course, "session_form", SessionForm(prefix="session"), lambda f: services.add_session(
        current_actor(), course, held_on=f.held_on.data, hours=f.hours.data, topic=f.topic.data),
        lambda s: _("Session on %(day)s added.", day=s.held_on.isoformat()))


@bp.route("/training/courses/<int:course_id>/sessions/generate", methods=["GET", "POST"])
@page_on_get(lambda **args: url_for("training.course_detail", **args))
def generate_sessions(course_id: int):
    course = queries.get_course(current_actor(), course_id)
    return _post(course, "generate_form", GenerateSessionsForm(prefix="generate"), lambda f: services.generate_sessions(
        current_actor(), course, weekdays=f.weekdays.data, hours=f.hours.data, from_on=f.from_on.data,
        to_on=f.to_on.data, skip_holidays=f.skip_holidays.data),
        lambda created: _("%(n)s sessions added.", n=len(created)))


@bp.route("/training/courses/<int:course_id>/enrolments", methods=["GET", "POST"])
@page_on_get(lambda **args: url_for("training.course_detail", **args))
def enrol(course_id: int):
    course = queries.get_course(current_actor(), course_id)
    return _post(course, "enrol_form", EnrolForm(prefix="enrol"), lambda f: services.enrol(
        current_actor(), course, resident_id=f.resident_id.data),
        lambda e: _("%(name)s enrolled.", name=e.resident.name))


@bp.post("/training/enrolments/<int:enrolment_id>/withdraw")
def withdraw(enrolment_id: int):
    enrolment = queries.get_enrolment(current_actor(), enrolment_id)
    if EmptyForm().validate_on_submit():
        try:
            services.withdraw(current_actor(), enrolment)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("%(name)s withdrawn from the course.", name=enrolment.resident.name), "success")
    return redirect(url_for("training.course_detail", course_id=enrolment.course_id))


@bp.post("/training/enrolments/<int:enrolment_id>/certificate")
def record_certificate(enrolment_id: int):
    enrolment = queries.get_enrolment(current_actor(), enrolment_id)
    form = CertificateForm(prefix="certificate")
    if not form.validate_on_submit():
        flash(_("Type the certificate number."), "danger")
    else:
        try:
            services.record_certificate(current_actor(), enrolment, certificate_number=form.certificate_number.data,
                                        certificate_on=form.certificate_on.data)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("Certificate recorded for %(name)s.", name=enrolment.resident.name), "success")
    return redirect(url_for("training.course_detail", course_id=enrolment.course_id, _anchor="progress"))


@bp.get("/training/courses/<int:course_id>/attendance")
def pick_session(course_id: int):
    """The attendance screen of the session asked for, else today's (or the latest held)."""
    course = queries.get_course(current_actor(), course_id)
    session_id = int_arg("session_id")
    session = queries.get_session(current_actor(), session_id) if session_id else queries.session_of_day(course)
    if session is None or session.course_id != course.id:
        flash(_("No session of this course has been held yet."), "info")
        return redirect(url_for("training.course_detail", course_id=course.id))
    return redirect(url_for("training.attendance", session_id=session.id))


@bp.route("/training/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
def attendance(session_id: int):
    """The trainer's screen: the whole roster, one control per resident, one save."""
    session = queries.get_session(current_actor(), session_id)
    roster = queries.roster(session)
    form = AttendanceForm()
    if form.validate_on_submit():
        ids = [line.resident_id for line in roster]
        records = forms.attendance_records(request.form, ids) + forms.extra_records(request.form, ids)
        try:
            services.record_attendance(current_actor(), session, records)
        except DomainError as error:
            flash_error(error)
        else:
            # Back on this screen, the saved counts at the top of the form where the trainer looks (issue 17:
            # "#progress" on the course page was off-screen on a tablet).
            return redirect(url_for("training.attendance", session_id=session.id, saved=1))
    return render_template("training/attendance.html", session=session, course=session.course, roster=roster,
                           form=form, today=clock.today(), sessions=queries.sessions_of(session.course),
                           is_future=session.held_on > clock.today(),
                           saved=request.method == "GET" and request.args.get("saved") == "1"), \
        422 if request.method == "POST" else 200


@bp.get("/training/courses/<int:course_id>/sheet")
def attendance_sheet(course_id: int):
    sheet = reports.attendance_sheet(queries.get_course(current_actor(), course_id))
    return render_template("training/sheet.html", sheet=sheet, course=sheet.course, legend=reports.LEGEND)


@bp.get("/training/courses/<int:course_id>/sheet.xlsx")
@fresh_login_required
def attendance_sheet_xlsx(course_id: int):
    course = queries.get_course(current_actor(), course_id)
    content = services.export_attendance_sheet(current_actor(), course)
    return Response(content, mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": attachment(f"考勤表-{file_part(course.title)}.xlsx",
                                                               f"attendance-{course.id}.xlsx")})


@bp.get("/training/summary")
def base_summary():
    """A base's training for a period: enrolments, completions, completion rate, mean attendance."""
    bases = db.session.scalars(bases_in_scope(current_actor()).order_by(Base.name)).all()
    base_id = int_arg("base_id")
    base = get_base(current_actor(), base_id) if base_id else (bases[0] if bases else abort(404))
    first = date_arg("from", clock.today().replace(month=1, day=1))
    last = date_arg("to", clock.today())
    if last < first:
        flash(_("The end of the period is before its start."), "danger")
        last = first
    rows, total = queries.base_summary(base, first, last)
    return render_template("training/summary.html", base=base, bases=bases, first=first, last=last, rows=rows,
                           total=total, today=clock.today())

"""The words of training: attendance marks and enrolment statuses, translated, for the trainer's screen,
pages, messages and attendance sheets alike (one home)."""

from flask_babel import lazy_gettext as _l

from base_ops.training.models import AttendanceStatus, EnrolmentStatus

ATTENDANCE_LABELS = {
    AttendanceStatus.PRESENT.value: _l("Present"),
    AttendanceStatus.LATE.value: _l("Late"),
    AttendanceStatus.ABSENT.value: _l("Absent"),
    AttendanceStatus.EXCUSED.value: _l("Excused"),
}

ENROLMENT_STATUS_LABELS = {
    EnrolmentStatus.ENROLLED: _l("Enrolled"),
    EnrolmentStatus.WITHDRAWN: _l("Withdrawn from the course"),
}


def enrolment_status_word(status: str) -> str:
    """An enrolment's status as a word for a message; the code itself if unknown."""
    for code, label in ENROLMENT_STATUS_LABELS.items():
        if str(code) == str(status):
            return str(label)
    return str(status)

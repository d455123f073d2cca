"""The words of training: attendance marks, translated, for the trainer's screen, pages and attendance
sheets alike (one home)."""

from flask_babel import lazy_gettext as _l

from base_ops.training.models import AttendanceStatus

ATTENDANCE_LABELS = {
    AttendanceStatus.PRESENT.value: _l("Present"),
    AttendanceStatus.LATE.value: _l("Late"),
    AttendanceStatus.ABSENT.value: _l("Absent"),
    AttendanceStatus.EXCUSED.value: _l("Excused"),
}

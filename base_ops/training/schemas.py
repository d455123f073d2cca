"""API shapes for training (docs/api.md "Training"; explicit fields only).

Of residents these carry only ids, names and enrolment: trainers read them too.
"""

from __future__ import annotations

import marshmallow as ma

from base_ops.core.api import PageArgsSchema, StrictSchema, enum_values
from base_ops.training.models import AttendanceStatus, EnrolmentStatus
from base_ops.training.queries import course_status

STATUSES = [s.value for s in AttendanceStatus]


def _text(max_length: int, **kwargs) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.Length(max=max_length), **kwargs)


class _CourseFields(StrictSchema):
    # Ranges and the skill list are checked by the service, which names the field in its error.
    title = _text(100)
    skill = _text(30)
    trainer = ma.fields.String(allow_none=True, metadata={"description": "username of a trainer at the base"})
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()
    capacity = ma.fields.Integer(strict=True)
    hours = ma.fields.Decimal(metadata={"description": "total hours, one decimal place"})
    completion_threshold = ma.fields.Decimal(
        allow_none=True, metadata={"description": "fraction of sessions to attend to complete, default 0.8"})
    certificate_type = _text(100, allow_none=True)


class CourseCreateSchema(_CourseFields):
    base_id = ma.fields.Integer(required=True, strict=True)
    title = _text(100, required=True)
    skill = _text(30, required=True, metadata={"description": "电焊, 烹饪, 家政, 电工, 叉车 or 其他"})
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)
    capacity = ma.fields.Integer(required=True, strict=True)
    hours = ma.fields.Decimal(required=True)


class CourseUpdateSchema(_CourseFields):
    """PATCH: any of the fields; the base cannot change."""


class CourseListArgsSchema(PageArgsSchema):
    base_id = ma.fields.Integer(load_default=None)
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(["upcoming", "running", "ended"]))


class TrainingCourseSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    base_id = ma.fields.Integer(required=True)
    base_name = ma.fields.Function(lambda c: c.base.name, metadata={"type": "string"})
    title = ma.fields.String(required=True)
    skill = ma.fields.String(required=True)
    trainer = ma.fields.Function(lambda c: c.trainer.username if c.trainer else None, allow_none=True,
                                 metadata={"type": "string"})
    trainer_name = ma.fields.Function(lambda c: c.trainer.display_name if c.trainer else None, allow_none=True,
                                      metadata={"type": "string"})
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)
    status = ma.fields.Function(lambda c: course_status(c), metadata={"enum": ["upcoming", "running", "ended"]})
    capacity = ma.fields.Integer(required=True)
    enrolled_count = ma.fields.Integer(required=True)
    hours = ma.fields.Float(required=True)
    completion_threshold = ma.fields.Float(required=True)
    certificate_type = ma.fields.String(allow_none=True)


class SessionCreateSchema(StrictSchema):
    held_on = ma.fields.Date(required=True)
    hours = ma.fields.Decimal(required=True)
    topic = _text(100, allow_none=True)


class SessionGenerateSchema(StrictSchema):
    weekdays = ma.fields.List(ma.fields.Integer(strict=True, validate=ma.validate.Range(min=1, max=7)),
                              required=True, metadata={"description": "ISO weekdays, 1 = Monday ... 7 = Sunday"})
    hours = ma.fields.Decimal(required=True)
    from_on = ma.fields.Date(data_key="from", load_default=None)
    to_on = ma.fields.Date(data_key="to", load_default=None)
    skip_holidays = ma.fields.Boolean(load_default=True)
    topic = _text(100, allow_none=True, load_default=None)


class SessionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    course_id = ma.fields.Integer(required=True)
    held_on = ma.fields.Date(required=True)
    hours = ma.fields.Float(required=True)
    topic = ma.fields.String(allow_none=True)


class EnrolmentCreateSchema(StrictSchema):
    resident_id = ma.fields.Integer(required=True, strict=True)


class EnrolmentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    course_id = ma.fields.Integer(required=True)
    resident_id = ma.fields.Integer(required=True)
    name = ma.fields.Function(lambda e: e.resident.name, metadata={"type": "string"})
    enrolled_on = ma.fields.Date(required=True)
    status = ma.fields.Function(lambda e: e.status.value, metadata={"enum": ["enrolled", "withdrawn"]})
    certificate_number = ma.fields.String(allow_none=True)
    certificate_on = ma.fields.Date(allow_none=True)


class CertificateSchema(StrictSchema):
    certificate_number = _text(50, required=True)
    certificate_on = ma.fields.Date(load_default=None)


class AttendanceRecordSchema(StrictSchema):
    resident_id = ma.fields.Integer(required=True, strict=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(STATUSES))


class AttendancePutSchema(StrictSchema):
    records = ma.fields.List(ma.fields.Nested(AttendanceRecordSchema), required=True,
                             validate=ma.validate.Length(min=1, max=1000))


class AttendanceLineSchema(ma.Schema):
    resident_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": enum_values(AttendanceStatus)})


class AttendanceCountsSchema(ma.Schema):
    present = ma.fields.Integer(required=True)
    late = ma.fields.Integer(required=True)
    absent = ma.fields.Integer(required=True)
    excused = ma.fields.Integer(required=True)


class SessionAttendanceSchema(ma.Schema):
    session_id = ma.fields.Integer(required=True)
    course_id = ma.fields.Integer(required=True)
    held_on = ma.fields.Date(required=True)
    counts = ma.fields.Nested(AttendanceCountsSchema, required=True)
    records = ma.fields.List(ma.fields.Nested(AttendanceLineSchema), required=True)


class ProgressSchema(ma.Schema):
    resident_id = ma.fields.Integer(required=True)
    sessions_held = ma.fields.Integer(required=True)
    attended = ma.fields.Integer(required=True)
    excused = ma.fields.Integer(required=True)
    attendance_rate = ma.fields.Float(allow_none=True, required=True,
                                      metadata={"description": "(present + late) / (held - excused); null if 0/0"})
    completed = ma.fields.Boolean(required=True)
    enrolment_id = ma.fields.Integer()
    name = ma.fields.String()
    status = ma.fields.String(metadata={"enum": enum_values(EnrolmentStatus)})
    certificate_number = ma.fields.String(allow_none=True)

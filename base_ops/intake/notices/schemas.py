"""API shapes for release notices (docs/api.md "Residents and notices"; explicit fields only)."""

import marshmallow as ma
from flask_babel import lazy_gettext as _l

from base_ops.core import clock
from base_ops.core.api import PageArgsSchema, StrictSchema
from base_ops.core.identity import mask_id_number
from base_ops.intake.notices.queries import STATUSES, feedback_status

REGION_CODE = ma.validate.Regexp(r"^\d{6}$", error=_l("must be a six-digit region code (GB/T 2260)"))


class NoticeCreateSchema(StrictSchema):
    id_number = ma.fields.String(required=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=50))
    prison_name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    prison_region_code = ma.fields.String(required=True, validate=REGION_CODE)
    expected_release_on = ma.fields.Date(required=True)
    received_on = ma.fields.Date(required=True)
    receiving_region_code = ma.fields.String(required=True, validate=REGION_CODE)
    risk_assessment = ma.fields.String(load_default=None, allow_none=True,
                                       metadata={"description": "回归社会危险性评估意见 (sensitive)"})
    relief_advice = ma.fields.String(load_default=None, allow_none=True, metadata={"description": "救助建议"})
    is_key_subject = ma.fields.Boolean(required=True, metadata={"description": "重点帮教对象: collected (必接必送)"})


class FeedbackSchema(StrictSchema):
    sent_on = ma.fields.Date(required=True, metadata={"description": "the day the receipt (回执) was sent"})
    arrangement = ma.fields.String(required=True, metadata={"description": "who collects the person, and when"})


class CollectionSchema(StrictSchema):
    collected_on = ma.fields.Date(required=True)
    collected_by = ma.fields.String(required=True)


class NoticeListArgsSchema(PageArgsSchema):
    status = ma.fields.String(load_default="all", validate=ma.validate.OneOf(STATUSES))


class NoticeSummarySchema(ma.Schema):
    """A notice in a list: no risk assessment or relief advice (sensitive; the single notice has them)."""

    id = ma.fields.Integer(required=True)
    id_number = ma.fields.Method("_masked", metadata={"type": "string", "description": "masked: first 6, last 4"})
    name = ma.fields.String(required=True)
    prison_name = ma.fields.String(required=True)
    prison_region_code = ma.fields.String(required=True)
    expected_release_on = ma.fields.Date(required=True)
    received_on = ma.fields.Date(required=True)
    receiving_region_code = ma.fields.String(required=True)
    is_key_subject = ma.fields.Boolean(required=True)
    feedback_due_on = ma.fields.Date(required=True)
    feedback_due_is_estimate = ma.fields.Boolean(required=True)
    feedback_sent_on = ma.fields.Date(allow_none=True)
    feedback_status = ma.fields.Method("_feedback_status", metadata={
        "type": "string", "enum": ["sent", "due_today", "overdue", "pending"]})
    collected_on = ma.fields.Date(allow_none=True)
    resident_id = ma.fields.Integer(allow_none=True)

    def _masked(self, notice) -> str:
        return mask_id_number(notice.id_number)

    def _feedback_status(self, notice) -> str:
        return feedback_status(notice, clock.today())


class NoticeStateSchema(NoticeSummarySchema):
    """A notice after its receipt or collection is recorded: no risk assessment or relief advice."""

    feedback_arrangement = ma.fields.String(allow_none=True)
    collected_by = ma.fields.String(allow_none=True)


class NoticeSchema(NoticeStateSchema):
    """The whole notice, with the sensitive risk assessment (GET of one notice is audited)."""

    risk_assessment = ma.fields.String(allow_none=True)
    relief_advice = ma.fields.String(allow_none=True)

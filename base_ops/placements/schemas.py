"""API shapes for referrals, placements and retention checks (docs/api.md "Enterprises, postings, placements").

Responses are built by placements.queries (`referral_view`, `placement_view`) from an
allow-list; fields marked "staff only" are absent from what an enterprise receives.
"""

from __future__ import annotations

import marshmallow as ma

from base_ops.core.api import PageArgsSchema, StrictSchema, enum_values
from base_ops.intake.models import Destination
from base_ops.org.models import Sex
from base_ops.placements.models import ReferralStatus

_STATUSES = [s.value for s in ReferralStatus]
_STAFF_ONLY = {"description": "staff only: absent for enterprise users"}


class ReferralCreateSchema(StrictSchema):
    posting_id = ma.fields.Integer(required=True, strict=True)
    resident_id = ma.fields.Integer(required=True, strict=True)


class ReferralStatusChangeSchema(StrictSchema):
    """POST /referrals/<id>/status. Named apart from `Referral.status`, whose enum generated clients call
    ReferralStatus (issue 21: two types of one name)."""

    status = ma.fields.String(required=True, validate=ma.validate.OneOf(_STATUSES),
                              metadata={"description": "any status but hired (a hire is POST /placements)"})


class ReferralListArgsSchema(PageArgsSchema):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(_STATUSES))
    posting_id = ma.fields.Integer(load_default=None)


class CandidateCourseSchema(ma.Schema):
    title = ma.fields.String(required=True)
    skill = ma.fields.String(allow_none=True, required=True)
    certificate_type = ma.fields.String(allow_none=True, required=True)
    certificate_number = ma.fields.String(allow_none=True, required=True)


class CandidateSchema(ma.Schema):
    """What an enterprise may see of a candidate (docs/domain.md) — and nothing else."""

    name = ma.fields.String(required=True)
    sex = ma.fields.String(required=True, metadata={"enum": enum_values(Sex)})
    age = ma.fields.Integer(required=True)
    skills = ma.fields.List(ma.fields.String(), required=True)
    courses = ma.fields.List(ma.fields.Nested(CandidateCourseSchema), required=True,
                             metadata={"description": "courses completed, with certificates"})


class ReferralEventSchema(ma.Schema):
    from_status = ma.fields.String(allow_none=True, required=True, metadata={"enum": _STATUSES})
    to_status = ma.fields.String(required=True, metadata={"enum": _STATUSES})
    at = ma.fields.DateTime(required=True)
    by = ma.fields.String(allow_none=True, required=True)


class ReferralSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    posting_id = ma.fields.Integer(required=True)
    posting_title = ma.fields.String(required=True)
    enterprise_id = ma.fields.Integer(required=True)
    enterprise_name = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": _STATUSES})
    referred_at = ma.fields.DateTime(required=True)
    base_name = ma.fields.String(allow_none=True, required=True)
    candidate = ma.fields.Nested(CandidateSchema, required=True)
    events = ma.fields.List(ma.fields.Nested(ReferralEventSchema), required=True)
    placement_id = ma.fields.Integer(allow_none=True, required=True)
    resident_id = ma.fields.Integer(metadata=_STAFF_ONLY)
    base_id = ma.fields.Integer(metadata=_STAFF_ONLY)


class PlacementCreateSchema(StrictSchema):
    referral_id = ma.fields.Integer(required=True, strict=True)
    started_on = ma.fields.Date(required=True)
    contract_months = ma.fields.Integer(required=True, strict=True)
    monthly_wage = ma.fields.Decimal(required=True, as_string=True)
    social_insurance = ma.fields.Boolean(required=True)


class CheckCreateSchema(StrictSchema):
    checked_on = ma.fields.Date(required=True)
    employed = ma.fields.Boolean(required=True)


class PlacementEndSchema(StrictSchema):
    ended_on = ma.fields.Date(required=True)
    reason = ma.fields.String(required=True, validate=ma.validate.Length(max=200))


class PlacementDischargeSchema(StrictSchema):
    discharged_on = ma.fields.Date(required=True)


class CheckSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    placement_id = ma.fields.Integer()
    month_mark = ma.fields.Integer(allow_none=True, required=True,
                                   metadata={"description": "1, 3, 6 or 12; null for an extra check"})
    checked_on = ma.fields.Date(required=True)
    employed = ma.fields.Boolean(required=True)


class NextCheckSchema(ma.Schema):
    month_mark = ma.fields.Integer(required=True)
    due_on = ma.fields.Date(required=True)


class PlacementSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    referral_id = ma.fields.Integer(required=True)
    candidate_name = ma.fields.String(required=True)
    enterprise_id = ma.fields.Integer(required=True)
    enterprise_name = ma.fields.String(required=True)
    posting_id = ma.fields.Integer(required=True)
    posting_title = ma.fields.String(required=True)
    agreement_id = ma.fields.Integer(allow_none=True, required=True,
                                     metadata={"description": "the agreement version in force at the hire"})
    agreement_version = ma.fields.Integer(allow_none=True, required=True)
    started_on = ma.fields.Date(required=True)
    contract_months = ma.fields.Integer(required=True)
    monthly_wage = ma.fields.Decimal(places=2, as_string=True, required=True)
    social_insurance = ma.fields.Boolean(required=True)
    ended_on = ma.fields.Date(allow_none=True, required=True)
    end_reason = ma.fields.String(allow_none=True, required=True)
    is_cancelled = ma.fields.Boolean(required=True, metadata={"description": "the hire was undone"})
    checks = ma.fields.List(ma.fields.Nested(CheckSchema), required=True)
    next_check = ma.fields.Nested(NextCheckSchema, allow_none=True, required=True)
    resident_id = ma.fields.Integer(metadata=_STAFF_ONLY)
    stay_id = ma.fields.Integer(allow_none=True, metadata=_STAFF_ONLY)


class PlacementListArgsSchema(PageArgsSchema):
    active = ma.fields.Boolean(load_default=False, metadata={"description": "only placements not ended or undone"})


class DueArgsSchema(StrictSchema):
    within_days = ma.fields.Integer(load_default=14, validate=ma.validate.Range(min=0, max=366))


class DueCheckSchema(ma.Schema):
    placement_id = ma.fields.Integer(required=True)
    candidate_name = ma.fields.String(required=True)
    enterprise_name = ma.fields.String(required=True)
    month_mark = ma.fields.Integer(required=True)
    due_on = ma.fields.Date(required=True)
    overdue = ma.fields.Boolean(required=True)


class StayDischargedSchema(ma.Schema):
    stay_id = ma.fields.Integer(required=True)
    discharged_on = ma.fields.Date(required=True)
    destination = ma.fields.String(required=True, metadata={"enum": enum_values(Destination)})

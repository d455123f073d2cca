"""API shapes of claims (docs/api.md "Claims"): explicit fields only; amounts are never accepted."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext as _l

from base_ops.core.api import PageArgsSchema, StrictSchema
from base_ops.subsidies.models import ClaimKind, ClaimStatus

_KINDS = [k.value for k in ClaimKind]
_STATUSES = [s.value for s in ClaimStatus]
_MONTH = ma.validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error=_l("must be a month YYYY-MM"))


class ClaimCreateSchema(StrictSchema):
    """No `amount`: it is computed by the rules (an amount in the body is an unknown field, 422)."""

    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(_KINDS))
    placement_id = ma.fields.Integer(strict=True, load_default=None)
    resident_id = ma.fields.Integer(strict=True, load_default=None)
    release_notice_id = ma.fields.Integer(strict=True, load_default=None)
    month = ma.fields.String(load_default=None, validate=_MONTH,
                             metadata={"description": "YYYY-MM; for post, insurance and living allowance claims"})


class ClaimReviewSchema(StrictSchema):
    decision = ma.fields.String(required=True, validate=ma.validate.OneOf(["approve", "reject"]))
    reason_code = ma.fields.String(load_default=None)
    reason = ma.fields.String(load_default=None)


class ClaimRejectSchema(StrictSchema):
    reason_code = ma.fields.String(required=True)
    reason = ma.fields.String(required=True)


class ClaimListArgsSchema(PageArgsSchema):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(_STATUSES))
    kind = ma.fields.String(load_default=None, validate=ma.validate.OneOf(_KINDS))
    month = ma.fields.String(load_default=None, validate=_MONTH)


class ClaimEventSchema(ma.Schema):
    from_status = ma.fields.String(allow_none=True, required=True, metadata={"enum": _STATUSES})
    to_status = ma.fields.String(required=True, metadata={"enum": _STATUSES})
    actor_id = ma.fields.Integer(allow_none=True, required=True)
    at = ma.fields.DateTime(required=True)
    reason_code = ma.fields.String(allow_none=True, required=True)
    reason = ma.fields.String(allow_none=True, required=True)


class ClaimSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": _KINDS})
    status = ma.fields.String(required=True, metadata={"enum": _STATUSES})
    subject_key = ma.fields.String(required=True)
    month = ma.fields.String(allow_none=True, required=True)
    placement_id = ma.fields.Integer(allow_none=True, required=True)
    resident_id = ma.fields.Integer(allow_none=True, required=True)
    release_notice_id = ma.fields.Integer(allow_none=True, required=True)
    agreement_id = ma.fields.Integer(allow_none=True, required=True,
                                     metadata={"description": "the agreement version the amount was computed under"})
    policy_id = ma.fields.Integer(allow_none=True, required=True, metadata={
        "description": "the policy document the amount was computed under (null: the system default, or the "
                       "agreement alone for enterprise kinds)"})
    enterprise_id = ma.fields.Integer(allow_none=True, required=True)
    base_id = ma.fields.Integer(allow_none=True, required=True)
    region_code = ma.fields.String(required=True, metadata={"description": "the county that approves and pays"})
    amount = ma.fields.Decimal(places=2, as_string=True, required=True)
    rule = ma.fields.String(required=True, metadata={"description": "how the amount was computed"})
    payee_name = ma.fields.String(allow_none=True, required=True)
    payee_account = ma.fields.String(allow_none=True, required=True,
                                     metadata={"description": "masked unless the caller may see it"})
    resubmissions = ma.fields.Integer(required=True)
    reason_code = ma.fields.String(allow_none=True, required=True)
    reason = ma.fields.String(allow_none=True, required=True)
    batch_id = ma.fields.Integer(allow_none=True, required=True)
    created_at = ma.fields.DateTime(required=True)
    events = ma.fields.List(ma.fields.Nested(ClaimEventSchema), required=True)


class PayeeAccountSchema(StrictSchema):
    """PUT body: the account an enterprise's or a base's claims are paid to; null or "" clears it."""

    bank_account = ma.fields.String(required=True, allow_none=True, validate=ma.validate.Length(max=60),
                                    metadata={"description": "10 to 30 digits; spaces are ignored"})


class PayeeAccountViewSchema(ma.Schema):
    payee_type = ma.fields.String(required=True, validate=ma.validate.OneOf(["enterprise", "base"]))
    payee_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    has_account = ma.fields.Boolean(required=True)
    masked_account = ma.fields.String(required=True, allow_none=True,
                                      metadata={"description": "the last four digits only"})

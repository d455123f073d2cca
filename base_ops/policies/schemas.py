"""API shapes for docs/api.md "Policies" (explicit fields only). The rules are checked by the service, which
names each field at fault (`rules.<key>`), so the request schema keeps the values as given."""

import marshmallow as ma

from base_ops.core.api import StrictSchema

REGION_CODE = ma.validate.Regexp(r"^\d{6}$", error="must be a 6-digit region code")


class PolicyCreateSchema(StrictSchema):
    region_code = ma.fields.String(load_default=None, allow_none=True, validate=REGION_CODE, metadata={
        "description": "a province, city or county code; null for a national document"})
    title = ma.fields.String(required=True)
    document_no = ma.fields.String(load_default=None, allow_none=True, metadata={"description": "文号"})
    issued_by = ma.fields.String(load_default=None, allow_none=True)
    effective_from = ma.fields.Date(required=True)
    effective_to = ma.fields.Date(load_default=None, allow_none=True, metadata={"description": "last day in force"})
    rules = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(), required=True, metadata={
        "description": "rule key → value (number); GET /policies/keys lists the keys"})
    articles = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), load_default=None,
                              metadata={"description": "rule key → article, e.g. 第六条"})
    supersedes_id = ma.fields.Integer(load_default=None, allow_none=True, metadata={
        "description": "an older policy of the same region, ended the day before this one takes effect"})


class PolicyEndSchema(StrictSchema):
    effective_to = ma.fields.Date(required=True, metadata={"description": "the last day in force"})


class PolicyListArgsSchema(StrictSchema):
    region_code = ma.fields.String(load_default=None, validate=REGION_CODE)
    on = ma.fields.Date(load_default=None)


class EffectiveArgsSchema(StrictSchema):
    region_code = ma.fields.String(required=True, validate=REGION_CODE)
    on = ma.fields.Date(load_default=None, metadata={"description": "default today"})


class PolicyRuleSchema(ma.Schema):
    key = ma.fields.String(required=True)
    value = ma.fields.Decimal(required=True, as_string=True)
    article = ma.fields.String(required=True, allow_none=True)


class PolicySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    region_code = ma.fields.String(required=True, allow_none=True)
    title = ma.fields.String(required=True)
    document_no = ma.fields.String(required=True, allow_none=True)
    issued_by = ma.fields.String(required=True, allow_none=True)
    effective_from = ma.fields.Date(required=True)
    effective_to = ma.fields.Date(required=True, allow_none=True)
    supersedes_id = ma.fields.Integer(required=True, allow_none=True)
    citation = ma.fields.String(required=True, metadata={"description": "《title》（文号）"})
    rules = ma.fields.List(ma.fields.Nested(PolicyRuleSchema), required=True)


class PolicyListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(PolicySchema), required=True)


class RuleKeySchema(ma.Schema):
    key = ma.fields.String(required=True)
    default = ma.fields.Decimal(required=True, as_string=True, metadata={"description": "the national default"})
    label = ma.fields.String(required=True)
    unit = ma.fields.String(required=True)
    decided_by = ma.fields.String(required=True, metadata={"description": "which region and date decide it"})
    whole = ma.fields.Boolean(required=True, metadata={"description": "a whole number"})
    low = ma.fields.Decimal(required=True, as_string=True)
    high = ma.fields.Decimal(required=True, as_string=True)


class RuleKeyListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(RuleKeySchema), required=True)


class AppliedRuleSchema(ma.Schema):
    key = ma.fields.String(required=True)
    value = ma.fields.Decimal(required=True, as_string=True)
    policy_id = ma.fields.Integer(required=True, allow_none=True, metadata={"description": "null: the system default"})
    title = ma.fields.String(required=True, allow_none=True)
    document_no = ma.fields.String(required=True, allow_none=True)
    article = ma.fields.String(required=True, allow_none=True)
    region_code = ma.fields.String(required=True, allow_none=True)
    citation = ma.fields.String(required=True)


class EffectiveSchema(ma.Schema):
    region_code = ma.fields.String(required=True)
    on = ma.fields.Date(required=True)
    rules = ma.fields.List(ma.fields.Nested(AppliedRuleSchema), required=True)


class PreviewChangeSchema(ma.Schema):
    key = ma.fields.String(required=True)
    current = ma.fields.Nested(AppliedRuleSchema, required=True)
    proposed = ma.fields.Decimal(required=True, as_string=True)


class PreviewClaimSchema(ma.Schema):
    claim_id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    amount = ma.fields.Decimal(required=True, as_string=True)
    proposed_amount = ma.fields.Decimal(required=True, as_string=True, allow_none=True, metadata={
        "description": "null: no longer eligible under the new policy"})


class PreviewNoticeSchema(ma.Schema):
    notice_id = ma.fields.Integer(required=True)
    feedback_due_on = ma.fields.Date(required=True)
    proposed_due_on = ma.fields.Date(required=True)


class PreviewSchema(ma.Schema):
    changes = ma.fields.List(ma.fields.Nested(PreviewChangeSchema), required=True)
    claims = ma.fields.List(ma.fields.Nested(PreviewClaimSchema), required=True, metadata={
        "description": "claims not yet approved whose amount would change"})
    notices = ma.fields.List(ma.fields.Nested(PreviewNoticeSchema), required=True, metadata={
        "description": "open receipt deadlines that would move"})

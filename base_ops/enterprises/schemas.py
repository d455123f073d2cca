"""API shapes for enterprises, agreements and postings (docs/api.md "Enterprises, postings, placements").

Shape and format only, explicit fields; the rules (USCC check character, date order,
amounts, the discrimination screen) are the services'.
"""

from __future__ import annotations

import marshmallow as ma

from base_ops.core.api import PageArgsSchema, StrictSchema
from base_ops.enterprises.models import PostingStatus

_REGION = ma.validate.Regexp(r"^\d{6}$")
_STATUSES = [s.value for s in PostingStatus]


def _money(**kwargs) -> ma.fields.Decimal:
    """In: a decimal string or number (two places at most, checked by the service); out: "3000.00"."""
    return ma.fields.Decimal(as_string=True, **kwargs)


def _count(**kwargs) -> ma.fields.Integer:
    return ma.fields.Integer(strict=True, **kwargs)


class EnterpriseCreateSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(max=200))
    uscc = ma.fields.String(required=True, validate=ma.validate.Length(max=40),
                            metadata={"description": "统一社会信用代码, 18 characters (GB 32100-2015)"})
    region_code = ma.fields.String(required=True, validate=_REGION)
    contact_name = ma.fields.String(required=True, validate=ma.validate.Length(max=50))
    contact_phone = ma.fields.String(required=True, validate=ma.validate.Length(max=30))


class EnterpriseSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    uscc = ma.fields.String(required=True)
    region_code = ma.fields.String(required=True)
    contact_name = ma.fields.String(required=True)
    contact_phone = ma.fields.String(required=True)


class AgreementCreateSchema(StrictSchema):
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)
    hire_quota = _count(required=True)
    min_contract_months = _count(required=True, metadata={"description": "usually 12"})
    one_time_subsidy = _money(required=True, metadata={"description": "一次性吸纳就业补贴 per hire, CNY"})
    one_time_after_months = _count(required=True, metadata={"description": "payable once retained this long"})
    post_subsidy_monthly = _money(required=True, metadata={"description": "岗位补贴 per month, CNY"})
    post_subsidy_max_months = _count(required=True)
    insurance_subsidy_monthly = _money(required=True, metadata={"description": "社会保险补贴 per month, CNY"})
    insurance_subsidy_max_months = _count(required=True)
    budget = _money(required=True, metadata={"description": "approved plus paid claims never exceed it"})


class AgreementSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    enterprise_id = ma.fields.Integer(required=True)
    version = ma.fields.Integer(required=True)
    supersedes_id = ma.fields.Integer(allow_none=True, required=True)
    is_current = ma.fields.Boolean(required=True)
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)
    hire_quota = ma.fields.Integer(required=True)
    min_contract_months = ma.fields.Integer(required=True)
    one_time_subsidy = ma.fields.Decimal(places=2, as_string=True, required=True)
    one_time_after_months = ma.fields.Integer(required=True)
    post_subsidy_monthly = ma.fields.Decimal(places=2, as_string=True, required=True)
    post_subsidy_max_months = ma.fields.Integer(required=True)
    insurance_subsidy_monthly = ma.fields.Decimal(places=2, as_string=True, required=True)
    insurance_subsidy_max_months = ma.fields.Integer(required=True)
    budget = ma.fields.Decimal(places=2, as_string=True, required=True)
    created_at = ma.fields.DateTime(required=True)


class PostingCreateSchema(StrictSchema):
    enterprise_id = _count(required=True)
    title = ma.fields.String(required=True, validate=ma.validate.Length(max=100))
    description = ma.fields.String(required=True, validate=ma.validate.Length(max=5000))
    requirements = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=2000))
    positions = _count(required=True)
    wage_min = _money(required=True)
    wage_max = _money(required=True)
    location = ma.fields.String(required=True, validate=ma.validate.Length(max=200))
    provides_housing = ma.fields.Boolean(required=True)


class PostingSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    enterprise_id = ma.fields.Integer(required=True)
    enterprise_name = ma.fields.Function(lambda p: p.enterprise.name, required=True, metadata={"type": "string"})
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    requirements = ma.fields.String(allow_none=True, required=True)
    positions = ma.fields.Integer(required=True)
    open_positions = ma.fields.Integer(required=True)
    is_full = ma.fields.Function(lambda p: p.open_positions == 0, required=True,
                                 metadata={"type": "boolean", "description": "no position open: referrals are refused"})
    wage_min = ma.fields.Decimal(places=2, as_string=True, required=True)
    wage_max = ma.fields.Decimal(places=2, as_string=True, required=True)
    location = ma.fields.String(required=True)
    provides_housing = ma.fields.Boolean(required=True)
    status = ma.fields.String(required=True, metadata={"enum": _STATUSES})
    created_at = ma.fields.DateTime(required=True)
    # A job closed by law to people with a record (docs/domain.md "Lawful bars on some jobs").
    is_barred = ma.fields.Function(lambda p: p.bar is not None, required=True, metadata={
        "type": "boolean", "description": "a job closed by law to people with a record: no resident is referred"})
    barred_by = ma.fields.Function(lambda p: p.bar.citation() if p.bar else None, allow_none=True, required=True,
                                   metadata={"type": "string",
                                             "description": "the law and article, e.g. 《保安服务管理条例》 第十七条"})


class PostingListArgsSchema(PageArgsSchema):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(_STATUSES))

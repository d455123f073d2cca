"""API shapes for residents and case notes (docs/api.md "Residents and notices"; explicit fields only)."""

from __future__ import annotations

import marshmallow as ma

from base_ops.core.api import PageArgsSchema, StrictSchema, enum_values
from base_ops.core.identity import mask_id_number
from base_ops.org.models import Sex
from base_ops.residents.models import CaseNoteKind, Diet, SubjectType

_REGION = ma.validate.Regexp(r"^\d{6}$")


def _text(max_length: int, **kwargs) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.Length(max=max_length), **kwargs)


class Shown:
    """A resident as the caller may see him: the full ID number, health notes and bank
    account only when `reveal_sensitive` (a permitted role, and the view is audited)."""

    def __init__(self, resident, reveal_sensitive: bool):
        self._resident = resident
        self.reveal_sensitive = reveal_sensitive

    def __getattr__(self, name):
        return getattr(self._resident, name)


class _ResidentFields(StrictSchema):
    """Everything a caller may set; sex and birth date are derived from the ID number."""

    name = _text(50)
    ethnicity = _text(20, allow_none=True)
    phone = _text(30, allow_none=True)
    hukou_region_code = ma.fields.String(validate=_REGION)
    hukou_address = _text(200, allow_none=True)
    subject_type = ma.fields.String(validate=ma.validate.OneOf([s.value for s in SubjectType]))
    released_on = ma.fields.Date()
    prison_name = _text(100, allow_none=True)
    prison_region_code = ma.fields.String(validate=_REGION, allow_none=True)
    offence = _text(200, allow_none=True)
    sentence_months = ma.fields.Integer(allow_none=True, strict=True)
    registered_on = ma.fields.Date(allow_none=True)
    is_homeless = ma.fields.Boolean()
    has_no_relatives = ma.fields.Boolean()
    is_unemployed = ma.fields.Boolean()
    reoffend_risk = ma.fields.Boolean()
    state_security = ma.fields.Boolean()
    false_identity = ma.fields.Boolean()
    special_hardship = ma.fields.Boolean()
    diet = ma.fields.String(validate=ma.validate.OneOf([d.value for d in Diet]))
    health_notes = _text(2000, allow_none=True, metadata={"description": "sensitive (GB/T 35273 B.2)"})
    bank_account = _text(40, allow_none=True, metadata={"description": "sensitive; 10-30 digits"})
    base_id = ma.fields.Integer(allow_none=True, strict=True, metadata={
        "description": "the registering base: one of the caller's bases (default: his only base)"})


class ResidentCreateSchema(_ResidentFields):
    # The ID number is checked by the service (length, full-width, check character, date),
    # so the error names the problem precisely.
    id_number = ma.fields.String(required=True, validate=ma.validate.Length(max=40))
    name = _text(50, required=True)
    hukou_region_code = ma.fields.String(required=True, validate=_REGION)
    subject_type = ma.fields.String(required=True, validate=ma.validate.OneOf([s.value for s in SubjectType]))
    released_on = ma.fields.Date(required=True)
    is_homeless = ma.fields.Boolean(required=True)
    has_no_relatives = ma.fields.Boolean(required=True)
    is_unemployed = ma.fields.Boolean(required=True)
    reoffend_risk = ma.fields.Boolean(required=True)
    state_security = ma.fields.Boolean(required=True)
    false_identity = ma.fields.Boolean(required=True)


class ResidentUpdateSchema(_ResidentFields):
    """PATCH: any field of the create body, plus dibao_since and reoffended_on."""

    id_number = ma.fields.String(validate=ma.validate.Length(max=40))
    dibao_since = ma.fields.Date(allow_none=True, metadata={"description": "date dibao payments began"})
    reoffended_on = ma.fields.Date(allow_none=True)


class ResidentSearchSchema(PageArgsSchema):
    q = ma.fields.String(load_default=None, metadata={
        "description": "part of the name, or the last 4-8 characters of the ID number"})


class ResidentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    id_number = ma.fields.Method("_id_number", metadata={
        "type": "string", "description": "masked (first 6 + last 4) unless the caller may see it"})
    name = ma.fields.String(required=True)
    sex = ma.fields.String(required=True, metadata={
        "enum": enum_values(Sex), "description": "derived from the ID number"})
    birth_on = ma.fields.Date(required=True, metadata={"description": "derived from the ID number"})
    ethnicity = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    hukou_region_code = ma.fields.String(required=True)
    hukou_address = ma.fields.String(allow_none=True)
    subject_type = ma.fields.String(required=True, metadata={"enum": enum_values(SubjectType)})
    released_on = ma.fields.Date(required=True)
    prison_name = ma.fields.String(allow_none=True)
    prison_region_code = ma.fields.String(allow_none=True)
    offence = ma.fields.String(allow_none=True)
    sentence_months = ma.fields.Integer(allow_none=True)
    registered_on = ma.fields.Date(allow_none=True)
    is_homeless = ma.fields.Boolean(required=True)
    has_no_relatives = ma.fields.Boolean(required=True)
    is_unemployed = ma.fields.Boolean(required=True)
    reoffend_risk = ma.fields.Boolean(required=True)
    state_security = ma.fields.Boolean(required=True)
    false_identity = ma.fields.Boolean(required=True)
    special_hardship = ma.fields.Boolean(required=True)
    diet = ma.fields.String(required=True, metadata={"enum": enum_values(Diet)})
    dibao_since = ma.fields.Date(allow_none=True)
    reoffended_on = ma.fields.Date(allow_none=True)
    hardship_recorded_on = ma.fields.Date(allow_none=True, metadata={
        "description": "生活确有困难 recorded on (seed 002 三(三)); with hardship_evidence"})
    hardship_evidence = ma.fields.String(allow_none=True, metadata={"description": "what proves the hardship"})
    base_id = ma.fields.Integer(required=True)
    is_three_none = ma.fields.Boolean(required=True)
    is_key_subject = ma.fields.Boolean(required=True)
    support_ends_on = ma.fields.Date(required=True)
    health_notes = ma.fields.Method("_health_notes", metadata={
        "type": "string", "nullable": True, "description": "only when the caller may see it"})
    bank_account = ma.fields.Method("_bank_account", metadata={
        "type": "string", "nullable": True, "description": "only when the caller may see it"})

    def _revealed(self, obj) -> bool:
        return getattr(obj, "reveal_sensitive", False) is True

    def _id_number(self, obj) -> str:
        return obj.id_number if self._revealed(obj) else mask_id_number(obj.id_number)

    def _health_notes(self, obj):
        return obj.health_notes if self._revealed(obj) else ma.missing

    def _bank_account(self, obj):
        return obj.bank_account if self._revealed(obj) else ma.missing


class ReoffenceSchema(StrictSchema):
    on = ma.fields.Date(required=True, metadata={"description": "the day of the reoffence: from the release to today"})


class HardshipSchema(StrictSchema):
    evidence = ma.fields.String(required=True, metadata={
        "description": "what proves the hardship, e.g. 村委会出具的生活困难证明 (at most 200 characters)"})
    recorded_on = ma.fields.Date(metadata={"description": "default today; not in the future"})


class CaseNoteCreateSchema(StrictSchema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf([k.value for k in CaseNoteKind]))
    noted_on = ma.fields.Date(required=True)
    text = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000))


class CaseNoteSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    resident_id = ma.fields.Integer(required=True)
    stay_id = ma.fields.Integer(allow_none=True)
    kind = ma.fields.String(required=True, metadata={"enum": enum_values(CaseNoteKind)})
    noted_on = ma.fields.Date(required=True)
    text = ma.fields.String(required=True)
    author = ma.fields.Function(lambda note: note.author.display_name if note.author else None,
                                metadata={"type": "string"})

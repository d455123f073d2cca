"""Identity numbers: 居民身份证号 (GB 11643-1999) and 统一社会信用代码 (GB 32100-2015).

Validated with python-stdnum. Input must be plain ASCII: full-width digits are
refused with a clear message rather than silently converted, so what is stored
is exactly what was checked (docs/security.md "Input and output").
"""

from __future__ import annotations

from flask_babel import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

from base_ops.core.errors import ValidationFailed


def _ascii_only(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed.on(field, _("is required"))
    if not value.isascii():
        raise ValidationFailed.on(field, _("contains full-width or non-ASCII characters; type half-width digits"))
    return value


def validate_id_number(value: str, field: str = "id_number") -> str:
    """An 18-character ID number, upper-case X; refuses wrong length, check digit or date."""
    value = _ascii_only(value, field).upper()
    if len(value) != 18:
        raise ValidationFailed.on(field, _("must be 18 characters"))
    try:
        return ric.validate(value)
    except stdnum_errors.InvalidChecksum:
        raise ValidationFailed.on(field, _("check character is wrong")) from None
    except stdnum_errors.InvalidComponent:
        raise ValidationFailed.on(field, _("birth date or region in the number is impossible")) from None
    except stdnum_errors.ValidationError:
        raise ValidationFailed.on(field, _("is not a valid ID number")) from None


def validate_uscc(value: str, field: str = "uscc") -> str:
    value = _ascii_only(value, field).upper()
    if len(value) != 18:
        raise ValidationFailed.on(field, _("must be 18 characters"))
    try:
        return uscc.validate(value)
    except stdnum_errors.InvalidChecksum:
        raise ValidationFailed.on(field, _("check character is wrong")) from None
    except stdnum_errors.ValidationError:
        raise ValidationFailed.on(field, _("is not a valid unified social credit code")) from None


def mask_id_number(value: str | None) -> str:
    """110105********002X: first 6 and last 4 only (docs/domain.md "Identity")."""
    if not value:
        return ""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]

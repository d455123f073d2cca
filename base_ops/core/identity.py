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
    """An 18-character ID number, upper-case X; refuses wrong length, check digit, date or an unknown region.

    docs/domain.md "Identity": the address code is the county where the number was first assigned. For a
    person registered late (补录户口) that county may have been created after the birth year; stdnum refuses
    such a number, we accept it when the check character, the date and the code (current or historical) are
    right — `registered_late` tells the pages to show it as "to be checked against the card".
    """
    value = _ascii_only(value, field).upper()
    if len(value) != 18:
        raise ValidationFailed.on(field, _("must be 18 characters"))
    try:
        return ric.validate(value)
    except stdnum_errors.InvalidChecksum:
        raise ValidationFailed.on(field, _("check character is wrong")) from None
    except stdnum_errors.InvalidComponent:
        if _date_is_plausible(value) and _counties_of(value[:6]):
            return value  # a real county, created after the birth year: registered late
        raise ValidationFailed.on(field, _("birth date or region in the number is impossible")) from None
    except stdnum_errors.ValidationError:
        raise ValidationFailed.on(field, _("is not a valid ID number")) from None


def registered_late(id_number: str | None) -> bool:
    """Whether the number's county did not exist in the birth year (补录户口): valid, but worth checking
    against the card, never a reason to refuse (docs/domain.md "Identity")."""
    if not id_number or len(id_number) != 18 or not _date_is_plausible(id_number):
        return False
    counties = _counties_of(id_number[:6])
    if not counties:
        return False
    year = int(id_number[6:10])
    return not any((start is None or year >= start) and (end is None or year <= end) for start, end in counties)


def _date_is_plausible(number: str) -> bool:
    """A real calendar date from 1900 (core/bounds.py's earliest date) to today: a "late registration"
    is never a way to slip in year 0001 or a birth in the future."""
    from base_ops.core import bounds, clock

    try:
        born = ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        return False
    return bounds.EARLIEST_DATE <= born <= clock.today()


def _counties_of(code: str) -> list[tuple[int | None, int | None]]:
    """The years each county that ever had this address code existed ([] for a code never assigned),
    from python-stdnum's GB/T 2260 history (the same table `ric.validate` reads)."""
    from stdnum import numdb

    info = {k: v for _part, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    if not info.get("county"):
        return []
    spans = []
    for county in info["county"].split(","):
        if not county.startswith("["):
            spans.append((None, None))  # a county of today, no recorded start
            continue
        start, end = county[1:].split("]")[0].split("-")
        spans.append((int(start) if start else None, int(end) if end else None))
    return spans


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

"""The bounds of what the app accepts as a date, an id, an integer, a page number and a JSON body, and the
one way each is read wherever it comes in: query strings of pages, form fields, the API's schemas.

A value past them used to end in an overflow (Python's date arithmetic past 9999-12-31, SQLite's integers
past 2**63, an `integer` column past 2**31-1) or in Python's json parser running out of stack: a 500.
Now it is bad input, answered as such, naming the parameter: 422 validation_error in the API, a 422 page
or the error next to the form field on pages.

- Dates: 1900-01-01 to 2199-12-31. The earliest is before any birth date an ID number of a living person
  holds, any release or registration date, any record the app keeps; the latest is far past any date
  planned here (a release, a contract, a course, the end of support, a monthly report). Every piece of
  date arithmetic the app does from an accepted date (a day or a month later, twelve months back, five
  years of report, a contract's 120 months) stays well inside both Python's range (0001-01-01 to
  9999-12-31) and the databases'.
- Ids and every other integer a column stores: at most 2**31-1, what an `integer` column holds (ids from 1).
- Page numbers: 1 to 100,000. At 50 rows a page that is five million rows; past it a page number only
  makes the database count off rows for nothing. Anything that is not a page number (a word,
  0, a negative or a number past the highest) shows the first page: the pager only ever links to real
  pages, so such a number was typed or cut, and the list itself is the useful answer.
- JSON bodies: nested at most 32 deep (the deepest body the API takes is three levels; Python's json parser
  raises RecursionError near a thousand), and no integer longer than Python converts (4,300 digits).
- Whole numbers in query strings are read only up to 12 digits, past every bound here and far short of
  Python's limit for int() (a ValueError past 4,300 digits).
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date, datetime

import marshmallow as ma
import wtforms
from flask import request
from flask_babel import gettext as _

from base_ops.core.errors import ValidationFailed

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)
DB_INT_MAX = 2**31 - 1  # an `integer` column (every id) holds no more
DB_INT_MIN = -(2**31)
MAX_PAGE_NUMBER = 100_000
MAX_JSON_DEPTH = 32

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_WHOLE_NUMBER = re.compile(r"^[+-]?\d{1,12}$")


# ---------------------------------------------------------------- the messages

def date_problem() -> str:
    return _("must be a date from %(first)s to %(last)s", first=EARLIEST_DATE.isoformat(),
             last=LATEST_DATE.isoformat())


def month_problem() -> str:
    return _("must be a month from %(first)s to %(last)s", first=EARLIEST_DATE.strftime("%Y-%m"),
             last=LATEST_DATE.strftime("%Y-%m"))


def id_problem() -> str:
    return _("must be a whole number from 1 to %(max)s", max=DB_INT_MAX)


def integer_problem() -> str:
    return _("must be a whole number from %(min)s to %(max)s", min=DB_INT_MIN, max=DB_INT_MAX)


# ---------------------------------------------------------------- checking values

def whole_number(text: str) -> int | None:
    """`text` as an integer; None when it is not one, or longer than any bound here."""
    text = text.strip()
    return int(text) if _WHOLE_NUMBER.match(text) else None


def id_or_none(text: str) -> int | None:
    """`text` as an id (1 to DB_INT_MAX); None when it cannot be one."""
    number = whole_number(text)
    return number if number is not None and 1 <= number <= DB_INT_MAX else None


def date_in_bounds(value: date | None) -> bool:
    if isinstance(value, datetime):
        value = value.date()
    return value is None or EARLIEST_DATE <= value <= LATEST_DATE


def check_date(field: str, value: date | None) -> date | None:
    """`value` as it is, or ValidationFailed naming `field` when it is past the bounds."""
    if not date_in_bounds(value):
        raise ValidationFailed.on(field, date_problem())
    return value


def check_id(field: str, value: int | None) -> int | None:
    if value is not None and not 1 <= value <= DB_INT_MAX:
        raise ValidationFailed.on(field, id_problem())
    return value


def parse_date(field: str, text: str) -> date:
    """'YYYY-MM-DD' within the bounds, else ValidationFailed naming `field`."""
    text = text.strip()
    try:
        if not _ISO_DATE.match(text):
            raise ValueError(text)
        value = date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed.on(field, _("give a date as YYYY-MM-DD")) from None
    return check_date(field, value)


def parse_month(field: str, text: str | None) -> date:
    """'YYYY-MM' within the bounds -> the first day of that month, else ValidationFailed naming `field`."""
    match = _ISO_MONTH.match((text or "").strip())
    if not match:
        raise ValidationFailed.on(field, _("must be a month YYYY-MM"))
    first = date(int(match.group(1)), int(match.group(2)), 1)
    if not date_in_bounds(first):
        raise ValidationFailed.on(field, month_problem())
    return first


# ---------------------------------------------------------------- the query string of a page

def date_arg(name: str, default: date | None = None) -> date | None:
    """The query parameter `name` as a date (`default` when absent or empty)."""
    text = (request.args.get(name) or "").strip()
    return parse_date(name, text) if text else default


def month_arg(name: str, default: date) -> date:
    """The query parameter `name` ('YYYY-MM') as the first day of its month (`default`'s when absent)."""
    text = (request.args.get(name) or "").strip()
    return parse_month(name, text) if text else default.replace(day=1)


def int_arg(name: str) -> int | None:
    """The query parameter `name` as an id (None when absent or empty)."""
    text = (request.args.get(name) or "").strip()
    if not text:
        return None
    number = id_or_none(text)
    if number is None:
        raise ValidationFailed.on(name, id_problem())
    return number


def page_number() -> int:
    """The `page` query parameter of every list (see the module docstring): 1 for anything not a page number."""
    number = whole_number(request.args.get("page") or "")
    return number if number is not None and 1 <= number <= MAX_PAGE_NUMBER else 1


# ---------------------------------------------------------------- the API's schemas (core.api.StrictSchema)

def api_date_in_bounds(value: date) -> None:
    """Validator of every date and date-time field of the API's request schemas."""
    if not date_in_bounds(value):
        raise ma.ValidationError(date_problem())


API_INTEGER_RANGE = ma.validate.Range(min=DB_INT_MIN, max=DB_INT_MAX)


# ---------------------------------------------------------------- forms

class BoundedDateField(wtforms.DateField):
    """The date field of every form: a date past the bounds is an error next to the field."""

    def post_validate(self, _form, validation_stopped: bool) -> None:
        if not validation_stopped and not date_in_bounds(self.data):
            raise wtforms.validators.ValidationError(date_problem())


class BoundedIntegerField(wtforms.IntegerField):
    """The integer field of every form: no more than an `integer` column holds (ids, counts, months...)."""

    def post_validate(self, _form, validation_stopped: bool) -> None:
        if not validation_stopped and self.data is not None and not DB_INT_MIN <= self.data <= DB_INT_MAX:
            raise wtforms.validators.ValidationError(integer_problem())


def optional_id(value) -> int | None:
    """`coerce` of a select or hidden field holding an id: None when empty, ValueError (the field's error)
    when it is not one."""
    if value in (None, "", "None"):
        return None
    number = value if isinstance(value, int) else id_or_none(str(value))
    if number is None or not 1 <= number <= DB_INT_MAX:
        raise ValueError(id_problem())
    return number


# ---------------------------------------------------------------- JSON bodies

def check_json_body(data: bytes) -> None:
    """ValidationFailed naming the body when a JSON body nests deeper than MAX_JSON_DEPTH or holds an integer
    longer than Python converts: each raised out of the json parser as something other than a syntax error
    (RecursionError, ValueError), which no schema expects: a 500. A body that is not JSON at all is left to
    the schema's own answer."""
    if not data:
        return
    try:
        body = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return
    except RecursionError:
        body = None
        too_deep = True
    except ValueError:  # "Exceeds the limit (4300 digits) for integer string conversion"
        raise ValidationFailed.on("body", _("must not hold a number of more than %(max)s digits",
                                            max=sys.get_int_max_str_digits())) from None
    else:
        too_deep = json_depth(body) > MAX_JSON_DEPTH
    if too_deep:
        raise ValidationFailed.on("body", _("must not nest lists and objects more than %(max)s levels deep",
                                            max=MAX_JSON_DEPTH))


def json_depth(value) -> int:
    """How deep lists and objects nest in a parsed JSON value (a scalar: 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest

"""ID numbers of people registered late (补录户口): docs/domain.md "Identity" — a county created after the
birth year is accepted when the check character, the date and the code are right, and flagged to be
checked against the card; a wrong check character, an impossible date or a code never assigned is refused."""

from __future__ import annotations

import pytest
from stdnum.cn import ric

from base_ops.core.errors import ValidationFailed
from base_ops.core.identity import registered_late, validate_id_number


def _number(code: str, birth: str, serial: str = "123") -> str:
    body = code + birth + serial
    return body + ric.calc_check_digit(body + "0")


def _wrong_check(number: str) -> str:
    return number[:-1] + ("1" if number[-1] != "1" else "2")


@pytest.mark.parametrize(("code", "birth"), [
    ("110112", "19800101"),  # 通州区 (Beijing) exists since 1997
    ("110115", "19650315"),  # 大兴区 since 2001
    ("110114", "19700630"),  # 昌平区 since 1999
])
def test_a_county_created_after_the_birth_year_is_accepted_and_flagged(code, birth):
    number = _number(code, birth)
    with pytest.raises(Exception):  # noqa: B017 - what stdnum alone would do
        ric.validate(number)
    assert validate_id_number(number) == number
    assert registered_late(number)


def test_a_number_of_a_county_that_existed_at_birth_is_not_flagged():
    number = _number("110112", "20000101")  # 通州区, born after it was created
    assert validate_id_number(number) == number
    assert not registered_late(number)
    assert not registered_late("330106198503121231")


@pytest.mark.parametrize(("number", "problem"), [
    (_number("999999", "19800101"), "impossible"),     # a code never assigned
    (_number("110112", "19800230"), "impossible"),     # 30 February
    (_number("110112", "00010101"), "impossible"),     # year 0001 is no late registration
    (_number("110112", "18991231"), "impossible"),     # before the earliest date the system takes
    (_wrong_check(_number("110112", "19800101")), "check"),  # a late number with a wrong check character
])
def test_wrong_numbers_are_still_refused(number, problem, app):
    with app.test_request_context(), pytest.raises(ValidationFailed) as error:
        validate_id_number(number)
    assert set(error.value.fields) == {"id_number"}
    assert ("校验码" in error.value.message) == (problem == "check")  # the page speaks Chinese


def test_lower_case_x_is_stored_upper_case_for_a_late_number_too():
    body = "11011219800101123"
    number = body + ric.calc_check_digit(body + "0")
    assert validate_id_number(number.lower()) == number.upper()

"""ID numbers for invented demo people.

Both the demo site (loaders) and its past year (demo_history) invent people; the number maker
lives here so that neither of the two imports the other for it (loaders runs demo_history).
"""

from __future__ import annotations

from stdnum.cn import ric


def demo_id_number(region: str, birth: str, sex: str) -> str:
    """A valid ID number (GB 11643-1999) for invented demo people: first sequence that fits the sex."""
    stem = region + birth.replace("-", "")
    for seq in range(101, 999):
        if (seq % 2 == 1) != (sex == "male"):
            continue
        body = f"{stem}{seq:03d}"
        number = body + ric.calc_check_digit(body + "0")
        if ric.is_valid(number):
            return number
    raise ValueError(f"no valid ID number for {region} {birth}")

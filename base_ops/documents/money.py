"""Amounts in capital Chinese numerals (大写金额), as a payment list and an approval form write them.

The capitals (壹贰叁…, 拾佰仟, 万亿) cannot be altered by adding a stroke; the figure ends in 元整 when there
are no fen (the common bookkeeping practice, 《支付结算办法》 附件一 "正确填写票据和结算凭证的基本规定").
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
GROUP_UNITS = ("", "万", "亿", "万亿")


def _group(number: int) -> str:
    """0-9999 in capitals, with 零 for inner gaps (1005 → 壹仟零伍)."""
    out, zero = "", False
    for position in range(3, -1, -1):
        digit = number // 10 ** position % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += DIGITS[digit] + SMALL_UNITS[position]
    return out


def capital_amount(amount) -> str:
    """¥1,234.50 → 壹仟贰佰叁拾肆元伍角; ¥3,000 → 叁仟元整; ¥0 → 零元整; ¥0.05 → 伍分."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value < 0:
        return "负" + capital_amount(-value)
    yuan = int(value)
    jiao, fen = int(value * 10) % 10, int(value * 100) % 10
    if yuan >= 10 ** 16:
        raise ValueError("amount too large")
    words = ""
    groups = []
    rest = yuan
    while rest:
        groups.append(rest % 10000)
        rest //= 10000
    need_zero = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            need_zero = bool(words)
            continue
        if words and (need_zero or group < 1000):
            words += "零"
        words += _group(group) + GROUP_UNITS[index]
        need_zero = False
    if words:
        words += "元"
    if not jiao and not fen:
        return (words or "零元") + "整"
    if jiao:
        words += DIGITS[jiao] + "角"
    elif words:
        words += "零"
    if fen:
        words += DIGITS[fen] + "分"
    return words

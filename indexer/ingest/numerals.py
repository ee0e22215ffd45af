"""Chinese numerals both ways: 二十一 → 21 for reading headings and dates, 21 → 二十一 for writing
out Word's automatic list numbers."""

from __future__ import annotations

_DIGITS = "〇一二三四五六七八九"
_DIGIT_VALUE = {c: i for i, c in enumerate(_DIGITS)} | {"零": 0, "○": 0, "Ｏ": 0, "两": 2}
FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def parse_chinese_number(text: str) -> int:
    """二十一 → 21, 一百零五 → 105, 十 → 10; a year written digit by digit, 二〇二一 → 2021;
    ASCII or full-width digits as they are. Raises KeyError on other characters."""
    text = text.translate(FULLWIDTH_DIGITS)
    if text.isdigit():
        return int(text)
    if "十" not in text and "百" not in text:
        return int("".join(str(_DIGIT_VALUE[char]) for char in text))
    total, current = 0, 0
    for char in text:
        if char == "百":
            total += (current or 1) * 100
            current = 0
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _DIGIT_VALUE[char]
    return total + current


def format_chinese_number(n: int) -> str:
    """21 → 二十一, 105 → 一百零五, as 公文 number their sections; 1000 and above in digits."""
    if n <= 0 or n >= 1000:
        return str(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = f"{_DIGITS[hundreds]}百" if hundreds else ""
    if tens:
        # 十二 rather than 一十二 at the start; 一百一十二 inside a larger number.
        out += (_DIGITS[tens] if tens > 1 or hundreds else "") + "十"
    elif hundreds and ones:
        out += "零"
    if ones:
        out += _DIGITS[ones]
    return out

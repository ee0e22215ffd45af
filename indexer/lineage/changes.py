"""What an item changes against the basis item it carries out: the numbers, targets and
deadlines it adds (课时, 比例, 年份, 到2020年底前), the units it names; and the basis items a
document leaves without an implementing item."""

from __future__ import annotations

import re

from indexer.lineage.align import Aligned
from indexer.lineage.items import Outline

_DIGITS = str.maketrans("０１２３４５６７８９％．", "0123456789%.")
_QUANTITY_UNITS = (
    "个百分点|%|课时|学时|学分|节|小时|天|周|个月|年|个|所|名|人次|人|项|次|门|种|类|批|支|场|"
    "万元|亿元|元|平方米|倍"
)
# A deadline (到2020年底前, 2018年起) or a quantity (每周2课时, 不少于72学时, 达到90%以上); the words
# around the number travel with it, so that "不少于72学时" and "72学时" read as what they say.
_NUMBER = re.compile(
    r"(?:到|至|于|在|从|自)?\d{4}年(?:\d{1,2}月)?(?:底|末)?(?:前|以前|之前|起|开始|内)?"
    r"|(?:不少于|不低于|不超过|不得少于|达到|超过|至少|每周|每学年|每学期|每年|每人|每生|每校)?"
    rf"\d+(?:\.\d+)?(?:{_QUANTITY_UNITS})(?:以上|以下|左右)?"
    r"|[两二三四五六七八九十]+(?:课时|学时|节|学分|门)"
)
_CORE = re.compile(
    rf"\d+(?:\.\d+)?(?:{_QUANTITY_UNITS}|月)?|[两二三四五六七八九十]+(?:课时|学时|节|学分|门)"
)


def numbers(text: str) -> list[str]:
    """The numbers, targets and deadlines a text states, as written, in reading order."""
    found = [match.group(0) for match in _NUMBER.finditer(text.translate(_DIGITS))]
    return list(dict.fromkeys(found))


def added_numbers(text: str, basis_text: str) -> list[str]:
    """Numbers of ``text`` whose value and unit the basis text does not state."""
    stated = {_core(n) for n in numbers(basis_text)}
    return [n for n in numbers(text) if _core(n) not in stated]


def _core(number: str) -> str:
    """2020年 of 到2020年底前, 2课时 of 每周2课时: what two phrasings of one target share."""
    match = _CORE.search(number)
    return match.group(0) if match else number


def added_units(units: list[str], basis_units: list[str]) -> list[str]:
    """Units named for the item (its responsibility note) that its basis item does not name."""
    return [unit for unit in units if unit not in basis_units]


def dropped(basis: Outline, aligned: list[Aligned]) -> list[int]:
    """Basis items no item carries out, as main or merged item: a basis heading some of whose
    items are carried out is carried out through them; a carried-out heading does not carry
    its items with it (大连 takes up 辽宁's 三、 but not its （九）)."""
    referenced = {a.basis for a in aligned if a.basis is not None}
    referenced.update(s for a in aligned for s in a.secondary)
    reached = set(referenced)
    for position in referenced:
        reached.update(basis.ancestors(position))
    return [item.position for item in basis.items if item.position not in reached]

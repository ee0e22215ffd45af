"""Responsibility notes: （牵头领导：X；责任单位：A、B、C） and the forms real documents use.

Labels: 牵头领导, 牵头单位, 牵头部门, 责任单位, 责任部门, 配合单位, 配合部门 (and 责任领导, 协办单位).
A note sits in brackets at the end of a paragraph, or on a line of its own after it
(``牵头部门：市教育局　　配合部门：市财政局、人社局``). Unit names may hold brackets themselves
(市〔州〕人民政府, 各县（市、区）政府) and 、 (各市、州、县人民政府).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.documents import Responsibility
from indexer.ingest.units import clean_unit_name

_ROLE_OF_LABEL = {
    "牵头领导": "leads",
    "责任领导": "leads",
    "分管领导": "leads",
    "牵头单位": "lead_units",
    "牵头部门": "lead_units",
    "责任单位": "units",
    "责任部门": "units",
    "配合单位": "cooperating_units",
    "配合部门": "cooperating_units",
    "协办单位": "cooperating_units",
}
_LABEL = "|".join(_ROLE_OF_LABEL)
_LABEL_RE = re.compile(rf"({_LABEL})\s*[:：]")
_NOTE_START_RE = re.compile(rf"[（(〔\[【［]\s*(?:{_LABEL})\s*[:：]")
_LINE_NOTE_RE = re.compile(rf"^[\s　]*(?:{_LABEL})\s*[:：]")

_OPENERS = "（(〔[【［"
_CLOSERS = "）)〕]】］"

# A fragment between 、 that does not end like a unit continues into the next one:
# 各市、州、县人民政府 is one unit, 省教育厅、省文化厅 are two.
_UNIT_ENDING = re.compile(
    r"(厅|局|委|办|院|会|室|科|中心|政府|部|处|所|站|团|馆|联|社|台|校|学校|部门|单位|机构|组|队|司|公司|集团|党委|小组|协会|基地|医院|大学|学院|法院|检察院)$"
)
# Abbreviations inherit their neighbour's level: 市财政局、人社局 means 市人社局.
_LEVEL_PREFIX = re.compile(r"^(省|市|州|县|区)")
_HAS_PLACE = re.compile(r"省|市|州|县|区|各|团|国家|中央")


@dataclass(frozen=True)
class FoundNote:
    start: int
    end: int
    responsibility: Responsibility


def _closing_index(text: str, start: int) -> int:
    """Index just past the bracket that closes the one at ``start``, nested brackets allowed."""
    depth = 0
    for index in range(start, len(text)):
        char = text[index]
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth -= 1
            if depth == 0:
                return index + 1
        elif char == "\n":
            break
    return -1


def find_inline_notes(text: str) -> list[FoundNote]:
    """Bracketed notes inside a paragraph, with their spans."""
    notes = []
    for match in _NOTE_START_RE.finditer(text):
        end = _closing_index(text, match.start())
        if end < 0:
            continue
        body = text[match.start() + 1 : end - 1]
        notes.append(FoundNote(match.start(), end, parse_note(body, raw=text[match.start() : end])))
    return notes


def is_note_line(line: str) -> bool:
    """True for a line that is only a note: ``牵头部门：市教育局　　配合部门：…``."""
    return bool(_LINE_NOTE_RE.match(line))


def parse_note(body: str, raw: str | None = None) -> Responsibility:
    """Parse the inside of a note: labelled lists of people and units."""
    result = Responsibility(raw=(raw if raw is not None else body).strip())
    labels = list(_LABEL_RE.finditer(body))
    for index, label in enumerate(labels):
        value_end = labels[index + 1].start() if index + 1 < len(labels) else len(body)
        value = body[label.end() : value_end]
        role = _ROLE_OF_LABEL[label.group(1)]
        names = split_people(value) if role == "leads" else split_units(value)
        bucket: list[str] = getattr(result, role)
        bucket.extend(n for n in names if n not in bucket)
    return result


def _split_top_level(value: str, separators: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in value:
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth = max(0, depth - 1)
        if depth == 0 and char in separators:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip(" \t　") for p in parts if p.strip(" \t　")]


def split_people(value: str) -> list[str]:
    return [
        clean_unit_name(p) for p in _split_top_level(value, "、，,；;/ 　") if clean_unit_name(p)
    ]


def split_units(value: str) -> list[str]:
    """Unit names of a list, keeping multi-part names such as 各市、州、县人民政府 whole."""
    units: list[str] = []
    for group in _split_top_level(value, "，,；;　"):
        pending = ""
        for fragment in _split_top_level(group, "、"):
            pending = f"{pending}、{fragment}" if pending else fragment
            if _UNIT_ENDING.search(clean_unit_name(pending)):
                units.append(pending)
                pending = ""
        if pending:
            units.append(pending)
    cleaned = [clean_unit_name(u) for u in units]
    return _inherit_level_prefix([u for u in cleaned if u])


def _inherit_level_prefix(names: list[str]) -> list[str]:
    result: list[str] = []
    for name in names:
        previous = _LEVEL_PREFIX.match(result[-1]) if result else None
        if (
            previous
            and not name.startswith("局")
            and not _HAS_PLACE.search(name)
            and _UNIT_ENDING.search(name)
        ):
            name = previous.group(1) + name
        result.append(name)
    return result

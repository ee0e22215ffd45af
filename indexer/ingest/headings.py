"""Recognise 公文 heading markers: 第一章 / 第一节 / 一、 / （一） / 第一条 / 1. / （1） / ①."""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.ingest.numerals import FULLWIDTH_DIGITS, parse_chinese_number

_CN = "一二三四五六七八九十百零〇"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
# (rank, pattern, how the number is written). Rank orders the hierarchy: a heading closes every
# open heading of the same or a deeper rank.
_SCHEMES: list[tuple[int, re.Pattern[str], str]] = [
    (10, re.compile(rf"^第([{_CN}]+)章[\s　]*"), "cn"),
    (20, re.compile(rf"^第([{_CN}]+)节[\s　]*"), "cn"),
    (30, re.compile(rf"^([{_CN}]+)[\s　]*[、.．][\s　]*"), "cn"),
    (40, re.compile(rf"^[（(][\s　]*([{_CN}]+)[\s　]*[）)][\s　]*[、.．]?[\s　]*"), "cn"),
    # "第三条规定的…" continues a sentence about an article; it does not start one.
    (45, re.compile(rf"^第([{_CN}]+)条(?![的规所中内])[\s　]*"), "cn"),
    # Any number of digits: a list of answers or measures runs past 99. A number that long, or one
    # glued to the next digit ("20．2021版…", but also "3.5亿元…"), is a heading only where the
    # sequence expects it (see Heading.needs_sequence).
    (50, re.compile(r"^([0-9０-９]{1,4})[\s　]*[.．、][\s　]*"), "digit"),
    (60, re.compile(r"^[（(][\s　]*([0-9０-９]{1,4})[\s　]*[）)][\s　]*"), "digit"),
    (70, re.compile(rf"^([{_CIRCLED}])[\s　]*"), "circled"),
]
# Export damage: "1坚持育人为本" lost its dot. Measure words after a number mean a quantity instead.
# Some exports put a private-use glyph where the dot was ("1\ue010坚持").
_DAMAGED = re.compile(
    r"^([0-9]{1,2})[\ue000-\uf8ff]?(?=[\u4e00-\u9fff])(?![年月日号个项所名次届万亿元倍小分秒周天岁人家批门类条种期轮场级])"
)


@dataclass(frozen=True)
class Heading:
    rank: int
    number: int
    marker: str  # canonical marker: 一、 / （一） / 1. / （1） / 第一条 …
    rest: str  # text after the marker
    damaged: bool = False  # "1坚持…": the dot lost in export
    glued: bool = False  # a digit right after the marker: "20．2021版…" or "3.5亿元…"

    @property
    def needs_sequence(self) -> bool:
        """Whether the marker may as well be the start of a sentence (a quantity, a year, a
        decimal): then it is a heading only as the first item or the one after the last."""
        return self.damaged or self.glued or self.number > 99


# How each rank's marker is written in paths and citations, whatever the document's brackets.
_MARKER_FORMAT = {
    10: "第{}章",
    20: "第{}节",
    30: "{}、",
    40: "（{}）",
    45: "第{}条",
    50: "{}.",
    60: "（{}）",
}


def _canonical_marker(rank: int, raw_number: str) -> str:
    return _MARKER_FORMAT.get(rank, "{}").format(raw_number)


def match_heading(text: str) -> Heading | None:
    """The heading marker at the start of ``text`` (already stripped of indentation), if any."""
    for rank, pattern, numbering in _SCHEMES:
        match = pattern.match(text)
        if not match:
            continue
        raw = match.group(1)
        rest = text[match.end() :]
        if not rest.strip() and rank >= 50:
            return None  # a bare "1." line is a list artefact, not a heading
        if numbering == "cn":
            number = parse_chinese_number(raw)
        elif numbering == "digit":
            raw = raw.translate(FULLWIDTH_DIGITS)
            number = int(raw)
        else:
            number = _CIRCLED.index(raw) + 1
        glued = numbering == "digit" and rest[:1].translate(FULLWIDTH_DIGITS).isdigit()
        return Heading(rank, number, _canonical_marker(rank, raw), rest, glued=glued)
    damaged = _DAMAGED.match(text)
    if damaged:
        return Heading(
            50, int(damaged.group(1)), f"{damaged.group(1)}.", text[damaged.end() :], True
        )
    return None


_SENTENCE_END = re.compile(r"[。！？；;]")


def lead_sentence(text: str, limit: int = 60) -> str:
    """The clause's title: its first sentence, cut at ``limit`` characters."""
    stripped = text.strip(" \t　")
    match = _SENTENCE_END.search(stripped)
    sentence = stripped[: match.start()] if match else stripped
    return sentence if len(sentence) <= limit else sentence[:limit] + "…"

"""文号 (document numbers) and citations: parse, normalise, find in text.

A 文号 is 机关代字 + 〔年份〕 + 序号 + 号, e.g. 咸市教〔2021〕14号. People type the year
brackets as 〔〕, [], 【】, (), （）, ［］, sometimes with 第, spaces or full-width digits;
all of them normalise to the canonical 〔〕 form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.ingest.numerals import FULLWIDTH_DIGITS

_OPEN = "〔\\[【(（［{｛〈"
_CLOSE = "〕\\]】)）］}｝〉"
_DIGIT = "0-9０-９"

# The agency code is Chinese (occasionally with a Latin letter, e.g. 国办发明电): up to 10 chars.
DOC_NUMBER_RE = re.compile(
    rf"(?P<agency>[\u4e00-\u9fffA-Za-z]{{1,10}}?)\s*"
    rf"[{_OPEN}]\s*(?P<year>(?:19|20|１９|２０)[{_DIGIT}\s]{{2,3}}?)\s*[{_CLOSE}]\s*"
    rf"第?\s*(?P<serial>[{_DIGIT}]{{1,4}})\s*号"
)

# Words that run into an agency code in prose ("根据国办发〔2015〕71号") but never belong to one.
_LEADING_FILLER = re.compile(
    r"^.*(?:根据|按照|依据|依照|贯彻|落实|执行|参照|转发|印发|关于|文件|通知|意见|的|了|和|与|及|或|见|是|查|请|问)"
)


@dataclass(frozen=True)
class DocNumber:
    agency: str  # 机关代字, e.g. 咸市教
    year: int
    serial: int

    def __str__(self) -> str:
        return f"{self.agency}〔{self.year}〕{self.serial}号"

    @property
    def canonical(self) -> str:
        return str(self)


@dataclass(frozen=True)
class FoundDocNumber:
    number: DocNumber
    start: int
    end: int


def _clean_agency(agency: str) -> str:
    trimmed = _LEADING_FILLER.sub("", agency)
    return trimmed or agency


def _from_match(match: re.Match[str]) -> DocNumber | None:
    year_text = re.sub(r"\s", "", match["year"]).translate(FULLWIDTH_DIGITS)
    if len(year_text) != 4:
        return None
    agency = _clean_agency(match["agency"])
    serial = int(match["serial"].translate(FULLWIDTH_DIGITS))
    return DocNumber(agency=agency, year=int(year_text), serial=serial)


def parse_doc_number(text: str) -> DocNumber | None:
    """The first 文号 in ``text`` (any bracket form), or None."""
    found = find_doc_numbers(text)
    return found[0].number if found else None


def normalise_doc_number(text: str) -> str | None:
    """Canonical 〔〕 form of the first 文号 in ``text``: 咸市教[2021]14号 → 咸市教〔2021〕14号."""
    number = parse_doc_number(text)
    return number.canonical if number else None


def find_doc_numbers(text: str) -> list[FoundDocNumber]:
    """Every 文号 in ``text``, in order, with offsets of the whole match."""
    found = []
    for match in DOC_NUMBER_RE.finditer(text):
        number = _from_match(match)
        if number is None:
            continue
        start = match.start() + len(match["agency"]) - len(number.agency)
        found.append(FoundDocNumber(number, start, match.end()))
    return found


# 《title》 optionally followed by its 文号 in brackets. Titles may hold brackets themselves,
# e.g. 《湖北省中长期教育改革和发展规划纲要（2011-2020年）》.
_CITATION_RE = re.compile(
    r"《(?P<title>[^《》\n]{2,120})》(?P<after>\s*[（(〔\[【［][^（）()\n]{0,40}[）)〕\]】］])?"
)

# A title names a document when it ends like one; 《中国教育报》 or 《义务教育法》 chapters are kept out.
_DOCUMENT_TITLE_END = re.compile(
    r"(意见|通知|方案|办法|规定|纲要|决定|规划|条例|计划|细则|标准|指南|要点|函|复函|批复|报告|公告|通报|决议|备忘录|意见（试行）|办法（试行）|方案（试行）)"
    r"(（[^（）]*）)?$"
)


@dataclass(frozen=True)
class FoundCitation:
    title: str
    doc_number: DocNumber | None
    start: int
    end: int


def find_citations(text: str) -> list[FoundCitation]:
    """Every citation 《title》（文号） in ``text``; also 《title》 alone when it names a document."""
    citations = []
    for match in _CITATION_RE.finditer(text):
        title = match["title"].strip()
        number = None
        if match["after"]:
            number = parse_doc_number(match["after"])
        if number is None and not _DOCUMENT_TITLE_END.search(title):
            continue
        citations.append(FoundCitation(title, number, match.start(), match.end()))
    return citations

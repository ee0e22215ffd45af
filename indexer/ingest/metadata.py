"""Document facts: header fields, title, 文号, addressees (主送机关), signature, level.

Header layouts seen in the wild:
- ``索引号 : … 文 号 : …`` lines, several fields to a line (the Xianning disclosure page);
- table rows ``索 引 号 | … | 发文日期 | …`` (HTML and DOCX exports);
- the Ministry's ``信息名称 / 信息索引 / 生成日期 / 发文机构 / 发文字号 / 信息类别 / 内容概述``;
- no header at all: the title, then the （文号） line under it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.ingest.docnum import DOC_NUMBER_RE, normalise_doc_number
from indexer.ingest.headings import match_heading
from indexer.ingest.numerals import parse_chinese_number

# Header label → Document attribute. Labels may be spaced out (文 号, 索 引 号).
_FIELD_OF_LABEL = {
    "索引号": "index_no",
    "信息索引": "index_no",
    "文号": "doc_number",
    "发文字号": "doc_number",
    "主题分类": "subject",
    "信息类别": "subject",
    "发文单位": "issuer",
    "发布机构": "issuer",
    "发文机构": "issuer",
    "发文机关": "issuer",
    "名称": "title",
    "信息名称": "title",
    "标题": "title",
    "发布日期": "published_date",
    "生成日期": "published_date",
    "发文日期": "issue_date",
    "成文日期": "issue_date",
    "有效性": "validity",
    "效力状态": "validity",
    "发布机关": "issuer",
    "发布单位": "issuer",
    "发文号": "doc_number",
    "印发日期": "issue_date",
    "时效性": "validity",
}
# Labels that disclosure sites print but that no Document attribute takes: kept in ``fields``.
_OTHER_LABELS = (
    "内容概述", "内容摘要", "主题词", "关键词", "体裁分类", "组配分类", "服务对象", "信息来源",
    "公开日期", "实施日期", "废止日期", "有效期", "公开方式", "公开范围", "公开形式", "公开时限",
    "统一编号", "登记号",
)  # fmt: skip
_FIELD_OF_LABEL.update(dict.fromkeys(_OTHER_LABELS))
_DATE_FIELDS = {"published_date", "issue_date"}


def _spaced(label: str) -> str:
    return r"\s*".join(map(re.escape, label))


# Longer labels first so 信息名称 wins over 名称.
_LABELS = sorted(_FIELD_OF_LABEL, key=len, reverse=True)
_LABEL_ALT = "|".join(_spaced(label) for label in _LABELS)
_LABEL_RE = re.compile(rf"(?P<label>{_LABEL_ALT})\s*[:：]")
_LINE_FIELD_RE = re.compile(rf"^[\s　]*(?:{_LABEL_ALT})\s*[:：]")
_CELL_LABEL_RE = re.compile(rf"^(?:{_LABEL_ALT})[:：]?$")

_DATE_RE = re.compile(
    r"(?P<y>\d{4}|[〇零○Ｏ一二三四五六七八九]{4})\s*年\s*(?P<m>\d{1,2}|[一二三四五六七八九十]{1,2})\s*月"
    r"\s*(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})\s*日"
)
_ISO_DATE_RE = re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})")
# A date alone on its line: the signature's, or (2021年9月3日印发) under a title.
_SIGNATURE_DATE_LINE = re.compile(
    rf"^[\s　]*[（(]?{_DATE_RE.pattern}\s*(印发|发布|公布|起施行)?[）)]?[\s　]*$"
)
_ORG_ENDING = re.compile(
    r"(局|厅|部|政府|办公室|办公厅|委员会|委|院|中心|办|会|室|处|联)(（[^）]*）)?$"
)
# The 文号 line under a title, sometimes with a year or a date after it: （泉政办〔2017〕106号 2017年）
_DOC_NUMBER_LINE = re.compile(
    rf"^[\s　]*[（(]?\s*{DOC_NUMBER_RE.pattern}[^。，,]{{0,16}}[）)]?[\s　]*$"
)


def parse_date(text: str) -> str | None:
    """ISO form of the first date in ``text``: 2021年9月3日, 二〇二一年九月三日 or 2022-09-03."""
    match = _DATE_RE.search(text) or _ISO_DATE_RE.search(text)
    if not match:
        return None
    try:
        year, month, day = (parse_chinese_number(match[k]) for k in ("y", "m", "d"))
    except (KeyError, ValueError):
        return None
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def is_header_line(line: str) -> bool:
    return bool(_LINE_FIELD_RE.match(line)) or _table_row_fields(line) != {}


def starts_with_header_field(line: str) -> bool:
    """``信息名称：…`` / ``索 引 号 : …``: a line that opens with a header label."""
    return bool(_LINE_FIELD_RE.match(line))


def header_field_starts(line: str) -> list[int]:
    """Offsets where header fields begin in a line holding several (``信息索引： X生成日期： Y``)."""
    return [match.start() for match in _LABEL_RE.finditer(line)]


def is_doc_number_line(line: str) -> bool:
    """A line that is only a 文号 (in brackets or not): the one under a title."""
    return bool(_DOC_NUMBER_LINE.match(line))


def is_date_line(line: str) -> bool:
    return bool(_SIGNATURE_DATE_LINE.match(line))


def _canonical_label(raw: str) -> str:
    return re.sub(r"\s", "", raw)


def _line_fields(line: str) -> dict[str, str]:
    matches = list(_LABEL_RE.finditer(line))
    fields = {}
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(line)
        fields[_canonical_label(match["label"])] = line[match.end() : end].strip(" \t　")
    return fields


def _table_row_fields(line: str) -> dict[str, str]:
    if "|" not in line:
        return {}
    cells = [c.strip(" \t　") for c in line.split("|")]
    fields = {}
    for index, cell in enumerate(cells[:-1]):
        compact = _canonical_label(cell)
        if _CELL_LABEL_RE.match(compact):
            fields[compact.rstrip(":：")] = cells[index + 1]
    return fields


@dataclass
class Header:
    """What the top and the signature of a document say about it."""

    fields: dict[str, str] = field(default_factory=dict)  # label → value, as found
    title: str | None = None
    doc_number: str | None = None
    addressees: str | None = None
    signer: str | None = None
    signed_date: str | None = None
    metadata_lines: set[int] = field(default_factory=set)  # lines that are not body text
    attachment_titles: set[int] = field(default_factory=set)  # a plan's own title inside the body

    def label_of(self, attribute: str) -> str | None:
        """The header label a Document attribute was read from (发文单位, 发文字号 …)."""
        return next(
            (
                label
                for label, value in self.fields.items()
                if _FIELD_OF_LABEL.get(label) == attribute and value
            ),
            None,
        )

    def value(self, attribute: str) -> str | None:
        """The header value for a Document attribute (first label that maps to it)."""
        for label, value in self.fields.items():
            if _FIELD_OF_LABEL.get(label) == attribute and value:
                if attribute in _DATE_FIELDS:
                    return parse_date(value) or value
                if attribute == "doc_number":
                    return normalise_doc_number(value) or value
                return value
        return None


def _looks_like_title(line: str) -> bool:
    text = line.strip(" \t　")
    return (
        2 <= len(text) <= 120
        and "。" not in text
        and not text.endswith(("：", ":", "；", "，", "？", "?"))
        and not _SIGNATURE_DATE_LINE.match(text)
        and match_heading(text) is None
    )


def _looks_like_addressees(line: str) -> bool:
    text = line.strip(" \t　")
    return len(text) <= 160 and text.endswith(("：", ":")) and "。" not in text


def read_header(lines: list[str]) -> Header:
    """Find the header fields, title, 文号, addressees and signatures among ``lines``."""
    header = Header()
    first_body = None
    title_lines: list[int] = []
    for index, line in enumerate(lines):
        text = line.strip(" \t　")
        if not text:
            continue
        fields = _line_fields(line) if _LINE_FIELD_RE.match(line) else _table_row_fields(line)
        if fields:
            header.fields.update({k: v for k, v in fields.items() if k not in header.fields})
            header.metadata_lines.add(index)
            continue
        if first_body is not None:
            break
        if _DOC_NUMBER_LINE.match(line):
            header.doc_number = header.doc_number or normalise_doc_number(text)
            header.metadata_lines.add(index)
        elif _looks_like_addressees(line):
            header.addressees = text.rstrip("：:")
            header.metadata_lines.add(index)
            first_body = index
        elif _looks_like_title(line) and (not title_lines or index - title_lines[-1] <= 2):
            title_lines.append(index)
        else:
            first_body = index
    _take_title(header, lines, title_lines)
    _find_signatures(header, lines)
    if header.doc_number is None:
        header.doc_number = header.value("doc_number")
    return header


def _take_title(header: Header, lines: list[str], title_lines: list[int]) -> None:
    """Title lines at the top; exports often repeat the title, or wrap it over two lines."""
    texts: list[str] = []
    for index in title_lines:
        text = lines[index].strip(" \t　")
        header.metadata_lines.add(index)
        if texts and (text == texts[-1] or texts[-1].startswith(text)):
            continue
        if texts and text.startswith(texts[-1]):
            texts[-1] = text
        else:
            texts.append(text)
    if texts:
        header.title = "".join(texts).strip("《》")


def _find_signatures(header: Header, lines: list[str]) -> None:
    """Signature blocks: an issuing body's name above a date line (咸宁市教育局 / 2021年9月3日)."""
    for index, line in enumerate(lines):
        if not _SIGNATURE_DATE_LINE.match(line):
            continue
        header.metadata_lines.add(index)
        previous = index - 1
        while previous >= 0 and not lines[previous].strip(" \t　"):
            previous -= 1
        signer = lines[previous].strip(" \t　") if previous >= 0 else ""
        is_signer = 0 < len(signer) <= 40 and _ORG_ENDING.search(signer) and "。" not in signer
        if is_signer:
            header.metadata_lines.add(previous)
        if header.signed_date is None:
            header.signed_date = parse_date(line)
            header.signer = signer if is_signer else None
            # A notice that forwards a plan signs before the plan: its title follows the date.
            following = next((i for i in range(index + 1, len(lines)) if lines[i].strip()), None)
            if (
                following is not None
                and _looks_like_title(lines[following])
                and not _DOC_NUMBER_LINE.match(lines[following])
            ):
                header.attachment_titles.add(following)


_ISSUER_FROM_TITLE = re.compile(r"^(?P<issuer>.+?)(关于|印发|转发)")
_NATIONAL = re.compile(r"^(中共中央|国务院|中央|教育部|国家|全国|中华人民共和国)")
_MUNICIPALITY = re.compile(r"^(北京市|天津市|上海市|重庆市)")
_DISTRICT = re.compile(
    r"^(?P<place>(?:北京市|天津市|上海市|重庆市|.{1,7}?[市州盟])[^市州盟省]{1,6}?[区县旗])"
)
_PROVINCE = re.compile(r"^(?P<place>.{0,12}?(?:省|自治区|新疆生产建设兵团))")
_CITY = re.compile(r"^(?P<place>.{1,8}?市|.{1,8}?[州盟])")


def issuer_from_title(title: str) -> str | None:
    match = _ISSUER_FROM_TITLE.match(title)
    return match["issuer"].rstrip("、 ") if match else None


def place_and_level(issuer: str | None) -> tuple[str | None, str | None]:
    """(jurisdiction, level) of an issuing body: 青岛市人民政府办公厅 → (青岛市, 市级)."""
    if not issuer:
        return None, None
    name = re.sub(r"^(中共|省委)", "", issuer) if not issuer.startswith("中共中央") else issuer
    if _NATIONAL.match(issuer):
        return "全国", "国家级"
    if (district := _DISTRICT.match(name)) and "人民政府" not in district["place"]:
        return district["place"], "县级"
    if municipality := _MUNICIPALITY.match(name):
        return municipality.group(1), "省级"
    if province := _PROVINCE.match(name):
        return province["place"], "省级"
    if city := _CITY.match(name):
        return city["place"], "市级"
    if name.startswith(("省", "自治区")):
        return None, "省级"
    return None, None

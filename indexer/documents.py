"""Plain data that flows through the pipeline: load → segment → store → index → search → answer."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Source:
    """One file as loaded: its text (normalised to LF, no BOM) and where it came from."""

    path: str
    kind: str  # txt / pdf / docx / html / catalogue
    text: str
    content_hash: str
    encoding: str = "utf-8"


@dataclass
class Responsibility:
    """A responsibility note: （牵头领导：X；责任单位：A、B）and its variants."""

    leads: list[str] = field(default_factory=list)  # 牵头领导 (people)
    lead_units: list[str] = field(default_factory=list)  # 牵头单位 / 牵头部门
    units: list[str] = field(default_factory=list)  # 责任单位 / 责任部门
    cooperating_units: list[str] = field(default_factory=list)  # 配合单位 / 配合部门
    raw: str = ""

    def all_units(self) -> list[str]:
        seen: dict[str, None] = {}
        for name in self.lead_units + self.units + self.cooperating_units:
            seen.setdefault(name, None)
        return list(seen)

    def merge(self, other: Responsibility) -> None:
        for mine, theirs in (
            (self.leads, other.leads),
            (self.lead_units, other.lead_units),
            (self.units, other.units),
            (self.cooperating_units, other.cooperating_units),
        ):
            mine.extend(x for x in theirs if x not in mine)
        self.raw = "\n".join(r for r in (self.raw, other.raw) if r)


@dataclass
class Clause:
    """A unit of text between headings: a heading with its body, or a paragraph."""

    clause_id: str
    doc_number: str
    ordinal: int  # position in the document
    level: (
        int  # 0 preamble/body, 1 一、, 2 （一）, 3 1., 4 （1）, 5 paragraph under a numbered item
    )
    marker: str  # 一、 / （一） / 1. / 第一条 / "" for plain paragraphs
    path: list[str]  # headings from the top, ending with this clause's own heading
    title: str  # lead sentence
    text: str  # display text, without the responsibility note
    start: int  # offsets into the source text
    end: int
    kind: str = "body"  # preamble / heading / item / paragraph / principle / signature
    task_no: int | None = None
    responsibility: Responsibility | None = None
    parent_id: str | None = None


@dataclass
class Citation:
    """A citing clause → a cited document (by canonical 文号, or by title when it has none)."""

    clause_id: str | None
    doc_number: str | None
    title: str | None
    basis: bool = False  # named in the opening paragraph as what the document carries out


# The facts a Document carries besides its text, in the order the store keeps them.
DOCUMENT_FACTS = (
    "doc_number", "title", "issuer", "level", "jurisdiction", "addressees", "signed_date",
    "issue_date", "published_date", "index_no", "subject", "validity",
)  # fmt: skip


@dataclass
class Document:
    doc_number: str | None  # canonical 文号, e.g. 咸市教〔2021〕14号
    title: str
    issuer: str | None = None
    level: str | None = None  # 国家级 / 省级 / 市级 / 县级
    jurisdiction: str | None = (
        None  # e.g. 咸宁市, 湖北省, the place whose bodies the units belong to
    )
    addressees: str | None = None  # 主送机关
    signed_date: str | None = None  # ISO date from the signature block
    issue_date: str | None = None  # 发文日期 from the header
    published_date: str | None = None
    index_no: str | None = None  # 索引号
    subject: str | None = None  # 主题分类
    validity: str | None = None  # 有效性
    fields: dict[str, str] = field(default_factory=dict)  # every header field as found
    read_from: dict[str, str] = field(default_factory=dict)  # fact → where it was read
    conflicts: list[str] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    clauses: list[Clause] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    doc_id: str = ""  # stable key: the 文号, or a hash of the title when there is none

    @property
    def has_text(self) -> bool:
        return bool(self.clauses)

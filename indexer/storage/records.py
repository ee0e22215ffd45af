"""What reads of the store return: a document's facts, a clause with its people."""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer.documents import DOCUMENT_FACTS

DOCUMENT_COLUMNS = DOCUMENT_FACTS
CLAUSE_COLUMNS = (
    "clause_id", "doc_id", "doc_number", "doc_title", "ordinal", "level", "kind", "marker", "title",
    "text", "start", "end", "task_no", "parent_id", "note",
)  # fmt: skip


@dataclass
class DocumentRecord:
    doc_id: str
    doc_number: str | None
    title: str
    issuer: str | None
    level: str | None
    jurisdiction: str | None
    addressees: str | None
    signed_date: str | None
    issue_date: str | None
    published_date: str | None
    index_no: str | None
    subject: str | None
    validity: str | None
    fields: dict[str, str]
    conflicts: list[str]
    origin: str
    sources: list[str] = field(default_factory=list)
    version_of: str | None = None  # a version: the document whose 文号 it shares, not its text
    read_from: dict[str, str] = field(default_factory=dict)  # fact → where it was read

    @property
    def in_corpus(self) -> bool:
        return self.origin == "text"

    @property
    def label(self) -> str:
        """How a document is named in answers: its 文号, else its title."""
        return self.doc_number or self.title


@dataclass
class BasisRecord:
    """A document a document carries out, as its opening paragraph names it."""

    doc_number: str | None
    title: str
    in_corpus: bool  # its text is here (else its facts come from a catalogue or the citation)
    clause_id: str | None  # the citing document's clause that names it
    doc_id: str | None  # the document it resolved to
    level: str | None = None  # 国家级 / 省级 / 市级 / 县级, when known


@dataclass
class ClauseRecord:
    clause_id: str
    doc_id: str
    doc_number: str | None
    doc_title: str
    ordinal: int
    level: int
    kind: str
    marker: str
    path: list[str]
    title: str
    text: str
    start: int
    end: int
    task_no: int | None
    parent_id: str | None
    note: str | None
    leads: list[str] = field(default_factory=list)
    units: list[str] = field(
        default_factory=list
    )  # canonical names: lead units, then responsible, then cooperating
    unit_roles: dict[str, str] = field(default_factory=dict)
    unit_kinds: dict[str, str] = field(default_factory=dict)  # the registry's kind, "" if unknown

    @property
    def is_task(self) -> bool:
        return bool(self.leads or self.units)

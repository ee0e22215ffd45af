"""Understanding a question: which kind of answer it wants, and what it names.

- a 文号 in any bracket form (or a 《title》) → docnum
- an official (牵头领导) of the store → leader
- a unit of the registry or of a document, asked what it does → unit
- 谁 / 哪个部门 / 责任单位 / 牵头 … → who
- anything else → search
- lineage / implementations: which higher item a task carries out, how lower documents carry an
  item out (answering/lineage.py); asked before the rest, since they name 文号 too
Places and issuers named in the question (湖北省, 大连, 教育部) narrow the documents searched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.answering.lineage import lineage_intent
from indexer.ingest.docnum import find_doc_numbers
from indexer.ingest.units import unit_key
from indexer.storage.store import Store

_WHO = re.compile(
    r"谁|哪个领导|哪位领导|哪位|分管的|哪个部门|哪些部门|哪个科室|哪个单位|哪些单位|哪家|什么部门|什么单位|责任单位|责任部门|牵头|负责部门|负责单位|找哪|归哪|由哪"
)
_DUTIES = re.compile(
    r"哪些|职责|任务|工作|负责什么|分管|管什么|干什么|做什么|有什么|参与|事项|清单|管哪|干啥|做啥|管啥|负责啥"
)
# 《 excluded inside: with it, a run of 《 would be rescanned from each one (quadratic).
_TITLE = re.compile(r"《([^《》]{4,})》")
_PLACE_SUFFIX = re.compile(r"(省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|州|区|县)$")


@dataclass
class Intent:
    kind: str  # who / unit / leader / docnum / search / lineage / implementations
    unit: str | None = None  # the unit as named in the question
    leader: str | None = None
    doc_text: str | None = None  # the 文号 or title as typed
    place_doc_ids: set[str] | None = None  # documents of a place or issuer the question names
    places: list[str] = field(default_factory=list)


@dataclass
class Vocabulary:
    """Names the store knows, to spot in questions: units, officials, places and issuers."""

    unit_keys: list[str]
    leaders: list[str]
    places: dict[str, set[str]]  # place or issuer name → its documents

    @classmethod
    def from_store(cls, store: Store) -> Vocabulary:
        unit_keys = sorted(
            {alias for alias, _ in store.unit_names() if len(alias) >= 3}, key=len, reverse=True
        )
        places: dict[str, set[str]] = {}
        for document in store.documents():
            if not document.in_corpus:
                continue
            names = {document.jurisdiction, document.issuer}
            for name in list(names):
                if name and name != "全国":
                    short = _PLACE_SUFFIX.sub("", name)
                    if len(short) >= 2:
                        names.add(short)
            for name in names:
                if name and name != "全国" and len(name) >= 2:
                    places.setdefault(name, set()).add(document.doc_id)
        # Longest names first, so that 湖北省 is tried before 湖北.
        by_length = dict(sorted(places.items(), key=lambda item: -len(item[0])))
        return cls(unit_keys, sorted(store.leaders(), key=len, reverse=True), by_length)

    def find_unit(self, question: str) -> str | None:
        key = unit_key(question)
        return next((alias for alias in self.unit_keys if alias in key), None)

    def find_leader(self, question: str) -> str | None:
        return next((name for name in self.leaders if name in question), None)

    def find_places(self, question: str) -> tuple[list[str], set[str] | None]:
        # A name inside one already found (湖北 in 湖北省) adds nothing; self.places is longest first.
        found: list[str] = []
        for name in self.places:
            if name in question and not any(name in longer for longer in found):
                found.append(name)
        if not found:
            return [], None
        return found, set().union(*(self.places[name] for name in found))


def understand(question: str, vocabulary: Vocabulary) -> Intent:
    places, place_docs = vocabulary.find_places(question)
    lineage = lineage_intent(question)
    if lineage:
        return Intent(lineage, place_doc_ids=place_docs, places=places)
    numbers = find_doc_numbers(question)
    if numbers:
        typed = question[numbers[0].start : numbers[0].end]
        return Intent("docnum", doc_text=typed, places=places)
    title = _TITLE.search(question)
    if title:
        return Intent("docnum", doc_text=title.group(1), places=places)
    leader = vocabulary.find_leader(question)
    if leader:
        return Intent("leader", leader=leader, place_doc_ids=place_docs, places=places)
    unit = vocabulary.find_unit(question)
    if unit and _DUTIES.search(question):
        return Intent("unit", unit=unit, place_doc_ids=place_docs, places=places)
    if _WHO.search(question):
        return Intent("who", place_doc_ids=place_docs, places=places)
    return Intent("search", place_doc_ids=place_docs, places=places)

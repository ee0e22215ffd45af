"""Names the store knows, to spot in questions: units, officials, places, issuers and documents.

Places come from the registry of divisions (ingest/places.py), so a question naming 湖北 reaches
the documents of every place in 湖北省, 咸宁's among them. Issuers are matched by name and by the
short forms staff use for the national offices (国办 for 国务院办公厅, 中办 for 中共中央办公厅).
Units are matched by name or alias, and else by a part of their name (后勤工作办公室 for
市中小学后勤工作办公室) or an abbreviation whose characters they hold in order (基教科 for
基础教育科).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.ingest.metadata import place_and_level
from indexer.ingest.places import COUNTRY, Places, default_places
from indexer.ingest.units import unit_key
from indexer.storage.records import DocumentRecord
from indexer.storage.store import Store

# A unit as people write one: a few characters ending like a body.
_UNIT_PHRASE = re.compile(
    r"[\u4e00-\u9fff]{1,14}?(?:办公室|中心|研究院|考试院|集团|科|处|室|院|局|委|厅|办|站|所|馆|团|会)"
)
_OFFICE = re.compile(r"^(?P<body>.+?)办公厅$")
_MIN_PARTIAL = 3
_SHORT_NAME = 2  # 国办, 中办: names this short are often parts of other words


@dataclass(frozen=True)
class UnitName:
    unit_id: str
    name: str
    full_name: str
    jurisdiction: str
    kind: str
    in_registry: bool


@dataclass
class Vocabulary:
    """What the store names, indexed for spotting in a question."""

    unit_keys: list[str]  # aliases of 3+ characters, longest first
    units: list[UnitName]
    leaders: list[str]
    places: Places
    doc_place: dict[str, str | None]  # doc_id → place code
    documents: dict[str, DocumentRecord]  # documents with text, by doc_id
    issuers: dict[str, set[str]]  # an issuer's name or short form → its documents
    _relevant: set[str] = field(default_factory=set)  # places with documents, and their parents

    @classmethod
    def from_store(cls, store: Store) -> Vocabulary:
        places = default_places()
        unit_keys = sorted(
            {alias for alias, _ in store.unit_names() if len(alias) >= 3}, key=len, reverse=True
        )
        units = [
            UnitName(
                r["unit_id"],
                r["name"],
                r["full_name"],
                r["jurisdiction"],
                r["kind"],
                bool(r["in_registry"]),
            )
            for r in store.units()
        ]
        documents = {d.doc_id: d for d in store.documents() if d.in_corpus}
        doc_place = {doc_id: store_place(d, places) for doc_id, d in documents.items()}
        relevant = {code for code in doc_place.values() for code in places.ancestors(code)}
        issuers: dict[str, set[str]] = {}
        for doc_id, document in documents.items():
            for name in _issuer_names(document.issuer or ""):
                issuers.setdefault(name, set()).add(doc_id)
        vocabulary = cls(
            unit_keys,
            units,
            sorted(store.leaders(), key=len, reverse=True),
            places,
            doc_place,
            documents,
            dict(sorted(issuers.items(), key=lambda item: -len(item[0]))),
        )
        vocabulary._relevant = relevant
        return vocabulary

    # -- officials and units ------------------------------------------------------------------

    def find_leader(self, question: str) -> str | None:
        return next((name for name in self.leaders if name in question), None)

    def find_unit(self, question: str) -> str | None:
        """A unit named by one of its names or aliases."""
        key = unit_key(question)
        return next((alias for alias in self.unit_keys if alias in key), None)

    def find_units_by_part(self, question: str) -> list[UnitName]:
        """Units a question names by a part of their name or an abbreviation: the longest such
        phrase that matches any unit, its units in the registry first."""
        for match in sorted(_UNIT_PHRASE.finditer(question), key=lambda m: -len(m.group())):
            for start in range(match.start(), match.end() - _MIN_PARTIAL + 1):
                phrase = question[start : match.end()]
                found = [unit for unit in self.units if _names_part_of(phrase, unit)]
                if found:
                    return sorted(found, key=lambda unit: not unit.in_registry)
        return []

    # -- places and issuers --------------------------------------------------------------------

    def find_places(self, question: str) -> list[tuple[str, set[str]]]:
        """Places the question names that have documents, or hold places that do."""
        found = []
        for name, codes in self.places.in_text(question):
            kept = {code for code in codes if code in self._relevant}
            if kept:
                found.append((name, kept))
        return found

    def documents_in(self, codes: set[str]) -> set[str]:
        """Documents of these places and of every place within them."""
        return {
            doc_id
            for doc_id, place in self.doc_place.items()
            if any(self.places.within(place, code) for code in codes)
        }

    def find_issuers(self, question: str, words: list[str]) -> tuple[list[str], set[str]]:
        """Issuing bodies the question names (国务院办公厅, 国办, 教育部), and their documents.
        A short form must be a word of the question (``words``): 集中办学 names no 中办."""
        named: list[str] = []
        for name in self.issuers:
            if len(name) <= _SHORT_NAME and name not in words:
                continue
            if name in question and not any(name in longer for longer in named):
                named.append(name)
        return named, set().union(*(self.issuers[name] for name in named)) if named else set()

    def tier(self, doc_id: str, home_place: str | None) -> int:
        """How near a document is to home: 0 home's own place, 1 the places above it (its
        province, the country), 2 elsewhere; 0 for all when there is no home."""
        if home_place is None:
            return 0
        place = self.doc_place.get(doc_id)
        if place == home_place:
            return 0
        return 1 if place in self.places.ancestors(home_place) else 2


def store_place(document: DocumentRecord, places: Places) -> str | None:
    return places.resolve(document.jurisdiction) or (
        COUNTRY if document.level == "国家级" else None
    )


def home_place(body: str | None) -> str | None:
    """The place of the home body: 咸宁市教育局 → 咸宁市."""
    return default_places().resolve(place_and_level(body)[0]) if body else None


def _issuer_names(issuer: str) -> set[str]:
    """An issuer's names: each body of a joint issue, and the short form of an office
    (国务院办公厅 → 国办, 中共中央办公厅 → 中办) for the national ones, which staff abbreviate."""
    names = set()
    for body in re.split(r"[、，,\s]+", issuer):
        if len(body) < 2:
            continue
        names.add(body)
        office = _OFFICE.match(body)
        if office and office["body"] in ("国务院", "中共中央"):
            names.add(office["body"][0] + "办")
            names.add(office["body"])
        if body.startswith("教育部"):
            names.add("教育部")
    return names


def _names_part_of(phrase: str, unit: UnitName) -> bool:
    """A phrase names a unit when its name holds the phrase whole (后勤工作办公室), or the phrase is
    an abbreviation: the name's characters in order, first and last kept (基教科, 职成科)."""
    for name in (unit.name, unit.full_name):
        if not name:
            continue
        if phrase in name:
            return True
        if (
            len(phrase) >= _MIN_PARTIAL
            and phrase[-1] == name[-1]
            and phrase[0] in name
            and _in_order(phrase, name)
        ):
            return True
    return False


def _in_order(short: str, long: str) -> bool:
    position = 0
    for char in short:
        position = long.find(char, position)
        if position < 0:
            return False
        position += 1
    return True

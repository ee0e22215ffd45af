"""A document's numbered items: what lineage aligns.

An item is a clause with a number (一、 / （一） / 1. / （1） / 第一条 …) together with the
unnumbered paragraphs below it, up to the next number: 国办发〔2015〕71号's （四） goes on in a
paragraph per school stage, and those paragraphs are what a province's 1.–6. carry out. Items
keep their place in the numbered tree (parent, children), since a heading item is aligned by
what its children carry out as much as by its own words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer.present.citations import path_markers
from indexer.storage.store import ClauseRecord, Store


@dataclass
class Item:
    clause: ClauseRecord
    position: int  # among the document's items, in reading order
    parent: int | None  # position of the item it is numbered under
    children: list[int] = field(default_factory=list)
    own_text: str = ""  # the clause and the unnumbered paragraphs under it
    passage_ids: list[int] = field(default_factory=list)  # of those clauses, for their vectors

    @property
    def clause_id(self) -> str:
        return self.clause.clause_id

    @property
    def path(self) -> list[str]:
        return self.clause.path

    @property
    def markers(self) -> str:
        """二、（四）1.: the item's numbers from the top, as people cite it."""
        return path_markers(self.clause.path)

    @property
    def title(self) -> str:
        return self.clause.title

    @property
    def body(self) -> str:
        """Its words without its number (二、 would otherwise be a word shared with every 二、)."""
        marker = self.clause.marker
        return self.own_text[len(marker) :] if self.own_text.startswith(marker) else self.own_text

    @property
    def is_heading(self) -> bool:
        """Numbered items below it (一、总体要求 over （一）（二）（三））."""
        return bool(self.children)


@dataclass
class Outline:
    """A document's items in reading order."""

    doc_id: str
    items: list[Item]

    def subtree(self, position: int) -> list[int]:
        """The item and every item numbered under it, in reading order."""
        found, stack = [], [position]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(reversed(self.items[current].children))
        return found

    def text_under(self, position: int) -> str:
        return "\n".join(self.items[p].own_text for p in self.subtree(position))

    def passages_under(self, position: int) -> list[int]:
        return [pid for p in self.subtree(position) for pid in self.items[p].passage_ids]

    def ancestors(self, position: int) -> list[int]:
        """The items above ``position``, nearest first."""
        found, parent = [], self.items[position].parent
        while parent is not None:
            found.append(parent)
            parent = self.items[parent].parent
        return found


def outline(store: Store, doc_id: str) -> Outline:
    """The numbered items of a document, each with the unnumbered paragraphs it owns."""
    clauses = store.clauses(doc_id)
    passages = store.passage_ids_of(doc_id)
    by_id = {clause.clause_id: clause for clause in clauses}
    items: list[Item] = []
    position_of: dict[str, int] = {}
    for clause in clauses:
        owner = _owner(clause, by_id, position_of)
        if clause.marker and clause.kind != "title":
            parent = owner
            item = Item(clause, len(items), parent)
            position_of[clause.clause_id] = item.position
            if parent is not None:
                items[parent].children.append(item.position)
            items.append(item)
            owner = item.position
        if owner is None:
            continue  # the opening paragraphs, the notice around a plan: no item's words
        target = items[owner]
        target.own_text = f"{target.own_text}\n{clause.text}" if target.own_text else clause.text
        target.passage_ids.extend(passages.get(clause.clause_id, []))
    return Outline(doc_id, items)


def _owner(
    clause: ClauseRecord, by_id: dict[str, ClauseRecord], position_of: dict[str, int]
) -> int | None:
    """The nearest numbered item above the clause."""
    parent = clause.parent_id
    while parent is not None:
        if parent in position_of:
            return position_of[parent]
        parent = by_id[parent].parent_id if parent in by_id else None
    return None

"""A document's lineage as the command line, the answers and the app give it: its chain, its
items aligned with its nearest basis, what each adds and what the document leaves out; and,
from a higher document's item, how every document below carries it out.

``Lineages`` works over one snapshot of the store and keeps what it has computed (outlines,
alignments), so a page or a batch of questions aligns each pair of documents once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer.lineage.align import Aligned, align
from indexer.lineage.chain import ChainNode, chain_down, chain_up, nearest_basis
from indexer.lineage.changes import added_numbers, added_units, dropped, numbers
from indexer.lineage.items import Item, Outline, outline
from indexer.lineage.similarity import PassageVectors, similarity
from indexer.storage.records import BasisRecord
from indexer.storage.store import DocumentRecord, Store


class LineageError(ValueError):
    """What cannot be aligned, in one line: an unknown document, a basis it does not name, a
    basis whose text is not here."""


@dataclass
class Row:
    """One item of the document with the basis item it carries out."""

    item: Item
    basis_item: Item | None  # None: a local addition
    secondary: list[Item]
    score: float
    numbers: list[str]  # numbers, targets and deadlines it adds
    units: list[str]  # units it names that its basis item does not

    @property
    def is_local(self) -> bool:
        return self.basis_item is None


@dataclass
class Alignment:
    """A document's items against one of its bases."""

    document: DocumentRecord
    basis: DocumentRecord
    rows: list[Row]
    dropped: list[Item]  # basis items nothing here carries out


@dataclass
class Report:
    document: DocumentRecord
    bases: list[BasisRecord]
    chain: list[DocumentRecord]  # the document, its nearest basis, … up to the top
    implemented_by: list[DocumentRecord]  # documents naming it as their basis
    nearest_below: set[str]  # of those, the ones whose nearest basis it is
    alignment: Alignment | None  # None: no basis with text here

    def to_dict(self) -> dict:
        """The JSON contract of ``python -m indexer lineage --json`` (README)."""
        aligned = self.alignment
        return {
            "document": _document_dict(self.document),
            "basis": [
                {
                    "doc_number": b.doc_number,
                    "title": b.title,
                    "in_corpus": b.in_corpus,
                    "clause_id": b.clause_id,
                    "aligned": aligned is not None and b.doc_id == aligned.basis.doc_id,
                }
                for b in self.bases
            ],
            "implemented_by": [
                _document_dict(d) | {"nearest": d.doc_id in self.nearest_below}
                for d in self.implemented_by
            ],
            "chain": [_document_dict(d) for d in self.chain],
            "aligned_with": _document_dict(aligned.basis) if aligned else None,
            "alignments": [_row_dict(row, aligned.basis) for row in aligned.rows]
            if aligned
            else [],
            "dropped": [_basis_ref(item) for item in aligned.dropped] if aligned else [],
        }


@dataclass
class Carrier:
    """An item of a lower document that carries out a higher document's item."""

    document: DocumentRecord
    row: Row
    via: DocumentRecord  # the basis it was aligned with (the higher document, or one between)
    merged: bool  # carried out as a merged (secondary) item


@dataclass
class Lineages:
    """Lineage over one snapshot of the store, with the passage vectors of its search index
    (None: words and headings only)."""

    store: Store
    vectors: PassageVectors | None = None
    _outlines: dict[str, Outline] = field(default_factory=dict)
    _alignments: dict[tuple[str, str], Alignment] = field(default_factory=dict)

    def outline(self, document: DocumentRecord) -> Outline:
        if document.doc_id not in self._outlines:
            self._outlines[document.doc_id] = outline(self.store, document.doc_id)
        return self._outlines[document.doc_id]

    def alignment(self, document: DocumentRecord, basis: DocumentRecord) -> Alignment:
        key = (document.doc_id, basis.doc_id)
        if key not in self._alignments:
            self._alignments[key] = self._align(document, basis)
        return self._alignments[key]

    def _align(self, document: DocumentRecord, basis: DocumentRecord) -> Alignment:
        mine, theirs = self.outline(document), self.outline(basis)
        aligned = align(mine, theirs, similarity(mine, theirs, self.vectors))
        rows = [_row(mine, theirs, a) for a in aligned]
        return Alignment(document, basis, rows, [theirs.items[p] for p in dropped(theirs, aligned)])

    def report(self, document: DocumentRecord, basis_text: str | None = None) -> Report:
        """The document's lineage, aligned with its nearest basis, or with the basis
        ``basis_text`` names (a 文号 or title among the document's bases)."""
        bases = self.store.basis_of(document.doc_id)
        target = self._chosen_basis(document, bases, basis_text)
        implemented_by = [d for d in self.store.implemented_by(document.doc_id) if d.in_corpus]
        below = {
            d.doc_id
            for d in implemented_by
            if (n := nearest_basis(self.store, d)) and n.doc_id == document.doc_id
        }
        return Report(
            document=document,
            bases=bases,
            chain=chain_up(self.store, document),
            implemented_by=implemented_by,
            nearest_below=below,
            alignment=self.alignment(document, target) if target else None,
        )

    def _chosen_basis(
        self, document: DocumentRecord, bases: list[BasisRecord], basis_text: str | None
    ) -> DocumentRecord | None:
        if basis_text is None:
            return nearest_basis(self.store, document)
        wanted = self.store.find_document(basis_text)
        named = [b for b in bases if wanted is not None and b.doc_id == wanted.doc_id]
        if not named:
            listed = "、".join(b.doc_number or b.title for b in bases) or "none"
            raise LineageError(
                f"{basis_text!r} is not a basis of {document.label} (its bases: {listed})"
            )
        if not named[0].in_corpus or wanted is None:
            raise LineageError(
                f"{basis_text}: its text is not in the knowledge base, so there is nothing to "
                f"align {document.label} with"
            )
        return wanted

    def tree(self, document: DocumentRecord) -> ChainNode:
        """The whole chain the document stands in, from its top down."""
        return chain_down(self.store, chain_up(self.store, document)[-1])

    def carriers(self, document: DocumentRecord, item: Item) -> list[Carrier]:
        """How every document below ``document`` carries out its ``item``: the items aligned
        with it (or with an item under it), and, a level further down, the items aligned with
        those; in the tree's order."""
        found: list[Carrier] = []
        wanted = {
            document.doc_id: {p: False for p in self.outline(document).subtree(item.position)}
        }
        for _, node in chain_down(self.store, document).walk():
            above = wanted.get(node.document.doc_id)
            if not above:
                continue
            for child in node.children:
                alignment = self.alignment(child.document, node.document)
                mine: dict[int, bool] = {}
                for row in alignment.rows:
                    main = row.basis_item is not None and row.basis_item.position in above
                    merged = any(s.position in above for s in row.secondary)
                    if main or merged:
                        is_merged = not main or above[row.basis_item.position]
                        mine[row.item.position] = is_merged
                        found.append(Carrier(child.document, row, node.document, is_merged))
                wanted[child.document.doc_id] = mine
        return found


def _row(document: Outline, basis: Outline, aligned: Aligned) -> Row:
    item = document.items[aligned.item]
    if aligned.basis is None:  # a local addition: all it states is its own
        return Row(item, None, [], aligned.score, numbers(item.own_text), item.clause.units)
    main = basis.items[aligned.basis]
    secondary = [basis.items[s] for s in aligned.secondary]
    said = "\n".join(basis.text_under(b.position) for b in [main, *secondary])
    units = [u for b in [main, *secondary] for u in b.clause.units]
    return Row(
        item,
        main,
        secondary,
        aligned.score,
        added_numbers(item.own_text, said),
        added_units(item.clause.units, units),
    )


def _document_dict(document: DocumentRecord) -> dict:
    return {
        "doc_number": document.doc_number,
        "title": document.title,
        "level": document.level,
        "jurisdiction": document.jurisdiction,
    }


def _basis_ref(item: Item) -> dict:
    return {
        "basis_clause_id": item.clause_id,
        "basis_path": item.path,
        "basis_markers": item.markers,
    }


def _row_dict(row: Row, basis: DocumentRecord) -> dict:
    main = row.basis_item
    return {
        "clause_id": row.item.clause_id,
        "path": row.item.path,
        "markers": row.item.markers,
        "basis_doc_number": basis.label,
        "basis_clause_id": main.clause_id if main else None,
        "basis_path": main.path if main else None,
        "basis_markers": main.markers if main else None,
        "score": round(row.score, 3),
        "secondary": [
            {"basis_clause_id": s.clause_id, "basis_path": s.path, "basis_markers": s.markers}
            for s in row.secondary
        ],
        "added": {"numbers": row.numbers, "units": row.units},
    }

"""The chain a document stands in: the documents it carries out, up to the national level, and
the documents that carry it out, down through provinces, cities and counties.

Basis edges come from the store (the opening paragraph's citations, ``Store.basis_of``). A city
often names both the national opinion and its province's; it carries out the national one
through the provincial one, so its *nearest* basis is the province's: the basis whose place
holds the document's place most closely, at the document's level or above. Only documents whose
text is here can be aligned, so the nearest basis is chosen among those.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer.ingest.places import Places, default_places
from indexer.storage.store import DocumentRecord, Store

LEVEL_RANK = {"国家级": 0, "省级": 1, "市级": 2, "县级": 3}


@dataclass
class ChainNode:
    """A document and the documents whose nearest basis it is."""

    document: DocumentRecord
    children: list[ChainNode] = field(default_factory=list)

    def walk(self, depth: int = 0):
        """(depth, node) for the node and everything under it, in reading order."""
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)


def bases_with_text(store: Store, document: DocumentRecord) -> list[DocumentRecord]:
    """The document's bases whose text is here, in the order its opening paragraph names them."""
    found = []
    for basis in store.basis_of(document.doc_id):
        target = store.document(basis.doc_id) if basis.doc_id and basis.in_corpus else None
        if target is not None and target.doc_id != document.doc_id:
            found.append(target)
    return found


def nearest_basis(
    store: Store, document: DocumentRecord, places: Places | None = None
) -> DocumentRecord | None:
    """The basis the document carries out most directly: among its bases with text, the one
    whose place holds the document's place most closely (a province's over the national one
    for a city), not below the document's level; the one named last among equals."""
    places = places or default_places()
    around = places.ancestors(document.place_code)
    rank = LEVEL_RANK.get(document.level or "", len(LEVEL_RANK))

    def closeness(pair: tuple[int, DocumentRecord]) -> tuple:
        named, basis = pair
        holds = basis.place_code in around
        basis_rank = LEVEL_RANK.get(basis.level or "", -1)
        return (holds, basis_rank <= rank, len(places.ancestors(basis.place_code)), named)

    candidates = list(enumerate(bases_with_text(store, document)))
    return max(candidates, key=closeness)[1] if candidates else None


def chain_up(store: Store, document: DocumentRecord) -> list[DocumentRecord]:
    """The document, its nearest basis, that one's nearest basis … up to a document that
    carries out nothing here (the national opinion)."""
    places = default_places()
    chain = [document]
    seen = {document.doc_id}
    while (above := nearest_basis(store, chain[-1], places)) and above.doc_id not in seen:
        chain.append(above)
        seen.add(above.doc_id)
    return chain


def chain_down(store: Store, document: DocumentRecord) -> ChainNode:
    """The documents carrying ``document`` out, as a tree: each under its nearest basis (a city
    naming the national opinion and its province's sits under the province's)."""
    places = default_places()
    root = ChainNode(document)
    seen = {document.doc_id}
    stack = [root]
    while stack:
        node = stack.pop()
        for child in _implementers(store, node.document):
            if child.doc_id in seen:
                continue
            nearest = nearest_basis(store, child, places)
            if nearest is not None and nearest.doc_id == node.document.doc_id:
                seen.add(child.doc_id)
                node.children.append(ChainNode(child))
        node.children.sort(key=lambda n: chain_order(n.document))
        stack.extend(node.children)
    return root


def chain_order(document: DocumentRecord) -> tuple:
    """Higher levels first, then by place and number: how the tree and the groups list them."""
    return (
        LEVEL_RANK.get(document.level or "", len(LEVEL_RANK)),
        document.place_code or "",
        document.doc_number or document.title,
    )


def _implementers(store: Store, document: DocumentRecord) -> list[DocumentRecord]:
    return [d for d in store.implemented_by(document.doc_id) if d.in_corpus]

"""Lineage against the hand-made key in eval/lineage_key/ (its README says who made it, how,
and the rules): basis sets of all 81 files, item alignments of 9 documents.

    python -m eval.run --lineage

Prints, for our alignment (also without the passage vectors: words and headings only) and for a
baseline of bare nearest-item cosine with the same encoder (each item's own text encoded, the
nearest basis item taken, never null): the share of items aligned as the key says, over the
items the key marks clear and over all of them (local additions included); per document; and
how well merged (secondary) items and dropped basis items are found. The key names items by
their numbers (二、（四）1.).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer.answering.answer import Answerer
from indexer.lineage.chain import nearest_basis
from indexer.lineage.items import Outline
from indexer.lineage.report import Lineages
from indexer.storage.references import title_key
from indexer.storage.store import DocumentRecord, Store

KEY_DIR = Path(__file__).with_name("lineage_key")
# (document, basis) → for each item's clause id, the markers of the basis item it carries out
Predict = Callable[[DocumentRecord, DocumentRecord], dict[str, str | None]]


@dataclass
class Tally:
    clear: list[bool] = field(default_factory=list)
    unclear: list[bool] = field(default_factory=list)

    def add(self, right: bool, clear: bool) -> None:
        (self.clear if clear else self.unclear).append(right)

    @property
    def everything(self) -> list[bool]:
        return self.clear + self.unclear

    def line(self) -> str:
        share = lambda xs: sum(xs) / len(xs) if xs else float("nan")  # noqa: E731
        return (
            f"{share(self.clear):.3f} ({sum(self.clear)}/{len(self.clear)}) | "
            f"{share(self.everything):.3f} ({sum(self.everything)}/{len(self.everything)})"
        )


def load_key(name: str) -> list[dict]:
    with (KEY_DIR / name).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def document_of_file(store: Store, file: str) -> DocumentRecord | None:
    """The document a file of the 学校美育 collection (or the seed) was indexed as."""
    for path, (_, doc_id, _) in store.sources().items():
        if Path(path).name == file:
            return store.document(doc_id)
    return None


def basis_sets(store: Store) -> tuple[int, list[str]]:
    """How many files' basis sets are the key's, and what differs in the others."""
    right, wrong = 0, []
    for line in load_key("basis.jsonl"):
        document = document_of_file(store, line["file"])
        if document is None:
            wrong.append(f"{line['file']}: not indexed")
            continue
        expected = {
            _basis_name(b["doc_number"] or b.get("resolves_to"), b["title"]) for b in line["basis"]
        }
        found = {_basis_name(b.doc_number, b.title) for b in store.basis_of(document.doc_id)}
        if found == expected:
            right += 1
        else:
            wrong.append(
                f"{document.label}: missing {sorted(expected - found)}, extra {sorted(found - expected)}"
            )
    return right, wrong


def _basis_name(number: str | None, title: str | None) -> str:
    return number or title_key(title or "")


def ours(lineages: Lineages) -> Predict:
    def predict(document: DocumentRecord, basis: DocumentRecord) -> dict[str, str | None]:
        rows = lineages.alignment(document, basis).rows
        return {r.item.clause_id: r.basis_item.markers if r.basis_item else None for r in rows}

    return predict


def nearest_cosine(lineages: Lineages, encoder) -> Predict:
    """Each item's own text encoded, the basis item of the highest cosine: no order, no
    headings, no local additions."""

    def predict(document: DocumentRecord, basis: DocumentRecord) -> dict[str, str | None]:
        mine, theirs = lineages.outline(document), lineages.outline(basis)
        cosines = _encode(encoder, mine) @ _encode(encoder, theirs).T
        return {
            item.clause_id: theirs.items[int(np.argmax(row))].markers
            for item, row in zip(mine.items, cosines, strict=True)
        }

    return predict


def _encode(encoder, outline: Outline) -> np.ndarray:
    return encoder.encode_passages([item.own_text for item in outline.items])


def score(store: Store, lineages: Lineages, predict: Predict) -> tuple[Tally, dict[str, Tally]]:
    total, per_document = Tally(), {}
    for line in load_key("alignments.jsonl"):
        document = store.find_document(line["doc_number"])
        basis = store.find_document(line["basis_doc_number"])
        predicted = predict(document, basis)
        items = {item.markers: item for item in lineages.outline(document).items}
        tally = per_document.setdefault(line["doc_number"], Tally())
        for keyed in line["items"]:
            item = items.get(keyed["path"])
            wanted = keyed["basis_item"]["path"] if keyed["basis_item"] else None
            right = item is not None and predicted.get(item.clause_id) == wanted
            tally.add(right, keyed["clear"])
            total.add(right, keyed["clear"])
    return total, per_document


def merged_and_dropped(store: Store, lineages: Lineages) -> dict[str, tuple[int, int, int]]:
    """(found and keyed, found only, keyed only) for merged items of leaves the key and we align
    alike, and for dropped basis items."""
    counts = {"secondary": [0, 0, 0], "dropped": [0, 0, 0]}
    for line in load_key("alignments.jsonl"):
        document = store.find_document(line["doc_number"])
        basis = store.find_document(line["basis_doc_number"])
        alignment = lineages.alignment(document, basis)
        rows = {row.item.markers: row for row in alignment.rows}
        for keyed in line["items"]:
            row = rows.get(keyed["path"])
            if (
                row is None
                or row.item.is_heading
                or row.basis_item is None
                or not keyed["basis_item"]
            ):
                continue
            if row.basis_item.markers != keyed["basis_item"]["path"]:
                continue
            _count(
                counts["secondary"],
                {s.markers for s in row.secondary},
                {s["path"] for s in keyed["secondary"]},
            )
        _count(
            counts["dropped"],
            {i.markers for i in alignment.dropped},
            {d["path"] for d in line["dropped"]},
        )
    return {name: (a, b, c) for name, (a, b, c) in counts.items()}


def _count(counts: list[int], found: set[str], keyed: set[str]) -> None:
    counts[0] += len(found & keyed)
    counts[1] += len(found - keyed)
    counts[2] += len(keyed - found)


def nearest_bases(store: Store) -> list[str]:
    """Keyed documents whose nearest basis is not the one the key aligns them with."""
    wrong = []
    for line in load_key("alignments.jsonl"):
        document = store.find_document(line["doc_number"])
        chosen = nearest_basis(store, document)
        if chosen is None or chosen.doc_number != line["basis_doc_number"]:
            wrong.append(f"{line['doc_number']}: {chosen.label if chosen else None}")
    return wrong


def run(answerer: Answerer) -> None:
    store, index = answerer.store, answerer.index
    lineages = Lineages(store, index.dense.vectors if index.dense is not None else None)
    right, wrong = basis_sets(store)
    print(f"basis sets as the key has them: {right}/{right + len(wrong)}")
    for line in wrong:
        print(f"  ✗ {line}")
    for line in nearest_bases(store):
        print(f"  ✗ nearest basis {line}")
    systems = {"ours": ours(lineages), "ours-no-vectors": ours(Lineages(store))}
    if index.encoder is not None:
        systems["nearest-cosine"] = nearest_cosine(lineages, index.encoder)
    print("\n| system | document | clear | all |\n|---|---|---|---|")
    for name, predict in systems.items():
        total, per_document = score(store, lineages, predict)
        for number, tally in per_document.items():
            print(f"| {name} | {number} | {tally.line().replace(' | ', ' | ')} |")
        print(f"| {name} | **all 9** | {total.line()} |")
    for name, (both, found, keyed) in merged_and_dropped(store, lineages).items():
        precision = both / (both + found) if both + found else float("nan")
        recall = both / (both + keyed) if both + keyed else float("nan")
        print(
            f"{name}: precision {precision:.2f}, recall {recall:.2f} ({both} right, {found} extra, {keyed} missed)"
        )

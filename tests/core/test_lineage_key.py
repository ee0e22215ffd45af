"""Lineage against the hand-made key (eval/lineage_key/) with the passage vectors of the real
model: the figures the README reports must hold (eval/lineage.py computes them)."""

from __future__ import annotations

from eval.lineage import ours, score
from indexer.lineage.report import Lineages


def test_the_keyed_documents_are_aligned_as_the_key_says(corpus_answerer):
    store, index = corpus_answerer.store, corpus_answerer.index
    lineages = Lineages(store, index.dense.vectors)
    total, per_document = score(store, lineages, ours(lineages))
    clear = sum(total.clear) / len(total.clear)
    overall = sum(total.everything) / len(total.everything)
    assert clear >= 0.97 and overall >= 0.92, (clear, overall)
    assert len(per_document) == 9
    assert all(sum(t.everything) / len(t.everything) >= 0.85 for t in per_document.values())

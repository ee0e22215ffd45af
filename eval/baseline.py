"""A generic RAG kit's retrieval, for comparison: every text cut into 250-character chunks that
overlap by 50, ranked by BM25 (the same tokenizer) or by the same encoder. A chunk counts as
relevant when a reader could answer from it."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from indexer.answering.answer import Answerer
from indexer.retrieval.bm25 import LexicalIndex
from indexer.retrieval.dense import DenseIndex
from indexer.storage.vectors import VectorCache

DEPTH = 10
CHUNK, OVERLAP = 250, 50


class Baseline:
    """A generic RAG kit's retrieval: fixed-size overlapping chunks, no structure."""

    def __init__(self, answerer: Answerer, cache: VectorCache):
        store = answerer.store
        self.store, self.tokenizer, self.encoder = (
            store,
            answerer.index.tokenizer,
            answerer.index.encoder,
        )
        self.chunks: list[tuple[str, str]] = []  # (document label, text)
        for document in store.documents():
            if not document.in_corpus:
                continue
            text = store.source_texts(document.doc_id)[0]["text"]
            for start in range(0, max(len(text) - OVERLAP, 1), CHUNK - OVERLAP):
                self.chunks.append((document.label, text[start : start + CHUNK]))
        self.lexical = LexicalIndex.build([self.tokenizer.tokens(t) for _, t in self.chunks])
        self.dense = None
        if self.encoder is not None:
            vectors = cache.vectors(
                self.encoder.name,
                [t for _, t in self.chunks],
                lambda batch: self.encoder.encode_passages(batch, show_progress=True),
                made_by=f"{self.encoder.backend}/{self.encoder.precision}",
            )
            self.dense = DenseIndex.build(vectors, np.arange(len(self.chunks)))

    def ranked(self, question: str, mode: str) -> list[int]:
        if mode == "bm25":
            scores = self.lexical.scores(self.tokenizer.tokens(question))
            return [int(i) for i in np.argsort(-scores)[:DEPTH] if scores[i] > 0]
        ids, _ = self.dense.search(self.encoder.encode_queries([question])[0], DEPTH)
        return [int(i) for i in ids]

    def evidence(self, query: dict) -> list[list[str]]:
        """Strings a chunk must hold for a reader to answer from it; one list per expected item."""
        expect, kind = query["expect"], query["type"]
        if kind == "who" and "task" in expect:
            task = next(
                t
                for t in self.store.tasks()
                if t.task_no == expect["task"] and expect["lead"] in t.leads
            )
            return [[task.title[:12], expect["lead"]]]
        if kind == "who":
            return [[expect["text"], expect["units_any"][0]]]
        if kind in ("unit", "leader") and "task_texts" in expect:
            return [[text] for text in expect["task_texts"]]
        if kind in ("unit", "leader"):
            seed_tasks = {t.task_no: t for t in self.store.tasks() if t.leads}
            return [[seed_tasks[n].title[:12], "(牵头领导"] for n in expect["tasks"]]
        if kind == "docnum":
            return [[expect.get("title_contains", expect["doc_number"])]]
        if kind == "basis":
            return [[basis] for basis in expect["basis"]]
        if kind == "facts":
            return [[expect["value_contains"]]]
        if kind == "none":
            return []  # a chunk retriever always returns chunks: it cannot say "not found"
        return [[expect["text"]]]

    def score(self, queries: list[dict], mode: str) -> dict[str, list[tuple[bool, int | None]]]:
        rows: dict[str, list[tuple[bool, int | None]]] = defaultdict(list)
        for query in queries:
            ranked = [self.chunks[i][1] for i in self.ranked(query["q"], mode)]
            needed = self.evidence(query)

            def holds(text: str, item: list[str]) -> bool:
                return all(part in text for part in item)

            rank = next(
                (
                    i + 1
                    for i, text in enumerate(ranked)
                    if any(holds(text, item) for item in needed)
                ),
                None,
            )
            if query["type"] in ("unit", "leader", "basis"):
                correct = all(any(holds(text, item) for text in ranked[:5]) for item in needed)
            else:
                correct = rank == 1
            rows[query["type"]].append((correct, rank))
        return rows

"""Hybrid search over the store's passages, rolled up to clauses.

BM25 (bm25.py) finds the exact terms — unit names, programme names, numbers; the encoder's
vectors (dense.py) find paraphrases ("孩子不上学了" for 控辍保学). Both are derived from the store
(generations.py); this module searches one loaded pair of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from indexer.retrieval.fusion import fuse, rrf
from indexer.storage.store import Store

if TYPE_CHECKING:
    from indexer.retrieval.bm25 import LexicalIndex
    from indexer.retrieval.dense import DenseIndex
    from indexer.retrieval.generations import Manifest
    from indexer.retrieval.tokenizer import Tokenizer

CANDIDATES = 100  # from each retriever, before fusion
LEXICAL_WEIGHT = 0.5  # tuned on eval/queries.jsonl (see README)


class StaleIndex(RuntimeError):
    """An index made from another generation of the store than the one being read."""


@dataclass
class Hit:
    clause_id: str
    score: float
    lexical: float = 0.0
    dense: float = 0.0


@dataclass
class SearchFilters:
    """Restrict a search: None means no restriction."""

    doc_ids: set[str] | None = None
    levels: set[str] | None = None
    validity: set[str] | None = None
    clause_ids: set[str] | None = None  # e.g. the tasks of a unit or an official

    def is_empty(self) -> bool:
        return all(v is None for v in (self.doc_ids, self.levels, self.validity, self.clause_ids))


class SearchIndex:
    """Both retrievers over one snapshot of the store's passages."""

    def __init__(
        self,
        store: Store,
        tokenizer: Tokenizer,
        lexical: LexicalIndex | None,
        dense: DenseIndex | None,
        encoder,
        manifest: Manifest,
    ):
        self.store = store
        self.tokenizer = tokenizer
        self.lexical = lexical
        self.dense = dense
        self.encoder = encoder
        self.manifest = manifest
        rows = {r["passage_id"]: r for r in store.passages()}
        missing = [pid for pid in manifest.passage_ids if pid not in rows]
        if missing:
            raise StaleIndex(
                f"the index lists {len(missing)} passage(s) the store no longer holds; "
                f"bring it up to date with `python -m indexer index`"
            )
        self.passage_ids = np.asarray(manifest.passage_ids, dtype=np.int64)
        self.position_of = {pid: i for i, pid in enumerate(manifest.passage_ids)}
        self.clause_of = [rows[pid]["clause_id"] for pid in manifest.passage_ids]
        self.doc_of = [rows[pid]["doc_id"] for pid in manifest.passage_ids]
        # Filters become masks over passages by array indexing, not per-query Python loops.
        self._clause_number = {c: i for i, c in enumerate(dict.fromkeys(self.clause_of))}
        self._doc_number = {d: i for i, d in enumerate(dict.fromkeys(self.doc_of))}
        self._clause_of_passage = np.array(
            [self._clause_number[c] for c in self.clause_of], dtype=np.int64
        )
        self._doc_of_passage = np.array([self._doc_number[d] for d in self.doc_of], dtype=np.int64)
        self._mask_memo: dict[frozenset[str], np.ndarray] = {}
        self._last_query: tuple[str, np.ndarray] | None = None
        self._doc_facts = store.levels_and_validity()

    # -- searching ------------------------------------------------------------------------------

    def _allowed(self, filters: SearchFilters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        mask = np.ones(len(self.passage_ids), dtype=bool)
        docs = filters.doc_ids
        if filters.levels or filters.validity:
            docs = {
                doc_id
                for doc_id, (level, validity) in self._doc_facts.items()
                if (docs is None or doc_id in docs)
                and (not filters.levels or level in filters.levels)
                and (not filters.validity or validity in filters.validity)
            }
        if docs is not None:
            mask &= _membership(docs, self._doc_number)[self._doc_of_passage]
        if filters.clause_ids is not None:
            mask &= self._clause_mask(filters.clause_ids)
        return mask

    def _clause_mask(self, clause_ids: set[str] | frozenset[str]) -> np.ndarray:
        """Passages of ``clause_ids``. A frozenset's mask is kept: every who-question brings the
        same task area, and a frozenset caches its hash, so finding it again is O(1)."""
        if isinstance(clause_ids, frozenset) and clause_ids in self._mask_memo:
            return self._mask_memo[clause_ids]
        mask = _membership(clause_ids, self._clause_number)[self._clause_of_passage]
        if isinstance(clause_ids, frozenset):
            if len(self._mask_memo) >= 8:
                self._mask_memo.pop(next(iter(self._mask_memo)))
            self._mask_memo[clause_ids] = mask
        return mask

    def lexical_scores(self, query: str) -> np.ndarray:
        return self.lexical.scores(self.tokenizer.index_terms(query))

    def dense_scores(self, query: str, allowed: np.ndarray | None) -> dict[int, float]:
        """Cosine of the nearest passages, by position."""
        if self.dense is None or self.encoder is None:
            return {}
        vector = self._query_vector(query)
        k = CANDIDATES if allowed is None else min(len(self.passage_ids), CANDIDATES * 20)
        ids, scores = self.dense.search(vector, k)
        found = {self.position_of[int(i)]: float(s) for i, s in zip(ids, scores, strict=True)}
        if allowed is not None:
            found = {p: s for p, s in found.items() if allowed[p]}
        return found

    def _query_vector(self, query: str) -> np.ndarray:
        """The query's vector; the last one is kept, as one question is searched more than once
        (the tasks, then every clause; the check that anything is behind it)."""
        last = self._last_query  # one read: the app asks from several threads
        if last is None or last[0] != query:
            last = (query, self.encoder.encode_queries([query])[0])
            self._last_query = last
        return last[1]

    def nearest_cosine(self, query: str) -> float | None:
        """The cosine of the passage nearest to ``query``; None without vectors."""
        if self.dense is None or self.encoder is None or not len(self.passage_ids):
            return None
        _, scores = self.dense.search(self._query_vector(query), 1)
        return float(scores[0]) if len(scores) else None

    def search(
        self,
        query: str,
        k: int = 5,
        filters: SearchFilters | None = None,
        mode: str = "hybrid",
        lexical_weight: float | None = None,
    ) -> list[Hit]:
        """Clauses best matching ``query``, best first. ``mode``: hybrid (scores fused), rrf
        (ranks fused), lexical or dense."""
        if not len(self.passage_ids):
            return []
        allowed = self._allowed(filters)
        lexical: dict[int, float] = {}
        if mode in ("hybrid", "rrf", "lexical"):
            scores = self.lexical_scores(query)
            if allowed is not None:
                scores = np.where(allowed, scores, 0.0)
            top = np.argsort(-scores)[:CANDIDATES]
            lexical = {int(p): float(scores[p]) for p in top if scores[p] > 0}
        dense = self.dense_scores(query, allowed) if mode in ("hybrid", "rrf", "dense") else {}
        weight = LEXICAL_WEIGHT if lexical_weight is None else lexical_weight
        if mode == "rrf":
            fused = rrf(lexical, dense)
        else:
            fused = fuse(lexical, dense, {"lexical": 1.0, "dense": 0.0}.get(mode, weight))
        return self._roll_up(fused, lexical, dense, k)

    def _roll_up(
        self, fused: dict[int, float], lexical: dict[int, float], dense: dict[int, float], k: int
    ) -> list[Hit]:
        best: dict[str, Hit] = {}
        for position, score in sorted(fused.items(), key=lambda item: -item[1]):
            clause_id = self.clause_of[position]
            if clause_id not in best:
                best[clause_id] = Hit(
                    clause_id, score, lexical.get(position, 0.0), dense.get(position, 0.0)
                )
                if len(best) >= k:
                    break
        return list(best.values())


def _membership(wanted: set[str], number_of: dict[str, int]) -> np.ndarray:
    """A boolean array over ``number_of``'s values, true for the keys in ``wanted``."""
    flags = np.zeros(len(number_of), dtype=bool)
    flags[[number_of[key] for key in wanted if key in number_of]] = True
    return flags

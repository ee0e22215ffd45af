"""Hybrid search over the store's passages, rolled up to clauses.

BM25 (lexical.py) finds the exact terms — unit names, programme names, numbers; the encoder's
vectors (dense.py) find paraphrases ("孩子不上学了" for 控辍保学). Both are derived from the store
and rebuilt when the store changes; passage vectors are cached by text, so a rebuild encodes only
what is new.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jieba
import numpy as np

from indexer.retrieval.bm25 import LexicalIndex, Tokenizer, quoted_terms
from indexer.retrieval.dense import DenseIndex
from indexer.storage.store import GENERATION_KEY, Store

jieba.setLogLevel(logging.WARNING)

CANDIDATES = 100  # from each retriever, before fusion
LEXICAL_WEIGHT = 0.5  # tuned on eval/queries.jsonl (see README)


class IndexModelMismatch(RuntimeError):
    """The dense index was built with another model: its vectors and the query's cannot be compared."""


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


@dataclass
class _Manifest:
    generation: str
    model: str | None
    passage_ids: list[int] = field(default_factory=list)


def embedding_text(path: list[str], text: str) -> str:
    """What is embedded and BM25-indexed for a passage: its parent headings, then its text."""
    return " ".join([*path[:-1], text])


class EmbeddingCache:
    """Passage vectors by (model, text hash), so unchanged passages are never encoded twice."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, text_hash TEXT, vector BLOB, PRIMARY KEY (model, text_hash))"
        )

    def vectors(
        self, model: str, texts: list[str], encode: Callable[[list[str]], np.ndarray]
    ) -> np.ndarray:
        hashes = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(hashes), 500):
            chunk = hashes[start : start + 500]
            rows = self.db.execute(
                f"SELECT text_hash, vector FROM vectors WHERE model = ? AND text_hash IN ({','.join('?' * len(chunk))})",
                (model, *chunk),
            )
            found.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in rows)
        missing = [i for i, h in enumerate(hashes) if h not in found]
        if missing:
            new = encode([texts[i] for i in missing])
            with self.db:
                for i, vector in zip(missing, new, strict=True):
                    found[hashes[i]] = vector
                    self.db.execute(
                        "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                        (model, hashes[i], np.asarray(vector, dtype=np.float32).tobytes()),
                    )
        return (
            np.stack([found[h] for h in hashes]) if hashes else np.zeros((0, 0), dtype=np.float32)
        )


class SearchIndex:
    """Both retrievers over one snapshot of the store's passages."""

    def __init__(
        self,
        store: Store,
        tokenizer: Tokenizer,
        lexical: LexicalIndex | None,
        dense: DenseIndex | None,
        encoder,
        manifest: _Manifest,
    ):
        self.store = store
        self.tokenizer = tokenizer
        self.lexical = lexical
        self.dense = dense
        self.encoder = encoder
        self.manifest = manifest
        rows = {r["passage_id"]: r for r in store.passages()}
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
        self._doc_facts = {
            row["doc_id"]: (row["level"], row["validity"])
            for row in store.db.execute("SELECT doc_id, level, validity FROM documents")
        }

    # -- building and opening -----------------------------------------------------------------

    @staticmethod
    def tokenizer_for(store: Store) -> Tokenizer:
        words = {alias for alias, _ in store.unit_names() if len(alias) >= 3}
        words.update(row[0] for row in store.db.execute("SELECT name FROM units"))
        words.update(store.leaders())
        words.update(quoted_terms(row[0] for row in store.db.execute("SELECT text FROM clauses")))
        return Tokenizer(words)

    @classmethod
    def open(cls, store: Store, folder: Path, encoder=None, progress: bool = False) -> SearchIndex:
        """Load the derived indexes, rebuilding them first if the store changed since.

        ``encoder`` None gives a lexical-only index (no model needed)."""
        model = encoder.name if encoder is not None else None
        manifest_path = folder / "manifest.json"
        generation = store.get_meta(GENERATION_KEY) or ""
        tokenizer = cls.tokenizer_for(store)
        if manifest_path.exists():
            saved = _Manifest(**json.loads(manifest_path.read_text(encoding="utf-8")))
            if saved.model and model and saved.model != model:
                raise IndexModelMismatch(
                    f"{folder}: the dense index was built with model {saved.model!r}, not {model!r}; "
                    f"rebuild it with `python -m indexer --model {model} index --rebuild` (or use the same model)"
                )
            dense_ready = model is None or (
                saved.model == model and (folder / "dense.faiss").exists()
            )
            if saved.generation == generation and dense_ready:
                dense = DenseIndex.load(folder / "dense.faiss") if model else None
                return cls(
                    store,
                    tokenizer,
                    LexicalIndex.load(folder / "bm25") if saved.passage_ids else None,
                    dense,
                    encoder,
                    saved,
                )
        return cls.rebuild(store, folder, encoder, tokenizer, generation, progress)

    @classmethod
    def rebuild(
        cls,
        store: Store,
        folder: Path,
        encoder,
        tokenizer: Tokenizer | None = None,
        generation: str | None = None,
        progress: bool = False,
    ) -> SearchIndex:
        tokenizer = tokenizer or cls.tokenizer_for(store)
        generation = (
            generation if generation is not None else (store.get_meta(GENERATION_KEY) or "")
        )
        rows = store.passages()
        texts = [embedding_text(json.loads(r["path_json"]), r["text"]) for r in rows]
        lexical = LexicalIndex.build([tokenizer.tokens(t) for t in texts]) if texts else None
        manifest = _Manifest(
            generation, encoder.name if encoder else None, [r["passage_id"] for r in rows]
        )
        folder.mkdir(parents=True, exist_ok=True)
        dense = None
        if encoder is not None and rows:
            cache = EmbeddingCache(folder.parent / "embeddings.sqlite3")
            vectors = cache.vectors(
                encoder.name,
                texts,
                lambda batch: encoder.encode_passages(batch, show_progress=progress),
            )
            dense = DenseIndex.build(vectors, np.asarray(manifest.passage_ids))
            dense.save(folder / "dense.faiss")
        if lexical is not None:
            lexical.save(folder / "bm25")
        (folder / "manifest.json").write_text(json.dumps(manifest.__dict__), encoding="utf-8")
        return cls(store, tokenizer, lexical, dense, encoder, manifest)

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
        return self.lexical.scores(self.tokenizer.tokens(query))

    def dense_scores(self, query: str, allowed: np.ndarray | None) -> dict[int, float]:
        """Cosine of the nearest passages, by position."""
        if self.dense is None or self.encoder is None:
            return {}
        vector = self.encoder.encode_queries([query])[0]
        k = CANDIDATES if allowed is None else min(len(self.passage_ids), CANDIDATES * 20)
        ids, scores = self.dense.search(vector, k)
        found = {self.position_of[int(i)]: float(s) for i, s in zip(ids, scores, strict=True)}
        if allowed is not None:
            found = {p: s for p, s in found.items() if allowed[p]}
        return found

    def search(
        self,
        query: str,
        k: int = 5,
        filters: SearchFilters | None = None,
        mode: str = "hybrid",
        lexical_weight: float | None = None,
    ) -> list[Hit]:
        """Clauses best matching ``query``, best first. ``mode``: hybrid, lexical or dense."""
        if not len(self.passage_ids):
            return []
        allowed = self._allowed(filters)
        lexical: dict[int, float] = {}
        if mode in ("hybrid", "lexical"):
            scores = self.lexical_scores(query)
            if allowed is not None:
                scores = np.where(allowed, scores, 0.0)
            top = np.argsort(-scores)[:CANDIDATES]
            lexical = {int(p): float(scores[p]) for p in top if scores[p] > 0}
        dense = self.dense_scores(query, allowed) if mode in ("hybrid", "dense") else {}
        weight = LEXICAL_WEIGHT if lexical_weight is None else lexical_weight
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


def fuse(
    lexical: dict[int, float], dense: dict[int, float], lexical_weight: float
) -> dict[int, float]:
    """Convex combination of the two scores, each scaled to [0, 1].

    BM25 is zero for a passage sharing no term and unbounded above, so it is divided by its best
    score: a weak match keeps a little credit. Cosine sits in a narrow band, so it is min-max
    scaled over its candidates (all equal → 1). A passage one retriever did not return scores 0
    on that side."""
    best_lexical = max(lexical.values(), default=0.0) or 1.0
    lex = {p: s / best_lexical for p, s in lexical.items()}
    den: dict[int, float] = {}
    if dense:
        low, high = min(dense.values()), max(dense.values())
        den = {p: (s - low) / (high - low) if high > low else 1.0 for p, s in dense.items()}
    return {
        p: lexical_weight * lex.get(p, 0.0) + (1 - lexical_weight) * den.get(p, 0.0)
        for p in set(lex) | set(den)
    }

"""The derived search indexes on disk: made from one generation of the store, rebuilt when the
store changes, refused when they were made with another model."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer.retrieval.bm25 import LexicalIndex
from indexer.retrieval.dense import DenseIndex
from indexer.retrieval.search import SearchIndex
from indexer.retrieval.tokenizer import Tokenizer, quoted_terms
from indexer.storage.store import GENERATION_KEY, Store
from indexer.storage.vectors import VectorCache


class IndexModelMismatch(RuntimeError):
    """The dense index was built with another model: its vectors and the query's cannot be compared."""


@dataclass
class Manifest:
    """What a saved index was made from: the store generation, the model, the passages in order."""

    generation: str
    model: str | None
    passage_ids: list[int] = field(default_factory=list)


def embedding_text(path: list[str], text: str) -> str:
    """What is embedded and BM25-indexed for a passage: its parent headings, then its text."""
    return " ".join([*path[:-1], text])


def tokenizer_for(store: Store) -> Tokenizer:
    """jieba with the store's own words: unit names and aliases, officials, quoted programme names."""
    words = {alias for alias, _ in store.unit_names() if len(alias) >= 3}
    words.update(store.unit_canonical_names())
    words.update(store.leaders())
    words.update(quoted_terms(store.clause_texts()))
    return Tokenizer(words)


def open_index(store: Store, folder: Path, encoder=None, progress: bool = False) -> SearchIndex:
    """Load the derived indexes, rebuilding them first if the store changed since.

    ``encoder`` None gives a lexical-only index (no model needed)."""
    model = encoder.name if encoder is not None else None
    manifest_path = folder / "manifest.json"
    generation = store.get_meta(GENERATION_KEY) or ""
    tokenizer = tokenizer_for(store)
    if manifest_path.exists():
        saved = Manifest(**json.loads(manifest_path.read_text(encoding="utf-8")))
        if saved.model and model and saved.model != model:
            raise IndexModelMismatch(
                f"{folder}: the dense index was built with model {saved.model!r}, not {model!r}; "
                f"rebuild it with `python -m indexer --model {model} index --rebuild` (or use the same model)"
            )
        dense_ready = model is None or (saved.model == model and (folder / "dense.faiss").exists())
        if saved.generation == generation and dense_ready:
            dense = DenseIndex.load(folder / "dense.faiss") if model else None
            return SearchIndex(
                store,
                tokenizer,
                LexicalIndex.load(folder / "bm25") if saved.passage_ids else None,
                dense,
                encoder,
                saved,
            )
    return rebuild_index(store, folder, encoder, tokenizer, generation, progress)


def rebuild_index(
    store: Store,
    folder: Path,
    encoder,
    tokenizer: Tokenizer | None = None,
    generation: str | None = None,
    progress: bool = False,
) -> SearchIndex:
    tokenizer = tokenizer or tokenizer_for(store)
    generation = generation if generation is not None else (store.get_meta(GENERATION_KEY) or "")
    rows = store.passages()
    texts = [embedding_text(json.loads(r["path_json"]), r["text"]) for r in rows]
    lexical = LexicalIndex.build([tokenizer.tokens(t) for t in texts]) if texts else None
    manifest = Manifest(
        generation, encoder.name if encoder else None, [r["passage_id"] for r in rows]
    )
    folder.mkdir(parents=True, exist_ok=True)
    dense = None
    if encoder is not None and rows:
        cache = VectorCache(folder.parent / "embeddings.sqlite3")
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
    return SearchIndex(store, tokenizer, lexical, dense, encoder, manifest)

"""The derived search indexes on disk, one generation per store generation.

Each generation is written into a fresh folder (``gen-…``) and made current by one atomic rename
of a pointer file (``CURRENT``), only once every file in it is complete: a rewrite killed midway
leaves a folder nobody points at, cleaned up by the next writer, and readers keep the last complete
generation. A generation that cannot be read is rebuilt from the store. A generation made with
another embedding model is refused, since its vectors and the query's cannot be compared.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock

from indexer.retrieval.bm25 import LexicalIndex
from indexer.retrieval.dense import DenseIndex
from indexer.retrieval.search import SearchIndex
from indexer.retrieval.tokenizer import Tokenizer, quoted_terms
from indexer.storage.store import GENERATION_KEY, Store
from indexer.storage.vectors import VectorCache

POINTER = "CURRENT"
LEXICAL_FORMAT = 2  # words and pairs of adjacent Chinese characters
_PREFIX = "gen-"
_PARTIAL = ".partial-"
_MANIFEST = "manifest.json"
log = logging.getLogger(__name__)


class IndexModelMismatch(RuntimeError):
    """The dense index was built with another model: its vectors and the query's cannot be compared."""


@dataclass
class Manifest:
    """What a saved index was made from: the store generation, the model, the passages in order,
    and the encoder (backend and precision) that made it. Vectors already in the cache are reused
    whichever backend made them (storage/vectors.py says why): ``vectors_by`` counts them per
    ``backend/precision``. Manifests written before the encoder was recorded read as None / {}."""

    generation: str
    model: str | None
    passage_ids: list[int] = field(default_factory=list)
    # How passages became BM25 terms (Tokenizer.index_terms); another way means a new index.
    lexical_format: int = 1
    backend: str | None = None
    precision: str | None = None
    vectors_by: dict[str, int] = field(default_factory=dict)


def embedding_text(path: list[str], text: str) -> str:
    """What is embedded and BM25-indexed for a passage: its parent headings, then its text."""
    return " ".join([*path[:-1], text])


def embedding_texts(rows: list) -> list[str]:
    """The embedding texts of the store's passage rows (``Store.passages()``), in order."""
    return [embedding_text(json.loads(r["path_json"]), r["text"]) for r in rows]


def tokenizer_for(store: Store) -> Tokenizer:
    """jieba with the store's own words: unit names and aliases, officials, quoted programme names."""
    words = {alias for alias, _ in store.unit_names() if len(alias) >= 3}
    words.update(store.unit_canonical_names())
    words.update(store.leaders())
    words.update(quoted_terms(store.clause_texts()))
    return Tokenizer(words)


def open_index(store: Store, folder: Path, encoder=None, progress: bool = False) -> SearchIndex:
    """The current generation when it was made from the store as it is (and with this model),
    else a new one. ``encoder`` None gives a lexical-only index (no model needed)."""
    model = encoder.name if encoder is not None else None
    generation = store.get_meta(GENERATION_KEY) or ""
    tokenizer = tokenizer_for(store)
    current = current_generation(folder)
    if current is not None:
        try:
            saved = _read_manifest(current)
        except (OSError, ValueError, TypeError) as error:
            log.warning("%s: unreadable index manifest (%s); rebuilding", current, error)
            saved = None
        if saved is not None and saved.model and model and saved.model != model:
            raise IndexModelMismatch(
                f"{folder}: the dense index was built with model {saved.model!r}, not {model!r}; "
                f"rebuild it with `python -m indexer --model {model} index --rebuild` "
                f"(or use the same model)"
            )
        dense_ready = model is None or (saved is not None and saved.model == model)
        current_format = saved is not None and saved.lexical_format == LEXICAL_FORMAT
        if saved is not None and saved.generation == generation and dense_ready and current_format:
            try:
                return _load(store, current, saved, tokenizer, encoder)
            except Exception as error:  # noqa: BLE001 - any damage: the store can make it again
                log.warning("%s: unreadable index (%s); rebuilding", current, error)
    return rebuild_index(store, folder, encoder, tokenizer, progress)


def rebuild_index(
    store: Store,
    folder: Path,
    encoder,
    tokenizer: Tokenizer | None = None,
    progress: bool = False,
) -> SearchIndex:
    """A new generation from the store's passages, made current once complete."""
    tokenizer = tokenizer or tokenizer_for(store)
    generation = store.get_meta(GENERATION_KEY) or ""
    rows = store.passages()
    texts = embedding_texts(rows)
    lexical = LexicalIndex.build(tokenizer.index_terms(t) for t in texts) if texts else None
    manifest = Manifest(
        generation,
        encoder.name if encoder else None,
        [r["passage_id"] for r in rows],
        LEXICAL_FORMAT,
    )
    dense = None
    if encoder is not None:
        manifest.backend, manifest.precision = encoder.backend, encoder.precision
    if encoder is not None and rows:
        cache = VectorCache(folder.parent / "embeddings.sqlite3")
        vectors = cache.vectors(
            encoder.name,
            texts,
            lambda batch: encoder.encode_passages(batch, show_progress=progress),
            made_by=f"{encoder.backend}/{encoder.precision}",
        )
        manifest.vectors_by = cache.made_by(encoder.name, texts)
        dense = DenseIndex.build(vectors, np.asarray(manifest.passage_ids))
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / "index.lock")):
        partial = folder / f"{_PARTIAL}{uuid.uuid4().hex[:12]}"
        partial.mkdir()
        if dense is not None:
            dense.save(partial / "dense.faiss")
        if lexical is not None:
            lexical.save(partial / "bm25")
        # The manifest last: a folder without one was never finished.
        _write_atomically(partial / _MANIFEST, json.dumps(asdict(manifest)))
        final = folder / f"{_PREFIX}{generation[:12] or 'empty'}-{partial.name[-12:]}"
        os.rename(partial, final)
        previous = current_generation(folder)
        _write_atomically(folder / POINTER, final.name)
        # The previous generation stays one round: a reader may have just read the old pointer.
        _clean_up(folder, keep={final.name, previous.name if previous else ""})
    return SearchIndex(store, tokenizer, lexical, dense, encoder, manifest)


def current_vectors(store: Store, folder: Path) -> DenseIndex | None:
    """The passage vectors of the current generation when it was made from the store as it is,
    else None: what reads stored vectors without loading the model (lineage). Never rebuilds,
    so a reader without the model cannot replace a generation by one without vectors."""
    current = current_generation(folder)
    if current is None:
        return None
    try:
        saved = _read_manifest(current)
        fresh = saved.model and saved.generation == (store.get_meta(GENERATION_KEY) or "")
        return DenseIndex.load(current / "dense.faiss") if fresh and saved.passage_ids else None
    except (OSError, ValueError, TypeError, RuntimeError) as error:
        log.warning("%s: unreadable index (%s)", current, error)
        return None


def current_generation(folder: Path) -> Path | None:
    """The folder the pointer names, when it exists."""
    try:
        name = (folder / POINTER).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    path = folder / name
    return path if name.startswith(_PREFIX) and path.is_dir() else None


def _load(
    store: Store, folder: Path, saved: Manifest, tokenizer: Tokenizer, encoder
) -> SearchIndex:
    lexical = LexicalIndex.load(folder / "bm25") if saved.passage_ids else None
    dense = (
        DenseIndex.load(folder / "dense.faiss")
        if encoder is not None and saved.passage_ids
        else None
    )
    return SearchIndex(store, tokenizer, lexical, dense, encoder, saved)


def _read_manifest(folder: Path) -> Manifest:
    return Manifest(**json.loads((folder / _MANIFEST).read_text(encoding="utf-8")))


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _clean_up(folder: Path, keep: set[str]) -> None:
    """Everything but the generations to keep: older ones, folders of killed rewrites, the flat
    files of the first index layout. Readers that opened an older generation
    hold its data in memory, so removing its files does not disturb them."""
    for entry in folder.iterdir():
        if entry.name in keep or entry.name in (POINTER, "index.lock"):
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.endswith(".tmp") or entry.name in ("manifest.json", "dense.faiss"):
            entry.unlink(missing_ok=True)

"""Opening the knowledge base: the store, built if missing, its search index and the answerer.

The CLI and the Streamlit app both start here, so they answer from the same code path.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

from indexer.answering.answer import Answerer
from indexer.config import Settings
from indexer.ingest.units import UnitRegistry
from indexer.retrieval.generations import open_index
from indexer.storage.build import BuildReport, Progress, build
from indexer.storage.store import Store, StoreError


def build_store(
    config: Settings,
    paths: list[Path] | None = None,
    progress: Progress | None = None,
    waiting: Callable[[str], None] | None = None,
) -> BuildReport:
    """Bring the store up to date with ``paths`` (default: the corpus folder). Raises
    RegistryError when the unit registry cannot be read at all: then nothing is changed."""
    registry = UnitRegistry.load(config.registry_path)
    store = Store(config.store_path)
    try:
        return build(
            store,
            paths or [config.corpus_dir],
            registry,
            config.corpus_dir,
            config.limits,
            progress,
            waiting,
        )
    finally:
        store.close()


def store_is_empty(config: Settings) -> bool:
    if not config.store_path.exists():
        return True
    store = Store(config.store_path)
    try:
        return store.stats()["sources"] == 0
    finally:
        store.close()


def open_store(config: Settings) -> Store:
    """The store for reading: an error naming the file when there is none, it is not a store, or
    it holds no documents."""
    store = Store(config.store_path, create=False)
    if not store.stats()["documents_with_text"]:
        store.close()
        raise StoreError(
            f"{config.store_path}: the knowledge base holds no documents yet; put files into "
            f"{config.corpus_dir} and run `python -m indexer build`"
        )
    return store


def open_answerer(
    config: Settings, lexical_only: bool = False, progress: bool = False, encoder=None
) -> Answerer:
    """The answerer over one snapshot of the store and the search index made from it, rebuilt
    first when the store changed since the index was made.

    ``encoder``: a model already in memory (the app keeps one across refreshes); else the
    configured one is loaded, unless ``lexical_only`` (BM25 only, for machines without the model)."""
    store = open_store(config)
    if encoder is None and not lexical_only:
        # the model's libraries are imported only when vectors are wanted
        from indexer.retrieval.encoder import load_encoder

        encoder = load_encoder(config.model, config.encoder)
    # Builds may commit while this answerer lives: it keeps answering from the snapshot its
    # index was made from, and a new answerer picks up the new generation.
    store.hold_snapshot()
    index = open_index(store, config.index_dir, encoder, progress=progress)
    answerer = Answerer(store, index, config.limits, config.home)
    # What was just loaded (mostly torch and transformers: ~0.5M objects) lives as long as the
    # process: collect once now and exempt it from later full collections, each of which would
    # otherwise rescan it all (~240 ms) in the middle of some question.
    gc.collect()
    gc.freeze()
    return answerer

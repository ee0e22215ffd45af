"""Opening the knowledge base: the store, built if missing, its search index and the answerer.

The CLI and the Streamlit app both start here, so they answer from the same code path.
"""

from __future__ import annotations

import gc
from pathlib import Path

from indexer.answering.answer import Answerer
from indexer.config import Settings
from indexer.ingest.units import UnitRegistry
from indexer.retrieval.generations import open_index
from indexer.storage.build import BuildReport, build
from indexer.storage.store import Store


def build_store(config: Settings, paths: list[Path] | None = None, progress=None) -> BuildReport:
    """Bring the store up to date with ``paths`` (default: the corpus folder)."""
    store = Store(config.store_path)
    try:
        return build(
            store, paths or [config.corpus_dir], UnitRegistry.load(config.registry_path), progress
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


def open_answerer(
    config: Settings, lexical_only: bool = False, progress: bool = False, encoder=None
) -> Answerer:
    """The answerer over the store, (re)building the derived search index when the store changed.

    ``encoder``: a model already in memory (the app keeps one across refreshes); else the
    configured one is loaded, unless ``lexical_only`` (BM25 only, for machines without the model)."""
    if encoder is None and not lexical_only:
        from indexer.retrieval.encoder import (
            load_encoder,  # torch is imported only when vectors are wanted
        )

        encoder = load_encoder(config.model)
    store = Store(config.store_path)
    index = open_index(store, config.index_dir, encoder, progress=progress)
    answerer = Answerer(store, index)
    # What was just loaded (mostly torch and transformers: ~0.5M objects) lives as long as the
    # process: collect once now and exempt it from later full collections, each of which would
    # otherwise rescan it all (~240 ms) in the middle of some question.
    gc.collect()
    gc.freeze()
    return answerer

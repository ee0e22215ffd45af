"""The build on Ray Data makes the single-process build's store, row for row, and vectors within
cosine 0.9999 of the single-process index's, on the whole corpus with a 2-worker local cluster.

Ray is an extra install (requirements-ray.txt); `make test` and CI install it."""

from __future__ import annotations

import sqlite3

import faiss
import numpy as np
import pytest

from conftest import CORPUS
from indexer.config import settings
from indexer.retrieval.generations import open_index
from indexer.storage.store import GENERATION_KEY, Store

ray = pytest.importorskip("ray")

# Every table of the store; meta apart from the generation, a random token per build.
TABLES = (
    "documents", "sources", "clauses", "passages", "units", "unit_aliases", "clause_units",
    "clause_leads", "citations", "catalogue",
)  # fmt: skip


@pytest.fixture(scope="module")
def two_workers():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _rows(path, table: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT rowid, * FROM {table} ORDER BY rowid").fetchall()


def _vectors(index) -> dict[int, np.ndarray]:
    dense = index.dense.index
    return {int(pid): dense.reconstruct(int(pid)) for pid in index.passage_ids}


def test_the_ray_build_is_the_single_process_build(
    two_workers, tmp_path, corpus_store, corpus_answerer
):
    from indexer.raybuild import ray_build

    config = settings(var_dir=tmp_path / "var", corpus_dir=CORPUS)
    report = ray_build(config, progress=False)
    assert report.errors == [] and len(report.added) == len(corpus_store.sources())

    for table in TABLES:
        assert _rows(config.store_path, table) == _rows(corpus_store.path, table), table
    meta = {k: v for _, k, v in _rows(config.store_path, "meta") if k != GENERATION_KEY}
    assert meta == {k: v for _, k, v in _rows(corpus_store.path, "meta") if k != GENERATION_KEY}

    store = Store(config.store_path, create=False)
    try:
        index = open_index(store, config.index_dir, corpus_answerer.index.encoder)
        ours, theirs = _vectors(index), _vectors(corpus_answerer.index)
        assert isinstance(faiss.downcast_index(index.dense.index.index), faiss.IndexFlat)
        assert ours.keys() == theirs.keys()
        cosines = [float(ours[pid] @ theirs[pid]) for pid in ours]
        print(f"\ncosine Ray / single-process: min {min(cosines):.6f}")
        assert min(cosines) >= 0.9999
        # Every vector came from the Ray actors, and the manifest says which encoder made them.
        assert sum(index.manifest.vectors_by.values()) == len(ours)
        assert index.manifest.backend == corpus_answerer.index.encoder.backend
    finally:
        store.close()

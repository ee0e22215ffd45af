"""The build on Ray Data (``python -m indexer build --ray [ADDRESS]``): the store and its search
index, as the single-process ``build`` and ``index`` make them, with the work spread over a Ray
cluster (a local one by default).

Only the two costly stages move to Ray; the single writer stays as it is:

1. parsing: the files that changed are read, parsed and segmented in Ray tasks, each batch in
   the sandbox's worker process (ingest/sandbox.py, under the limits of ``kb.toml``), so a
   hostile file fails here exactly as it does in a single-process build;
2. the one write transaction of storage/build.py, in this process, from those parse results;
3. encoding: the passages the vector cache lacks go to a pool of Ray actors, each loading the
   encoder once; their vectors fill the same cache (storage/vectors.py);
4. the index generation of retrieval/generations.py, which then finds every vector cached.

So the store is the single-process build's, row for row, and the vectors agree to cosine ≥
0.9999 (tests/ray/). Workers read the files by path: on a cluster of several machines the corpus
and the package must be at the same paths on all of them (a shared folder).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from indexer.config import Limits, Settings
from indexer.ingest.sandbox import ParseResult, ParseTask, parse_all
from indexer.ingest.units import UnitRegistry
from indexer.retrieval.encoder import DEFAULT_MODEL, load_encoder
from indexer.retrieval.generations import embedding_texts, open_index
from indexer.storage.build import BuildReport, build
from indexer.storage.store import Store
from indexer.storage.vectors import VectorCache

ACTOR_CPUS = 1  # per encoder actor: one inference thread is the most passages per core
_ENCODE_BATCH = 256  # passages per actor call
_FILES_PER_TASK = 16  # at most; fewer when there are few files, so every CPU gets some
# Settings the Ray workers need as this process has them (the model cache, the encoder, offline).
_FORWARDED_ENV = ("POLICY_KB_", "HF_", "TRANSFORMERS_", "SENTENCE_TRANSFORMERS_")


def ray_build(
    config: Settings,
    paths: list[Path] | None = None,
    address: str | None = None,
    waiting: Callable[[str], None] | None = None,
    progress: bool = True,
) -> BuildReport:
    """Build the store from ``paths`` (default: the corpus) and bring its search index up to
    date, on the Ray cluster at ``address`` (None: a local one, or the one already joined)."""
    try:
        import ray
    except ImportError:
        raise ValueError(
            "--ray needs Ray, an extra install: pip install -r requirements-ray.txt"
        ) from None

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, runtime_env=_runtime_env(), log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = progress
    registry = UnitRegistry.load(config.registry_path)
    store = Store(config.store_path)
    try:
        report = build(
            store,
            paths or [config.corpus_dir],
            registry,
            config.corpus_dir,
            config.limits,
            waiting=waiting,
            parse=parse_on_ray,
        )
        store.hold_snapshot()  # the passages encoded are those the index is made from
        encode_on_ray(store, config)
        encoder = load_encoder(config.model, config.encoder)
        open_index(store, config.index_dir, encoder)
        return report
    finally:
        store.close()
        if started_here:
            ray.shutdown()


def parse_on_ray(tasks: list[ParseTask], limits: Limits) -> Iterator[ParseResult]:
    """``storage.build.Parser`` on Ray: batches of files, each in a sandbox worker of a task."""
    import ray

    if not tasks:
        return
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    per_task = max(1, min(_FILES_PER_TASK, -(-len(tasks) // cpus)))
    # Pickled: tasks and documents are plain dataclasses, not columns Arrow should look into.
    items = ray.data.from_items([{"task": pickle.dumps(task)} for task in tasks])
    parsed = items.map_batches(
        _parse_batch,
        fn_kwargs={"limits": limits},
        batch_size=per_task,
        batch_format="numpy",
        num_cpus=1,
    )
    for row in parsed.iter_rows():
        yield pickle.loads(row["result"])


def _parse_batch(batch: dict[str, np.ndarray], limits: Limits) -> dict[str, np.ndarray]:
    tasks = [pickle.loads(blob) for blob in batch["task"]]
    results = [pickle.dumps(result) for result in parse_all(tasks, limits, workers=1)]
    return {"result": np.array(results, dtype=object)}


def encode_on_ray(store: Store, config: Settings, actors: int | None = None) -> int:
    """Encode the store's passages missing from the vector cache on a pool of Ray actors (default:
    one per ``ACTOR_CPUS`` of the cluster) and cache them. Returns how many were encoded."""
    import ray

    model = config.model or DEFAULT_MODEL
    cache = VectorCache(config.var_dir / "embeddings.sqlite3")
    texts = cache.missing(model, embedding_texts(store.passages()))
    if not texts:
        return 0
    cpus = int(ray.cluster_resources().get("CPU", 1))
    pool = actors or max(1, cpus // ACTOR_CPUS)
    pool = min(pool, -(-len(texts) // _ENCODE_BATCH))  # no actor without a batch to encode
    encoded = ray.data.from_items([{"text": text} for text in texts]).map_batches(
        _EncodeActor,
        fn_constructor_kwargs={"model": config.model, "backend": config.encoder},
        batch_size=_ENCODE_BATCH,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=pool),
        num_cpus=ACTOR_CPUS,
    )
    for batch in encoded.iter_batches(batch_size=4096, batch_format="numpy"):
        for label in set(batch["encoder"]):
            rows = batch["encoder"] == label
            cache.put(model, list(batch["text"][rows]), batch["vector"][rows], str(label))
    return len(texts)


class _EncodeActor:
    """One encoder, loaded once per actor, on the actor's own CPUs."""

    def __init__(self, model: str | None, backend: str | None) -> None:
        self.encoder = load_encoder(model, backend, threads=ACTOR_CPUS)
        self.label = f"{self.encoder.backend}/{self.encoder.precision}"

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, Any]:
        texts = [str(text) for text in batch["text"]]
        return {
            "text": batch["text"],
            "vector": self.encoder.encode_passages(texts),
            "encoder": np.array([self.label] * len(texts)),
        }


def _runtime_env() -> dict[str, Any]:
    import indexer

    env = {k: v for k, v in os.environ.items() if k.startswith(_FORWARDED_ENV)}
    # The package travels with the job, so a cluster's workers import this very code.
    return {"py_modules": [str(Path(indexer.__file__).parent)], "env_vars": env}

"""Which FAISS index serves a million passages and more: recall@10 against exact search, memory per
million vectors, build and search time, for a few compressed candidates; run by hand.

    python -m bench.dense_scale --vectors var/embeddings.sqlite3 --size 1000000

Vectors as bench/synthetic.py makes them, without text: each is the normalised mean of two to
four real passage vectors of the given cache (one model's), plus a little noise, so they spread
like real passages do rather than like random points. The queries are the benchmark questions
(bench/questions.py) encoded with the real encoder; the truth is an exact inner-product search.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from bench.measure import latency_summary
from bench.questions import benchmark_questions

K = 10
# (label, faiss factory string, search parameter sets): nlist about √N, PQ of 4 dims a byte.
CANDIDATES = (
    ("HNSW32, flat vectors (today above 50k)", "HNSW32,Flat", [{"efSearch": 128}]),
    # k_factor 1 re-ranks only the k the PQ codes found: the recall of IVF-PQ alone.
    (
        "IVF1024,PQ96 re-ranked by SQ8",
        "IVF1024,PQ96,Refine(SQ8)",
        [
            {"nprobe": 16, "k_factor": 1},
            {"nprobe": 16, "k_factor": 4},
            {"nprobe": 32, "k_factor": 4},
            {"nprobe": 64, "k_factor": 4},
            {"nprobe": 128, "k_factor": 4},
        ],
    ),
    ("HNSW32,PQ96", "HNSW32_PQ96", [{"efSearch": 128}]),
)


def synthetic_vectors(base: np.ndarray, size: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((size, base.shape[1]), dtype=np.float32)
    for start in range(0, size, 100_000):
        n = min(100_000, size - start)
        parts = rng.integers(2, 5, size=n)
        picks = rng.integers(0, len(base), size=(n, 4))
        weights = (np.arange(4)[None, :] < parts[:, None]).astype(np.float32)
        block = np.einsum("nk,nkd->nd", weights, base[picks])
        block += rng.normal(scale=0.01, size=block.shape).astype(np.float32)
        out[start : start + n] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def _set(index: faiss.Index, params: dict[str, Any]) -> None:
    inner = faiss.downcast_index(index)
    if "k_factor" in params:
        inner.k_factor = params["k_factor"]
        inner = faiss.downcast_index(inner.base_index)
    if isinstance(inner, faiss.IndexPreTransform):
        inner = faiss.downcast_index(inner.index)
    if "nprobe" in params:
        faiss.extract_index_ivf(inner).nprobe = params["nprobe"]
    if "efSearch" in params:
        inner.hnsw.efSearch = params["efSearch"]


def measure(
    vectors: np.ndarray, queries: np.ndarray, train: int, only: str | None, skip: str | None
) -> list[dict]:
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    faiss.omp_set_num_threads(1)  # a question is searched on one thread, as when serving
    truth_scores, truth = exact.search(queries, K)
    results = []
    rng = np.random.default_rng(0)
    sample = vectors[rng.choice(len(vectors), size=min(train, len(vectors)), replace=False)]
    for label, factory, param_sets in CANDIDATES:
        if (only and only not in factory) or (skip and skip in factory):
            continue
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        index = faiss.index_factory(vectors.shape[1], factory, faiss.METRIC_INNER_PRODUCT)
        started = time.perf_counter()
        index.train(sample)
        trained = time.perf_counter() - started
        index.add(vectors)
        built = time.perf_counter() - started
        size = faiss.serialize_index(index).nbytes
        faiss.omp_set_num_threads(1)
        for params in param_sets:
            _set(index, params)
            times, found = [], []
            for query in queries:
                t0 = time.perf_counter()
                _, ids = index.search(query[None, :], K)
                times.append((time.perf_counter() - t0) * 1000)
                found.append(ids[0])
            hits = [len(set(f) & set(t)) / K for f, t in zip(found, truth, strict=True)]
            # Synthetic vectors share their parts, so the exact top ten is often one of many
            # near-ties: also count hits within 0.01 of the exact tenth's cosine.
            near = [
                np.mean(vectors[f[f >= 0]] @ q >= s[-1] - 0.01) if (f >= 0).any() else 0.0
                for f, q, s in zip(found, queries, truth_scores, strict=True)
            ]
            results.append(
                {
                    "index": label + "".join(f", {k} {v}" for k, v in params.items()),
                    "factory": factory,
                    "recall_at_10": float(np.mean(hits)),
                    "within_001_of_exact": float(np.mean(near)),
                    "bytes_per_vector": size / len(vectors),
                    "mib_per_million": size / len(vectors) * 1e6 / 2**20,
                    "train_seconds": trained,
                    "build_seconds": built,
                    "search_ms": latency_summary(times),
                }
            )
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
        del index
    return results


def load_base(cache: Path, model: str) -> np.ndarray:
    with sqlite3.connect(f"file:{cache}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT vector FROM vectors WHERE model = ?", (model,)).fetchall()
    return np.stack([np.frombuffer(v, dtype=np.float32) for (v,) in rows])


def run(
    cache: str, size: int, train: int, seed: int, only: str | None = None, skip: str | None = None
) -> dict[str, Any]:
    from indexer.retrieval.encoder import DEFAULT_MODEL, load_encoder

    base = load_base(Path(cache), DEFAULT_MODEL)
    encoder = load_encoder()
    queries = encoder.encode_queries(benchmark_questions(200))
    started = time.perf_counter()
    vectors = synthetic_vectors(base, size, seed)
    made = time.perf_counter() - started
    return {
        "size": size,
        "base_vectors": len(base),
        "synthesis_seconds": made,
        "train_sample": train,
        "queries": len(queries),
        "candidates": measure(vectors, queries, train, only, skip),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vectors", required=True, help="a vector cache (embeddings.sqlite3)")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--train", type=int, default=100_000, help="training sample")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", help="candidates whose factory string holds this")
    parser.add_argument("--skip", help="leave out candidates whose factory string holds this")
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON")
    args = parser.parse_args(argv)
    results = run(args.vectors, args.size, args.train, args.seed, args.only, args.skip)
    text = json.dumps(results, ensure_ascii=False, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

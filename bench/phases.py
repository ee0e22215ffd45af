"""One benchmark phase per process, so that each phase's peak RSS is its own.

    python -m bench.phases <phase> --params '<json>' --result <file.json>

bench/run.py starts these; each writes its measurements as JSON. Phases:

- ``store``: load + segment + store (``indexer.kb.build_store``) into a fresh var dir;
- ``index``: the search index as ``python -m indexer index`` builds it (``generations.open_index``),
  each step timed; with ``approximate_from`` the vectors come from ``bench.synthetic`` instead
  of the model;
- ``synth``: write the synthetic corpus;
- ``encode_sample``: the real encoder over a random sample of passages (throughput), and how
  close the approximate vectors are to the real ones;
- ``serve``: ``open_answerer``, then warm ``Answerer.ask`` latency per question and the full
  garbage collections that fell inside; unless ``diagnose`` is false, further passes say where
  the time goes (self-time per component, one torch thread against the default, cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import math
import pstats
import random
import sqlite3
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import scale
from bench.measure import SelfTimer, code_version, latency_summary, load_average, peak_rss_mb
from bench.questions import WARM_UP, benchmark_questions
from indexer.config import REPO_ROOT, settings

REAL_CORPUS = REPO_ROOT / "corpus"
SEED_VAR = REPO_ROOT / "var"


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _status_mib(field: str) -> float:
    """A VmRSS / VmHWM line of /proc/self/status, in MiB."""
    with open("/proc/self/status", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def _torch_threads(requested: int | None) -> int | None:
    if "torch" not in sys.modules and requested is None:
        return None
    import torch

    if requested:
        torch.set_num_threads(requested)
    return torch.get_num_threads()


def _store_stats(var: Path) -> dict[str, int]:
    from indexer.storage.store import Store

    store = Store(var / "policy.sqlite3")
    try:
        return store.stats()
    finally:
        store.close()


# -- phases ----------------------------------------------------------------------------------


def phase_store(var: str, paths: list[str] | None = None) -> dict[str, Any]:
    from indexer.kb import build_store

    config = settings(var_dir=var, corpus_dir=REAL_CORPUS)
    started = time.perf_counter()
    report = build_store(config, [Path(p) for p in paths] if paths else None)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "files_added": len(report.added),
        "errors": report.errors[:5],
        "error_count": len(report.errors),
        "stats": _store_stats(Path(var)),
        "store_mib": (Path(var) / "policy.sqlite3").stat().st_size / 2**20,
    }


def phase_index(
    var: str,
    approximate_from: str | None = None,
    torch_threads: int | None = None,
    encoder: str | None = None,
) -> dict[str, Any]:
    """Build the search index through the code path of ``python -m indexer index``, timing each
    step by self-time; "other" is what no timed step covers (reading rows, embedding texts)."""
    import faiss

    import indexer.retrieval.generations as generations
    from indexer.retrieval.bm25 import LexicalIndex
    from indexer.retrieval.dense import DenseIndex
    from indexer.retrieval.encoder import DEFAULT_MODEL, load_encoder
    from indexer.retrieval.search import SearchIndex
    from indexer.retrieval.tokenizer import Tokenizer
    from indexer.storage.store import Store
    from indexer.storage.vectors import VectorCache

    config = settings(var_dir=var, corpus_dir=REAL_CORPUS, encoder=encoder)
    store = Store(config.store_path)
    result: dict[str, Any] = {}
    if approximate_from is None:
        started = time.perf_counter()
        model: Any = load_encoder(config.model, config.encoder)
        result["model_load_seconds"] = time.perf_counter() - started
        result["backend"], result["precision"] = model.backend, model.precision
        encode_target: tuple[Any, str, str] = (type(model), "encode_passages", "encoding")
    else:
        from bench.synthetic import ApproximateEncoder, SentenceVectors

        source = Path(approximate_from)
        real_store = Store(source / "policy.sqlite3")
        loaded: list[Any] = []

        def encode_missing(texts: list[str]) -> Any:
            # Only when the seed run's cache lacks some real passage: then the model is needed.
            _log(f"encoding {len(texts)} real passages missing from the cache")
            if not loaded:
                loaded.append(load_encoder(config.model, config.encoder))
            return loaded[0].encode_passages(texts)

        started = time.perf_counter()
        vectors = SentenceVectors.from_store(
            real_store, source / "embeddings.sqlite3", config.model or DEFAULT_MODEL, encode_missing
        )
        result["sentence_vectors_seconds"] = time.perf_counter() - started
        result["sentence_vectors"] = len(vectors)
        result["real_passages_encoded_for_vectors"] = bool(loaded)
        model = ApproximateEncoder(config.model or DEFAULT_MODEL, vectors)
        encode_target = (ApproximateEncoder, "encode_passages", "vector synthesis (no model)")
    result["torch_threads"] = _torch_threads(torch_threads)

    timer = SelfTimer()
    targets = [
        (generations, "tokenizer_for", "tokeniser setup (jieba + store words)"),
        (Tokenizer, "tokens", "tokenise passages (jieba)"),
        (LexicalIndex, "build", "BM25 build (bm25s)"),
        encode_target,
        (VectorCache, "vectors", "embedding cache (hash, SQLite read/write)"),
        (DenseIndex, "build", "FAISS build"),
        (LexicalIndex, "save", "save indexes"),
        (DenseIndex, "save", "save indexes"),
        (Store, "passages", "read passages from the store"),
        (SearchIndex, "__init__", "index object (id maps)"),
    ]
    _log(f"indexing {var} ({'approximate vectors' if approximate_from else 'encoder'})")
    with timer.patching(targets):
        started = time.perf_counter()
        index = generations.open_index(store, config.index_dir, model)
        total = time.perf_counter() - started
    steps = dict(timer.seconds)
    steps["other (embedding texts, manifest, …)"] = total - sum(steps.values())
    dense = index.dense
    result |= {
        "seconds": total,
        "steps": steps,
        "calls": dict(timer.calls),
        "passages": len(index.passage_ids),
        "index_type": type(faiss.downcast_index(dense.index.index)).__name__ if dense else None,
        "vectors": len(dense) if dense else 0,
        "embedding_cache_mib": (Path(var) / "embeddings.sqlite3").stat().st_size / 2**20,
        "index_dir_mib": sum(f.stat().st_size for f in config.index_dir.rglob("*") if f.is_file())
        / 2**20,
    }
    if approximate_from is not None:
        result["approximation"] = {
            "parts_found": model.sentence_vectors.found_parts,
            "parts_missing": model.sentence_vectors.missing_parts,
            "passages_without_any_known_part": model.sentence_vectors.fallbacks,
        }
    return result


def phase_synth(real_var: str, out: str, clauses: int, seed: int) -> dict[str, Any]:
    from bench.synthetic import Material, write_corpus
    from indexer.storage.store import Store

    store = Store(Path(real_var) / "policy.sqlite3")
    started = time.perf_counter()
    material = Material.from_store(store)
    material_seconds = time.perf_counter() - started
    summary = write_corpus(material, Path(out), clauses, seed)
    return summary.__dict__ | {
        "material_seconds": material_seconds,
        "sentences": len(material.sentences),
        "headings": len(material.headings),
        "units": len(material.units),
        "places": len(summary.places),
    }


def phase_encode_sample(
    var: str,
    real_var: str,
    sample: int,
    seed: int,
    torch_threads: int | None = None,
    encoder: str | None = None,
) -> dict[str, Any]:
    """Passages/s of the real encoder on a seeded random sample of the store's passages."""
    import numpy as np

    from bench.synthetic import SentenceVectors
    from indexer.retrieval.encoder import load_encoder
    from indexer.retrieval.generations import embedding_text
    from indexer.storage.store import Store

    config = settings(var_dir=var, corpus_dir=REAL_CORPUS, encoder=encoder)
    store = Store(config.store_path)
    rows = store.passages()
    rng = random.Random(seed)
    picked = rng.sample(range(len(rows)), min(sample, len(rows)))
    texts = [embedding_text(json.loads(rows[i]["path_json"]), rows[i]["text"]) for i in picked]
    started = time.perf_counter()
    model = load_encoder(config.model, config.encoder)
    model_load = time.perf_counter() - started
    threads = _torch_threads(torch_threads)
    model.encode_passages(texts[:16])  # first-call set-up is not throughput
    _log(f"encoding a sample of {len(texts)} passages")
    started = time.perf_counter()
    real = model.encode_passages(texts)
    seconds = time.perf_counter() - started
    rate = len(texts) / seconds

    real_store = Store(Path(real_var) / "policy.sqlite3")
    vectors = SentenceVectors.from_store(
        real_store,
        Path(real_var) / "embeddings.sqlite3",
        model.name,
        model.encode_passages,
    )
    approximate = vectors.vectors(texts)
    agreement = (approximate * real).sum(axis=1)
    # What an unrelated pair scores, for scale: e5's cosines sit high even between strangers.
    shuffled = (real * real[np.random.default_rng(seed).permutation(len(real))]).sum(axis=1)
    return {
        "model_load_seconds": model_load,
        "backend": model.backend,
        "precision": model.precision,
        "torch_threads": threads,
        "sample": len(texts),
        "sample_chars_mean": float(np.mean([len(t) for t in texts])),
        "seconds": seconds,
        "passages_per_second": rate,
        "all_passages": len(rows),
        "extrapolated_seconds": len(rows) / rate,
        "approx_cosine_mean": float(agreement.mean()),
        "approx_cosine_p5": float(np.percentile(agreement, 5)),
        "unrelated_cosine_mean": float(shuffled.mean()),
    }


DIAGNOSIS_BUDGET_SECONDS = 60  # the extra passes take a subset when the timed pass was slow


def _serve_targets() -> list[tuple[Any, str, str]]:
    import indexer.answering.answer as answer_module
    import indexer.retrieval.search as search_module
    from indexer.retrieval.dense import DenseIndex
    from indexer.retrieval.encoder import TorchEncoder
    from indexer.retrieval.search import SearchIndex
    from indexer.storage.store import Store

    encoders = [(TorchEncoder, "encode_queries", "query encoding")]
    if "indexer.retrieval.openvino" in sys.modules:
        from indexer.retrieval.openvino import OpenVinoEncoder

        encoders.append((OpenVinoEncoder, "encode_queries", "query encoding"))
    return [
        (answer_module, "understand", "intent + vocabulary"),
        *encoders,
        (SearchIndex, "lexical_scores", "BM25 (jieba + bm25s scores)"),
        (DenseIndex, "search", "FAISS search"),
        (SearchIndex, "_allowed", "filter mask (SearchIndex._allowed)"),
        (search_module, "fuse", "fusion + roll-up"),
        (SearchIndex, "_roll_up", "fusion + roll-up"),
        (Store, "documents", "Store.documents()"),
        (Store, "clauses_by_id", "Store.clauses_by_id"),
        (answer_module, "unit_duties", "duty look-up (SQL)"),
        (answer_module, "leader_duties", "duty look-up (SQL)"),
        (Store, "find_document", "文号/title look-up"),
        (Store, "find_documents_by_title", "文号/title look-up"),
        (Store, "cited_by", "文号/title look-up"),
    ]


@contextmanager
def _full_collections() -> Iterator[list[float]]:
    """Durations (ms) of the full (generation 2) garbage collections while inside. Loading the
    encoder (torch, transformers) leaves ~0.5M objects for the collector to track, so one full
    pass takes ~250 ms, which shows up as a single slow question."""
    pauses: list[float] = []
    started = [0.0]

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        elif info["generation"] == 2:
            pauses.append((time.perf_counter() - started[0]) * 1000)

    gc.callbacks.append(note)
    try:
        yield pauses
    finally:
        gc.callbacks.remove(note)


def _breakdown(answerer: Any, asked: list[str]) -> dict[str, float]:
    """Self-time per component, mean ms per question, from an instrumented pass."""
    timer = SelfTimer()
    with timer.patching(_serve_targets()):
        started = time.perf_counter()
        for question in asked:
            answerer.ask(question)
        instrumented = time.perf_counter() - started
    breakdown = {label: seconds * 1000 / len(asked) for label, seconds in timer.seconds.items()}
    breakdown["other (numpy arg-sorts, dict work, …)"] = instrumented * 1000 / len(asked) - sum(
        breakdown.values()
    )
    return breakdown


def _thread_comparison(answerer: Any, asked: list[str]) -> dict[str, Any]:
    """Query encoding with one torch thread against torch's default (one per core), question by
    question in alternation so that both see the same background load; then whole asks with one
    thread. On a busy two-core machine the default oversubscribes the CPU."""
    import torch

    default_threads = torch.get_num_threads()
    counts = sorted({1, default_threads})
    times: dict[int, list[float]] = {count: [] for count in counts}
    for question in asked:
        for count in counts:
            torch.set_num_threads(count)
            started = time.perf_counter()
            answerer.index.encoder.encode_queries([question])
            times[count].append((time.perf_counter() - started) * 1000)
    one_thread_ask = None
    if default_threads != 1:
        torch.set_num_threads(1)
        asks = []
        for question in asked:
            started = time.perf_counter()
            answerer.ask(question)
            asks.append((time.perf_counter() - started) * 1000)
        one_thread_ask = latency_summary(asks)
    torch.set_num_threads(default_threads)
    return {
        "query_encoding_by_threads": {str(c): latency_summary(t) for c, t in times.items()},
        "ask_with_one_thread": one_thread_ask,
    }


def _profile(answerer: Any, asked: list[str], path: str) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for question in asked:
        answerer.ask(question)
    profiler.disable()
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    Path(path).write_text(buffer.getvalue(), encoding="utf-8")


def phase_serve(
    var: str,
    questions: int,
    torch_threads: int | None = None,
    profile: str | None = None,
    diagnose: bool = True,
    encoder: str | None = None,
) -> dict[str, Any]:
    """Open the answerer, warm it up, then time ``Answerer.ask`` on each question. With
    ``diagnose``, further passes say where the time goes (they never touch the timed pass)."""
    from indexer.kb import open_answerer
    from indexer.retrieval.generations import current_generation
    from indexer.storage.store import GENERATION_KEY, Store

    config = settings(var_dir=var, corpus_dir=REAL_CORPUS, encoder=encoder)
    current = current_generation(config.index_dir)
    manifest = (current or config.index_dir) / "manifest.json"
    store = Store(config.store_path)
    generation = store.get_meta(GENERATION_KEY)
    store.close()
    # Opening a stale index would rebuild it here, encoding every passage: hours at 100k.
    if (
        not manifest.exists()
        or json.loads(manifest.read_text(encoding="utf-8"))["generation"] != generation
    ):
        raise SystemExit(f"{config.index_dir}: no current index; run the index phase first")

    started = time.perf_counter()
    answerer = open_answerer(config)
    open_seconds = time.perf_counter() - started
    threads = _torch_threads(torch_threads)
    rss_open = _status_mib("VmRSS")
    for question in WARM_UP:
        answerer.ask(question)

    asked = benchmark_questions(questions)
    by_intent: dict[str, list[float]] = defaultdict(list)
    everything: list[float] = []
    slowest: list[tuple[float, str, str]] = []
    _log(f"asking {len(asked)} questions")
    with _full_collections() as collections:
        for question in asked:
            started = time.perf_counter()
            result = answerer.ask(question)
            elapsed = (time.perf_counter() - started) * 1000
            everything.append(elapsed)
            by_intent[result["intent"]].append(elapsed)
            slowest.append((elapsed, result["intent"], question))
    slowest.sort(reverse=True)
    model = answerer.index.encoder
    result = {
        "open_seconds": open_seconds,
        "backend": model.backend if model else None,
        "precision": model.precision if model else None,
        "torch_threads": threads,
        "rss_after_open_mib": rss_open,
        "questions": len(asked),
        "latency": latency_summary(everything),
        "by_intent": {k: latency_summary(v) for k, v in sorted(by_intent.items())},
        "slowest": [{"ms": ms, "intent": intent, "q": q} for ms, intent, q in slowest[:8]],
        "full_gc_pauses_ms": collections,
        "gc_tracked_objects": len(gc.get_objects()),
        "peak_rss_timed_mib": peak_rss_mb(),
        "stats": _store_stats(Path(var)),
    }
    if not diagnose:
        return result

    # Every k-th question when the timed pass was slow, so that diagnosis stays affordable.
    step = max(1, math.ceil(sum(everything) / 1000 / DIAGNOSIS_BUDGET_SECONDS))
    subset = asked[::step]
    _log(f"diagnosing on {len(subset)} questions")
    result["diagnosed_questions"] = len(subset)
    result["breakdown_ms"] = _breakdown(answerer, subset)
    if model is not None and model.backend == "torch":
        result |= _thread_comparison(answerer, subset)
    if profile:
        _profile(answerer, subset, profile)
        result["profile"] = profile
    return result


def prepare_real_vectors(small_var: str) -> dict[str, Any]:
    """``--only large`` without a seed run: reuse the checked-out var/'s vector cache (copied,
    never written) so that the real passages need not be encoded again."""
    target = Path(small_var) / "embeddings.sqlite3"
    source = SEED_VAR / "embeddings.sqlite3"
    if target.exists() or not source.exists():
        return {"copied": False}
    # The backup API, not a file copy: another process may be writing to var/ meanwhile.
    with (
        sqlite3.connect(f"file:{source}?mode=ro", uri=True) as reader,
        sqlite3.connect(target) as writer,
    ):
        reader.backup(writer)
    return {"copied": True, "from": str(source)}


PHASES = {
    "ray_build": scale.phase_ray_build,
    "interleaved": scale.phase_interleaved,
    "dense_scale": scale.phase_dense_scale,
    "store": phase_store,
    "index": phase_index,
    "synth": phase_synth,
    "encode_sample": phase_encode_sample,
    "serve": phase_serve,
    "prepare_real_vectors": prepare_real_vectors,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one benchmark phase (see bench/run.py).")
    parser.add_argument("phase", choices=sorted(PHASES))
    parser.add_argument("--params", default="{}", help="keyword arguments, as JSON")
    parser.add_argument("--result", type=Path, required=True)
    args = parser.parse_args(argv)
    load_before = load_average()
    version = code_version()
    started = time.perf_counter()
    result = PHASES[args.phase](**json.loads(args.params))
    result |= {
        "code_version": version,
        "wall_seconds": time.perf_counter() - started,
        "peak_rss_mib": peak_rss_mb(),
        "load_before": load_before,
        "load_after": load_average(),
    }
    args.result.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

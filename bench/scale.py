"""Benchmark phases and report sections for issue 11: the backends side by side, the build on a
local Ray cluster against the single-process build, and FAISS at a million vectors.

Phases run in processes of their own through bench/phases.py (``ray_build``, ``dense_scale``);
bench/run.py renders the sections below into bench/results.md.
"""

from __future__ import annotations

import time
from typing import Any

from bench.measure import SelfTimer
from indexer.config import REPO_ROOT, settings


def phase_ray_build(var: str, cpus: int = 2, encoder: str | None = None) -> dict[str, Any]:
    """``python -m indexer build --ray`` on the real corpus, on a local cluster of ``cpus``
    workers, into a fresh var dir: store and index, every passage encoded by the actors."""
    import ray

    import indexer.raybuild as raybuild

    config = settings(var_dir=var, corpus_dir=REPO_ROOT / "corpus", encoder=encoder)
    started = time.perf_counter()
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    startup = time.perf_counter() - started
    timer = SelfTimer()
    targets = [
        (raybuild, "encode_on_ray", "encoding (Ray actors)"),
        (raybuild, "load_encoder", "model load (this process)"),
        (raybuild, "open_index", "index generation (lexical + FAISS)"),
    ]
    try:
        with timer.patching(targets):
            started = time.perf_counter()
            report = raybuild.ray_build(config, progress=False)
            total = time.perf_counter() - started
    finally:
        ray.shutdown()
    steps = dict(timer.seconds)
    steps["parse (Ray tasks) + store"] = total - sum(steps.values())
    passages = _passages(config.store_path)
    return {
        "cpus": cpus,
        "ray_startup_seconds": startup,
        "seconds": total,
        "steps": steps,
        "passages": passages,
        "files": len(report.added),
        "errors": len(report.errors),
    }


def phase_interleaved(var: str, sample: int = 400, rounds: int = 3, seed: int = 7) -> dict:
    """Both backends in one process, taking turns on the same passages (round by round) and the
    same questions (question by question): on a shared machine whose load drifts, the ratio
    stays fair where two phases minutes apart may not."""
    import random
    import statistics

    from bench.measure import latency_summary
    from bench.questions import benchmark_questions
    from indexer.retrieval.encoder import load_encoder
    from indexer.retrieval.generations import embedding_texts
    from indexer.storage.store import Store

    store = Store(settings(var_dir=var).store_path)
    texts = embedding_texts(store.passages())
    store.close()
    texts = random.Random(seed).sample(texts, min(sample, len(texts)))
    encoders = {name: load_encoder(backend=name) for name in ("torch", "openvino")}
    rates: dict[str, list[float]] = {name: [] for name in encoders}
    for number in range(rounds):
        for name in sorted(encoders, reverse=bool(number % 2)):
            started = time.perf_counter()
            encoders[name].encode_passages(texts)
            rates[name].append(len(texts) / (time.perf_counter() - started))
    queries: dict[str, list[float]] = {name: [] for name in encoders}
    for question in benchmark_questions(200):
        for name, encoder in encoders.items():
            started = time.perf_counter()
            encoder.encode_queries([question])
            queries[name].append((time.perf_counter() - started) * 1000)
    median = {name: statistics.median(values) for name, values in rates.items()}
    return {
        "sample": len(texts),
        "rounds": rounds,
        "passages_per_second": rates,
        "median_passages_per_second": median,
        "speedup": median["openvino"] / median["torch"],
        "precision": encoders["openvino"].precision,
        "query_ms": {name: latency_summary(values) for name, values in queries.items()},
    }


def _passages(store_path) -> int:
    from indexer.storage.store import Store

    store = Store(store_path)
    try:
        return store.stats()["passages"]
    finally:
        store.close()


def phase_dense_scale(cache: str, size: int, train: int, seed: int) -> dict[str, Any]:
    from bench.dense_scale import run

    return run(cache, size, train, seed)


# -- report sections ---------------------------------------------------------------------------


def interleaved_section(small: dict[str, Any]) -> list[str]:
    turns = small.get("interleaved")
    if not turns:
        return []
    rates = turns["median_passages_per_second"]
    queries = turns["query_ms"]
    return [
        f"Taking turns in one process (`interleaved` phase: {turns['sample']} random passages, "
        f"{turns['rounds']} rounds each, then 200 questions one at a time, alternating), which a "
        "drifting load cannot tilt:",
        "",
        "| backend | passages/s (median) | one question p50 / p95 ms |",
        "|---|---:|---:|",
        *(
            f"| {name} | {rates[name]:.1f} | {queries[name]['p50']:.1f} / {queries[name]['p95']:.1f} |"
            for name in rates
        ),
        f"| **openvino ({turns['precision']}) / torch** | **{turns['speedup']:.2f}×** | |",
        "",
    ]


def backends_section(small: dict[str, Any]) -> list[str]:
    """Encoding and warm asks per backend, measured in one run on the same store."""
    backends = small.get("backends") or {}
    if len(backends) < 2:
        return []
    base = backends.get("torch")
    lines = [
        "### The encoder backends side by side",
        "",
        "The same store indexed from an empty vector cache, then served, by each backend in turn "
        "(one process per phase).",
        "",
        "| backend | precision | encoding s | passages/s | × torch | model load s | warm ask "
        "p50 / p95 ms | query encoding mean ms | serve peak RSS MiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, phases in backends.items():
        index, serve = phases["index"], phases["serve"]
        seconds = index["steps"]["encoding"]
        rate = index["passages"] / seconds
        speedup = base["index"]["steps"]["encoding"] / seconds if base else None
        query = serve.get("breakdown_ms", {}).get("query encoding")
        lines.append(
            f"| {name} | {index.get('precision', '–')} | {seconds:.1f} | {rate:.1f} | "
            f"{'–' if speedup is None else f'{speedup:.2f}×'} | "
            f"{index['model_load_seconds']:.1f} | {serve['latency']['p50']:.1f} / "
            f"**{serve['latency']['p95']:.1f}** | {'–' if query is None else f'{query:.1f}'} | "
            f"{serve['peak_rss_timed_mib']:,.0f} |"
        )
    return [*lines, ""]


def ray_section(small: dict[str, Any]) -> list[str]:
    ray = small.get("ray")
    if not ray:
        return []
    single_store = small["store"]["seconds"]
    index = small["index"]
    single = single_store + sum(index["steps"].values())
    encoding = index["steps"]["encoding"]
    actors = ray["steps"]["encoding (Ray actors)"]
    lines = [
        f"### The build on Ray Data (local cluster, {ray['cpus']} workers)",
        "",
        "`python -m indexer build --ray` on the same corpus into a fresh var dir (store and "
        "index, every passage encoded by the actors), against the single-process `build` + "
        f"`index` above, same backend ({index.get('backend', '–')}, {index.get('precision', '–')}). "
        f"Ray's own start: {ray['ray_startup_seconds']:.1f} s (not in the totals).",
        "",
        "| | single process s | Ray s |",
        "|---|---:|---:|",
        f"| parse + store | {single_store:.1f} | {ray['steps']['parse (Ray tasks) + store']:.1f} |",
        f"| encoding | {encoding:.1f} ({index['passages'] / encoding:.1f} passages/s) | "
        f"{actors:.1f} ({ray['passages'] / actors:.1f} passages/s) |",
        f"| **total** | **{single:.1f}** | **{ray['seconds']:.1f}** |",
        "",
    ]
    return lines


def dense_section(dense: dict[str, Any] | None) -> list[str]:
    if not dense:
        return []
    lines = [
        f"## FAISS at {dense['size']:,} vectors",
        "",
        f"`python -m bench.dense_scale` (through `bench.run --dense-scale {dense['size']}`): "
        f"synthetic vectors (normalised means of 2–4 of {dense['base_vectors']:,} real passage "
        f"vectors, plus noise), {dense['queries']} real questions, truth by exact search; "
        f"training on a sample of {dense['train_sample']:,}; search on one thread.",
        "",
        "| index | recall@10 | bytes / vector | MiB per million | train s | build s | "
        "search p50 / p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for c in dense["candidates"]:
        lines.append(
            f"| {c['index']} | {c['recall_at_10']:.3f} | {c['bytes_per_vector']:.0f} | "
            f"{c['mib_per_million']:,.0f} | {c['train_seconds']:.0f} | {c['build_seconds']:.0f} | "
            f"{c['search_ms']['p50']:.2f} / {c['search_ms']['p95']:.2f} |"
        )
    return [*lines, ""]

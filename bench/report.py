"""Tables and sections of bench/results.md, from the results bench/run.py gathers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.questions import WARM_UP

INTENTS = ("who", "unit", "leader", "docnum", "search")


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def secs(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def mib(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def verdict(ok: bool) -> str:
    return "✅" if ok else "❌"


def load(phase: dict[str, Any]) -> str:
    return f"{phase['load_before'][0]:.2f} → {phase['load_after'][0]:.2f}"


def latency_table(serve: dict[str, Any], target_ms: float) -> list[str]:
    lines = [
        f"Warm `Answerer.ask`, {serve['questions']} questions after {len(WARM_UP)} warm-up questions "
        f"(answerer opened in {serve['open_seconds']:.1f} s; encoder {serve.get('backend', 'torch')}, "
        f"{serve.get('precision', 'f32')}; torch threads {serve['torch_threads']}). "
        f"Target p95 ≤ {target_ms:.0f} ms.",
        "",
        "| intent | n | mean ms | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    rows = [("**all**", serve["latency"])]
    rows += [(k, serve["by_intent"][k]) for k in INTENTS if k in serve["by_intent"]]
    rows += [(k, v) for k, v in serve["by_intent"].items() if k not in INTENTS]
    for name, stats in rows:
        lines.append(
            f"| {name} | {stats['n']} | {ms(stats.get('mean'))} | {ms(stats.get('p50'))} | "
            f"{ms(stats.get('p95'))} | {ms(stats.get('max'))} |"
        )
    if serve.get("breakdown_ms"):
        lines += [
            "",
            f"Where an ask's time goes (self-time per question: mean over a second, instrumented "
            f"pass of {serve['diagnosed_questions']} of the questions):",
            "",
            "| component | mean ms / question | share |",
            "|---|---:|---:|",
        ]
        total = sum(serve["breakdown_ms"].values())
        for label, spent in sorted(serve["breakdown_ms"].items(), key=lambda item: -item[1]):
            lines.append(f"| {label} | {spent:.2f} | {spent / total:.0%} |")
    sweep = serve.get("query_encoding_by_threads") or {}
    if sweep:
        lines += [
            "",
            "Query encoding alone (`Encoder.encode_queries`, one question at a time, the thread "
            "counts alternating question by question) and the whole ask again with one torch "
            "thread:",
            "",
            "| measured | torch threads | mean ms | p50 ms | p95 ms |",
            "|---|---:|---:|---:|---:|",
        ]
        for threads, stats in sorted(sweep.items()):
            lines.append(
                f"| query encoding | {threads} | {ms(stats['mean'])} | {ms(stats['p50'])} | "
                f"{ms(stats['p95'])} |"
            )
        one = serve.get("ask_with_one_thread")
        if one:
            lines.append(
                f"| whole ask | 1 | {ms(one['mean'])} | {ms(one['p50'])} | {ms(one['p95'])} |"
            )
    pauses = serve.get("full_gc_pauses_ms", [])
    lines += [
        "",
        f"Full (generation 2) garbage collections during the timed pass: {len(pauses)}"
        + (f", {', '.join(f'{p:.0f}' for p in pauses)} ms" if pauses else "")
        + f" ({serve.get('gc_tracked_objects', 0):,} objects tracked).",
        "",
        "Slowest questions:",
        "",
    ]
    lines += [f"- {q['ms']:.0f} ms ({q['intent']}): {q['q']}" for q in serve["slowest"][:5]]
    if serve.get("profile"):
        lines += ["", f"cProfile of the ask loop: `{Path(serve['profile']).name}`"]
    return lines


def serve_memory(serve: dict[str, Any]) -> list[str]:
    rows = [
        f"| serve: answerer opened | {mib(serve['rss_after_open_mib'])} (RSS then) | | |",
        f"| serve: answerer + {serve['questions']} questions | "
        f"{mib(serve['peak_rss_timed_mib'])} | {secs(serve['wall_seconds'])} | {load(serve)} |",
    ]
    if serve.get("diagnosed_questions"):
        rows.append(f"| serve, with the diagnostic passes | {mib(serve['peak_rss_mib'])} | | |")
    return rows


def build_table(store: dict[str, Any], index: dict[str, Any], encode_label: str) -> list[str]:
    """Build steps in seconds and shares; the encoding line is whatever produced the vectors."""
    steps = {"load + segment + store (`indexer.build.build`)": store["seconds"]}
    steps |= index["steps"]
    total = sum(steps.values())
    lines = ["| step | seconds | share |", "|---|---:|---:|"]
    for label, seconds in steps.items():
        name = f"**{label}**" if label == encode_label else label
        lines.append(f"| {name} | {seconds:.2f} | {seconds / total:.1%} |")
    lines.append(f"| **total** | **{total:.2f}** | 100% |")
    return lines


def lexical_seconds(index: dict[str, Any]) -> float:
    return sum(v for k, v in index["steps"].items() if k.startswith(("tokeni", "BM25")))


def faiss_seconds(index: dict[str, Any]) -> float:
    return index["steps"].get("FAISS build", 0.0)


def real_encoding(large: dict[str, Any]) -> list[str]:
    index = large["index"]
    seconds = index["steps"]["encoding"]
    return [
        f"Encoding **measured in full**: {index['passages']:,} passages in {seconds:.0f} s "
        f"({seconds / 60:.1f} min) = {index['passages'] / seconds:.1f} passages/s on "
        f"{index.get('backend')} ({index.get('precision')}). Dense index: "
        f"**{index['index_type']}** over {index['vectors']:,} vectors.",
        "",
        *build_table(
            {"seconds": 0.0} | {"seconds": index.get("store_seconds", 0.0)}, index, "encoding"
        ),
        "",
        f"Lexical index: {lexical_seconds(index):.1f} s; FAISS build {faiss_seconds(index):.1f} s.",
        "",
    ]


def synthetic_vectors(large: dict[str, Any]) -> list[str]:
    sample, index = large["encode_sample"], large["index"]
    approx = index.get("approximation", {})
    parts = approx.get("parts_found", 0) + approx.get("parts_missing", 0)
    synthesis = index["steps"].get("vector synthesis (no model)", 0.0)
    build = large["store"]["seconds"] + sum(index["steps"].values()) - synthesis
    return [
        f"Encoding is **extrapolated**: the encoder ({sample.get('backend')}, "
        f"{sample.get('precision')}) did a random sample of "
        f"{sample['sample']:,} passages (mean {sample['sample_chars_mean']:.0f} characters) in "
        f"{sample['seconds']:.1f} s = {sample['passages_per_second']:.1f} passages/s, so all "
        f"{sample['all_passages']:,} passages would take "
        f"**≈ {sample['extrapolated_seconds'] / 60:.0f} min "
        f"({sample['extrapolated_seconds']:.0f} s, extrapolated)**.",
        "",
        f"Vectors were instead made without the model: each passage's vector is the "
        f"normalised mean of the cached vectors of the real passages its sentences and heading "
        f"titles come from ({approx.get('parts_found', 0):,} of {parts:,} parts found; "
        f"{approx.get('passages_without_any_known_part', 0):,} passages with no known part "
        f"took a real passage's vector). On the encoded sample, their cosine to the real "
        f"vectors is {sample['approx_cosine_mean']:.3f} on average (5th percentile "
        f"{sample['approx_cosine_p5']:.3f}; two unrelated passages score "
        f"{sample['unrelated_cosine_mean']:.3f}). Dense index: **{index['index_type']}** "
        f"over {index['vectors']:,} vectors.",
        "",
        *build_table(large["store"], index, "vector synthesis (no model)"),
        "",
        f"With the encoding extrapolated instead of the vector synthesis, the build would take "
        f"≈ {(build + sample['extrapolated_seconds']) / 60:.0f} min. Lexical index: "
        f"{lexical_seconds(index):.1f} s; FAISS build {faiss_seconds(index):.1f} s.",
        "",
    ]

"""Speed and memory of the knowledge base, at seed size and at 100k clauses; run by hand.

    python -m bench.run                          # both sizes, → bench/results.md
    python -m bench.run --only small             # the real corpus, both backends, Ray (~8 min)
    python -m bench.run --only large --size 100000   # encoded in full with the fast backend
    python -m bench.run --only large --size 1100000 --vectors synthetic   # 1M passages served
    python -m bench.run --only small --dense-scale 1000000   # FAISS candidates at 1M vectors
    python -m bench.run --encoders openvino --no-ray         # one backend only
    python -m bench.run --torch-threads 1        # torch's thread count in every phase
    python -m bench.run --profile                # also cProfile the ask loops (bench/profile-*.txt)
    python -m bench.run --no-diagnose            # time the asks only, no diagnostic passes
    python -m bench.run --keep --workdir /tmp/b  # keep the temporary stores and indexes

Seed size: the real corpus/ is built into a fresh temporary var dir (never var/), then indexed
from an empty embedding cache by each backend of ``--encoders`` in turn (the last one's var dir
is the one the large run draws on), so encoding is really measured; then ``Answerer.ask`` is
timed warm on 200 questions (bench/questions.py) per backend. With Ray installed, the build on a
local 2-worker Ray cluster follows (bench/scale.py). 100k: bench/synthetic.py writes documents
made of the real corpus's sentences until the store (real corpus + synthetic) holds ``--size``
clauses; the build, the lexical index and (``--vectors real``, the default) the encoding are
measured in full. ``--vectors synthetic`` (for a million passages) encodes a random ``--sample``
instead and builds the FAISS index from vectors made without the model (bench/synthetic.py), so
that ask latency is measured on an index of the real size.

Each phase runs in its own process (bench/phases.py), so the peak RSS reported for a phase is
that phase's alone. The Markdown printed is also written to ``--out`` (bench/results.md).
Times are for an otherwise idle machine: on two cores, one other busy process (a test run)
makes torch's two threads wait on each other and query encoding several times slower, so the
load averages are reported beside every phase.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.measure import code_version, load_average, machine
from bench.report import (
    build_table,
    faiss_seconds,
    latency_table,
    lexical_seconds,
    load,
    mib,
    real_encoding,
    secs,
    serve_memory,
    synthetic_vectors,
    verdict,
)
from bench.scale import backends_section, dense_section, interleaved_section, ray_section
from indexer.config import REPO_ROOT

BENCH_DIR = Path(__file__).resolve().parent
TARGET_P95_SMALL_MS = 50
TARGET_P95_LARGE_MS = 100
TARGET_NON_ENCODING_SHARE = 0.30
TARGET_P95_FAST_MS = 20  # issue 11: with the fast encoder
TARGET_SPEEDUP = 2.5


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run_phase(name: str, workdir: Path, label: str, **params: Any) -> dict[str, Any]:
    """Run one phase in a fresh interpreter and return what it measured."""
    result_path = workdir / f"{label}.json"
    command = [
        sys.executable,
        "-m",
        "bench.phases",
        name,
        "--params",
        json.dumps(params),
        "--result",
        str(result_path),
    ]
    _log(f"{label}: {name} {json.dumps(params, ensure_ascii=False)}")
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO_ROOT, check=True)
    result = json.loads(result_path.read_text(encoding="utf-8"))
    _log(f"{label}: done in {time.perf_counter() - started:.1f} s")
    return result


# -- running -----------------------------------------------------------------------------------


def run_small(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    var = workdir / "seed"
    results: dict[str, Any] = {"var": str(var), "backends": {}}
    results["store"] = run_phase("store", workdir, "seed-store", var=str(var))
    encoders = args.encoders.split(",")
    for backend in encoders[:-1]:  # the same store for each; the last backend indexes seed/
        (workdir / f"seed-{backend}").mkdir(exist_ok=True)
        shutil.copy(var / "policy.sqlite3", workdir / f"seed-{backend}" / "policy.sqlite3")
    for backend in encoders:
        here = var if backend == encoders[-1] else workdir / f"seed-{backend}"
        common = {"var": str(here), "torch_threads": args.torch_threads, "encoder": backend}
        index = run_phase("index", workdir, f"seed-index-{backend}", **common)
        profile = BENCH_DIR / f"profile-seed-{backend}.txt"
        serve = run_phase(
            "serve",
            workdir,
            f"seed-serve-{backend}",
            questions=args.questions,
            profile=str(profile) if args.profile else None,
            diagnose=not args.no_diagnose,
            **common,
        )
        results["backends"][backend] = {"index": index, "serve": serve}
    results["index"], results["serve"] = index, serve  # the last (fast) backend's
    if {"torch", "openvino"} <= set(encoders):
        results["interleaved"] = run_phase("interleaved", workdir, "seed-interleaved", var=str(var))
    if args.ray:
        results["ray"] = run_phase(
            "ray_build", workdir, "seed-ray", var=str(workdir / "seed-ray"), encoder=encoders[-1]
        )
    if args.dense_scale:
        results["dense"] = run_phase(
            "dense_scale",
            workdir,
            "dense-scale",
            cache=str(var / "embeddings.sqlite3"),
            size=args.dense_scale,
            train=args.train,
            seed=args.seed,
        )
    return results


def run_large(args: argparse.Namespace, workdir: Path, small: dict[str, Any] | None) -> dict:
    seed_var = workdir / "seed"
    var = workdir / "large"
    synth = workdir / "synthetic-corpus"
    results: dict[str, Any] = {"var": str(var), "corpus": str(synth)}
    if small is None:
        # The synthetic documents are made of the seed store's sentences and vectors.
        small = {"store": run_phase("store", workdir, "seed-store", var=str(seed_var))}
        results["real_vectors"] = run_phase(
            "prepare_real_vectors", workdir, "seed-vectors", small_var=str(seed_var)
        )
    real_clauses = small["store"]["stats"]["clauses"]
    results["synth"] = run_phase(
        "synth",
        workdir,
        "large-synth",
        real_var=str(seed_var),
        out=str(synth),
        clauses=max(args.size - real_clauses, 0),
        seed=args.seed,
    )
    results["store"] = run_phase(
        "store",
        workdir,
        "large-store",
        var=str(var),
        paths=[str(REPO_ROOT / "corpus"), str(synth)],
    )
    backend = args.encoders.split(",")[-1]
    if args.vectors == "synthetic":
        results["encode_sample"] = run_phase(
            "encode_sample",
            workdir,
            "large-encode-sample",
            var=str(var),
            real_var=str(seed_var),
            sample=args.sample,
            seed=args.seed,
            torch_threads=args.torch_threads,
            encoder=backend,
        )
    results["index"] = run_phase(
        "index",
        workdir,
        "large-index",
        var=str(var),
        approximate_from=str(seed_var) if args.vectors == "synthetic" else None,
        torch_threads=args.torch_threads,
        encoder=backend,
    )
    results["serve"] = run_phase(
        "serve",
        workdir,
        "large-serve",
        var=str(var),
        questions=args.questions,
        torch_threads=args.torch_threads,
        profile=str(BENCH_DIR / "profile-large.txt") if args.profile else None,
        diagnose=not args.no_diagnose,
        encoder=backend,
    )
    return results


# -- reporting ---------------------------------------------------------------------------------


def _mixed_code_warning(results: dict[str, Any]) -> list[str]:
    """indexer/ may change while a long run goes on; then phases measured different code."""
    versions = {
        f"{size}/{name}": phase["code_version"]
        for size in ("small", "large")
        for name, phase in (results.get(size) or {}).items()
        if isinstance(phase, dict) and "code_version" in phase
    }
    if len(set(versions.values()) | {results["commit"]}) <= 1:
        return []
    listed = ", ".join(f"{k}: `{v}`" for k, v in versions.items())
    return [
        f"**Warning: indexer/ changed during the run; phases measured different code** ({listed}).",
        "",
    ]


def render(results: dict[str, Any]) -> str:
    info = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        f"Run {results['started']} with `{results['command']}`, indexer/ at commit "
        f"`{results['commit']}`"
        f" ({results['total_minutes']:.1f} min in all). Produced by `python -m bench.run`; "
        "numbers are from one run on a shared machine, so read them with the load averages.",
        "",
        *_mixed_code_warning(results),
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {info['cpu_model']} |",
        f"| nproc / usable | {info['nproc']} / {info['usable_cpus']} |",
        f"| memory | {info['memory_gib']} GiB |",
        f"| torch threads (serving) | {results.get('torch_threads', '–')} |",
        f"| load average (1/5/15 min) at start | {' / '.join(f'{x:.2f}' for x in results['load_start'])} |",
        f"| Python | {info['python']} |",
        "| packages | " + ", ".join(f"{k} {v}" for k, v in info["packages"].items()) + " |",
        "",
    ]
    summary = ["## Targets", "", "| measure | result | target | |", "|---|---:|---:|---|"]
    small, large = results.get("small"), results.get("large")
    if small:
        p95 = small["serve"]["latency"]["p95"]
        summary.append(
            f"| warm ask p95, seed corpus ({small['serve'].get('backend')}) | {p95:.1f} ms | "
            f"≤ {TARGET_P95_FAST_MS} ms | {verdict(p95 <= TARGET_P95_FAST_MS)} |"
        )
        torch_run = small.get("backends", {}).get("torch")
        if torch_run and small["index"].get("backend") != "torch":
            speedup = torch_run["index"]["steps"]["encoding"] / small["index"]["steps"]["encoding"]
            summary.append(
                f"| build encoding, {small['index'].get('backend')} against torch (same run) | "
                f"{speedup:.2f}× | ≥ {TARGET_SPEEDUP}× | {verdict(speedup >= TARGET_SPEEDUP)} |"
            )
        encoding = small["index"]["steps"]["encoding"]
        total = small["store"]["seconds"] + sum(small["index"]["steps"].values())
        share = (total - encoding) / total
        summary.append(
            f"| build: share of everything but encoding, seed corpus | {share:.1%} | "
            f"≤ {TARGET_NON_ENCODING_SHARE:.0%} | {verdict(share <= TARGET_NON_ENCODING_SHARE)} |"
        )
    if large:
        p95 = large["serve"]["latency"]["p95"]
        summary.append(
            f"| warm ask p95, {large['serve']['stats']['clauses']:,} clauses | {p95:.1f} ms | "
            f"≤ {TARGET_P95_LARGE_MS} ms | {verdict(p95 <= TARGET_P95_LARGE_MS)} |"
        )
        measured = "encode_sample" not in large
        steps = large["index"]["steps"]
        encoding = steps["encoding"] if measured else large["encode_sample"]["extrapolated_seconds"]
        rest = (
            large["store"]["seconds"]
            + sum(steps.values())
            - steps.get("vector synthesis (no model)", 0.0)
            - steps.get("encoding", 0.0)
        )
        share = rest / (rest + encoding)
        how = "measured in full" if measured else "encoding extrapolated"
        summary.append(
            f"| build: share of everything but encoding, {large['store']['stats']['clauses']:,} "
            f"clauses ({how}) | {share:.1%} | ≤ {TARGET_NON_ENCODING_SHARE:.0%} | "
            f"{verdict(share <= TARGET_NON_ENCODING_SHARE)} |"
        )
    lines += [*summary, ""]

    if small:
        stats = small["store"]["stats"]
        lines += [
            f"## Seed corpus: {stats['documents_with_text']} documents, {stats['clauses']:,} "
            f"clauses, {stats['passages']:,} passages",
            "",
            "### Warm ask latency",
            "",
            *latency_table(small["serve"], TARGET_P95_SMALL_MS),
            "",
            "### Index build (fresh var dir, empty embedding cache)",
            "",
            f"Encoder: {small['index']['passages']:,} passages in "
            f"{small['index']['steps']['encoding']:.1f} s = "
            f"{small['index']['passages'] / small['index']['steps']['encoding']:.1f} passages/s; "
            f"model load {small['index']['model_load_seconds']:.1f} s (not in the total). Dense "
            f"index: {small['index']['index_type']} over {small['index']['vectors']:,} vectors.",
            "",
            *build_table(small["store"], small["index"], "encoding"),
            "",
            f"Lexical index (tokeniser setup + tokenise + BM25): "
            f"{lexical_seconds(small['index']):.2f} s; FAISS build "
            f"{faiss_seconds(small['index']):.3f} s.",
            "",
            *backends_section(small),
            *interleaved_section(small),
            *ray_section(small),
            "### Peak memory (RSS high-water mark, one process per phase)",
            "",
            "| phase | peak RSS MiB | phase wall s | load avg 1 min (start → end) |",
            "|---|---:|---:|---|",
            f"| build store (load + segment + store) | {mib(small['store']['peak_rss_mib'])} | "
            f"{secs(small['store']['wall_seconds'])} | {load(small['store'])} |",
            f"| build index (model + lexical + encoding + FAISS) | "
            f"{mib(small['index']['peak_rss_mib'])} | {secs(small['index']['wall_seconds'])} | "
            f"{load(small['index'])} |",
            *serve_memory(small["serve"]),
            "",
        ]
    if large:
        stats = large["store"]["stats"]
        synth = large["synth"]
        sample = large.get("encode_sample")
        index = large["index"]
        lines += [
            f"## {stats['clauses']:,} clauses: {stats['documents_with_text']:,} documents, "
            f"{stats['passages']:,} passages",
            "",
            f"The real corpus plus {synth['documents']:,} synthetic documents "
            f"({synth['clauses_planned']:,} planned clauses, {synth['notes']:,} responsibility "
            f"notes, {synth['bytes'] / 2**20:.0f} MiB of text, written in {synth['seconds']:.1f} s) "
            f"made by `bench/synthetic.py` from {synth['sentences']:,} real sentences, "
            f"{synth['headings']:,} real heading titles and {synth['units']:,} real unit names "
            f"(seed {results['seed']}; {synth['checked_documents']} documents parsed back: "
            f"{synth['checked_clauses_parsed']:,} clauses for {synth['checked_clauses_planned']:,} "
            f"planned). Store: {large['store']['store_mib']:.0f} MiB, "
            f"{stats['units']:,} units, {stats['citations']:,} citations.",
            "",
            "### Warm ask latency",
            "",
            *latency_table(large["serve"], TARGET_P95_LARGE_MS),
            "",
            "### Build",
            "",
            *(synthetic_vectors(large) if sample else real_encoding(large)),
            "### Peak memory (RSS high-water mark, one process per phase)",
            "",
            "| phase | peak RSS MiB | phase wall s | load avg 1 min (start → end) |",
            "|---|---:|---:|---|",
            f"| write synthetic corpus | {mib(synth['peak_rss_mib'])} | "
            f"{secs(synth['wall_seconds'])} | {load(synth)} |",
            f"| build store | {mib(large['store']['peak_rss_mib'])} | "
            f"{secs(large['store']['wall_seconds'])} | {load(large['store'])} |",
            *(
                [
                    f"| encode sample (model + {sample['sample']:,} passages) | "
                    f"{mib(sample['peak_rss_mib'])} | {secs(sample['wall_seconds'])} | "
                    f"{load(sample)} |"
                ]
                if sample
                else []
            ),
            f"| build index (lexical + {'vectors' if sample else 'encoding'} + FAISS) | "
            f"{mib(index['peak_rss_mib'])} | {secs(index['wall_seconds'])} | {load(index)} |",
            *serve_memory(large["serve"]),
            "",
        ]
    lines += dense_section((small or {}).get("dense"))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--only", choices=("small", "large", "all"), default="all")
    parser.add_argument("--size", type=int, default=100_000, help="clauses of the large store")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument(
        "--sample", type=int, default=1000, help="passages encoded to measure throughput at scale"
    )
    parser.add_argument("--seed", type=int, default=7, help="synthetic corpus and sample")
    parser.add_argument("--torch-threads", type=int, default=None, help="default: torch's own")
    parser.add_argument(
        "--encoders",
        default="torch,openvino",
        help="backends side by side at seed size, comma-separated; the last one serves the rest",
    )
    parser.add_argument(
        "--ray",
        action=argparse.BooleanOptionalAction,
        default=importlib.util.find_spec("ray") is not None,
        help="the build on a local 2-worker Ray cluster too (default: when Ray is installed)",
    )
    parser.add_argument(
        "--vectors",
        choices=("real", "synthetic"),
        default="real",
        help="large store: encode every passage, or make vectors without the model",
    )
    parser.add_argument(
        "--dense-scale", type=int, default=0, help="FAISS candidates at this many vectors"
    )
    parser.add_argument("--train", type=int, default=100_000, help="FAISS training sample")
    parser.add_argument("--profile", action="store_true", help="cProfile the ask loops")
    parser.add_argument(
        "--no-diagnose",
        action="store_true",
        help="time the asks only: no instrumented pass, thread comparison or profile",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.md")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw results")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    results: dict[str, Any] = {
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "command": "python -m bench.run " + shlex.join(argv if argv is not None else sys.argv[1:]),
        "commit": code_version(),
        "machine": machine(),
        "load_start": load_average(),
        "seed": args.seed,
    }
    temporary = args.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="policy-bench-")) if temporary else args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        if args.only in ("small", "all"):
            results["small"] = run_small(args, workdir)
        if args.only in ("large", "all"):
            results["large"] = run_large(args, workdir, results.get("small"))
    finally:
        if temporary and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            _log(f"kept {workdir}")
    serving = (results.get("small") or results.get("large") or {}).get("serve", {})
    results["torch_threads"] = serving.get("torch_threads")
    results["total_minutes"] = (time.perf_counter() - started) / 60
    markdown = render(results)
    print(markdown)
    args.out.write_text(markdown, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    _log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

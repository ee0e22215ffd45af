"""Score the answer function on labelled questions, against a generic-RAG baseline.

    python -m eval.run                       # eval/queries.jsonl, all systems
    python -m eval.run --queries eval/dev-queries.jsonl --no-baseline
    python -m eval.run --sweep               # tune the hybrid's lexical weight
    python -m eval.run --encoder torch       # one backend's own vectors (var/eval-torch/)

Per kind of question it prints accuracy (the answer says what the label says), Hit@1, Hit@3 and
MRR (rank of the first relevant clause among 10), for BM25 alone, dense alone and hybrid, and for
the baseline: every text cut into 250-character chunks overlapping by 50, ranked by BM25 and by
the same encoder. A chunk counts as relevant when a reader could answer from it: for a task, it
holds both the task's lead sentence and its responsibility note.
"""

from __future__ import annotations

import argparse
import statistics
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from eval.baseline import Baseline
from eval.checks import answer_is_correct, load_queries, rank_of_first_relevant
from indexer.answering.answer import Answerer, AskOptions
from indexer.config import settings
from indexer.kb import build_store, open_answerer
from indexer.storage.vectors import VectorCache

DEFAULT_QUERIES = Path(__file__).with_name("queries.jsonl")
KINDS = ("who", "unit", "leader", "docnum", "clause", "basis", "facts", "none")
DEPTH = 10


def metrics(rows: list[tuple[bool, int | None]]) -> dict[str, float]:
    if not rows:
        return {}
    return {
        "n": len(rows),
        "acc": statistics.mean(ok for ok, _ in rows),
        "hit1": statistics.mean(rank == 1 for _, rank in rows),
        "hit3": statistics.mean(rank is not None and rank <= 3 for _, rank in rows),
        "mrr": statistics.mean(1 / rank if rank else 0.0 for _, rank in rows),
    }


def score_system(
    answerer: Answerer, queries: list[dict], mode: str, lexical_weight: float | None = None
) -> dict[str, list[tuple[bool, int | None]]]:
    rows: dict[str, list[tuple[bool, int | None]]] = defaultdict(list)
    for query in queries:
        result = answerer.ask(
            query["q"],
            AskOptions(k=DEPTH, doc=query.get("doc"), mode=mode, lexical_weight=lexical_weight),
        )
        rows[query["type"]].append(
            (answer_is_correct(query, result), rank_of_first_relevant(query, result["hits"]))
        )
    return rows


def print_table(results: dict[str, dict[str, list]]) -> None:
    print("| system | kind | n | accuracy | Hit@1 | Hit@3 | MRR |\n|---|---|---|---|---|---|---|")
    for system, rows in results.items():
        everything = [row for kind in KINDS for row in rows.get(kind, [])]
        for kind in (*KINDS, "all"):
            metric = metrics(everything if kind == "all" else rows.get(kind, []))
            if metric:
                print(
                    f"| {system} | {kind} | {metric['n']} | {metric['acc']:.3f} | {metric['hit1']:.3f} | "
                    f"{metric['hit3']:.3f} | {metric['mrr']:.3f} |"
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--sweep", action="store_true", help="accuracy of the hybrid for several lexical weights"
    )
    parser.add_argument(
        "--failures", action="store_true", help="list the questions the hybrid gets wrong"
    )
    parser.add_argument(
        "--encoder",
        choices=("torch", "openvino"),
        help="score this backend's own vectors: store, index and vector cache in var/eval-NAME/, "
        "so none made by the other backend is reused (default: the default backend, in var/)",
    )
    args = parser.parse_args(argv)
    config = settings(encoder=args.encoder)
    if args.encoder:
        config = replace(config, var_dir=config.var_dir / f"eval-{args.encoder}")
    build_store(config)
    answerer = open_answerer(config, progress=True)
    encoder = answerer.index.encoder
    if encoder is not None:
        print(f"encoder: {encoder.name} on {encoder.backend}, {encoder.precision}\n")
    queries = load_queries(args.queries)
    if args.sweep:
        for weight in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            rows = score_system(answerer, queries, "hybrid", weight)
            everything = [row for kind in KINDS for row in rows.get(kind, [])]
            metric = metrics(everything)
            print(
                f"lexical weight {weight:.1f}: accuracy {metric['acc']:.3f}  MRR {metric['mrr']:.3f}"
            )
        return 0
    results = {
        f"ours-{mode}": score_system(answerer, queries, mode)
        for mode in ("lexical", "dense", "hybrid")
    }
    if not args.no_baseline:
        baseline = Baseline(answerer, VectorCache(config.var_dir / "embeddings.sqlite3"))
        results["baseline-bm25"] = baseline.score(queries, "bm25")
        results["baseline-dense"] = baseline.score(queries, "dense")
    print_table(results)
    if args.failures:
        for query in queries:
            result = answerer.ask(query["q"], AskOptions(k=DEPTH))
            if not answer_is_correct(query, result):
                top = result["hits"][0] if result["hits"] else {}
                print(
                    f"✗ {query['id']} {query['q']} → {result['intent']} {result['answer'].get('task_no', '')} "
                    f"{top.get('doc_number', '')} {' › '.join(top.get('path', []))[:60]}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

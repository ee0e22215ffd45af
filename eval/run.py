"""Score the answer function on labelled questions, against a generic-RAG baseline.

    python -m eval.run                 # eval/queries.jsonl: ours (three retrieval modes) and the
                                       # baseline, per kind; then per class of question
    python -m eval.run --queries eval/outside.jsonl --no-baseline
    python -m eval.run --ablation      # fusion and reranking, on queries.jsonl and outside.jsonl
    python -m eval.run --fusion-cv     # the fusion weight by 5-fold cross-validation, both sets
    python -m eval.run --growth        # the same questions with half of 学校美育 held back
    python -m eval.run --failures      # the questions the default gets wrong
    python -m eval.run --lineage       # lineage against eval/lineage_key/ (eval/lineage.py)
    python -m eval.run --encoder torch # one backend's own vectors (var/eval-torch/)

Per kind of question it prints accuracy (the answer says what the label says), Hit@1, Hit@3 and
MRR (rank of the first relevant clause among 10). The baseline (baseline.py): every text cut into
250-character chunks overlapping by 50, ranked by BM25 and by the same encoder.
"""

from __future__ import annotations

import argparse
import statistics
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from eval import lineage
from eval.baseline import Baseline
from eval.checks import answer_is_correct, load_queries, rank_of_first_relevant
from eval.crossval import fusion_cross_validation
from eval.growth import growth_check
from indexer.answering.answer import Answerer, AskOptions
from indexer.config import settings
from indexer.kb import build_store, open_answerer
from indexer.storage.vectors import VectorCache

HERE = Path(__file__).parent
DEFAULT_QUERIES = HERE / "queries.jsonl"
OUTSIDE_QUERIES = HERE / "outside.jsonl"
KINDS = ("who", "unit", "leader", "docnum", "clause", "basis", "facts", "none")
DEPTH = 10
Rows = dict[str, list[tuple[bool, int | None]]]


def metrics(rows: list[tuple[bool, int | None]]) -> dict[str, float]:
    if not rows:
        return {}
    return {
        "n": len(rows),
        "acc": statistics.mean(ok for ok, _ in rows),
        "hit1": statistics.mean(rank == 1 for _, rank in rows),
        "hit3": statistics.mean(rank is not None and rank <= 3 for _, rank in rows),
        "hit10": statistics.mean(rank is not None for _, rank in rows),
        "mrr": statistics.mean(1 / rank if rank else 0.0 for _, rank in rows),
    }


def score_system(
    answerer: Answerer,
    queries: list[dict],
    mode: str = "hybrid",
    lexical_weight: float | None = None,
    rerank: bool = True,
    group: str = "type",
) -> Rows:
    """(correct, rank of the first relevant hit) per question, grouped by ``group`` (type or
    class)."""
    rows: Rows = defaultdict(list)
    for query in queries:
        options = AskOptions(
            k=DEPTH, doc=query.get("doc"), mode=mode, lexical_weight=lexical_weight, rerank=rerank
        )
        result = answerer.ask(query["q"], options)
        rows[query.get(group) or query["type"]].append(
            (answer_is_correct(query, result), rank_of_first_relevant(query, result["hits"]))
        )
    return rows


def print_table(results: dict[str, Rows], keys: tuple[str, ...] | None = None) -> None:
    print("| system | kind | n | accuracy | Hit@1 | Hit@3 | Hit@10 | MRR |")
    print("|---|---|---|---|---|---|---|---|")
    for system, rows in results.items():
        order = keys or tuple(sorted(rows))
        everything = [row for key in order for row in rows.get(key, [])]
        for key in (*order, "all"):
            metric = metrics(everything if key == "all" else rows.get(key, []))
            if metric:
                print(
                    f"| {system} | {key} | {metric['n']} | {metric['acc']:.3f} | "
                    f"{metric['hit1']:.3f} | {metric['hit3']:.3f} | {metric['hit10']:.3f} | "
                    f"{metric['mrr']:.3f} |"
                )


def ablation(answerer: Answerer) -> None:
    """Dense, lexical, score fusion and rank fusion, each with and without the second stage, on
    the labelled questions and the outside-style ones."""
    sets = {"queries": load_queries(DEFAULT_QUERIES), "outside": load_queries(OUTSIDE_QUERIES)}
    print("| mode | rerank | set | accuracy | Hit@1 | Hit@10 |\n|---|---|---|---|---|---|")
    for mode in ("dense", "lexical", "hybrid", "rrf"):
        for rerank in (False, True):
            for name, queries in sets.items():
                rows = score_system(answerer, queries, mode, rerank=rerank)
                metric = metrics([row for kind_rows in rows.values() for row in kind_rows])
                print(
                    f"| {mode} | {'yes' if rerank else 'no'} | {name} | {metric['acc']:.3f} | "
                    f"{metric['hit1']:.3f} | {metric['hit10']:.3f} |"
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--ablation", action="store_true", help="fusion and reranking compared")
    parser.add_argument(
        "--fusion-cv", action="store_true", help="fusion chosen by cross-validation, both sets"
    )
    parser.add_argument(
        "--growth", action="store_true", help="full corpus against half of 学校美育 held back"
    )
    parser.add_argument(
        "--failures", action="store_true", help="list the questions the default gets wrong"
    )
    parser.add_argument(
        "--lineage", action="store_true", help="lineage against the key in eval/lineage_key/"
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
    if args.lineage:
        lineage.run(answerer)
        return 0
    if args.ablation:
        ablation(answerer)
        return 0
    if args.fusion_cv:
        query_sets = {"queries": DEFAULT_QUERIES, "outside": OUTSIDE_QUERIES}
        fusion_cross_validation(
            answerer, {n: load_queries(p) for n, p in query_sets.items()}, score_system, metrics
        )
        return 0
    queries = load_queries(args.queries)
    if args.growth:
        growth_check(config, answerer, queries, score_system, metrics)
        return 0
    results = {
        f"ours-{mode}": score_system(answerer, queries, mode)
        for mode in ("lexical", "dense", "hybrid")
    }
    if not args.no_baseline:
        baseline = Baseline(answerer, VectorCache(config.var_dir / "embeddings.sqlite3"))
        results["baseline-bm25"] = baseline.score(queries, "bm25")
        results["baseline-dense"] = baseline.score(queries, "dense")
    kinds = tuple(kind for kind in KINDS if any(q["type"] == kind for q in queries))
    print_table(results, kinds)
    if any("class" in q for q in queries):
        print()
        print_table({"ours-hybrid by class": score_system(answerer, queries, group="class")})
    if args.failures:
        for query in queries:
            result = answerer.ask(query["q"], AskOptions(k=DEPTH, doc=query.get("doc")))
            if not answer_is_correct(query, result):
                top = result["hits"][0] if result["hits"] else {}
                print(
                    f"✗ {query['id']} {query['q']} → {result['intent']} "
                    f"{result['answer'].get('doc_number', '')} {result['answer'].get('task_no', '')} "
                    f"| {top.get('doc_number', '')} {' › '.join(top.get('path', []))[:60]}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Which fusion pays for itself, chosen by cross-validation rather than on the questions it is
scored on.

Every question is answered once per setting: dense alone, BM25 alone, rank fusion (RRF), and
score fusion at each BM25 weight of ``WEIGHTS``, all with the second stage (rank.py) as served.
Then, for each of ``FOLDS`` folds, score fusion takes the weight that ranks best on the other
folds (Hit@1, then MRR), and is scored on the held-out fold with it. The settings without a
parameter are scored on the same folds, so the figures compare like with like. Run on both the
labelled questions and the outside-style ones: a fusion worth keeping wins on both.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable

from indexer.answering.answer import Answerer

WEIGHTS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
FOLDS = 5
SEED = 2026

Row = tuple[bool, int | None]


def _rank_quality(rows: list[Row]) -> tuple[float, float]:
    hit1 = statistics.mean(rank == 1 for _, rank in rows)
    mrr = statistics.mean(1 / rank if rank else 0.0 for _, rank in rows)
    return hit1, mrr


def folds_of(count: int, folds: int = FOLDS, seed: int = SEED) -> list[list[int]]:
    """Question positions dealt into ``folds`` folds after a seeded shuffle."""
    order = list(range(count))
    random.Random(seed).shuffle(order)
    return [order[start::folds] for start in range(folds)]


def cross_validate(settings: dict[str, list[Row]], tuned: list[str]) -> dict[str, object]:
    """Held-out rows of each untuned setting, and of the tuned family (the settings named in
    ``tuned``, one chosen per fold on the other folds). Returns setting → rows, plus "chosen":
    the setting picked for each fold."""
    count = len(next(iter(settings.values())))
    held_out: dict[str, list[Row]] = {name: [] for name in settings if name not in tuned}
    held_out["score fusion (cross-validated)"] = []
    chosen = []
    for fold in folds_of(count):
        inside = set(fold)
        training = [i for i in range(count) if i not in inside]
        best = max(tuned, key=lambda name: _rank_quality([settings[name][i] for i in training]))
        chosen.append(best)
        held_out["score fusion (cross-validated)"] += [settings[best][i] for i in fold]
        for name in held_out:
            if name in settings:
                held_out[name] += [settings[name][i] for i in fold]
    return held_out | {"chosen": chosen}


def answer_settings(
    answerer: Answerer, queries: list[dict], score: Callable[..., dict]
) -> tuple[dict[str, list[Row]], list[str]]:
    """Each question's row under every setting, in question order; and the score-fusion ones."""

    def rows(mode: str, weight: float | None = None) -> list[Row]:
        by_id = score(answerer, queries, mode, lexical_weight=weight, group="id")
        return [by_id[query["id"]][0] for query in queries]

    settings = {"dense": rows("dense"), "lexical": rows("lexical"), "rrf": rows("rrf")}
    tuned = [f"score fusion, BM25 weight {w}" for w in WEIGHTS]
    settings |= {name: rows("hybrid", w) for name, w in zip(tuned, WEIGHTS, strict=True)}
    return settings, tuned


def fusion_cross_validation(
    answerer: Answerer,
    query_sets: dict[str, list[dict]],
    score: Callable[..., dict],
    metrics: Callable[[list], dict],
) -> None:
    """Print, per question set, each setting's held-out accuracy, Hit@1, Hit@10 and MRR."""
    print("| set | setting | accuracy | Hit@1 | Hit@10 | MRR |\n|---|---|---|---|---|---|")
    for set_name, queries in query_sets.items():
        settings, tuned = answer_settings(answerer, queries, score)
        result = cross_validate(settings, tuned)
        chosen = result.pop("chosen")
        for name, held in result.items():
            m = metrics(held)
            print(
                f"| {set_name} | {name} | {m['acc']:.3f} | {m['hit1']:.3f} | "
                f"{m['hit10']:.3f} | {m['mrr']:.3f} |"
            )
        picked = ", ".join(name.rsplit(" ", 1)[1] for name in chosen)
        print(f"| {set_name} | weights chosen per fold: {picked} | | | | |")

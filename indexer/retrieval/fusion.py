"""Fusing BM25 and cosine scores of the same passages into one ranking: by their scores (fuse)
or by their ranks (rrf, reciprocal rank fusion)."""

from __future__ import annotations

RRF_K = 60  # the usual constant: a passage ranked first by one retriever is not all that matters


def fuse(
    lexical: dict[int, float], dense: dict[int, float], lexical_weight: float
) -> dict[int, float]:
    """Convex combination of the two scores, each scaled to [0, 1].

    BM25 is zero for a passage sharing no term and unbounded above, so it is divided by its best
    score: a weak match keeps a little credit. Cosine sits in a narrow band, so it is min-max
    scaled over its candidates (all equal → 1). A passage one retriever did not return scores 0
    on that side."""
    best_lexical = max(lexical.values(), default=0.0) or 1.0
    lex = {p: s / best_lexical for p, s in lexical.items()}
    den: dict[int, float] = {}
    if dense:
        low, high = min(dense.values()), max(dense.values())
        den = {p: (s - low) / (high - low) if high > low else 1.0 for p, s in dense.items()}
    return {
        p: lexical_weight * lex.get(p, 0.0) + (1 - lexical_weight) * den.get(p, 0.0)
        for p in set(lex) | set(den)
    }


def rrf(lexical: dict[int, float], dense: dict[int, float], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal rank fusion: each retriever gives 1 / (k + rank) to the passages it returned."""
    fused: dict[int, float] = {}
    for scores in (lexical, dense):
        ranked = sorted(scores, key=lambda p: -scores[p])
        for rank, position in enumerate(ranked, start=1):
            fused[position] = fused.get(position, 0.0) + 1.0 / (k + rank)
    return fused

"""Item alignment: which item of its basis each numbered item of a document carries out.

Documents mostly follow their basis's order while renaming, merging, splitting and moving some
items, and adding their own. So:

1. Every item that numbers nothing below it (a leaf) is scored against every basis item
   (similarity.py). One that matches nothing well enough is a **local addition** (null), not a
   forced match: its best score is under ``LOCAL_ADDITION``, or under half of what the
   document's items typically reach (a document that rewords its basis throughout).
2. The other leaves are aligned by a **monotone path with skips**: each takes a basis item at or
   after the one before it (skipping basis items the document leaves out), or, at a small cost,
   its best item out of order (an item moved elsewhere). Order settles near ties; it never
   outweighs clear evidence, since moves are common in practice.
3. A leaf that **merges** several basis items keeps its main one and lists the others: a
   sentence of it whose words another basis item holds far better than the main one came from
   there.
4. A **heading** (an item with numbered items below it) stands for what its items carry out:
   the basis heading whose items they cover for the most part; else, when they spread over
   several basis sections, the first of those with the others secondary; else the basis item
   they carry out most.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from indexer.lineage.items import Outline
from indexer.lineage.similarity import Similarity, Words

LOCAL_ADDITION = 0.17
TYPICAL_SHARE = 0.5  # of the median best score: the threshold for a document that rewords
MOVED = 0.04  # what matching out of order costs, in combined score
SPLIT = 0.02  # what taking the basis item of the item before again costs
SECONDARY_SHARE = 0.4  # a sentence's words another basis item holds at least this much …
SECONDARY_MARGIN = 0.3  # … and this much more than the main item: merged in from there
SENTENCE_WORDS = 10  # bigrams: a shorter sentence is a shared phrase, not a merged item
HEADING_COVERAGE = 0.5  # a heading stands for a basis heading whose items it covers above this
_SENTENCE = re.compile(r"[^。；！？]+[。；！？]?")


@dataclass
class Aligned:
    """One item of the document and the basis item(s) it carries out (positions in outlines)."""

    item: int
    basis: int | None  # None: a local addition
    secondary: list[int] = field(default_factory=list)
    score: float = 0.0


def align(document: Outline, basis: Outline, similarity: Similarity) -> list[Aligned]:
    """Every item of ``document``, in reading order, with the basis item it carries out."""
    scores = similarity.combined
    if not basis.items:
        return [Aligned(i, None) for i in range(len(document.items))]
    leaves = [item.position for item in document.items if not item.children]
    threshold = local_addition_threshold(scores, leaves)
    matched = [i for i in leaves if scores[i].max() >= threshold]
    result = {i: Aligned(i, None, score=float(scores[i].max())) for i in range(len(document.items))}
    words = Words([item.body for item in basis.items])
    for i, j in _monotone_path(scores, matched).items():
        result[i] = Aligned(i, j, _merged(document, basis, words, i, j), float(scores[i, j]))
    for item in reversed(document.items):  # children come after their heading
        if item.children:
            result[item.position] = _heading(
                document, basis, scores, item.position, result, threshold
            )
    return [result[i] for i in range(len(document.items))]


def local_addition_threshold(scores: np.ndarray, leaves: list[int]) -> float:
    if not leaves:
        return LOCAL_ADDITION
    typical = float(np.median(scores[leaves].max(axis=1)))
    return min(LOCAL_ADDITION, TYPICAL_SHARE * typical)


def _monotone_path(scores: np.ndarray, rows: list[int]) -> dict[int, int]:
    """The best path through ``rows``: each row takes a column after the last in-order column
    (any column first), or the same one again at the cost ``SPLIT``, or its best column out of
    order at the cost ``MOVED``, leaving the last in-order column where it was. Columns are
    basis items in reading order; skipping some costs nothing (documents leave items out)."""
    columns = scores.shape[1]
    start = columns  # the state before any in-order match
    total = np.full(columns + 1, -np.inf)
    total[start] = 0.0
    steps: list[tuple[np.ndarray, np.ndarray]] = []  # per row: previous state, column taken
    for row_number in rows:
        row = scores[row_number]
        best = int(np.argmax(row))
        previous = np.full(columns + 1, -1)
        taken = np.full(columns + 1, -1)
        new = np.full(columns + 1, -np.inf)
        # in order: from the best state before each column (the start is before all) …
        before, origin = total[start], start
        for column in range(columns):
            candidates = ((before, origin), (total[column] - SPLIT, column))
            reach, came = max(candidates, key=lambda pair: pair[0])
            new[column], previous[column], taken[column] = reach + row[column], came, column
            if total[column] > before:
                before, origin = total[column], column
        # … or out of order, the state staying where it was
        moved = total + row[best] - MOVED
        better = moved > new
        new = np.where(better, moved, new)
        previous = np.where(better, np.arange(columns + 1), previous)
        taken = np.where(better, best, taken)
        total = new
        steps.append((previous, taken))
    state = int(np.argmax(total))
    path = {}
    for position in range(len(rows) - 1, -1, -1):
        previous, taken = steps[position]
        path[rows[position]] = int(taken[state])
        state = int(previous[state])
    return path


def _merged(document: Outline, basis: Outline, words: Words, item: int, main: int) -> list[int]:
    """Basis items other than ``main`` that a sentence of the item comes from."""
    sentences = [s for s in _SENTENCE.findall(document.items[item].body) if len(s) > SENTENCE_WORDS]
    if not sentences:
        return []
    related = {main, *basis.ancestors(main)}
    found = set()
    for shares in words.shares(sentences):
        source = int(np.argmax(shares))
        if (
            source not in related
            and main not in basis.ancestors(source)
            and shares[source] >= SECONDARY_SHARE
            and shares[source] - shares[main] >= SECONDARY_MARGIN
        ):
            found.add(source)
    return sorted(found)


def _heading(
    document: Outline,
    basis: Outline,
    scores: np.ndarray,
    heading: int,
    result: dict[int, Aligned],
    threshold: float,
) -> Aligned:
    children = [result[child] for child in document.items[heading].children]
    primaries = [a.basis for a in children if a.basis is not None]
    merged = [s for a in children for s in a.secondary]
    if not primaries:
        best = int(np.argmax(scores[heading]))
        score = float(scores[heading, best])
        return Aligned(heading, best, [], score) if score >= threshold else Aligned(heading, None)
    main, secondary = _heading_target(basis, primaries, merged)
    # A bare heading (三、主要工作) has few words of its own: its items' scores say how well
    # it is carried out.
    support = float(np.mean([a.score for a in children if a.basis is not None]))
    return Aligned(heading, main, secondary, max(float(scores[heading, main]), support))


def _heading_target(
    basis: Outline, primaries: list[int], merged: list[int]
) -> tuple[int, list[int]]:
    everything = [*primaries, *merged]
    if len(set(everything)) == 1:
        return primaries[0], []
    covered = set(everything)
    for target in everything:
        covered.update(basis.ancestors(target))
    # a basis heading standing over most of what its items carry out
    best, best_key = None, (False, 0.0)
    for candidate in sorted({a for t in primaries for a in basis.ancestors(t)}):
        below = basis.items[candidate].children
        coverage = sum(child in covered for child in below) / len(below)
        purity = sum(candidate in basis.ancestors(t) for t in primaries) / len(primaries)
        key = (purity >= 0.5 and coverage > HEADING_COVERAGE, purity * coverage)
        if key > best_key:
            best, best_key = candidate, key
    if best is not None and best_key[0]:
        return best, []
    # several basis sections: the first, the others secondary
    sections = _sections(basis, primaries)
    if len(sections) > 1 and all(basis.items[s].children for s in sections):
        counts = {s: sum(_section_of(basis, t, sections) == s for t in primaries) for s in sections}
        kept = [
            s
            for s in sorted(sections)
            if counts[s] >= 2
            or sum(c in covered for c in basis.items[s].children) / len(basis.items[s].children)
            > HEADING_COVERAGE
        ]
        if kept:
            return kept[0], kept[1:]
    # else the basis item carried out most (the first of equals), the others secondary
    main = min(set(primaries), key=lambda t: (-primaries.count(t), t))
    return main, sorted(set(everything) - {main})


def _sections(basis: Outline, targets: list[int]) -> set[int]:
    """For each target, the item just below the targets' lowest common ancestor."""
    chains = [[t, *basis.ancestors(t)] for t in targets]
    common = set(chains[0]).intersection(*chains[1:])
    top = max(common, key=lambda a: len(basis.ancestors(a)), default=None)
    found = set()
    for chain in chains:
        found.add(next((a for a in chain if basis.items[a].parent == top), chain[-1]))
    return found


def _section_of(basis: Outline, target: int, sections: set[int]) -> int | None:
    return next((a for a in [target, *basis.ancestors(target)] if a in sections), None)

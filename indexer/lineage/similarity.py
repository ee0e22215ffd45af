"""How much an item of a document says what an item of its basis says: words, content, headings.

- **words**: the share of the item's words that the basis item holds. Words are character
  bigrams (Chinese has no spaces, and local documents copy their basis sentence by sentence,
  renaming a few words), weighted by BM25's idf over the basis items, so that 美育 and 学校,
  found in every item, count for almost nothing and 兼职教师 for much; term frequency saturates
  at once (BM25 with k1 → 0), since a repeated word is no more evidence of copying. The share
  lies in [0, 1], which makes "matches nothing well enough" a threshold one can state.
- **content**: cosine of the items' passage vectors as the search index holds them (no model
  is loaded), standardised per item: e5's cosines crowd between 0.9 and 1, so what tells is
  how far a basis item stands out from the others for this item.
- **titles**: Dice overlap of the headings' bigrams (a renamed heading keeps most of them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from indexer.lineage.items import Outline

# passage ids → their vectors, one row each (DenseIndex.vectors)
PassageVectors = Callable[[list[int]], np.ndarray]

TITLE_WEIGHT = 0.3
CONTENT_WEIGHT = 0.05  # per standard deviation above the item's median cosine
_NOT_WORD = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]+")


def bigrams(text: str) -> set[str]:
    """The character bigrams of ``text``, punctuation and spaces left out."""
    runs = _NOT_WORD.split(text)
    return {run[i : i + 2] for run in runs for i in range(len(run) - 1)}


class Words:
    """The basis items' bigrams with their idf, to measure what share of a text they hold."""

    def __init__(self, basis_texts: Sequence[str]):
        self.basis = [bigrams(text) for text in basis_texts]
        frequency: dict[str, int] = {}
        for words in self.basis:
            for word in words:
                frequency[word] = frequency.get(word, 0) + 1
        count = len(self.basis)
        self._vocabulary = {word: n for n, word in enumerate(frequency)}
        # BM25's idf; a word no basis item has gets the highest (frequency 0).
        self._unseen = float(np.log1p((count + 0.5) / 0.5))
        self._idf = np.array(
            [np.log1p((count - f + 0.5) / (f + 0.5)) for f in frequency.values()], dtype=np.float64
        )
        self._held = np.zeros((len(self._vocabulary), count), dtype=np.float64)
        for column, words in enumerate(self.basis):
            self._held[[self._vocabulary[w] for w in words], column] = 1.0

    def shares(self, texts: Sequence[str]) -> np.ndarray:
        """texts × basis items: the idf-weighted share of each text's bigrams the item holds."""
        result = np.zeros((len(texts), len(self.basis)))
        for row, text in enumerate(texts):
            words = bigrams(text)
            known = [self._vocabulary[w] for w in words if w in self._vocabulary]
            total = self._idf[known].sum() + self._unseen * (len(words) - len(known))
            if total > 0:
                result[row] = self._idf[known] @ self._held[known] / total
        return result


@dataclass
class Similarity:
    """Item × basis item scores of one document against one basis."""

    words: np.ndarray
    content: np.ndarray
    titles: np.ndarray

    @property
    def combined(self) -> np.ndarray:
        return self.words + TITLE_WEIGHT * self.titles + CONTENT_WEIGHT * self.content


def similarity(
    document: Outline, basis: Outline, vectors: PassageVectors | None = None
) -> Similarity:
    words = Words([item.body for item in basis.items]).shares([i.body for i in document.items])
    titles = np.array(
        [[_dice(a.title, b.title) for b in basis.items] for a in document.items]
    ).reshape(len(document.items), len(basis.items))
    content = np.zeros_like(words)
    if vectors is not None and document.items and basis.items:
        content = _standardised(_cosines(document, basis, vectors))
    return Similarity(words, content, titles)


def _dice(a: str, b: str) -> float:
    first, second = bigrams(a), bigrams(b)
    if not first or not second:
        return 0.0
    return 2 * len(first & second) / (len(first) + len(second))


def _item_vectors(outline: Outline, vectors: PassageVectors) -> list[np.ndarray | None]:
    """Each item's own passages averaged; None for a bare heading (no passage of its own)."""
    wanted = [pid for item in outline.items for pid in item.passage_ids]
    if not wanted:
        return [None] * len(outline.items)
    rows = dict(zip(wanted, vectors(wanted), strict=True))
    found: list[np.ndarray | None] = []
    for item in outline.items:
        if not item.passage_ids:
            found.append(None)
            continue
        mean = np.mean([rows[pid] for pid in item.passage_ids], axis=0)
        found.append(mean / (np.linalg.norm(mean) or 1.0))
    return found


def _cosines(document: Outline, basis: Outline, vectors: PassageVectors) -> np.ndarray:
    """Cosines, NaN where an item has no vector."""
    mine, theirs = _item_vectors(document, vectors), _item_vectors(basis, vectors)
    result = np.full((len(mine), len(theirs)), np.nan)
    for row, vector in enumerate(mine):
        if vector is None:
            continue
        for column, other in enumerate(theirs):
            if other is not None:
                result[row, column] = float(vector @ other)
    return result


def _standardised(cosines: np.ndarray) -> np.ndarray:
    """Per row, standard deviations above the row's median; 0 where nothing is known."""
    result = np.zeros_like(cosines)
    for row, values in enumerate(cosines):
        known = values[~np.isnan(values)]
        if len(known) < 2:
            continue
        spread = known.std() or 1.0
        result[row] = np.nan_to_num((values - np.median(known)) / spread, nan=0.0)
    return result

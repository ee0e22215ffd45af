"""Lexical retrieval: BM25 over passages (bm25s), on the words of tokenizer.py.

Why bm25s rather than SQLite FTS5: FTS5 cannot segment Chinese (unicode61 keeps a CJK run as one
token; trigram matches substrings but scores no words), so text would have to be pre-cut anyway;
bm25s keeps the index as a sparse matrix, gives the full score vector in about a millisecond (which
filters and fusion need) and saves to a folder beside the store.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from pathlib import Path

import bm25s
import numpy as np


class LexicalIndex:
    """BM25 over passages; rows are positions in the passage list the index was built from."""

    def __init__(self, retriever: bm25s.BM25):
        self.retriever = retriever

    @classmethod
    def build(cls, passage_tokens: Iterable[list[str]]) -> LexicalIndex:
        """The index of the passages' terms, read one passage at a time: each passage is kept as
        4-byte term ids, never as its list of strings (at a million passages those lists alone
        would fill 15 GB)."""
        vocabulary: dict[str, int] = {}
        ids = [
            # bm25s cannot index an empty token list; a passage of punctuation gets a placeholder.
            array("i", [vocabulary.setdefault(t, len(vocabulary)) for t in tokens or ["_"]])
            for tokens in passage_tokens
        ]
        retriever = bm25s.BM25()
        retriever.index((ids, vocabulary), show_progress=False)
        return cls(retriever)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        if not query_tokens:
            return np.zeros(self.retriever.scores["num_docs"], dtype=np.float32)
        return np.asarray(self.retriever.get_scores(query_tokens), dtype=np.float32)

    def save(self, folder: Path) -> None:
        self.retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        return cls(bm25s.BM25.load(str(folder), show_progress=False, load_vocab=True))

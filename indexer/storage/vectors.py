"""Passage vectors cached by (model, text hash), so an unchanged passage is never encoded twice: a
rebuild of the index after one added file encodes that file's passages only.

The key names the model, not the backend that ran it: torch and OpenVINO vectors of one model
agree to cosine ≥ 0.999 (OpenVINO refuses a precision that does not, openvino.py, and
tests/core/test_embedding.py proves it for the default model), which is closer than the
rankings can tell apart. So switching backends, or a Ray cluster whose machines differ in
precision, reuses every vector. Each row still records the encoder that made it
(``backend/precision``), so an index generation can say what its vectors came from.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

_CHUNK = 500  # hashes per SELECT: under SQLite's limit on host parameters
UNRECORDED = "torch/f32"  # rows written before encoders were recorded: torch was the only one


class VectorCache:
    """Passage vectors by (model, text hash), so unchanged passages are never encoded twice."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, text_hash TEXT, vector BLOB, encoder TEXT, PRIMARY KEY (model, text_hash))"
        )
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(vectors)")}
        if "encoder" not in columns:  # a cache of the first layout: keep its vectors
            with self.db:
                self.db.execute("ALTER TABLE vectors ADD COLUMN encoder TEXT")

    def vectors(
        self,
        model: str,
        texts: list[str],
        encode: Callable[[list[str]], np.ndarray],
        made_by: str | None = None,
    ) -> np.ndarray:
        """The vectors of ``texts``, encoding (with ``encode``, recorded as ``made_by``) only
        those not cached yet."""
        hashes = [_hash(t) for t in texts]
        found = self._found(model, hashes)
        missing = list(
            dict.fromkeys(t for t, h in zip(texts, hashes, strict=True) if h not in found)
        )
        if missing:
            new = encode(missing)
            self.put(model, missing, new, made_by)
            found.update((_hash(t), (v, "")) for t, v in zip(missing, new, strict=True))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[h][0] for h in hashes])

    def missing(self, model: str, texts: list[str]) -> list[str]:
        """The distinct texts among ``texts`` that have no vector yet, in first-seen order."""
        hashes = [_hash(t) for t in texts]
        found = self._found(model, hashes)
        return list(dict.fromkeys(t for t, h in zip(texts, hashes, strict=True) if h not in found))

    def put(
        self, model: str, texts: list[str], vectors: np.ndarray, made_by: str | None = None
    ) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)",
                (
                    (model, _hash(text), np.asarray(vector, dtype=np.float32).tobytes(), made_by)
                    for text, vector in zip(texts, vectors, strict=True)
                ),
            )

    def made_by(self, model: str, texts: list[str]) -> dict[str, int]:
        """How many of ``texts``' cached vectors each encoder made."""
        hashes = [_hash(t) for t in texts]
        found = self._found(model, hashes)
        return dict(Counter(found[h][1] for h in hashes if h in found))

    def _found(self, model: str, hashes: list[str]) -> dict[str, tuple[np.ndarray, str]]:
        hashes = list(dict.fromkeys(hashes))
        found: dict[str, tuple[np.ndarray, str]] = {}
        for start in range(0, len(hashes), _CHUNK):
            chunk = hashes[start : start + _CHUNK]
            rows = self.db.execute(
                f"SELECT text_hash, vector, encoder FROM vectors WHERE model = ? AND text_hash IN ({','.join('?' * len(chunk))})",
                (model, *chunk),
            )
            found.update(
                (h, (np.frombuffer(v, dtype=np.float32), e or UNRECORDED)) for h, v, e in rows
            )
        return found


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()

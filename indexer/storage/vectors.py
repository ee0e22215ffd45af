"""Passage vectors cached by (model, text hash), so an unchanged passage is never encoded twice: a
rebuild of the index after one added file encodes that file's passages only."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np


class VectorCache:
    """Passage vectors by (model, text hash), so unchanged passages are never encoded twice."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, text_hash TEXT, vector BLOB, PRIMARY KEY (model, text_hash))"
        )

    def vectors(
        self, model: str, texts: list[str], encode: Callable[[list[str]], np.ndarray]
    ) -> np.ndarray:
        hashes = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(hashes), 500):
            chunk = hashes[start : start + 500]
            rows = self.db.execute(
                f"SELECT text_hash, vector FROM vectors WHERE model = ? AND text_hash IN ({','.join('?' * len(chunk))})",
                (model, *chunk),
            )
            found.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in rows)
        missing = [i for i, h in enumerate(hashes) if h not in found]
        if missing:
            new = encode([texts[i] for i in missing])
            with self.db:
                for i, vector in zip(missing, new, strict=True):
                    found[hashes[i]] = vector
                    self.db.execute(
                        "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                        (model, hashes[i], np.asarray(vector, dtype=np.float32).tobytes()),
                    )
        return (
            np.stack([found[h] for h in hashes]) if hashes else np.zeros((0, 0), dtype=np.float32)
        )

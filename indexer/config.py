"""Where things live. Index data goes to one folder outside the sources (``var/`` by default)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path
    var_dir: Path
    model: str | None  # embedding model name or path; None → the offline default

    @property
    def store_path(self) -> Path:
        return self.var_dir / "policy.sqlite3"

    @property
    def index_dir(self) -> Path:
        """Derived search indexes (BM25, FAISS), rebuilt from the store when it changes."""
        return self.var_dir / "index"

    @property
    def registry_path(self) -> Path:
        return self.corpus_dir / "units.csv"

    @property
    def uploads_dir(self) -> Path:
        """Files added through the app are kept here, originals unchanged."""
        return self.corpus_dir / "uploads"


def settings(
    var_dir: str | Path | None = None,
    corpus_dir: str | Path | None = None,
    model: str | None = None,
) -> Settings:
    """Settings from arguments, else the environment (POLICY_KB_VAR, POLICY_KB_CORPUS,
    POLICY_KB_MODEL), else the defaults beside the code."""
    return Settings(
        corpus_dir=Path(corpus_dir or os.environ.get("POLICY_KB_CORPUS") or REPO_ROOT / "corpus"),
        var_dir=Path(var_dir or os.environ.get("POLICY_KB_VAR") or REPO_ROOT / "var"),
        model=model or os.environ.get("POLICY_KB_MODEL") or None,
    )

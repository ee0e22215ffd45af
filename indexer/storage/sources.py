"""Which files a build reads, and the keys the store knows them by.

A file under the corpus folder is keyed by its path relative to that folder (``meiyu/湖北….txt``),
so a store follows its corpus when the folder is moved or copied; a file given from elsewhere is
keyed by its absolute path. Links are keyed by the link, not by what it points to: deleting the
link removes the document, even when its target stays.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from indexer.config import SETTINGS_FILE
from indexer.ingest.docnum import normalise_doc_number
from indexer.ingest.formats import LoadError

CATALOGUE_SUFFIX = ".catalogue.json"
UPLOADS_FOLDER = "uploads"
# The unit registry, read-me files, settings and other data; any other file is tried, so that it
# is reported rather than silently ignored.
_NOT_DOCUMENTS = {".csv", ".md", ".json", ".toml"}


def discover(paths: Iterable[Path]) -> list[Path]:
    """Every document and catalogue file under ``paths`` (files or folders), as absolute paths
    that keep their links (not resolved), sorted. Hidden files and folders are left out."""
    found: set[Path] = set()
    for path in map(_absolute, paths):
        if path.is_dir():
            for folder, subfolders, names in os.walk(path, followlinks=True):
                subfolders[:] = [name for name in subfolders if not name.startswith(".")]
                found.update(Path(folder) / name for name in names if not name.startswith("."))
        elif path.exists():
            found.add(path)
    return sorted(p for p in found if p.is_file() and _is_input(p))


def source_key(path: Path, corpus_root: Path) -> str:
    """The store's key for a file: relative to the corpus folder when inside it, else absolute."""
    path, root = _absolute(path), _absolute(corpus_root)
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def source_path(key: str, corpus_root: Path) -> Path:
    """The file a key names."""
    path = Path(key)
    return path if path.is_absolute() else _absolute(corpus_root) / path


def is_upload(key: str) -> bool:
    """Whether the file came in through the app (corpus/uploads/), not from the corpus itself."""
    return key.startswith(f"{UPLOADS_FOLDER}/")


def is_catalogue(path: Path) -> bool:
    return path.name.endswith(CATALOGUE_SUFFIX)


def read_catalogue(path: Path) -> list[dict]:
    """The entries of a catalogue file (facts about documents whose text we do not have)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LoadError(
            path, f"not a readable catalogue ({error}); its earlier facts are kept"
        ) from None
    entries = data.get("documents") if isinstance(data, dict) else data
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and e.get("doc_number") for e in entries
    ):
        raise LoadError(
            path,
            "a catalogue needs a list 'documents' of objects with 'doc_number'; "
            "its earlier facts are kept",
        )
    for entry in entries:
        entry["doc_number"] = normalise_doc_number(entry["doc_number"]) or entry["doc_number"]
    return entries


def _absolute(path: Path) -> Path:
    # abspath, not resolve: a link stays the link.
    return Path(os.path.abspath(path))


def _is_input(path: Path) -> bool:
    return (
        is_catalogue(path)
        or path.suffix.lower() not in _NOT_DOCUMENTS
        and path.name != SETTINGS_FILE
    )

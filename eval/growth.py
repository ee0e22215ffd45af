"""The growth check: the same questions scored on the full corpus and on the corpus with half of
学校美育 held back (every second file by name, a fixed split). A knowledge base earns its keep by
holding more documents: its answers must not get worse as they are added."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from indexer.answering.answer import Answerer
from indexer.config import Settings
from indexer.kb import build_store, open_answerer

COLLECTION = "meiyu"


def half_corpus(corpus: Path, into: Path) -> Path:
    """A copy of ``corpus`` without every second file of the 学校美育 collection."""
    shutil.copytree(corpus, into, ignore=shutil.ignore_patterns(COLLECTION, "uploads"))
    kept = sorted((corpus / COLLECTION).iterdir())[::2]
    (into / COLLECTION).mkdir()
    for path in kept:
        shutil.copy2(path, into / COLLECTION / path.name)
    return into


def answerable_in(answerer: Answerer, queries: list[dict]) -> list[dict]:
    """The questions whose documents are all in the answerer's store: every 文号 the label names
    resolves there as it does in the full corpus, and a title it names is there."""
    store = answerer.store
    kept = []
    for query in queries:
        expect = query["expect"]
        numbers = [
            expect.get("doc_number"),
            query.get("doc"),
            *expect.get("cited_by_any", []),
            *expect.get("basis", []),
        ]
        documents = [store.find_document(n) for n in numbers if n]
        titled = expect.get("doc_title_contains")
        if all(d is not None for d in documents) and (
            not titled or store.find_documents_by_title(titled)
        ):
            kept.append(query)
    return kept


def growth_check(
    config: Settings,
    full: Answerer,
    queries: list[dict],
    score: Callable[..., dict],
    metrics: Callable[[list], dict],
) -> dict[str, tuple[float, float]]:
    """Accuracy per kind on the half corpus and the full one, over the questions both can
    answer; printed, and returned as kind → (half, full)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        half = replace(config, corpus_dir=half_corpus(config.corpus_dir, root / "corpus"))
        half = replace(half, var_dir=root / "var")
        (root / "var").mkdir()
        cache = config.var_dir / "embeddings.sqlite3"
        if cache.exists():  # the same passages: their vectors need not be computed again
            shutil.copy2(cache, root / "var" / cache.name)
        build_store(half)
        smaller = open_answerer(
            half, encoder=full.index.encoder, lexical_only=full.index.encoder is None
        )
        try:
            both = answerable_in(smaller, queries)
            before, after = score(smaller, both), score(full, both)
        finally:
            smaller.close()
    figures = {}
    print(f"growth check: {len(both)} of {len(queries)} questions answerable in both corpora")
    print("| kind | n | half of 学校美育 | full corpus |\n|---|---|---|---|")
    for kind in sorted(set(before) | set(after)):
        half_acc = metrics(before.get(kind, [])).get("acc", 0.0)
        full_acc = metrics(after.get(kind, [])).get("acc", 0.0)
        figures[kind] = (half_acc, full_acc)
        warning = "  ← fell" if full_acc < half_acc else ""
        print(f"| {kind} | {len(after.get(kind, []))} | {half_acc:.3f} | {full_acc:.3f} |{warning}")
    return figures

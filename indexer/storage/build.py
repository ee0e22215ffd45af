"""Fill the clause store from files: load → segment → store, incrementally and atomically.

- An unchanged file (same content hash) is skipped; a file whose file is gone (deleted, moved
  away, its link removed) takes its document with it, whatever folders the build was given.
- Files are parsed in worker processes under the limits of ``kb.toml`` (ingest/sandbox.py); a file
  that fails gets a one-line error and leaves what was indexed before untouched.
- Files of one 文号 that say the same are one document; one that says otherwise is kept as a
  separate version and reported (versions.py).
- All writes of one build happen in one transaction, under a lock that a second build waits for.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from filelock import FileLock, Timeout

from indexer.config import DEFAULT_LIMITS, Limits
from indexer.documents import Document, Source
from indexer.ingest.formats import LoadError
from indexer.ingest.sandbox import ParseResult, ParseTask, parse_all
from indexer.ingest.segment import parse_document
from indexer.ingest.units import UnitRegistry
from indexer.storage.passages import passages_for
from indexer.storage.sources import (
    discover,
    is_catalogue,
    read_catalogue,
    source_key,
    source_path,
)
from indexer.storage.store import Store
from indexer.storage.versions import resolve_versions
from indexer.storage.writes import StoreWriter

BUILD_NUMBER_KEY = "builds"
LOCK_WAIT_SECONDS = 600
T = TypeVar("T")
Progress = Callable[[Iterable[T]], Iterable[T]]
# What parses the files: the sandbox's worker processes, or Ray tasks (indexer/raybuild.py).
Parser = Callable[[list[ParseTask], Limits], Iterable[ParseResult]]


class BuildBusy(RuntimeError):
    """Another build held the lock for longer than we were willing to wait."""


@dataclass
class BuildReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line each: "<file>: <reason>"
    unknown_units: dict[str, list[str]] = field(default_factory=dict)  # document → units
    documents: dict[str, str] = field(default_factory=dict)  # file key → document key
    conflicts: list[str] = field(default_factory=list)  # one line each: files of one 文号 disagree
    versions: dict[str, str] = field(default_factory=dict)  # file key → its version's document
    failed: dict[str, str] = field(default_factory=dict)  # file key → the reason it was left out

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def build(
    store: Store,
    paths: Iterable[Path],
    registry: UnitRegistry,
    corpus_root: Path,
    limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
    waiting: Callable[[str], None] | None = None,
    parse: Parser = parse_all,
) -> BuildReport:
    """Bring the store in line with the files under ``paths`` (files are keyed relative to
    ``corpus_root``). ``progress`` wraps the parsing as it goes; ``waiting`` hears, once, that
    another build holds the lock; ``parse`` parses the files that changed."""
    with build_lock(store.path, waiting):
        return _build(store, list(paths), registry, corpus_root, limits, progress, parse)


@contextmanager
def build_lock(store_path: Path, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """One build at a time per store: a second one waits (and says so), up to ten minutes."""
    lock = FileLock(str(store_path) + ".build.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if waiting is not None:
            waiting(f"another build of {store_path} is running; waiting for it to finish")
        try:
            lock.acquire(timeout=LOCK_WAIT_SECONDS)
        except Timeout:
            raise BuildBusy(
                f"{store_path}: another build has held the lock ({lock.lock_file}) for "
                f"{LOCK_WAIT_SECONDS // 60} minutes; try again when it has finished"
            ) from None
    try:
        yield
    finally:
        lock.release()


def _build(
    store: Store,
    paths: list[Path],
    registry: UnitRegistry,
    corpus_root: Path,
    limits: Limits,
    progress: Progress | None,
    parse: Parser,
) -> BuildReport:
    report = BuildReport(errors=list(registry.problems))
    current = store.is_current  # another schema: every file is read again
    known = store.sources() if current else {}
    known_catalogues = store.catalogue_paths() if current else set()
    build_number = int(store.get_meta(BUILD_NUMBER_KEY) or 0) + 1 if current else 1

    catalogues: dict[str, list[dict]] = {}
    tasks: list[ParseTask] = []
    for path in discover(paths):
        key = source_key(path, corpus_root)
        if is_catalogue(path):
            try:
                catalogues[key] = read_catalogue(path)
            except LoadError as error:
                report.errors.append(str(error))
                known_catalogues.discard(key)  # unreadable now: its earlier facts stay
            continue
        try:
            content_hash = _hash(path)
        except OSError as error:
            report.errors.append(f"{path}: cannot read the file ({error.strerror or error})")
            continue
        if key in known and known[key][0] == content_hash:
            report.unchanged.append(key)
            report.documents[key] = known[key][1]
        else:
            tasks.append(ParseTask(key, path=path))

    parsed: dict[str, Document] = {}
    results: Iterable[ParseResult] = _sized(parse(tasks, limits), len(tasks))
    for result in progress(results) if progress else results:
        if result.document is None:
            report.errors.append(result.error or f"{result.key}: could not be read")
            report.failed[result.key] = result.error or ""
            continue
        parsed[result.key] = result.document
        report.documents[result.key] = result.document.doc_id
        (report.updated if result.key in known else report.added).append(result.key)
    # Results come as they finish; in file order, the store is the same whoever parsed them.
    parsed = dict(sorted(parsed.items()))

    affected = {d.doc_id for d in parsed.values()} | {known[k][1] for k in parsed if k in known}
    for key, (_, doc_id, _) in known.items():
        if not source_path(key, corpus_root).exists():
            report.removed.append(key)
            affected.add(doc_id)
    gone_catalogues = {
        key for key in known_catalogues - set(catalogues)
        if not source_path(key, corpus_root).exists()
    }  # fmt: skip
    fingerprint = _parser_fingerprint(registry)
    if store.get_meta("parser") != fingerprint:
        # New parsing code or a new registry: every stored text is read again (not reloaded).
        affected.update(doc_id for _, doc_id, _ in known.values())

    with store.transaction() as writer:
        writer.set_meta("parser", fingerprint)
        writer.set_meta(BUILD_NUMBER_KEY, str(build_number))
        writer.put_registry(registry)
        for key in report.removed:
            writer.delete_source(key)
        for key in gone_catalogues:
            writer.delete_catalogue(key)
        for key, entries in catalogues.items():
            writer.put_catalogue(key, entries)
        for key, document in parsed.items():
            source = document.sources[0]
            writer.put_source(
                key,
                document.doc_id,
                source.kind,
                source.content_hash,
                source.encoding,
                source.text,
                build_number,
            )
        for doc_id in sorted(affected):
            _rewrite_document(store, writer, doc_id, parsed, registry, report)
        writer.resolve_references()
        if affected or gone_catalogues or catalogues.keys() - known_catalogues:
            writer.mark_changed()
    return report


def _rewrite_document(
    store: Store,
    writer: StoreWriter,
    doc_id: str,
    parsed: dict[str, Document],
    registry: UnitRegistry,
    report: BuildReport,
) -> None:
    rows = store.source_texts(doc_id)
    if not rows:
        writer.delete_document(doc_id)
        return
    # Texts already in the store passed the sandbox when they came in: read them again here.
    forms = [parsed.get(row["path"]) or parse_document(_source(row)) for row in rows]
    resolved = resolve_versions(forms, {row["path"]: row["first_build"] for row in rows})
    document = resolved.document
    for version in resolved.versions:
        _note_conflict(document, version, report)
    passages = passages_for(document.clauses, document.title)
    unknown = writer.put_document(document, registry, passages)
    for number, version in enumerate(resolved.versions, start=1):
        version_id = writer.put_version(version, document, f"v{number}")
        for source in version.sources:
            report.versions[source.path] = version_id
    if unknown:
        report.unknown_units[document.doc_id] = sorted(u.name for u in unknown)


def _note_conflict(document: Document, version: Document, report: BuildReport) -> None:
    """Both cards say it, and the build reports it."""
    kept = "、".join(source.path for source in document.sources)
    other = "、".join(source.path for source in version.sources)
    label = document.doc_number or document.title
    document.conflicts.append(
        f"同一文号的另一份文本（{other}）与本文内容不一致，已作为另一版本单独保存，未并入检索"
    )
    version.conflicts.append(
        f"与知识库中的 {label}（{kept}）内容不一致：以 {kept} 为准，本文本未并入检索"
    )
    report.conflicts.append(
        f"{other}: same 文号 as {kept} ({label}) but the text differs; "
        f"kept as a separate version, not merged (the text of {kept} stands)"
    )


def _source(row) -> Source:
    return Source(
        path=row["path"],
        kind=row["kind"],
        text=row["text"],
        content_hash=row["content_hash"],
        encoding=row["encoding"] or "",
    )


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _parser_fingerprint(registry: UnitRegistry) -> str:
    """Changes whenever the code that turns text into clauses and passages, or the unit registry,
    changes: the parsing stage, the dataclasses, passage cutting, versions and this module."""
    package = Path(__file__).resolve().parent.parent
    modules = [
        *sorted((package / "ingest").rglob("*.py")),
        package / "documents.py",
        package / "storage" / "passages.py",
        package / "storage" / "versions.py",
        Path(__file__).resolve(),
    ]
    digest = hashlib.sha256()
    for module in modules:
        digest.update(module.read_bytes())
    digest.update(registry.fingerprint().encode())
    return digest.hexdigest()[:16]


class _sized:
    """An iterator that knows its length, so a progress bar can show how far along it is."""

    def __init__(self, items: Iterable[T], length: int):
        self._items, self._length = items, length

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)

    def __len__(self) -> int:
        return self._length

"""Fill the clause store from files: load → segment → store, incrementally and atomically.

An unchanged file (same content hash) is skipped; a removed file's clauses go; a file that fails
gets a one-line error and leaves what was indexed before untouched. All writes of one build happen
in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from indexer.documents import DOCUMENT_FACTS, Document, Source
from indexer.ingest.docnum import normalise_doc_number
from indexer.ingest.formats import LoadError, load
from indexer.ingest.segment import SegmentError, find_conflicts, parse_document
from indexer.ingest.units import UnitRegistry
from indexer.storage.passages import is_searchable, split_passages
from indexer.storage.store import Store
from indexer.storage.writes import StoreWriter

CATALOGUE_SUFFIX = ".catalogue.json"
_NOT_DOCUMENTS = {".csv", ".md", ".json"}  # the unit registry, read-me files, other data


# When one document comes as several files (a PDF and a TXT of one opinion), its clauses come
# from the cleanest form.
_KIND_PREFERENCE = {"txt": 0, "docx": 1, "html": 2, "pdf": 3}


@dataclass
class BuildReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line each: "<file>: <reason>"
    unknown_units: dict[str, list[str]] = field(
        default_factory=dict
    )  # document → units not in registry
    documents: dict[str, str] = field(default_factory=dict)  # file → document key

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def discover(paths: Iterable[Path]) -> list[Path]:
    """Every document and catalogue file under ``paths`` (files or folders), sorted."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        elif path.exists():
            found.add(path)
    return sorted(p.resolve() for p in found if _is_input(p))


def _is_input(path: Path) -> bool:
    """Documents and catalogues; any other file is tried, so that it is reported, not ignored."""
    return path.name.endswith(CATALOGUE_SUFFIX) or path.suffix.lower() not in _NOT_DOCUMENTS


def merge_sources(documents: list[Document]) -> Document:
    """One document from several files of it: clauses from the preferred form, facts from all."""
    ordered = sorted(
        documents, key=lambda d: (_KIND_PREFERENCE.get(d.sources[0].kind, 9), d.sources[0].path)
    )
    primary = ordered[0]
    for other in ordered[1:]:
        for name in DOCUMENT_FACTS:
            if getattr(primary, name) is None and getattr(other, name) is not None:
                setattr(primary, name, getattr(other, name))
        for label, value in other.fields.items():
            primary.fields.setdefault(label, value)
        primary.sources.extend(other.sources)
    primary.conflicts = find_conflicts(primary)
    return primary


def _source_from_row(row) -> Source:
    return Source(
        path=row["path"],
        kind=row["kind"],
        text=row["text"],
        content_hash=row["content_hash"],
        encoding=row["encoding"] or "",
    )


def _read_catalogue(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LoadError(path, f"not a readable catalogue: {error}") from error
    entries = data.get("documents") if isinstance(data, dict) else data
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and e.get("doc_number") for e in entries
    ):
        raise LoadError(path, "a catalogue needs a list 'documents' of objects with 'doc_number'")
    for entry in entries:
        entry["doc_number"] = normalise_doc_number(entry["doc_number"]) or entry["doc_number"]
    return entries


def build(
    store: Store,
    paths: Iterable[Path],
    registry: UnitRegistry,
    progress: Callable[[Iterable[Path]], Iterable[Path]] | None = None,
) -> BuildReport:
    """Bring the store in line with the files under ``paths``."""
    roots = [Path(p).resolve() for p in paths]
    files = discover(roots)
    report = BuildReport()
    known = store.source_hashes()
    known_catalogues = store.catalogue_paths()
    parsed: dict[str, Document] = {}
    catalogues: dict[str, list[dict]] = {}
    affected: set[str] = set()

    for path in progress(files) if progress else files:
        key = str(path)
        try:
            if path.name.endswith(CATALOGUE_SUFFIX):
                catalogues[key] = _read_catalogue(path)
                continue
            content_hash = hashlib.sha256(path.read_bytes()).hexdigest()
            if key in known and known[key][0] == content_hash:
                report.unchanged.append(key)
                report.documents[key] = known[key][1]
                continue
            document = parse_document(load(path))
        except (LoadError, SegmentError) as error:
            report.errors.append(str(error))
            continue
        except Exception as error:  # noqa: BLE001 - one odd file must not stop the build
            report.errors.append(f"{key}: could not be read ({type(error).__name__}: {error})")
            continue
        parsed[key] = document
        report.documents[key] = document.doc_id
        (report.updated if key in known else report.added).append(key)
        affected.add(document.doc_id)
        if key in known:
            affected.add(known[key][1])

    seen = {str(p) for p in files}
    for key, (_, doc_id) in known.items():
        if key not in seen and any(Path(key).is_relative_to(root) for root in roots):
            report.removed.append(key)
            affected.add(doc_id)

    fingerprint = _parser_fingerprint(registry)
    if store.get_meta("parser") != fingerprint:
        # New parsing code or a new registry: every stored text is read again (not reloaded).
        affected.update(doc_id for _, doc_id in known.values())

    with store.transaction() as writer:
        writer.set_meta("parser", fingerprint)
        writer.put_registry(registry)
        for key in report.removed:
            writer.delete_source(key)
        for key in known_catalogues - set(catalogues):
            if any(Path(key).is_relative_to(root) for root in roots):
                writer.delete_catalogue(key)
        for key, entries in catalogues.items():
            writer.put_catalogue(key, entries)
        for key, document in parsed.items():
            source = document.sources[0]
            writer.put_source(
                key, document.doc_id, source.kind, source.content_hash, source.encoding, source.text
            )
        for doc_id in sorted(affected):
            _rewrite_document(store, writer, doc_id, parsed, registry, report)
        writer.resolve_references()
        if affected:
            writer.mark_changed()
    return report


def _parser_fingerprint(registry: UnitRegistry) -> str:
    """Changes whenever the code that turns text into clauses and passages, or the unit registry,
    changes: the parsing stage, the dataclasses, passage cutting and this module."""
    package = Path(__file__).resolve().parent.parent
    modules = [
        *sorted((package / "ingest").rglob("*.py")),
        package / "documents.py",
        package / "storage" / "passages.py",
        Path(__file__).resolve(),
    ]
    digest = hashlib.sha256()
    for module in modules:
        digest.update(module.read_bytes())
    digest.update(registry.fingerprint().encode())
    return digest.hexdigest()[:16]


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
    versions = [
        parsed[row["path"]] if row["path"] in parsed else parse_document(_source_from_row(row))
        for row in rows
    ]
    document = merge_sources(versions)
    passages = {c.clause_id: split_passages(c.text) for c in document.clauses if is_searchable(c)}
    unknown = writer.put_document(document, registry, passages)
    if unknown:
        report.unknown_units[document.doc_id] = sorted(u.name for u in unknown)

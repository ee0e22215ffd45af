"""Files added through the app: checked first, kept unchanged in the uploads folder, built like
any other folder, and removable again (the corpus folder itself is kept by hand).

An outcome says what happened in the build's terms, a failure in the loader's words;
indexer/present/errors.py explains a failure in Chinese when it is shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import length_hint
from pathlib import Path

from indexer.config import MB, Settings
from indexer.ingest.formats.base import over_limit
from indexer.ingest.sandbox import ParseResult, ParseTask, parse_all
from indexer.storage.build import BuildReport
from indexer.storage.build import Progress as BuildProgress
from indexer.storage.sources import is_upload, source_key, source_path
from indexer.storage.store import DocumentRecord, Store

FAILED = "失败"
NOT_STORED = "the build stored no document for this file"

# The steps a progress callback hears of, once per file as it is done.
CHECKING = "checking"  # the uploads, before anything is saved
SEGMENTING = "segmenting"  # the files of the uploads folder that the build reads

# progress(step, files done before this one, files in the step, this file's name)
UploadProgress = Callable[[str, int, int, str], None]

_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


@dataclass
class UploadOutcome:
    """What happened to one uploaded file."""

    name: str
    status: str  # 新增 / 更新 / 并入 / 另存版本 / 未变化 / 失败
    doc_id: str | None = None
    title: str = ""
    doc_number: str | None = None
    clauses: int = 0
    tasks: int = 0
    unknown_units: list[str] = field(default_factory=list)
    reason: str = ""  # why it failed, as the loader or the build said it
    saved_as: str = ""

    @property
    def ok(self) -> bool:
        return self.status != FAILED


def safe_filename(name: str) -> str:
    """The file's own name without any folder part or characters a file system refuses."""
    base = Path(name.replace("\\", "/")).name
    cleaned = _UNSAFE_NAME.sub("_", base).strip(" .")
    return cleaned or "upload"


def save_upload(folder: Path, name: str, data: bytes) -> Path:
    """Keep the original bytes under their own name; a different file of the same name gets a
    numbered name instead of overwriting it, the same file is not stored twice."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / safe_filename(name)
    stem, suffix = target.stem, target.suffix
    number = 1
    while target.exists() and target.read_bytes() != data:
        number += 1
        target = folder / f"{stem}-{number}{suffix}"
    if not target.exists():
        target.write_bytes(data)
    return target


def validate(
    config: Settings, files: Sequence[tuple[str, bytes]], progress: UploadProgress | None = None
) -> list[UploadOutcome | None]:
    """Load and segment each upload (name, bytes) as a build would, in the sandbox's worker
    processes under the limits of kb.toml, saving nothing. Returns, by position, None for a file
    that would go in and the failed outcome for one that would not."""
    step = progress or _quiet
    limits = config.limits
    checked: list[UploadOutcome | None] = [None] * len(files)
    tasks, position_of = [], {}
    for position, (name, data) in enumerate(files):
        if len(data) > limits.max_upload_mb * MB:
            error = over_limit(
                name, "upload of", len(data) / MB, limits.max_upload_mb, "max_upload_mb"
            )
            checked[position] = UploadOutcome(name, FAILED, reason=error.reason)
            continue
        # The position keeps two uploads of one name apart; the name's suffix picks the format.
        key = f"{position}/{name}"
        tasks.append(ParseTask(key, data=data))
        position_of[key] = position
    for done, result in enumerate(parse_all(tasks, limits)):
        position = position_of[result.key]
        name = files[position][0]
        step(CHECKING, done, len(tasks), name)
        if result.document is None:
            checked[position] = UploadOutcome(
                name, FAILED, reason=_reason(result.error, result.key)
            )
    return checked


def describe_build(
    store: Store, report: BuildReport, saved: list[tuple[str, str]], existing: set[str]
) -> list[UploadOutcome]:
    """An outcome per saved upload (name, source key) from the build report and the store after
    it. ``existing`` holds the documents that were in the store before: an upload of one of them
    becomes one more source of that document, or a version of its own when its text differs."""
    outcomes = []
    for name, key in saved:
        if key in report.failed:
            reason = _reason(report.failed[key], key)
            outcomes.append(UploadOutcome(name, FAILED, reason=reason))
            continue
        doc_id = report.versions.get(key) or report.documents.get(key)
        document = store.document(doc_id) if doc_id else None
        if document is None:
            outcomes.append(UploadOutcome(name, FAILED, reason=NOT_STORED))
            continue
        if key in report.unchanged:
            status = "未变化"
        elif key in report.versions:
            status = "另存版本"
        elif key in report.updated:
            status = "更新"
        elif doc_id in existing:
            status = "并入"
        else:
            status = "新增"
        outcomes.append(
            UploadOutcome(
                name,
                status,
                doc_id=doc_id,
                title=document.title,
                doc_number=document.doc_number,
                clauses=len(store.clauses(doc_id)),
                tasks=len(store.tasks(doc_id)),
                unknown_units=report.unknown_units.get(doc_id, []),
                saved_as=Path(key).name,
            )
        )
    return outcomes


def add_uploads(
    config: Settings, files: Sequence[tuple[str, bytes]], progress: UploadProgress | None = None
) -> list[UploadOutcome]:
    """Add uploaded files (name, bytes) to the knowledge base: each is checked first, the good
    ones are kept in the uploads folder and that folder is built; a file the build then leaves
    out is deleted again. Returns an outcome per file, in the order given."""
    step = progress or _quiet
    outcomes = validate(config, files, step)
    saved = [
        (position, name, save_upload(config.uploads_dir, name, data))
        for position, (name, data) in enumerate(files)
        if outcomes[position] is None
    ]
    if saved:

        def track(results: Iterable[ParseResult]) -> Iterable[ParseResult]:
            total = length_hint(results)  # the build hands over a sized iterable
            for done, result in enumerate(results):
                step(SEGMENTING, done, total, Path(result.key).name)
                yield result

        store = Store(config.store_path)
        try:
            existing = {d.doc_id for d in store.documents() if d.in_corpus}
            report = _build_uploads(config, track)
            keys = [(name, source_key(path, config.corpus_dir)) for _, name, path in saved]
            described = describe_build(store, report, keys, existing)
        finally:
            store.close()
        for (position, _, path), outcome in zip(saved, described, strict=True):
            if not outcome.ok:
                path.unlink(missing_ok=True)  # not in the store: do not keep a file that fails
            outcomes[position] = outcome
    return [outcome for outcome in outcomes if outcome is not None]


def uploaded_sources(config: Settings, document: DocumentRecord) -> list[Path]:
    """The document's files that were added through the app (only those may be removed)."""
    return [source_path(key, config.corpus_dir) for key in document.sources if is_upload(key)]


def uploaded_documents(config: Settings, store: Store) -> list[DocumentRecord]:
    """The documents, and the versions kept apart, that hold a file added through the app."""
    return [d for d in store.documents() if uploaded_sources(config, d)]


def remove_uploaded(config: Settings, document: DocumentRecord) -> list[Path]:
    """Delete the document's uploaded files and build the uploads folder again, which drops its
    clauses (a document that also has files elsewhere keeps those). Returns the files removed."""
    removed = uploaded_sources(config, document)
    for path in removed:
        path.unlink(missing_ok=True)
    _build_uploads(config)
    return removed


def _build_uploads(config: Settings, progress: BuildProgress | None = None) -> BuildReport:
    """Bring the store in line with the uploads folder; the rest of the corpus is left as is."""
    # kb sits above storage (it opens answerers too); build_store is the one place that gathers
    # what a build needs from the settings: registry, corpus root, limits.
    from indexer.kb import build_store

    return build_store(config, [config.uploads_dir], progress)


def _reason(line: str | None, key: str) -> str:
    """The reason in a one-line error "<key>: <reason>"."""
    line = line or ""
    return line[len(key) :].lstrip(": ") if line.startswith(key) else line


def _quiet(step: str, done: int, total: int, name: str) -> None:
    """A progress callback that reports nowhere."""

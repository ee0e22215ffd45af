"""Several files of one document (one 文号): merged when they say the same, kept apart when not.

The PDF and the TXT of one Ministry opinion are one document with two sources: their words agree,
only punctuation and layout differ. An edited copy of the plan under the same 文号, one name
changed, is not the plan: its text becomes a separate version, never merged into the clauses, and
the disagreement is reported. Which text stands for the document: one under corpus/ over an
upload, then the one indexed first, then the cleanest form (TXT before DOCX, HTML, PDF).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from indexer.documents import DOCUMENT_FACTS, Document
from indexer.ingest.segment import find_conflicts
from indexer.storage.sources import is_upload

_KIND_PREFERENCE = {"txt": 0, "docx": 1, "html": 2, "pdf": 3}


@dataclass
class Resolved:
    document: Document  # the authoritative text, its agreeing forms merged in
    versions: list[Document]  # texts of the same 文号 that disagree with it, one per wording


def content_signature(document: Document) -> str:
    """What two files must share to be one text: the letters and digits of every clause and
    responsibility note, width-folded (NFKC). Punctuation, spaces and line breaks do not count."""
    parts = []
    for clause in document.clauses:
        parts.append(clause.text)
        if clause.responsibility is not None:
            parts.append(clause.responsibility.raw)
    return "".join(ch for ch in unicodedata.normalize("NFKC", "".join(parts)) if ch.isalnum())


def resolve_versions(documents: list[Document], first_indexed: dict[str, int]) -> Resolved:
    """Group the parsed files of one document by their words; the authoritative group becomes
    the document, every other group a version. ``first_indexed``: source key → build number in
    which the store first saw it (missing: this build)."""
    groups: dict[str, list[Document]] = {}
    for document in documents:
        groups.setdefault(content_signature(document), []).append(document)

    def authority(group: list[Document]) -> tuple:
        keys = [d.sources[0].path for d in group]
        return (
            all(is_upload(key) for key in keys),
            min(first_indexed.get(key, 1 << 62) for key in keys),
            min(_preference(d) for d in group),
        )

    ordered = sorted(groups.values(), key=authority)
    return Resolved(merge_sources(ordered[0]), [merge_sources(group) for group in ordered[1:]])


def merge_sources(documents: list[Document]) -> Document:
    """One document from several files of the same text: clauses from the preferred form, facts
    from all."""
    ordered = sorted(documents, key=_preference)
    primary = ordered[0]
    for other in ordered[1:]:
        for name in DOCUMENT_FACTS:
            if getattr(primary, name) is None and getattr(other, name) is not None:
                setattr(primary, name, getattr(other, name))
                if name in other.read_from:
                    primary.read_from[name] = f"{other.read_from[name]}（{other.sources[0].path}）"
        for label, value in other.fields.items():
            primary.fields.setdefault(label, value)
        primary.sources.extend(other.sources)
    primary.conflicts = find_conflicts(primary)
    return primary


def _preference(document: Document) -> tuple[int, str]:
    source = document.sources[0]
    return _KIND_PREFERENCE.get(source.kind, 9), source.path

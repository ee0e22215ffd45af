"""How documents, levels and responsibilities are named on screen and in the CLI's output."""

from __future__ import annotations

from indexer.ingest.docnum import find_doc_numbers
from indexer.storage.store import DocumentRecord

LEVELS = ("国家级", "省级", "市级", "县级")
ROLE_LABELS = {"lead": "牵头", "responsible": "责任", "cooperating": "配合"}


def document_label(document: DocumentRecord, limit: int = 48) -> str:
    """文号　title, the title cut after ``limit`` characters; the title alone without a 文号."""
    title = document.title if len(document.title) <= limit else document.title[:limit] + "…"
    return f"{document.doc_number}　{title}" if document.doc_number else title


def document_year(document: DocumentRecord) -> int | None:
    """The year of the 文号, else of the first date known."""
    if document.doc_number:
        found = find_doc_numbers(document.doc_number)
        if found:
            return found[0].number.year
    for date in (document.signed_date, document.issue_date, document.published_date):
        if date and date[:4].isdigit():
            return int(date[:4])
    return None


def responsibility_line(leads: list[str], unit_roles: dict[str, str]) -> str:
    """牵头领导: 李祖习  责任单位: 局基础教育科、各县市区教育局 — each role as the note gives it."""
    parts = [f"牵头领导: {'、'.join(leads)}"] if leads else []
    for role, label in ROLE_LABELS.items():
        names = [name for name, given in unit_roles.items() if given == role]
        if names:
            parts.append(f"{label}单位: {'、'.join(names)}")
    return "  ".join(parts)

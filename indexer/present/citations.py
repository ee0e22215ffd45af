"""Citation lines in the standard form: 《title》（文号）二、（一）1."""

from __future__ import annotations

from indexer.ingest.headings import match_heading
from indexer.storage.store import ClauseRecord

_QUOTE_LIMIT = 16  # characters of an unnumbered paragraph quoted in its citation


def source_title(clause: ClauseRecord, document_clauses: list[ClauseRecord]) -> str:
    """The title a clause is cited under: the plan or measures it sits in when the document is a
    notice issuing one (咸市教〔2021〕14号 issues 《咸宁市…实施方案》), else the document's own."""
    titles = [c.text for c in document_clauses if c.kind == "title" and c.ordinal <= clause.ordinal]
    return titles[-1] if titles else clause.doc_title


def path_markers(path: list[str]) -> str:
    """二、（一）1. for a path of headings; a paragraph without a number is quoted by its start."""
    markers = []
    for position, heading in enumerate(path):
        found = match_heading(heading)
        if found:
            markers.append(found.marker)
        elif position == len(path) - 1:
            # Quotes inside the quotation become single quotes, as in print.
            text = heading.rstrip("…").replace("“", "‘").replace("”", "’")
            cut = "…" if len(text) > _QUOTE_LIMIT or heading.endswith("…") else ""
            markers.append(f"“{text[:_QUOTE_LIMIT]}{cut}”")
    return "".join(markers)


def quoted_title(title: str) -> str:
    """《title》; a title quoted inside it takes single angle brackets, as in print."""
    return "《" + title.strip().replace("《", "〈").replace("》", "〉") + "》"


def citation_line(title: str, doc_number: str | None, path: list[str]) -> str:
    """《title》（文号）二、（一）1."""
    number = f"（{doc_number}）" if doc_number else ""
    return f"{quoted_title(title)}{number}{path_markers(path)}"

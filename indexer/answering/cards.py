"""Answers about a document itself, read from its card in the store, not by ranking clauses: what
it is and who cites it (docnum), what it carries out (basis), its facts (facts) with where each
was read."""

from __future__ import annotations

from indexer.ingest.docnum import normalise_doc_number
from indexer.storage.store import ClauseRecord, DocumentRecord, Store

FACT_LABELS = {
    "addressees": "主送机关",
    "issuer": "发文单位",
    "signed_date": "成文日期（落款）",
    "issue_date": "发文日期",
    "published_date": "发布日期",
    "validity": "有效性",
}
# A question's word for a fact → the facts that answer it.
FACTS_ASKED = {
    "addressees": ("addressees",),
    "issuer": ("issuer",),
    "date": ("signed_date", "issue_date", "published_date"),
    "validity": ("validity",),
}


def hit_dict(clause: ClauseRecord, score: float) -> dict:
    """A clause as the answer contract lists it."""
    return {
        "clause_id": clause.clause_id,
        "doc_number": clause.doc_number or clause.doc_title,
        "doc_title": clause.doc_title,
        "path": clause.path,
        "task_no": clause.task_no,
        "lead": clause.leads,
        "units": clause.units,
        "text": clause.text,
        "score": round(float(score), 4),
    }


def document_dict(document: DocumentRecord, cited_by: list[tuple[str, str]]) -> dict:
    return {
        "doc_number": document.doc_number or "",
        "title": document.title,
        "in_corpus": document.in_corpus,
        "issuer": document.issuer,
        "level": document.level,
        "signed_date": document.signed_date,
        "issue_date": document.issue_date,
        "published_date": document.published_date,
        "validity": document.validity,
        "conflicts": document.conflicts,
        "cited_by": [
            {"doc_number": label, "clause_id": clause_id} for clause_id, label in cited_by
        ],
    }


def not_found(typed: str) -> tuple[dict, list[dict]]:
    """A 文号 or title that names no document known here."""
    number = normalise_doc_number(typed) or ""
    return {
        "doc_number": number,
        "title": "",
        "in_corpus": False,
        "found": False,
        "cited_by": [],
    }, []


def docnum_answer(store: Store, document: DocumentRecord, k: int) -> tuple[dict, list[dict]]:
    """The card of a document and the clauses that cite it (only those shown are read: a much
    cited 文号 has thousands of citing clauses in a large corpus)."""
    cited_by = store.cited_by(document.doc_id)
    answer = document_dict(document, cited_by) | {"found": True}
    shown = cited_by[: max(k, 1)]
    citing = store.clauses_by_id(clause_id for clause_id, _ in shown)
    own = store.clauses(document.doc_id)[:1] if document.in_corpus else []
    return answer, [hit_dict(c, 1.0) for c in [*own, *citing][: max(k, 1)]]


def basis_answer(
    store: Store, document: DocumentRecord, level: str | None = None
) -> tuple[dict, list[dict]]:
    """What the document carries out, as its opening paragraph names it, with that clause; only
    those of ``level`` (省级 …) when the question asks for one."""
    basis = store.basis_of(document.doc_id)
    if level and any(b.level == level for b in basis):
        basis = [b for b in basis if b.level == level]
    answer = {
        "doc_number": document.doc_number or document.title,
        "title": document.title,
        "basis": [
            {
                "doc_number": b.doc_number,
                "title": b.title,
                "in_corpus": b.in_corpus,
                "clause_id": b.clause_id,
            }
            for b in basis
        ],
        "found": bool(basis),
    }
    naming = store.clauses_by_id(dict.fromkeys(b.clause_id for b in basis if b.clause_id))
    return answer, [hit_dict(c, 1.0) for c in naming]


def facts_answer(
    store: Store, document: DocumentRecord, asked: list[str]
) -> tuple[dict, list[dict]]:
    """The facts asked for, each with where it was read (a header field, the signature, a
    catalogue); the first clause of the document stands as the text it comes with."""
    fields = [name for word in asked for name in FACTS_ASKED.get(word, ())] or list(FACT_LABELS)
    facts = [
        {
            "field": name,
            "label": FACT_LABELS[name],
            "value": value,
            "source": document.read_from.get(name, "文件信息"),
        }
        for name in dict.fromkeys(fields)
        if (value := getattr(document, name))
    ]
    answer = {
        "doc_number": document.doc_number or document.title,
        "title": document.title,
        "facts": facts,
        "conflicts": document.conflicts,
        "found": bool(facts),
    }
    own = store.clauses(document.doc_id)[:1] if document.in_corpus else []
    return answer, [hit_dict(c, 1.0) for c in own]

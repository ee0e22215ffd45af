"""Grounded answers: every answer names the clause it stands on. No text is generated.

``Answerer.ask`` is the one answer function: the CLI's ``ask`` and the Streamlit app both call it,
and its result is the JSON contract documented in the README.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.answering.duties import Duties, leader_duties, unit_duties
from indexer.answering.intent import Intent, Vocabulary, understand
from indexer.answering.lineage import LINEAGE_INTENTS, LineageAnswers
from indexer.config import DEFAULT_LIMITS, Home, Limits
from indexer.ingest.docnum import normalise_doc_number
from indexer.retrieval.search import SearchFilters, SearchIndex
from indexer.storage.store import ClauseRecord, DocumentRecord, Store

WHO_CANDIDATES = 30
QUANTITY_RERANK_DEPTH = 10
QUANTITY_BONUS = 0.15

_NUMBER = r"[0-9０-９一二两三四五六七八九十百]+"
_QUANTITY_QUESTION = re.compile(
    r"几(?P<unit>[年个所次名项节天周岁届条类批分])|多少(?P<unit2>学分|课时|年|个|所|名|人|天|周|次)?|多久|多长时间"
)


def prefer_quantities(
    question: str, hits: list[tuple[ClauseRecord, float]]
) -> list[tuple[ClauseRecord, float]]:
    """ "过渡期几年？" wants a clause that states a number of years: among close candidates, one
    holding a number with the unit asked for moves up."""
    match = _QUANTITY_QUESTION.search(question)
    if not match or not hits:
        return hits
    unit = (
        match["unit"]
        or match["unit2"]
        or ("年|个?月|天|周" if match.group(0) in ("多久", "多长时间") else "")
    )
    states = re.compile(f"{_NUMBER}(?:{unit})" if unit else _NUMBER)
    rescored = [(c, s + QUANTITY_BONUS * bool(states.search(c.text))) for c, s in hits]
    return sorted(rescored, key=lambda pair: -pair[1])


@dataclass
class AskOptions:
    k: int = 5
    doc: str | None = None  # a 文号 or title: only this document
    filters: SearchFilters | None = None  # further restrictions from the app (level, validity …)
    mode: str = "hybrid"  # hybrid / lexical / dense
    lexical_weight: float | None = None  # the hybrid's BM25 share; None → search.LEXICAL_WEIGHT


def hit_dict(clause: ClauseRecord, score: float) -> dict:
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


class Answerer:
    """Answers questions over one store and its search index."""

    def __init__(
        self,
        store: Store,
        index: SearchIndex,
        limits: Limits = DEFAULT_LIMITS,
        home: Home | None = None,
    ):
        self.store = store
        self.index = index
        self.limits = limits
        vectors = index.dense.vectors if index.dense is not None else None
        self.lineage = LineageAnswers(store, vectors, home)
        self.vocabulary = Vocabulary.from_store(store)
        self._task_of: dict[str, str] = {}
        self._task_area: frozenset[str] = frozenset()
        self._map_tasks()

    def close(self) -> None:
        """Let go of the store's snapshot (and the store): builds may reclaim what it held."""
        self.store.release_snapshot()
        self.store.close()

    def _map_tasks(self) -> None:
        """Each clause under a task (a paragraph developing a numbered item) answers for that task."""
        parent_of, is_task = {}, set()
        for clause_id, parent_id, task_no in self.store.clause_tree():
            parent_of[clause_id] = parent_id
            if task_no is not None:
                is_task.add(clause_id)
        for clause_id in parent_of:
            node = clause_id
            while node is not None and node not in is_task:
                node = parent_of.get(node)
            if node is not None:
                self._task_of[clause_id] = node
        # Frozen: the search index keeps the passage mask of a frozenset filter.
        self._task_area = frozenset(self._task_of)

    def ask(self, question: str, options: AskOptions | None = None) -> dict:
        options = options or AskOptions()
        question = question.strip()
        notice = None
        cap = self.limits.max_question_chars
        if len(question) > cap:
            # Every step's cost grows with the question; nobody types a page into a search box.
            question = question[:cap]
            notice = f"问题过长，只按前 {cap} 个字回答（max_question_chars）"
        intent = understand(question, self.vocabulary)
        scope = self._scope(options, intent)
        # Once a place has narrowed the documents, its name only adds noise to the ranking.
        topic = question
        if intent.places and not options.doc:
            for place in intent.places:
                topic = topic.replace(place, " ")
        if intent.kind == "docnum":
            answer, hits = self._document(intent, options)
        elif intent.kind in ("unit", "leader"):
            answer, hits = self._duties(intent, scope, options)
        elif intent.kind == "who":
            answer, hits = self._who(topic, scope, options)
        elif intent.kind in LINEAGE_INTENTS:
            answer, found = self.lineage.answer(
                question, intent.kind, options.doc, intent.place_doc_ids
            )
            hits = [hit_dict(clause, score) for clause, score in found[: options.k]]
        else:
            answer, hits = self._search(topic, scope, options)
        result = {"query": question, "intent": intent.kind, "answer": answer, "hits": hits}
        if notice:
            result["notice"] = notice
        return result

    def _scope(self, options: AskOptions, intent: Intent) -> SearchFilters:
        filters = SearchFilters(**vars(options.filters)) if options.filters else SearchFilters()
        if options.doc:
            document = self.store.find_document(options.doc)
            filters.doc_ids = {document.doc_id} if document else set()
        elif intent.place_doc_ids:
            # A place narrows what the filters already allow; it never widens it.
            chosen = filters.doc_ids
            filters.doc_ids = (
                set(intent.place_doc_ids) & chosen
                if chosen is not None
                else set(intent.place_doc_ids)
            )
        return filters

    def _hits(
        self, question: str, filters: SearchFilters, options: AskOptions, k: int, widen: bool = True
    ) -> list[tuple[ClauseRecord, float]]:
        found = self.index.search(
            question, k=k, filters=filters, mode=options.mode, lexical_weight=options.lexical_weight
        )
        if not found and widen and filters.doc_ids is not None and not options.doc:
            # The place named matched no clause: search everywhere rather than answer nothing.
            everywhere = SearchFilters(**{**vars(filters), "doc_ids": None})
            found = self.index.search(
                question,
                k=k,
                filters=everywhere,
                mode=options.mode,
                lexical_weight=options.lexical_weight,
            )
        clauses = {c.clause_id: c for c in self.store.clauses_by_id(h.clause_id for h in found)}
        return [(clauses[h.clause_id], h.score) for h in found if h.clause_id in clauses]

    def _search(
        self, question: str, scope: SearchFilters, options: AskOptions
    ) -> tuple[dict, list[dict]]:
        hits = self._hits(question, scope, options, max(options.k, QUANTITY_RERANK_DEPTH))
        hits = prefer_quantities(question, hits)[: options.k]
        answer = {}
        if hits:
            best = hits[0][0]
            answer = {
                "clause_id": best.clause_id,
                "doc_number": best.doc_number or best.doc_title,
                "path": best.path,
            }
        return answer, [hit_dict(c, s) for c, s in hits]

    def _who(
        self, question: str, scope: SearchFilters, options: AskOptions
    ) -> tuple[dict, list[dict]]:
        task_scope = SearchFilters(
            **{
                **vars(scope),
                "clause_ids": self._task_area & scope.clause_ids
                if scope.clause_ids is not None
                else self._task_area,
            }
        )
        # No task where the question points (a place whose documents assign none, say 海南's 复函):
        # answer from the best clause there rather than from another place's task.
        hits = self._hits(question, task_scope, options, WHO_CANDIDATES, widen=False)
        if not hits:
            return self._search(question, scope, options)
        # Roll paragraphs up to the task they develop, keeping the best score per task.
        ranked: dict[str, float] = {}
        for clause, score in hits:
            ranked.setdefault(self._task_of[clause.clause_id], score)
        tasks = self.store.clauses_by_id(ranked)
        best = tasks[0]
        answer = {
            "task_no": best.task_no,
            "lead": best.leads,
            "units": best.units,
            "unit_roles": best.unit_roles,
            "clause_id": best.clause_id,
            "doc_number": best.doc_number or best.doc_title,
            "path": best.path,
        }
        return answer, [hit_dict(t, ranked[t.clause_id]) for t in tasks[: options.k]]

    def _duties(
        self, intent: Intent, scope: SearchFilters, options: AskOptions
    ) -> tuple[dict, list[dict]]:
        doc_ids = scope.doc_ids
        if intent.kind == "leader":
            duties = leader_duties(self.store, intent.leader or "")
        else:
            duties = unit_duties(self.store, intent.unit or "")
        if doc_ids is not None:
            kept = [g for g in duties.groups if g.doc_id in doc_ids]
            duties = Duties(
                duties.query,
                duties.kind,
                duties.matched,
                kept or ([] if options.doc else duties.groups),
            )
        answer = {
            "unit" if intent.kind == "unit" else "leader": duties.matched,
            "tasks": [
                {
                    "task_no": t.task_no,
                    "title": t.title,
                    "doc_number": t.doc_number,
                    "clause_id": t.clause_id,
                    "role": t.role,
                }
                for t in duties.tasks
            ],
            "groups": [
                {
                    "doc_number": g.doc_number or g.doc_title,
                    "doc_title": g.doc_title,
                    "unit": g.unit,
                    "tasks": [t.clause_id for t in g.tasks],
                }
                for g in duties.groups
            ],
        }
        clauses = self.store.clauses_by_id(t.clause_id for t in duties.tasks)
        return answer, [hit_dict(c, 1.0) for c in clauses[: options.k]]

    def _document(self, intent: Intent, options: AskOptions) -> tuple[dict, list[dict]]:
        text = intent.doc_text or ""
        document = self.store.find_document(text)
        if document is None:
            return {
                "doc_number": normalise_doc_number(text) or "",
                "title": "",
                "in_corpus": False,
                "found": False,
                "cited_by": [],
            }, []
        cited_by = self.store.cited_by(document.doc_id)
        answer = document_dict(document, cited_by) | {"found": True}
        # Only the clauses shown are read: a much-cited 文号 has thousands at 100k clauses.
        shown = cited_by[: max(options.k, 1)]
        citing = self.store.clauses_by_id(clause_id for clause_id, _ in shown)
        own = self.store.clauses(document.doc_id)[:1] if document.in_corpus else []
        return answer, [hit_dict(c, 1.0) for c in [*own, *citing][: max(options.k, 1)]]

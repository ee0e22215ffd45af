"""What a question is asked over: the filters the app offers beside the question box (documents,
责任单位, 牵头领导, 级别, 有效性) as the answerer's options, and in words for the reader."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from indexer.answering.answer import AskOptions
from indexer.answering.duties import leader_duties, unit_duties
from indexer.retrieval.search import SearchFilters
from indexer.storage.store import Store


@dataclass
class Scope:
    """A question's scope: the options to ask it with, and the filters in use, in words."""

    options: AskOptions
    active: list[str] = field(default_factory=list)  # each filter in use: 文件：…, 级别：…


def ask_scope(
    store: Store,
    *,
    doc_ids: Sequence[str] = (),
    unit: str | None = None,
    leader: str | None = None,
    levels: Sequence[str] = (),
    validity: Sequence[str] = (),
    k: int = 5,
    home: str | None = None,
    context: str | None = None,
) -> Scope:
    """The options that ask for ``k`` answers within the chosen documents, the tasks of ``unit``
    and of ``leader`` (with the clauses below them), the levels and validities, with ``home`` as
    the home body ("" for none) and ``context`` as what "这个文件" means; and the filters in use,
    described in the order the app lists them."""
    active = []
    filters = SearchFilters()
    documents = [d for doc_id in doc_ids if (d := store.document(doc_id))]
    if doc_ids:
        filters.doc_ids = set(doc_ids)
        active.append("文件：" + "、".join(d.doc_number or d.title for d in documents))
    if levels:
        filters.levels = set(levels)
        active.append("级别：" + "、".join(levels))
    if validity:
        filters.validity = set(validity)
        active.append("有效性：" + "、".join(validity))
    if unit or leader:
        tasks: set[str] | None = None
        if unit:
            tasks = {t.clause_id for t in unit_duties(store, unit).tasks}
            active.append(f"责任单位：{unit}")
        if leader:
            led = {t.clause_id for t in leader_duties(store, leader).tasks}
            tasks = led if tasks is None else tasks & led
            active.append(f"牵头领导：{leader}")
        filters.clause_ids = clauses_under(store, tasks or set())
    # One chosen document with a 文号 goes in as AskOptions.doc too: a place named in the
    # question then cannot widen the search past it (the answerer lets places replace doc_ids).
    single = documents[0] if len(doc_ids) == 1 and documents else None
    options = AskOptions(
        k=k,
        doc=single.doc_number if single and single.doc_number else None,
        filters=None if filters.is_empty() else filters,
        home=home,
        context=context,
    )
    return Scope(options, active)


def clauses_under(store: Store, task_ids: Iterable[str]) -> set[str]:
    """The task clauses and every clause below them: a task's text may go on in paragraphs."""
    wanted = set(task_ids)
    found = set(wanted)
    for doc_id in {c.doc_id for c in store.clauses_by_id(wanted)}:
        parent_of = {c.clause_id: c.parent_id for c in store.clauses(doc_id)}
        for clause_id in parent_of:
            node = parent_of[clause_id]
            while node is not None:
                if node in wanted:
                    found.add(clause_id)
                    break
                node = parent_of.get(node)
    return found

"""Checking an answer (the ``ask`` JSON contract) against a labelled expectation.

The format is that of ``eval/queries.jsonl``: ``{"id", "type", "q", "expect"}`` and optionally
``"doc"`` (the document in scope, as the CLI's --doc) and ``"class"`` (what the question tests).
Types and their expect keys:
- who: task, lead, units_any, doc_number, text (a snippet of the task's own clause)
- unit / leader: tasks (task numbers) or task_texts (a snippet per task), doc_number
- docnum: doc_number, title_contains, cited_by_any
- clause: text, doc_number, doc_title_contains
- basis: doc_number (the document asked about), basis (文号 or titles of its bases)
- facts: doc_number, field (addressees / issuer / signed_date / issue_date / validity),
  value_contains
- none: found false: nothing in the corpus answers it
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from indexer.ingest.docnum import find_doc_numbers

_SPACE = re.compile(r"\s+")


def load_queries(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _squash(text: str) -> str:
    return _SPACE.sub("", text)


def same_unit(expected: str, given: str) -> bool:
    """局人事科 = 局人事科; 省教育厅 (as a document writes it) = 湖北省教育厅 (as the store names it)."""
    return given == expected or given.endswith(expected)


def hit_is_relevant(query: dict, hit: dict) -> bool:
    """Whether a returned clause is one the question is about."""
    expect = query["expect"]
    kind = query["type"]
    if kind in ("basis", "facts", "none"):
        return False  # answered from the document card, not by ranking clauses
    if expect.get("doc_number") and kind != "docnum" and hit["doc_number"] != expect["doc_number"]:
        return False
    if expect.get("doc_title_contains") and expect["doc_title_contains"] not in hit["doc_title"]:
        return False
    if kind == "who":
        if "task" in expect:
            return hit["task_no"] == expect["task"] and (
                not expect.get("lead") or expect["lead"] in hit["lead"]
            )
        return _squash(expect["text"]) in _squash(hit["text"])
    if kind in ("unit", "leader"):
        if "task_texts" in expect:
            return any(_squash(t) in _squash(hit["text"]) for t in expect["task_texts"])
        return hit["task_no"] in expect["tasks"]
    if kind == "docnum":
        cited_by = set(expect.get("cited_by_any", []))
        named = {found.number.canonical for found in find_doc_numbers(hit["text"])}
        return (
            hit["doc_number"] in {expect["doc_number"], *cited_by} or expect["doc_number"] in named
        )
    return _squash(expect["text"]) in _squash(hit["text"])


def answer_is_correct(query: dict, result: dict) -> bool:
    """Whether the answer says what the label says (the answer, not just the ranking)."""
    expect, answer, kind = query["expect"], result["answer"], query["type"]
    if kind not in ("clause", "none") and result["intent"] != kind:
        return False
    if kind == "who":
        if "task" in expect and answer.get("task_no") != expect["task"]:
            return False
        if expect.get("lead") and expect["lead"] not in answer.get("lead", []):
            return False
        if expect.get("doc_number") and answer.get("doc_number") != expect["doc_number"]:
            return False
        if "text" in expect:
            clause = next(
                (h for h in result["hits"] if h["clause_id"] == answer.get("clause_id")), None
            )
            if clause is None or _squash(expect["text"]) not in _squash(clause["text"]):
                return False
        units = answer.get("units", [])
        return any(
            same_unit(u, given) for u in expect.get("units_any", []) for given in units
        ) or not expect.get("units_any")
    if kind in ("unit", "leader"):
        tasks = [
            t
            for t in answer.get("tasks", [])
            if not expect.get("doc_number") or t["doc_number"] == expect["doc_number"]
        ]
        if "task_texts" in expect:
            texts = [_squash(t.get("text", "")) for t in tasks]
            return len(texts) == len(expect["task_texts"]) and all(
                any(_squash(snippet) in text for text in texts) for snippet in expect["task_texts"]
            )
        return sorted(t["task_no"] for t in tasks) == sorted(expect["tasks"])
    if kind == "basis":
        named = {b.get("doc_number") or b.get("title") for b in answer.get("basis", [])}
        return answer.get("doc_number") == expect["doc_number"] and set(expect["basis"]) == named
    if kind == "facts":
        return answer.get("doc_number") == expect["doc_number"] and any(
            fact["field"] == expect["field"] and expect["value_contains"] in (fact["value"] or "")
            for fact in answer.get("facts", [])
        )
    if kind == "none":
        return answer.get("found") is False
    if kind == "docnum":
        if answer.get("doc_number") != expect["doc_number"]:
            return False
        if expect.get("title_contains") and expect["title_contains"] not in answer.get("title", ""):
            return False
        citing = {c["doc_number"] for c in answer.get("cited_by", [])}
        return set(expect.get("cited_by_any", [])) <= citing if expect.get("cited_by_any") else True
    return bool(result["hits"]) and hit_is_relevant(query, result["hits"][0])


def rank_of_first_relevant(query: dict, hits: list[dict]) -> int | None:
    """1-based rank of the first relevant hit, or None."""
    return next((i + 1 for i, hit in enumerate(hits) if hit_is_relevant(query, hit)), None)

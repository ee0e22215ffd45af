"""Checking an answer (the ``ask`` JSON contract) against a labelled expectation.

The format is that of ``eval/queries.jsonl``: ``{"id", "type", "q", "expect"}`` with type one of
who / unit / leader / docnum / clause, and expect keys task, lead, units_any, doc_number, text,
tasks, title_contains, cited_by_any, doc_title_contains.
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
    if kind != "clause" and result["intent"] != kind:
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
        return sorted(t["task_no"] for t in answer.get("tasks", [])) == sorted(expect["tasks"])
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

"""Passages: what the search indexes see of a clause. A long clause is cut at sentence ends so that
each passage, with its headings, fits the encoder (510 tokens)."""

from __future__ import annotations

import re

from indexer.documents import Clause

PASSAGE_CHARS = 300  # well under the encoder's 510 tokens, about one 公文 sentence group
_WORD_CHARS = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


def _squash(text: str) -> str:
    return "".join(_WORD_CHARS.findall(text))


def split_passages(text: str, limit: int = PASSAGE_CHARS) -> list[str]:
    """Cut a long clause at sentence ends (。；) into passages of at most ``limit`` characters."""
    if len(text) <= limit:
        return [text]
    sentences, current = [], ""
    for char in text:
        current += char
        if char in "。；;！？":
            sentences.append(current)
            current = ""
    if current:
        sentences.append(current)
    passages, buffer = [], ""
    for sentence in sentences:
        while len(sentence) > limit:  # one sentence longer than a passage: cut it hard
            if buffer:
                passages.append(buffer)
                buffer = ""
            passages.append(sentence[:limit])
            sentence = sentence[limit:]
        if len(buffer) + len(sentence) > limit and buffer:
            passages.append(buffer)
            buffer = ""
        buffer += sentence
    if buffer:
        passages.append(buffer)
    return passages


def passages_for(clauses: list[Clause], document_title: str) -> dict[str, list[str]]:
    """The passages of a document's clauses, by clause id. Every character of the text is
    reachable: each clause is searched as its own text, but for a bare heading whose clauses
    below carry its whole text in their paths (一、总体要求 over its items), and the title of a
    plan a notice issues, which is found as the document's title (关于印发《…》的通知). A numbered item that is one
    sentence with nothing under it is found by its own words."""
    parents = {clause.parent_id for clause in clauses}
    found = {}
    for clause in clauses:
        carried = (clause.kind == "title" and _squash(clause.text) in _squash(document_title)) or (
            clause.clause_id in parents and clause.text == clause.path[-1]
        )
        if not carried and _WORD_CHARS.search(clause.text):
            found[clause.clause_id] = split_passages(clause.text)
    return found

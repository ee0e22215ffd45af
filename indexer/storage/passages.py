"""Passages: what the search indexes see of a clause. A long clause is cut at sentence ends so that
each passage, with its headings, fits the encoder (510 tokens)."""

from __future__ import annotations

import re

from indexer.documents import Clause

PASSAGE_CHARS = 300  # well under the encoder's 510 tokens, about one 公文 sentence group
MIN_SEARCHABLE_CHARS = 6
_WORD_CHARS = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


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


def is_searchable(clause: Clause) -> bool:
    """Whether a clause gets passages of its own. A bare heading is found through the clauses under
    it, whose passages carry its words; a table cell such as 时长 or 年月日 says nothing to find."""
    return (
        clause.kind not in ("heading", "title")
        and len(_WORD_CHARS.findall(clause.text)) >= MIN_SEARCHABLE_CHARS
    )

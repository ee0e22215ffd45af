"""How a cited title names a document: citing texts drop the issuer, quote marks and brackets."""

from __future__ import annotations

MIN_CITED_TITLE = 6  # 《实施方案》 alone names no particular document


def title_key(title: str) -> str:
    return "".join(ch for ch in title if ch not in " 　《》“”\"'（）()")


def match_title(cited_title: str, titles: dict[str, str]) -> str | None:
    """A cited title names a document when the titles are equal, or one holds the other whole
    (citing texts drop the issuer: 《关于全面加强和改进学校美育工作的意见》)."""
    key = title_key(cited_title)
    if key in titles:
        return titles[key]
    if len(key) < 10:
        return None
    candidates = [
        doc_id for title, doc_id in titles.items() if title.endswith(key) or key.endswith(title)
    ]
    return candidates[0] if len(candidates) == 1 else None

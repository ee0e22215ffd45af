"""Which document a citation names, when its 文号 or its title is not written out in full.

- Titles: citing texts drop the issuer (《关于全面加强和改进学校美育工作的意见》) or name it
  relative to themselves (《省政府办公厅关于…实施意见》 in a city of that province). A title that
  names no place of its own is looked for in the citing document's own places first (its city, its
  province, the country): 咸阳's 《省政府办公厅…》 is 陕西's document, not 江苏's.
- Numbers: a citing text may print a 文号 damaged (云政办〔2016〕90号 for 云政办发〔2016〕90号):
  the same year and serial under an agency code one character longer or shorter names the
  document, when only one does.
"""

from __future__ import annotations

from collections.abc import Iterable

from indexer.ingest.docnum import parse_doc_number
from indexer.ingest.places import default_places

MIN_CITED_TITLE = 6  # 《实施方案》 alone names no particular document
_MIN_PARTIAL_TITLE = 10  # a part of a title this long can name a document
_NATIONAL = ("国务院", "中共中央", "中办", "国办", "教育部", "国家")


def title_key(title: str) -> str:
    """What two spellings of one title share: no quotes, brackets or spaces, and 省人民政府 as
    省政府 (citing texts shorten it)."""
    return "".join(ch for ch in title if ch not in " 　《》“”\"'（）()").replace("人民政府", "政府")


class TitleIndex:
    """Documents by the key of their title, with the place each belongs to."""

    def __init__(self, documents: Iterable[tuple[str, str, str | None]]):
        self._documents: dict[str, list[tuple[str, str | None]]] = {}
        self._whole_only: set[str] = set()
        for doc_id, title, place in documents:
            self.add(doc_id, title, place)

    def add(self, doc_id: str, title: str, place: str | None, whole_only: bool = False) -> None:
        """``whole_only``: a title known from one citation names only itself, never a longer or
        shorter title (two cities' 学校美育改革与发展备忘录 with their province are two)."""
        key = title_key(title)
        self._documents.setdefault(key, []).append((doc_id, place))
        if whole_only:
            self._whole_only.add(key)

    def match(self, cited_title: str, citing_place: str | None) -> str | None:
        """The document ``cited_title`` names, cited from a document of ``citing_place``."""
        key = title_key(cited_title)
        if key in self._documents:
            candidates = self._documents[key]
        elif len(key) >= _MIN_PARTIAL_TITLE:
            # A part of a title names the documents ending with it, but not one whose own title
            # names a place apart from the citing document's (资阳's 学校美育改革与发展备忘录 is
            # not 教育部与福建省政府签署…备忘录).
            candidates = [
                found
                for title, documents in self._documents.items()
                if (title.endswith(key) or key.endswith(title))
                and title not in self._whole_only
                and not _names_another_place(title, citing_place)
                for found in documents
            ]
        else:
            return None
        if not _names_its_place(cited_title):
            candidates = _nearest(candidates, citing_place)
        unique = {doc_id for doc_id, _ in candidates}
        return unique.pop() if len(unique) == 1 else None


def near_number(cited: str, numbers: dict[str, str]) -> str | None:
    """The document a damaged 文号 means: same year and serial, agency one character off."""
    wanted = parse_doc_number(cited)
    if wanted is None:
        return None
    found = set()
    for number, doc_id in numbers.items():
        known = parse_doc_number(number)
        if known is None or (known.year, known.serial) != (wanted.year, wanted.serial):
            continue
        longer, shorter = sorted((known.agency, wanted.agency), key=len, reverse=True)
        if len(longer) - len(shorter) == 1 and longer.startswith(shorter):
            found.add(doc_id)
    return found.pop() if len(found) == 1 else None


def _names_another_place(title: str, citing_place: str | None) -> bool:
    """Whether the title names a place, none of them the citing document's or one above it."""
    named = default_places().in_text(title)
    chain = set(default_places().ancestors(citing_place))
    return bool(named and chain) and not any(codes & chain for _, codes in named)


def _names_its_place(title: str) -> bool:
    return title.startswith(_NATIONAL) or bool(default_places().in_text(title[:12]))


def _nearest(
    candidates: list[tuple[str, str | None]], citing_place: str | None
) -> list[tuple[str, str | None]]:
    """The candidates in the citing document's own places, nearest first; none when none are."""
    chain = default_places().ancestors(citing_place)
    for place in chain:
        here = [found for found in candidates if found[1] == place]
        if here:
            return here
    # No place known for the citing document: every candidate stays; else only documents with no
    # place of their own (known only from a citation) may still be meant.
    return candidates if not chain else [found for found in candidates if found[1] is None]

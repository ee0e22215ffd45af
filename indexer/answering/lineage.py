"""Questions about lineage, and their answers.

- ``lineage``: 这条任务对应上级哪条要求 · 我们的任务5落实的是省里哪条要求 · 我们的方案比省里多了什么、少了什么.
  The document is one the question names, else the one in scope (``AskOptions.doc``, the app's
  current one, the home document of ``kb.toml``'s [home]); the item is the one it names by number
  (（三）, 二、（一）1., 任务5) or by words. Without an item, the answer is the whole document:
  its local additions and the basis items it leaves out.
- ``implementations``: 国办发〔2015〕71号的（五）各地怎么落实的 · 国办71号文的"配齐美育教师"，各省是怎么
  落实的. Every item of a lower document carrying the named item out, grouped by level and
  place, each named by its clause.

The answers follow the answer contract (README): ``answer`` plus ``hits``, the clauses it stands
on; answer.py turns the clauses found here into hits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.ingest.docnum import find_citations, find_doc_numbers
from indexer.ingest.places import default_places
from indexer.lineage.chain import LEVEL_RANK, chain_order
from indexer.lineage.items import Item, Outline
from indexer.lineage.report import Carrier, Lineages, Row
from indexer.lineage.similarity import PassageVectors, Words
from indexer.present.labels import document_year
from indexer.storage.store import ClauseRecord, DocumentRecord, Store

LINEAGE_INTENTS = ("lineage", "implementations")
_IMPLEMENTATIONS = re.compile(
    r"(怎么|如何|怎样|是怎么|是如何)(落实|贯彻|执行|细化|实施|部署)|落实情况|贯彻情况|执行情况"
    r"|(哪些|哪几个)(省|市|地方|文件|地区).{0,8}(落实|贯彻|执行)|(各|下级)(省|地|市|县|区|级).{0,6}(落实|贯彻|执行)"
)
_LINEAGE = re.compile(
    r"(对应|落实|依据|来自|源自|出自|根据|贯彻|执行)(的)?(是)?(上级|省里|省级|省政府|国家|国务院|中央|国办|市里|市级|上面)"
    r".{0,10}(哪一?[条项]|什么要求|哪个要求|哪些要求|哪部分)"
    r"|(上级|省里|国家|国务院|中央|市里)(文件)?(的)?(哪|什么)(条|一条|项|一项|要求|规定|条款)"
    r"|比(省里|上级|国家|国办|省级|市里|省政府).{0,4}(多|少)|(多|少)了(什么|哪些|啥)"
)
_LOWER_PLACES = re.compile(r"各(省|地|市|县|区)|下级|哪些(省|市|县|地方|地区)|地方")
# 国办71号文, 鄂政办32号文件: a document named by its agency's short form and serial.
_SHORT_NUMBER = re.compile(r"([\u4e00-\u9fff]{2,6})(\d{1,4})号文")
_MARKERS = re.compile(
    r"(?:[一二三四五六七八九十百]+、)?(?:[（(][一二三四五六七八九十百]+[）)])?(?:\d{1,3}[.．])?"
    r"|第[一二三四五六七八九十百]+条"
)
_TASK = re.compile(r"任务\s*(\d{1,3})|第\s*(\d{1,3})\s*项任务")
_QUOTED = re.compile(r"[“\"「『‘']([^”\"」』’']{2,40})[”\"」』’']")
_ITEM_WORDS = 3  # characters: fewer name no item (省里, 我局)
# What a question wraps around the words naming an item.
_NOT_ITEM_WORDS = re.compile(
    r"我们|我市|我县|我区|我局|我省|本市|本方案|本文件|这个|这项|这条|该条|哪条|哪一条|哪项|那条|任务|要求|条款|文件"
    r"|什么|哪些|哪个|怎么|如何|怎样|实施方案|实施意见|方案|意见|通知"
    r"|的|是|在|里|中|了|吗|呢|？|\?|，|。|、|\s"
)


@dataclass
class Named:
    """What a question names: a document (by 文号, title or short form) and an item."""

    document: DocumentRecord | None
    markers: str | None  # （五）, 二、（一）1., 第三条
    task_no: int | None
    words: str | None


def lineage_intent(question: str) -> str | None:
    """``implementations`` or ``lineage`` when the question asks about a chain item by item,
    else None. "How do the places carry X out" asks about a chain when it names a document
    and an item of it (国办71号文的（五）); without an item, a 文号 asked about is a document
    question, and the documents citing it answer it (川办发〔2016〕41号，哪些市在落实？)."""
    if _IMPLEMENTATIONS.search(question):
        numbered = find_doc_numbers(question) or find_citations(question)
        short = _SHORT_NUMBER.search(question)
        if short or (numbered and _names_item(question)):
            return "implementations"
    if _LINEAGE.search(question):
        return "lineage"
    return None


def _names_item(question: str) -> bool:
    for found in [*find_doc_numbers(question), *find_citations(question)]:
        question = question[: found.start] + " " + question[found.end :]
    return bool(
        _TASK.search(question)
        or any(m.group(0) for m in _MARKERS.finditer(question))
        or _QUOTED.search(question)
        or _loose_words(question)
    )


class LineageAnswers:
    """Answers to lineage questions over one store snapshot and its passage vectors."""

    def __init__(self, store: Store, vectors: PassageVectors | None):
        self.store = store
        self.lineages = Lineages(store, vectors)

    def answer(
        self,
        question: str,
        kind: str,
        in_scope: DocumentRecord | None = None,
    ) -> tuple[dict, list[tuple[ClauseRecord, float]]]:
        """(answer, the clauses it stands on with their scores) for a question of ``kind``. The
        document is the one the question names, else ``in_scope`` (the answerer's: the one
        asked over, the app's current one, the home document)."""
        named = self.named(question)
        document = named.document or in_scope
        if kind == "implementations":
            return self._implementations(named, document, _places_named(question))
        return self._lineage(named, document)

    # -- what the question names ----------------------------------------------------------

    def named(self, question: str) -> Named:
        document, span = self._document_named(question)
        rest = question if span is None else question[: span[0]] + " " + question[span[1] :]
        task = _TASK.search(rest)
        markers = next((m.group(0) for m in _MARKERS.finditer(rest) if m.group(0)), None)
        quoted = _QUOTED.search(rest)
        words = quoted.group(1) if quoted else _loose_words(rest)
        return Named(
            document,
            _canonical_markers(markers) if markers else None,
            int(task.group(1) or task.group(2)) if task else None,
            words if not (task or markers) else None,
        )

    def _document_named(
        self, question: str
    ) -> tuple[DocumentRecord | None, tuple[int, int] | None]:
        for found in find_doc_numbers(question):
            document = self.store.find_document(question[found.start : found.end])
            if document is not None:
                return document, (found.start, found.end)
        for citation in find_citations(question):
            document = self.store.find_document(citation.title)
            if document is not None:
                return document, (citation.start, citation.end)
        for match in _SHORT_NUMBER.finditer(question):
            document = self._short_number(match.group(1), int(match.group(2)))
            if document is not None:
                return document, match.span()
        return None, None

    def _short_number(self, written: str, serial: int) -> DocumentRecord | None:
        """国办71号文: the document whose agency code starts with 国办 and whose serial is 71
        (the one with text, then the latest). The words before the number may run into the
        short form (落实国办71号文), so its longest ending that names a document is taken."""
        numbered = [
            d
            for d in self.store.documents()
            if d.doc_number and d.doc_number.endswith(f"〕{serial}号")
        ]
        numbered.sort(key=lambda d: (not d.in_corpus, -(document_year(d) or 0)))
        for start in range(len(written) - 1):
            found = [d for d in numbered if d.doc_number.startswith(written[start:])]
            if found:
                return found[0]
        return None

    def find_item(self, outline: Outline, named: Named) -> Item | None:
        """The item the question names: by number, by task number, or by its words."""
        if named.markers:
            endings = [i for i in outline.items if i.markers.endswith(named.markers)]
            return min(endings, key=lambda i: len(i.markers), default=None)
        if named.task_no is not None:
            return next((i for i in outline.items if i.clause.task_no == named.task_no), None)
        if named.words:
            return _item_by_words(outline, named.words)
        return None

    # -- lineage: which higher item an item carries out -----------------------------------

    def _lineage(
        self, named: Named, document: DocumentRecord | None
    ) -> tuple[dict, list[tuple[ClauseRecord, float]]]:
        if document is None:
            return {"found": False, "note": "没有找到要对照的文件"}, []
        report = self.lineages.report(document)
        answer = {
            "found": True,
            "doc_number": document.label,
            "title": document.title,
            "bases": [
                {"doc_number": b.doc_number, "title": b.title, "in_corpus": b.in_corpus}
                for b in report.bases
            ],
        }
        alignment = report.alignment
        if alignment is None:
            answer["note"] = _no_basis_note(document, report.bases)
            return answer, []
        answer |= {"basis_doc_number": alignment.basis.label, "basis_title": alignment.basis.title}
        item = self.find_item(self.lineages.outline(document), named)
        if item is None:
            return self._whole_document(answer, alignment.rows, alignment.dropped)
        row = next(r for r in alignment.rows if r.item.position == item.position)
        answer |= _row_answer(row)
        found = [(row.item.clause, 1.0)]
        found += [(b.clause, row.score) for b in [row.basis_item, *row.secondary] if b]
        return answer, found

    @staticmethod
    def _whole_document(
        answer: dict, rows: list[Row], dropped: list[Item]
    ) -> tuple[dict, list[tuple[ClauseRecord, float]]]:
        """我们的方案比省里多了什么、少了什么: the local additions and the basis items left out."""
        local = [r.item for r in rows if r.is_local]
        answer |= {
            "aligned": sum(not r.is_local for r in rows),
            "local_additions": [_item_ref(i) for i in local],
            "dropped": [_item_ref(i) for i in dropped],
            "added_numbers": [
                {**_item_ref(r.item), "numbers": r.numbers} for r in rows if r.numbers
            ],
        }
        numbered = [r.item for r in rows if r.numbers and not r.is_local]
        found = [(i.clause, 1.0) for i in local] + [(i.clause, 0.5) for i in numbered]
        return answer, found + [(i.clause, 0.0) for i in dropped]

    # -- implementations: how the documents below carry an item out ------------------------

    def _implementations(
        self, named: Named, document: DocumentRecord | None, places: list[set[str]]
    ) -> tuple[dict, list[tuple[ClauseRecord, float]]]:
        if document is None or not document.in_corpus:
            note = "知识库中没有这份文件的正文" if document else "没有找到问题所说的文件"
            return {"found": False, "note": note}, []
        item = self.find_item(self.lineages.outline(document), named)
        answer = {"found": True, "doc_number": document.label, "title": document.title}
        if item is None:
            below = self.lineages.tree(document)
            documents = [
                n.document for _, n in below.walk() if n.document.doc_id != document.doc_id
            ]
            answer["note"] = "问题没有指明条目：列出落实这份文件的下级文件"
            answer["groups"] = _groups([(d, []) for d in documents if _in(d, places)])
            return answer, []
        carriers = [c for c in self.lineages.carriers(document, item) if _in(c.document, places)]
        answer |= {
            "clause_id": item.clause_id,
            "path": item.path,
            "markers": item.markers,
            "count": len(carriers),
            "groups": _groups(_by_document(carriers)),
        }
        return answer, [(item.clause, 1.0)] + [(c.row.item.clause, c.row.score) for c in carriers]


def _loose_words(rest: str) -> str | None:
    """The words left once the question's frame is taken away (对应上级哪条要求, 各省怎么落实)."""
    for pattern in (_IMPLEMENTATIONS, _LOWER_PLACES, _LINEAGE):
        match = pattern.search(rest)
        if match:
            rest = rest[: match.start()]
    words = _NOT_ITEM_WORDS.sub("", rest)
    return words if len(words) >= _ITEM_WORDS else None


def _places_named(question: str) -> list[set[str]]:
    """The places a question names (湖北是怎么落实…), as the codes each may mean. An issuer's short
    name (国办) is no place: it names the higher document, not where it is carried out."""
    return [codes for _, codes in default_places().in_text(question)]


def _in(document: DocumentRecord, places: list[set[str]]) -> bool:
    """Whether the document is of one of the places (or anywhere, when none is named)."""
    around = set(default_places().ancestors(document.place_code))
    return not places or any(codes & around for codes in places)


def _canonical_markers(text: str) -> str:
    return text.replace("(", "（").replace(")", "）").replace("．", ".")


def _item_by_words(outline: Outline, words: str) -> Item | None:
    """The item whose heading holds the words, else the one holding most of them."""
    titled = [i for i in outline.items if words in i.title]
    if titled:
        return min(titled, key=lambda i: len(i.children))
    if not outline.items:
        return None
    shares = Words([i.body for i in outline.items]).shares([words])[0]
    best = int(shares.argmax())
    return outline.items[best] if shares[best] >= 0.5 else None


def _item_ref(item: Item) -> dict:
    return {"clause_id": item.clause_id, "path": item.path, "markers": item.markers}


def _row_answer(row: Row) -> dict:
    main = row.basis_item
    return {
        **_item_ref(row.item),
        "local_addition": main is None,
        "basis_clause_id": main.clause_id if main else None,
        "basis_path": main.path if main else None,
        "basis_markers": main.markers if main else None,
        "secondary": [_item_ref(s) for s in row.secondary],
        "score": round(row.score, 3),
        "added": {"numbers": row.numbers, "units": row.units},
    }


def _by_document(carriers: list[Carrier]) -> list[tuple[DocumentRecord, list[Carrier]]]:
    grouped: dict[str, tuple[DocumentRecord, list[Carrier]]] = {}
    for carrier in carriers:
        grouped.setdefault(carrier.document.doc_id, (carrier.document, []))[1].append(carrier)
    return list(grouped.values())


def _groups(documents: list[tuple[DocumentRecord, list[Carrier]]]) -> list[dict]:
    """By level (省级, 市级, 县级), then by place: each document with its carrying items."""
    levels: dict[str, list[dict]] = {}
    for document, carriers in sorted(documents, key=lambda pair: chain_order(pair[0])):
        levels.setdefault(document.level or "其他", []).append(
            {
                "doc_number": document.label,
                "title": document.title,
                "jurisdiction": document.jurisdiction,
                "items": [
                    {
                        **_item_ref(c.row.item),
                        "score": round(c.row.score, 3),
                        "merged": c.merged,
                        "via": c.via.label,
                    }
                    for c in carriers
                ],
            }
        )
    order = sorted(levels, key=lambda level: LEVEL_RANK.get(level, len(LEVEL_RANK)))
    return [{"level": level, "documents": levels[level]} for level in order]


def _no_basis_note(document: DocumentRecord, bases: list) -> str:
    if not bases:
        return f"{document.label} 的开头没有写明依据的上级文件"
    names = "、".join(b.doc_number or b.title for b in bases)
    return f"{document.label} 依据 {names}，但知识库中没有这些文件的正文，无法逐条对照"

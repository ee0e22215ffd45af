"""Segment a loaded document into clauses along the 公文 hierarchy, and tag them.

Each heading (一、 / （一） / 1. / （1） / 第一章 / 第一条 …) starts a clause; each plain paragraph
is a clause of its own under the headings open above it, so a clause never crosses a heading.
Responsibility notes are lifted out of the text into data; 文号 and 《title》 citations are recorded.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from indexer.documents import Citation, Clause, Document, Responsibility, Source
from indexer.ingest.docnum import find_citations, find_doc_numbers
from indexer.ingest.headings import Heading, lead_sentence, match_heading
from indexer.ingest.metadata import Header, issuer_from_title, place_and_level, read_header
from indexer.ingest.responsibility import find_inline_notes, is_note_line, parse_note


class SegmentError(ValueError):
    """The text holds no document: nothing but a header, or nothing at all."""


@dataclass
class _Line:
    index: int
    start: int  # offset of the stripped text in the source
    text: str  # stripped of indentation


def _lines(text: str) -> list[_Line]:
    lines, offset = [], 0
    for index, raw in enumerate(text.split("\n")):
        stripped = raw.strip(" \t　\r")
        lead = len(raw) - len(raw.lstrip(" \t　"))
        lines.append(_Line(index, offset + lead, stripped))
        offset += len(raw) + 1
    return lines


def document_key(doc_number: str | None, title: str) -> str:
    """A document's stable key: its 文号, or its title when it has none."""
    return doc_number or re.sub(r"[\s《》]", "", title)


def clause_id_for(doc_key: str, path: list[str], text: str) -> str:
    digest = hashlib.sha1(f"{doc_key}\n{'›'.join(path)}\n{text}".encode()).hexdigest()
    return digest[:16]


def _strip_notes(text: str) -> tuple[str, Responsibility | None]:
    notes = find_inline_notes(text)
    if not notes:
        return text, None
    responsibility = Responsibility()
    kept, cursor = [], 0
    for note in notes:
        kept.append(text[cursor : note.start])
        cursor = note.end
        responsibility.merge(note.responsibility)
    kept.append(text[cursor:])
    return "".join(kept).strip(" \t　"), responsibility


_PRINCIPLE = re.compile(r"^(——|--|—)?\s*坚持")
_SENTENCE_END = re.compile(r"[。；！？;!?]")
# FAQs and Q&A knowledge bases: 问：… 答：…, Q: … A: …
_QUESTION = re.compile(r"^(问|问题|提问|Q|q)\s*[:：.．、]")
_ANSWER = re.compile(r"^(答|答复|回答|回复|解答|A|a)\s*[:：.．、]")
_CELL_CHARS = 24


def _is_cell(text: str) -> bool:
    return len(text) <= _CELL_CHARS and not _SENTENCE_END.search(text)


class _Segmenter:
    def __init__(self, doc_key: str, lines: list[_Line], header: Header):
        self.doc_key = doc_key
        self.lines = lines
        self.header = header
        self.clauses: list[Clause] = []
        self.open: list[tuple[int, Clause]] = []  # (rank, heading clause) from the top
        self.last_number: dict[tuple[str | None, int], int] = {}
        self.seen_ids: dict[str, int] = {}
        self.after_signature = False
        self.last_line = -1  # index of the last line that went into a clause

    def run(self) -> list[Clause]:
        for line in self.lines:
            if not line.text or line.index in self.header.metadata_lines:
                if (
                    line.index in self.header.metadata_lines
                    and self.header.signed_date
                    and self.clauses
                ):
                    self.after_signature = True
                continue
            if line.index in self.header.attachment_titles:
                self.open = []
                self._add(line, line.text, None, kind="title", level=0, path=[line.text])
                continue
            if is_note_line(line.text):
                self._attach_line_note(line.text)
                continue
            heading = self._heading(line.text)
            if heading:
                self._add_heading(line, heading)
            else:
                self._add_paragraph(line)
            self.last_line = line.index
        return self.clauses

    def _parent_id(self) -> str | None:
        return self.open[-1][1].clause_id if self.open else None

    def _parent_below(self, rank: int) -> str | None:
        """The clause a heading of ``rank`` would sit under."""
        return next((clause.clause_id for r, clause in reversed(self.open) if r < rank), None)

    def _heading(self, text: str) -> Heading | None:
        heading = match_heading(text)
        if heading is None:
            return None
        key = (self._parent_below(heading.rank), heading.rank)
        if heading.needs_sequence and heading.number not in (1, self.last_number.get(key, 0) + 1):
            return None  # a number at the start of a sentence, not the next item
        return heading

    def _add_heading(self, line: _Line, heading: Heading) -> None:
        while self.open and self.open[-1][0] >= heading.rank:
            self.open.pop()
        self.last_number[(self._parent_below(heading.rank), heading.rank)] = heading.number
        body, responsibility = _strip_notes(heading.rest)
        title = lead_sentence(body) if body else ""
        has_body = len(body.strip()) > len(title) + 1
        path = [*self._path(), f"{heading.marker}{title}"]
        text = f"{heading.marker}{body}"
        clause = self._add(
            line,
            text,
            responsibility,
            kind="item" if has_body else "heading",
            level=len(self.open) + 1,
            path=path,
            marker=heading.marker,
            title=title,
        )
        self.open.append((heading.rank, clause))

    def _add_paragraph(self, line: _Line) -> None:
        body, responsibility = _strip_notes(line.text)
        if not body:  # a note alone in brackets on its own line belongs to what precedes it
            if responsibility:
                self._attach(responsibility)
            return
        heading = self.open[-1][1] if self.open else None
        if heading is not None and heading is self.clauses[-1] and heading.kind == "heading":
            self._merge_into_heading(heading, line, body, responsibility)
            return
        if self._answers_last_question(body):
            # 问：… / 答：… : a question and its answer are one clause, found together.
            self._extend(self.clauses[-1], line, body, kind=self.clauses[-1].kind)
            return
        if self._continues_cells(line, body):
            self._extend(self.clauses[-1], line, body, kind="cells")
            if responsibility:
                self._attach(responsibility)
            return
        title = lead_sentence(body)
        if _PRINCIPLE.match(body):
            kind = "principle"
        elif not self.open:
            kind = (
                "notice"
                if self.header.attachment_titles and not self.after_signature
                else "preamble"
            )
        else:
            kind = "paragraph"
        self._add(
            line,
            body,
            responsibility,
            kind=kind,
            level=len(self.open) + 1,
            path=[*self._path(), title],
            title=title,
        )

    def _merge_into_heading(
        self, heading: Clause, line: _Line, body: str, responsibility: Responsibility | None
    ) -> None:
        """A bare heading (一、指导思想) and the paragraph under it are one clause, as when the
        body follows the heading on its line (（一）指导思想。以…)."""
        self._extend(heading, line, body, kind="item")
        if responsibility:
            self._attach(responsibility)

    def _answers_last_question(self, body: str) -> bool:
        if not self.clauses or not _ANSWER.match(body):
            return False
        last = self.clauses[-1].text
        return bool(_QUESTION.match(last[len(self.clauses[-1].marker) :].lstrip())) and not any(
            _ANSWER.match(part) for part in last.split("\n")
        )

    def _continues_cells(self, line: _Line, body: str) -> bool:
        """A table exported one cell per line (序号 / 县区名称 / 名额数 / 1 / 肥东 / 15 …): short
        lines without a sentence end, one after another under the same headings, are one block of
        cells, not dozens of clauses too short to find anything by."""
        if not self.clauses or not _is_cell(body):
            return False
        last = self.clauses[-1]
        return (
            last.kind in ("cells", "paragraph", "preamble", "notice")
            and last.parent_id == self._parent_id()
            and self.last_line == line.index - 1
            and all(_is_cell(part) for part in last.text.split("\n"))
        )

    def _extend(self, clause: Clause, line: _Line, body: str, *, kind: str) -> None:
        clause.text = f"{clause.text}\n{body}"
        clause.end = line.start + len(line.text)
        clause.kind = kind
        self.seen_ids[clause.clause_id.split("-")[0]] -= 1
        clause.clause_id = self._unique_id(clause_id_for(self.doc_key, clause.path, clause.text))

    def _unique_id(self, base_id: str) -> str:
        repeat = self.seen_ids.get(base_id, 0)
        self.seen_ids[base_id] = repeat + 1
        return base_id if not repeat else f"{base_id}-{repeat}"

    def _path(self) -> list[str]:
        return [clause.path[-1] for _, clause in self.open]

    def _add(
        self,
        line: _Line,
        text: str,
        responsibility: Responsibility | None,
        *,
        kind: str,
        level: int,
        path: list[str],
        marker: str = "",
        title: str = "",
    ) -> Clause:
        clause = Clause(
            clause_id=self._unique_id(clause_id_for(self.doc_key, path, text)),
            doc_number=self.doc_key,
            ordinal=len(self.clauses),
            level=level,
            marker=marker,
            path=path,
            title=title or lead_sentence(text),
            text=text,
            start=line.start,
            end=line.start + len(line.text),
            kind=kind,
            responsibility=responsibility,
            parent_id=self._parent_id(),
        )
        self.clauses.append(clause)
        return clause

    def _attach_line_note(self, text: str) -> None:
        self._attach(parse_note(text))

    def _attach(self, responsibility: Responsibility) -> None:
        """A note after a paragraph belongs to the item the paragraph develops, else to the paragraph."""
        if not self.clauses:
            return
        target = self.clauses[-1]
        if self.open and target.kind in ("paragraph", "principle"):
            heading = self.open[-1][1]
            if heading.kind == "item":
                target = heading
        if target.responsibility is None:
            target.responsibility = responsibility
        else:
            target.responsibility.merge(responsibility)


def _number_tasks(clauses: list[Clause]) -> None:
    """A task is a clause carrying a responsibility note. Its number is the item's own number when
    those are unique in the document (1–10 in the Xianning plan), else its place among the tasks."""
    tasks = [
        c
        for c in clauses
        if c.responsibility and c.responsibility.all_units() + c.responsibility.leads
    ]
    numbers = []
    for clause in tasks:
        heading = match_heading(clause.text) if clause.marker else None
        numbers.append(heading.number if heading else None)
    own_numbers_work = None not in numbers and len(set(numbers)) == len(numbers)
    for position, clause in enumerate(tasks):
        clause.task_no = numbers[position] if own_numbers_work else position + 1


def _citations(clauses: list[Clause], own_number: str | None, own_title: str) -> list[Citation]:
    """Citations of other documents; a notice naming the plan it issues cites itself, not another.
    Those the opening paragraph names after a cue (根据 / 按照 / 为贯彻落实 …) are its basis."""
    opening = _opening_clauses(clauses)
    citations: list[Citation] = []
    seen: set[tuple[str, str | None, str | None]] = set()
    for clause in clauses:
        covered: list[tuple[int, int]] = []
        is_opening = clause.clause_id in opening
        for found in find_citations(clause.text):
            number = found.doc_number.canonical if found.doc_number else None
            covered.append((found.start, found.end))
            key = (clause.clause_id, number, found.title)
            # A notice names the plan it issues (关于印发《X》的通知): X is the notice itself; what a
            # notice forwards (关于转发《X》的通知) is another document.
            is_self = (
                number == own_number
                or (number is None and found.title in own_title and "转发" not in own_title)
                or bool(_ISSUED_HERE.match(clause.text, found.end))
            )
            if not is_self and key not in seen:
                seen.add(key)
                basis = is_opening and _names_basis(clause.text, found.start, found.end)
                citations.append(Citation(clause.clause_id, number, found.title, basis))
        for found in find_doc_numbers(clause.text):
            number = found.number.canonical
            inside = any(s <= found.start < e for s, e in covered)
            key = (clause.clause_id, number, None)
            if not inside and number != own_number and key not in seen:
                seen.add(key)
                basis = is_opening and _names_basis(clause.text, found.start, found.end)
                citations.append(Citation(clause.clause_id, number, None, basis))
    return citations


# Words that, in the sentence naming a document, make it the basis of the one naming it:
# 根据《A》精神 / 为贯彻落实《A》 / 《A》…现转发给你们 / 印发了《A》，为贯彻落实文件要求…
_BASIS_CUE = re.compile(r"根据|按照|依据|依照|遵照|贯彻|落实|结合|转发")
_SENTENCE = re.compile(r"[。；！？]")
# 现将《X》（《Y》…）印发给你们 / 《X》，已经市政府同意，现予印发: X is what this notice issues.
_ISSUED_HERE = re.compile(
    r"(?:[\s、和及与]|《[^》]*》|（[^（）]*）)*"  # more titles issued with it
    r"(?:[^，。；《》]{0,16}?|[，,]?已经[^，。；]{0,20}同意[，,]?|[，,])"  # 四项…方案 / ，已经…同意，
    r"\s*现?予?印发(?:给|你们|[，。])"
)
_OPENING_SPAN = 3  # the opening paragraph may follow a line or two of background


def _opening_clauses(clauses: list[Clause]) -> set[str]:
    """The opening paragraphs: the first paragraphs before any heading, of the document and of
    each plan it issues (after the plan's own title); in measures written in articles, the
    first article (第一条 为了贯彻落实《…》…)."""
    opening, since_start = set(), 0
    for clause in clauses:
        if clause.kind == "title":
            since_start = 0
            continue
        since_start += 1
        if (
            clause.kind in ("preamble", "notice")
            and since_start <= _OPENING_SPAN
            or clause.marker == "第一条"
        ):
            opening.add(clause.clause_id)
    return opening


def _names_basis(text: str, start: int, end: int) -> bool:
    """Whether the document named at text[start:end] is named as the basis: a cue in its sentence
    (根据《A》和《B》精神, 为贯彻落实《A》, 现将《A》转发给你们)."""
    sentence_start = max((m.end() for m in _SENTENCE.finditer(text, 0, start)), default=0)
    after = _SENTENCE.search(text, end)
    return bool(_BASIS_CUE.search(text, sentence_start, after.start() if after else len(text)))


def parse_document(source: Source) -> Document:
    """Read one loaded source into a Document with clauses, facts and citations."""
    lines = _lines(source.text)
    header = read_header([line.text for line in lines])
    # A text without a title line (a list of answers, a FAQ) is named by its file, as given.
    title = header.value("title") or header.title or Path(source.path).stem.strip()
    if not title:
        raise SegmentError(f"{source.path}: no title found (empty or not a document)")
    doc_number = header.doc_number or header.value("doc_number")
    issuer = header.value("issuer") or issuer_from_title(title) or header.signer
    read_from = _read_from(header, issuer, title)
    jurisdiction, level = place_and_level(issuer)
    doc_key = document_key(doc_number, title)
    clauses = _Segmenter(doc_key, lines, header).run()
    if not clauses:
        raise SegmentError(f"{source.path}: no body text under the title")
    _number_tasks(clauses)
    document = Document(
        doc_number=doc_number,
        title=title,
        issuer=issuer,
        level=level,
        jurisdiction=jurisdiction,
        addressees=header.addressees,
        signed_date=header.signed_date,
        issue_date=header.value("issue_date"),
        published_date=header.value("published_date"),
        index_no=header.value("index_no"),
        subject=header.value("subject"),
        validity=header.value("validity"),
        fields=dict(header.fields),
        read_from=read_from,
        sources=[source],
        clauses=clauses,
        citations=_citations(clauses, doc_number, title),
        doc_id=doc_key,
    )
    document.conflicts = find_conflicts(document)
    return document


def _read_from(header: Header, issuer: str | None, title: str) -> dict[str, str]:
    """Where each fact of the document was read: a header field by its label, the title, the
    addressee line, the signature."""
    found = {
        attribute: f"页头「{label}」"
        for attribute in ("issuer", "issue_date", "published_date", "validity", "doc_number")
        if (label := header.label_of(attribute))
    }
    if "issuer" not in found and issuer:
        found["issuer"] = "标题" if issuer == issuer_from_title(title) else "落款"
    if header.addressees:
        found["addressees"] = "正文抬头（主送机关）"
    if header.signed_date:
        found["signed_date"] = "落款日期"
    return found


def find_conflicts(document: Document) -> list[str]:
    """Facts two sources disagree on; both are kept, this names the disagreement."""
    conflicts = []
    signed, dated = document.signed_date, document.issue_date
    if signed and dated and signed != dated:
        conflicts.append(f"发文日期 {dated}（页头）与落款日期 {signed}（正文）不一致")
    if document.doc_number and dated:
        number_year = find_doc_numbers(document.doc_number)[0].number.year
        if str(number_year) != dated[:4]:
            conflicts.append(f"文号年份 {number_year} 与发文日期 {dated} 不一致")
    return conflicts

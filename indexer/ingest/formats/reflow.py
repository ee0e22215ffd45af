"""Re-flow hard-wrapped lines into paragraphs: a PDF breaks lines at the page width, and the
公文 hierarchy (一、 / （一） / 1.) only survives if every heading starts a paragraph again."""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from indexer.ingest.headings import match_heading
from indexer.ingest.metadata import is_date_line, is_doc_number_line, starts_with_header_field


@dataclass
class PositionedLine:
    """One extracted line with its position (PDF points, origin bottom-left) when known."""

    text: str
    page: int = 0
    x0: float | None = None  # left end of the first chunk with text
    x1: float | None = None  # estimated right end of the line
    y: float | None = None
    size: float | None = None  # font size in points
    starts: list[float] = field(default_factory=list)  # left ends of the chunks

    @property
    def has_geometry(self) -> bool:
        return self.x0 is not None and self.size is not None and self.size > 0


_WIDE_LATIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZmw@%&")


def _char_width(ch: str) -> float:
    """Width in em as Chinese fonts set it: ideographs, full-width and East Asian "ambiguous"
    characters (“”‘’…—·) 1; Latin 1/2 (capitals and the like a little more, as in the
    proportional fonts that set the Latin and the digits of many 公文)."""
    if ch in _WIDE_LATIN:
        return 0.6
    return 1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.5


def text_width(text: str) -> float:
    return sum(_char_width(ch) for ch in text)


# 附件 lines start a paragraph too, though they are no heading of the hierarchy.
_ANNEX_RE = re.compile(r"^附\s*件\s*[\d一二三四五六七八九十]*\s*(?:[:：、．.]|$)")
# a sentence end, possibly followed by closing quotes/brackets
_END_RE = re.compile(r"[。！？；：!?;:…][”’」』》〉）)\]】〕\"']*$")
# … or a closing bracket, as after a responsibility note （责任单位：…） or a 文号
_END_SOFT_RE = re.compile(r"[。！？；：!?;:…][”’」』》〉）)\]】〕\"']*$|[）)〕】\]]$")
_INDENT_RE = re.compile(r"^(\u3000| {2,}|\t)")


def _is_heading(text: str) -> bool:
    # A lost-dot heading ("1坚持…") cannot be told from a wrapped line starting with a number.
    heading = match_heading(text)
    return (heading is not None and not heading.needs_sequence) or bool(_ANNEX_RE.match(text))


def _is_standalone(text: str) -> bool:
    """A line that is a paragraph by itself: a bare 文号 or a date (signature block)."""
    return is_doc_number_line(text) or is_date_line(text)


class _Layout:
    """Page metrics that the re-flow rules compare lines against."""

    def __init__(self, lines: list[PositionedLine]):
        self.width_em = _full(
            [ln for ln in lines if ln.text.strip()], lambda ln: text_width(ln.text.rstrip()), 1.0
        )
        placed = [ln for ln in lines if ln.has_geometry and ln.text.strip()]
        self.geometry = len(placed) >= max(3, len(lines) // 2)
        self.body_size = 0.0
        self.margin: dict[int, float] = {}
        self.default_margin = 0.0
        self.right = 0.0
        self.pitch = 0.0
        if not self.geometry:
            return
        sizes: Counter[float] = Counter()
        for ln in placed:
            sizes[round(ln.size, 1)] += len(ln.text.strip())
        self.body_size = sizes.most_common(1)[0][0]
        body = [ln for ln in placed if abs(ln.size - self.body_size) <= 0.1 * self.body_size]
        all_margin = _mode([ln.x0 for ln in body])
        for page in {ln.page for ln in body}:
            xs = [ln.x0 for ln in body if ln.page == page]
            self.margin[page] = _mode(xs) if len(xs) >= 5 else all_margin
        self.default_margin = all_margin
        self.right = _full(body, lambda ln: ln.x1, self.body_size)
        ratios = []
        for a, b in zip(placed, placed[1:], strict=False):
            if a.page == b.page and a.y is not None and b.y is not None:
                dy = a.y - b.y
                if 0 < dy < 6 * b.size and abs(a.size - b.size) <= 0.1 * b.size:
                    ratios.append(dy / b.size)
        self.pitch = statistics.median(ratios) if ratios else 0.0

    def short(self, ln: PositionedLine) -> bool:
        """Noticeably shorter than a full line: the line ends a paragraph (or is one)."""
        if self.geometry and ln.has_geometry and ln.x1 is not None:
            return ln.x1 < self.right - 1.5 * ln.size
        return text_width(ln.text.rstrip()) < self.width_em - 1.5

    def indented(self, ln: PositionedLine) -> bool:
        if not (self.geometry and ln.has_geometry):
            return False
        margin = self.margin.get(ln.page, self.default_margin)
        return ln.x0 > margin + 1.0 * ln.size

    def big(self, ln: PositionedLine) -> bool:
        return bool(self.geometry and ln.has_geometry and ln.size > 1.15 * self.body_size)


def _mode(values: list[float]) -> float:
    counts = Counter(round(v) for v in values)
    best = counts.most_common(1)[0][0]
    near = [v for v in values if abs(v - best) <= 1]
    return min(near) if near else float(best)


def _full(lines: list[PositionedLine], length, em: float) -> float:
    """The length of a full line: among the lines made of full-width characters only (their
    lengths are exact; all lines if there are none such), the most common length within 1.5 em
    of the longest; so one odd overlong line does not count."""
    pure = [
        length(ln)
        for ln in lines
        if all(unicodedata.east_asian_width(ch) in "WF" for ch in ln.text.strip())
    ]
    values = pure or [length(ln) for ln in lines]
    if not values:
        return 0.0
    top = max(values)
    near = Counter(round(v / (em / 4)) for v in values if v >= top - 1.5 * em)
    best = max(near.items(), key=lambda kv: (kv[1], kv[0]))[0]
    return max(v for v in values if round(v / (em / 4)) == best)


def _starts_paragraph(
    prev: PositionedLine, ln: PositionedLine, para: list[PositionedLine], layout: _Layout
) -> bool:
    text, ptext = ln.text.strip(), prev.text.strip()
    # 1. What the line itself says: indentation, a header field, a heading or numbered item
    #    (unless it follows a full line that ends no sentence: "…包括" / "1.xxx；2.xxx" inline).
    if _INDENT_RE.match(ln.text) or starts_with_header_field(text):
        return True
    if _is_heading(text) and (
        layout.short(prev) or _END_SOFT_RE.search(ptext) or layout.indented(ln) or len(para) == 1
    ):
        return True
    # 2. Lines that stand alone: a bare 文号 or date line (unless it merely continues a full
    #    line), and whatever follows a one-line 文号 or date paragraph.
    if _is_standalone(text) and (layout.short(prev) or _END_SOFT_RE.search(ptext)):
        return True
    if len(para) == 1 and _is_standalone(ptext):
        return True
    # 3. Layout: a change of font size, a wider gap, an indented start.
    if layout.geometry and prev.has_geometry and ln.has_geometry:
        same_size = abs(prev.size - ln.size) <= 0.05 * ln.size
        if prev.page == ln.page and prev.y is not None and ln.y is not None:
            dy = prev.y - ln.y
            if same_size and layout.big(ln) and 0 < dy < 2.5 * ln.size:
                return False  # a title set in a larger size, wrapped over two lines
            if not same_size and abs(prev.size - ln.size) > 0.12 * ln.size:
                return True
            if dy < -0.5 * ln.size or (layout.pitch and dy > 1.45 * layout.pitch * ln.size):
                return True
        if layout.indented(ln) and ln.x0 > prev.x0 + 0.8 * ln.size:
            # an indented first line, unless a wrapped table cell that continues under its start
            return not any(abs(ln.x0 - x) <= 1.5 for x in prev.starts[1:])
    # 4. After a full line that ends a sentence, a short line that ends none is a line of its
    #    own (a signature, a heading, a responsibility note), not the paragraph's tail.
    if _END_RE.search(ptext) and layout.short(ln) and not _END_SOFT_RE.search(text):
        return True
    # 5. A line noticeably shorter than a full one ends its paragraph when it ends a sentence
    #    or is a one-line paragraph (title, heading, field, signature); with positions from the
    #    PDF, also when it is well short (3 em): a wrapped title's or heading's last line.
    if layout.short(prev):
        if _END_SOFT_RE.search(ptext) or len(para) == 1:
            return True
        room = (layout.right - prev.x1) / prev.size if layout.geometry and prev.has_geometry else 0
        if room >= 3:
            # well short: a title or heading; unless the next word (a number, a URL) did not fit
            pushed = re.match(r"[!-~]+", text)
            return not (pushed and text_width(pushed.group()) >= room - 1.0)
    return False


def _join(a: str, b: str) -> str:
    """Join a wrapped line to its paragraph: no space between CJK lines; a space the line
    ended with is kept (one); a space between English words (not inside a URL or address)."""
    if not b:
        return a
    if a.endswith((" ", "\t")):
        return a.rstrip() + " " + b
    tail = re.search(r"[\x21-\x7e][\x20-\x7e]*$", a)
    if tail and " " in tail.group() and a[-1].isalpha() and b[0].isascii() and b[0].isalpha():
        return a + " " + b
    return a + b


def reflow(lines: list[PositionedLine] | list[str]) -> list[str]:
    """Re-flow hard-wrapped lines (a PDF breaks lines at the page width) into paragraphs.

    ``lines`` are strings, or lines with positions from a PDF. "Short" means noticeably (1.5 em)
    shorter than a full line: from positions when known, else from character widths (CJK 1 em,
    Latin 1/2) against the longest lines. A line continues the paragraph before it unless:
    1. it starts with indentation (full-width spaces, two or more spaces, a tab), or is a
       header field (索引号： 文 号： 信息名称： …); or it is a heading or numbered item
       (一、 （一） (一) 1. 1、 1． （1） 第一章/第一节/第一条 ① 附件…) after a short line, a
       sentence end, or with an indented start (else "…包括" + "1.xxx；" is a continuation);
    2. it is a bare 文号 or a date (2021年9月3日) after a short line or sentence end; or the
       line before is such a one-line paragraph;
    3. (positions) the font size changes (a title set larger wraps within itself), the gap
       above is wider than the usual line pitch, the line goes up (a new column), or it
       starts indented from the page's left margin (and is not a table cell wrapping);
    4. the line before is full and ends a sentence (。！？；：…, closing quotes or brackets
       after it), and this line is short and ends none: a signature, heading or note;
    5. the line before is short and ends a sentence or a bracket (a responsibility note
       （责任单位：…）), or is a one-line paragraph (title, heading, field, signature), or is
       well short (3 em, positions known) unless the next word (a number, a URL) did not fit.
    A blank line ends a paragraph. Joined CJK lines get no space; a space the line ended with
    is kept, and English words wrapped at a space get one back.
    """
    items = [ln if isinstance(ln, PositionedLine) else PositionedLine(text=ln) for ln in lines]
    layout = _Layout(items)
    paragraphs: list[list[PositionedLine]] = []
    prev: PositionedLine | None = None
    for ln in items:
        if not ln.text.strip():
            prev = None
            continue
        if prev is None or _starts_paragraph(prev, ln, paragraphs[-1], layout):
            paragraphs.append([ln])
        else:
            paragraphs[-1].append(ln)
        prev = ln
    out = []
    for para in paragraphs:
        text = para[0].text
        for ln in para[1:]:
            text = _join(text, ln.text.lstrip())
        out.append(text.rstrip())
    return out

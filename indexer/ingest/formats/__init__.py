"""Load a policy document (TXT, PDF, DOCX, HTML) into a `Source` with normalised text.

The text every loader returns is normalised the same way: LF line ends, no BOM, no NULs or other
control characters, trailing whitespace stripped from each line, at most one blank line in a row,
no blank lines at either end. The characters themselves are kept as found (no NFKC): full-width
brackets, 〔〕 and leading full-width indentation (　　) survive. One paragraph is one line.

- TXT: a BOM (UTF-8/16/32), then strict UTF-8, then strict GB18030 (GBK and GB2312 are subsets),
  then charset-normalizer as a last resort. GB18030 decodes almost any double-byte text, so a
  result full of private-use characters is taken for Big5 (or detection's guess) instead.
- PDF (pypdf): page headers/footers and page numbers dropped, hard-wrapped lines re-flowed into
  paragraphs (see `reflow`), header fields (索引号/文号/信息名称…) one per line.
- DOCX (python-docx): paragraphs (with Word's automatic numbering written out) and tables in
  document order; a table row is one line, its cells joined with " | ".
- HTML: header-field tables as "cell | cell | …" lines, block elements (<p>, <div>, <br> …) one
  per line; <script>, <style>, <nav> and hidden elements dropped; declared charset or detection.

Every failure is a `LoadError` whose message is one line: "<file path>: <reason>".
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import statistics
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from indexer.documents import Source
from indexer.ingest.headings import match_heading
from indexer.ingest.metadata import (
    header_field_starts,
    is_date_line,
    is_doc_number_line,
    starts_with_header_field,
)

__all__ = [
    "LoadError",
    "SUPPORTED_SUFFIXES",
    "load",
    "load_bytes",
    "decode_text",
    "normalize_text",
    "reflow",
]

SUPPORTED_SUFFIXES = (".txt", ".pdf", ".docx", ".html", ".htm")
_KINDS = {".txt": "txt", ".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html"}
_HINTS = {
    ".doc": "old Word 97-2003 format; save it as .docx",
    ".wps": "WPS format; save it as .docx",
    ".rtf": "save it as .docx",
    ".ofd": "OFD format; export it as PDF",
    ".xls": "spreadsheet",
    ".xlsx": "spreadsheet",
}


class LoadError(Exception):
    """A document that cannot be loaded. ``str(err)`` is one line: "<path>: <reason>"."""

    def __init__(self, path: Path | str, reason: str):
        self.path = str(path)
        printable = "".join(ch if ch.isprintable() else " " for ch in str(reason))
        self.reason = " ".join(printable.split())
        super().__init__(f"{self.path}: {self.reason}")


# ---------------------------------------------------------------- entry points


def load(path: Path | str) -> Source:
    """Load a file; the kind comes from its suffix (.txt .pdf .docx .html .htm)."""
    path = Path(path)
    _kind_for(path.name, path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LoadError(path, "file not found") from None
    except IsADirectoryError:
        raise LoadError(path, "is a directory, not a file") from None
    except PermissionError:
        raise LoadError(path, "permission denied") from None
    except OSError as exc:
        raise LoadError(path, f"cannot read file ({exc.strerror or exc})") from None
    return _load(str(path), data)


def load_bytes(name: str, data: bytes) -> Source:
    """Load an upload: ``name`` (the file name as given) decides the kind and labels errors."""
    _kind_for(name, name)
    return _load(name, bytes(data))


def _kind_for(name: str, label: Path | str) -> str:
    suffix = Path(name).suffix.lower()
    supported = ", ".join(SUPPORTED_SUFFIXES)
    if suffix in _KINDS:
        return _KINDS[suffix]
    what = f"unsupported file type {suffix}" if suffix else "unsupported file type (no extension)"
    hint = f", {_HINTS[suffix]}" if suffix in _HINTS else ""
    raise LoadError(label, f"{what}{hint} (supported: {supported})")


def _load(name: str, data: bytes) -> Source:
    kind = _kind_for(name, name)
    if not data.strip(b" \t\r\n\x00\x0b\x0c"):
        raise LoadError(name, "empty document")
    encoding = "utf-8"
    if kind == "txt":
        text, encoding = _load_txt(name, data)
    elif kind == "pdf":
        text = _load_pdf(name, data)
    elif kind == "docx":
        text = _load_docx(name, data)
    else:
        text, encoding = _load_html(name, data)
    text = normalize_text(text)
    if not text.strip():
        raise LoadError(name, "empty document")
    return Source(
        path=name,
        kind=kind,
        text=text,
        content_hash=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
    )


# ---------------------------------------------------------------- normalisation

_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufeff\ufffe\u200b]")
_BREAKS_RE = re.compile(r"\r\n?|[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def normalize_text(text: str) -> str:
    """LF line ends; no BOM, NULs or control characters; trailing whitespace stripped; at most
    one blank line in a row and none at the ends. Leading indentation and characters kept."""
    text = _BREAKS_RE.sub("\n", text)
    text = _CONTROL_RE.sub("", text)
    out: list[str] = []
    for line in text.split("\n"):
        line = line.rstrip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


# ---------------------------------------------------------------- TXT

_GB_ALIASES = {"gb2312", "gbk", "gb_2312", "gb_2312-80", "x-gbk", "cp936", "ms936", "gb18030", "euc-cn", "csgb2312", "chinese"}  # fmt: skip


def _canonical_encoding(name: str) -> str | None:
    name = name.strip().strip("\"'").lower()
    if name.replace("_", "-") in {n.replace("_", "-") for n in _GB_ALIASES}:
        return "gb18030"  # GB2312/GBK pages routinely use characters outside their declared set
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_text(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode bytes of a text document; returns (text, encoding used). Raises ValueError.

    Order: a BOM; the ``declared`` encoding if it decodes strictly; strict UTF-8; strict GB18030
    (which covers GBK and GB2312); charset-normalizer's best guess."""
    for bom, enc in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as exc:
                raise ValueError(
                    f"invalid {enc} text after its byte-order mark ({exc.reason})"
                ) from None
    head = data[:4096]
    if len(head) >= 8 and head.count(b"\x00") > len(head) // 50:
        # UTF-16 without a BOM: the ASCII characters (digits, punctuation) bring NUL bytes,
        # mostly at odd offsets (little-endian) or mostly at even ones (big-endian).
        odd, even = head[1::2].count(b"\x00"), head[0::2].count(b"\x00")
        enc = "utf-16-le" if odd > even else "utf-16-be"
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            text = ""
        if (
            text
            and max(odd, even) >= 4 * min(odd, even)
            and sum(ch.isprintable() or ch.isspace() for ch in text) > 0.95 * len(text)
        ):
            return text, enc
    if declared:
        enc = _canonical_encoding(declared)
        if enc:
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError:
                pass
    controls = sum(1 for b in head if b < 0x20 and b not in (0x09, 0x0A, 0x0D, 0x0C, 0x1A))
    if controls > max(8, len(head) // 20):
        raise ValueError("binary data, not a text file")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    gb = _try_decode(data, "gb18030")
    # GB18030 decodes almost any double-byte text; private-use characters (GBK's user-defined
    # area) in it mean another encoding: Big5 (traditional Chinese), or what detection finds.
    if gb is not None and _private_use(gb) <= max(2, len(gb) // 500):
        return gb, "gb18030"
    big5 = _try_decode(data, "big5")
    if big5 is not None and not _private_use(big5):
        return big5, "big5"
    guess = _detect(data)
    if guess is not None and (gb is None or _private_use(guess[0]) < _private_use(gb)):
        return guess
    if gb is not None:
        return gb, "gb18030"
    raise ValueError("cannot decode the text: not UTF-8 or GB18030/GBK, and detection failed")


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _private_use(text: str) -> int:
    return sum(1 for ch in text if "\ue000" <= ch <= "\uf8ff")


def _detect(data: bytes) -> tuple[str, str] | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - it ships with the requirements' dependencies
        return None
    best = from_bytes(data).best()
    if best is None or not best.encoding:
        return None
    return str(best), best.encoding


def _load_txt(name: str, data: bytes) -> tuple[str, str]:
    if data.startswith(b"%PDF-"):
        raise LoadError(name, "this is a PDF file, not text; rename it to .pdf")
    if data.startswith(b"PK\x03\x04"):
        raise LoadError(name, "this is a ZIP package (e.g. .docx), not text")
    try:
        return decode_text(data)
    except ValueError as exc:
        raise LoadError(name, str(exc)) from None


# ---------------------------------------------------------------- PDF: text lines


@dataclass
class _Line:
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


def _text_width(text: str) -> float:
    return sum(_char_width(ch) for ch in text)


def _mult(m: list[float], n: list[float]) -> list[float]:
    return [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]


class _LineCollector:
    """Builds lines with geometry from pypdf's text visitor (its chunks concatenate to exactly
    the text ``extract_text`` returns, so lines split at "\\n" match pypdf's own lines)."""

    def __init__(self, page: int):
        self.page = page
        self.lines: list[_Line] = []
        self.segments: list[tuple[str, float | None, float | None, float | None]] = []

    def visit(self, text, cm, tm, font_dict, font_size) -> None:
        if not text:
            return
        x = y = size = None
        try:
            m = _mult([float(v) for v in tm], [float(v) for v in cm])
            if abs(m[1]) < 1e-3 and abs(m[2]) < 1e-3:  # upright text only
                x, y = m[4], m[5]
                size = abs(float(font_size) * m[3]) or None
        except (TypeError, ValueError, IndexError):
            pass
        for k, part in enumerate(text.split("\n")):
            if k:
                self.end_line()
            if part:
                # text after a line break inside a chunk: its position is unknown
                self.segments.append((part, x, y, size) if k == 0 else (part, None, None, None))

    def end_line(self) -> None:
        text = "".join(s[0] for s in self.segments)
        line = _Line(text=text, page=self.page)
        placed = [s for s in self.segments if s[0].strip() and s[1] is not None]
        if placed and len(placed) == len([s for s in self.segments if s[0].strip()]):
            weights: Counter[float] = Counter()
            for part, _x, _y, size in placed:
                weights[round(size, 1)] += len(part.strip())
            line.size = weights.most_common(1)[0][0]
            line.x0 = placed[0][1]
            line.y = placed[0][2]
            line.x1 = max(x + _text_width(part) * size for part, x, _y, size in placed)
            line.starts = [x for _part, x, _y, _size in placed]
        self.lines.append(line)
        self.segments = []

    def finish(self) -> list[_Line]:
        if self.segments:
            self.end_line()
        return self.lines


# ---------------------------------------------------------------- PDF: headers, footers, numbers

_PAGE_NUMBER_RES = [
    re.compile(r"^[-—–－―~～]+\s*\d{1,4}\s*[-—–－―~～]*$"),  # - 3 - / — 3 —
    re.compile(r"^第\s*\d{1,4}\s*页(\s*[,，/、]?\s*共\s*\d{1,4}\s*页)?$"),  # 第 3 页 (共 10 页)
    re.compile(r"^共\s*\d{1,4}\s*页\s*[,，]?\s*第\s*\d{1,4}\s*页$"),
    re.compile(r"^\d{1,4}\s*/\s*\d{1,4}$"),  # 3/10
    re.compile(r"^(page|p\.)\s*\d{1,4}(\s*(of|/)\s*\d{1,4})?$", re.I),
]


def _is_page_number(text: str) -> bool:
    text = text.strip()
    return bool(text) and any(r.match(text) for r in _PAGE_NUMBER_RES)


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", "".join(text.split()))


def _plausible(keys: set[str], edges: list[list[_Line]], need: int) -> set[str]:
    """Keep repeated lines whose numbers are the same on every page (a running header) or
    count up with the pages (a page number); numbers that do neither are content (a table)."""
    out = set()
    for key in keys:
        if "#" not in key:
            out.add(key)
            continue
        seen: list[tuple[int, tuple[int, ...]]] = []
        for index, lines in enumerate(edges):
            for ln in lines:
                if _furniture_key(ln.text) == key:
                    seen.append((index, tuple(int(d) for d in re.findall(r"\d+", ln.text))))
                    break
        if len({nums for _i, nums in seen}) == 1:
            out.add(key)
            continue
        width = len(seen[0][1])
        for k in range(width):
            offsets = Counter(nums[k] - index for index, nums in seen if len(nums) == width)
            if offsets and offsets.most_common(1)[0][1] >= max(need, 0.8 * len(seen)):
                out.add(key)
                break
    return out


def _strip_page_furniture(pages: list[list[_Line]], depth: int = 3) -> list[list[_Line]]:
    """Drop running headers/footers (the same line, digits aside, among the first or last few
    lines of most pages: so also bare page numbers) and page numbers such as - 3 -, 第 3 页,
    3/10 at the top or bottom of any page."""
    pages = [[ln for ln in page if ln.text.strip()] for page in pages]
    n = len(pages)
    need = max(2, (n + 1) // 2)
    top: Counter[str] = Counter()
    bottom: Counter[str] = Counter()
    for page in pages:
        top.update({_furniture_key(ln.text) for ln in page[:depth]})
        bottom.update({_furniture_key(ln.text) for ln in page[-depth:]})
    repeated_top = {k for k, c in top.items() if c >= need and n >= 2}
    repeated_bottom = {k for k, c in bottom.items() if c >= need and n >= 2}
    repeated_top = _plausible(repeated_top, [page[:depth] for page in pages], need)
    repeated_bottom = _plausible(repeated_bottom, [page[-depth:] for page in pages], need)

    out = []
    for page in pages:
        page = list(page)
        for _ in range(depth):
            if page and (
                _is_page_number(page[0].text) or _furniture_key(page[0].text) in repeated_top
            ):
                page.pop(0)
        for _ in range(depth):
            if page and (
                _is_page_number(page[-1].text) or _furniture_key(page[-1].text) in repeated_bottom
            ):
                page.pop()
        out.append(page)
    return out


# ---------------------------------------------------------------- re-flow

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
    return (heading is not None and not heading.damaged) or bool(_ANNEX_RE.match(text))


def _is_standalone(text: str) -> bool:
    """A line that is a paragraph by itself: a bare 文号 or a date (signature block)."""
    return is_doc_number_line(text) or is_date_line(text)


class _Layout:
    """Page metrics that the re-flow rules compare lines against."""

    def __init__(self, lines: list[_Line]):
        self.width_em = _full(
            [ln for ln in lines if ln.text.strip()], lambda ln: _text_width(ln.text.rstrip()), 1.0
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

    def short(self, ln: _Line) -> bool:
        """Noticeably shorter than a full line: the line ends a paragraph (or is one)."""
        if self.geometry and ln.has_geometry and ln.x1 is not None:
            return ln.x1 < self.right - 1.5 * ln.size
        return _text_width(ln.text.rstrip()) < self.width_em - 1.5

    def indented(self, ln: _Line) -> bool:
        if not (self.geometry and ln.has_geometry):
            return False
        margin = self.margin.get(ln.page, self.default_margin)
        return ln.x0 > margin + 1.0 * ln.size

    def big(self, ln: _Line) -> bool:
        return bool(self.geometry and ln.has_geometry and ln.size > 1.15 * self.body_size)


def _mode(values: list[float]) -> float:
    counts = Counter(round(v) for v in values)
    best = counts.most_common(1)[0][0]
    near = [v for v in values if abs(v - best) <= 1]
    return min(near) if near else float(best)


def _full(lines: list[_Line], length, em: float) -> float:
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


def _starts_paragraph(prev: _Line, ln: _Line, para: list[_Line], layout: _Layout) -> bool:
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
            return not (pushed and _text_width(pushed.group()) >= room - 1.0)
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


def reflow(lines: list[_Line] | list[str]) -> list[str]:
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
    items = [ln if isinstance(ln, _Line) else _Line(text=ln) for ln in lines]
    layout = _Layout(items)
    paragraphs: list[list[_Line]] = []
    prev: _Line | None = None
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


def _split_fields(paragraph: str) -> list[str]:
    """One header field per line: "信息索引： X生成日期： Y" → two lines."""
    if not starts_with_header_field(paragraph.strip()):
        return [paragraph]
    cuts = header_field_starts(paragraph)
    cuts = [0] + [c for c in cuts if c > 0] + [len(paragraph)]
    return [
        paragraph[a:b].strip()
        for a, b in zip(cuts, cuts[1:], strict=False)
        if paragraph[a:b].strip()
    ]


def _fix_pdf_chars(text: str) -> str:
    """Kangxi radicals and CJK compatibility ideographs that broken PDF font maps produce
    (⼀ for 一, ⽇ for 日) become the ordinary ideographs; nothing else is changed."""

    def fix(m: re.Match[str]) -> str:
        new = unicodedata.normalize("NFKC", m.group())
        return new if len(new) == 1 else m.group()

    return re.sub(r"[\u2e80-\u2eff\u2f00-\u2fdf\uf900-\ufaff]", fix, text)


# ---------------------------------------------------------------- PDF: loading


def _load_pdf(name: str, data: bytes) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import DependencyError, FileNotDecryptedError
    except ImportError as exc:  # pragma: no cover
        raise LoadError(name, f"PDF support is not installed ({exc})") from None

    if b"%PDF-" not in data[:1024]:
        raise LoadError(name, "corrupt PDF: not a PDF file (no %PDF header)")
    if b"%%EOF" not in data.rstrip(b"\x00 \t\r\n")[-1024:]:
        raise LoadError(name, "corrupt PDF: the file is truncated (no %%EOF end marker)")
    try:
        reader = PdfReader(io.BytesIO(data))
    except Exception as exc:
        raise LoadError(name, f"corrupt PDF: {_describe(exc)}") from None
    if reader.is_encrypted:
        try:
            ok = reader.decrypt("")
        except DependencyError:
            raise LoadError(
                name, "encrypted PDF: decrypting it needs the 'cryptography' package"
            ) from None
        except Exception as exc:
            raise LoadError(
                name, f"encrypted PDF that cannot be opened ({_describe(exc)})"
            ) from None
        if not ok:
            raise LoadError(name, "encrypted PDF: it needs a password to open")
    try:
        pages = list(reader.pages)
    except Exception as exc:
        raise LoadError(name, f"corrupt PDF: cannot read its pages ({_describe(exc)})") from None
    if not pages:
        raise LoadError(name, "corrupt PDF: it has no pages")
    page_lines: list[list[_Line]] = []
    for number, page in enumerate(pages, start=1):
        collector = _LineCollector(number)
        try:
            text = page.extract_text(visitor_text=collector.visit)
        except FileNotDecryptedError:
            raise LoadError(name, "encrypted PDF: it needs a password to open") from None
        except Exception as exc:
            raise LoadError(name, f"corrupt PDF: page {number}: {_describe(exc)}") from None
        lines = collector.finish()
        if "".join(ln.text for ln in lines) != text.replace("\n", ""):  # pragma: no cover
            lines = [_Line(text=t, page=number) for t in text.split("\n")]
        page_lines.append(lines)

    scanned = "looks like a scanned (image-only) PDF; it needs OCR"
    visible = [ch for page in page_lines for ln in page for ch in ln.text if not ch.isspace()]
    if not any(ch.isalnum() for ch in visible):
        raise LoadError(name, f"no text layer in {len(pages)} page(s): {scanned}")
    garbage = sum(
        1 for ch in visible if ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Co", "Cn")
    )
    if garbage > 0.3 * len(visible):
        raise LoadError(
            name, "text layer is unreadable (fonts without a Unicode map); it needs OCR"
        )
    for page in page_lines:
        for ln in page:
            ln.text = _fix_pdf_chars(_CONTROL_RE.sub("", ln.text))
    flat = [ln for page in _strip_page_furniture(page_lines) for ln in page]
    words = sum(1 for ln in flat for ch in ln.text if ch.isalnum())
    if words < 5 * len(pages):
        raise LoadError(
            name,
            f"only {words} character(s) of text in {len(pages)} page(s) besides page "
            f"headers/footers: {scanned}",
        )
    paragraphs: list[str] = []
    for para in reflow(flat):
        paragraphs += _split_fields(para)
    return "\n".join(paragraphs)


def _describe(exc: BaseException) -> str:
    msg = str(exc).strip() or type(exc).__name__
    return msg if len(msg) < 200 else msg[:197] + "..."


# ---------------------------------------------------------------- DOCX

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"


def _load_docx(name: str, data: bytes) -> str:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise LoadError(
            name,
            "not a .docx: an old Word 97-2003 .doc file or a password-protected document; save it as .docx",
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise LoadError(name, "corrupt .docx: not a ZIP package")
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as exc:  # pragma: no cover
        raise LoadError(name, f"DOCX support is not installed ({exc})") from None
    try:
        document = docx.Document(io.BytesIO(data))
    except PackageNotFoundError:
        raise LoadError(name, "corrupt .docx: not a Word document package") from None
    except KeyError as exc:
        raise LoadError(name, f"corrupt .docx: missing part {exc}") from None
    except Exception as exc:
        raise LoadError(name, f"corrupt .docx: {_describe(exc)}") from None
    try:
        walker = _DocxWalker(document)
        walker.block(document.element.body)
    except Exception as exc:
        raise LoadError(name, f"corrupt .docx: {_describe(exc)}") from None
    return "\n".join(walker.lines)


def _children(el, name: str):
    """Direct children ``w:<name>``, looking through content controls and custom XML."""
    for child in el:
        if child.tag == f"{_W}{name}":
            yield child
        elif child.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"):
            yield from _children(child, name)


_CN_DIGITS = "〇一二三四五六七八九"


def _chinese_number(n: int) -> str:
    if n <= 0:
        return str(n)
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 1000:
        head = _CN_DIGITS[n // 100] + "百"
        rest = n % 100
        if not rest:
            return head
        if rest < 10:
            return head + "零" + _CN_DIGITS[rest]
        return head + _CN_DIGITS[rest // 10] + "十" + (_CN_DIGITS[rest % 10] if rest % 10 else "")
    return str(n)


def _roman(n: int) -> str:
    out = ""
    for value, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):  # fmt: skip
        while n >= value:
            out += sym
            n -= value
    return out


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "chineseLegalSimplified", "taiwaneseCounting", "taiwaneseCountingThousand"):  # fmt: skip
        return _chinese_number(n)
    if fmt == "ideographTraditional":
        return "甲乙丙丁戊己庚辛壬癸"[(n - 1) % 10]
    if fmt == "ideographZodiac":
        return "子丑寅卯辰巳午未申酉戌亥"[(n - 1) % 12]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt == "decimalEnclosedParen" and 1 <= n <= 20:
        return chr(0x2474 + n - 1)
    if fmt == "decimalFullWidth":
        return "".join(chr(ord(d) + 0xFEE0) for d in str(n))
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("lowerLetter", "upperLetter"):
        s = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return s.upper() if fmt == "upperLetter" else s
    if fmt in ("lowerRoman", "upperRoman"):
        return _roman(n).lower() if fmt == "lowerRoman" else _roman(n)
    return str(n)


class _DocxWalker:
    """Walks the document body in order: paragraphs (with list numbers written out) and
    tables (a row per line, cells joined with " | "; layout tables are walked as blocks)."""

    def __init__(self, document):
        self.lines: list[str] = []
        # numId → (abstractNumId, level → (start, numFmt, lvlText, suff), restarted levels)
        self.levels: dict[str, tuple[str, dict[int, tuple[int, str, str, str]], set[int]]] = {}
        self.counters: dict[str, dict[int, int]] = {}  # per abstractNumId, as Word counts
        self.used: set[str] = set()
        self.style_numbering: dict[str, tuple[str, int]] = {}
        try:
            self._read_numbering(document)
        except (ValueError, TypeError, AttributeError):
            self.levels = {}  # numbering we cannot read: the text without the numbers

    # -- numbering (Word's automatic 一、/（一）/1. lists)
    def _read_numbering(self, document) -> None:
        try:
            numbering = document.part.numbering_part.element
        except Exception:
            return
        abstract: dict[str, dict[int, tuple[int, str, str, str]]] = {}
        for an in numbering.findall(f"{_W}abstractNum"):
            abstract[an.get(f"{_W}abstractNumId")] = self._levels(an)
        for num in numbering.findall(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            abstract_id = ref.get(f"{_W}val") if ref is not None else ""
            levels = dict(abstract.get(abstract_id, {}))
            restarts: set[int] = set()
            for override in num.findall(f"{_W}lvlOverride"):
                ilvl = int(override.get(f"{_W}ilvl", "0"))
                if override.find(f"{_W}lvl") is not None:
                    levels.update(self._levels(override))
                    restarts.add(ilvl)
                start = override.find(f"{_W}startOverride")
                if start is not None and ilvl in levels:
                    _s, fmt, text, suff = levels[ilvl]
                    levels[ilvl] = (int(start.get(f"{_W}val", "1")), fmt, text, suff)
                    restarts.add(ilvl)
            self.levels[num.get(f"{_W}numId")] = (abstract_id, levels, restarts)
        try:
            styles = document.styles.element
        except Exception:
            return
        for style in styles.findall(f"{_W}style"):
            num_pr = style.find(f"{_W}pPr/{_W}numPr")
            if num_pr is not None:
                num_id = num_pr.find(f"{_W}numId")
                ilvl = num_pr.find(f"{_W}ilvl")
                if num_id is not None:
                    self.style_numbering[style.get(f"{_W}styleId")] = (
                        num_id.get(f"{_W}val"),
                        int(ilvl.get(f"{_W}val", "0")) if ilvl is not None else 0,
                    )

    @staticmethod
    def _levels(parent) -> dict[int, tuple[int, str, str, str]]:
        out = {}
        for lvl in parent.findall(f"{_W}lvl"):

            def val(tag: str, default: str, lvl=lvl) -> str:
                el = lvl.find(f"{_W}{tag}")
                return el.get(f"{_W}val", default) if el is not None else default

            out[int(lvl.get(f"{_W}ilvl", "0"))] = (
                int(val("start", "1") or 1),
                val("numFmt", "decimal"),
                val("lvlText", ""),
                val("suff", "tab"),
            )
        return out

    def _label(self, p) -> str:
        ppr = p.find(f"{_W}pPr")
        num_id, ilvl = None, 0
        if ppr is not None:
            num_pr = ppr.find(f"{_W}numPr")
            if num_pr is not None:
                el = num_pr.find(f"{_W}numId")
                num_id = el.get(f"{_W}val") if el is not None else None
                el = num_pr.find(f"{_W}ilvl")
                ilvl = int(el.get(f"{_W}val", "0")) if el is not None else 0
            if num_id is None:
                style = ppr.find(f"{_W}pStyle")
                if style is not None and style.get(f"{_W}val") in self.style_numbering:
                    num_id, ilvl = self.style_numbering[style.get(f"{_W}val")]
        if not num_id or num_id == "0" or num_id not in self.levels:
            return ""
        abstract_id, levels, restarts = self.levels[num_id]
        if ilvl not in levels:
            return ""
        counters = self.counters.setdefault(abstract_id, {})
        if num_id not in self.used:  # a list that restarts its numbering
            self.used.add(num_id)
            for k in restarts:
                counters.pop(k, None)
        start = levels[ilvl][0]
        counters[ilvl] = counters.get(ilvl, start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        _start, fmt, text, suff = levels[ilvl]
        if fmt in ("bullet", "none") or not text:
            return ""

        def sub(m: re.Match[str]) -> str:
            k = int(m.group(1)) - 1
            lvl = levels.get(k)
            n = counters.get(k, lvl[0] if lvl else 1)
            return _format_number(n, lvl[1] if lvl else "decimal")

        label = re.sub(r"%(\d)", sub, text)
        return label + (" " if suff == "space" else "")

    # -- text
    def _text(self, el, boxes: list) -> str:
        """The text of a paragraph's runs; text boxes inside it are collected in ``boxes``."""
        out: list[str] = []
        for child in el:
            tag = child.tag
            if tag == f"{_W}t":
                out.append(child.text or "")
            elif tag == f"{_W}tab":
                out.append("\t")
            elif tag in (f"{_W}br", f"{_W}cr"):
                out.append("\n")
            elif tag == f"{_W}noBreakHyphen":
                out.append("-")
            elif tag == f"{_W}txbxContent":
                boxes.append(child)
            elif tag == f"{_MC}Fallback" or tag in (
                f"{_W}pPr",
                f"{_W}rPr",
                f"{_W}del",
                f"{_W}instrText",
            ):
                continue
            else:
                out.append(self._text(child, boxes))
        return "".join(out)

    def paragraph(self, p) -> None:
        boxes: list = []
        text = self._text(p, boxes)
        for box in boxes:
            self.block(box)
        try:
            label = self._label(p)
        except (ValueError, TypeError):
            label = ""
        if text.strip() or label:
            self.lines.extend((label + text).split("\n"))
        else:
            self.lines.append("")

    def block(self, el) -> None:
        for child in el:
            if child.tag == f"{_W}p":
                self.paragraph(child)
            elif child.tag == f"{_W}tbl":
                self.table(child)
            elif child.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"):
                self.block(child)

    def table(self, tbl) -> None:
        rows = list(_children(tbl, "tr"))
        cells = [list(_children(tr, "tc")) for tr in rows]
        nested = any(tc.find(f".//{_W}tbl") is not None for row in cells for tc in row)
        texts = [[self._cell_text(tc) for tc in row] for row in cells]
        single = all(len(row) <= 1 for row in cells)
        long = any(len(t) > 300 for row in texts for t in row)
        if nested or single or long:
            for row in cells:  # a layout table: its cells are blocks of text
                for tc in row:
                    self.block(tc)
            return
        self.lines.append("")
        for row in texts:
            while row and not row[-1]:
                row = row[:-1]
            if any(row):
                self.lines.append(" | ".join(row))
        self.lines.append("")

    def _cell_text(self, tc) -> str:
        parts = []
        for p in tc.iter(f"{_W}p"):
            boxes: list = []
            text = re.sub(r"[ \t\r\n]+", " ", self._text(p, boxes)).strip()
            if text:
                parts.append(text)
        return " ".join(parts)


# ---------------------------------------------------------------- HTML

_DROP_TAGS = ["script", "style", "noscript", "template", "nav", "iframe", "svg", "head", "object", "embed", "select", "button", "input", "textarea", "map"]  # fmt: skip
_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "aside", "header", "footer", "h1", "h2", "h3",
    "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "tr", "td", "th", "table", "tbody",
    "thead", "tfoot", "caption", "blockquote", "center", "address", "figure", "figcaption",
    "form", "fieldset", "hr", "body", "html",
}  # fmt: skip
_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_XML_ENC_RE = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-.]+)""", re.I)
_WS_RE = re.compile(r"[ \t\r\n\f]+")
# a source line break between two Chinese characters is no space (CSS Text segment-break rule)
_CJK_BREAK_RE = re.compile(
    r"(?<=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])[ \t\r\f]*\n[ \t\r\n\f]*"
    r"(?=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])"
)
_HIDDEN_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def _load_html(name: str, data: bytes) -> tuple[str, str]:
    head = data[:8192]
    m = _CHARSET_RE.search(head) or _XML_ENC_RE.search(head)
    declared = m.group(1).decode("ascii", "replace") if m else None
    try:
        html, encoding = decode_text(data, declared)
    except ValueError as exc:
        raise LoadError(name, str(exc)) from None
    try:
        from bs4 import BeautifulSoup
    except ImportError as exc:  # pragma: no cover
        raise LoadError(name, f"HTML support is not installed ({exc})") from None
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": "navigation"}):
        tag.decompose()
    for tag in soup.find_all(style=_HIDDEN_RE):
        tag.decompose()
    for tag in soup.find_all(hidden=True):
        tag.decompose()
    writer = _HtmlWriter()
    writer.walk(soup)
    writer.newline()
    return "\n".join(writer.lines), encoding


class _HtmlWriter:
    def __init__(self):
        self.lines: list[str] = []
        self.cur: list[str] = []

    def newline(self) -> None:
        line = "".join(self.cur).strip(" ").replace("\xa0", " ").rstrip()
        if line:
            self.lines.append(line)
        self.cur = []

    def walk(self, node) -> None:
        from bs4 import Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

        for child in node.children:
            if isinstance(child, (Comment, Declaration, Doctype, ProcessingInstruction)):
                continue
            if isinstance(child, NavigableString):
                self.cur.append(_WS_RE.sub(" ", _CJK_BREAK_RE.sub("", str(child))))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name.lower()
            if name == "br":
                self.newline()
            elif name == "table" and self._data_table(child):
                self.newline()
                for row in self._rows(child):
                    self.lines.append(row)
            elif name == "pre":
                self.newline()
                for line in child.get_text().split("\n"):
                    self.cur.append(line)
                    self.newline()
            elif name in _BLOCK_TAGS:
                self.newline()
                self.walk(child)
                self.newline()
            else:
                self.walk(child)

    @staticmethod
    def _cells(tr) -> list:
        return [td for td in tr.find_all(["td", "th"]) if td.find_parent("tr") is tr]

    @staticmethod
    def _cell_text(td) -> str:
        """A cell's text on one line: its own lines (<br>, <p>) joined with a space."""
        inner = _HtmlWriter()
        inner.walk(td)
        inner.newline()
        return " ".join(line.strip() for line in inner.lines).strip()

    def _data_table(self, table) -> bool:
        if table.find("table") is not None:
            return False
        rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
        if not rows:
            return False
        cells = [self._cells(tr) for tr in rows]
        if all(len(row) <= 1 for row in cells):
            return False
        return all(len(td.get_text()) <= 300 for row in cells for td in row)

    def _rows(self, table) -> list[str]:
        out = []
        for tr in table.find_all("tr"):
            if tr.find_parent("table") is not table:
                continue
            row = [self._cell_text(td) for td in self._cells(tr)]
            while row and not row[-1]:
                row.pop()
            if any(row):
                out.append(" | ".join(row))
        return out

"""PDF via pypdf: lines with their positions, page headers, footers and numbers dropped, hard-wrapped
lines re-flowed into paragraphs (reflow.py), header fields (索引号/文号/信息名称…) one per line.
A PDF without a text layer is reported as scanned."""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter

from indexer.config import MB, Limits
from indexer.ingest.formats.base import (
    CONTROL_CHARACTERS,
    LoadError,
    describe_error,
    over_limit,
)
from indexer.ingest.formats.reflow import PositionedLine, reflow, text_width
from indexer.ingest.metadata import header_field_starts, starts_with_header_field


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
        self.lines: list[PositionedLine] = []
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
        line = PositionedLine(text=text, page=self.page)
        placed = [s for s in self.segments if s[0].strip() and s[1] is not None]
        if placed and len(placed) == len([s for s in self.segments if s[0].strip()]):
            weights: Counter[float] = Counter()
            for part, _x, _y, size in placed:
                weights[round(size, 1)] += len(part.strip())
            line.size = weights.most_common(1)[0][0]
            line.x0 = placed[0][1]
            line.y = placed[0][2]
            line.x1 = max(x + text_width(part) * size for part, x, _y, size in placed)
            line.starts = [x for _part, x, _y, _size in placed]
        self.lines.append(line)
        self.segments = []

    def finish(self) -> list[PositionedLine]:
        if self.segments:
            self.end_line()
        return self.lines


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


def _plausible(keys: set[str], edges: list[list[PositionedLine]], need: int) -> set[str]:
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


def _strip_page_furniture(
    pages: list[list[PositionedLine]], depth: int = 3
) -> list[list[PositionedLine]]:
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


def _content_bytes(pages: list) -> int:
    """Decoded bytes of content the pages' text extraction will walk: a stream shared by many
    pages counts once per page, but is decoded (and measured) once."""
    sizes: dict[int, int] = {}
    total = 0
    for page in pages:
        contents = page.get("/Contents")
        if contents is None:
            continue
        streams = contents.get_object()
        for stream in streams if isinstance(streams, list) else [streams]:
            obj = stream.get_object()
            key = id(obj)
            if key not in sizes:
                sizes[key] = len(obj.get_data()) if hasattr(obj, "get_data") else 0
            total += sizes[key]
    return total


def read(name: str, data: bytes, limits: Limits) -> tuple[str, str]:
    """(text, encoding) of a PDF: the text layer re-flowed into paragraphs."""
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
        raise LoadError(name, f"corrupt PDF: {describe_error(exc)}") from None
    if reader.is_encrypted:
        try:
            ok = reader.decrypt("")
        except DependencyError:
            raise LoadError(
                name, "encrypted PDF: decrypting it needs the 'cryptography' package"
            ) from None
        except Exception as exc:
            raise LoadError(
                name, f"encrypted PDF that cannot be opened ({describe_error(exc)})"
            ) from None
        if not ok:
            raise LoadError(name, "encrypted PDF: it needs a password to open")
    try:
        count = len(reader.pages)
        if count > limits.max_pdf_pages:
            raise over_limit(name, "PDF of", count, limits.max_pdf_pages, "max_pdf_pages") from None
        pages = list(reader.pages)
        content = _content_bytes(pages)
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(
            name, f"corrupt PDF: cannot read its pages ({describe_error(exc)})"
        ) from None
    if not pages:
        raise LoadError(name, "corrupt PDF: it has no pages")
    if content > limits.max_pdf_content_mb * MB:
        # Text extraction walks every operator of every page: pages sharing one huge content
        # stream would cost its size once per page.
        raise over_limit(
            name, "page content of", content / MB, limits.max_pdf_content_mb, "max_pdf_content_mb"
        )
    page_lines: list[list[PositionedLine]] = []
    for number, page in enumerate(pages, start=1):
        collector = _LineCollector(number)
        try:
            text = page.extract_text(visitor_text=collector.visit)
        except FileNotDecryptedError:
            raise LoadError(name, "encrypted PDF: it needs a password to open") from None
        except Exception as exc:
            raise LoadError(name, f"corrupt PDF: page {number}: {describe_error(exc)}") from None
        lines = collector.finish()
        if "".join(ln.text for ln in lines) != text.replace("\n", ""):  # pragma: no cover
            lines = [PositionedLine(text=t, page=number) for t in text.split("\n")]
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
            ln.text = _fix_pdf_chars(CONTROL_CHARACTERS.sub("", ln.text))
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
    return "\n".join(paragraphs), "utf-8"

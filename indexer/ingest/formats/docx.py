"""DOCX via python-docx: paragraphs (Word's automatic numbering written out, so 一、/（一）/1.
survive) and tables in document order; a table row is one line, its cells joined with " | "."""

from __future__ import annotations

import io
import re
import zipfile

from indexer.config import MB, Limits
from indexer.ingest.formats.base import LoadError, describe_error, over_limit
from indexer.ingest.numerals import format_chinese_number

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"


def read(name: str, data: bytes, limits: Limits) -> tuple[str, str]:
    """(text, encoding) of a Word document."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise LoadError(
            name,
            "not a .docx: an old Word 97-2003 .doc file or a password-protected document; save it as .docx",
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise LoadError(name, "corrupt .docx: not a ZIP package")
    _check_unpacked_size(name, data, limits)
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
        raise LoadError(name, f"corrupt .docx: {describe_error(exc)}") from None
    try:
        walker = _DocxWalker(document)
        walker.block(document.element.body)
    except Exception as exc:
        raise LoadError(name, f"corrupt .docx: {describe_error(exc)}") from None
    return "\n".join(walker.lines), "utf-8"


def _check_unpacked_size(name: str, data: bytes, limits: Limits) -> None:
    """Refuse a package whose parts unpack to more than the limit, before anything unpacks them:
    a 1 MB file can hold a gigabyte of zeros. The sizes the ZIP directory declares are checked
    here; python-docx then reads through zipfile, which stops at the declared size."""
    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise LoadError(name, f"corrupt .docx: {describe_error(exc)}") from None
    unpacked = sum(part.file_size for part in parts)
    if unpacked > limits.max_unpacked_mb * MB:
        raise over_limit(
            name, "parts unpacking to", unpacked / MB, limits.max_unpacked_mb, "max_unpacked_mb"
        )


def _children(el, name: str):
    """Direct children ``w:<name>``, looking through content controls and custom XML."""
    for child in el:
        if child.tag == f"{_W}{name}":
            yield child
        elif child.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"):
            yield from _children(child, name)


def _roman(n: int) -> str:
    out = ""
    for value, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):  # fmt: skip
        while n >= value:
            out += sym
            n -= value
    return out


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "chineseLegalSimplified", "taiwaneseCounting", "taiwaneseCountingThousand"):  # fmt: skip
        return format_chinese_number(n)
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

"""HTML (disclosure pages): header-field tables as "cell | cell | …" lines, block elements (<p>,
<div>, <br> …) one per line; <script>, <style>, <nav> and hidden elements dropped; the declared
charset, else detection as for text."""

from __future__ import annotations

import re

from indexer.config import Limits
from indexer.ingest.formats.base import LoadError
from indexer.ingest.formats.text import decode_text

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


def read(name: str, data: bytes, limits: Limits) -> tuple[str, str]:
    """(text, encoding) of an HTML page."""
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

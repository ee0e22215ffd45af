"""Plain text: a BOM (UTF-8/16/32), then strict UTF-8, then strict GB18030 (GBK and GB2312 are
subsets), then charset-normalizer as a last resort. GB18030 decodes almost any double-byte text, so
a result full of private-use characters is taken for Big5 (or detection's guess) instead."""

from __future__ import annotations

import codecs
import html
import re

from indexer.config import Limits
from indexer.ingest.formats.base import LoadError

_ENTITY = re.compile(r"&(quot|amp|lt|gt|nbsp|apos|#\d{2,6});")

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


def read(name: str, data: bytes, limits: Limits) -> tuple[str, str]:
    """(text, encoding) of a text file."""
    if data.startswith(b"%PDF-"):
        raise LoadError(name, "this is a PDF file, not text; rename it to .pdf")
    if data.startswith(b"PK\x03\x04"):
        raise LoadError(name, "this is a ZIP package (e.g. .docx), not text")
    try:
        text, encoding = decode_text(data)
    except ValueError as exc:
        raise LoadError(name, str(exc)) from None
    # Texts copied out of web pages keep some of their HTML entities (“三个办法&quot;).
    return _ENTITY.sub(lambda m: html.unescape(m.group()), text), encoding

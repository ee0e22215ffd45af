"""Load a policy document (TXT, PDF, DOCX, HTML) into a `Source` with normalised text.

One module per format, each with ``read(name, data) -> (text, encoding)``, and one table,
``FORMATS``, from file extension to format: adding a format is a module and a row.

The text every format returns is normalised the same way (``base.normalize_text``): LF line ends,
no BOM, no NULs or other control characters, trailing whitespace stripped from each line, at most
one blank line in a row, no blank lines at either end. The characters themselves are kept as
found (no NFKC): full-width brackets, 〔〕 and leading full-width indentation (　　) survive. One
paragraph is one line.

Every failure is a `LoadError` whose message is one line: "<file path>: <reason>".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from indexer.config import DEFAULT_LIMITS, MB, Limits
from indexer.documents import Source
from indexer.ingest.formats import docx, html, pdf, text
from indexer.ingest.formats.base import LoadError, normalize_text, over_limit

__all__ = ["FORMATS", "LoadError", "SUPPORTED_SUFFIXES", "load", "load_bytes", "normalize_text"]


@dataclass(frozen=True)
class Format:
    kind: str  # what the store records: txt / pdf / docx / html
    read: Callable[[str, bytes, Limits], tuple[str, str]]  # (name, data, limits) → (text, encoding)


FORMATS: dict[str, Format] = {
    ".txt": Format("txt", text.read),
    ".pdf": Format("pdf", pdf.read),
    ".docx": Format("docx", docx.read),
    ".html": Format("html", html.read),
    ".htm": Format("html", html.read),
}
SUPPORTED_SUFFIXES = tuple(FORMATS)
# What to do with the formats people most often send instead.
_HINTS = {
    ".doc": "old Word 97-2003 format; save it as .docx",
    ".wps": "WPS format; save it as .docx",
    ".rtf": "save it as .docx",
    ".ofd": "OFD format; export it as PDF",
    ".xls": "spreadsheet",
    ".xlsx": "spreadsheet",
}


def load(path: Path | str, limits: Limits = DEFAULT_LIMITS) -> Source:
    """Load a file; the format comes from its suffix (.txt .pdf .docx .html .htm)."""
    path = Path(path)
    _format_of(path.name, path)
    try:
        size = path.stat().st_size
        if size > limits.max_file_mb * MB:
            raise over_limit(path, "file of", size / MB, limits.max_file_mb, "max_file_mb")
        data = path.read_bytes()
    except FileNotFoundError:
        raise LoadError(path, "file not found") from None
    except IsADirectoryError:
        raise LoadError(path, "is a directory, not a file") from None
    except PermissionError:
        raise LoadError(path, "permission denied") from None
    except OSError as exc:
        raise LoadError(path, f"cannot read file ({exc.strerror or exc})") from None
    return load_bytes(str(path), data, limits)


def load_bytes(name: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> Source:
    """Load bytes: ``name`` (a path, or a file name as uploaded) decides the format and labels
    errors."""
    found = _format_of(name, name)
    if not data.strip(b" \t\r\n\x00\x0b\x0c"):
        raise LoadError(name, "empty document")
    raw, encoding = found.read(name, bytes(data), limits)
    normalised = normalize_text(raw)
    if not normalised.strip():
        raise LoadError(name, "empty document")
    return Source(
        path=name,
        kind=found.kind,
        text=normalised,
        content_hash=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
    )


def _format_of(name: str, label: Path | str) -> Format:
    suffix = Path(name).suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    what = f"unsupported file type {suffix}" if suffix else "unsupported file type (no extension)"
    hint = f", {_HINTS[suffix]}" if suffix in _HINTS else ""
    raise LoadError(label, f"{what}{hint} (supported: {', '.join(SUPPORTED_SUFFIXES)})")

"""What every format's reader shares: the one-line load error and the normalised text."""

from __future__ import annotations

import re
from pathlib import Path


class LoadError(Exception):
    """A document that cannot be loaded. ``str(err)`` is one line: "<path>: <reason>"."""

    def __init__(self, path: Path | str, reason: str):
        self.path = str(path)
        printable = "".join(ch if ch.isprintable() else " " for ch in str(reason))
        self.reason = " ".join(printable.split())
        super().__init__(f"{self.path}: {self.reason}")


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufeff\ufffe\u200b]")
_BREAKS_RE = re.compile(r"\r\n?|[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def normalize_text(text: str) -> str:
    """LF line ends; no BOM, NULs or control characters; trailing whitespace stripped; at most
    one blank line in a row and none at the ends. Leading indentation and characters kept."""
    text = _BREAKS_RE.sub("\n", text)
    text = CONTROL_CHARACTERS.sub("", text)
    out: list[str] = []
    for line in text.split("\n"):
        line = line.rstrip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def describe_error(exc: BaseException) -> str:
    """The one-line reason a library gave for failing on a file. Running out of memory is no
    property of the file: it goes up to the parsing process, which reports the memory limit."""
    if isinstance(exc, MemoryError):
        raise exc
    msg = str(exc).strip() or type(exc).__name__
    return msg if len(msg) < 200 else msg[:197] + "..."


def over_limit(name: Path | str, what: str, amount: float, limit: float, key: str) -> LoadError:
    """The one-line error of a file over a limit of ``kb.toml``: what, how much, which limit."""
    return LoadError(name, f"{what} {_amount(amount)}, over the limit of {_amount(limit)} ({key})")


def _amount(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"

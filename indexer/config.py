"""Where things live, and the knowledge base's own settings.

Index data goes to one folder outside the sources (``var/`` by default). The corpus carries a
settings file of its own, ``kb.toml``: the home body (the user's own bureau, whose documents come
first) and the limits that keep one hostile file from taking the machine. Every key is optional;
a missing or unreadable file means the defaults below.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = "kb.toml"
MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds on the work and memory one file or one question may take. Each has a name in
    ``kb.toml`` ([limits]) and in the one-line error that reports it."""

    max_file_mb: float = 50  # a document file on disk, before anything reads it
    max_upload_mb: float = 20  # one file uploaded through the app
    max_unpacked_mb: float = 200  # all parts of a DOCX (a ZIP) once unpacked
    max_pdf_pages: int = 2000
    max_pdf_content_mb: float = 32  # page content streams, decoded, summed over the pages
    parse_seconds: float = 60  # wall-clock time to parse one file, in its own process
    parse_memory_mb: int = 1024  # address space of that process
    max_question_chars: int = 300  # longer questions are cut there, and the answer says so

    @classmethod
    def from_table(cls, table: dict, origin: str) -> Limits:
        known = {f.name: f.type for f in fields(cls)}
        values = {}
        for key, value in table.items():
            if key not in known:
                raise ValueError(f"{origin}: unknown limit {key!r} (known: {', '.join(known)})")
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"{origin}: limit {key} must be a positive number, not {value!r}")
            values[key] = int(value) if known[key] == "int" else float(value)
        return cls(**values)


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Home:
    """The user's own bureau: questions naming no place prefer its documents, and "这个文件"
    means its document when nothing else is in scope."""

    body: str | None = None  # e.g. 咸宁市教育局
    document: str | None = None  # a 文号 or title; default: the body's latest document


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path
    var_dir: Path
    model: str | None  # embedding model name or path; None → the offline default
    encoder: str | None = None  # backend: torch or openvino; None → openvino when it loads
    limits: Limits = field(default_factory=Limits)
    home: Home = field(default_factory=Home)

    @property
    def store_path(self) -> Path:
        return self.var_dir / "policy.sqlite3"

    @property
    def index_dir(self) -> Path:
        """Derived search indexes (BM25, FAISS), rebuilt from the store when it changes."""
        return self.var_dir / "index"

    @property
    def registry_path(self) -> Path:
        return self.corpus_dir / "units.csv"

    @property
    def uploads_dir(self) -> Path:
        """Files added through the app are kept here, originals unchanged."""
        return self.corpus_dir / "uploads"

    @property
    def settings_path(self) -> Path:
        return self.corpus_dir / SETTINGS_FILE

    def with_home(self, body: str | None) -> Settings:
        """The same settings with another home body (the app's sidebar changes it per session)."""
        return replace(self, home=Home(body=body or None))


def settings(
    var_dir: str | Path | None = None,
    corpus_dir: str | Path | None = None,
    model: str | None = None,
    encoder: str | None = None,
) -> Settings:
    """Settings from arguments, else the environment (POLICY_KB_VAR, POLICY_KB_CORPUS,
    POLICY_KB_MODEL, POLICY_KB_ENCODER), else the defaults beside the code; limits and home from the corpus's
    ``kb.toml``. Raises ValueError naming the file when it holds something wrong."""
    corpus = Path(corpus_dir or os.environ.get("POLICY_KB_CORPUS") or REPO_ROOT / "corpus")
    limits, home = read_settings_file(corpus / SETTINGS_FILE)
    return Settings(
        corpus_dir=corpus,
        var_dir=Path(var_dir or os.environ.get("POLICY_KB_VAR") or REPO_ROOT / "var"),
        model=model or os.environ.get("POLICY_KB_MODEL") or None,
        encoder=encoder or os.environ.get("POLICY_KB_ENCODER") or None,
        limits=limits,
        home=home,
    )


def read_settings_file(path: Path) -> tuple[Limits, Home]:
    """[limits] and [home] of ``kb.toml``; the defaults when the file is absent."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        return Limits(), Home()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"{path}: not a readable settings file ({error})") from None
    home = data.get("home", {})
    if not isinstance(home, dict) or not isinstance(data.get("limits", {}), dict):
        raise ValueError(f"{path}: [home] and [limits] must be tables")
    unknown = set(home) - {"body", "document"}
    if unknown:
        raise ValueError(f"{path}: unknown key(s) in [home]: {', '.join(sorted(unknown))}")
    return Limits.from_table(data.get("limits", {}), str(path)), Home(
        body=home.get("body") or None, document=home.get("document") or None
    )

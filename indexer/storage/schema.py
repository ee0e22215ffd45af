"""The store's schema and how a connection to it is opened.

``SCHEMA_VERSION`` changes whenever a table changes; a store of another version is emptied and
rebuilt from the corpus by the next build (the store is derived from the files, so nothing is
lost), and refused with a clear error by readers until then.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    doc_number TEXT,
    title TEXT NOT NULL,
    issuer TEXT, level TEXT, jurisdiction TEXT, addressees TEXT,
    signed_date TEXT, issue_date TEXT, published_date TEXT,
    index_no TEXT, subject TEXT, validity TEXT,
    fields_json TEXT NOT NULL DEFAULT '{}',
    conflicts_json TEXT NOT NULL DEFAULT '[]',
    read_from_json TEXT NOT NULL DEFAULT '{}',  -- fact → where it was read (页头「发文单位」…)
    origin TEXT NOT NULL,           -- text: its text is indexed, catalogue / citation: facts only,
                                    -- version: another text of a 文号, kept apart
    version_of TEXT,                -- for a version: the document it disagrees with
    place_code TEXT                 -- its jurisdiction in the registry of divisions (places.py)
);
CREATE INDEX IF NOT EXISTS documents_number ON documents(doc_number);
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    encoding TEXT,
    text TEXT NOT NULL,
    held_by TEXT,                   -- the record its text stands in: the document, or a version
    first_build INTEGER NOT NULL DEFAULT 0  -- the build that first indexed this file
);
CREATE INDEX IF NOT EXISTS sources_doc ON sources(doc_id);
-- Every document card reads its files by held_by: without it, opening a store of 20,000
-- documents scanned the sources 20,000 times (minutes at a million clauses).
CREATE INDEX IF NOT EXISTS sources_held ON sources(held_by);
CREATE TABLE IF NOT EXISTS clauses (
    clause_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    level INTEGER NOT NULL,
    kind TEXT NOT NULL,
    marker TEXT NOT NULL,
    path_json TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    task_no INTEGER,
    parent_id TEXT,
    note TEXT
);
CREATE INDEX IF NOT EXISTS clauses_doc ON clauses(doc_id, ordinal);
CREATE TABLE IF NOT EXISTS passages (
    passage_id INTEGER PRIMARY KEY,
    clause_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_clause ON passages(clause_id);
CREATE TABLE IF NOT EXISTS units (
    unit_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    jurisdiction TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT '',
    full_name TEXT NOT NULL DEFAULT '',
    in_registry INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS unit_aliases (
    alias_key TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    PRIMARY KEY (alias_key, unit_id)
);
CREATE TABLE IF NOT EXISTS clause_units (
    clause_id TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    role TEXT NOT NULL,             -- lead / responsible / cooperating
    as_written TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS clause_units_unit ON clause_units(unit_id);
CREATE INDEX IF NOT EXISTS clause_units_clause ON clause_units(clause_id);
CREATE TABLE IF NOT EXISTS clause_leads (
    clause_id TEXT NOT NULL,
    person TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS clause_leads_person ON clause_leads(person);
CREATE TABLE IF NOT EXISTS citations (
    clause_id TEXT,
    citing_doc_id TEXT NOT NULL,
    cited_number TEXT,
    cited_title TEXT,
    cited_doc_id TEXT,
    basis INTEGER NOT NULL DEFAULT 0  -- named in the opening paragraph as what the citing one carries out
);
CREATE INDEX IF NOT EXISTS citations_cited ON citations(cited_doc_id);
CREATE INDEX IF NOT EXISTS citations_citing ON citations(citing_doc_id);
CREATE TABLE IF NOT EXISTS catalogue (
    doc_number TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    facts_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


SCHEMA_VERSION = "5"
SCHEMA_KEY = "schema"


class StoreError(RuntimeError):
    """A store that cannot be used: not a database, or made by another version of the program.
    The message is one line naming the file and the command that fixes it."""


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Streamlit serves sessions from several threads; every use here is short and read-mostly.
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executescript(SCHEMA)
        if _version(connection) is None and not _has_data(connection):
            connection.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                (SCHEMA_KEY, SCHEMA_VERSION),
            )
    except sqlite3.DatabaseError as error:
        connection.close()
        raise StoreError(
            f"{path}: not a readable knowledge base ({error}); move it aside and run "
            f"`python -m indexer build` to make a new one from the corpus"
        ) from None
    return connection


def is_current(connection: sqlite3.Connection) -> bool:
    return _version(connection) == SCHEMA_VERSION


def reset(connection: sqlite3.Connection) -> None:
    """Drop every table and make them anew, inside the caller's transaction."""
    tables = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    for table in tables:
        connection.execute(f"DROP TABLE {table}")
    for statement in SCHEMA.split(";"):  # (no semicolon inside the schema's comments)
        if statement.strip():
            connection.execute(statement)
    connection.execute("INSERT INTO meta(key, value) VALUES (?, ?)", (SCHEMA_KEY, SCHEMA_VERSION))


def _version(connection: sqlite3.Connection) -> str | None:
    row = connection.execute("SELECT value FROM meta WHERE key = ?", (SCHEMA_KEY,)).fetchone()
    return row[0] if row else None


def _has_data(connection: sqlite3.Connection) -> bool:
    return connection.execute("SELECT 1 FROM documents LIMIT 1").fetchone() is not None

"""The store's schema and how a connection to it is opened."""

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
    origin TEXT NOT NULL            -- text: its text is indexed; catalogue / citation: facts only
);
CREATE INDEX IF NOT EXISTS documents_number ON documents(doc_number);
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    encoding TEXT,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sources_doc ON sources(doc_id);
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
    cited_doc_id TEXT
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


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Streamlit serves sessions from several threads; every use here is short and read-mostly.
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.executescript(SCHEMA)
    return connection

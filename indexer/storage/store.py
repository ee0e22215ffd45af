"""The clause store: one SQLite file, the source of truth. Search indexes are derived from it.

Writers change it inside one transaction per build, so a reader sees the old store or the new
one, never half of one (WAL mode lets readers go on while a build runs).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from indexer.documents import DOCUMENT_FACTS, Document
from indexer.ingest.docnum import find_doc_numbers
from indexer.ingest.units import Unit, UnitRegistry, clean_unit_name, unit_key

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

GENERATION_KEY = "generation"
_MIN_CITED_TITLE = 6  # 《实施方案》 alone names no particular document
_ROLE_OF_BUCKET = (
    ("lead_units", "lead"),
    ("units", "responsible"),
    ("cooperating_units", "cooperating"),
)
_DOCUMENT_COLUMNS = DOCUMENT_FACTS
_CLAUSE_COLUMNS = (
    "clause_id", "doc_id", "doc_number", "doc_title", "ordinal", "level", "kind", "marker", "title",
    "text", "start", "end", "task_no", "parent_id", "note",
)  # fmt: skip


@dataclass
class DocumentRecord:
    doc_id: str
    doc_number: str | None
    title: str
    issuer: str | None
    level: str | None
    jurisdiction: str | None
    addressees: str | None
    signed_date: str | None
    issue_date: str | None
    published_date: str | None
    index_no: str | None
    subject: str | None
    validity: str | None
    fields: dict[str, str]
    conflicts: list[str]
    origin: str
    sources: list[str] = field(default_factory=list)

    @property
    def in_corpus(self) -> bool:
        return self.origin == "text"

    @property
    def label(self) -> str:
        """How a document is named in answers: its 文号, else its title."""
        return self.doc_number or self.title


@dataclass
class ClauseRecord:
    clause_id: str
    doc_id: str
    doc_number: str | None
    doc_title: str
    ordinal: int
    level: int
    kind: str
    marker: str
    path: list[str]
    title: str
    text: str
    start: int
    end: int
    task_no: int | None
    parent_id: str | None
    note: str | None
    leads: list[str] = field(default_factory=list)
    units: list[str] = field(
        default_factory=list
    )  # canonical names: lead units, then responsible, then cooperating
    unit_roles: dict[str, str] = field(default_factory=dict)

    @property
    def is_task(self) -> bool:
        return bool(self.leads or self.units)


class StoreError(RuntimeError):
    pass


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Streamlit serves sessions from several threads; every use here is short and read-mostly.
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.executescript(SCHEMA)
    return connection


class Store:
    """Reads and writes the clause store."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.db = connect(self.path)

    def close(self) -> None:
        self.db.close()

    # -- writing ---------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def source_hashes(self) -> dict[str, tuple[str, str]]:
        """path → (content hash, doc_id) of every indexed source."""
        rows = self.db.execute("SELECT path, content_hash, doc_id FROM sources")
        return {row["path"]: (row["content_hash"], row["doc_id"]) for row in rows}

    def source_texts(self, doc_id: str) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM sources WHERE doc_id = ? ORDER BY path", (doc_id,)
        ).fetchall()

    def put_source(
        self, path: str, doc_id: str, kind: str, content_hash: str, encoding: str, text: str
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO sources(path, doc_id, kind, content_hash, encoding, text) VALUES (?,?,?,?,?,?)",
            (path, doc_id, kind, content_hash, encoding, text),
        )

    def delete_source(self, path: str) -> None:
        self.db.execute("DELETE FROM sources WHERE path = ?", (path,))

    def delete_document(self, doc_id: str) -> None:
        clause_ids = "SELECT clause_id FROM clauses WHERE doc_id = ?"
        for table in ("passages", "clause_units", "clause_leads"):
            self.db.execute(f"DELETE FROM {table} WHERE clause_id IN ({clause_ids})", (doc_id,))
        self.db.execute("DELETE FROM citations WHERE citing_doc_id = ?", (doc_id,))
        self.db.execute("DELETE FROM clauses WHERE doc_id = ?", (doc_id,))
        self.db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))

    def put_registry(self, registry: UnitRegistry) -> None:
        for unit in registry.units:
            self._put_unit(unit)
            for alias in registry.aliases_of(unit):
                self._put_alias(alias, unit)

    def _put_unit(self, unit: Unit) -> None:
        self.db.execute(
            "INSERT INTO units(unit_id, name, jurisdiction, kind, full_name, in_registry) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(unit_id) DO UPDATE SET kind=excluded.kind, full_name=excluded.full_name, "
            "in_registry=max(in_registry, excluded.in_registry)",
            (
                unit.unit_id,
                unit.name,
                unit.jurisdiction,
                unit.kind,
                unit.full_name,
                int(unit.in_registry),
            ),
        )
        self._put_alias(unit.name, unit)

    def _put_alias(self, alias: str, unit: Unit) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO unit_aliases(alias_key, unit_id) VALUES (?, ?)",
            (unit_key(alias), unit.unit_id),
        )

    def put_document(
        self, document: Document, registry: UnitRegistry, passages: dict[str, list[str]]
    ) -> list[Unit]:
        """Write a parsed document; returns the units it names that the registry does not know."""
        self.delete_document(document.doc_id)
        values = [getattr(document, column) for column in _DOCUMENT_COLUMNS]
        self.db.execute(
            f"INSERT INTO documents(doc_id, {', '.join(_DOCUMENT_COLUMNS)}, fields_json, conflicts_json, origin) "
            f"VALUES (?, {', '.join('?' * len(_DOCUMENT_COLUMNS))}, ?, ?, 'text')",
            (document.doc_id, *values, _dump(document.fields), _dump(document.conflicts)),
        )
        unknown: dict[str, Unit] = {}
        for clause in document.clauses:
            note = clause.responsibility
            self.db.execute(
                "INSERT INTO clauses VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    clause.clause_id,
                    document.doc_id,
                    clause.ordinal,
                    clause.level,
                    clause.kind,
                    clause.marker,
                    _dump(clause.path),
                    clause.title,
                    clause.text,
                    clause.start,
                    clause.end,
                    clause.task_no,
                    clause.parent_id,
                    note.raw if note else None,
                ),
            )
            for position, text in enumerate(passages.get(clause.clause_id, [])):
                self.db.execute(
                    "INSERT INTO passages(clause_id, ordinal, text) VALUES (?,?,?)",
                    (clause.clause_id, position, text),
                )
            if note is None:
                continue
            for position, person in enumerate(note.leads):
                self.db.execute(
                    "INSERT INTO clause_leads VALUES (?,?,?)", (clause.clause_id, person, position)
                )
            position = 0
            for bucket, role in _ROLE_OF_BUCKET:
                for written in getattr(note, bucket):
                    unit = registry.resolve(written, document.jurisdiction, document.issuer)
                    self._put_unit(unit)
                    self._put_alias(written, unit)
                    if not unit.in_registry:
                        unknown[unit.unit_id] = unit
                    self.db.execute(
                        "INSERT INTO clause_units VALUES (?,?,?,?,?)",
                        (clause.clause_id, unit.unit_id, role, clean_unit_name(written), position),
                    )
                    position += 1
        for citation in document.citations:
            self.db.execute(
                "INSERT INTO citations(clause_id, citing_doc_id, cited_number, cited_title) VALUES (?,?,?,?)",
                (citation.clause_id, document.doc_id, citation.doc_number, citation.title),
            )
        return list(unknown.values())

    def put_catalogue(self, path: str, entries: list[dict]) -> None:
        self.db.execute("DELETE FROM catalogue WHERE path = ?", (path,))
        for entry in entries:
            self.db.execute(
                "INSERT OR REPLACE INTO catalogue(doc_number, path, facts_json) VALUES (?,?,?)",
                (entry["doc_number"], path, _dump(entry)),
            )

    def delete_catalogue(self, path: str) -> None:
        self.db.execute("DELETE FROM catalogue WHERE path = ?", (path,))

    def catalogue_paths(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT DISTINCT path FROM catalogue")}

    def resolve_references(self) -> None:
        """Rebuild the fact-only documents (from catalogues and citations) and link citations.

        Runs after every build, so it is idempotent: catalogue facts fill gaps in indexed
        documents, documents known only from a catalogue or a citation get a row of their own,
        and every citation points at the document its 文号 or title names."""
        self.db.execute("DELETE FROM documents WHERE origin IN ('catalogue', 'citation')")
        by_number = {
            r["doc_number"]: r["doc_id"]
            for r in self.db.execute(
                "SELECT doc_id, doc_number FROM documents WHERE doc_number IS NOT NULL"
            )
        }
        for row in self.db.execute("SELECT facts_json FROM catalogue").fetchall():
            facts = json.loads(row["facts_json"])
            self._apply_catalogue(facts, by_number.get(facts["doc_number"]))
        cited = self.db.execute(
            "SELECT cited_number, min(cited_title) AS title FROM citations WHERE cited_number IS NOT NULL "
            "GROUP BY cited_number"
        ).fetchall()
        for row in cited:
            if not self.db.execute(
                "SELECT 1 FROM documents WHERE doc_number = ?", (row["cited_number"],)
            ).fetchone():
                self.db.execute(
                    "INSERT INTO documents(doc_id, doc_number, title, origin) VALUES (?,?,?, 'citation')",
                    (row["cited_number"], row["cited_number"], row["title"] or ""),
                )
        self.db.execute("UPDATE citations SET cited_doc_id = NULL")
        self.db.execute(
            "UPDATE citations SET cited_doc_id = (SELECT doc_id FROM documents d WHERE d.doc_number = cited_number) "
            "WHERE cited_number IS NOT NULL"
        )
        titles = {
            _title_key(r["title"]): r["doc_id"]
            for r in self.db.execute("SELECT doc_id, title FROM documents WHERE title != ''")
        }
        for row in self.db.execute(
            "SELECT rowid, cited_title FROM citations WHERE cited_doc_id IS NULL AND cited_title IS NOT NULL"
        ).fetchall():
            doc_id = _match_title(row["cited_title"], titles)
            if doc_id is None and len(_title_key(row["cited_title"])) >= _MIN_CITED_TITLE:
                # Known only by the title a citing text gives it: a document to add some day.
                doc_id = _title_key(row["cited_title"])
                self.db.execute(
                    "INSERT OR IGNORE INTO documents(doc_id, title, origin) VALUES (?, ?, 'citation')",
                    (doc_id, row["cited_title"]),
                )
                titles[doc_id] = doc_id
            if doc_id:
                self.db.execute(
                    "UPDATE citations SET cited_doc_id = ? WHERE rowid = ?", (doc_id, row["rowid"])
                )

    def _apply_catalogue(self, facts: dict, existing_doc_id: str | None) -> None:
        values = {
            "doc_number": facts["doc_number"],
            "title": facts.get("title") or facts["doc_number"],
            "issuer": facts.get("issuer"),
            "level": facts.get("level"),
            "signed_date": facts.get("signed_date"),
            "issue_date": facts.get("header_issue_date"),
            "published_date": facts.get("published_date"),
            "index_no": facts.get("index_no"),
            "validity": facts.get("validity"),
            "addressees": facts.get("addressees"),
        }
        if existing_doc_id is None:
            columns = ", ".join(values)
            self.db.execute(
                f"INSERT INTO documents(doc_id, {columns}, fields_json, origin) "
                f"VALUES (?, {', '.join('?' * len(values))}, ?, 'catalogue')",
                (facts["doc_number"], *values.values(), _dump(_extra_facts(facts))),
            )
            return
        for column, value in values.items():
            if value is not None:
                self.db.execute(
                    f"UPDATE documents SET {column} = ? WHERE doc_id = ? AND {column} IS NULL",
                    (value, existing_doc_id),
                )

    def mark_changed(self) -> None:
        """Tell derived indexes (search.py) that the clauses changed and they must be rebuilt."""
        self.set_meta(GENERATION_KEY, uuid.uuid4().hex)

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # -- reading ---------------------------------------------------------------------------

    def documents(self) -> list[DocumentRecord]:
        rows = self.db.execute(
            "SELECT * FROM documents ORDER BY origin != 'text', level, doc_number, title"
        )
        return [self._document(row) for row in rows.fetchall()]

    def document(self, doc_id: str) -> DocumentRecord | None:
        row = self.db.execute("SELECT * FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return self._document(row) if row else None

    def _document(self, row: sqlite3.Row) -> DocumentRecord:
        sources = [
            r[0]
            for r in self.db.execute(
                "SELECT path FROM sources WHERE doc_id = ? ORDER BY path", (row["doc_id"],)
            )
        ]
        return DocumentRecord(
            doc_id=row["doc_id"],
            **{column: row[column] for column in _DOCUMENT_COLUMNS},
            fields=json.loads(row["fields_json"]),
            conflicts=json.loads(row["conflicts_json"]),
            origin=row["origin"],
            sources=sources,
        )

    def find_document(self, text: str) -> DocumentRecord | None:
        """The document a 文号 in ``text`` names, in any bracket form; else one whose title matches."""
        for found in find_doc_numbers(text):
            number = found.number
            rows = self.db.execute(
                "SELECT doc_id, doc_number FROM documents WHERE doc_number LIKE ?",
                (f"%〔{number.year}〕{number.serial}号",),
            ).fetchall()
            exact = [r for r in rows if r["doc_number"] == number.canonical]
            # Typed text may carry words before the agency code ("查一下咸市教[2021]14号").
            loose = [r for r in rows if number.agency.endswith(r["doc_number"].split("〔")[0])]
            match = (exact or loose or [None])[0]
            if match:
                return self.document(match["doc_id"])
        return None

    def find_documents_by_title(self, text: str) -> list[DocumentRecord]:
        key = _title_key(text)
        if len(key) < 4:
            return []
        rows = self.db.execute("SELECT doc_id, title FROM documents").fetchall()
        return [self.document(r["doc_id"]) for r in rows if key in _title_key(r["title"])]

    def clauses(self, doc_id: str) -> list[ClauseRecord]:
        rows = self.db.execute(
            "SELECT clause_id FROM clauses WHERE doc_id = ? ORDER BY ordinal", (doc_id,)
        )
        return self.clauses_by_id([r[0] for r in rows])

    def clause(self, clause_id: str) -> ClauseRecord | None:
        found = self.clauses_by_id([clause_id])
        return found[0] if found else None

    def clauses_by_id(self, clause_ids: Iterable[str]) -> list[ClauseRecord]:
        """Clauses in the order asked, each with its document, leads and units."""
        ids = list(dict.fromkeys(clause_ids))
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT c.*, d.doc_number, d.title AS doc_title FROM clauses c JOIN documents d USING (doc_id) "
            f"WHERE c.clause_id IN ({marks})",
            ids,
        ).fetchall()
        leads: dict[str, list[str]] = {}
        for row in self.db.execute(
            f"SELECT clause_id, person FROM clause_leads WHERE clause_id IN ({marks}) ORDER BY position",
            ids,
        ):
            leads.setdefault(row["clause_id"], []).append(row["person"])
        units: dict[str, list[tuple[str, str]]] = {}
        for row in self.db.execute(
            f"SELECT cu.clause_id, u.name, cu.role FROM clause_units cu JOIN units u USING (unit_id) "
            f"WHERE cu.clause_id IN ({marks}) ORDER BY cu.position",
            ids,
        ):
            units.setdefault(row["clause_id"], []).append((row["name"], row["role"]))
        by_id = {}
        for row in rows:
            pairs = units.get(row["clause_id"], [])
            by_id[row["clause_id"]] = ClauseRecord(
                **{name: row[name] for name in _CLAUSE_COLUMNS},
                path=json.loads(row["path_json"]),
                leads=leads.get(row["clause_id"], []),
                units=list(dict.fromkeys(name for name, _ in pairs)),
                unit_roles={name: role for name, role in pairs},
            )
        return [by_id[i] for i in ids if i in by_id]

    def tasks(self, doc_id: str | None = None) -> list[ClauseRecord]:
        """Clauses carrying a responsibility note, in document order."""
        query = (
            "SELECT clause_id FROM clauses WHERE task_no IS NOT NULL"
            + (" AND doc_id = ?" if doc_id else "")
            + " ORDER BY doc_id, ordinal"
        )
        return self.clauses_by_id(r[0] for r in self.db.execute(query, (doc_id,) if doc_id else ()))

    def units_matching(self, text: str) -> list[sqlite3.Row]:
        """Units whose name or an alias is ``text``: 局人事科, 人事科, 市教育局 (in every city)."""
        return self.db.execute(
            "SELECT DISTINCT u.* FROM units u JOIN unit_aliases a USING (unit_id) WHERE a.alias_key = ? "
            "ORDER BY u.in_registry DESC, u.jurisdiction",
            (unit_key(clean_unit_name(text)),),
        ).fetchall()

    def unit_names(self) -> list[tuple[str, str]]:
        """(alias as a searchable string, unit_id) for every alias, longest first."""
        rows = self.db.execute("SELECT alias_key, unit_id FROM unit_aliases")
        return sorted(((r[0], r[1]) for r in rows), key=lambda pair: -len(pair[0]))

    def leaders(self) -> list[str]:
        return [
            r[0]
            for r in self.db.execute("SELECT DISTINCT person FROM clause_leads ORDER BY person")
        ]

    def duties_of_units(self, unit_ids: list[str], doc_id: str | None = None) -> list[ClauseRecord]:
        if not unit_ids:
            return []
        marks = ",".join("?" * len(unit_ids))
        query = (
            f"SELECT DISTINCT c.clause_id, c.doc_id, c.ordinal FROM clause_units cu JOIN clauses c USING (clause_id) "
            f"WHERE cu.unit_id IN ({marks})"
            + (" AND c.doc_id = ?" if doc_id else "")
            + " ORDER BY c.doc_id, c.ordinal"
        )
        params = [*unit_ids, doc_id] if doc_id else unit_ids
        return self.clauses_by_id(r[0] for r in self.db.execute(query, params))

    def duties_of_leader(self, person: str, doc_id: str | None = None) -> list[ClauseRecord]:
        query = (
            "SELECT DISTINCT c.clause_id, c.doc_id, c.ordinal FROM clause_leads l JOIN clauses c USING (clause_id) "
            "WHERE l.person = ?"
            + (" AND c.doc_id = ?" if doc_id else "")
            + " ORDER BY c.doc_id, c.ordinal"
        )
        return self.clauses_by_id(
            r[0] for r in self.db.execute(query, (person, doc_id) if doc_id else (person,))
        )

    def cited_by(self, doc_id: str) -> list[tuple[str, str | None]]:
        """(clause_id, citing document's label) for every clause that cites ``doc_id``."""
        rows = self.db.execute(
            "SELECT DISTINCT c.clause_id, coalesce(d.doc_number, d.title) AS label, d.doc_id, cl.ordinal "
            "FROM citations c JOIN documents d ON d.doc_id = c.citing_doc_id "
            "JOIN clauses cl ON cl.clause_id = c.clause_id "
            "WHERE c.cited_doc_id = ? ORDER BY d.doc_number, cl.ordinal",
            (doc_id,),
        )
        return [(r["clause_id"], r["label"]) for r in rows]

    def cites(self, doc_id: str) -> list[sqlite3.Row]:
        """What a document cites: the cited 文号/title and the document it resolved to."""
        return self.db.execute(
            "SELECT DISTINCT cited_number, cited_title, cited_doc_id, clause_id FROM citations "
            "WHERE citing_doc_id = ? ORDER BY rowid",
            (doc_id,),
        ).fetchall()

    def neighbours(self, clause_id: str, span: int = 1) -> list[ClauseRecord]:
        row = self.db.execute(
            "SELECT doc_id, ordinal FROM clauses WHERE clause_id = ?", (clause_id,)
        ).fetchone()
        if row is None:
            return []
        ids = self.db.execute(
            "SELECT clause_id FROM clauses WHERE doc_id = ? AND ordinal BETWEEN ? AND ? ORDER BY ordinal",
            (row["doc_id"], row["ordinal"] - span, row["ordinal"] + span),
        )
        return self.clauses_by_id(r[0] for r in ids)

    def passages(self) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT p.passage_id, p.clause_id, p.text, c.title, c.path_json, c.doc_id FROM passages p "
            "JOIN clauses c USING (clause_id) ORDER BY p.passage_id"
        ).fetchall()

    def stats(self) -> dict[str, int]:
        one = lambda sql: self.db.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "documents_with_text": one("SELECT count(*) FROM documents WHERE origin = 'text'"),
            "documents_catalogue_only": one(
                "SELECT count(*) FROM documents WHERE origin != 'text'"
            ),
            "sources": one("SELECT count(*) FROM sources"),
            "clauses": one("SELECT count(*) FROM clauses"),
            "passages": one("SELECT count(*) FROM passages"),
            "responsibility_notes": one("SELECT count(*) FROM clauses WHERE note IS NOT NULL"),
            "tasks": one("SELECT count(*) FROM clauses WHERE task_no IS NOT NULL"),
            "units": one("SELECT count(*) FROM units"),
            "units_not_in_registry": one("SELECT count(*) FROM units WHERE in_registry = 0"),
            "citations": one("SELECT count(*) FROM citations"),
            "citations_resolved_to_text": one(
                "SELECT count(*) FROM citations c JOIN documents d ON d.doc_id = c.cited_doc_id WHERE d.origin = 'text'"
            ),
            "citations_to_documents_without_text": one(
                "SELECT count(*) FROM citations c JOIN documents d ON d.doc_id = c.cited_doc_id WHERE d.origin != 'text'"
            ),
            "citations_unresolved": one(
                "SELECT count(*) FROM citations WHERE cited_doc_id IS NULL"
            ),
        }

    def unresolved_citations(self) -> list[sqlite3.Row]:
        """Citations whose document has no text here: unknown, or known only by catalogue or citation."""
        return self.db.execute(
            "SELECT DISTINCT c.citing_doc_id, c.cited_number, c.cited_title, d.origin FROM citations c "
            "LEFT JOIN documents d ON d.doc_id = c.cited_doc_id WHERE d.origin IS NULL OR d.origin != 'text' "
            "ORDER BY c.citing_doc_id"
        ).fetchall()


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _extra_facts(facts: dict) -> dict[str, str]:
    known = {
        "doc_number",
        "title",
        "issuer",
        "level",
        "signed_date",
        "header_issue_date",
        "published_date",
        "index_no",
        "validity",
        "addressees",
        "full_text",
    }
    return {k: str(v) for k, v in facts.items() if k not in known and v is not None}


def _title_key(title: str) -> str:
    return "".join(ch for ch in title if ch not in " 　《》“”\"'（）()")


def _match_title(cited_title: str, titles: dict[str, str]) -> str | None:
    """A cited title names a document when the titles are equal, or one holds the other whole
    (citing texts drop the issuer: 《关于全面加强和改进学校美育工作的意见》)."""
    key = _title_key(cited_title)
    if key in titles:
        return titles[key]
    if len(key) < 10:
        return None
    candidates = [
        doc_id for title, doc_id in titles.items() if title.endswith(key) or key.endswith(title)
    ]
    return candidates[0] if len(candidates) == 1 else None

"""The clause store: one SQLite file, the source of truth. Search indexes are derived from it.

Every read goes through ``Store``, every write through the ``StoreWriter`` of a transaction
(writes.py). WAL mode lets readers go on while a build runs; they see the old store until it
commits.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from indexer.ingest.docnum import find_doc_numbers
from indexer.ingest.units import clean_unit_name, unit_key
from indexer.storage.records import (
    CLAUSE_COLUMNS,
    DOCUMENT_COLUMNS,
    BasisRecord,
    ClauseRecord,
    DocumentRecord,
)
from indexer.storage.references import title_key
from indexer.storage.schema import StoreError, connect, is_current, reset
from indexer.storage.writes import GENERATION_KEY, StoreWriter

__all__ = ["GENERATION_KEY", "ClauseRecord", "DocumentRecord", "Store", "StoreError"]


class Store:
    """Reads and writes the clause store."""

    def __init__(self, path: Path, *, create: bool = True):
        """Open the store at ``path``. Readers pass ``create=False``: a path where no store is
        (a mistyped --var) is an error, not a new empty store."""
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise StoreError(
                f"{self.path}: no knowledge base here; build one with `python -m indexer build` "
                f"(or check --var / $POLICY_KB_VAR)"
            )
        self.db = connect(self.path)
        if not create and not is_current(self.db):
            self.db.close()
            raise StoreError(
                f"{self.path}: made by another version of this program; rebuild it with "
                f"`python -m indexer build`"
            )

    def close(self) -> None:
        self.db.close()

    def hold_snapshot(self) -> None:
        """Read from one snapshot from now on, whatever builds commit meanwhile, until
        ``release_snapshot``: an answerer's passages, clauses and index stay one generation."""
        if not self.db.in_transaction:
            self.db.execute("BEGIN")
            self.db.execute("SELECT 1 FROM meta LIMIT 1")  # the snapshot starts at the first read

    def release_snapshot(self) -> None:
        if self.db.in_transaction:
            self.db.execute("COMMIT")

    @property
    def is_current(self) -> bool:
        """Whether the tables are this program's; a build empties and refills them if not."""
        return is_current(self.db)

    @contextmanager
    def transaction(self) -> Iterator[StoreWriter]:
        """One write transaction: everything in it is committed together or not at all. A store of
        another schema version is emptied first (the build then reads every file again)."""
        self.db.execute("BEGIN IMMEDIATE")
        if not is_current(self.db):
            reset(self.db)
        try:
            yield StoreWriter(self.db)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- what a build compares against ------------------------------------------------------

    def sources(self) -> dict[str, tuple[str, str, int]]:
        """key → (content hash, doc_id, first build) of every indexed file."""
        rows = self.db.execute("SELECT path, content_hash, doc_id, first_build FROM sources")
        return {
            row["path"]: (row["content_hash"], row["doc_id"], row["first_build"]) for row in rows
        }

    def source_texts(self, doc_id: str) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM sources WHERE doc_id = ? ORDER BY path", (doc_id,)
        ).fetchall()

    def catalogue_paths(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT DISTINCT path FROM catalogue")}

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
                "SELECT path FROM sources WHERE held_by = ? ORDER BY path", (row["doc_id"],)
            )
        ]
        return DocumentRecord(
            doc_id=row["doc_id"],
            **{column: row[column] for column in DOCUMENT_COLUMNS},
            fields=json.loads(row["fields_json"]),
            conflicts=json.loads(row["conflicts_json"]),
            origin=row["origin"],
            sources=sources,
            version_of=row["version_of"],
            read_from=json.loads(row["read_from_json"]),
        )

    def versions_of(self, doc_id: str) -> list[DocumentRecord]:
        """Other texts of the document's 文号 that disagree with it, kept apart."""
        rows = self.db.execute(
            "SELECT * FROM documents WHERE version_of = ? ORDER BY doc_id", (doc_id,)
        ).fetchall()
        return [self._document(row) for row in rows]

    def find_document(self, text: str) -> DocumentRecord | None:
        """The document ``text`` names: by a 文号 in it, in any bracket form; else by its title
        (the exact title first, then one holding ``text``, documents with text before others)."""
        return self._document_by_number(text) or next(
            iter(self.find_documents_by_title(text)), None
        )

    def _document_by_number(self, text: str) -> DocumentRecord | None:
        for found in find_doc_numbers(text):
            number = found.number
            rows = self.db.execute(
                "SELECT doc_id, doc_number FROM documents "
                "WHERE doc_number LIKE ? AND origin != 'version'",
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
        """Documents whose title holds ``text`` (quotes, brackets and spaces aside): the exact
        title first, then documents with their text here, then the rest."""
        key = title_key(text)
        if len(key) < 4:
            return []
        rows = self.db.execute("SELECT doc_id, title, origin FROM documents").fetchall()
        found = [r for r in rows if key in title_key(r["title"])]
        found.sort(key=lambda r: (title_key(r["title"]) != key, r["origin"] != "text"))
        return [document for r in found if (document := self.document(r["doc_id"]))]

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
        units: dict[str, list[tuple[str, str, str]]] = {}
        for row in self.db.execute(
            f"SELECT cu.clause_id, u.name, cu.role, u.kind FROM clause_units cu "
            f"JOIN units u USING (unit_id) WHERE cu.clause_id IN ({marks}) ORDER BY cu.position",
            ids,
        ):
            units.setdefault(row["clause_id"], []).append((row["name"], row["role"], row["kind"]))
        by_id = {}
        for row in rows:
            pairs = units.get(row["clause_id"], [])
            by_id[row["clause_id"]] = ClauseRecord(
                **{name: row[name] for name in CLAUSE_COLUMNS},
                path=json.loads(row["path_json"]),
                leads=leads.get(row["clause_id"], []),
                units=list(dict.fromkeys(name for name, _, _ in pairs)),
                unit_roles={name: role for name, role, _ in pairs},
                unit_kinds={name: kind for name, _, kind in pairs},
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

    def units(self) -> list[sqlite3.Row]:
        """Every unit: unit_id, name, full_name, jurisdiction, kind (局机关科室 / 直属单位 / …)."""
        return self.db.execute("SELECT * FROM units ORDER BY in_registry DESC, unit_id").fetchall()

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

    def basis_of(self, doc_id: str) -> list[BasisRecord]:
        """The documents ``doc_id`` carries out, in the order its opening paragraph names them;
        one named twice (by 文号 and by title) once."""
        rows = self.db.execute(
            "SELECT c.cited_number, c.cited_title, c.clause_id, c.cited_doc_id, d.doc_number, "
            "d.title, d.origin, d.level FROM citations c LEFT JOIN documents d ON d.doc_id = c.cited_doc_id "
            "WHERE c.citing_doc_id = ? AND c.basis = 1 ORDER BY c.rowid",
            (doc_id,),
        ).fetchall()
        found: dict[str, BasisRecord] = {}
        for row in rows:
            key = row["cited_doc_id"] or row["cited_number"] or row["cited_title"]
            if key in found:
                continue
            found[key] = BasisRecord(
                doc_number=row["doc_number"] or row["cited_number"],
                title=row["title"] or row["cited_title"] or "",
                in_corpus=row["origin"] == "text",
                clause_id=row["clause_id"],
                doc_id=row["cited_doc_id"],
                level=row["level"],
            )
        return list(found.values())

    def implemented_by(self, doc_id: str) -> list[DocumentRecord]:
        """The documents whose opening paragraph names ``doc_id`` as their basis."""
        rows = self.db.execute(
            "SELECT DISTINCT citing_doc_id FROM citations WHERE cited_doc_id = ? AND basis = 1",
            (doc_id,),
        ).fetchall()
        return [d for row in rows if (d := self.document(row[0])) is not None]

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

    def clause_tree(self) -> list[tuple[str, str | None, int | None]]:
        """(clause_id, parent_id, task_no) of every clause, in document order."""
        rows = self.db.execute(
            "SELECT clause_id, parent_id, task_no FROM clauses ORDER BY doc_id, ordinal"
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def clause_texts(self) -> Iterator[str]:
        return (row[0] for row in self.db.execute("SELECT text FROM clauses"))

    def unit_canonical_names(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT name FROM units")]

    def levels_and_validity(self) -> dict[str, tuple[str | None, str | None]]:
        """doc_id → (level, validity): what the level and validity filters compare."""
        rows = self.db.execute("SELECT doc_id, level, validity FROM documents")
        return {row["doc_id"]: (row["level"], row["validity"]) for row in rows}

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

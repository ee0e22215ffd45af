"""Writing the store: only inside ``Store.transaction()``, which hands out a ``StoreWriter``, so a
build is one transaction and readers see the old store or the new one, never half of one."""

from __future__ import annotations

import json
import sqlite3
import uuid

from indexer.documents import Document
from indexer.ingest.metadata import issuer_from_title, place_and_level
from indexer.ingest.places import default_places
from indexer.ingest.units import Unit, UnitRegistry, clean_unit_name, unit_key
from indexer.storage.records import DOCUMENT_COLUMNS
from indexer.storage.references import MIN_CITED_TITLE, TitleIndex, near_number, title_key

GENERATION_KEY = "generation"
_ROLE_OF_BUCKET = (
    ("lead_units", "lead"),
    ("units", "responsible"),
    ("cooperating_units", "cooperating"),
)


class StoreWriter:
    """The write half of the store, valid for one transaction."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def put_source(
        self,
        path: str,
        doc_id: str,
        kind: str,
        content_hash: str,
        encoding: str,
        text: str,
        build_number: int,
    ) -> None:
        """Keep a file's text; a file seen before keeps the number of the build that first saw it."""
        self.db.execute(
            "INSERT INTO sources(path, doc_id, kind, content_hash, encoding, text, first_build) "
            "VALUES (?,?,?,?,?,?,?) ON CONFLICT(path) DO UPDATE SET doc_id = excluded.doc_id, "
            "kind = excluded.kind, content_hash = excluded.content_hash, "
            "encoding = excluded.encoding, text = excluded.text",
            (path, doc_id, kind, content_hash, encoding, text, build_number),
        )

    def delete_source(self, path: str) -> None:
        self.db.execute("DELETE FROM sources WHERE path = ?", (path,))

    def delete_document(self, doc_id: str) -> None:
        clause_ids = "SELECT clause_id FROM clauses WHERE doc_id = ?"
        for table in ("passages", "clause_units", "clause_leads"):
            self.db.execute(f"DELETE FROM {table} WHERE clause_id IN ({clause_ids})", (doc_id,))
        self.db.execute("DELETE FROM citations WHERE citing_doc_id = ?", (doc_id,))
        self.db.execute("DELETE FROM clauses WHERE doc_id = ?", (doc_id,))
        self.db.execute(
            "DELETE FROM documents WHERE doc_id = ? OR version_of = ?", (doc_id, doc_id)
        )

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
        keys = [source.path for source in document.sources]
        marks = ",".join("?" * len(keys))
        self.db.execute(
            f"UPDATE sources SET held_by = ? WHERE path IN ({marks})", [document.doc_id, *keys]
        )
        values = [getattr(document, column) for column in DOCUMENT_COLUMNS]
        self.db.execute(
            f"INSERT INTO documents(doc_id, {', '.join(DOCUMENT_COLUMNS)}, fields_json, "
            f"conflicts_json, read_from_json, origin, place_code) "
            f"VALUES (?, {', '.join('?' * len(DOCUMENT_COLUMNS))}, ?, ?, ?, 'text', ?)",
            (
                document.doc_id,
                *values,
                _dump(document.fields),
                _dump(document.conflicts),
                _dump(document.read_from),
                default_places().resolve(document.jurisdiction),
            ),
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
                "INSERT INTO citations(clause_id, citing_doc_id, cited_number, cited_title, basis) "
                "VALUES (?,?,?,?,?)",
                (
                    citation.clause_id,
                    document.doc_id,
                    citation.doc_number,
                    citation.title,
                    int(citation.basis),
                ),
            )
        return list(unknown.values())

    def put_version(self, version: Document, of: Document, label: str) -> str:
        """Keep another text of ``of``'s 文号 apart: a document card of its own (facts and
        conflict, no clauses), its files marked as a version. Returns its document id."""
        keys = [source.path for source in version.sources]
        doc_id = f"{of.doc_id}#{label}"
        values = [getattr(version, column) for column in DOCUMENT_COLUMNS]
        self.db.execute(
            f"INSERT OR REPLACE INTO documents(doc_id, {', '.join(DOCUMENT_COLUMNS)}, fields_json, "
            f"conflicts_json, origin, version_of) "
            f"VALUES (?, {', '.join('?' * len(DOCUMENT_COLUMNS))}, ?, ?, 'version', ?)",
            (doc_id, *values, _dump(version.fields), _dump(version.conflicts), of.doc_id),
        )
        marks = ",".join("?" * len(keys))
        self.db.execute(f"UPDATE sources SET held_by = ? WHERE path IN ({marks})", [doc_id, *keys])
        return doc_id

    def put_catalogue(self, path: str, entries: list[dict]) -> None:
        self.db.execute("DELETE FROM catalogue WHERE path = ?", (path,))
        for entry in entries:
            self.db.execute(
                "INSERT OR REPLACE INTO catalogue(doc_number, path, facts_json) VALUES (?,?,?)",
                (entry["doc_number"], path, _dump(entry)),
            )

    def delete_catalogue(self, path: str) -> None:
        self.db.execute("DELETE FROM catalogue WHERE path = ?", (path,))

    def resolve_references(self) -> None:
        """Rebuild the fact-only documents (from catalogues and citations) and link citations.

        Runs after every build, so it is idempotent: catalogue facts fill gaps in indexed
        documents, documents known only from a catalogue or a citation get a row of their own,
        and every citation points at the document its 文号 or title names (references.py)."""
        self.db.execute("DELETE FROM documents WHERE origin IN ('catalogue', 'citation')")
        by_number = self._numbers()
        for row in self.db.execute("SELECT path, facts_json FROM catalogue").fetchall():
            facts = json.loads(row["facts_json"])
            self._apply_catalogue(facts, row["path"], by_number.get(facts["doc_number"]))
        by_number = self._numbers()
        target: dict[str, str] = {}
        cited = self.db.execute(
            "SELECT cited_number, min(cited_title) AS title FROM citations "
            "WHERE cited_number IS NOT NULL GROUP BY cited_number"
        ).fetchall()
        for row in cited:
            number = row["cited_number"]
            found = by_number.get(number) or near_number(number, by_number)
            if found is None:
                # Known only by the number a citing text gives it: a document to add some day.
                self.db.execute(
                    "INSERT INTO documents(doc_id, doc_number, title, origin, place_code) "
                    "VALUES (?,?,?, 'citation', ?)",
                    (number, number, row["title"] or "", _place_of_title(row["title"])),
                )
                found = number
            target[number] = found
        self.db.execute("UPDATE citations SET cited_doc_id = NULL")
        for number, doc_id in target.items():
            self.db.execute(
                "UPDATE citations SET cited_doc_id = ? WHERE cited_number = ?", (doc_id, number)
            )
        titles = TitleIndex(
            (r["doc_id"], r["title"], r["place_code"])
            for r in self.db.execute(
                "SELECT doc_id, title, place_code FROM documents "
                "WHERE title != '' AND origin != 'version'"
            )
        )
        rows = self.db.execute(
            "SELECT c.rowid, c.cited_title, d.place_code FROM citations c "
            "JOIN documents d ON d.doc_id = c.citing_doc_id "
            "WHERE c.cited_doc_id IS NULL AND c.cited_title IS NOT NULL"
        ).fetchall()
        for row in rows:
            doc_id = titles.match(row["cited_title"], row["place_code"])
            if doc_id is None and len(title_key(row["cited_title"])) >= MIN_CITED_TITLE:
                # Known only by the title a citing text gives it: a document to add some day.
                doc_id = title_key(row["cited_title"])
                place = _place_of_title(row["cited_title"])
                self.db.execute(
                    "INSERT OR IGNORE INTO documents(doc_id, title, origin, place_code) "
                    "VALUES (?, ?, 'citation', ?)",
                    (doc_id, row["cited_title"], place),
                )
                titles.add(doc_id, row["cited_title"], place)
            if doc_id:
                self.db.execute(
                    "UPDATE citations SET cited_doc_id = ? WHERE rowid = ?", (doc_id, row["rowid"])
                )

    def _numbers(self) -> dict[str, str]:
        return {
            r["doc_number"]: r["doc_id"]
            for r in self.db.execute(
                "SELECT doc_id, doc_number FROM documents "
                "WHERE doc_number IS NOT NULL AND origin != 'version'"
            )
        }

    def _apply_catalogue(self, facts: dict, path: str, existing_doc_id: str | None) -> None:
        """A catalogue entry: a document of its own, or the facts an indexed one lacks."""
        where = f"目录（{path}）"
        values = {
            "place_code": default_places().resolve(place_and_level(facts.get("issuer"))[0]),
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
            read_from = {column: where for column, value in values.items() if value is not None}
            self.db.execute(
                f"INSERT INTO documents(doc_id, {columns}, fields_json, read_from_json, origin) "
                f"VALUES (?, {', '.join('?' * len(values))}, ?, ?, 'catalogue')",
                (
                    facts["doc_number"],
                    *values.values(),
                    _dump(_extra_facts(facts)),
                    _dump(read_from),
                ),
            )
            return
        row = self.db.execute(
            "SELECT * FROM documents WHERE doc_id = ?", (existing_doc_id,)
        ).fetchone()
        read_from = json.loads(row["read_from_json"])
        for column, value in values.items():
            if value is not None and row[column] is None:
                self.db.execute(
                    f"UPDATE documents SET {column} = ? WHERE doc_id = ?", (value, existing_doc_id)
                )
                read_from[column] = where
        self.db.execute(
            "UPDATE documents SET read_from_json = ? WHERE doc_id = ?",
            (_dump(read_from), existing_doc_id),
        )

    def mark_changed(self) -> None:
        """Tell derived indexes (search.py) that the clauses changed and they must be rebuilt."""
        self.set_meta(GENERATION_KEY, uuid.uuid4().hex)

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))


def _place_of_title(title: str | None) -> str | None:
    """Where a document known only by its title belongs: its issuer's place (浙江省…意见)."""
    return default_places().resolve(place_and_level(issuer_from_title(title or ""))[0])


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

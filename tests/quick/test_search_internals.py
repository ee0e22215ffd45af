"""Search internals: tokenisation, fusion, FAISS persistence, index freshness and model mismatch."""

import hashlib

import numpy as np
import pytest

from indexer.retrieval.bm25 import LexicalIndex
from indexer.retrieval.dense import DenseIndex
from indexer.retrieval.fusion import fuse
from indexer.retrieval.generations import IndexModelMismatch, open_index, rebuild_index
from indexer.retrieval.tokenizer import Tokenizer


def test_tokenizer_keeps_programme_and_unit_names_whole():
    tokenizer = Tokenizer(["局计划财务科"])
    tokens = tokenizer.tokens("实施“特岗计划”“银龄计划”，局计划财务科负责控辍保学")
    assert {"特岗计划", "银龄计划", "局计划财务科", "控辍保学"} <= set(tokens)


def test_question_words_are_not_search_terms():
    tokens = Tokenizer().tokens("特岗计划谁负责？")
    assert "特岗计划" in tokens
    assert not {"谁", "负责", "？"} & set(tokens)


def test_fusion_order_on_a_small_fixture():
    # passage 0: strong on both sides; 1: lexical only; 2: dense only; 3: weak on both
    lexical = {0: 10.0, 1: 9.0, 3: 1.0}
    dense = {0: 0.90, 2: 0.89, 3: 0.80}
    fused = fuse(lexical, dense, 0.5)
    assert sorted(fused, key=lambda p: -fused[p]) == [0, 1, 2, 3]
    assert fuse(lexical, dense, 1.0)[2] == 0.0
    assert fuse(lexical, dense, 0.0)[1] == 0.0


def test_a_lone_lexical_match_keeps_its_credit():
    fused = fuse({5: 4.4}, {1: 0.9, 2: 0.8}, 0.5)
    assert fused[5] == pytest.approx(0.5)


def test_bm25_ranks_the_passage_with_the_rare_term():
    tokenizer = Tokenizer()
    texts = ["健全农村教师补充机制，实施特岗计划", "加强学校食品安全检查", "教师培训与交流"]
    index = LexicalIndex.build([tokenizer.tokens(t) for t in texts])
    scores = index.scores(tokenizer.tokens("特岗计划谁负责"))
    assert int(np.argmax(scores)) == 0


def test_faiss_round_trip_keeps_ids_and_scores(tmp_path):
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(20, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(100, 120)
    index = DenseIndex.build(vectors, ids)
    index.save(tmp_path / "dense.faiss")
    loaded = DenseIndex.load(tmp_path / "dense.faiss")
    found, scores = loaded.search(vectors[3], 3)
    assert found[0] == 103 and scores[0] == pytest.approx(1.0, abs=1e-5)
    assert list(found) == list(index.search(vectors[3], 3)[0])
    assert not loaded.approximate


def test_large_indexes_switch_to_an_approximate_search(monkeypatch):
    import indexer.retrieval.dense as dense

    monkeypatch.setattr(dense, "APPROXIMATE_ABOVE", 10)
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(50, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = dense.DenseIndex.build(vectors, np.arange(50))
    assert index.approximate
    assert index.search(vectors[7], 1)[0][0] == 7


def test_very_large_indexes_are_compressed(monkeypatch, tmp_path):
    import faiss

    import indexer.retrieval.dense as dense

    monkeypatch.setattr(dense, "COMPRESS_ABOVE", 1000)
    monkeypatch.setattr(dense, "TRAIN_SAMPLE", 2000)
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(4000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(4000) * 3 + 5  # passage ids need not be positions
    index = dense.DenseIndex.build(vectors, ids)
    assert index.approximate and len(index) == 4000
    index.save(tmp_path / "dense.faiss")
    loaded = dense.DenseIndex.load(tmp_path / "dense.faiss")
    refine = faiss.downcast_index(loaded.index.index)
    assert isinstance(refine, faiss.IndexRefine) and refine.k_factor == dense._REFINE_FACTOR
    found = [int(loaded.search(vectors[i], 3)[0][0]) for i in range(0, 4000, 400)]
    assert found == [int(ids[i]) for i in range(0, 4000, 400)]


class _FakeEncoder:
    """Deterministic vectors from character counts: enough to exercise the index plumbing."""

    backend, precision = "fake", "f32"

    def __init__(self, name):
        self.name = name

    def _vectors(self, texts):
        vectors = np.array(
            [[t.count(c) + 0.01 for c in "教师学生资助美育控辍"] for t in texts], dtype=np.float32
        )
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def encode_passages(self, texts, show_progress=False):
        return self._vectors(texts)

    def encode_queries(self, texts):
        return self._vectors(texts)


def test_index_refuses_vectors_of_another_model(corpus_store, tmp_path):
    folder = tmp_path / "index"
    open_index(corpus_store, folder, _FakeEncoder("model-a"))
    assert open_index(corpus_store, folder, _FakeEncoder("model-a")).manifest.model == "model-a"
    with pytest.raises(IndexModelMismatch, match="model-a"):
        open_index(corpus_store, folder, _FakeEncoder("model-b"))
    # an explicit rebuild with the new model is the way out
    rebuilt = rebuild_index(corpus_store, folder, _FakeEncoder("model-b"))
    assert rebuilt.manifest.model == "model-b"


def test_index_follows_the_store(seed_dir, tmp_path, registry):
    from indexer.storage.build import build
    from indexer.storage.store import Store

    store = Store(tmp_path / "policy.sqlite3")
    build(store, [seed_dir], registry, seed_dir)
    folder = tmp_path / "index"
    first = open_index(store, folder, None)
    assert first.search("特岗计划", k=1, mode="lexical")
    (seed_dir / "xianning-jyj-2021-14.txt").unlink()
    build(store, [seed_dir], registry, seed_dir)
    again = open_index(store, folder, None)
    assert again.search("特岗计划", k=1, mode="lexical") == []


def test_the_manifest_says_what_encoded_the_index(corpus_store, tmp_path):
    import json

    from indexer.retrieval.generations import current_generation

    folder = tmp_path / "index"
    made = open_index(corpus_store, folder, _FakeEncoder("model-a"))
    count = len(made.passage_ids)
    assert (made.manifest.backend, made.manifest.precision) == ("fake", "f32")
    assert sum(made.manifest.vectors_by.values()) == count
    assert set(made.manifest.vectors_by) == {"fake/f32"}

    # Another backend of the same model reuses the cached vectors (they agree to cosine ≥ 0.999,
    # tests/core/test_embedding.py) and the manifest says who made them.
    other = _FakeEncoder("model-a")
    other.backend = "other"
    again = rebuild_index(corpus_store, folder, other)
    assert again.manifest.backend == "other" and set(again.manifest.vectors_by) == {"fake/f32"}

    # A manifest written before encoders were recorded still opens, without a rebuild.
    manifest = current_generation(folder) / "manifest.json"
    old = json.loads(manifest.read_text(encoding="utf-8"))
    for key in ("backend", "precision", "vectors_by"):
        del old[key]
    manifest.write_text(json.dumps(old), encoding="utf-8")
    reopened = open_index(corpus_store, folder, other)
    assert current_generation(folder) / "manifest.json" == manifest
    assert (reopened.manifest.backend, reopened.manifest.vectors_by) == (None, {})


def test_a_vector_cache_of_the_first_layout_keeps_its_vectors(tmp_path):
    import sqlite3

    from indexer.storage.vectors import UNRECORDED, VectorCache

    path = tmp_path / "embeddings.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE vectors (model TEXT, text_hash TEXT, vector BLOB, PRIMARY KEY (model, text_hash))"
        )
        db.execute(
            "INSERT INTO vectors VALUES ('m', ?, ?)",
            (hashlib.sha1("旧".encode()).hexdigest(), np.ones(4, dtype=np.float32).tobytes()),
        )
    cache = VectorCache(path)

    def encode(texts):
        return np.zeros((len(texts), 4), dtype=np.float32)

    vectors = cache.vectors("m", ["旧", "新", "新"], encode, made_by="openvino/bf16")
    assert vectors.tolist() == [[1.0] * 4, [0.0] * 4, [0.0] * 4]
    assert cache.made_by("m", ["旧", "新"]) == {UNRECORDED: 1, "openvino/bf16": 1}
    assert cache.missing("m", ["旧", "新", "另", "另"]) == ["另"]

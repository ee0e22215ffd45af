"""Dense retrieval: FAISS over passage vectors, keyed by passage id, persisted beside the store.

Three sizes, three indexes (bench/dense_scale.py measured them; the README has the figures):

- up to ``APPROXIMATE_ABOVE`` vectors, exact inner product (vectors are L2-normalised, so this
  is cosine): a flat scan takes well under a millisecond;
- up to ``COMPRESS_ABOVE``, an HNSW graph over the full vectors, which answers in well under a
  millisecond at 100k passages where a flat scan takes several;
- beyond, IVF-PQ (96 bytes a vector) whose candidates are re-ranked by 8-bit vectors: the graph
  and its float32 vectors take 1.8 KB a passage (17 GB at ten million), this 0.49 KB. At a
  million synthetic vectors every hit it returned was within cosine 0.01 of the exact tenth
  best, in 0.8 ms (p50) on one thread. It is trained on a random sample, so training does not
  copy the vectors.
"""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

APPROXIMATE_ABOVE = 50_000
COMPRESS_ABOVE = 1_000_000
_HNSW_NEIGHBOURS = 32
_HNSW_SEARCH_DEPTH = 128
TRAIN_SAMPLE = 100_000  # vectors the compressed index's quantisers learn from
_NPROBE = 16  # inverted lists visited per question
_REFINE_FACTOR = 4  # candidates re-ranked by the 8-bit vectors, per hit asked for


class DenseIndex:
    def __init__(self, index: faiss.Index):
        self.index = index
        self._tune()

    @classmethod
    def build(cls, vectors: np.ndarray, ids: np.ndarray) -> DenseIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
        if len(vectors) > COMPRESS_ABOVE:
            index: faiss.Index = faiss.IndexIDMap(_compressed(vectors))
        else:
            if len(vectors) > APPROXIMATE_ABOVE:
                inner = faiss.IndexHNSWFlat(dim, _HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
                inner.hnsw.efConstruction = 80
            else:
                inner = faiss.IndexFlatIP(dim)
            index = faiss.IndexIDMap2(inner)
        index.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))
        return cls(index)

    @property
    def approximate(self) -> bool:
        return not isinstance(faiss.downcast_index(self.index.index), faiss.IndexFlat)

    @property
    def dim(self) -> int:
        return self.index.d

    def __len__(self) -> int:
        return self.index.ntotal

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(passage ids, cosine scores) of the ``k`` nearest passages, best first."""
        inner = faiss.downcast_index(self.index.index)
        if isinstance(inner, faiss.IndexHNSW):
            inner.hnsw.efSearch = max(_HNSW_SEARCH_DEPTH, k)
        k = min(k, len(self))
        # One question on one thread: a second only waits whenever anything else runs (OpenMP
        # spins), which took a 2,328-vector scan from 0.3 to 8 ms on a busy 2-core machine. The
        # setting is this thread's own, so a build in another thread keeps its cores.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, ids = self.index.search(
                np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k
            )
        finally:
            faiss.omp_set_num_threads(threads)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def vectors(self, ids: list[int]) -> np.ndarray:
        """The stored vectors of passages ``ids``, one row each (lineage compares items by them
        without loading the model)."""
        return self.index.reconstruct_batch(np.asarray(ids, dtype=np.int64))

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        return cls(faiss.read_index(str(path)))

    def _tune(self) -> None:
        """Search parameters of the compressed index, which a saved index may not carry."""
        inner = faiss.downcast_index(self.index.index)
        if isinstance(inner, faiss.IndexRefine):
            inner.k_factor = _REFINE_FACTOR
            faiss.extract_index_ivf(inner.base_index).nprobe = _NPROBE


def _compressed(vectors: np.ndarray) -> faiss.Index:
    """IVF-PQ (a quarter byte a dimension) re-ranked by 8-bit vectors, trained on a sample."""
    count, dim = vectors.shape
    lists = 2 ** round(math.log2(math.sqrt(count)))  # ~√N inverted lists: 1024 at a million
    index = faiss.index_factory(
        dim, f"IVF{lists},PQ{dim // 4},Refine(SQ8)", faiss.METRIC_INNER_PRODUCT
    )
    rng = np.random.default_rng(0)
    # k-means wants some 40 points a list: 100k at a million vectors, 160k at ten million.
    sample = rng.choice(count, size=min(count, max(TRAIN_SAMPLE, 40 * lists)), replace=False)
    index.train(vectors[np.sort(sample)])
    return index

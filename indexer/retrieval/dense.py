"""Dense retrieval: FAISS over passage vectors, keyed by passage id, persisted beside the store.

Exact inner product (vectors are L2-normalised, so this is cosine) while the corpus is small;
above ``APPROXIMATE_ABOVE`` vectors an HNSW graph, which answers in well under a millisecond at
100k passages where a flat scan takes several.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

APPROXIMATE_ABOVE = 50_000
_HNSW_NEIGHBOURS = 32
_HNSW_SEARCH_DEPTH = 128


class DenseIndex:
    def __init__(self, index: faiss.Index):
        self.index = index

    @classmethod
    def build(cls, vectors: np.ndarray, ids: np.ndarray) -> DenseIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
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
        if self.approximate:
            faiss.downcast_index(self.index.index).hnsw.efSearch = max(_HNSW_SEARCH_DEPTH, k)
        k = min(k, len(self))
        scores, ids = self.index.search(
            np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k
        )
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

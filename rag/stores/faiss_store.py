"""Embedded FAISS: exact IndexFlatIP for small corpora, HNSW (inner product) above a size threshold, its
vectors stored as float16 by default (`hnsw_vectors`): at 1M chunks float32 vectors are 1.5 GB of the
memory a serving process maps, float16 half that, and the graph search barely notices (recall measured in
docs/scaling.md). One file, vectors.faiss, in the index version folder; BM25 runs beside it (rag.lexical)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np

from rag.config import Settings
from rag.errors import RagError
from rag.stores.base import as_matrix, check_ids, top_k_exact
from rag.types import Chunk

FAISS_FILE = "vectors.faiss"
EXACT_SUBSET = 50_000  # a filtered HNSW search over fewer allowed ids than this is done exactly instead
HNSW_VECTORS = {"fp16": faiss.ScalarQuantizer.QT_fp16, "sq8": faiss.ScalarQuantizer.QT_8bit, "float32": None}


class FaissStore:
    kind = "faiss"
    ranks_text = False

    def __init__(self, index: faiss.Index):
        self.index = index
        self.dim = index.d

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    @property
    def type(self) -> str:
        return "hnsw" if isinstance(self.index, faiss.IndexHNSW) else "flat"

    @classmethod
    def empty(cls, dim: int, settings: Settings, expected: int = 0) -> "FaissStore":
        if expected < settings.hnsw_threshold:
            return cls(faiss.IndexFlatIP(dim))
        if settings.hnsw_vectors not in HNSW_VECTORS:
            raise RagError(f"配置项 hnsw_vectors 应为 {'、'.join(HNSW_VECTORS)} 之一，当前为 {settings.hnsw_vectors!r}。")
        quantizer = HNSW_VECTORS[settings.hnsw_vectors]
        index = (faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT) if quantizer is None
                 else faiss.IndexHNSWSQ(dim, quantizer, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT))
        index.hnsw.efConstruction = settings.hnsw_ef_construction
        index.hnsw.efSearch = settings.hnsw_ef_search  # persisted with the index
        return cls(index)

    def describe(self) -> dict:
        info = {"kind": self.kind, "type": self.type}
        if self.type == "hnsw":
            index = faiss.downcast_index(self.index)
            info |= {"m": int(index.hnsw.nb_neighbors(1)), "ef_search": int(index.hnsw.efSearch), "vectors": self._vectors(index)}
        return info

    @staticmethod
    def _vectors(index: faiss.Index) -> str:
        storage = faiss.downcast_index(index.storage)
        if not isinstance(storage, faiss.IndexScalarQuantizer):
            return "float32"
        return next(name for name, qtype in HNSW_VECTORS.items() if qtype == storage.sq.qtype)

    def add(self, ids: np.ndarray, vectors: np.ndarray, chunks: Sequence[Chunk] | None = None) -> None:
        matrix = as_matrix(vectors, self.dim)
        check_ids(ids, self.ntotal, len(matrix))
        if len(matrix):
            if not self.index.is_trained:  # sq8 learns each dimension's range from the first vectors
                self.index.train(matrix)
            self.index.add(matrix)

    def search(self, queries: np.ndarray, k: int, allowed_ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        queries = as_matrix(queries, self.dim)
        if allowed_ids is None:
            return self.index.search(queries, k)
        allowed = np.asarray(allowed_ids, dtype="int64")
        if self.type == "flat":
            return self.index.search(queries, k, params=faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed)))
        if len(allowed) <= EXACT_SUBSET:  # HNSW graph walks degrade when most nodes are filtered out
            return top_k_exact(self.index.reconstruct_batch(allowed), allowed, queries, k)
        ef = max(int(faiss.downcast_index(self.index).hnsw.efSearch), 2 * k)
        params = faiss.SearchParametersHNSW(sel=faiss.IDSelectorBatch(allowed), efSearch=ef)
        return self.index.search(queries, k, params=params)

    def reconstruct(self) -> np.ndarray:
        """As stored: exact for flat, rounded once for fp16/sq8 HNSW (carrying them over rounds no further)."""
        if self.ntotal == 0:
            return np.zeros((0, self.dim), dtype="float32")
        return self.index.reconstruct_n(0, self.ntotal)

    def save(self, folder: Path) -> None:
        faiss.write_index(self.index, str(folder / FAISS_FILE))

    def prune(self, keep: list[dict]) -> None:
        """Nothing outside the version folder."""

    @classmethod
    def load(cls, folder: Path) -> "FaissStore":
        """Memory-mapped vectors (IO_FLAG_MMAP_IFC): opening copies nothing, and pages come in as searches
        touch them — an HNSW search reads a few thousand of a million vectors — from a page cache that
        the processes serving the same version share."""
        return cls(faiss.read_index(str(folder / FAISS_FILE), getattr(faiss, "IO_FLAG_MMAP_IFC", 0)))

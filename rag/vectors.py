"""Vector stores behind one small interface, so the index can move from an embedded FAISS file to a
Qdrant collection (local folder here, a server or cluster elsewhere) without touching retrieval.

Ids are chunk row numbers (0..n-1, in chunk order): the chunk table is positional, and keeping the
vector ids equal to it means no id mapping has to be stored or kept in sync."""

from __future__ import annotations

import logging
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

from rag.config import Settings
from rag.errors import IndexStateError, RagError

log = logging.getLogger(__name__)
FAISS_FILE = "vectors.faiss"
QDRANT_DIR = "qdrant"
COLLECTION = "chunks"
EXACT_SUBSET = 50_000  # a filtered HNSW search over fewer allowed ids than this is done exactly instead
STORES = ("faiss", "qdrant")


class VectorStore(Protocol):
    kind: str  # "faiss" | "qdrant"
    dim: int

    @property
    def ntotal(self) -> int: ...

    def describe(self) -> dict: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def search(self, queries: np.ndarray, k: int, allowed_ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (len(queries), k); missing results are id -1, score -inf."""
        ...

    def reconstruct(self) -> np.ndarray:
        """All vectors in id order, so unchanged documents are carried into the next version unchanged."""
        ...

    def save(self, folder: Path) -> None: ...


def _as_matrix(vectors: np.ndarray, dim: int) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(vectors, dtype="float32").reshape(-1, dim))


def _check_ids(ids: np.ndarray, start: int, count: int) -> None:
    if len(ids) != count or not np.array_equal(np.asarray(ids), np.arange(start, start + count)):
        raise ValueError(f"vector ids must continue the chunk rows {start}..{start + count - 1}")


def _top_k_exact(matrix: np.ndarray, ids: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact inner-product top k over a small candidate set (a document filter on a large index)."""
    scores = queries @ matrix.T
    out_s = np.full((len(queries), k), -np.inf, dtype="float32")
    out_i = np.full((len(queries), k), -1, dtype="int64")
    take = min(k, len(ids))
    for row, s in enumerate(scores):
        top = np.argpartition(-s, take - 1)[:take] if take < len(ids) else np.arange(len(ids))
        top = top[np.argsort(-s[top], kind="stable")]
        out_s[row, :take], out_i[row, :take] = s[top], ids[top]
    return out_s, out_i


class FaissStore:
    """Embedded FAISS: exact IndexFlatIP for small corpora, HNSW (inner product) above a size threshold."""

    kind = "faiss"

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
        index = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = settings.hnsw_ef_construction
        index.hnsw.efSearch = settings.hnsw_ef_search  # persisted with the index
        return cls(index)

    def describe(self) -> dict:
        info = {"kind": self.kind, "type": self.type}
        if self.type == "hnsw":
            hnsw = faiss.downcast_index(self.index).hnsw
            info |= {"m": int(hnsw.nb_neighbors(1)), "ef_search": int(hnsw.efSearch)}
        return info

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        matrix = _as_matrix(vectors, self.dim)
        _check_ids(ids, self.ntotal, len(matrix))
        if len(matrix):
            self.index.add(matrix)

    def search(self, queries: np.ndarray, k: int, allowed_ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        queries = _as_matrix(queries, self.dim)
        if allowed_ids is None:
            return self.index.search(queries, k)
        allowed = np.asarray(allowed_ids, dtype="int64")
        if self.type == "flat":
            return self.index.search(queries, k, params=faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed)))
        if len(allowed) <= EXACT_SUBSET:  # HNSW graph walks degrade when most nodes are filtered out
            return _top_k_exact(self.index.reconstruct_batch(allowed), allowed, queries, k)
        ef = max(int(faiss.downcast_index(self.index).hnsw.efSearch), 2 * k)
        params = faiss.SearchParametersHNSW(sel=faiss.IDSelectorBatch(allowed), efSearch=ef)
        return self.index.search(queries, k, params=params)

    def reconstruct(self) -> np.ndarray:
        if self.ntotal == 0:
            return np.zeros((0, self.dim), dtype="float32")
        return self.index.reconstruct_n(0, self.ntotal)

    def save(self, folder: Path) -> None:
        faiss.write_index(self.index, str(folder / FAISS_FILE))

    @classmethod
    def load(cls, folder: Path) -> "FaissStore":
        return cls(faiss.read_index(str(folder / FAISS_FILE)))


class QdrantStore:
    """Qdrant through qdrant-client. Here it runs in local mode (an on-disk folder inside the index
    version, brute-force search in memory); pointed at a server (`QdrantClient(url=...)`) the same calls
    use Qdrant's own HNSW and scale past one machine."""

    kind = "qdrant"
    BATCH = 2048

    def __init__(self, client, dim: int, workdir: Path | None = None):
        self.client = client
        self.dim = dim
        self._count = int(client.count(COLLECTION, exact=True).count)
        if workdir is not None:  # a private copy: removed once this store is garbage
            weakref.finalize(self, shutil.rmtree, str(workdir), True)

    @classmethod
    def empty(cls, dim: int, settings: Settings | None = None, expected: int = 0) -> "QdrantStore":
        from qdrant_client import QdrantClient, models

        client = QdrantClient(location=":memory:")
        client.create_collection(COLLECTION, vectors_config=models.VectorParams(size=dim, distance=models.Distance.DOT))
        return cls(client, dim)

    @property
    def ntotal(self) -> int:
        return self._count

    def describe(self) -> dict:
        return {"kind": self.kind, "type": "local", "distance": "dot"}

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        matrix = _as_matrix(vectors, self.dim)
        _check_ids(ids, self.ntotal, len(matrix))
        self._upload(self.client, np.asarray(ids, dtype="int64"), matrix)
        self._count += len(matrix)

    def _upload(self, client, ids: np.ndarray, matrix: np.ndarray) -> None:
        from qdrant_client import models

        for start in range(0, len(matrix), self.BATCH):
            part = slice(start, start + self.BATCH)
            client.upsert(COLLECTION, models.Batch(ids=ids[part].tolist(), vectors=matrix[part].tolist()), wait=True)

    def search(self, queries: np.ndarray, k: int, allowed_ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        from qdrant_client import models

        queries = _as_matrix(queries, self.dim)
        where = None
        if allowed_ids is not None:
            where = models.Filter(must=[models.HasIdCondition(has_id=[int(i) for i in allowed_ids])])
        requests = [models.QueryRequest(query=q.tolist(), limit=k, filter=where) for q in queries]
        out_s = np.full((len(queries), k), -np.inf, dtype="float32")
        out_i = np.full((len(queries), k), -1, dtype="int64")
        for row, result in enumerate(self.client.query_batch_points(COLLECTION, requests) if requests else []):
            for col, point in enumerate(result.points[:k]):
                out_s[row, col], out_i[row, col] = point.score, int(point.id)
        return out_s, out_i

    def reconstruct(self) -> np.ndarray:
        matrix = np.zeros((self.ntotal, self.dim), dtype="float32")
        for start in range(0, self.ntotal, self.BATCH):
            ids = list(range(start, min(start + self.BATCH, self.ntotal)))
            for point in self.client.retrieve(COLLECTION, ids=ids, with_vectors=True):
                matrix[int(point.id)] = point.vector
        return matrix

    def save(self, folder: Path) -> None:
        """Copy the collection into an on-disk local Qdrant folder inside the version being written."""
        from qdrant_client import QdrantClient, models

        disk = QdrantClient(path=str(folder / QDRANT_DIR))
        try:
            disk.create_collection(COLLECTION, vectors_config=models.VectorParams(size=self.dim, distance=models.Distance.DOT))
            _no_sync_per_point(disk)
            self._upload(disk, np.arange(self.ntotal, dtype="int64"), self.reconstruct())
        finally:
            disk.close()

    @classmethod
    def load(cls, folder: Path, dim: int) -> "QdrantStore":
        """Local mode holds an exclusive lock on its folder; a second reader (the app while `rag index`
        reads the same version, or another process) opens a private copy instead."""
        from qdrant_client import QdrantClient

        path = folder / QDRANT_DIR
        if not path.is_dir():
            raise IndexStateError(f"索引 {folder} 缺少 Qdrant 数据目录；请运行 `rag index --rebuild` 重建。")
        try:
            return cls(QdrantClient(path=str(path)), dim)
        except RuntimeError as exc:
            if "already accessed" not in str(exc):
                raise
        workdir = Path(tempfile.mkdtemp(prefix="rag-qdrant-"))
        shutil.copytree(path, workdir / QDRANT_DIR, ignore=shutil.ignore_patterns(".lock"))
        return cls(QdrantClient(path=str(workdir / QDRANT_DIR)), dim, workdir)


def _no_sync_per_point(client) -> None:
    """Local mode commits (and so fsyncs) every point on its own: 13 ms a point here, 20+ minutes for
    100k. save_index fsyncs every file of the version before switching to it, so that is not needed."""
    collection = getattr(getattr(client, "_client", None), "collections", {}).get(COLLECTION)
    connection = getattr(getattr(collection, "storage", None), "storage", None)
    if connection is not None:
        connection.execute("PRAGMA synchronous=OFF")


def new_store(kind: str, dim: int, settings: Settings, expected: int = 0) -> VectorStore:
    if kind == "faiss":
        return FaissStore.empty(dim, settings, expected)
    if kind == "qdrant":
        try:
            return QdrantStore.empty(dim, settings, expected)
        except ImportError as exc:
            raise RagError("向量库 qdrant 需要安装 qdrant-client（pip install qdrant-client）。") from exc
    raise RagError(f"未知的向量库 {kind!r}；可选 {'、'.join(STORES)}。")


def build_store(vectors: np.ndarray, dim: int, settings: Settings) -> VectorStore:
    """The store the settings ask for, holding `vectors` as ids 0..n-1; FAISS picks flat or HNSW by size."""
    matrix = _as_matrix(vectors, dim)
    store = new_store(settings.vector_store, dim, settings, expected=len(matrix))
    store.add(np.arange(len(matrix)), matrix)
    return store


def load_store(folder: Path, info: dict, dim: int) -> VectorStore:
    """Open the store a version was written with (manifests before stores were recorded are FAISS)."""
    kind = info.get("kind", "faiss")
    if kind == "faiss":
        return FaissStore.load(folder)
    if kind == "qdrant":
        return QdrantStore.load(folder, dim)
    raise IndexStateError(f"索引使用了未知的向量库 {kind!r}；请运行 `rag index --rebuild` 重建。")

"""Vector stores behind one interface (`VectorStore`, rag/stores/base.py), so the index can move from an
embedded FAISS file to a Milvus collection (Milvus Lite file here, a server or cluster elsewhere)
without touching retrieval. The manifest records which store a version was written with."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.config import Settings
from rag.errors import IndexStateError, RagError
from rag.stores.base import VectorStore, as_matrix
from rag.stores.faiss_store import FaissStore
from rag.types import Chunk

STORES = ("faiss", "milvus")
__all__ = ["STORES", "VectorStore", "FaissStore", "new_store", "build_store", "load_store", "same_place"]


def new_store(kind: str, dim: int, settings: Settings, expected: int = 0) -> VectorStore:
    if kind == "faiss":
        return FaissStore.empty(dim, settings, expected)
    if kind == "milvus":
        try:
            from rag.stores.milvus_store import MilvusStore
        except ImportError as exc:
            raise RagError("向量库 milvus 需要安装 pymilvus 与 milvus-lite（pip install pymilvus milvus-lite）。") from exc
        return MilvusStore.empty(dim, settings, expected)
    raise RagError(f"未知的向量库 {kind!r}；可选 {'、'.join(STORES)}。")


def build_store(vectors: np.ndarray, dim: int, settings: Settings, chunks: Sequence[Chunk] | None = None) -> VectorStore:
    """The store the settings ask for, holding `vectors` as ids 0..n-1; flat or HNSW by size."""
    matrix = as_matrix(vectors, dim)
    store = new_store(settings.vector_store, dim, settings, expected=len(matrix))
    store.add(np.arange(len(matrix)), matrix, chunks)
    return store


def same_place(info: dict, settings: Settings) -> bool:
    """The manifest's store is the one the settings ask for (so a build may keep it as it is)."""
    if info.get("kind", "faiss") != settings.vector_store:
        return False
    if settings.vector_store == "milvus":
        from rag.stores.milvus_store import resolve_uri

        return info.get("uri") == resolve_uri(settings)
    return True


def load_store(folder: Path, info: dict, dim: int, settings: Settings | None = None) -> VectorStore:
    """Open the store a version was written with (manifests before stores were recorded are FAISS).
    `settings` gives what the manifest must not hold: a Milvus server's token."""
    kind = info.get("kind", "faiss")
    if kind == "faiss":
        return FaissStore.load(folder)
    if kind == "milvus":
        from rag.stores.milvus_store import MilvusStore

        return MilvusStore.load(info, dim, settings.milvus_token if settings else "")
    raise IndexStateError(f"索引使用了未知的向量库 {kind!r}；请运行 `rag index --rebuild` 重建。")

"""The interface every vector store implements, and the small helpers they share.

Ids are chunk row numbers (0..n-1, in chunk order): the chunk table is positional, and keeping the
vector ids equal to it means no id mapping has to be stored or kept in sync."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.types import Chunk


class VectorStore(Protocol):
    kind: str  # "faiss" | "milvus"
    dim: int
    ranks_text: bool  # True: the store also runs BM25 and the fusion itself (see `hybrid`)

    @property
    def ntotal(self) -> int: ...

    def describe(self) -> dict:
        """What the manifest records, enough for `load_store` to open it again."""
        ...

    def add(self, ids: np.ndarray, vectors: np.ndarray, chunks: Sequence[Chunk] | None = None) -> None:
        """Append rows; a store that ranks text needs the chunks as well."""
        ...

    def search(self, queries: np.ndarray, k: int, allowed_ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (len(queries), k); missing results are id -1, score -inf."""
        ...

    def reconstruct(self) -> np.ndarray:
        """All vectors in id order, so unchanged documents are carried into the next version unchanged."""
        ...

    def save(self, folder: Path) -> None:
        """Make the store durable for the version being written into `folder`."""
        ...

    def prune(self, keep: list[dict]) -> None:
        """Drop data of versions no longer kept (`keep`: their `describe()`s); files go with their folder."""
        ...


def as_matrix(vectors: np.ndarray, dim: int) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(vectors, dtype="float32").reshape(-1, dim))


def check_ids(ids: np.ndarray, start: int, count: int) -> None:
    if len(ids) != count or not np.array_equal(np.asarray(ids), np.arange(start, start + count)):
        raise ValueError(f"vector ids must continue the chunk rows {start}..{start + count - 1}")


def empty_result(queries: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full((queries, k), -np.inf, dtype="float32"), np.full((queries, k), -1, dtype="int64")


def top_k_exact(matrix: np.ndarray, ids: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact inner-product top k over a small candidate set (a document filter on a large index)."""
    scores = queries @ matrix.T
    out_s, out_i = empty_result(len(queries), k)
    take = min(k, len(ids))
    for row, s in enumerate(scores):
        top = np.argpartition(-s, take - 1)[:take] if take < len(ids) else np.arange(len(ids))
        top = top[np.argsort(-s[top], kind="stable")]
        out_s[row, :take], out_i[row, :take] = s[top], ids[top]
    return out_s, out_i

"""Hybrid retrieval: dense (any vector store, see rag.vectors) and BM25 rankings fused by weighted reciprocal rank."""

from __future__ import annotations

import numpy as np

from rag.config import Settings
from rag.embedding import Embedder
from rag.errors import IndexStateError
from rag.lexical import LexicalIndex
from rag.store import StoredIndex
from rag.types import Passage


def fuse_rankings(rankings: list[list[int]], weights: list[float], k: int = 60) -> list[tuple[int, float]]:
    """Weighted RRF: robust to the two scorers' incomparable scales; ties keep first-seen order."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank + 1)
    return sorted(scores.items(), key=lambda kv: -kv[1])


class Retriever:
    def __init__(self, stored: StoredIndex, embedder: Embedder, settings: Settings):
        expected = {"name": embedder.name, "dim": embedder.dim}
        if stored.manifest.get("embedder") != expected:
            raise IndexStateError(
                f"索引是用向量模型 {stored.manifest.get('embedder')} 建立的，当前配置的是 {expected}；"
                "请运行 `rag index --rebuild` 重建索引。"
            )
        self.stored = stored
        self.embedder = embedder
        self.settings = settings
        self.lexical = LexicalIndex(stored.tokens)

    def _allowed(self, doc_ids: list[str] | None) -> np.ndarray | None:
        if not doc_ids:
            return None
        wanted = set(doc_ids)
        return np.array([i for i, c in enumerate(self.stored.chunks) if c.doc_id in wanted], dtype="int64")

    def dense(self, query: str, n: int, allowed: np.ndarray | None = None) -> list[int]:
        n = min(n, self.stored.vectors.ntotal if allowed is None else len(allowed))
        if n <= 0:
            return []
        vector = self.embedder.encode_query(query).reshape(1, -1)
        _, ids = self.stored.vectors.search(vector, n, allowed_ids=allowed)
        return [int(i) for i in ids[0] if i >= 0]

    def lexical_ranking(self, query: str, n: int, allowed: np.ndarray | None = None) -> list[int]:
        if allowed is None:
            return [i for i, _ in self.lexical.search(query, n)]
        keep = set(allowed.tolist())
        return [i for i, _ in self.lexical.search(query, self.lexical.size) if i in keep][:n]

    def search(self, query: str, k: int | None = None, doc_ids: list[str] | None = None) -> list[Passage]:
        k = k or self.settings.top_k
        n = self.settings.candidates
        allowed = self._allowed(doc_ids)
        dense = self.dense(query, n, allowed)
        lexical = self.lexical_ranking(query, n, allowed)
        fused = fuse_rankings([dense, lexical], [self.settings.dense_weight, self.settings.lexical_weight], self.settings.rrf_k)
        dense_rank = {c: r for r, c in enumerate(dense)}
        lexical_rank = {c: r for r, c in enumerate(lexical)}
        return [
            Passage(self.stored.chunks[i], score, dense_rank.get(i), lexical_rank.get(i)) for i, score in fused[:k]
        ]

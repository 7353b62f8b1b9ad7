"""Hybrid retrieval: dense (any vector store, see rag.stores) and BM25 candidates fused by weighted
reciprocal rank or by a convex combination of normalised scores (Settings.fusion, measured in
docs/models.md). A store that ranks text itself (Milvus) does BM25 and RRF inside the engine."""

from __future__ import annotations

import numpy as np

from rag.config import Settings
from rag.embedding import Embedder
from rag.errors import IndexStateError, RagError
from rag.store import StoredIndex
from rag.types import Passage


FUSIONS = ("rrf", "convex")


def fuse_rankings(rankings: list[list[int]], weights: list[float], k: int = 60) -> list[tuple[int, float]]:
    """Weighted RRF: robust to the two scorers' incomparable scales; ties keep first-seen order."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank + 1)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def fuse_scores(scored: list[list[tuple[int, float]]], weights: list[float]) -> list[tuple[int, float]]:
    """Convex combination of each side's min-max normalised scores (Bruch et al. 2023, "An Analysis of
    Fusion Functions for Hybrid Retrieval"): unlike RRF it keeps how far ahead a side's first hit is, so a
    sure BM25 match on a rare term is not out-voted by a dense ranking that is merely ordered. A candidate
    one side did not return gets that side's floor (0); ties keep first-seen order."""
    total = sum(weights) or 1.0
    scores: dict[int, float] = {}
    for ranking, weight in zip(scored, weights):
        if not ranking:
            continue
        values = [s for _, s in ranking]
        low, span = min(values), max(values) - min(values)
        for item, value in ranking:
            share = (value - low) / span if span > 0 else 1.0
            scores[item] = scores.get(item, 0.0) + weight / total * share
    return sorted(scores.items(), key=lambda kv: -kv[1])


class Retriever:
    def __init__(self, stored: StoredIndex, embedder: Embedder, settings: Settings):
        expected = {"name": embedder.name, "dim": embedder.dim}
        if stored.manifest.get("embedder") != expected:
            raise IndexStateError(
                f"索引是用向量模型 {stored.manifest.get('embedder')} 建立的，当前配置的是 {expected}；"
                "请运行 `rag index --rebuild` 重建索引。"
            )
        if settings.fusion not in FUSIONS:
            raise RagError(f"配置项 fusion 的值 {settings.fusion!r} 无效：可选 {'、'.join(FUSIONS)}。")
        self.stored = stored
        self.embedder = embedder
        self.settings = settings
        self.lexical = stored.lexical

    def _allowed(self, doc_ids: list[str] | None) -> np.ndarray | None:
        return None if doc_ids is None else self.stored.rows_of(doc_ids)

    def dense_scored(self, query: str, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        n = min(n, self.stored.vectors.ntotal if allowed is None else len(allowed))
        if n <= 0:
            return []
        vector = self.embedder.encode_query(query).reshape(1, -1)
        scores, ids = self.stored.vectors.search(vector, n, allowed_ids=allowed)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def dense(self, query: str, n: int, allowed: np.ndarray | None = None) -> list[int]:
        return [i for i, _ in self.dense_scored(query, n, allowed)]

    def lexical_scored(self, query: str, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]] | None:
        """Our BM25's (row, score); None for a store whose own BM25 reports ranks only (Milvus)."""
        if self.lexical is None:
            return None
        return [] if allowed is not None and len(allowed) == 0 else self.lexical.search(query, n, allowed)

    def lexical_ranking(self, query: str, n: int, allowed: np.ndarray | None = None) -> list[int]:
        if allowed is not None and len(allowed) == 0:
            return []
        if self.lexical is None:  # the store's own BM25 (Milvus)
            return self.stored.vectors.lexical(query, n, allowed)
        return [i for i, _ in self.lexical.search(query, n, allowed)]

    def _fused(self, query: str, allowed: np.ndarray | None) -> tuple[list[tuple[int, float]], list[int], list[int]]:
        """(fused ranking, dense ids, BM25 ids): the settings' fusion; RRF where BM25 gives no scores."""
        n, settings = self.settings.candidates, self.settings
        weights = [settings.dense_weight, settings.lexical_weight]
        dense = self.dense_scored(query, n, allowed)
        lexical = self.lexical_scored(query, n, allowed) if settings.fusion == "convex" else None
        if lexical is not None:
            return fuse_scores([dense, lexical], weights), [i for i, _ in dense], [i for i, _ in lexical]
        dense_ids, lexical_ids = [i for i, _ in dense], self.lexical_ranking(query, n, allowed)
        return fuse_rankings([dense_ids, lexical_ids], weights, settings.rrf_k), dense_ids, lexical_ids

    def search(self, query: str, k: int | None = None, doc_ids: list[str] | None = None) -> list[Passage]:
        """The top k passages for a query, from the given documents only when doc_ids is set."""
        k = k or self.settings.top_k
        doc_ids = list(doc_ids) if doc_ids else None  # an empty filter means every document, as before
        in_engine = self.settings.fusion == "rrf" and self.settings.dense_weight == self.settings.lexical_weight
        if self.stored.vectors.ranks_text and in_engine:
            return self._search_in_engine(query, k, doc_ids)
        fused, dense, lexical = self._fused(query, self._allowed(doc_ids))
        dense_rank = {c: r for r, c in enumerate(dense)}
        lexical_rank = {c: r for r, c in enumerate(lexical)}
        top = fused[:k]
        chunks = self.stored.chunks.get_many(i for i, _ in top)
        return [Passage(c, score, dense_rank.get(i), lexical_rank.get(i)) for c, (i, score) in zip(chunks, top)]

    def _search_in_engine(self, query: str, k: int, doc_ids: list[str] | None) -> list[Passage]:
        """Dense + BM25 + RRF in one Milvus hybrid search; the engine reports no per-side ranks."""
        vector = self.embedder.encode_query(query)
        top = self.stored.vectors.hybrid(query, vector, self.settings.candidates, k, doc_ids, self.settings.rrf_k)
        chunks = self.stored.chunks.get_many(i for i, _ in top)
        return [Passage(c, score) for c, (_, score) in zip(chunks, top)]

"""BM25 over jieba tokens. Planning documents repeat exact terms (指标, 园区 names, numbers), so the
lexical side carries much of the recall that a small embedder misses."""

from __future__ import annotations

import logging
import re
import sys

import bm25s
import jieba
import numpy as np

jieba.setLogLevel(logging.WARNING)
logging.getLogger("bm25s").setLevel(logging.WARNING)
_STOP = set("的 了 和 与 及 是 在 为 对 把 被 将 等 中 上 下 个 之 其 或 而 并 也 都 就 以 于 有 吗 呢 吧 啊 哪些 什么 多少 怎么 如何 哪 请问".split())
_KEEP = re.compile(r"[\w\u4e00-\u9fff]")


def tokenize(text: str) -> list[str]:
    """Search-mode jieba, so '高密' in a question matches '高密市' in the text. Tokens are interned:
    a 50 MB file has ~13M tokens but a small vocabulary, and one string per token would take ~1 GB."""
    words = (w.strip().lower() for w in jieba.cut_for_search(text))
    return [sys.intern(t) for t in words if t and t not in _STOP and _KEEP.match(t)]


class LexicalIndex:
    """A BM25 index rebuilt from stored tokens; building it takes milliseconds for thousands of chunks."""

    def __init__(self, token_lists: list[list[str]]):
        self.size = len(token_lists)
        self._bm25 = bm25s.BM25()
        # bm25s drops empty documents from its vocabulary math but keeps their positions
        self._bm25.index([t or [""] for t in token_lists], show_progress=False)
        self._vocab = self._bm25.vocab_dict

    def search(self, query: str, n: int) -> list[tuple[int, float]]:
        tokens = [t for t in tokenize(query) if t in self._vocab]
        if not tokens or self.size == 0:
            return []
        ids, scores = self._bm25.retrieve([tokens], k=min(n, self.size), show_progress=False)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if s > 0 and np.isfinite(s)]

"""BM25 over jieba tokens. Planning documents repeat exact terms (指标, 园区 names, numbers), so the
lexical side carries much of the recall that a small embedder misses."""

from __future__ import annotations

import logging
import re
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import bm25s
import jieba
import numpy as np

jieba.setLogLevel(logging.WARNING)
logging.getLogger("bm25s").setLevel(logging.WARNING)
STOP_WORDS = frozenset("的 了 和 与 及 是 在 为 对 把 被 将 等 中 上 下 个 之 其 或 而 并 也 都 就 以 于 有 吗 呢 吧 啊 哪些 什么 多少 怎么 如何 哪 请问".split())
_KEEP = re.compile(r"[\w\u4e00-\u9fff]")
K1, B = 1.5, 0.75  # bm25s's defaults (Milvus's BM25 is given the same)
BATCH_DOCS = 4_000  # documents per step while building the postings (~30 MB of temporary arrays)


def tokenize(text: str) -> list[str]:
    """Search-mode jieba, so '高密' in a question matches '高密市' in the text. Tokens are interned:
    a 50 MB file has ~13M tokens but a small vocabulary, and one string per token would take ~1 GB."""
    words = (w.strip().lower() for w in jieba.cut_for_search(text))
    return [sys.intern(t) for t in words if t and t not in STOP_WORDS and _KEEP.match(t)]


class LexicalIndex:
    """BM25 (bm25s) over stored tokens. Written into the index version at build time and opened
    memory-mapped: the postings of a 1M-chunk corpus stay on disk (the page cache), not in the heap.
    The vocabulary (millions of tokens at that size: numbers vary) is a SQLite table looked up per query."""

    DIR = "bm25"
    VOCAB = "vocab.sqlite"

    def __init__(self, bm25: bm25s.BM25, size: int, vocab: sqlite3.Connection | None = None):
        self._bm25 = bm25
        self.size = size
        self._vocab = vocab  # None: bm25.vocab_dict (an index built in this process)

    @classmethod
    def build(cls, token_lists: Sequence[list[str]]) -> "LexicalIndex":
        """bm25s's index (its default Lucene BM25, k1 1.5, b 0.75), with the postings built in batches of
        documents: bm25s.index holds the whole corpus as id lists plus COO copies (for a 50 MB file the
        build peaked at 1,046 MB with it, 707 MB with this; tests/test_bad_input.py)."""
        scores, vocab = _postings(token_lists)
        bm25 = bm25s.BM25(k1=K1, b=B)
        bm25.scores, bm25.vocab_dict, bm25.nonoccurrence_array = scores, vocab, None
        return cls(bm25, scores["num_docs"])

    def save(self, folder: Path) -> None:
        target = folder / self.DIR
        self._bm25.save(str(target), show_progress=False)
        (target / "vocab.index.json").unlink()  # replaced by the table below
        db = sqlite3.connect(target / self.VOCAB)
        try:
            db.execute("CREATE TABLE vocab (token TEXT PRIMARY KEY, id INTEGER) WITHOUT ROWID")
            db.executemany("INSERT INTO vocab VALUES (?, ?)", self._bm25.vocab_dict.items())
            db.commit()
        finally:
            db.close()

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        target = folder / cls.DIR
        bm25 = bm25s.BM25.load(str(target), mmap=True, load_vocab=False, show_progress=False)
        if not (target / cls.VOCAB).is_file():
            raise OSError(f"missing {target / cls.VOCAB}")
        vocab = sqlite3.connect(f"{(target / cls.VOCAB).resolve().as_uri()}?mode=ro&immutable=1", uri=True,
                                check_same_thread=False)
        return cls(bm25, int(bm25.scores["num_docs"]), vocab)

    def _token_ids(self, tokens: list[str]) -> list[int]:
        """Ids of the known tokens, repeated tokens counted again (as bm25s does)."""
        if self._vocab is None:
            known = self._bm25.vocab_dict
        else:
            unique = sorted(set(tokens))[:900]
            marks = ",".join("?" * len(unique))
            known = dict(self._vocab.execute(f"SELECT token, id FROM vocab WHERE token IN ({marks})", unique)) if unique else {}
        return [known[t] for t in tokens if t in known]

    def search(self, query: str, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top n (row, score) with a positive score; `allowed` restricts the rows (a document filter)."""
        ids = self._token_ids(tokenize(query))
        if not ids or self.size == 0 or n <= 0:
            return []
        scores = np.asarray(self._bm25.get_scores_from_ids(ids))
        rows = np.arange(self.size) if allowed is None else np.asarray(allowed, dtype="int64")
        picked = scores[rows]
        take = min(n, len(rows))
        top = np.argpartition(-picked, take - 1)[:take] if take < len(rows) else np.arange(len(rows))
        top = top[np.argsort(-picked[top], kind="stable")]
        return [(int(rows[i]), float(picked[i])) for i in top if picked[i] > 0 and np.isfinite(picked[i])]


def _batches(token_lists: Sequence[list[str]]) -> Iterator[tuple[int, list]]:
    """(first row, documents); an empty document counts as one empty token, as bm25s counts it."""
    for start in range(0, len(token_lists), BATCH_DOCS):
        yield start, [t or [""] for t in token_lists[start : start + BATCH_DOCS]]


def _pairs(docs: list, vocab: dict[str, int], grow: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(doc in batch, term id, term frequency) of each distinct term of each document, doc-major."""
    lookup = (lambda t: vocab.setdefault(t, len(vocab))) if grow else vocab.__getitem__
    lengths = np.fromiter((len(d) for d in docs), np.int64, count=len(docs))
    terms = np.fromiter((lookup(t) for d in docs for t in d), np.int64, count=int(lengths.sum()))
    keys, tf = np.unique(np.repeat(np.arange(len(docs), dtype=np.int64), lengths) << 32 | terms, return_counts=True)
    return keys >> 32, keys & 0xFFFFFFFF, tf


def _postings(token_lists: Sequence[list[str]]) -> tuple[dict, dict[str, int]]:
    """The term-major (CSC) BM25 score matrix bm25s saves and memory-maps, built in two passes over
    batches: document frequencies and lengths first, then each batch's scores written into place."""
    vocab: dict[str, int] = {}
    df, lengths = np.zeros(0, np.int64), np.zeros(len(token_lists), np.int64)
    for start, docs in _batches(token_lists):
        lengths[start : start + len(docs)] = [len(d) for d in docs]
        _, terms, _ = _pairs(docs, vocab, grow=True)
        df = np.pad(df, (0, len(vocab) - len(df))) + np.bincount(terms, minlength=len(vocab))
    n = len(token_lists)
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5))  # bm25s "lucene" idf
    avg = lengths.mean() if n else 1.0
    indptr = np.concatenate([[0], np.cumsum(df)])
    data, indices, fill = np.empty(indptr[-1], np.float32), np.empty(indptr[-1], np.int32), indptr[:-1].copy()
    for start, docs in _batches(token_lists):
        doc, terms, tf = _pairs(docs, vocab, grow=False)
        order = np.argsort(terms, kind="stable")  # term-major; documents stay in row order within a term
        doc, terms, tf = doc[order], terms[order], tf[order]
        present, first, count = np.unique(terms, return_index=True, return_counts=True)
        pos = fill[terms] + np.arange(len(terms)) - np.repeat(first, count)
        norm = K1 * (1 - B + B * lengths[start + doc] / avg)
        data[pos], indices[pos] = idf[terms] * tf / (tf + norm), start + doc
        fill[present] += count
    return {"data": data, "indices": indices, "indptr": indptr, "num_docs": n}, vocab

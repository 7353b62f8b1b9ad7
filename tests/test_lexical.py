"""BM25 (rag/lexical.py): our batched postings are bm25s's own index, saved and memory-mapped."""

from __future__ import annotations

import bm25s
import numpy as np
import pytest

import rag.lexical as lexical
from rag.lexical import LexicalIndex, tokenize


def _corpus(n: int) -> list[list[str]]:
    rng = np.random.default_rng(0)
    words = [f"词{i}" for i in range(60)]
    docs = [[words[j] for j in rng.zipf(1.5, size=int(rng.integers(1, 40))) % 60] for _ in range(n)]
    docs[3] = []  # a chunk with no tokens keeps its row
    docs[7] = ["罕见"] * 3
    return docs


@pytest.mark.parametrize("batch", [4, 1000])
def test_batched_postings_score_as_bm25s_indexing_the_whole_corpus(monkeypatch, batch):
    monkeypatch.setattr(lexical, "BATCH_DOCS", batch)
    docs = _corpus(53)
    ours = LexicalIndex.build(docs)._bm25
    ref = bm25s.BM25()
    ref.index([d or [""] for d in docs], show_progress=False)
    assert ours.scores["num_docs"] == ref.scores["num_docs"] == 53
    assert ours.scores["indptr"][-1] == ref.scores["indptr"][-1]  # same number of postings
    for token, ref_id in ref.vocab_dict.items():
        if token:
            ours_s, ref_s = ours.get_scores_from_ids([ours.vocab_dict[token]]), ref.get_scores_from_ids([ref_id])
            assert np.allclose(ours_s, ref_s, rtol=1e-6, atol=0), token
    assert ours.get_scores_from_ids([ours.vocab_dict["罕见"]]).argmax() == 7


def test_saved_index_is_memory_mapped_and_searches_as_built(tmp_path):
    docs = [tokenize(t) for t in ("高密市地区生产总值增长6.2%", "平度市粮食产量", "", "高密市 高密市 园区建设")]
    built = LexicalIndex.build(docs)
    built.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    assert isinstance(loaded._bm25.scores["data"], np.memmap) and loaded.size == 4
    for query in ("高密市", "平度市粮食", "园区", "没有的词"):
        assert loaded.search(query, 3) == built.search(query, 3)
    assert [row for row, _ in loaded.search("高密市", 3)] == [3, 0]
    assert [row for row, _ in loaded.search("高密市", 3, allowed=np.array([0, 1]))] == [0]

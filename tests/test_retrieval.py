import pytest

from rag.retrieval import fuse_rankings, fuse_scores


def test_rrf_rewards_items_ranked_by_both():
    fused = fuse_rankings([[1, 2, 3], [3, 4, 1]], [1.0, 1.0], k=60)
    order = [i for i, _ in fused]
    assert order[:2] == [1, 3]  # in both lists
    assert set(order) == {1, 2, 3, 4}


def test_weights_shift_the_order():
    lexical_heavy = [i for i, _ in fuse_rankings([[1], [2]], [0.5, 2.0])]
    dense_heavy = [i for i, _ in fuse_rankings([[1], [2]], [2.0, 0.5])]
    assert lexical_heavy[0] == 2 and dense_heavy[0] == 1


def test_empty_rankings():
    assert fuse_rankings([[], []], [1.0, 1.0]) == []
    assert fuse_scores([[], []], [1.0, 1.0]) == []


def test_score_fusion_keeps_a_clear_lead_that_rank_fusion_loses():
    """BM25 is sure of item 7 (far ahead of its next); dense barely prefers 1 over 7. RRF, seeing ranks
    only, puts 1 first (first and second); the convex combination of normalised scores puts 7 first."""
    dense = [(1, 0.80), (3, 0.79), (7, 0.79), (9, 0.50)]
    bm25 = [(7, 30.0), (1, 4.0), (3, 3.9), (9, 1.0)]
    assert fuse_rankings([[i for i, _ in dense], [i for i, _ in bm25]], [1.0, 1.0])[0][0] == 1
    fused = fuse_scores([dense, bm25], [1.0, 1.0])
    assert [i for i, _ in fused] == [7, 1, 3, 9]
    assert fused[0][1] == pytest.approx(0.5 * (0.29 / 0.30) + 0.5 * 1.0)


def test_score_fusion_weights_and_one_sided_lists():
    dense, bm25 = [(1, 0.9), (2, 0.1)], [(2, 9.0), (1, 1.0)]
    assert fuse_scores([dense, bm25], [3.0, 1.0])[0][0] == 1
    assert fuse_scores([dense, bm25], [1.0, 3.0])[0][0] == 2
    assert fuse_scores([dense, []], [1.0, 1.0]) == [(1, 0.5), (2, 0.0)]  # a side with nothing adds nothing
    assert fuse_scores([[(5, 2.0)], []], [1.0, 1.0]) == [(5, 0.5)]  # one candidate: full marks on its side


# Retrieval over a real index, once per vector store (FAISS, Milvus Lite): the same dense results.

import shutil  # noqa: E402


from rag.indexing import build_index  # noqa: E402
from rag.retrieval import Retriever  # noqa: E402
from rag.store import load_index  # noqa: E402
from tests.conftest import SEEDS  # noqa: E402

PINGDU_ID = "001_a38547990da41cd7"


@pytest.fixture(params=["faiss", "milvus"])
def retriever(tmp_settings, hash_embedder, request) -> Retriever:
    for name in ("000_c07c619b55a4981f.txt", f"{PINGDU_ID}.txt"):
        shutil.copy(SEEDS / name, tmp_settings.corpus_dir / name)
    settings = tmp_settings.with_overrides(vector_store=request.param)
    build_index(settings, hash_embedder)
    stored = load_index(settings.index_dir)
    assert stored.vectors.kind == request.param
    return Retriever(stored, hash_embedder, settings)


def test_dense_finds_a_chunk_by_its_own_text(retriever):
    for row in (0, len(retriever.stored.chunks) // 2, len(retriever.stored.chunks) - 1):
        chunk = retriever.stored.chunks[row]
        assert retriever.dense(chunk.embedding_text(), 1) == [row]


def test_dense_ranking_is_the_exact_inner_product_order(retriever):
    query = "平度市生产总值"
    expected = retriever.stored.vector_matrix() @ retriever.embedder.encode_query(query)
    got = retriever.dense(query, 10)
    assert len(set(got)) == 10
    # the same scores as brute force (ties may come in either order)
    assert expected[got] == pytest.approx(sorted(expected, reverse=True)[:10], abs=1e-5)
    assert all(later <= earlier + 1e-5 for earlier, later in zip(expected[got], expected[got][1:]))


def test_doc_filter_and_more_wanted_than_allowed(retriever):
    allowed = retriever._allowed([PINGDU_ID])
    got = retriever.dense("地区生产总值", len(allowed) + 50, allowed)
    assert sorted(got) == sorted(allowed.tolist())  # every allowed chunk, nothing else, no padding ids
    hits = retriever.search("地区生产总值", k=5, doc_ids=[PINGDU_ID])
    assert len(hits) == 5 and all(p.chunk.doc_id == PINGDU_ID for p in hits)
    assert retriever.search("地区生产总值", k=5, doc_ids=["no-such-doc"]) == []


@pytest.mark.parametrize("lexical_weight", [1.0, 3.0])
def test_hybrid_search_returns_ranked_passages(retriever, lexical_weight):
    retriever.settings = retriever.settings.with_overrides(dense_weight=1.0, lexical_weight=lexical_weight)
    hits = retriever.search("高密市2020年地区生产总值", k=4)
    assert len(hits) == 4
    assert [p.score for p in hits] == sorted((p.score for p in hits), reverse=True)
    top = (1 + lexical_weight) / (retriever.settings.rrf_k + 1) + 1e-6
    assert all(0 < p.score <= top for p in hits)
    if retriever.stored.vectors.ranks_text and lexical_weight == 1.0:  # fused inside Milvus: no per-side ranks
        assert all(p.dense_rank is None and p.lexical_rank is None for p in hits)
    else:
        assert any(p.dense_rank is not None and p.lexical_rank is not None for p in hits)


def test_lexical_side_finds_a_rare_term(retriever):
    """Our BM25 (FAISS) or Milvus's own (BM25 function, jieba analyzer): a term of one chunk finds it."""
    target = next(c for c in retriever.stored.chunks if "平度" in c.text and len(c.text) > 100)
    phrase = target.text[20:60]
    ranking = retriever.lexical_ranking(phrase, 5)
    assert ranking and retriever.stored.chunks[ranking[0]].doc_id == target.doc_id


def test_weighted_fusion_outside_the_engine_agrees_with_the_filter(retriever):
    """Unequal weights cannot be expressed by Milvus's RRF ranker: both rankings are fused here instead."""
    retriever.settings = retriever.settings.with_overrides(dense_weight=1.5, lexical_weight=0.5)
    hits = retriever.search("地区生产总值", k=5, doc_ids=[PINGDU_ID])
    assert len(hits) == 5 and all(p.chunk.doc_id == PINGDU_ID for p in hits)
    assert any(p.dense_rank is not None for p in hits)


def test_chunks_are_a_lazy_table_that_streams(retriever):
    stored = retriever.stored
    rows = list(stored.iter_chunks())
    assert len(rows) == len(stored.chunks) and rows[0] == stored.chunks[0] and rows[-1] == stored.chunks[-1]
    assert stored.chunks[-1] == stored.chunks[len(stored.chunks) - 1]
    assert stored.rows_of([PINGDU_ID]).tolist() == [i for i, c in enumerate(rows) if c.doc_id == PINGDU_ID]
    assert sorted(stored.documents) == sorted({c.doc_id for c in rows})


def test_convex_fusion_in_the_retriever(retriever):
    """Score fusion where BM25 reports scores (FAISS + our BM25); RRF where it does not (Milvus)."""
    retriever.settings = retriever.settings.with_overrides(fusion="convex", dense_weight=0.4, lexical_weight=0.6)
    hits = retriever.search("平度市地区生产总值", k=5)
    assert len(hits) == 5 and [p.score for p in hits] == sorted((p.score for p in hits), reverse=True)
    if retriever.stored.vectors.ranks_text:
        assert all(p.score < 0.05 for p in hits)  # RRF-sized scores
    else:
        assert 0.0 < hits[0].score <= 1.0 and any(p.lexical_rank == 0 for p in hits)
    filtered = retriever.search("地区生产总值", k=5, doc_ids=[PINGDU_ID])
    assert len(filtered) == 5 and all(p.chunk.doc_id == PINGDU_ID for p in filtered)


def test_an_unknown_fusion_is_refused_in_chinese(retriever):
    from rag.errors import RagError

    with pytest.raises(RagError, match="fusion"):
        Retriever(retriever.stored, retriever.embedder, retriever.settings.with_overrides(fusion="max"))

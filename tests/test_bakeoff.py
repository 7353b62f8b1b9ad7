"""eval.bakeoff's bookkeeping (no models): tables land between their markers, hand-written text stays."""

from __future__ import annotations

import numpy as np

from eval.bakeoff import _Adapter, llm_table, retrieval_table, update_doc

ROW = {"candidate": "toy", "source": "pkg 1.0", "dim": 8, "questions": 3, "chunks": 10, "load_s": 0.5,
       "chunks_per_s": 100.0, "chunks_per_cpu_s": 60.0, "peak_rss_mb": 300.0,
       "modes": {"dense": {"recall_at_5": 0.5, "mrr": 0.25, "recall_at_3": 0.5, "scored": 2, "query_ms_p50": 1.0},
                 "hybrid": {"recall_at_5": 1.0, "mrr": 0.75, "recall_at_3": 1.0, "scored": 2, "query_ms_p50": 2.0}}}


def test_update_doc_replaces_only_its_own_part(tmp_path):
    doc = tmp_path / "models.md"
    doc.write_text("# Title\n\nintro\n<!-- bakeoff:llm -->\nold\n<!-- /bakeoff:llm -->\n\nconclusion\n", encoding="utf-8")
    update_doc("llm", "NEW TABLE", doc)
    update_doc("retrieval", "R TABLE", doc)
    text = doc.read_text(encoding="utf-8")
    assert "old" not in text and "NEW TABLE" in text and "R TABLE" in text
    assert text.startswith("# Title\n\nintro\n") and "\nconclusion\n" in text
    assert text.index("NEW TABLE") < text.index("<!-- /bakeoff:llm -->") < text.index("conclusion")
    update_doc("llm", "NEWER", doc)  # re-runnable: the part is replaced, not appended
    assert doc.read_text(encoding="utf-8").count("<!-- bakeoff:llm -->") == 1


def test_tables_show_each_mode_and_failures():
    table = retrieval_table([ROW, {"candidate": "broken", "error": "no weights"}])
    assert "| toy | dense |" in table and "| toy + BM25 | hybrid |" in table
    assert "| broken | — | failed: no weights |" in table
    assert all(line.count("|") == table.splitlines()[0].count("|") for line in table.splitlines() if line.startswith("|"))
    llm = llm_table([{"candidate": "m", "source": "s", "n": 30, "accuracy": 0.5, "decode_tok_s": 14.04}])
    assert "| m | s | 0.5 |" in llm and "14" in llm and "30 questions" in llm


def test_adapter_normalises_and_batches():
    calls = []

    def encode(texts):
        calls.append(len(texts))
        return [[3.0, 4.0] for _ in texts]

    adapter = _Adapter("toy", encode, batch=2)
    vectors = adapter.encode_passages(["a", "b", "c"])
    assert adapter.dim == 2 and vectors.shape == (3, 2) and calls[1:] == [2, 1]
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert np.allclose(adapter.encode_query("q"), [0.6, 0.8])


# The fusion sweep over saved runs (eval/reports/bakeoff/runs-*.json): no model, no index.

from eval.bakeoff import Fusion, fused_ids, fusion_table, run_scores  # noqa: E402

RUNS = [  # q1: BM25 finds the evidence first, dense third; q2: dense first, BM25 misses; q3: unanswerable
    {"id": "q1", "evidence": 1, "dense": {"8": [[5, 0.9], [6, 0.8], [1, 0.7]]}, "bm25": [[1, 9.0], [5, 1.0]],
     "covers": {"1": [0]}},
    {"id": "q2", "evidence": 2, "dense": {"8": [[2, 0.9], [3, 0.5]]}, "bm25": [[4, 3.0]], "covers": {"2": [0], "3": [1]}},
    {"id": "q3", "evidence": 0, "dense": {"8": [[9, 0.9]]}, "bm25": [], "covers": {}},
]


def test_run_scores_count_evidence_and_ranks_like_retrieval_scores():
    dense = run_scores(RUNS, Fusion("dense"), 8)
    assert dense["scored"] == 2  # q3 has no evidence
    assert dense["recall_at_5"] == 1.0 and dense["mrr"] == round((1 / 3 + 1) / 2, 4)
    bm25 = run_scores(RUNS, Fusion("bm25"), 8)
    assert bm25["recall_at_5"] == 0.5 and bm25["mrr"] == 0.5  # q2: nothing; q1: first


def test_fused_ids_use_the_products_fusions_and_depth():
    run = RUNS[0]
    assert fused_ids(run, Fusion("rrf", 1.0, 1.0, 60, 30), 8)[:2] == [5, 1]  # both lists hold 5 and 1
    assert fused_ids(run, Fusion("convex", 0.3, 0.7, 60, 30), 8)[0] == 1  # BM25's sure lead, weighted
    assert 6 not in fused_ids(run, Fusion("rrf", 1.0, 1.0, 60, 1), 8)  # only the first candidate of each side


def test_fusion_table_shows_bm25_before_product_and_best(monkeypatch):
    rows = [{"candidate": "toy", "dim": 8, "set": "seed", "fusion": f, **run_scores(RUNS, f, 8)}
            for f in (Fusion("dense"), Fusion("bm25"), Fusion("rrf"), Fusion("convex", 0.5, 0.5, 60, 30))]
    table = fusion_table(rows)
    assert "| — | — | BM25 alone | 0.5 |" in table and "| toy | 8 | dense alone | 1 |" in table
    assert "before: rrf k=60 w=1:1 n=30" in table and "**default:" in table and "best on seed: convex" in table
    assert all(line.count("|") == table.splitlines()[0].count("|") for line in table.splitlines() if line.startswith("|"))

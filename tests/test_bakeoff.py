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

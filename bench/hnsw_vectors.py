"""HNSW vector storage (`hnsw_vectors`): recall@10 of float32 and fp16 (and sq8) HNSW against exact search
over the same 100k synthetic chunks as bench/scale.py, every dev-set question as a query, each build done
twice (FAISS's HNSW build is deterministic here, so a difference is the storage, not the graph's luck).

    flock /tmp/rag-heavy.lock .venv/bin/python bench/hnsw_vectors.py
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import scale  # noqa: E402

from rag.config import load_settings  # noqa: E402
from rag.pipeline import QAPipeline  # noqa: E402
from rag.stores import build_store  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--vectors", nargs="+", default=["float32", "fp16", "float32", "fp16"])
    ap.add_argument("--ef", type=int, nargs="+", default=[96, 128])
    ap.add_argument("--out", type=Path, default=scale.ROOT / "bench" / "results" / "hnsw_vectors.jsonl")
    args = ap.parse_args(argv)
    pipe = QAPipeline(load_settings())
    pipe.ensure_index()
    questions = scale._questions(10_000)
    qvecs = np.stack([pipe.embedder.encode_query(q) for q in questions])
    _, _, vectors = scale.synthetic(pipe.retriever.stored, args.size)
    truth = scale._exact_top10(vectors, qvecs)
    with args.out.open("a", encoding="utf-8") as out:
        for stored in args.vectors:
            started = time.perf_counter()
            conf = load_settings().with_overrides(hnsw_threshold=0, hnsw_vectors=stored)
            store = build_store(vectors, vectors.shape[1], conf)
            build_s = round(time.perf_counter() - started, 1)
            for ef in args.ef:
                faiss.downcast_index(store.index).hnsw.efSearch = ef
                _, ids = store.search(qvecs, 10)
                recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, truth)]))
                row = {"size": args.size, "vectors": stored, "ef_search": ef, "queries": len(questions),
                       "recall_at_10": round(recall, 4), "build_s": build_s, "measured": time.strftime("%Y-%m-%dT%H:%M:%S")}
                print(json.dumps(row), flush=True)
                out.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

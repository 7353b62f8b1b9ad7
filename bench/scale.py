"""Scale benchmark: synthetic corpora of 100k and 1M chunks grown from the seed index, measured per
vector store (FAISS flat, FAISS HNSW, Qdrant local): build time, peak RSS, on-disk size, dense and full
hybrid (dense + BM25) query latency, HNSW recall@10 against flat.

Vectors are perturbed copies of the real e5 seed vectors (embedding 1M chunks with e5 on 2 cores would
take hours; the real embedding rate is measured on a sample and extrapolated). Texts are the seed chunks
with their numbers varied per copy, so BM25 sees a larger vocabulary as well as longer postings lists.
Queries are the dev-set questions, embedded by the real e5 model.

    flock /tmp/rag-heavy.lock .venv/bin/python bench/scale.py --sizes 100000 1000000 --qdrant-sizes 100000
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import shutil
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.config import load_settings  # noqa: E402
from rag.pipeline import QAPipeline  # noqa: E402
from rag.retrieval import Retriever  # noqa: E402
from rag.store import StoredIndex  # noqa: E402
from rag.vectors import build_store, load_store  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NUMBER = re.compile(r"\d+(?:\.\d+)?")
NOISE = 0.5  # perturbation norm: a copy keeps cos ~0.89 with its seed, ~0.8 with a sibling copy


class PeakRSS:
    """Samples this process's resident set every 20 ms; `phase()` reports the peak inside a block."""

    def __init__(self) -> None:
        self.peak = self.current()
        threading.Thread(target=self._run, daemon=True).start()

    @staticmethod
    def current() -> int:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * 4096

    def _run(self) -> None:
        while True:
            self.peak = max(self.peak, self.current())
            time.sleep(0.02)

    @contextmanager
    def phase(self, out: dict, key: str):
        gc.collect()
        self.peak = self.current()
        started = time.perf_counter()
        yield
        out[key + "_s"] = round(time.perf_counter() - started, 2)
        out[key + "_peak_rss_mb"] = round(max(self.peak, self.current()) / 2**20)


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)) * 1000, 1)


def _vary(n: int, token: str) -> str:
    return f"{token}{n}" if n else token  # copy n of a number: "510.3" -> "510.37"


def synthetic(stored: StoredIndex, size: int, seed: int = 0) -> tuple[list, list, np.ndarray]:
    """`size` chunks cycling over the seed chunks; copy n varies its numbers and its vector."""
    rng = np.random.default_rng(seed)
    base = stored.vector_matrix()
    positions = [[i for i, t in enumerate(toks) if NUMBER.fullmatch(t)] for toks in stored.tokens]
    chunks, tokens = [], []
    for i in range(size):
        j, n = i % len(stored.chunks), i // len(stored.chunks)
        src = stored.chunks[j]
        text = NUMBER.sub(lambda m: _vary(n, m.group()), src.text) if n else src.text
        chunks.append(replace(src, chunk_id=f"{src.chunk_id}~{n}", text=text))
        toks = stored.tokens[j]
        if n and positions[j]:
            toks = list(toks)
            for p in positions[j]:
                toks[p] = _vary(n, toks[p])
        tokens.append(toks)
    vectors = np.empty((size, base.shape[1]), dtype="float32")
    for start in range(0, size, 100_000):
        rows = np.arange(start, min(size, start + 100_000))
        v = base[rows % len(base)] + rng.standard_normal((len(rows), base.shape[1]), dtype="float32") * (
            NOISE / np.sqrt(base.shape[1])
        )
        v[rows < len(base)] = base[rows[rows < len(base)]]  # copy 0 is the real seed vector
        vectors[rows] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return chunks, tokens, vectors


def _disk_mb(folder: Path) -> float:
    return round(sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20, 1)


def _latencies(fn, items) -> list[float]:
    out = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - t)
    return out


def measure_store(kind, size, vectors, retriever, questions, qvecs, flat_ids, rss) -> tuple[dict, np.ndarray]:
    """Build, save, reload and query one store over the synthetic corpus: a result row and its top-10 ids."""
    settings = retriever.settings
    row: dict = {"size": size, "store": kind}
    threshold = 0 if kind == "faiss-hnsw" else size + 1
    conf = settings.with_overrides(vector_store=kind.split("-")[0], hnsw_threshold=threshold)
    with rss.phase(row, "build"):
        store = build_store(vectors, vectors.shape[1], conf)
    row["type"] = store.describe().get("type")
    folder = Path(tempfile.mkdtemp(prefix="rag-scale-", dir=ROOT / "bench"))
    try:
        with rss.phase(row, "save"):
            store.save(folder)
        row["disk_mb"] = _disk_mb(folder)
        del store
        with rss.phase(row, "load"):
            store = load_store(folder, {"kind": conf.vector_store}, vectors.shape[1])
        k = settings.candidates
        store.search(qvecs[:1], k)  # warm-up
        lat = _latencies(lambda q: store.search(q.reshape(1, -1), k), qvecs)
        row |= {"dense_p50_ms": _pct(lat, 50), "dense_p95_ms": _pct(lat, 95)}
        _, ids = store.search(qvecs, 10)
        if flat_ids is not None:
            row["recall_at_10"] = round(float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, flat_ids)])), 4)
        retriever.stored = replace(retriever.stored, vectors=store)
        retriever.search(questions[0])  # warm-up
        lat = _latencies(lambda q: retriever.search(q), questions)
        row |= {"hybrid_p50_ms": _pct(lat, 50), "hybrid_p95_ms": _pct(lat, 95)}
        retriever.stored = replace(retriever.stored, vectors=None)
        del store
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return row | {"queries": len(questions)}, ids


def run_size(size, seed_index, embedder, settings, questions, qvecs, stores, rss) -> list[dict]:
    info: dict = {"size": size, "store": "corpus"}
    with rss.phase(info, "generate"):
        chunks, tokens, vectors = synthetic(seed_index, size)
    stored = StoredIndex(seed_index.manifest, None, chunks, tokens, seed_index.documents)
    with rss.phase(info, "bm25_build"):
        retriever = Retriever(stored, embedder, settings)  # builds the BM25 index over the synthetic tokens
    folder = Path(tempfile.mkdtemp(prefix="rag-scale-", dir=ROOT / "bench"))
    with rss.phase(info, "chunk_table_write"):
        with (folder / "chunks.jsonl").open("w", encoding="utf-8") as fh:
            for c, t in zip(chunks, tokens):
                fh.write(json.dumps(c.__dict__ | {"tokens": t}, ensure_ascii=False) + "\n")
    info["chunk_table_mb"] = _disk_mb(folder)
    shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(info), flush=True)
    rows, flat_ids = [info], None
    for kind in stores:
        row, ids = measure_store(kind, size, vectors, retriever, questions, qvecs, flat_ids, rss)
        flat_ids = ids if kind == "faiss-flat" else flat_ids
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def embedding_rate(pipe: QAPipeline, seed_index: StoredIndex, sample: int) -> dict:
    texts = [c.embedding_text() for c in seed_index.chunks[:sample]]
    pipe.embedder.encode_passages(texts[:32])  # warm-up
    started = time.perf_counter()
    pipe.embedder.encode_passages(texts)
    rate = len(texts) / (time.perf_counter() - started)
    return {"store": "embedding", "sample": len(texts), "chunks_per_s": round(rate, 1),
            "hours_100k": round(1e5 / rate / 3600, 2), "hours_1m": round(1e6 / rate / 3600, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--qdrant-sizes", type=int, nargs="*", default=[100_000])
    ap.add_argument("--queries", type=int, default=60, help="dev-set questions used as queries")
    ap.add_argument("--embed-sample", type=int, default=256)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.jsonl")
    args = ap.parse_args(argv)
    rss = PeakRSS()
    settings = load_settings()
    pipe = QAPipeline(settings)
    pipe.ensure_index()  # the seed index (real e5 vectors) the synthetic corpora grow from
    seed_index = pipe.retriever.stored
    rows = [embedding_rate(pipe, seed_index, args.embed_sample)]
    print(json.dumps(rows[0]), flush=True)
    dev = [json.loads(line) for line in (ROOT / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [d["question"] for d in dev[: args.queries]]
    qvecs = np.stack([pipe.embedder.encode_query(q) for q in questions])
    for size in args.sizes:
        stores = ["faiss-flat", "faiss-hnsw"] + (["qdrant"] if size in args.qdrant_sizes else [])
        rows += run_size(size, seed_index, pipe.embedder, settings, questions, qvecs, stores, rss)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

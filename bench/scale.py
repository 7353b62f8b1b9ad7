"""Scale benchmark: synthetic corpora of 100k and 1M chunks grown from the seed index, written as real
index versions per store (FAISS flat, FAISS HNSW, Milvus Lite) and then opened and queried by a fresh
process, as the app would: build, open, hybrid retrieval p50/p95, recall@10 against exact search,
peak RSS of the serving process, disk.

Vectors are perturbed copies of the real e5 seed vectors (embedding 1M chunks with e5 on 2 cores would
take hours; the real embedding rate is measured on a sample and extrapolated). Texts are the seed chunks
with their numbers varied per copy, so BM25 sees a larger vocabulary as well as longer postings lists.
Queries are the dev-set questions, embedded by the real e5 model. Each build and each serving run is a
child process of its own, so a serving figure is that of a process that only opened the index.

    flock /tmp/rag-heavy.lock .venv/bin/python bench/scale.py --sizes 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.config import load_settings  # noqa: E402
from rag.pipeline import QAPipeline  # noqa: E402
from rag.retrieval import Retriever  # noqa: E402
from rag.store import StoredIndex, load_index, save_index  # noqa: E402
from rag.stores import build_store, new_store  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NUMBER = re.compile(r"\d+(?:\.\d+)?")
NOISE = 0.5  # perturbation norm: a copy keeps cos ~0.89 with its seed, ~0.8 with a sibling copy
STORES = ("faiss-flat", "faiss-hnsw", "milvus")
PROGRESS_ROWS = 50_000
MAX_RSS_MB = 16_000  # a build or serving child is stopped above this (2 cores and 24 GiB shared by several jobs)
MIN_AVAILABLE_MB = 2_000  # ... or when the machine's MemAvailable falls under this, whoever uses the memory


def _status(key: str) -> int:
    """VmRSS / VmHWM of this process in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return round(int(line.split()[1]) / 1024)
    return -1


def _mapped_mb(version: Path, cache: Path) -> dict:
    """Resident file-backed memory by what it maps: the version's files (vectors.faiss, bm25/, ...), the
    models in the cache, everything else (shared libraries)."""
    parts: dict[str, float] = {}
    name = "other"
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if head and "-" in head[0] and len(head) >= 5:  # a mapping's header line
            path = Path(head[5]) if len(head) >= 6 and head[5].startswith("/") else None
            name = ("anon" if path is None else path.relative_to(version).parts[0] if path.is_relative_to(version)
                    else "models" if path.is_relative_to(cache) else "libraries")
        elif head and head[0] == "Rss:" and name != "anon":
            parts[name] = parts.get(name, 0) + int(head[1]) / 1024
    return {k: round(v) for k, v in sorted(parts.items(), key=lambda kv: -kv[1]) if v >= 1}


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)) * 1000, 1)


def _vary(n: int, token: str) -> str:
    return f"{token}{n}" if n else token  # copy n of a number: "510.3" -> "510.37"


def synthetic(stored: StoredIndex, size: int, seed: int = 0) -> tuple[list, list, np.ndarray]:
    """`size` chunks cycling over the seed chunks; copy n varies its numbers and its vector."""
    rng = np.random.default_rng(seed)
    base = stored.vector_matrix()
    seed_chunks, seed_tokens = list(stored.iter_chunks()), list(stored.chunks.iter_tokens())
    positions = [[i for i, t in enumerate(toks) if NUMBER.fullmatch(t)] for toks in seed_tokens]
    chunks, tokens = [], []
    for i in range(size):
        j, n = i % len(seed_chunks), i // len(seed_chunks)
        src = seed_chunks[j]
        text = NUMBER.sub(lambda m: _vary(n, m.group()), src.text) if n else src.text
        chunks.append(replace(src, chunk_id=f"{src.chunk_id}~{n}", text=text))
        toks = seed_tokens[j]
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


def _exact_top10(vectors: np.ndarray, qvecs: np.ndarray) -> np.ndarray:
    scores = np.concatenate([qvecs @ vectors[s : s + 200_000].T for s in range(0, len(vectors), 200_000)], axis=1)
    top = np.argpartition(-scores, 10, axis=1)[:, :10]
    return np.take_along_axis(top, np.argsort(-np.take_along_axis(scores, top, 1), axis=1), 1)


def _disk_mb(folder: Path) -> float:
    return round(sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20, 1)


def _questions(n: int) -> list[str]:
    dev = (ROOT / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in dev if line.strip()][:n]


def _settings(store: str, size: int, folder: Path):
    kind = store.split("-")[0]
    settings = load_settings()
    threshold = {"faiss-flat": size + 1, "faiss-hnsw": 0}.get(store, settings.hnsw_threshold)  # Milvus: its own rule
    return settings.with_overrides(index_dir=folder / "index", vector_store=kind, hnsw_threshold=threshold,
                                          milvus_uri=str(folder / "milvus.db"))


def _progress(what: str, started: float, cpu: float) -> None:
    """A progress line on stderr: what a run stopped by the watchdog or --timeout had reached (see _partial)."""
    print(f"progress {what} s={time.perf_counter() - started:.1f} cpu_s={_cpu_s() - cpu:.1f} rss_mb={_status('VmRSS')}",
          file=sys.stderr, flush=True)


def _build(vectors: np.ndarray, conf, chunks: list, started: float, cpu: float):
    """FAISS: one build_store call. Milvus: the same store filled in slices, with a progress line on stderr
    after each, so a run stopped by --timeout still tells the insert rate (see _child)."""
    if conf.vector_store != "milvus":
        return build_store(vectors, vectors.shape[1], conf, chunks)
    store = new_store("milvus", vectors.shape[1], conf, expected=len(vectors))
    for start in range(0, len(vectors), PROGRESS_ROWS):
        stop = min(len(vectors), start + PROGRESS_ROWS)
        store.add(np.arange(start, stop), vectors[start:stop], chunks[start:stop])
        _progress(f"rows={stop}", started, cpu)
    return store


def child_build(size: int, store: str, folder: Path, queries: int) -> dict:
    """Generate the corpus, write it as an index version with `store`, save exact top-10 ids for recall."""
    pipe = QAPipeline(load_settings())
    pipe.ensure_index()  # the seed index (real e5 vectors) the synthetic corpora grow from
    seed = pipe.retriever.stored
    qvecs = np.stack([pipe.embedder.encode_query(q) for q in _questions(queries)])
    row: dict = {"size": size, "store": store}
    started = time.perf_counter()
    chunks, tokens, vectors = synthetic(seed, size)
    row["generate_s"] = round(time.perf_counter() - started, 1)
    np.save(folder / "truth.npy", _exact_top10(vectors, qvecs))
    conf = _settings(store, size, folder)
    started, cpu = time.perf_counter(), _cpu_s()
    vectors_store = _build(vectors, conf, chunks, started, cpu)
    row["store_build_s"] = round(time.perf_counter() - started, 1)
    manifest = {"embedder": seed.manifest["embedder"], "chunker": seed.manifest["chunker"], "files": seed.manifest["files"]}
    started = time.perf_counter()
    save_index(conf.index_dir, manifest, vectors_store, chunks, tokens, list(seed.documents.values()))
    row["save_s"] = round(time.perf_counter() - started, 1)  # chunk table + BM25 (FAISS only) + store files
    row["build_s"] = round(row["store_build_s"] + row["save_s"], 1)
    row["build_cpu_s"] = round(_cpu_s() - cpu, 1)  # this process only (Milvus Lite runs inside it)
    row["chunks_per_cpu_s"] = round(size / max(row["build_cpu_s"], 1e-9))
    row["type"] = vectors_store.describe().get("type")
    row["vectors"] = vectors_store.describe().get("vectors")  # FAISS HNSW: fp16 / sq8 / float32 (RAG_HNSW_VECTORS)
    row["build_peak_rss_mb"] = _status("VmHWM")
    row["disk_mb"] = _disk_mb(folder) - round((folder / "truth.npy").stat().st_size / 2**20, 1)
    return row


def child_serve(folder: Path, store: str, size: int, queries: int) -> dict:
    """Open the index as the app does (embedder first, then the index), then query it."""
    settings = _settings(store, size, folder) if store != "seed" else load_settings()
    pipe = QAPipeline(settings)
    embedder = pipe.embedder
    row: dict = {"rss_embedder_mb": _status("VmRSS")}
    started, cpu = time.perf_counter(), _cpu_s()
    _progress("stage=opening", started, cpu)
    stored = load_index(settings.index_dir, settings)
    retriever = Retriever(stored, embedder, settings)
    row["open_s"] = round(time.perf_counter() - started, 2)
    row["open_cpu_s"] = round(_cpu_s() - cpu, 1)
    _progress("stage=opened", started, cpu)
    row["rss_after_open_mb"] = _status("VmRSS")
    questions = _questions(queries)
    retriever.search(questions[0])  # warm-up
    _progress("stage=warm", started, cpu)
    lat = []
    for n, q in enumerate(questions, 1):
        t = time.perf_counter()
        retriever.search(q)
        lat.append(time.perf_counter() - t)
        _progress(f"stage=hybrid queries={n}", started, cpu)
    row |= {"hybrid_p50_ms": _pct(lat, 50), "hybrid_p95_ms": _pct(lat, 95)}
    qvecs = np.stack([embedder.encode_query(q) for q in questions])
    lat = []
    for v in qvecs:
        t = time.perf_counter()
        stored.vectors.search(v.reshape(1, -1), settings.candidates)
        lat.append(time.perf_counter() - t)
    row |= {"dense_p50_ms": _pct(lat, 50), "dense_p95_ms": _pct(lat, 95)}
    if (folder / "truth.npy").is_file():
        truth = np.load(folder / "truth.npy")
        _, ids = stored.vectors.search(qvecs, 10)
        row["recall_at_10"] = round(float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, truth)])), 4)
    row["rss_file_parts_mb"] = _mapped_mb(stored.version.resolve(), settings.cache_dir.resolve()) if stored.version else {}
    row |= {"serve_peak_rss_mb": _status("VmHWM"), "rss_end_mb": _status("VmRSS"), "rss_anon_mb": _status("RssAnon"),
            "rss_file_mb": _status("RssFile"), "queries": len(questions)}
    return row


def _partial(stderr: str | bytes | None) -> dict:
    """The last progress line of a run that did not finish (stage or rows inserted, seconds, CPU seconds, RSS)."""
    err = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr or ""
    last = [line.split()[1:] for line in err.splitlines() if line.startswith("progress ")][-1:]
    return {"partial": dict(kv.split("=") for kv in last[0])} if last else {}


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants (Milvus Lite 3.x runs inside the process; counted anyway should one fork)."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            try:
                todo += [int(c) for c in task.read_text().split()]
            except OSError:
                pass
    return pids


def _tree_usage(pid: int) -> tuple[int, float]:
    """Resident MB (VmRSS summed) and CPU seconds (user + system, all threads) of a process tree."""
    rss_kb, ticks = 0, 0
    for p in _tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
            stat = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited between the listing and the read
        rss_kb += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        ticks += int(stat[11]) + int(stat[12])  # utime, stime
    return round(rss_kb / 1024), ticks / os.sysconf("SC_CLK_TCK")


def _available_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return round(int(line.split()[1]) / 1024)
    return 1 << 30


def _watch(proc: subprocess.Popen, timeout: float, max_rss_mb: int) -> tuple[str | None, dict]:
    """Poll the child twice a second; stop it (SIGKILL to its process group: freeing memory must not depend on
    the child's cooperation) when it runs longer than `timeout`, its tree's RSS passes `max_rss_mb`, or the
    machine's available memory falls under MIN_AVAILABLE_MB (other agents share it)."""
    started, peak, reason, usage = time.perf_counter(), 0, None, (0, 0.0)
    while proc.poll() is None:
        usage = _tree_usage(proc.pid)
        peak = max(peak, usage[0])
        elapsed = time.perf_counter() - started
        if elapsed > timeout:
            reason = f"stopped after {timeout:.0f} s"
        elif usage[0] > max_rss_mb:
            reason = f"stopped by the RSS watchdog: {usage[0]} MB > {max_rss_mb} MB"
        elif _available_mb() < MIN_AVAILABLE_MB:
            reason = f"stopped: machine MemAvailable {_available_mb()} MB < {MIN_AVAILABLE_MB} MB (RSS {usage[0]} MB)"
        if reason:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            break
        time.sleep(0.5)
    seen = {"watch_s": round(time.perf_counter() - started, 1), "watch_peak_rss_mb": peak}
    if reason:
        seen |= {"stop_rss_mb": usage[0], "stop_cpu_s": round(usage[1], 1)}
    return reason, seen


def _child(args: list[str], timeout: float, max_rss_mb: int) -> dict:
    """Run one build or serving step in a child process of its own session, watched by `_watch`."""
    cmd = [sys.executable, __file__, "--child", *args]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, start_new_session=True)
        reason, seen = _watch(proc, timeout, max_rss_mb)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if reason:
        return {"error": reason} | seen | _partial(stderr)
    if proc.returncode != 0:
        lines = [line for line in stderr.strip().splitlines() if not line.startswith("progress ")]
        return {"error": lines[-1] if lines else f"exit {proc.returncode}"} | seen | _partial(stderr)
    return json.loads(stdout.strip().splitlines()[-1]) | seen


def run(size: int, store: str, queries: int, timeout: float, max_rss_mb: int) -> dict:
    folder = ROOT / "bench" / f"tmp-scale-{size}-{store}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        row = {"size": size, "store": store} | _child(["build", str(size), store, str(folder), str(queries)], timeout, max_rss_mb)
        if "error" not in row:
            served = _child(["serve", str(size), store, str(folder), str(queries)], timeout, max_rss_mb)
            row |= {("serve_" + k if k in row else k): v for k, v in served.items()}
        return row
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--stores", nargs="+", default=list(STORES), choices=STORES)
    ap.add_argument("--queries", type=int, default=60, help="dev-set questions used as queries")
    ap.add_argument("--timeout", type=float, default=1500, help="seconds before a build or serving run is stopped")
    ap.add_argument("--max-rss-mb", type=int, default=MAX_RSS_MB, help="a child whose RSS passes this is stopped")
    ap.add_argument("--seed", action="store_true", help="also measure serving the seed index (988 chunks)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.jsonl")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        kind, size, store, folder, queries = args.child
        fn = child_build if kind == "build" else child_serve
        row = fn(int(size), store, Path(folder), int(queries)) if kind == "build" else fn(Path(folder), store, int(size), int(queries))
        print(json.dumps(row), flush=True)
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a", encoding="utf-8") as out:
        jobs = ([("seed", 988)] if args.seed else []) + [(s, n) for n in args.sizes for s in args.stores]
        for store, size in jobs:
            row = ({"size": size, "store": "seed"} | _child(["serve", str(size), "seed", str(ROOT), str(args.queries)], args.timeout, args.max_rss_mb)
                   if store == "seed" else run(size, store, args.queries, args.timeout, args.max_rss_mb))
            row["measured"] = time.strftime("%Y-%m-%dT%H:%M:%S")
            print(json.dumps(row), flush=True)
            out.write(json.dumps(row) + "\n")
            out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Performance figures for docs/performance.md, printed as Markdown: indexing the seed corpus, hybrid
retrieval latency, answer latency with where the time goes, and memory. It loads the real models, so on a
shared machine run it under the heavy-job lock:

    flock /tmp/rag-heavy.lock .venv/bin/python bench/perf.py [--questions N]

Nothing here is asserted: these are measurements, each printed beside its target."""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.config import load_settings  # noqa: E402
from rag.evaluation import DEFAULT_SET, load_set, stratified_subset  # noqa: E402
from rag.answering.model import fit  # noqa: E402
from rag.pipeline import QAPipeline  # noqa: E402


def memory_mb() -> dict[str, float]:
    """Resident set now (VmRSS) and its peak so far (VmHWM) of this process, in MB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    import llama_cpp

    from rag.llm_build import cpu_variant

    return (f"{len(os.sched_getaffinity(0))} CPU cores ({model}), "
            f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM, "
            f"Python {platform.python_version()}, llama-cpp-python {llama_cpp.__version__} "
            f"(CPU backend: {cpu_variant()})")


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def rag_command() -> list[str]:
    script = Path(sys.executable).parent / "rag"
    return [str(script)] if script.exists() else [sys.executable, "-m", "rag.cli"]


def timed_index(index_dir: Path, corpus: Path) -> tuple[float, str]:
    """Wall time of a whole `rag index` process (interpreter start, imports, model load if any, exit)."""
    env = dict(os.environ, RAG_INDEX_DIR=str(index_dir))
    started = time.perf_counter()
    done = subprocess.run(rag_command() + ["index", str(corpus)], env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, done.stdout.strip().splitlines()[0]


def bench_index(index_dir: Path, corpus: Path) -> list[tuple[str, str, str]]:
    chars = sum(len(p.read_text(encoding="utf-8", errors="replace")) for p in sorted(corpus.glob("*.txt")))
    scratch, first = timed_index(index_dir, corpus)
    again, second = timed_index(index_dir, corpus)
    print(f"<!-- {first} | {second} -->")
    return [
        (f"index {corpus.name}/ from scratch ({chars:,} chars), `rag index` process", "< 60 s", f"{scratch:.1f} s"),
        ("re-index, corpus unchanged, `rag index` process", "< 2 s", f"{again:.2f} s"),
    ]


def bench_retrieval(pipeline: QAPipeline, questions: list[str]) -> list[tuple[str, str, str]]:
    retriever, embedder = pipeline.retriever, pipeline.embedder
    for q in questions[:3]:
        retriever.search(q)  # warm caches (jieba dictionary, torch kernels)
    searches, embeds = [], []
    for q in questions:
        started = time.perf_counter()
        embedder.encode_query(q)
        embeds.append(time.perf_counter() - started)
        started = time.perf_counter()
        retriever.search(q)
        searches.append(time.perf_counter() - started)
    ms = lambda xs, q: f"{1000 * pct(xs, q):.1f} ms"  # noqa: E731
    n = len(questions)
    return [
        (f"retrieval, hybrid top-{pipeline.settings.top_k} incl. query embedding, p50 ({n} dev questions)", "< 30 ms", ms(searches, 50)),
        (f"retrieval p95 ({n} dev questions)", "< 80 ms", ms(searches, 95)),
        ("of which query embedding, p50", "", ms(embeds, 50)),
    ]


def answer_one(pipeline: QAPipeline, question: str) -> dict[str, float]:
    """One question through the app's streaming path, plus llama.cpp's own prefill/decode counters."""
    started = time.perf_counter()
    pipeline.embedder.encode_query(question)
    row = {"embed": time.perf_counter() - started}
    for event in pipeline.stream(question):
        if event.kind == "passages":
            messages = fit(pipeline, question, event.passages)[0]
            row["prompt_tokens"] = sum(pipeline.generator.count_tokens(m["content"]) for m in messages)
        if event.kind == "answer":
            row |= event.answer.timings
    stats = getattr(pipeline.generator, "last_stats", dict)()
    row |= {k: float(v) for k, v in stats.items()}
    return row


def bench_answers(pipeline: QAPipeline, questions: list[str]) -> tuple[list[tuple[str, str, str]], list[dict]]:
    rows = [answer_one(pipeline, q) for q in questions]
    col = lambda k: [r[k] for r in rows if k in r]  # noqa: E731
    p50 = lambda k: pct(col(k), 50)  # noqa: E731
    rate = lambda n, ms: sum(col(n)) / (sum(col(ms)) / 1000) if sum(col(ms)) else float("nan")  # noqa: E731
    n = len(rows)
    figures = [
        (f"time to first token, p50 ({n} dev questions, stratified)", "< 4 s", f"{p50('first_token'):.2f} s"),
        ("time to first token, p95", "", f"{pct(col('first_token'), 95):.2f} s"),
        ("complete answer, p50", "< 10 s", f"{p50('total'):.2f} s"),
        ("complete answer, p95", "", f"{pct(col('total'), 95):.2f} s"),
        ("— query embedding, p50", "", f"{1000 * p50('embed'):.0f} ms"),
        ("— retrieval (incl. embedding), p50", "", f"{1000 * p50('retrieve'):.0f} ms"),
        ("— prompt build, p50", "", f"{1000 * p50('prompt'):.1f} ms"),
        ("— prefill, p50", "", f"{p50('prefill_ms') / 1000:.2f} s for {p50('prefill_tokens'):.0f} of "
         f"{p50('prompt_tokens'):.0f} prompt tokens ({rate('prefill_tokens', 'prefill_ms'):.0f} tok/s)"),
        ("— decode, p50", "", f"{p50('decode_ms') / 1000:.2f} s for {p50('decode_tokens'):.0f} tokens "
         f"({rate('decode_tokens', 'decode_ms'):.1f} tok/s)"),
    ]
    return figures, rows


def table(rows: list[tuple[str, str, str]]) -> str:
    lines = ["| figure | target | measured |", "| --- | --- | --- |"]
    return "\n".join(lines + [f"| {a} | {b} | {c} |" for a, b, c in rows])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=20, help="dev-set questions to answer (stratified subset)")
    parser.add_argument("--skip-index", action="store_true", help="use the configured index, do not time indexing")
    args = parser.parse_args()
    settings = load_settings()
    print(f"Machine: {machine()}\n")
    figures: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="rag-perf-") as tmp:
        if not args.skip_index:
            figures += bench_index(Path(tmp) / "index", settings.corpus_dir)
            settings = settings.with_overrides(index_dir=Path(tmp) / "index")
        items = load_set(DEFAULT_SET)
        pipeline = QAPipeline(settings)
        pipeline.ensure_index()
        figures += bench_retrieval(pipeline, [i.question for i in items])
        started = time.perf_counter()
        pipeline.generator
        load = time.perf_counter() - started
        loaded = memory_mb()
        answers, _ = bench_answers(pipeline, [i.question for i in stratified_subset(items, args.questions)])
        after = memory_mb()
    figures += answers
    figures += [
        (f"LLM load ({settings.llm})", "", f"{load:.1f} s"),
        ("resident set with both models loaded (VmRSS)", "< 3 GB", f"{loaded['VmRSS'] / 1024:.2f} GB"),
        ("peak resident set after answering (VmHWM)", "< 3 GB", f"{after['VmHWM'] / 1024:.2f} GB"),
    ]
    print(table(figures))
    print(f"\nSettings: top_k={settings.top_k}, passage_chars={settings.passage_chars}, n_ctx={settings.n_ctx}, "
          f"n_batch={settings.n_batch}, n_threads={settings.n_threads}, max_new_tokens={settings.max_new_tokens}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

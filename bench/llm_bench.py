"""llama.cpp speed per CPU build variant and quantisation, like llama-bench: prompt processing of 512 tokens
(pp512) and generation of 128 tokens one at a time from an empty context (tg128), each run 3 times after a
warm-up, printed as min/median/max tokens per second in a Markdown table for docs/performance.md.

Each case runs in its own process, because the CPU backend variant is chosen once per process (when
llama_cpp is imported) and because builds live in different environments:

    flock /tmp/rag-heavy.lock .venv/bin/python bench/llm_bench.py \\
        --build avx2=/path/to/old-venv/bin/python --build dispatch=.venv/bin/python:haswell,zen4 \\
        --model Q4_K_M=~/.cache/rag-qa/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf --model Q4_0=build/quant/q4_0.gguf

`NAME=PYTHON[:VARIANT,...][@DIR]` runs that interpreter (with DIR first on PYTHONPATH: a wheel installed with
`pip install --no-deps --target DIR`) once per listed variant (GGML_CPU_VARIANT=..., read by the
patched llama_cpp the Makefile builds) or, without variants, as it chooses. Every build × model runs at the
last --threads / --batch value; the first build's first variant and first model also run each other
--threads value (at the last --batch) and each other --batch value (at the last --threads).
`--rounds N` goes over the whole list of cases N times, interleaved (use with `--runs 1` on a shared machine:
a burst of other load then spreads over all cases instead of spoiling one).
`--requantize Q4_0 --model SRC=...` writes a requantised copy with llama.cpp's own quantiser
(`llama_model_quantize` in the wheel's libllama, the code behind llama.cpp's `llama-quantize` tool) and prints
its sha256.

Nothing here is asserted: these are measurements. The text measured is the seed corpus, tokenised."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PP_TOKENS, TG_TOKENS = 512, 128


def corpus_tokens(llm, count: int) -> list[int]:
    text = "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))[:3])
    tokens = llm.tokenize(text.encode("utf-8"), add_bos=False)
    if len(tokens) < count:
        raise SystemExit(f"seed text gives only {len(tokens)} tokens, {count} needed")
    return tokens[:count]


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def worker(model: str, threads: int, batch: int, runs: int) -> dict:
    """One case in this process: load, warm up, then `runs` × pp512 and tg128 on a cleared context."""
    import llama_cpp

    started = time.perf_counter()
    llm = llama_cpp.Llama(model_path=model, n_ctx=2048, n_threads=threads, n_threads_batch=threads,
                          n_batch=batch, n_ubatch=batch, flash_attn=True, use_mmap=False, verbose=False)
    load_s = time.perf_counter() - started
    tokens = corpus_tokens(llm, PP_TOKENS)

    def prefill(n: int = PP_TOKENS) -> None:
        llm.reset()
        llm.eval(tokens[:n])

    def generate() -> None:
        llm.reset()
        for token in tokens[:TG_TOKENS]:  # one token per step, as llama-bench's tg does
            llm.eval([token])

    prefill(64)  # warm-up: thread pool, first-touch of the weights and buffers
    pp = [PP_TOKENS / timed(prefill) for _ in range(runs)]
    tg = [TG_TOKENS / timed(generate) for _ in range(runs)]
    sys.path.insert(0, str(ROOT))
    from rag.llm_build import cpu_variant

    return {"pp": pp, "tg": tg, "load_s": load_s, "variant": cpu_variant(),
            "system_info": llama_cpp.llama_print_system_info().decode()}


def run_case(python: str, variant: str | None, model: str, threads: int, batch: int, runs: int) -> dict:
    env = dict(os.environ)
    env.pop("GGML_CPU_VARIANT", None)
    python, _, path = python.partition("@")
    if path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [path, env.get("PYTHONPATH")]))
    if variant:
        env["GGML_CPU_VARIANT"] = variant
    cmd = [python, str(Path(__file__).resolve()), "--worker", "--model", f"m={model}", "--threads", str(threads),
           "--batch", str(batch), "--runs", str(runs)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": f"exit {done.returncode}: {done.stderr.strip()[-300:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def spread(values: list[float]) -> str:
    return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f}"


def cases(builds, models, threads: list[int], batches: list[int]):
    """Every build × variant × model at the last threads/batch value, then each other value of one of the
    two with the other kept, on the first build's first variant and first model."""
    for qname, path in models:
        for build, python, variants in builds:
            for variant in variants:
                yield build, python, variant, qname, path, threads[-1], batches[-1]
    build, python, variants = builds[0]
    qname, path = models[0]
    for t in threads[:-1]:
        yield build, python, variants[0], qname, path, t, batches[-1]
    for b in batches[:-1]:
        yield build, python, variants[0], qname, path, threads[-1], b


def requantize(source: str, ftype_name: str, out_dir: Path) -> None:
    import llama_cpp

    from rag.formats.base import file_sha256

    out = out_dir / f"{Path(source).stem.rsplit('-', 1)[0]}-{ftype_name.lower()}.gguf"
    out.parent.mkdir(parents=True, exist_ok=True)
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{ftype_name.upper()}")
    params.allow_requantize = True
    params.nthread = len(os.sched_getaffinity(0))
    started = time.perf_counter()
    if llama_cpp.llama_model_quantize(source.encode(), str(out).encode(), params) != 0:
        raise SystemExit(f"quantisation to {ftype_name} failed")
    print(f"{out}  {out.stat().st_size / 2**20:.0f} MiB  sha256 {file_sha256(out)}  "
          f"({time.perf_counter() - started:.0f} s)")


def parse_build(spec: str) -> tuple[str, str, list[str | None]]:
    """NAME=PYTHON[:VARIANT,...][@DIR] -> (NAME, PYTHON[@DIR], variants); run_case splits off @DIR."""
    name, _, rest = spec.partition("=")
    rest, at, path = rest.partition("@")
    python, _, variants = rest.partition(":")
    return name, python + at + path, (variants.split(",") if variants else [None])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", action="append", default=[], help="NAME=PYTHON[:VARIANT,...][@DIR]")
    ap.add_argument("--model", action="append", required=True, help="NAME=PATH.gguf")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--batch", default="256,512")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per case in one process")
    ap.add_argument("--rounds", type=int, default=1, help="times over the whole case list (interleaved)")
    ap.add_argument("--requantize", metavar="FTYPE", help="e.g. Q4_0 or IQ4_NL: write a copy of the first model")
    ap.add_argument("--out-dir", type=Path, default=ROOT / "build" / "quant")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    models = [tuple(m.split("=", 1)) for m in args.model]
    threads, batches = [int(x) for x in args.threads.split(",")], [int(x) for x in args.batch.split(",")]
    if args.worker:
        print(json.dumps(worker(models[0][1], threads[0], batches[0], args.runs)))
        return
    if args.requantize:
        sys.path.insert(0, str(ROOT))
        requantize(models[0][1], args.requantize, args.out_dir)
        return
    builds = [parse_build(b) for b in args.build] or [("this", sys.executable, [None])]
    measure(list(cases(builds, models, threads, batches)), args.runs, args.rounds)


def measure(todo: list[tuple], runs: int, rounds: int) -> None:
    """Each case `runs` times in a process, the whole list `rounds` times over, interleaved: on a shared
    machine a burst of other load then spreads over every case instead of spoiling one."""
    results: dict[tuple, dict] = {}
    for round_no in range(rounds):
        for case in todo:
            build, python, variant, qname, path, t, b = case
            r = run_case(python, variant, os.path.expanduser(path), t, b, runs)
            print(f"round {round_no + 1} {build} {variant} {qname} t{t} b{b}: {r.get('pp', r.get('error'))}",
                  file=sys.stderr, flush=True)
            if "error" in r:
                results[case] = r
            elif "error" not in results.get(case, {}):
                prev = results.setdefault(case, {**r, "pp": [], "tg": [], "load": []})
                prev["pp"] += r["pp"]
                prev["tg"] += r["tg"]
                prev["load"].append(r["load_s"])
    print(f"<!-- {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
          f"{rounds} round(s) x {runs} run(s) per case -->")
    print("| build | CPU variant | model | threads | n_batch | pp512 tok/s min / median / max | "
          "tg128 tok/s min / median / max | load s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for (build, _, variant, qname, _, t, b), r in results.items():
        if "error" in r:
            print(f"| {build} | {variant or 'auto'} | {qname} | {t} | {b} | {r['error']} | | |")
            continue
        print(f"| {build} | {r['variant']} | {qname} | {t} | {b} | {spread(r['pp'])} | {spread(r['tg'])} | "
              f"{statistics.median(r['load']):.1f} |")
        print(f"<!-- {r['system_info'].strip()} -->")

if __name__ == "__main__":
    main()

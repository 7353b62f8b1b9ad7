"""Load test of the running app over loopback: N concurrent questions to `/ask` (retrieval + the local
LLM) and to `/retrieve` (retrieval only), through gradio_client as another tool would call them.
Reports throughput, latency p50/p95 and errors (an `{error: ...}` reply or an exception counts).

    flock /tmp/rag-heavy.lock .venv/bin/python bench/load.py --ask 8 --ask-concurrency 4 \
        --retrieve 200 --retrieve-concurrency 8
    .venv/bin/python bench/load.py --url http://127.0.0.1:7860   # an app that is already running
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
STARTUP_S = 600  # first start may build the index


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, proc: subprocess.Popen | None) -> None:
    """Until `/retrieve` answers without error (the page is up and the index is loaded)."""
    from gradio_client import Client

    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"the app exited with code {proc.returncode}")
        try:
            reply = Client(url, verbose=False).predict("高密市", "", api_name="/retrieve")
            if "passages" in reply:
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(2)
    raise SystemExit(f"the app at {url} was not ready within {STARTUP_S} s")


@contextmanager
def app_server(url: str | None, log_path: Path):
    """Connect to `url`, or start `rag serve` on a free loopback port for the duration of the run."""
    if url:
        _wait_ready(url, None)
        yield url
        return
    port = _free_port()
    log = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", "--port", str(port)], cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT, env=os.environ | {"GRADIO_ANALYTICS_ENABLED": "False"})
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_ready(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def run(url: str, endpoint: str, questions: list[str], concurrency: int) -> dict:
    """Send every question once, `concurrency` at a time, each worker with its own client."""
    from gradio_client import Client

    local = threading.local()

    def one(question: str) -> tuple[float, str | None]:
        if not hasattr(local, "client"):
            local.client = Client(url, verbose=False)
        started = time.perf_counter()
        try:
            reply = local.client.predict(question, "", api_name=endpoint)
            error = reply.get("error") if isinstance(reply, dict) else f"unexpected reply {reply!r}"
            if error is None and endpoint == "/ask" and not reply.get("answer"):
                error = "empty answer"
        except Exception as exc:  # noqa: BLE001 - counted, not fatal
            error = f"{type(exc).__name__}: {exc}"
        return time.perf_counter() - started, error

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, questions))
    wall = time.perf_counter() - started
    latencies = [t for t, _ in results]
    errors = [e for _, e in results if e]
    return {
        "endpoint": endpoint, "requests": len(questions), "concurrency": concurrency, "wall_s": round(wall, 1),
        "throughput_per_s": round(len(questions) / wall, 3), "p50_s": round(float(np.percentile(latencies, 50)), 3),
        "p95_s": round(float(np.percentile(latencies, 95)), 3), "max_s": round(max(latencies), 3),
        "errors": len(errors), "error_samples": errors[:3],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="concurrent /ask and /retrieve requests against the app")
    ap.add_argument("--url", help="an app already running (default: start `rag serve` on a free port)")
    ap.add_argument("--ask", type=int, default=8)
    ap.add_argument("--ask-concurrency", type=int, default=4)
    ap.add_argument("--retrieve", type=int, default=200)
    ap.add_argument("--retrieve-concurrency", type=int, default=8)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "load.json")
    args = ap.parse_args(argv)
    dev = [json.loads(line) for line in (ROOT / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [d["question"] for d in dev]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    with app_server(args.url, args.out.with_suffix(".server.log")) as url:
        if args.retrieve:
            pool = [questions[i % len(questions)] for i in range(args.retrieve)]
            rows.append(run(url, "/retrieve", pool, args.retrieve_concurrency))
            print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
        if args.ask:
            rows.append(run(url, "/ask", questions[: args.ask], args.ask_concurrency))
            print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    args.out.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())

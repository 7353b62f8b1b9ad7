"""The first question a user asks the app, timed: `rag serve` is started from a checkout (this one, or an
older one to compare), the bench waits until the index answers and then `--settle` seconds more (a user
reading the page), then asks through the `/ask` API and reads the server's timings (excerpt, first token,
total; measured from the question's arrival, so they include a model load still owed) beside the client's
wall time; then a second question, to show the steady state. It runs the real LLM:

    flock /tmp/rag-heavy.lock .venv/bin/python bench/first_question.py [--root OLD_CHECKOUT] [--index-dir DIR]

Nothing is asserted; a measurement, not a test."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ["高密市2020年地区生产总值是多少？", "平度市“十四五”期间重点优化提升哪四大主导产业？"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(client, proc: subprocess.Popen, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if proc.poll() is not None:
            raise SystemExit(f"app exited with {proc.returncode}")
        if "error" not in client.predict(QUESTIONS[0], "", api_name="/retrieve"):
            return time.monotonic() - started
        time.sleep(0.5)
    raise SystemExit("index not ready in time")


def connect(url: str, proc: subprocess.Popen, seconds: float = 120):
    from gradio_client import Client

    started = time.monotonic()
    while True:
        try:
            return Client(url, verbose=False)
        except Exception:  # not listening yet
            if proc.poll() is not None or time.monotonic() - started > seconds:
                raise
            time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose `rag serve` is timed")
    parser.add_argument("--index-dir", type=Path, default=ROOT / "index")
    parser.add_argument("--settle", type=float, default=15.0, help="seconds between index ready and the question")
    args = parser.parse_args()
    port = free_port()
    env = os.environ | {"RAG_INDEX_DIR": str(args.index_dir), "PYTHONPATH": str(args.root), "PYTHONUNBUFFERED": "1"}
    log = open(f"/tmp/first-question-{port}.log", "w")
    launched = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", "--port", str(port)], cwd=args.root, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        client = connect(f"http://127.0.0.1:{port}/", proc)
        print(f"{args.root}: page up after {time.monotonic() - launched:.1f} s; "
              f"index ready {wait_ready(client, proc, 900):.1f} s later; waiting {args.settle:g} s")
        time.sleep(args.settle)
        for n, question in enumerate(QUESTIONS, start=1):
            asked = time.monotonic()
            data = client.predict(question, "", api_name="/ask")
            wall = time.monotonic() - asked
            t = data.get("timings", {})
            print(f"question {n}: excerpt {t.get('excerpt', float('nan')):.2f} s, first token "
                  f"{t.get('first_token', float('nan')):.2f} s, answer {t.get('total', float('nan')):.2f} s (server); "
                  f"client wall {wall:.2f} s; {data.get('answer', data)[:40]!r}")
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
        print(Path(log.name).read_text(encoding="utf-8").strip()[-400:])


if __name__ == "__main__":
    main()

"""Time to first token of the pipeline in one code tree, on the single-place questions of the dev set
(the ones the grounding layer answers in one model call), for a before/after comparison on the same
machine in the same run: run it once with the old tree's root and once with this one, alternating.

    nice -n -10 .venv/bin/python bench/ttft.py --root /path/to/tree --questions 20 [--rounds 2]

The question list is chosen by this tree's reader (so both trees answer the same questions); the timings
come from the pipeline of --root. Prints p50/p95 of first token and total, and tokens/s of the prompt."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from rag.config import load_settings
from rag.pipeline import QAPipeline
pipe = QAPipeline(load_settings().with_overrides(index_dir=__import__("pathlib").Path(sys.argv[2])))
pipe.ask(json.loads(sys.argv[3])[0])  # warm: models, index, caches
rows = []
for q in json.loads(sys.argv[3]):
    a = pipe.ask(q)
    rows.append({"q": q, "first_token": a.timings.get("first_token", a.timings["total"]), "total": a.timings["total"]})
print(json.dumps(rows, ensure_ascii=False))
"""


def single_place_questions(n: int) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from rag.evaluation import DEFAULT_SET, load_set, select_batch
    from rag.grounding.profile import build_profile
    from rag.grounding.question import QuestionReader
    from rag.store import load_index

    reader = QuestionReader(build_profile(load_index(ROOT / "index").chunks))
    items = [i for i in select_batch(load_set(DEFAULT_SET), "original") if i.answerable]
    chosen = [i.question for i in items if not reader.read(i.question).decomposed]
    step = max(1, len(chosen) // n)
    return chosen[::step][:n]


def run(root: str, index_dir: str, questions: list[str]) -> list[dict]:
    out = subprocess.run([sys.executable, "-c", CHILD, root, index_dir, json.dumps(questions, ensure_ascii=False)],
                         capture_output=True, text=True, check=True, env=os.environ | {"PYTHONPATH": root})
    return json.loads(out.stdout.strip().splitlines()[-1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", action="append", required=True, help="a code tree; give two to compare")
    parser.add_argument("--index-dir", default=str(ROOT / "index"))
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    questions = single_place_questions(args.questions)
    results: dict[str, list[dict]] = {r: [] for r in args.root}
    for _ in range(args.rounds):
        for root in args.root:  # alternating, so a change in the machine's load hits both alike
            results[root] += run(root, args.index_dir, questions)
    print(f"{len(questions)} single-place questions x {args.rounds} rounds")
    print("| tree | first token p50 | p95 | total p50 | p95 |\n| --- | --- | --- | --- | --- |")
    for root, rows in results.items():
        ft, tot = [r["first_token"] for r in rows], [r["total"] for r in rows]
        print(f"| {root} | {statistics.median(ft):.2f} s | {pct(ft, 0.95):.2f} s | {statistics.median(tot):.2f} s | {pct(tot, 0.95):.2f} s |")


if __name__ == "__main__":
    main()

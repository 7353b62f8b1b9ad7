"""How often the excerpt shown before the model's answer (rag/excerpt.py) holds the answer, on the dev set:
real hybrid retrieval over the worktree's index (top_k passages, as the prompt gets them), then the excerpt,
checked against each question's answer keywords. Two simpler choices are printed beside it for comparison:
the first sentence of the top passage, and the sentence sharing most question words (no title, number or
rank rule). Needs a built index (`rag index`); loads only the embedder:

    flock /tmp/rag-heavy.lock .venv/bin/python bench/excerpt.py

Nothing is asserted; a measurement, not a test."""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.config import load_settings  # noqa: E402
from rag.evaluation import DEFAULT_SET, keyword_found, load_set  # noqa: E402
from rag.excerpt import pick_excerpt  # noqa: E402
from rag.pipeline import QAPipeline  # noqa: E402
from rag.prompting import _bigrams, _sentences  # noqa: E402


def first_sentence(question, passages) -> str:
    return _sentences(passages[0].chunk.text)[0] if passages else ""


def most_shared(question, passages) -> str:
    wanted = _bigrams(question)
    pool = [s for p in passages for s in _sentences(p.chunk.text)]
    return max(pool, key=lambda s: len(_bigrams(s) & wanted), default="")


def chosen(question, passages) -> str:
    excerpt = pick_excerpt(question, passages)
    return excerpt.text if excerpt else ""


def main() -> None:
    pipeline = QAPipeline(load_settings())
    items = load_set(DEFAULT_SET)
    methods = {"rag/excerpt.py": chosen, "top passage, first sentence": first_sentence,
               "most shared question words": most_shared}
    hits: dict[str, dict[str, list[int]]] = {m: defaultdict(list) for m in methods}
    shown_unanswerable, micros = [], []
    for item in items:
        passages = pipeline.retrieve(item.question)
        started = time.perf_counter()
        pick_excerpt(item.question, passages)
        micros.append((time.perf_counter() - started) * 1e6)
        if not item.answerable:
            shown_unanswerable.append(int(bool(chosen(item.question, passages))))
            continue
        if not item.keywords:  # nothing to check the excerpt against
            continue
        for name, method in methods.items():
            text = method(item.question, passages)
            found = [keyword_found(k, text) for k in item.keywords]
            hits[name]["all"].append(int(all(found)))
            hits[name]["any"].append(int(any(found)))
            hits[name][item.type].append(int(all(found)))
    n = len(hits["rag/excerpt.py"]["all"])
    print(f"{n} answerable dev questions with answer keywords, top_k {pipeline.settings.top_k}; excerpt holds all answer keywords / any:\n")
    types = sorted(t for t in hits["rag/excerpt.py"] if t not in ("all", "any"))
    print("| choice | all keywords | any keyword | " + " | ".join(types) + " |")
    print("| --- | --- | --- | " + " | ".join("---" for _ in types) + " |")
    for name, h in hits.items():
        cells = [f"{np.mean(h[t]):.2f} ({len(h[t])})" for t in types]
        print(f"| {name} | {np.mean(h['all']):.2f} | {np.mean(h['any']):.2f} | " + " | ".join(cells) + " |")
    print(f"\nunanswerable questions with an excerpt shown: {sum(shown_unanswerable)} of {len(shown_unanswerable)}")
    print(f"choice time per question: p50 {np.percentile(micros, 50):.0f} µs, max {max(micros):.0f} µs")


if __name__ == "__main__":
    main()

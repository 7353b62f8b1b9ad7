"""Calibrating MEASURE_MATCH (rag/grounding/evidence.py), the similarity above which a measure the documents
state counts as the one a question asks for. Only terms the documents do not write verbatim depend on it:
for each such term of each dev-set question, the best score of the figure index's measures and of the section
headings (in the asked place's documents) is computed, and for each threshold the report counts

  false refusals - answerable questions with a term scoring below it (refused before the model), by kind;
  missed absences - unanswerable questions whose every such term scores at or above it.

No model is loaded (hash embedder, lexical measure matching as the pipeline uses it), so it runs in seconds:

    PYTHONPATH=$PWD .venv/bin/python bench/measure_match.py eval/dev.jsonl eval/reports2026.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import HashEmbedder  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.evaluation import set_of  # noqa: E402
from rag.grounding.answerability import _scope, mentioned  # noqa: E402
from rag.grounding.evidence import MEASURE_MATCH  # noqa: E402
from rag.pipeline import QAPipeline  # noqa: E402
from rag.vocabulary import RATE_SUFFIXES  # noqa: E402

THRESHOLDS = [round(0.5 + 0.05 * i, 2) for i in range(10)]


def scores(set_path: Path) -> list[tuple[str, bool, list[float]]]:
    """(kind, answerable, the scores of its terms the documents do not write verbatim) per question."""
    corpus = set_of(set_path).corpus_dir
    work = Path(tempfile.mkdtemp())
    pipe = QAPipeline(Settings(corpus_dir=corpus, index_dir=work / "index"), embedder=HashEmbedder())
    pipe.index()
    profile, evidence, out = pipe.reader.profile, pipe.evidence, []
    for line in set_path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        frame = pipe.reader.read(item["question"])
        doc_ids, _ = _scope(frame, profile)
        text = profile.text_of(doc_ids)
        found = []
        for term in frame.metric_terms:
            if term in RATE_SUFFIXES or mentioned(term, text):
                continue
            measures = evidence._measures(term, doc_ids)
            heads = evidence.sections.match(term, doc_ids, k=1) if evidence.sections else []
            found.append(max([measures[0][1] if measures else 0.0, heads[0][1] if heads else 0.0]))
        out.append((item.get("type", ""), bool(item["answerable"]), found))
    return out


def report(name: str, rows: list[tuple[str, bool, list[float]]]) -> None:
    judged = [r for r in rows if r[2]]
    answerable = sum(1 for r in rows if r[1])
    print(f"\n## {name}: {len(rows)} questions, {len(judged)} with a term the documents do not write verbatim")
    unanswerable_judged = sum(1 for r in judged if not r[1])
    lows = sorted(round(min(r[2]), 3) for r in judged if r[1])
    highs = sorted(round(min(r[2]), 3) for r in judged if not r[1])
    print(f"answerable questions' lowest term scores: {lows}; unanswerable: {highs}\n")
    print("| threshold | false refusals (of answerable) | by kind | missed absences (of unanswerable judged) |")
    print("| --- | --- | --- | --- |")
    for t in THRESHOLDS:
        refused = [r for r in judged if r[1] and min(r[2]) < t]
        missed = [r for r in judged if not r[1] and min(r[2]) >= t]
        kinds = ", ".join(f"{k} {n}" for k, n in Counter(r[0] for r in refused).most_common())
        mark = " (current)" if abs(t - MEASURE_MATCH) < 1e-9 else ""
        print(f"| {t}{mark} | {len(refused)} / {answerable} | {kinds or '–'} | {len(missed)} / {unanswerable_judged} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", type=Path)
    args = parser.parse_args()
    for path in args.sets:
        report(path.name, scores(path))


if __name__ == "__main__":
    main()

"""How well the section index answers overview questions: for each question of type `overview` in an
eval set, the section it matches (restricted to the question's documents, as the pipeline restricts to
the asked place), that section's items as overview_answer writes them, and the share of the question's
keywords found in that text. A question counts as right when at least COVERAGE of its keywords are
present (normalised text: NFKC, no whitespace). The sets are written independently of this module.

    PYTHONPATH=$PWD .venv/bin/python bench/section_match.py eval/dev.jsonl [more.jsonl] [--embed] [-v]

With --embed the e5 embedder (Settings.embedder) adds its calibrated cosine; that loads a model, so run
it under the heavy-job lock."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.chunking import chunk_document  # noqa: E402
from rag.loaders import load_document  # noqa: E402
import rag.sections as sections_module  # noqa: E402
from rag.sections import MATCH_THRESHOLD, SectionIndex, overview_answer  # noqa: E402

COVERAGE = 0.6
CORPORA = [ROOT / "seeds", ROOT.parent.parent / "shared" / "corpora" / "reports-2026", Path("/work/shared/corpora/reports-2026")]


def _norm(text: str) -> str:
    return re.sub(r"[\s,，]+", "", unicodedata.normalize("NFKC", text))


def load_corpus() -> tuple[list, list]:
    docs, seen = [], set()
    for root in CORPORA:
        for path in sorted(root.glob("*.txt")) if root.is_dir() else []:
            if path.name[0].isdigit() and path.stem not in seen:
                seen.add(path.stem)
                docs.append(load_document(path, root))
    return docs, [c for d in docs for c in chunk_document(d)]


def embedder():
    from rag.config import load_settings
    from rag.pipeline import load_embedder

    model = load_embedder(load_settings())
    return lambda texts: model.encode_passages(texts) if len(texts) > 1 else model.encode_query(texts[0])[None, :]


def run(path: Path, index: SectionIndex, verbose: bool) -> tuple[int, int, list[float]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("type") == "overview" or r.get("batch") == "overview"]
    right, times = 0, []
    for row in rows:
        start = time.perf_counter()
        found = index.match(row["question"], row.get("doc_ids") or None, k=1)
        times.append(time.perf_counter() - start)
        section, score = found[0] if found else (None, 0.0)
        text = overview_answer(section, row["question"])[0] if section and score >= MATCH_THRESHOLD else ""
        keys = row.get("keywords", [])
        hits = [k for k in keys if _norm(k) in _norm(text)]
        ok = bool(keys) and len(hits) >= COVERAGE * len(keys)
        right += ok
        title = " > ".join(section.title_path) if section else "-"
        print(f"{'OK ' if ok else 'BAD'} {row['id']} {score:.3f} {len(hits)}/{len(keys)} {row['question']}\n    -> {title}")
        if verbose or not ok:
            missing = [k for k in keys if k not in hits]
            print("    missing:", missing)
            if verbose:
                print("    " + text.replace("\n", "\n    "))
    return right, len(rows), times


def others(path: Path, index: SectionIndex) -> None:
    """How often a question that is not an overview still matches a section above the threshold (the
    caller's false-positive rate if it routed on the score alone), by question type."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("type") != "overview" and r.get("batch") != "overview"]
    above: dict[str, list[int]] = {}
    for row in rows:
        found = index.match(row["question"], row.get("doc_ids") or None, k=1)
        hit = bool(found) and found[0][1] >= MATCH_THRESHOLD
        above.setdefault(row.get("type", "?"), [0, 0])[0] += hit
        above[row.get("type", "?")][1] += 1
    total = sum(a for a, _ in above.values())
    print(f"== {path}: {total}/{len(rows)} non-overview questions score >= {MATCH_THRESHOLD} — "
          + ", ".join(f"{t} {a}/{n}" for t, (a, n) in sorted(above.items())))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--embed", action="store_true")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--others", action="store_true", help="also count non-overview questions above the threshold")
    parser.add_argument("--calibrations", default="", help="with --embed: floor:ceil pairs to try, e.g. 0.78:0.92,0.82:0.9")
    args = parser.parse_args()
    docs, chunks = load_corpus()
    cpu, wall = time.process_time(), time.perf_counter()
    index = SectionIndex.from_chunks(docs, chunks, embed=embedder() if args.embed else None)
    print(f"built {len(index.sections)} sections over {len(docs)} documents in {time.perf_counter() - wall:.2f} s "
          f"({time.process_time() - cpu:.2f} CPU-s)")
    pairs = [tuple(map(float, p.split(":"))) for p in args.calibrations.split(",") if p] or [None]
    for pair in pairs:
        if pair:
            sections_module.EMBED_FLOOR, sections_module.EMBED_CEIL = pair
            print(f"-- embedding cosine mapped from [{pair[0]}, {pair[1]}]")
        report(args, index)


def report(args: argparse.Namespace, index: SectionIndex) -> None:
    for path in args.sets:
        right, total, times = run(path, index, args.verbose)
        mean = 1000 * sum(times) / max(len(times), 1)
        print(f"== {path}: {right}/{total} right ({right / max(total, 1):.2f}) at >= {COVERAGE:.0%} of keywords; "
              f"match {mean:.0f} ms/question (first includes embedding the headings)" if times else f"== {path}: none")
        if args.others:
            others(path, index)


if __name__ == "__main__":
    main()

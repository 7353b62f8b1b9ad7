"""Compare eval reports of the same questions run over copies of one corpus in different formats (.txt, .pdf,
.docx; docs/formats.md): the metrics side by side over the questions every report ran, then every question whose verdict differs between them,
with each format's answer, retrieval recall and the opening of its top retrieved chunks, to see why.

    python -m bench.format_compare txt=/tmp/fmt2/report-txt pdf=/tmp/fmt2/report-pdf docx=/tmp/fmt2/report-docx \
        [--index txt=/tmp/fmt2/index-txt ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

METRICS = ("accuracy", "faithfulness", "citation_precision", "citation_recall", "unanswerable_refused",
           "answerable_refused", "recall_at_k", "mrr", "first_token_p50", "total_p50")


def _pairs(values: list[str]) -> dict[str, Path]:
    return {name: Path(path) for name, path in (v.split("=", 1) for v in values)}


def load_reports(dirs: dict[str, Path]) -> dict[str, dict]:
    """The reports, each cut to the questions all of them ran (a full run beside subset runs) and re-aggregated."""
    from rag.evaluation import aggregate

    reports = {name: json.loads((path / "report.json").read_text(encoding="utf-8")) for name, path in dirs.items()}
    common = set.intersection(*({r["id"] for r in rep["questions"]} for rep in reports.values()))
    for rep in reports.values():
        rep["questions"] = [r for r in rep["questions"] if r["id"] in common]
        rep["overall"] = aggregate(rep["questions"])
    return reports


def metrics_table(reports: dict[str, dict]) -> list[str]:
    names = list(reports)
    lines = ["| metric | " + " | ".join(names) + " |", "| --- |" + " --- |" * len(names)]
    for metric in ("n", *METRICS):
        cells = [reports[n]["overall"].get(metric) for n in names]
        lines.append(f"| {metric} | " + " | ".join("—" if c is None else f"{c:.3f}" if isinstance(c, float) else str(c) for c in cells) + " |")
    return lines


def verdict(row: dict) -> str:
    """One word per question: correct / wrong / refused / error / n.s. (not scored)."""
    if "error" in row:
        return "error"
    if row.get("refused"):
        return "refused" + ("✓" if not row["answerable"] else "")
    return {True: "correct", False: "wrong", None: "n.s."}[row.get("correct")]


def differing(reports: dict[str, dict]) -> list[str]:
    """Ids of the questions whose verdict is not the same in every report."""
    rows = {n: {r["id"]: r for r in rep["questions"]} for n, rep in reports.items()}
    first = next(iter(rows.values()))
    return [q for q in first if len({verdict(rows[n][q]) for n in rows if q in rows[n]}) > 1]


def _chunk_heads(index: Path | None, chunk_ids: list[str], width: int = 40) -> list[str]:
    if index is None:
        return []
    from rag.store import load_index

    chunks = {c.chunk_id: c for c in load_index(index).chunks}
    return [f"{cid} p{chunks[cid].page}: {chunks[cid].text[:width]!r}" for cid in chunk_ids if cid in chunks]


def describe(reports: dict[str, dict], ids: list[str], indexes: dict[str, Path]) -> list[str]:
    rows = {n: {r["id"]: r for r in rep["questions"]} for n, rep in reports.items()}
    out = []
    for q in ids:
        first = next(iter(rows.values()))[q]
        out.append(f"\n### {q} ({first['type']}) {first['question']}\n    gold: {first.get('gold')}")
        for name, by_id in rows.items():
            r = by_id[q]
            out.append(f"  [{name}] {verdict(r)} recall@k={r.get('recall_at_k')} answer={r.get('answer', r.get('error'))!r}")
            out += [f"      top: {line}" for line in _chunk_heads(indexes.get(name), r.get("retrieved", [])[:3])]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("reports", nargs="+", help="name=REPORT_DIR (a folder with report.json)")
    parser.add_argument("--index", nargs="*", default=[], help="name=INDEX_DIR, to show retrieved chunks")
    args = parser.parse_args()
    reports = load_reports(_pairs(args.reports))
    print("\n".join(metrics_table(reports)))
    ids = differing(reports)
    print(f"\nquestions whose verdict differs: {len(ids)}")
    print("\n".join(describe(reports, ids, _pairs(args.index))))


if __name__ == "__main__":
    main()

"""Figure extraction (rag/facts.py) against figures labelled by reading the text (eval/figures-labelled.jsonl):
precision and recall of value+unit and of the whole record, per corpus, with the misses listed.

What the labels are: every figure a labelled sentence (or table row) states, written down from the sentence
itself. A figure is a number in digits, or in Chinese numerals followed by a measurement unit, that gives a
quantity: not a year, date, document number, list number, ordinal (a rank '第5位' is a figure), a number inside
a name ('5G', 'PM2.5', '“21条”', '220千伏输变电工程'), a class ('百亿级'), or a span qualifying a claim
('连续5年'). Fields: value (signed: '下降3.3%' is -3.3), unit as written ('亿元', '%', '万人'), measure (its name
in the sentence), subject (the place it is about: the document's place unless the sentence names another),
year (the year it is for: a review's figures the review year, a plan's targets its target year, what a plan
states of the present its base year), role (rank; share: ratios and % of a whole — 比重/占比/比例/占/强度/覆盖率/
份额; rate: % or multiple growth; change: a difference in the measure's own unit or in 个百分点; count: a level
counted in things or people; else the status) and status (actual / target / base: a plan table's base year).

Splits: 'dev' spans were labelled first and the extraction rules were tuned while reading their misses;
'heldout' spans were sampled and labelled afterwards, before the extractor was run on them.

Matching, within each labelled span (sentence or table row), one-to-one in reading order:
- value+unit: the same value in the base unit (67665亿元 = 6.7665万亿元), units of one base ('' or a bare
  magnitude like '万' matches any);
- whole record: value+unit, and year, role and subject equal (subjects by place name or its short form), and
  the measure equal after rag.vocabulary.canonical_measure or one containing the other.
Precision counts every figure the extractor reports inside a labelled span.

    PYTHONPATH=. .venv/bin/python bench/figure_extraction.py [--corpus seeds|reports-2026] [--show 30]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.chunking import chunk_document  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.facts import Figure, extract_figures, same_place  # noqa: E402
from rag.loaders import load_document  # noqa: E402
from rag.vocabulary import canonical_measure, canonical_unit, split_unit  # noqa: E402

LABELS = ROOT / "eval" / "figures-labelled.jsonl"
CORPORA = {"seeds": ROOT / "seeds", "reports-2026": ROOT.parent / "shared" / "corpora" / "reports-2026"}
if not CORPORA["reports-2026"].is_dir():
    CORPORA["reports-2026"] = Path("/work/shared/corpora/reports-2026")


def load_labelled(corpus: str | None = None, limit: int | None = None, path: Path = LABELS, split: str | None = None) -> list[dict]:
    """Labelled spans, optionally of one corpus and split ('dev': the rules were tuned on it; 'heldout':
    labelled after the rules were written and scored once), cut after `limit` labelled figures."""
    items, n = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        item.setdefault("split", "dev")
        if corpus and item["corpus"] != corpus or split and item["split"] != split:
            continue
        if limit is not None and n >= limit:
            break
        items.append(item)
        n += len(item["figures"])
    return items


def same_quantity(figure: Figure, label: dict) -> bool:
    scale_f, base_f = split_unit(figure.unit)
    scale_l, base_l = split_unit(canonical_unit(label["unit"]))
    value = figure.parts[0] if figure.parts else figure.value
    if abs(value * scale_f - label["value"] * scale_l) > 1e-6 * max(1.0, abs(label["value"] * scale_l)):
        return False
    return base_f == base_l or not base_f or not base_l


def same_measure(predicted: str, labelled: str) -> bool:
    a, b = canonical_measure(predicted), canonical_measure(labelled)
    return bool(a and b) and (a == b or (min(len(a), len(b)) >= 2 and (a in b or b in a)))


def field_errors(figure: Figure, label: dict) -> list[str]:
    """The fields of a value+unit match that disagree with the label."""
    errors = []
    if not same_measure(figure.measure, label["measure"]):
        errors.append("measure")
    if not same_place(figure.subject, label["subject"]):
        errors.append("subject")
    if figure.year != label["year"]:
        errors.append("year")
    if figure.role != label["role"]:
        errors.append("role")
    return errors


@dataclass
class Result:
    predicted: int = 0
    labelled: int = 0
    matched: int = 0  # value+unit
    whole: int = 0
    errors: Counter = field(default_factory=Counter)  # field -> count among value+unit matches
    misses: list[str] = field(default_factory=list)
    spurious: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    figures: int = 0  # all figures extracted from the documents read
    cpu_seconds: float = 0.0

    def ratios(self) -> dict[str, float]:
        div = lambda a, b: a / b if b else 0.0  # noqa: E731
        return {"value_unit_precision": div(self.matched, self.predicted), "value_unit_recall": div(self.matched, self.labelled),
                "record_precision": div(self.whole, self.predicted), "record_recall": div(self.whole, self.labelled)}


class _Documents:
    """Each document loaded, chunked and extracted once (extraction timed in CPU-seconds)."""

    def __init__(self, result: Result):
        self.result, self.cache = result, {}
        self.settings = Settings()

    def figures(self, corpus: str, name: str) -> tuple[str, list[Figure]]:
        if (corpus, name) not in self.cache:
            root = CORPORA[corpus]
            doc = load_document(root / name, root, 50 * 2**20)
            chunks = chunk_document(doc, self.settings.chunk_size, self.settings.chunk_overlap)
            started = time.process_time()
            figures = extract_figures(doc, chunks)
            self.result.cpu_seconds += time.process_time() - started
            self.result.figures += len(figures)
            self.cache[(corpus, name)] = (doc.text, figures)
        return self.cache[(corpus, name)]


def _describe(f: Figure) -> str:
    return f"{f.text}→{f.value:g}{f.unit} 「{f.measure}」 {f.subject} {f.year} {f.role}/{f.status}"


def _label(label: dict) -> str:
    return f"{label['value']:g}{label['unit']} 「{label['measure']}」 {label['subject']} {label['year']} {label['role']}/{label['status']}"


def score(items: list[dict]) -> Result:
    result = Result()
    docs = _Documents(result)
    for item in items:
        text, figures = docs.figures(item["corpus"], item["doc"])
        where = f"{item['doc'][:6]}@{item['offset']}"
        if not text[item["offset"]:].replace(" ", "").replace("\n", "").startswith(item["quote"][:8]):
            raise SystemExit(f"{where}: the document no longer reads '{item['quote']}' there; relabel")
        span = [f for f in figures if item["offset"] <= f.offset < item["offset"] + item["length"]]
        result.predicted += len(span)
        result.labelled += len(item["figures"])
        unused = list(span)
        for label in item["figures"]:
            hit = next((f for f in unused if same_quantity(f, label)), None)
            if hit is None:
                result.misses.append(f"{where} missed {_label(label)}")
                continue
            unused.remove(hit)
            result.matched += 1
            errors = field_errors(hit, label)
            result.errors.update(errors)
            if errors:
                result.wrong.append(f"{where} {'/'.join(errors)}: got {_describe(hit)} | label {_label(label)}")
            else:
                result.whole += 1
        result.spurious += [f"{where} spurious {_describe(f)}" for f in unused]
    return result


def report(name: str, result: Result, show: int) -> None:
    r = result.ratios()
    print(f"== {name}: {result.labelled} labelled, {result.predicted} extracted in the labelled spans")
    print(f"   value+unit  P {r['value_unit_precision']:.3f}  R {r['value_unit_recall']:.3f}   (target 0.97)")
    print(f"   whole record P {r['record_precision']:.3f}  R {r['record_recall']:.3f}   (target 0.85)")
    print(f"   field errors among value+unit matches: {dict(result.errors.most_common())}")
    rate = result.figures / result.cpu_seconds if result.cpu_seconds else float("inf")
    print(f"   extraction: {result.figures} figures from the documents read in {result.cpu_seconds:.2f} CPU-s ({rate:.0f}/CPU-s)")
    for line in (result.misses + result.spurious + result.wrong)[:show]:
        print("   " + line)


QUERIES = ("城镇化率", "地区生产总值", "研发经费投入强度", "城镇新增就业", "森林覆盖率", "居民人均可支配收入", "财政赤字率")


def timing(embed: bool) -> None:
    """Extraction pace over every document of both corpora (after one warm-up document), then the
    FigureIndex: records round-tripped through dicts (as StoredIndex.records returns them), built, searched."""
    from rag.facts import FigureIndex, figure_records

    docs = []
    for corpus, root in CORPORA.items():
        if root.is_dir():
            for path in sorted(root.glob("*.txt")):
                doc = load_document(path, root, 50 * 2**20)
                docs.append((doc, chunk_document(doc, Settings().chunk_size, Settings().chunk_overlap)))
    extract_figures(*docs[0])  # jieba's dictionary, regexes
    cpu, wall = time.process_time(), time.perf_counter()
    records = [r for doc, chunks in docs for r in figure_records(doc, chunks)]
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    chars = sum(len(d.text) for d, _ in docs)
    print(f"extraction: {len(records)} figures from {len(docs)} documents ({chars / 1e6:.2f} M chars) in {cpu:.2f} CPU-s"
          f" / {wall:.2f} s wall: {len(records) / cpu:.0f} figures per CPU-second")
    encode = None
    if embed:
        from rag.pipeline import load_embedder

        encode = load_embedder(Settings()).encode_passages
    cpu, wall = time.process_time(), time.perf_counter()
    index = FigureIndex([Figure.from_dict(json.loads(json.dumps(r, ensure_ascii=False))) for r in records], encode)
    print(f"FigureIndex load: {len(index.phrases)} distinct measures, {time.perf_counter() - wall:.3f} s wall, "
          f"{time.process_time() - cpu:.3f} CPU-s")
    for query in QUERIES:
        cpu, wall = time.process_time(), time.perf_counter()
        found = index.search(query, k=0)
        print(f"  search {query}: {len(found)} figures, best {found[0][1] if found else 0:.2f}, "
              f"{(time.perf_counter() - wall) * 1000:.1f} ms wall, {(time.process_time() - cpu) * 1000:.1f} ms CPU")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=sorted(CORPORA))
    parser.add_argument("--show", type=int, default=40, help="misses and wrong fields to list")
    parser.add_argument("--timing", action="store_true", help="time extraction and FigureIndex load/search instead")
    parser.add_argument("--embed", action="store_true", help="with --timing: embed measure phrases with the real embedder")
    args = parser.parse_args(argv)
    if args.timing:
        timing(args.embed)
        return 0
    for corpus in [args.corpus] if args.corpus else sorted(CORPORA):
        if not CORPORA[corpus].is_dir():
            print(f"== {corpus}: skipped, {CORPORA[corpus]} is absent")
            continue
        for split in ("dev", "heldout", None):
            report(f"{corpus} {split or 'all'}", score(load_labelled(corpus, split=split)), args.show if split == "heldout" else 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Offline evaluation: run a question set through the pipeline and score retrieval, answers, refusals,
faithfulness, citations and latency, per question, per question type and per batch (the original dev set
vs. questions added later, e.g. the hard batch). `evaluate()` is the one entry point other code (the CLI,
CI's regression gate, model bake-offs) calls."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import re
import time
import tomllib
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.config import PROJECT_ROOT, Settings
from rag.errors import InputError, RagError
from rag.faithfulness import (
    DEFAULT_MIN_COVERAGE, DEFAULT_THRESHOLD, EmbedderEncoder, Encoder, FaithfulnessScorer, normalize, numbers_in,
)
from rag.pipeline import QAPipeline, validate_question
from rag.types import Answer, Chunk, Document, Passage


DEFAULT_SET = PROJECT_ROOT / "eval" / "dev.jsonl"
DEFAULT_BATCH = "original"  # a question without a `batch` field belongs to the original dev set
SETS_FILE = PROJECT_ROOT / "eval" / "sets.toml"  # which corpus each question set is about
SHARED_ENV = "RAG_SHARED_DIR"  # where ../shared (data beside the project) is, when not beside it
# Overview questions ("X面临哪些挑战") ask for an enumerated section: their keywords are the items' key
# phrases, and an answer is right when it names this share of them (not every one, as for a figure).
KEY_PHRASE_TYPES = {"overview"}
KEY_PHRASE_SHARE = 0.6


def default_out_dir() -> Path:
    return PROJECT_ROOT / "eval" / "reports" / time.strftime("%Y%m%d-%H%M%S")


@dataclass
class EvalItem:
    id: str
    question: str
    type: str
    answerable: bool
    answer: str = ""  # the gold answer, shown in the report only
    doc_ids: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)  # exact substrings of the source files
    keywords: list[str] = field(default_factory=list)  # all must appear in a correct answer
    batch: str = DEFAULT_BATCH  # which batch of the set the question was written in


_REQUIRED = {"id": str, "question": str, "type": str, "answerable": bool}
_LISTS = ("doc_ids", "evidence", "keywords")


def _item(row: object, where: str) -> EvalItem:
    if not isinstance(row, dict):
        raise InputError(f"{where}：每行应是一个 JSON 对象。")
    for key, kind in _REQUIRED.items():
        if not isinstance(row.get(key), kind):
            raise InputError(f"{where}：缺少字段 {key} 或类型不对（应为 {kind.__name__}）。")
    for key in _LISTS:
        if not isinstance(row.get(key, []), list) or not all(isinstance(x, str) for x in row.get(key, [])):
            raise InputError(f"{where}：字段 {key} 应为字符串列表。")
    batch = row.get("batch", DEFAULT_BATCH)
    if not isinstance(batch, str) or not batch.strip():
        raise InputError(f"{where}：字段 batch 应为非空字符串。")
    known = {f.name for f in dataclasses.fields(EvalItem)}
    return EvalItem(**{k: v for k, v in row.items() if k in known})


def load_set(path: Path) -> list[EvalItem]:
    """A JSONL question set in the format of eval/dev.jsonl; extra fields are ignored."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"评测集文件 {path} 不存在。")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(_item(json.loads(line), f"评测集 {path} 第 {number} 行"))
        except json.JSONDecodeError as exc:
            raise InputError(f"评测集 {path} 第 {number} 行不是合法的 JSON：{exc}") from exc
    if not items:
        raise InputError(f"评测集 {path} 中没有题目。")
    return items


@dataclass(frozen=True)
class QuestionSet:
    """A question set as eval/sets.toml lists it: its file and the corpus its evidence is quoted from."""

    name: str
    path: Path
    corpus: str
    corpus_dir: Path


def project_path(raw: str) -> Path:
    """A path of sets.toml, relative to the project root. '../shared/…' is the data folder beside the project;
    RAG_SHARED_DIR says where it is when it is elsewhere (a git worktree's parent is not the project's)."""
    parts = Path(raw).parts
    if parts[:2] == ("..", "shared") and os.environ.get(SHARED_ENV):
        return Path(os.environ[SHARED_ENV], *parts[2:]).resolve()
    return (PROJECT_ROOT / raw).resolve()


def question_sets(sets_file: Path | None = None) -> list[QuestionSet]:
    """Every set of sets.toml (SETS_FILE by default), paths resolved against the project root."""
    sets_file = sets_file or SETS_FILE
    try:
        table = tomllib.loads(Path(sets_file).read_text(encoding="utf-8"))
        return [QuestionSet(s["name"], project_path(s["file"]), s["corpus"], project_path(s["corpus_dir"]))
                for s in table.get("set", [])]
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise InputError(f"评测集清单 {sets_file} 无法读取：{exc}") from exc


def set_of(path: Path, sets_file: Path | None = None) -> QuestionSet | None:
    """The listed set stored at `path` (None for a set sets.toml does not list)."""
    path = Path(path).resolve()
    return next((s for s in question_sets(sets_file) if s.path == path), None)


def sets_to_run(set_path: str | None, batch: str | None = None) -> tuple[list[QuestionSet], list[str]]:
    """What `rag eval` answers: the set named (an unlisted file is answered over the configured corpus), or
    every listed set whose corpus is present and that holds the batch asked for; and why others were left out."""
    if set_path:
        return [set_of(Path(set_path)) or QuestionSet(Path(set_path).stem, Path(set_path), "", Path())], []
    chosen, notes = [], []
    for qset in question_sets():
        if not qset.corpus_dir.is_dir():
            notes.append(f"跳过评测集 {qset.name}：语料目录 {qset.corpus_dir} 不存在。")
        elif batch and batch not in {i.batch for i in load_set(qset.path)}:
            notes.append(f"跳过评测集 {qset.name}：没有批次“{batch}”的题目。")
        else:
            chosen.append(qset)
    if not chosen:
        raise InputError("没有可评测的评测集：" + "".join(notes))
    return chosen, notes


def settings_for_set(settings: Settings, qset: QuestionSet | None) -> Settings:
    """The settings that answer a set over its own corpus and index folder, index_dir/corpora/<corpus>/ (built
    on first use). A set over the product's default corpus (seeds/), or naming none, is answered over the
    configured one, so RAG_CORPUS_DIR can still swap in a copy of it in another format (docs/formats.md)."""
    configured = (Settings().corpus_dir.resolve(), Path(settings.corpus_dir).resolve())
    if qset is None or not qset.corpus or qset.corpus_dir in configured:
        return settings
    if not qset.corpus_dir.is_dir():
        raise InputError(f"评测集 {qset.name} 的语料目录 {qset.corpus_dir} 不存在（见 eval/sets.toml）。")
    return settings.with_overrides(corpus_dir=qset.corpus_dir, index_dir=Path(settings.index_dir) / "corpora" / qset.corpus)


def select_batch(items: list[EvalItem], batch: str | None) -> list[EvalItem]:
    """The questions of one batch (all of them when batch is None)."""
    if batch is None:
        return list(items)
    chosen = [i for i in items if i.batch == batch]
    if not chosen:
        known = "、".join(sorted({i.batch for i in items}))
        raise InputError(f"评测集中没有批次“{batch}”的题目（现有批次：{known}）。")
    return chosen


def stratified_subset(items: list[EvalItem], n: int | None) -> list[EvalItem]:
    """n questions covering the types: one per type in turn (most frequent type first), spread evenly
    through each type's questions; deterministic, returned in file order."""
    if not n or n >= len(items):
        return list(items)
    by_type: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        by_type.setdefault(item.type, []).append(i)
    order = sorted(by_type, key=lambda t: (-len(by_type[t]), t))
    quota = dict.fromkeys(order, 0)
    while sum(quota.values()) < n:
        for t in order:
            if sum(quota.values()) < n and quota[t] < len(by_type[t]):
                quota[t] += 1
    chosen = [by_type[t][int((j + 0.5) * len(by_type[t]) / quota[t])] for t in order for j in range(quota[t])]
    return [items[i] for i in sorted(chosen)]


def keyword_found(keyword: str, text: str) -> bool:
    """Numbers are matched whole and regardless of spacing: '510.3亿元' matches '510.3 亿元', '32' not '132'."""
    key, hay = normalize(keyword), normalize(text)
    if not key:
        return True
    pattern = ("(?<![\\d.])" if key[0].isdigit() else "") + re.escape(key) + ("(?!\\.?\\d)" if key[-1].isdigit() else "")
    return re.search(pattern, hay) is not None


def _squash(text: str) -> tuple[str, list[int]]:
    """Text without whitespace and table pipes, and each kept character's offset in the original."""
    chars, offsets = [], []
    for i, ch in enumerate(text):
        if ch.isspace() or ch == "|":
            continue
        for c in unicodedata.normalize("NFKC", ch):
            chars.append(c)
            offsets.append(i)
    return "".join(chars), offsets


class EvidenceLocator:
    """Places evidence (quoted from the raw files) in the cleaned documents the chunks point into;
    raw and cleaned text differ in spacing and table layout, so both are compared squashed."""

    def __init__(self, documents: dict[str, Document]):
        self.documents = documents
        self._squashed: dict[str, tuple[str, list[int]]] = {}

    def _doc(self, doc_id: str) -> tuple[str, list[int]]:
        if doc_id not in self._squashed:
            self._squashed[doc_id] = _squash(self.documents[doc_id].text)
        return self._squashed[doc_id]

    def spans(self, doc_ids: list[str], evidence: str) -> list[tuple[str, int, int]]:
        """Every (doc_id, start, end) where the evidence occurs, in squashed coordinates."""
        needle = _squash(evidence)[0]
        found = []
        for doc_id in doc_ids:
            if doc_id not in self.documents or not needle:
                continue
            hay = self._doc(doc_id)[0]
            start = hay.find(needle)
            while start >= 0:
                found.append((doc_id, start, start + len(needle)))
                start = hay.find(needle, start + 1)
        return found

    def chunk_range(self, chunk: Chunk) -> tuple[int, int] | None:
        if chunk.doc_id not in self.documents:
            return None
        offsets = self._doc(chunk.doc_id)[1]
        return bisect_left(offsets, chunk.start), bisect_left(offsets, chunk.end)


def _overlap_needed(length: int) -> int:
    """A chunk covers a span when it holds at least half of it (all of a span under 10 characters)."""
    return min(length, max(10, length // 2))


def chunk_covers(locator: EvidenceLocator, chunk: Chunk, doc_ids: list[str], evidence: str) -> bool:
    """Evidence from the listed documents (any document if none are listed) overlapping the chunk."""
    if doc_ids and chunk.doc_id not in doc_ids:
        return False
    spans = locator.spans([chunk.doc_id], evidence)
    where = locator.chunk_range(chunk)
    if not spans or where is None:  # evidence the cleaning removed, or an index without the document
        needle = _squash(evidence)[0]
        return bool(needle) and needle in _squash(chunk.text)[0]
    return any(min(end, where[1]) - max(start, where[0]) >= _overlap_needed(end - start) for _, start, end in spans)


def retrieval_scores(
    item: EvalItem, ranked: list[Passage], locator: EvidenceLocator, k: int
) -> tuple[float | None, float | None]:
    """recall@k: share of evidence spans covered by a top-k chunk; reciprocal rank of the first covering chunk."""
    if not item.answerable or not item.evidence:
        return None, None
    top = [p.chunk for p in ranked[:k]]
    hits = [[chunk_covers(locator, c, item.doc_ids, ev) for ev in item.evidence] for c in top]
    recall = sum(any(row[j] for row in hits) for j in range(len(item.evidence))) / len(item.evidence)
    rank = next((r for r, row in enumerate(hits, start=1) if any(row)), None)
    return recall, (1.0 / rank if rank else 0.0)


def answer_scores(item: EvalItem, answer: Answer) -> dict:
    """Correct: an unanswerable question refused; an answerable one not refused and holding every keyword
    (KEY_PHRASE_SHARE of them for an overview; None when the item has no keywords). Refusal is right when
    it matches unanswerability."""
    found = [keyword_found(k, answer.text) for k in item.keywords]
    needed = KEY_PHRASE_SHARE * len(found) if item.type in KEY_PHRASE_TYPES else len(found)
    if not item.answerable:
        correct = answer.refused
    else:
        correct = (not answer.refused and sum(found) >= needed) if item.keywords else None
    return {
        "correct": correct,
        "keyword_recall": ((0.0 if answer.refused else sum(found) / len(found)) if found else None),
        "missing_keywords": [k for k, ok in zip(item.keywords, found) if not ok],
        "refusal_ok": answer.refused != item.answerable,
    }


_ENUMERATOR = re.compile(r"^\s*(\d{1,2})[.、)）]\s*")  # '5. 提高养老质量…': a list item's number, no figure


def figures_not_in_cited(claims: list, question: str) -> list[str]:
    """Figures the answer states that the passages its sentence relies on (the ones it cites; all given
    passages when it cites none) do not hold, as the faithfulness scorer found them; the question's own
    figures are its frame (a year), not the answer's, a list item's number is no figure, and a result shown
    with its calculation is grounded."""
    asked = numbers_in(question)
    figures = []
    for claim in claims:
        item = _ENUMERATOR.match(claim["text"])
        skip = asked | (numbers_in(item.group(1)) if item else set())
        figures += [f for f in claim["missing"] if f in numbers_in(f) and f not in skip]
    return list(dict.fromkeys(figures))


def faithfulness_scores(answer: Answer, scorer: FaithfulnessScorer) -> dict:
    """Claims of a shown answer against the passages it was given; a refusal makes no claims."""
    empty = {"faithfulness": None, "citation_precision": None, "citation_recall": None, "claims": [],
             "figures_not_in_cited": []}
    if answer.refused or not answer.text.strip():
        return empty
    result = scorer.score(answer.text, [p.chunk.embedding_text() for p in answer.passages])
    rounded = lambda c: {"similarity": round(c.similarity, 4), "coverage": round(c.coverage, 4)}  # noqa: E731
    claims = [dataclasses.asdict(c) | rounded(c) for c in result.claims]
    return {
        "faithfulness": result.faithfulness,
        "citation_precision": result.citation_precision,
        "citation_recall": result.citation_recall,
        "claims": claims,
        "figures_not_in_cited": figures_not_in_cited(claims, answer.question),
    }


def run_question(pipeline: QAPipeline, item: EvalItem, scorer: FaithfulnessScorer, locator: EvidenceLocator, k: int) -> dict:
    row = {"id": item.id, "type": item.type, "batch": item.batch, "question": item.question,
           "answerable": item.answerable, "gold": item.answer}
    try:
        question = validate_question(item.question, pipeline.settings.max_question_chars)
        answer = pipeline.ask(question)
        ranked = pipeline.retriever.search(question, k=k)
    except RagError as exc:
        return row | {"error": str(exc), "correct": False if item.keywords or not item.answerable else None}
    recall, rr = retrieval_scores(item, ranked, locator, k)
    return row | {
        "answer": answer.text,
        "refused": answer.refused,
        "route": answer.route,  # which answer path answered (rag.answering.ROUTES)
        "withheld": answer.withheld,
        "retrieved": [p.chunk.chunk_id for p in ranked],
        "cited": [c.chunk_id for c in answer.citations],
        "cited_pages": [c.page for c in answer.citations],  # what the user sees: the quote's page (paged formats)
        "cited_quotes": [c.quote for c in answer.citations],
        "recall_at_k": recall,
        "reciprocal_rank": rr,
        "excerpt": answer.timings.get("excerpt"),  # the first useful content the page shows
        "first_token": answer.timings.get("first_token"),
        "total": answer.timings.get("total"),
    } | answer_scores(item, answer) | faithfulness_scores(answer, scorer)


def _mean(values: list) -> float | None:
    kept = [float(v) for v in values if v is not None]
    return round(sum(kept) / len(kept), 4) if kept else None


def _percentile(values: list, q: float) -> float | None:
    kept = [float(v) for v in values if v is not None]
    return round(float(np.percentile(kept, q)), 3) if kept else None


def aggregate(rows: list[dict]) -> dict:
    """Means over the questions where a metric applies (None elsewhere); latency as p50/p95 seconds."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]

    def col(name: str, subset: list[dict] = rows) -> list:
        return [r.get(name) for r in subset]

    return {
        "n": len(rows),
        "errors": sum("error" in r for r in rows),
        "recall_at_k": _mean(col("recall_at_k")),
        "mrr": _mean(col("reciprocal_rank")),
        "accuracy": _mean(col("correct")),
        "keyword_recall": _mean(col("keyword_recall")),
        "refusal_accuracy": _mean(col("refusal_ok")),
        "unanswerable_refused": _mean(col("refused", unanswerable)),
        "answerable_refused": _mean(col("refused", answerable)),
        "faithfulness": _mean(col("faithfulness")),
        "citation_precision": _mean(col("citation_precision")),
        "citation_recall": _mean(col("citation_recall")),
        # answers stating a figure absent from what they cite (target 0)
        "figures_not_in_cited": sum(bool(r.get("figures_not_in_cited")) for r in rows),
        "excerpt_p50": _percentile(col("excerpt"), 50),
        "first_token_p50": _percentile(col("first_token"), 50),
        "first_token_p95": _percentile(col("first_token"), 95),
        "total_p50": _percentile(col("total"), 50),
        "total_p95": _percentile(col("total"), 95),
    }


def aggregate_by(rows: list[dict], key: str, *, ordered: bool = True) -> dict[str, dict]:
    """aggregate() per value of row[key] ("type", "batch"): sorted by name, or in order of first appearance."""
    names = list(dict.fromkeys(r[key] for r in rows))
    return {n: aggregate([r for r in rows if r[key] == n]) for n in (sorted(names) if ordered else names)}


def _settings_dict(settings: Settings) -> dict:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(settings).items()}


def _warm_up(pipeline: QAPipeline) -> float:
    """Load the index and models before timing anything, so question 1 does not carry the load time."""
    started = time.perf_counter()
    pipeline.ensure_index()
    pipeline.generator
    return time.perf_counter() - started


def evaluate(
    settings: Settings,
    items: list[EvalItem],
    k: int = 5,
    *,
    pipeline: QAPipeline | None = None,
    encoder: Encoder | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    min_coverage: float = DEFAULT_MIN_COVERAGE,
    progress: bool = True,
    set_path: str = "",
    corpus: str = "",
) -> dict:
    """Run every item through a QA pipeline (built from `settings` unless given) and return the report:
    {"meta", "overall", "by_type", "by_batch", "questions"}. The index is built from settings.corpus_dir if missing."""
    from tqdm import tqdm

    pipeline = pipeline or QAPipeline(settings)
    load_seconds = _warm_up(pipeline)
    scorer = FaithfulnessScorer(encoder or EmbedderEncoder(pipeline.embedder), threshold, min_coverage)
    locator = EvidenceLocator(pipeline.retriever.stored.documents)
    rows: list[dict] = []
    started, started_at = time.perf_counter(), time.strftime("%Y-%m-%dT%H:%M:%S%z")
    bar = tqdm(items, desc="评测", unit="题", disable=not progress, dynamic_ncols=True)
    for item in bar:
        rows.append(run_question(pipeline, item, scorer, locator, k))
        bar.set_postfix(acc=_mean([r.get("correct") for r in rows]), faith=_mean([r.get("faithfulness") for r in rows]))
    stored = pipeline.retriever.stored
    meta = {
        "set": set_path, "corpus": corpus or Path(pipeline.settings.corpus_dir).name,
        "corpus_dir": str(pipeline.settings.corpus_dir), "index_dir": str(pipeline.settings.index_dir),
        "index_version": stored.version.name if stored.version else "",
        "questions": len(rows), "k": k, "threshold": threshold, "min_coverage": min_coverage,
        "started": started_at, "seconds": round(time.perf_counter() - started, 1),
        "load_seconds": round(load_seconds, 1), "index_chunks": len(stored.chunks),
        "machine": f"{platform.machine()} {platform.system()}, python {platform.python_version()}",
        "settings": _settings_dict(pipeline.settings),
    }
    return {"meta": meta, "overall": aggregate(rows), "by_type": aggregate_by(rows, "type"),
            "by_batch": aggregate_by(rows, "batch", ordered=False), "questions": rows}

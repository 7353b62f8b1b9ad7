"""RGB (Chen et al., AAAI 2024), Chinese part, through the product's own pipeline: prompt, LLM, citation
check and refusal logic. The data is CC BY-NC-SA and read at run time from ../shared/external/rgb (or
--data / RAG_RGB_DIR); nothing of it is written into the repository: results.jsonl (with the model's
answers) stays in the gitignored report folder, report.json/md carry only ids, flags and counts.

    python -m eval.rgb --tasks noise0.4,reject --n 100 --max-minutes 14

Each answered question is appended to <out>/results.jsonl at once, so a rerun skips what is done: run it
in chunks under `flock /tmp/rag-heavy.lock`. See docs/benchmarks.md."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import random
import re
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from pathlib import Path

from rag.config import PROJECT_ROOT, Settings, load_settings
from rag.errors import InputError, RagError
from rag.grounding.parts import split_parts
from rag.prompting import trim_passage
from rag.types import Answer, Chunk, Passage

DATA_ENV = "RAG_RGB_DIR"
DEFAULT_DATA = PROJECT_ROOT.parent / "shared" / "external" / "rgb"
DEFAULT_OUT = PROJECT_ROOT / "eval" / "reports" / "rgb"
PASSAGES = 5  # per question, as in the paper
PASSAGE_CUT = 600  # characters kept of each given passage
DEFAULT_SEED = 2333  # the paper's own seed

# task -> (file, noise rate; 1.0 is negative rejection, None is open retrieval)
TASKS: dict[str, tuple[str, float | None]] = {
    "noise0": ("zh_refine", 0.0), "noise0.4": ("zh_refine", 0.4), "noise0.8": ("zh_refine", 0.8),
    "reject": ("zh_refine", 1.0), "int0": ("zh_int", 0.0), "int0.4": ("zh_int", 0.4),
    "fact": ("zh_fact", 0.0), "open": ("zh_refine", None),
}
# the paper's Chinese table (README of the data folder): task -> model -> percent
PAPER = {
    "noise0": {"ChatGPT": 95.67, "Qwen-7B-Chat": 94.00, "ChatGLM-6B": 94.33, "ChatGLM2-6B": 86.67, "BELLE-7B-2M": 92.00, "Vicuna-7B": 85.67},
    "noise0.4": {"ChatGPT": 91.00, "Qwen-7B-Chat": 88.00, "ChatGLM-6B": 89.00, "ChatGLM2-6B": 76.67, "BELLE-7B-2M": 85.33, "Vicuna-7B": 77.00},
    "noise0.8": {"ChatGPT": 70.67, "Qwen-7B-Chat": 68.67, "ChatGLM-6B": 69.00, "ChatGLM2-6B": 54.00, "BELLE-7B-2M": 67.68, "Vicuna-7B": 49.67},
    "reject": {"ChatGPT": 5.33, "Qwen-7B-Chat": 8.67, "ChatGLM-6B": 6.33, "ChatGLM2-6B": 6.33, "BELLE-7B-2M": 5.33, "Vicuna-7B": 3.37},
    "int0": {"ChatGPT": 63, "Qwen-7B-Chat": 67, "ChatGLM-6B": 60, "ChatGLM2-6B": 44, "BELLE-7B-2M": 49, "Vicuna-7B": 43},
    "int0.4": {"ChatGPT": 47, "Qwen-7B-Chat": 55, "ChatGLM-6B": 52, "ChatGLM2-6B": 32, "BELLE-7B-2M": 38, "Vicuna-7B": 25},
}
# an answer that says the passages are wrong (counterfactual task), besides a refusal
_DETECTS_ERROR = re.compile(r"事实性错误|与事实不符|不符合事实|存在错误|有误|错误的|相互矛盾|不一致")


# ---------------------------------------------------------------- data

def data_dir(arg: str | None = None) -> Path:
    return Path(arg or os.environ.get(DATA_ENV) or DEFAULT_DATA)


def load_rgb(folder: Path, name: str) -> list[dict]:
    """One RGB file (one JSON object a line); a missing folder says where it was looked for."""
    path = Path(folder) / f"{name}.json"
    if not path.is_file():
        raise InputError(f"找不到 RGB 数据文件 {path}：请把 RGB 中文数据放在 {DEFAULT_DATA}，"
                         f"或用 --data / 环境变量 {DATA_ENV} 指定其目录。")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows or not all({"id", "query", "answer", "positive"} <= set(r) for r in rows):
        raise InputError(f"RGB 数据文件 {path} 格式不对：每行应有 id、query、answer、positive 字段。")
    return rows


def _elements(answer: object) -> list[list[str]]:
    """RGB's answer field as a list of elements, each a list of aliases (any one counts)."""
    items = answer if isinstance(answer, list) else [answer]
    return [[str(a) for a in item] if isinstance(item, list) else [str(item)] for item in items]


def elements_found(text: str, answer: object) -> list[bool]:
    """The paper's check: each element (any alias) a case-insensitive substring of the output."""
    hay = text.lower()
    return [any(alias.lower() in hay for alias in aliases) for aliases in _elements(answer)]


def _loose(text: str) -> str:
    return re.sub(r"[\s,，、·\"“”'‘’()（）]", "", unicodedata.normalize("NFKC", text).lower())


def loosely_found(text: str, aliases: list[str]) -> bool:
    """A near miss the strict check does not count: spacing/width/punctuation differ, or every number of
    the element is in the output as a whole number ('12人' vs '12名'). Diagnosis only, never scored."""
    hay = _loose(text)
    for alias in aliases:
        numbers = re.findall(r"\d+(?:\.\d+)?", alias)
        whole = lambda n: re.search(rf"(?<![\d.]){re.escape(n)}(?![\d]|\.\d)", hay)  # noqa: E731
        if _loose(alias) in hay or (numbers and all(whole(n) for n in numbers)) or _reordered(_loose(alias), hay):
            return True
    return False


def _reordered(alias: str, hay: str) -> bool:
    """The same characters in another order ('扭伤脚踝' as '脚踝扭伤')."""
    key, n = sorted(alias), len(alias)
    return n > 1 and any(sorted(hay[i:i + n]) == key for i in range(len(hay) - n + 1))


# ---------------------------------------------------------------- drawing passages

def _rng(seed: int, task: str, qid: object) -> random.Random:
    return random.Random(f"{seed}/{task}/{qid}")


def _integration_positives(groups: list[list[str]], count: int, rng: random.Random) -> list[str]:
    """The paper's way: one passage of each sub-answer's group first, then round-robin over the groups."""
    groups = [rng.sample(g, len(g)) for g in groups]
    docs: list[str] = []
    for depth in range(max((len(g) for g in groups), default=0)):
        docs += [g[depth] for g in groups if depth < len(g)]
    return docs[:count]


def draw_passages(item: dict, task: str, seed: int, n: int = PASSAGES) -> list[str]:
    """n passages for the task: round(n*noise) negatives, the rest positives, drawn and shuffled with a
    generator seeded by (seed, task, question id) so every question's draw is fixed and independent."""
    name, noise = TASKS[task]
    rng = _rng(seed, task, item["id"])
    if name == "zh_fact":  # the paper's counterfactual setting: the passages with the wrong fact
        wrong = item["positive_wrong"]
        docs = rng.sample(wrong, min(n, len(wrong)))
    else:
        negatives = round(n * (noise or 0.0))
        if name == "zh_int":
            positives = _integration_positives(item["positive"], n - negatives, rng)
        else:
            positives = rng.sample(item["positive"], min(n - negatives, len(item["positive"])))
        negatives = n - len(positives)
        docs = positives + rng.sample(item["negative"], min(negatives, len(item["negative"])))
    rng.shuffle(docs)
    return [d[:PASSAGE_CUT] for d in docs]


def as_passages(qid: object, texts: list[str]) -> list[Passage]:
    """Given passages as the pipeline's own objects; the id doubles as the title, as `rag index` would
    title a file of that name."""
    passages = []
    for i, text in enumerate(texts):
        doc_id = f"rgb-{qid}-{i}"
        chunk = Chunk(chunk_id=f"rgb#{qid}#{i}", doc_id=doc_id, title=doc_id, headings=[], text=text, start=0, end=len(text))
        passages.append(Passage(chunk=chunk, score=1.0 - i / 100))
    return passages


def stratified_sample(items: list[dict], n: int | None, seed: int) -> list[dict]:
    """n questions, stratified by answer shape (one element or several; with or without a figure) with
    proportional quotas, in a seeded random order so a run cut short is still a random sample."""
    rng = random.Random(f"{seed}/sample")
    strata: dict[tuple, list[dict]] = {}
    for item in items:
        elements = _elements(item["answer"])
        key = (len(elements) > 1, any(re.search(r"\d", a) for e in elements for a in e))
        strata.setdefault(key, []).append(item)
    n = min(n or len(items), len(items))
    chosen: list[dict] = []
    for key in sorted(strata):
        group = rng.sample(strata[key], len(strata[key]))
        chosen += group[: round(n * len(group) / len(items))]
    rest = [i for i in rng.sample(items, len(items)) if i not in chosen]
    chosen = (chosen + rest)[:n]
    return rng.sample(chosen, len(chosen))


# ---------------------------------------------------------------- scoring one answer

def _shown(question: str, passages: list[Passage], settings: Settings) -> str:
    """What the model actually read of the passages: the prompt trims each to `passage_chars`; a question
    of several parts is asked once per part, each prompt trimmed for its part (rag.pipeline)."""
    parts = split_parts(question) if settings.answer_parts else []
    if len(parts) >= 2:
        chars = settings.passage_chars * len(parts)
        return "\n".join(trim_passage(p.chunk.text, part, chars) for part in parts for p in passages)
    return "\n".join(trim_passage(p.chunk.text, question, settings.passage_chars) for p in passages)


def _new_figure(text: str, question: str) -> bool:
    """The answer states a number the question did not give (citation marks aside)."""
    numbers = set(re.findall(r"\d+(?:\.\d+)?", re.sub(r"\[\d+\]", "", text)))
    return bool(numbers - set(re.findall(r"\d+(?:\.\d+)?", question)))


def refused_by(row: dict) -> str:
    """Which step refused: the answerability check (before the LLM: no first token), the model itself (it
    wrote the refusal sentence), or a check after it withheld the model's answer: the binding check (its
    figures belong to another year, place or measure: a reason is given) or the citation check."""
    if not row.get("refused"):
        return ""
    if row.get("withheld"):
        return "binding check" if row.get("reason") else "citation check"
    return "answerability check" if row.get("first_token") is None else "model"


def failure_kind(row: dict, item: dict) -> str:
    """Why a question was missed, first cause first; from the stored row, so a report can re-derive it."""
    text, task = row.get("answer", ""), row["task"]
    if "error" in row:
        return "error"
    if task == "reject":
        return "" if row["refused"] else "answered with a figure" if _new_figure(text, item["query"]) else "answered"
    if task == "fact":
        return "" if row["detected"] else "took the false fact" if row["fake"] else "not detected"
    if row["correct"]:
        return ""
    if not row["answer_in_passages"]:
        return "retrieval" if task == "open" else "answer not in passages"
    if not row["answer_in_prompt"]:
        return "trimmed"
    if row["refused"]:
        return f"refusal ({refused_by(row)})"
    missing = [a for a, ok in zip(_elements(item["answer"]), row["matched"]) if not ok]
    if all(loosely_found(text, a) for a in missing):
        return "alias not matched"
    if any(row["matched"]):
        return "partial"
    return "wrong figure" if _new_figure(text, item["query"]) else "wrong answer"


def score(task: str, item: dict, answer: Answer, given: list[Passage], settings: Settings) -> dict:
    """A result row: flags, counts and the failure kind; the answer text goes in `answer` (local file only)."""
    matched = elements_found(answer.text, item["answer"])
    seen = " ".join(p.chunk.text for p in given)
    row = {
        "task": task, "id": item["id"], "refused": answer.refused, "withheld": bool(answer.withheld),
        "matched": matched, "passages_in_prompt": len(answer.passages),
        "answer_in_passages": all(elements_found(seen, item["answer"])),
        "answer_in_prompt": all(elements_found(_shown(item["query"], answer.passages, settings), item["answer"])),
        "first_token": answer.timings.get("first_token"), "total": answer.timings.get("total"),
        "reason": answer.reason, "answer": answer.text,
    }
    if task == "fact":
        row["fake"] = all(elements_found(answer.text, item["fakeanswer"]))
        row["detected"] = answer.refused or bool(_DETECTS_ERROR.search(answer.text))
    row["correct"] = None if task == "reject" else all(matched) if task == "fact" else all(matched) and not answer.refused
    return row | {"kind": failure_kind(row, item)}


# ---------------------------------------------------------------- running

def _ask(pipeline, task: str, item: dict, seed: int) -> dict:
    given = as_passages(item["id"], draw_passages(item, task, seed))
    answer = pipeline.ask(item["query"], passages=given)
    return score(task, item, answer, given, pipeline.settings)


def build_open_corpus(items: list[dict], folder: Path, seed: int) -> dict[str, dict]:
    """One .txt per distinct passage (not per question: a question's file would mix its positives and
    negatives into shared chunks, and recall could not say whether a positive passage was found). File
    names are a seeded shuffle of numbers, so neither the name nor the order tells which question or
    whether positive. Returns file stem -> {"positive": [qid...], "negative": [qid...]}."""
    texts: dict[str, dict] = {}
    for item in items:
        for kind in ("positive", "negative"):
            for text in item[kind]:
                texts.setdefault(text.strip(), {"positive": [], "negative": []})[kind].append(item["id"])
    folder.mkdir(parents=True, exist_ok=True)
    labels = {}
    for n, text in enumerate(_rng(seed, "open", "corpus").sample(sorted(texts), len(texts))):
        (folder / f"{n:05d}.txt").write_text(text + "\n", encoding="utf-8")
        labels[f"{n:05d}"] = texts[text]
    return labels


def prepare_open(pipeline, pool: list[dict], seed: int, work: Path):
    """Pool the passages into a corpus folder and index it with the product's own indexing (as
    `RAG_CORPUS_DIR=<work>/corpus RAG_INDEX_DIR=<work>/index rag index` would); reused on a rerun."""
    from rag.pipeline import QAPipeline

    labels_path = work / "labels.json"
    if labels_path.is_file():
        labels = json.loads(labels_path.read_text(encoding="utf-8"))
    else:
        labels = build_open_corpus(pool, work / "corpus", seed)
        labels_path.write_text(json.dumps(labels), encoding="utf-8")
    settings = pipeline.settings.with_overrides(corpus_dir=work / "corpus", index_dir=work / "index")
    open_pipe = QAPipeline(settings, embedder=pipeline.embedder, generator=pipeline.generator)
    report = open_pipe.index()
    print(f"开放检索语料：{len(labels)} 段，{report.chunks} 个片段，索引用时 {report.seconds:.0f} 秒", file=sys.stderr)
    return open_pipe, labels, report


def _ask_open(open_pipe, labels: dict[str, dict], item: dict, k: int = 5) -> dict:
    answer = open_pipe.ask(item["query"])
    ranked = open_pipe.retriever.search(item["query"], k=k)
    positive = {stem for stem, lab in labels.items() if item["id"] in lab["positive"]}
    row = score("open", item, answer, answer.passages, open_pipe.settings)
    return row | {"recall_at_5": any(p.chunk.doc_id in positive for p in ranked),
                  "positive_in_prompt": any(p.chunk.doc_id in positive for p in answer.passages)}


def load_rows(path: Path, seed: int) -> list[dict]:
    if not path.is_file():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r.get("seed") == seed]


def open_pool(items: list[dict], n: int | None, size: int, seed: int) -> list[dict]:
    """The questions whose passages make the corpus: the asked ones, then others in seeded order up to `size`."""
    asked = stratified_sample(items, n, seed)
    ids = {i["id"] for i in asked}
    rest = [i for i in stratified_sample(items, None, seed) if i["id"] not in ids]
    return asked + rest[: max(0, size - len(asked))]


def _pending(task: str, folder: Path, n: int | None, seed: int, done: set, first: int | None = None):
    """(all items, the not-yet-done ones among the first `first` of the task's n-question sample)."""
    items = load_rgb(folder, TASKS[task][0])
    chosen = stratified_sample(items, n, seed)[:first]
    return items, [i for i in chosen if (task, i["id"]) not in done]


def run_tasks(args, pipeline, results: Path) -> int:
    """Ask every pending question of every task, appending each row as it comes; stop starting new
    questions after --max-minutes. Returns how many were asked."""
    from tqdm import tqdm

    deadline = time.monotonic() + args.max_minutes * 60
    asked = 0
    for task, first in args.tasks:
        done = {(r["task"], r["id"]) for r in load_rows(results, args.seed)}  # "t:30" then "t" must not repeat
        items, pending = _pending(task, args.data, args.n, args.seed, done, first)
        if not pending or time.monotonic() > deadline:
            continue
        ask = lambda item: _ask(pipeline, task, item, args.seed)  # noqa: E731
        if task == "open":
            pool = open_pool(items, args.n, args.open_pool, args.seed)
            work = args.work or Path(tempfile.gettempdir()) / f"rag-rgb-open-{args.seed}-{len(pool)}"
            open_pipe, labels, _ = prepare_open(pipeline, pool, args.seed, work)
            ask = lambda item: _ask_open(open_pipe, labels, item)  # noqa: E731
        asked += _run_one_task(task, pending, ask, results, args.seed, deadline, tqdm)
    return asked


def _run_one_task(task, pending, ask, results: Path, seed: int, deadline: float, tqdm) -> int:
    asked, correct = 0, 0
    bar = tqdm(pending, desc=f"RGB {task}", unit="题", dynamic_ncols=True)
    with results.open("a", encoding="utf-8") as out:
        for item in bar:
            if time.monotonic() > deadline:
                bar.write(f"已到 --max-minutes，停在 {task}；再次运行会从这里继续。")
                break
            started = time.perf_counter()
            try:
                row = ask(item)
            except RagError as exc:
                row = {"task": task, "id": item["id"], "error": str(exc), "correct": False}
            row |= {"seed": seed, "seconds": round(time.perf_counter() - started, 2)}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
            asked += 1
            correct += bool(row.get("refused") if task == "reject" else row.get("correct"))
            bar.set_postfix(ok=f"{correct}/{asked}")
    return asked


# ---------------------------------------------------------------- report

def _pct(rows: list[dict], key: str) -> float | None:
    return round(100 * sum(bool(r.get(key)) for r in rows) / len(rows), 2) if rows else None


def summarize(task: str, rows: list[dict]) -> dict:
    """Percentages over the questions that ran (an error counts as wrong), the failure kinds, timings."""
    ok = [r for r in rows if "error" not in r]
    totals = sorted(r["total"] for r in ok if r.get("total") is not None)
    main = "refused" if task == "reject" else "correct"
    return {
        "n": len(rows), "errors": len(rows) - len(ok), "score": _pct(rows, main), "metric": main,
        "refused": _pct(ok, "refused"), "answer_in_prompt": _pct(ok, "answer_in_prompt"),
        "detected": _pct(ok, "detected") if task == "fact" else None,
        "fake": _pct(ok, "fake") if task == "fact" else None,
        "recall_at_5": _pct(ok, "recall_at_5") if task == "open" else None,
        "positive_in_prompt": _pct(ok, "positive_in_prompt") if task == "open" else None,
        "kinds": dict(Counter(r["kind"] for r in ok if r.get("kind")).most_common()),
        "refused_by": dict(Counter(refused_by(r) for r in ok if r.get("refused")).most_common()),
        "total_p50": totals[len(totals) // 2] if totals else None,
        "seconds": round(sum(r.get("seconds", 0) for r in rows), 1),
        "paper": PAPER.get(task, {}),
    }


def frame_gap(question: str, answer_text: str, passages: list[str]) -> list[str]:
    """Numbers the question names (a year, a count) that none of the passages the answer cites contains:
    the answer then rests on a passage about another year or event. A refusal rule under study, not
    applied by the product: `what_if` counts what it would change."""
    cited = [int(n) for n in re.findall(r"\[(\d+)\]", answer_text) if 1 <= int(n) <= len(passages)]
    text = " ".join(passages[n - 1] for n in sorted(set(cited))) if cited else " ".join(passages)
    found = set(re.findall(r"\d+(?:\.\d+)?", text))
    return [n for n in re.findall(r"\d+(?:\.\d+)?", question) if n not in found]


def what_if(rows: list[dict], folder: Path, seed: int) -> dict:
    """Per task: answers the frame rule would turn into refusals, split into right ones (a wrong answer
    or an answered rejection) and costly ones (a correct answer lost). Given-passage tasks only."""
    items = {name: {i["id"]: i for i in load_rgb(folder, name)} for name in ("zh_refine", "zh_int", "zh_fact")}
    out: dict[str, dict] = {}
    for row in rows:
        if row["task"] == "open" or "error" in row or row.get("refused"):
            continue
        item = items[TASKS[row["task"]][0]][row["id"]]
        if not frame_gap(item["query"], row.get("answer", ""), draw_passages(item, row["task"], seed)):
            continue
        stats = out.setdefault(row["task"], {"would_refuse": 0, "correct_lost": 0})
        stats["would_refuse"] += 1
        stats["correct_lost"] += bool(row.get("correct"))
    return out


def build_report(rows: list[dict], meta: dict) -> dict:
    """report.json: meta, one summary per task, and per question only ids, flags and the failure kind."""
    tasks = [t for t in TASKS if any(r["task"] == t for r in rows)]
    keep = ("task", "id", "correct", "refused", "withheld", "matched", "answer_in_passages", "answer_in_prompt",
            "passages_in_prompt", "detected", "fake", "recall_at_5", "positive_in_prompt", "kind", "error", "total")
    return {"meta": meta, "tasks": {t: summarize(t, [r for r in rows if r["task"] == t]) for t in tasks},
            "questions": [{k: r[k] for k in keep if k in r} | ({"refused_by": refused_by(r)} if r.get("refused") else {})
                          for r in rows]}


def _chart_report(report: dict) -> dict:
    """The shape rag.eval_report.plot_by_type draws: one bar group per task."""
    groups = {}
    for task, s in report["tasks"].items():
        frac = lambda v: None if v is None else v / 100  # noqa: E731
        groups[task] = {"n": s["n"], "recall_at_k": frac(s["recall_at_5"]),
                        "accuracy": None if task == "reject" else frac(s["score"]),
                        "refusal_accuracy": frac(s["score"]) if task == "reject" else frac(s["detected"]) if task == "fact" else frac(100 - s["refused"]) if s["refused"] is not None else None,
                        "faithfulness": None, "citation_precision": None, "citation_recall": None}
    return {"meta": {"k": 5, "questions": sum(s["n"] for s in report["tasks"].values())}, "by_type": groups}


def _fmt(v: object) -> str:
    return "—" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)


def report_markdown(report: dict, chart: str = "") -> str:
    m = report["meta"]
    lines = [
        "# RGB（中文）评测报告", "",
        f"数据 `{m['data']}`（CC BY-NC-SA，运行时读取，本报告只含题号与统计）；seed {m['seed']}；每题 {PASSAGES} 段资料，"
        f"每段截到 {PASSAGE_CUT} 字；提示词再把每段修剪到约 passage_chars={m['settings']['passage_chars']} 字。",
        f"LLM `{m['settings']['llm']}`，向量模型 `{m['settings']['embedder']}`，top_k={m['settings']['top_k']}，"
        f"n_threads={m['settings']['n_threads']}；{m['machine']}（2 核，与其他任务共用）。", "",
        "| task | n | ours % | metric | refused % | answer shown to the model % | Qwen-7B-Chat | ChatGPT | failure kinds | p50 s/question | run s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for task, s in report["tasks"].items():
        kinds = "; ".join(f"{k} {v}" for k, v in s["kinds"].items()) or "—"
        extra = {"fact": f" (detected {_fmt(s['detected'])}, fake {_fmt(s['fake'])})",
                 "open": f" (recall@5 {_fmt(s['recall_at_5'])}, positive in prompt {_fmt(s['positive_in_prompt'])})"}.get(task, "")
        by = ", ".join(f"{k} {v}" for k, v in s.get("refused_by", {}).items())
        lines.append(f"| {task} | {s['n']} | {_fmt(s['score'])}{extra} | {s['metric']} | {_fmt(s['refused'])}{f' ({by})' if by else ''} | "
                     f"{_fmt(s['answer_in_prompt'])} | {_fmt(s['paper'].get('Qwen-7B-Chat'))} | {_fmt(s['paper'].get('ChatGPT'))} | "
                     f"{kinds} | {_fmt(s['total_p50'])} | {_fmt(s['seconds'])} |")
    if chart:
        lines += ["", f"![RGB by task]({chart})"]
    lines += ["", "## Runs", "", *[f"- {r['started']} `{r['command']}`: {r['asked']} questions in {r['seconds']:.0f} s"
                                    for r in m.get("runs", [])]]
    if m.get("what_if_frame_rule"):
        lines += ["", "## What if: refuse when the cited passages lack a number the question names", "",
                  "| task | answers it would refuse | of them correct (lost) |", "| --- | --- | --- |"]
        lines += [f"| {t} | {w['would_refuse']} | {w['correct_lost']} |" for t, w in m["what_if_frame_rule"].items()]
    lines += ["", "## Misses (ids only)", ""]
    for task in report["tasks"]:
        misses = [q for q in report["questions"] if q["task"] == task and q.get("kind")]
        by_kind: dict[str, list] = {}
        for q in misses:
            by_kind.setdefault(q["kind"], []).append(str(q["id"]))
        lines += [f"- **{task}** {kind}: {', '.join(ids)}" for kind, ids in by_kind.items()]
    return "\n".join(lines) + "\n"


def write_report(rows: list[dict], meta: dict, out: Path) -> list[Path]:
    from rag.eval_report import plot_by_type

    report = build_report(rows, meta)
    paths = [out / "report.json", out / "report.md", out / "rgb_by_task.png"]
    paths[0].write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    if report["tasks"]:
        plot_by_type(_chart_report(report), paths[2], title=f"RGB (Chinese) through the pipeline, seed {meta['seed']}")
    paths[1].write_text(report_markdown(report, paths[2].name if report["tasks"] else ""), encoding="utf-8")
    return paths


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m eval.rgb", description="RGB 中文基准（噪声、拒答、整合、反事实、开放检索）")
    p.add_argument("--tasks", default="noise0.4,reject,noise0,int0",
                   help=f"逗号分隔，可选：{', '.join(TASKS)}；写成 int0:50 表示只跑样本的前 50 题")
    p.add_argument("--n", type=int, default=100, help="每项任务按答案形态分层抽取的题数（默认 100；0 = 全部）")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--data", type=Path, default=None, help=f"RGB 数据目录（默认 ${DATA_ENV} 或 {DEFAULT_DATA}）")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="结果与报告目录（默认 eval/reports/rgb）")
    p.add_argument("--max-minutes", type=float, default=14.0, help="到时不再开始新题（可续跑）")
    p.add_argument("--open-pool", type=int, default=300, help="开放检索：把多少题的全部资料放进语料（默认全部 300 题）")
    p.add_argument("--work", type=Path, default=None, help="开放检索的语料与索引目录（默认系统临时目录）")
    p.add_argument("--report-only", action="store_true", help="不提问，只从已有结果重写报告")
    args = p.parse_args(argv)
    # "int0:50" = the first 50 of int0's n-question sample (a random part of it); a later "int0" adds the rest
    args.tasks = [(t.split(":")[0].strip(), int(t.split(":")[1]) if ":" in t else None) for t in args.tasks.split(",") if t.strip()]
    unknown = [t for t, _ in args.tasks if t not in TASKS]
    if unknown:
        p.error(f"未知任务 {unknown}；可选：{', '.join(TASKS)}")
    args.data, args.n = data_dir(args.data), (args.n or None)
    return args


def main(argv: list[str] | None = None) -> int:
    from rag.pipeline import QAPipeline

    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results, runs_path = args.out / "results.jsonl", args.out / "runs.jsonl"
    settings = load_settings()
    started, started_at, asked = time.perf_counter(), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), 0
    try:
        for name in {TASKS[t][0] for t, _ in args.tasks}:
            load_rgb(args.data, name)  # fail before loading any model
        if not args.report_only:
            asked = run_tasks(args, QAPipeline(settings), results)
    except RagError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    if asked:
        run = {"started": started_at, "command": "python -m eval.rgb " + " ".join(sys.argv[1:] if argv is None else argv),
               "asked": asked, "seconds": round(time.perf_counter() - started, 1), "seed": args.seed}
        with runs_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(run, ensure_ascii=False) + "\n")
    runs = load_rows(runs_path, args.seed)
    meta = {"data": str(args.data), "seed": args.seed, "runs": runs, "settings": _settings_dict(settings),
            "machine": f"{platform.machine()} {platform.system()}, python {platform.python_version()}"}
    rows = load_rows(results, args.seed)
    items = {name: {i["id"]: i for i in load_rgb(args.data, name)} for name in ("zh_refine", "zh_int", "zh_fact")}
    rows = [r | {"kind": failure_kind(r, items[TASKS[r["task"]][0]][r["id"]])} for r in rows]
    meta["what_if_frame_rule"] = what_if(rows, args.data, args.seed)
    paths = write_report(rows, meta, args.out)
    print("报告：" + "，".join(str(p) for p in paths))
    return 0


def _settings_dict(settings: Settings) -> dict:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(settings).items()}


if __name__ == "__main__":
    sys.exit(main())

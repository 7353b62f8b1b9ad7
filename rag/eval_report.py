"""An evaluation report dict -> report.json, a readable report.md (totals, per type, per batch, per
question), a PNG chart by question type, and the one-screen summary `rag eval` prints."""

from __future__ import annotations

import json
from pathlib import Path

# (key in the aggregate, label in report.md / the summary, label on the chart)
METRICS = [
    ("recall_at_k", "检索召回 recall@{k}", "recall@{k}"),
    ("mrr", "MRR", "MRR"),
    ("accuracy", "答案准确率", "accuracy"),
    ("keyword_recall", "关键词召回", "keyword recall"),
    ("refusal_accuracy", "拒答准确率", "refusal acc."),
    ("faithfulness", "忠实度", "faithfulness"),
    ("citation_precision", "引用精确率", "citation P"),
    ("citation_recall", "引用召回率", "citation R"),
]
# refusal columns beside METRICS in the per-type and per-batch tables
REFUSAL_COLUMNS = [("unanswerable_refused", "unans. refused"), ("answerable_refused", "ans. refused")]
# (key, header) of the summary's per-type / per-batch rows
SUMMARY_COLUMNS = [("accuracy", "准确"), ("recall_at_k", "召回"), ("faithfulness", "忠实"), ("citation_precision", "引P"),
                   ("citation_recall", "引R"), ("unanswerable_refused", "拒答"), ("answerable_refused", "误拒")]
# counts beside the means: answers that state a figure absent from the passages they cite (target 0)
COUNT_COLUMNS = [("figures_not_in_cited", "figures ∉ cited")]
CHART_METRICS = ["recall_at_k", "accuracy", "refusal_accuracy", "faithfulness", "citation_precision", "citation_recall"]


def _fmt(value: object, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _cell(text: object, limit: int = 80) -> str:
    text = str(text or "").replace("\n", " ").replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _overall_table(report: dict) -> list[str]:
    k, o = report["meta"]["k"], report["overall"]
    lines = ["| 指标 | 数值 |", "| --- | --- |"]
    lines += [f"| {label.format(k=k)} (`{key}`) | {_fmt(o[key])} |" for key, label, _ in METRICS]
    lines += [
        f"| 无法回答题的拒答率 (`unanswerable_refused`) | {_fmt(o['unanswerable_refused'])} |",
        f"| 可回答题的误拒率 (`answerable_refused`) | {_fmt(o['answerable_refused'])} |",
        f"| 陈述了所引段落中没有的数字的回答数（目标 0）(`figures_not_in_cited`) | {_fmt(o.get('figures_not_in_cited'))} |",
        f"| 摘录延迟 p50 (s) | {_fmt(o.get('excerpt_p50'), 2)} |",
        f"| 首字延迟 p50 / p95 (s) | {_fmt(o['first_token_p50'], 2)} / {_fmt(o['first_token_p95'], 2)} |",
        f"| 总延迟 p50 / p95 (s) | {_fmt(o['total_p50'], 2)} / {_fmt(o['total_p95'], 2)} |",
        f"| 题数 / 出错 | {o['n']} / {o['errors']} |",
    ]
    return lines


def _group_table(groups: dict[str, dict], label: str, k: int) -> list[str]:
    """One row per group (question type or batch): the metrics, the refusal rates, latency."""
    extra = REFUSAL_COLUMNS + COUNT_COLUMNS
    keys = ["n"] + [key for key, _, _ in METRICS] + [key for key, _ in extra] + ["total_p50"]
    head = [label, "n"] + [chart.format(k=k) for _, _, chart in METRICS] + [h for _, h in extra] + ["total p50 (s)"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for name, agg in groups.items():
        lines.append(f"| {name} | " + " | ".join(_fmt(agg.get(key), 2) for key in keys) + " |")
    return lines


def _question_table(report: dict) -> list[str]:
    lines = [
        "| id | 类型 | 正确 | 拒答 | recall | 忠实度 | 引用 P/R | 所引段落中没有的数字 | 总用时 (s) | 回答 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in report["questions"]:
        answer = r.get("error") or r.get("answer")
        cites = f"{_fmt(r.get('citation_precision'), 2)}/{_fmt(r.get('citation_recall'), 2)}"
        lines.append(
            f"| {r['id']} | {r['type']} | {_fmt(r.get('correct'))} | {_fmt(r.get('refused'))} | "
            f"{_fmt(r.get('recall_at_k'), 2)} | {_fmt(r.get('faithfulness'), 2)} | {cites} | "
            f"{'、'.join(r.get('figures_not_in_cited') or []) or '—'} | {_fmt(r.get('total'), 1)} | {_cell(answer)} |"
        )
    return lines


def _failures(report: dict) -> list[str]:
    """Wrong answers and unsupported claims, with what was missing: where to look first."""
    lines = []
    for r in report["questions"]:
        notes = []
        if r.get("correct") is False:
            notes.append(f"缺少关键词：{'、'.join(r.get('missing_keywords') or []) or '—'}；拒答：{_fmt(r.get('refused'))}")
        if r.get("figures_not_in_cited"):
            notes.append(f"所引段落中没有的数字：{'、'.join(r['figures_not_in_cited'])}")
        for c in r.get("claims", []):
            if not c["supported"]:
                notes.append(f"未被支持的陈述：{_cell(c['text'], 120)}（缺：{'、'.join(c['missing']) or '—'}；相似度 {c['similarity']:.3f}）")
        if notes:
            lines.append(f"- **{r['id']}** {r['question']}  \n  参考答案：{_cell(r.get('gold'), 160)}  \n  回答：{_cell(r.get('answer') or r.get('error'), 200)}")
            lines += [f"  - {n}" for n in notes]
    return lines or ["（无）"]


def _corpus_line(meta: dict) -> str:
    """Which corpus and index version answered the set (reports written before sets named a corpus have none)."""
    if not meta.get("corpus"):
        return ""
    return (f"语料 `{meta['corpus']}`（{meta.get('corpus_dir', '')}），索引 `{meta.get('index_dir', '')}` "
            f"版本 `{meta.get('index_version') or '—'}`。")


def report_markdown(report: dict, chart_name: str = "") -> str:
    m = report["meta"]
    s = m["settings"]
    lines = [
        "# 评测报告",
        "",
        f"评测集 `{m['set']}`，{m['questions']} 题，k={m['k']}，忠实度阈值：相似度 {m['threshold']}、词覆盖 {m.get('min_coverage', '—')}；开始于 {m['started']}，"
        f"用时 {m['seconds']:.0f} 秒（模型与索引加载另计 {m['load_seconds']:.0f} 秒）。",
        f"模型：LLM `{s['llm']}`，向量模型 `{s['embedder']}`；top_k={s['top_k']}，n_threads={s['n_threads']}，"
        f"索引 {m['index_chunks']} 个片段；{m['machine']}。指标定义见 `eval/README.md`。",
        _corpus_line(m),
        "",
        "## 总体",
        "",
        *_overall_table(report),
        "",
        "## 按题型",
        "",
        *_group_table(report["by_type"], "类型", m["k"]),
        "",
    ]
    if report.get("by_batch"):  # reports written before batches existed have none
        lines += ["## 按批次", "", "原始题（`original`）与后加的题（如 `hard`）分开统计。", "",
                  *_group_table(report["by_batch"], "批次", m["k"]), ""]
    if chart_name:
        lines += [f"![metrics by type]({chart_name})", ""]
    lines += ["## 逐题", "", *_question_table(report), "", "## 错误与未被支持的陈述", "", *_failures(report), ""]
    return "\n".join(lines)


def plot_by_type(report: dict, path: Path, title: str = "") -> None:
    """Grouped bars, one group per question type (and "overall" when the report has one); labels in
    English since the default font has no CJK."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    k = report["meta"]["k"]
    overall = ["overall"] if "overall" in report else []
    groups = [*overall, *report["by_type"]]
    aggs = [report[g] for g in overall] + list(report["by_type"].values())
    labels = {key: chart.format(k=k) for key, _, chart in METRICS}
    width = 0.8 / len(CHART_METRICS)
    fig, ax = plt.subplots(figsize=(max(8, 1.3 * len(groups)), 4.5))
    x = np.arange(len(groups))
    for i, key in enumerate(CHART_METRICS):
        # a zero shows as a thin line, a metric that does not apply as no bar at all
        values = [np.nan if a[key] is None else max(a[key], 0.01) for a in aggs]
        ax.bar(x + (i - (len(CHART_METRICS) - 1) / 2) * width, values, width, label=labels[key])
    ax.set_xticks(x, [f"{g}\n(n={a['n']})" for g, a in zip(groups, aggs)], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score (no bar: not applicable)")
    ax.set_title(title or f"RAG evaluation by question type ({report['meta']['questions']} questions)")
    ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_reports(report: dict, out_dir: Path) -> list[Path]:
    """report.json (everything), report.md (readable), metrics_by_type.png; returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "report.json", out_dir / "report.md", out_dir / "metrics_by_type.png"]
    paths[0].write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    plot_by_type(report, paths[2])
    paths[1].write_text(report_markdown(report, paths[2].name), encoding="utf-8")
    return paths


def summary_text(report: dict) -> str:
    """What `rag eval` prints at the end: fits on one screen."""
    m, o = report["meta"], report["overall"]
    lines = [
        f"评测集 {m['set']}：{m['questions']} 题，用时 {m['seconds'] / 60:.1f} 分钟" + (f"，出错 {o['errors']} 题" if o["errors"] else ""),
        _corpus_line(m),
        f"检索    recall@{m['k']} {_fmt(o['recall_at_k'])}   MRR {_fmt(o['mrr'])}",
        f"答案    准确率 {_fmt(o['accuracy'])}   关键词召回 {_fmt(o['keyword_recall'])}",
        f"拒答    准确率 {_fmt(o['refusal_accuracy'])}   无法回答题拒答率 {_fmt(o['unanswerable_refused'])}   可回答题误拒率 {_fmt(o['answerable_refused'])}",
        f"忠实度  {_fmt(o['faithfulness'])}   引用精确率 {_fmt(o['citation_precision'])}   引用召回率 {_fmt(o['citation_recall'])}"
        f"   所引段落中没有的数字 {_fmt(o.get('figures_not_in_cited'))} 个回答",
        f"延迟    首字 p50 {_fmt(o['first_token_p50'], 2)}s / p95 {_fmt(o['first_token_p95'], 2)}s   总计 p50 {_fmt(o['total_p50'], 2)}s / p95 {_fmt(o['total_p95'], 2)}s",
    ]
    lines += _summary_rows(report["by_type"], "题型")
    if report.get("by_batch"):
        lines += _summary_rows(report["by_batch"], "批次")
    return "\n".join(lines)


# rows of the side-by-side table of several sets: (key in "overall", label)
SIDE_BY_SIDE = [("n", "题数"), ("accuracy", "答案准确率"), ("keyword_recall", "关键词召回"), ("recall_at_k", "检索召回"),
                ("mrr", "MRR"), ("refusal_accuracy", "拒答准确率"), ("unanswerable_refused", "无法回答题拒答率"),
                ("answerable_refused", "可回答题误拒率"), ("faithfulness", "忠实度"), ("citation_precision", "引用精确率"),
                ("citation_recall", "引用召回率"), ("figures_not_in_cited", "所引段落中没有数字的回答"),
                ("total_p50", "总延迟 p50 (s)"), ("errors", "出错")]


def side_by_side(reports: dict[str, dict]) -> str:
    """The overall figures of several sets in one table, one column per set (name: its corpus and index)."""
    names = list(reports)
    lines = [f"{'':<22}" + "".join(f"{n:>18}" for n in names)]
    for key, label in SIDE_BY_SIDE:
        lines.append(f"{label:<20}" + "".join(f"{_fmt(reports[n]['overall'].get(key), 3):>18}" for n in names))
    lines += [f"{n}：{_corpus_line(reports[n]['meta'])}" for n in names]
    return "\n".join(lines)


def _summary_rows(groups: dict[str, dict], label: str) -> list[str]:
    head = f"{label:<16}{'n':>4}" + "".join(f"{h:>7}" for _, h in SUMMARY_COLUMNS)
    rows = [f"{name:<18}{a['n']:>4}" + "".join(f"{_fmt(a.get(key), 2):>9}" for key, _ in SUMMARY_COLUMNS)
            for name, a in groups.items()]
    return ["", head, *rows]

"""`rag` command line: index, ask, facts, serve, models, eval. No logic of its own beyond printing."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from rag.config import load_settings
from rag.errors import RagError
from rag.excerpt import renumber


RELATED = "检索到的相关原文（不一定回答了问题）"


def _excerpt(excerpt, label: str = "原文摘录") -> str:
    where = f" {excerpt.heading_path}" if excerpt.heading_path else ""
    number = f" [{excerpt.number}]" if excerpt.number else ""
    return f"{label}{number} 《{excerpt.title}》{where}：\n    {excerpt.text}"


def _print_answer(answer, with_text: bool = True) -> None:
    """with_text=False: the excerpt and the text were streamed already. The excerpt of a refused or withheld
    answer is only what was retrieved: it is relabelled, or disowned once printed, never shown as the answer."""
    excerpt = answer.excerpt and renumber(answer.excerpt, answer.passages)
    if with_text:
        if excerpt and not answer.refused:
            print(_excerpt(excerpt) + "\n\n回答：")
        print(answer.text)
        if excerpt and answer.refused:
            print("\n" + _excerpt(excerpt, RELATED))
    else:
        if answer.withheld:
            print(f"（上面的回答中有数字在检索到的资料里找不到，无法核实，不予采信：{answer.text}。）")
        if answer.excerpt and answer.refused:
            print("（上面的原文摘录只是检索到的相关原文，不一定回答了问题。）")
    if answer.understanding:
        print(f"\n（问题理解：{answer.understanding}）")
    for sub in answer.sub_questions:
        print(f"（分步：{sub}）")
    if answer.reason and answer.reason not in answer.text:
        print(f"（说明：{answer.reason}）")
    if answer.invalid_citations:
        print(f"\n（已移除无效引用：{', '.join(f'[{n}]' for n in answer.invalid_citations)}）")
    unsupported = [c for c in answer.claims if not c.supported]
    for claim in unsupported:
        print(f"（待核实：{claim.text} —— {claim.reason}）")
    if answer.citations:
        print("\n来源：")
        for c in answer.citations:
            page = f" 第 {c.page} 页" if c.page else ""
            print(f"[{c.number}] 《{c.title}》{page} {c.heading_path}\n    “{c.quote}”")
    timing = "，".join(f"{k} {v:.2f}s" for k, v in answer.timings.items())
    print(f"\n（用时：{timing}）", file=sys.stderr)


def cmd_index(args, settings) -> int:
    from rag.pipeline import QAPipeline

    if args.dir:
        settings = settings.with_overrides(corpus_dir=Path(args.dir))
    report = QAPipeline(settings).index(rebuild=args.rebuild)
    print(
        f"索引完成：新增 {len(report.added)}，更新 {len(report.updated)}，删除 {len(report.removed)}，"
        f"未变 {len(report.unchanged)}，跳过 {len(report.skipped)}；共 {report.chunks} 个片段，用时 {report.seconds:.1f} 秒"
        + ("" if report.written else "（索引无变化，未重写）")
    )
    for name, reason in report.skipped:
        print(f"  跳过 {name}：{reason}")
    return 0


def cmd_ask(args, settings) -> int:
    from rag.llm import local_model
    from rag.pipeline import QAPipeline

    if settings.llm_backend != "openai":
        local_model(settings)  # a wrong model path is said before any answer, even one built without the model
    pipeline = QAPipeline(settings)
    pipeline.ensure_index()
    streamed = ""
    for event in pipeline.stream(args.question, doc_ids=args.doc or None):
        if event.kind == "excerpt" and event.excerpt and args.stream:
            print(_excerpt(event.excerpt) + "\n\n回答：", flush=True)
        elif event.kind == "token" and args.stream:
            streamed += event.text
            print(event.text, end="", flush=True)
        elif event.kind == "answer":
            if args.stream:
                print()
            # the checked answer differs from the stream when citations were repaired, figures compared in
            # code or the answer withheld: show what was checked
            if args.stream and event.answer.text.strip() != streamed.strip():
                print(f"\n核对后的回答：\n{event.answer.text}")
            _print_answer(event.answer, with_text=not args.stream)
    return 0


def cmd_serve(args, settings) -> int:
    from rag.app_ui import launch

    launch(settings, host=args.host, port=args.port)
    return 0


def cmd_models(args, settings) -> int:
    from rag.assets import install_models

    for path in install_models(settings.llm, settings.embedder, settings.cache_dir):
        print(f"模型就绪：{path}")
    return 0


def cmd_eval(args, settings) -> int:
    from rag.eval_report import side_by_side, summary_text, write_reports
    from rag.evaluation import default_out_dir, evaluate, load_set, select_batch, sets_to_run, settings_for_set, stratified_subset

    qsets, notes = sets_to_run(args.set, args.batch)
    for note in notes:
        print(note, file=sys.stderr)
    out = Path(args.out) if args.out else default_out_dir()
    reports = {}
    for qset in qsets:
        items = stratified_subset(select_batch(load_set(qset.path), args.batch), args.subset)
        print(f"评测集 {qset.path}：{len(items)} 题", file=sys.stderr)
        report = evaluate(settings_for_set(settings, qset), items, k=args.k, set_path=str(qset.path), corpus=qset.corpus)
        paths = write_reports(report, out if len(qsets) == 1 else out / qset.name)
        print(summary_text(report))
        print("\n报告：" + "，".join(str(p) for p in paths) + "\n")
        reports[qset.name] = report
    if len(reports) > 1:
        print(side_by_side(reports))
    return 0


def cmd_facts(args, settings) -> int:
    from rag.derived import figure_index
    from rag.facts import BROWSE_MIN_SCORE, figure_rows, rows_csv

    index = figure_index(settings, embed=not args.lexical)
    found = index.search(args.measure, places=args.place or None, years=args.year or None, k=0, min_score=BROWSE_MIN_SCORE)
    rows = figure_rows(found)
    if not rows:
        near = "、".join(m for m, _, _ in index.measures(args.measure, k=5))
        print(f"文档中没有“{args.measure}”的数据。" + (f"相近的指标：{near}" if near else ""))
        return 1
    for r in rows:
        page = f" 第{r['页码']}页" if r["页码"] != "" else ""
        print(f"{r['指标']} | {r['地区']} | {r['年份']} | {r['类型']} | {r['数值']} | 《{r['文件']}》{page} {r['章节']}\n    “{r['原文']}”")
    if args.csv:
        Path(args.csv).write_text(rows_csv(rows), encoding="utf-8-sig")
        print(f"\n已写入 {args.csv}（{len(rows)} 行）")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="政策文件问答（离线）")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("index", help="建立或增量更新索引")
    p.add_argument("dir", nargs="?", help="文档目录（默认 seeds/）")
    p.add_argument("--rebuild", action="store_true", help="忽略已有索引，全部重建")
    p.set_defaults(func=cmd_index)
    p = sub.add_parser("ask", help="提问")
    p.add_argument("question")
    p.add_argument("--doc", action="append", help="只在指定文档 id 中检索（可重复）")
    p.add_argument("--no-stream", dest="stream", action="store_false")
    p.set_defaults(func=cmd_ask)
    p = sub.add_parser("serve", help="启动网页界面")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("models", help="从软件包仓库组装默认模型（仅安装时需要网络）")
    p.set_defaults(func=cmd_models)
    p = sub.add_parser("facts", help="查指标：每个地区×年份×类型的数值及出处")
    p.add_argument("measure", help="指标名，如 城镇化率、研发经费投入")
    p.add_argument("--place", action="append", help="只看某地（可重复）")
    p.add_argument("--year", action="append", type=int, help="只看某年（可重复）")
    p.add_argument("--csv", help="另存为 CSV 文件")
    p.add_argument("--lexical", action="store_true", help="只按字面与同义词匹配（不加载向量模型）")
    p.set_defaults(func=cmd_facts)
    p = sub.add_parser("eval", help="离线评测：检索、答案、拒答、忠实度、引用与延迟")
    p.add_argument("--set", help="JSONL 评测集（默认：eval/sets.toml 中语料在场的全部评测集，并排对比）")
    p.add_argument("--subset", type=int, help="按题型分层抽取 N 题（确定性）")
    p.add_argument("--batch", help="只评测某一批次的题（如 original、hard；默认全部）")
    p.add_argument("--out", help="报告目录（默认 eval/reports/<时间戳>）")
    p.add_argument("--k", type=int, default=5, help="计算 recall@k 与 MRR 的 k（默认 5）")
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args, load_settings())
    except RagError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

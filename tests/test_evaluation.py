"""Evaluation metrics and the whole `evaluate()` run, with a hashing embedder and a scripted generator."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from rag.cleaning import clean_text
from rag.chunking import chunk_document
from rag.cli import build_parser
from rag.config import PROJECT_ROOT
from rag.errors import InputError
from rag.eval_report import summary_text, write_reports
from rag.evaluation import (
    DEFAULT_SET,
    EvalItem,
    EvidenceLocator,
    aggregate,
    answer_scores,
    chunk_covers,
    evaluate,
    figures_not_in_cited,
    keyword_found,
    load_set,
    project_path,
    question_sets,
    retrieval_scores,
    select_batch,
    sets_to_run,
    settings_for_set,
    stratified_subset,
)
from rag.facts import FigureIndex
from rag.pipeline import QAPipeline
from rag.prompting import REFUSAL
from rag.types import Answer, Document, Passage
from tests.conftest import HashEmbedder
from tests.test_faithfulness import HashEncoder

GAOMI = """高密市国民经济和社会发展第十四个五年规划
第一章 发展基础
“十三五”时期，全市地区生产总值跨上新台阶,达510.3 亿元，年均增长5.6%。
城乡居民人均可支配收入分别达到4.3万元和2.2万元。
第二章 主要指标
| 指标 | 2020年 | 2025年 |
| 森林覆盖率(%) | 10.97 | 11 |
| 粮食产量(万吨) | 143 | 140 |
"""
PINGDU = """平度市国民经济和社会发展第十四个五年规划
第一章 发展基础
全市生产总值达到 715.7 亿元, 年均增长 5%。
第二章 产业
重点发展智能家电、食品饮料和新材料产业。
"""


def _doc(doc_id: str, raw: str) -> Document:
    return Document(doc_id, doc_id, f"{doc_id}.txt", clean_text(raw), "0", "utf-8")


def _items() -> list[EvalItem]:
    return [
        EvalItem("g1", "高密市地区生产总值是多少？", "number_fact", True, "510.3亿元", ["gaomi"],
                 ["全市地区生产总值跨上新台阶,达510.3 亿元"], ["510.3亿元"]),
        EvalItem("g2", "高密市2025年森林覆盖率目标是多少？", "table_lookup", True, "11%", ["gaomi"],
                 ["| 森林覆盖率(%) | 10.97 | 11 |"], ["11"]),
        EvalItem("u1", "高密市市长是谁？", "unanswerable", False),
        EvalItem("p1", "平度市重点发展哪些产业？", "list", True, "智能家电等", ["pingdu"],
                 ["重点发展智能家电、食品饮料和新材料产业"], ["智能家电", "新材料"]),
        EvalItem("h1", "平度和高密谁的地区生产总值大？", "cross_document", True, "平度", ["gaomi", "pingdu"],
                 ["达510.3 亿元", "全市生产总值达到 715.7 亿元"], ["510.3亿元", "715.7亿元"], batch="hard"),
        EvalItem("h2", "莱阳市的GDP是多少？", "unanswerable", False, batch="hard"),
    ]


# --- the question set ---------------------------------------------------------------------------

def test_dev_set_loads():
    items = load_set(DEFAULT_SET)
    assert len(items) >= 80 and all(i.question and i.type for i in items)
    assert sum(not i.answerable for i in items) >= 10
    batches = Counter(i.batch for i in items)
    assert batches["original"] == 102 and batches["hard"] >= 50, batches
    assert all(i.id.startswith("h") for i in items if i.batch == "hard")


def test_batches_are_selected_by_name(tmp_path):
    items = _items()
    assert [i.id for i in select_batch(items, "hard")] == ["h1", "h2"]
    assert [i.id for i in select_batch(items, "original")] == ["g1", "g2", "u1", "p1"]
    assert select_batch(items, None) == items
    with pytest.raises(InputError, match="没有批次“hardest”.*hard、original"):
        select_batch(items, "hardest")


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"id": "a", "type": "entity", "answerable": true}\n', "question"),
        ('{"id": "a", "question": "q", "type": "entity", "answerable": true, "keywords": "x"}\n', "keywords"),
        ("not json\n", "JSON"),
        ("\n", "没有题目"),
        ('{"id": "a", "question": "q", "type": "entity", "answerable": true, "batch": ""}\n', "batch"),
        ('{"id": "a", "question": "q", "type": "entity", "answerable": true, "batch": 2}\n', "batch"),
    ],
)
def test_bad_sets_are_refused_with_the_line(tmp_path, content, message):
    path = tmp_path / "set.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_set(path)


def test_stratified_subset_covers_types_deterministically():
    everything = load_set(DEFAULT_SET)
    n_types = len({i.type for i in everything})
    whole = stratified_subset(everything, n_types)
    assert {i.type for i in whole} == {i.type for i in everything} and len(whole) == n_types
    items = select_batch(everything, "original")  # the CI gate's subset (eval/floors.json)
    subset = stratified_subset(items, 12)
    assert len(subset) == 12 and subset == stratified_subset(items, 12)
    assert {i.type for i in subset} == {i.type for i in items}
    assert Counter(i.type for i in subset)["unanswerable"] == 2
    order = [items.index(i) for i in subset]
    assert order == sorted(order)
    assert stratified_subset(items, None) == items and stratified_subset(items, 10_000) == items


# --- answer correctness ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "keyword, text, found",
    [
        ("510.3亿元", "达到510.3 亿元[1]", True),
        ("510.3亿元", "达到５１０．３亿元", True),
        ("32", "2025年目标为32%", True),
        ("32", "目标为132%", False),
        ("32", "目标为32.5%", False),
        ("1234", "共1,234家", True),
        ("智能家电", "重点发展智能家电", True),
        ("新材料", "重点发展智能家电", False),
    ],
)
def test_keywords_match_numbers_whole_and_ignore_spacing(keyword, text, found):
    assert keyword_found(keyword, text) is found


def test_answer_scores():
    item = _items()[0]
    good = answer_scores(item, Answer(item.question, "达510.3亿元[1]。"))
    assert good["correct"] and good["keyword_recall"] == 1.0 and good["refusal_ok"]
    refused = answer_scores(item, Answer(item.question, REFUSAL, refused=True))
    assert refused["correct"] is False and refused["keyword_recall"] == 0.0 and not refused["refusal_ok"]
    unanswerable = _items()[2]
    assert answer_scores(unanswerable, Answer(unanswerable.question, REFUSAL, refused=True))["correct"] is True
    assert answer_scores(unanswerable, Answer(unanswerable.question, "张三[1]。"))["refusal_ok"] is False
    no_keywords = EvalItem("a", "q", "ambiguous", True)
    assert answer_scores(no_keywords, Answer("q", "随便"))["correct"] is None


def test_an_overview_needs_a_share_of_its_key_phrases_not_all():
    item = EvalItem("o1", "高密面临哪些挑战？", "overview", True, keywords=["产业体系", "生态环境", "区域竞争", "公共服务", "人才"])
    three = Answer(item.question, "一是产业体系不健全；二是生态环境约束；三是区域竞争优势不明显[1]。")
    two = Answer(item.question, "一是产业体系不健全；二是生态环境约束[1]。")
    assert answer_scores(item, three)["correct"] is True  # 3 of 5 = 60%
    assert answer_scores(item, two)["correct"] is False and answer_scores(item, two)["keyword_recall"] == 0.4
    listed = EvalItem("l1", "高密有哪些挑战？", "list", True, keywords=item.keywords)
    assert answer_scores(listed, three)["correct"] is False  # any other type needs every keyword


def test_figures_not_in_cited_skip_the_questions_own_and_list_numbers():
    claims = [{"text": "5. 提高养老质量[1]。", "missing": ["5"]},
              {"text": "2025年目标为12%[1]。", "missing": ["2025", "12", "高密市"]},
              {"text": "3、新建医院7家[2]。", "missing": ["7", "12"]}]
    assert figures_not_in_cited(claims, "高密市2025年的目标是多少？") == ["12", "7"]
    assert figures_not_in_cited([], "q") == []


# --- question sets and their corpora -----------------------------------------------------------

def test_the_listed_sets_name_their_corpora(monkeypatch):
    monkeypatch.delenv("RAG_SHARED_DIR", raising=False)
    sets = {s.name: s for s in question_sets()}
    assert sets["dev"].path == DEFAULT_SET and sets["dev"].corpus_dir == PROJECT_ROOT / "seeds"
    assert sets["reports2026"].corpus == "reports-2026"
    assert sets["reports2026"].corpus_dir == (PROJECT_ROOT / "../shared/corpora/reports-2026").resolve()


def test_rag_shared_dir_moves_only_the_shared_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("RAG_SHARED_DIR", raising=False)
    assert project_path("../shared/corpora/x") == (PROJECT_ROOT.parent / "shared" / "corpora" / "x").resolve()
    monkeypatch.setenv("RAG_SHARED_DIR", str(tmp_path))
    assert project_path("../shared/corpora/x") == tmp_path / "corpora" / "x"
    assert project_path("seeds") == PROJECT_ROOT / "seeds"


def _sets_file(tmp_path, corpora: dict[str, object]) -> object:
    """A sets.toml listing one set per corpus folder (absolute paths), each a copy of _items()."""
    lines = []
    for name, folder in corpora.items():
        (tmp_path / f"{name}.jsonl").write_text("\n".join(json.dumps(i.__dict__, ensure_ascii=False) for i in _items()), encoding="utf-8")
        lines += ["[[set]]", f'name = "{name}"', f'file = "{tmp_path / name}.jsonl"', f'corpus = "{name}-docs"', f'corpus_dir = "{folder}"', ""]
    path = tmp_path / "sets.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_a_set_over_another_corpus_gets_its_own_index_folder(tmp_settings, tmp_path, monkeypatch):
    import rag.evaluation

    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setattr(rag.evaluation, "SETS_FILE", _sets_file(tmp_path, {"mine": tmp_settings.corpus_dir, "theirs": other}))
    mine, theirs = sets_to_run(None)[0]
    assert settings_for_set(tmp_settings, mine) == tmp_settings  # the configured corpus keeps its index
    moved = settings_for_set(tmp_settings, theirs)
    assert moved.corpus_dir == other and moved.index_dir == tmp_settings.index_dir / "corpora" / "theirs-docs"
    unlisted = sets_to_run(str(tmp_path / "elsewhere.jsonl"))[0][0]
    assert settings_for_set(tmp_settings, unlisted) == tmp_settings
    # the dev set (over seeds/) follows the configured corpus: a copy of seeds/ in another format (docs/formats.md)
    dev = next(s for s in question_sets(PROJECT_ROOT / "eval" / "sets.toml") if s.name == "dev")
    assert settings_for_set(tmp_settings, dev) == tmp_settings


def test_sets_whose_corpus_is_absent_are_left_out_with_a_note(tmp_settings, tmp_path, monkeypatch):
    import rag.evaluation

    monkeypatch.setattr(rag.evaluation, "SETS_FILE", _sets_file(tmp_path, {"mine": tmp_settings.corpus_dir, "gone": tmp_path / "gone"}))
    chosen, notes = sets_to_run(None)
    assert [s.name for s in chosen] == ["mine"] and "gone" in notes[0] and "不存在" in notes[0]
    assert [s.name for s in sets_to_run(None, "hard")[0]] == ["mine"]
    with pytest.raises(InputError, match="没有可评测的评测集"):
        sets_to_run(None, "no-such-batch")
    with pytest.raises(InputError, match="语料目录"):
        settings_for_set(tmp_settings, question_sets()[1])


# --- retrieval ---------------------------------------------------------------------------------

def test_evidence_quoted_from_raw_text_is_found_in_clean_chunks():
    """Raw evidence has spaces and table pipes the cleaned text lacks; the covering chunk still counts."""
    doc = _doc("gaomi", GAOMI)
    chunks = chunk_document(doc, size=60, overlap=0)
    locator = EvidenceLocator({"gaomi": doc})
    item = _items()[1]
    covering = [c for c in chunks if chunk_covers(locator, c, item.doc_ids, item.evidence[0])]
    assert covering and all("10.97" in c.text for c in covering)
    assert not chunk_covers(locator, covering[0], ["pingdu"], item.evidence[0])


def test_recall_and_reciprocal_rank():
    doc = _doc("gaomi", GAOMI)
    chunks = chunk_document(doc, size=60, overlap=0)
    locator = EvidenceLocator({"gaomi": doc})
    both = EvalItem("x", "q", "multi_hop", True, "", ["gaomi"], [_items()[0].evidence[0], _items()[1].evidence[0]])
    holds = [any(chunk_covers(locator, c, ["gaomi"], ev) for ev in both.evidence) for c in chunks]
    misses = [Passage(c, 0.0) for c, h in zip(chunks, holds) if not h]
    hits = [Passage(c, 0.0) for c, h in zip(chunks, holds) if h]
    assert len(hits) == 2
    assert retrieval_scores(both, misses[:1] + hits[:1], locator, k=5) == (0.5, 0.5)
    assert retrieval_scores(both, hits + misses, locator, k=5) == (1.0, 1.0)
    assert retrieval_scores(both, misses + hits, locator, k=len(misses)) == (0.0, 0.0)
    assert retrieval_scores(_items()[2], hits, locator, k=5) == (None, None)


def test_aggregate_skips_metrics_that_do_not_apply():
    rows = [
        {"answerable": True, "correct": True, "refused": False, "refusal_ok": True, "faithfulness": 1.0, "total": 1.0},
        {"answerable": True, "correct": None, "refused": True, "refusal_ok": False, "faithfulness": None, "total": 3.0},
        {"answerable": False, "correct": False, "refused": False, "refusal_ok": False, "faithfulness": 0.0, "total": 2.0},
    ]
    agg = aggregate(rows)
    assert agg["accuracy"] == 0.5 and agg["faithfulness"] == 0.5
    assert agg["refusal_accuracy"] == pytest.approx(0.3333, abs=1e-4)
    assert agg["answerable_refused"] == 0.5 and agg["unanswerable_refused"] == 0.0
    assert agg["total_p50"] == 2.0 and agg["recall_at_k"] is None


# --- a whole run -------------------------------------------------------------------------------

class ScriptedGenerator:
    """Copies the passage line that holds a scripted phrase and cites that passage; for the forest
    question it adds a wrong target figure; anything else is refused."""

    name = "scripted"
    script = {"生产总值": "生产总值", "森林覆盖率": "10.97", "产业": "智能家电"}

    @staticmethod
    def _find(user: str, phrase: str) -> tuple[str, str] | None:
        for number, body in re.findall(r"^\[(\d+)\][^\n]*\n(.*?)(?=\n\n(?:《|\[\d+\])|\n\n问题：)", user, re.S | re.M):
            for sentence in re.findall(r"[^。\n]+", body):
                if phrase in sentence:
                    return number, sentence
        return None

    def stream(self, messages, max_tokens, temperature):
        user = messages[-1]["content"]
        question = user.split("问题：")[1]
        key = next((k for k in self.script if k in question), None)
        found = self._find(user, self.script[key]) if key else None
        if found is None:
            yield REFUSAL
        elif key == "森林覆盖率":
            yield f"2020年森林覆盖率为10.97%[{found[0]}]。2025年目标为12%[{found[0]}]。"
        else:
            yield from (found[1][:5], found[1][5:] + f"[{found[0]}]。")


@pytest.fixture
def fake_pipeline(tmp_settings, monkeypatch) -> QAPipeline:
    (tmp_settings.corpus_dir / "gaomi.txt").write_text(GAOMI, encoding="utf-8")
    (tmp_settings.corpus_dir / "pingdu.txt").write_text(PINGDU, encoding="utf-8")
    pipeline = QAPipeline(tmp_settings.with_overrides(top_k=6), embedder=HashEmbedder(), generator=ScriptedGenerator())
    pipeline.index()
    monkeypatch.setattr(FigureIndex, "search", lambda *a, **k: [])  # every answer is the scripted model's, to be scored
    return pipeline


def test_evaluate_scores_a_run_and_writes_the_reports(fake_pipeline, tmp_path):
    report = evaluate(fake_pipeline.settings, _items(), k=5, pipeline=fake_pipeline, encoder=HashEncoder(),
                      threshold=0.3, progress=False, set_path="fake.jsonl")
    rows = {r["id"]: r for r in report["questions"]}
    assert [rows[i]["correct"] for i in ("g1", "g2", "u1", "p1", "h1", "h2")] == [True, False, True, True, True, True]
    assert rows["h1"]["batch"] == "hard" and rows["g1"]["batch"] == "original"
    assert rows["g1"]["faithfulness"] == 1.0 and rows["g1"]["citation_precision"] == 1.0
    assert rows["g2"]["faithfulness"] == 0.5 and "12" in rows["g2"]["claims"][1]["missing"]
    # the made-up target is a figure its cited passage does not hold; the question's own year is not counted
    assert rows["g2"]["figures_not_in_cited"] == ["12"] and rows["g1"]["figures_not_in_cited"] == []
    assert rows["u1"]["refused"] and rows["u1"]["faithfulness"] is None and rows["u1"]["recall_at_k"] is None
    assert rows["p1"]["recall_at_k"] == 1.0
    # what the user sees of each citation: its page (None for a text file) and its quote
    assert rows["g1"]["cited_pages"] == [None] * len(rows["g1"]["cited"]) and "510.3" in rows["g1"]["cited_quotes"][0]
    overall = report["overall"]
    assert overall["n"] == 6 and overall["accuracy"] == pytest.approx(5 / 6, abs=1e-3)
    assert overall["figures_not_in_cited"] == 1
    # h1 is answered side by side: the scripted model refuses the Pingdu side, whose figure is then read in
    # code from the place's own sentence, so both sides and the comparison are there
    assert not rows["h1"]["refused"] and "510.3" in rows["h1"]["answer"] and "715.7" in rows["h1"]["answer"]
    assert overall["refusal_accuracy"] == pytest.approx(6 / 6, abs=1e-3)
    # g1 1.0, g2 0.5, p1 1.0, h1 1.0 (its '平度市：文档中没有相关信息' line states an absence: no claim)
    assert rows["h1"]["faithfulness"] == 1.0 and overall["faithfulness"] == pytest.approx(3.5 / 4, abs=1e-3)
    assert overall["first_token_p50"] is not None and overall["total_p95"] >= overall["total_p50"]
    assert list(report["by_type"]) == ["cross_document", "list", "number_fact", "table_lookup", "unanswerable"]
    assert report["by_type"]["table_lookup"]["accuracy"] == 0.0
    by_batch = report["by_batch"]
    assert list(by_batch) == ["original", "hard"]  # in file order, the original questions first
    assert by_batch["original"]["n"] == 4 and by_batch["original"]["accuracy"] == 0.75
    assert by_batch["hard"]["n"] == 2 and by_batch["hard"]["accuracy"] == 1.0
    assert by_batch["hard"]["unanswerable_refused"] == 1.0 and by_batch["hard"]["answerable_refused"] == 0.0

    paths = write_reports(report, tmp_path / "out")
    assert [p.name for p in paths] == ["report.json", "report.md", "metrics_by_type.png"]
    assert json.loads(paths[0].read_text(encoding="utf-8"))["overall"] == overall
    markdown = paths[1].read_text(encoding="utf-8")
    assert "| g2 | table_lookup | ✗ |" in markdown and "所引段落中没有的数字：12" in markdown
    batch_part = markdown.split("## 按批次")[1].split("## 逐题")[0]
    assert "| original | 4 |" in batch_part and "| hard | 2 |" in batch_part
    assert paths[2].read_bytes()[:4] == b"\x89PNG"
    summary = summary_text(report)
    assert "recall@5" in summary and f"{report['overall']['accuracy']:.3f}" in summary and len(summary.splitlines()) < 25
    batch_lines = summary.split("批次")[1].splitlines()[1:]
    assert batch_lines[0].split()[:3] == ["original", "4", "0.75"] and batch_lines[1].split()[:3] == ["hard", "2", "1.00"]


def test_cli_has_the_eval_command():
    args = build_parser().parse_args(["eval", "--subset", "12", "--out", "x", "--set", "s.jsonl", "--k", "3", "--batch", "hard"])
    assert (args.subset, args.out, args.set, args.k, args.batch) == (12, "x", "s.jsonl", 3, "hard")
    assert build_parser().parse_args(["eval"]).k == 5 and build_parser().parse_args(["eval"]).batch is None


def test_rag_eval_command_writes_reports_and_prints_the_summary(fake_pipeline, tmp_path, monkeypatch, capsys):
    import rag.cli
    import rag.evaluation

    set_path = tmp_path / "mine.jsonl"
    set_path.write_text("\n".join(json.dumps(i.__dict__, ensure_ascii=False) for i in _items()), encoding="utf-8")
    monkeypatch.setattr(rag.cli, "load_settings", lambda: fake_pipeline.settings)
    monkeypatch.setattr(rag.evaluation, "QAPipeline", lambda settings: fake_pipeline)
    monkeypatch.setattr(rag.evaluation, "EmbedderEncoder", lambda embedder: HashEncoder())
    argv = ["eval", "--set", str(set_path), "--batch", "original", "--subset", "3", "--out", str(tmp_path / "r")]
    assert rag.cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "recall@5" in out and "table_lookup" in out and str(tmp_path / "r" / "report.md") in out
    report = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    assert report["meta"]["questions"] == 3 and list(report["by_batch"]) == ["original"]


def test_rag_eval_without_a_set_runs_every_listed_set_side_by_side(fake_pipeline, tmp_path, monkeypatch, capsys):
    import rag.cli
    import rag.evaluation

    corpus = fake_pipeline.settings.corpus_dir
    monkeypatch.setattr(rag.evaluation, "SETS_FILE", _sets_file(tmp_path, {"one": corpus, "two": corpus, "gone": tmp_path / "gone"}))
    monkeypatch.setattr(rag.cli, "load_settings", lambda: fake_pipeline.settings)
    monkeypatch.setattr(rag.evaluation, "QAPipeline", lambda settings: fake_pipeline)
    monkeypatch.setattr(rag.evaluation, "EmbedderEncoder", lambda embedder: HashEncoder())
    assert rag.cli.main(["eval", "--subset", "2", "--out", str(tmp_path / "r")]) == 0
    captured = capsys.readouterr()
    assert "gone" in captured.err and "不存在" in captured.err
    table = captured.out.split("报告：")[-1]
    assert table.splitlines()[2].split() == ["one", "two"] and "答案准确率" in table and "所引段落中没有数字的回答" in table
    for name in ("one", "two"):
        meta = json.loads((tmp_path / "r" / name / "report.json").read_text(encoding="utf-8"))["meta"]
        assert meta["corpus"] == f"{name}-docs" and meta["index_version"].startswith("v-") and meta["questions"] == 2

"""The RGB adapter (eval/rgb.py): answer-element matching with aliases, seeded passage drawing, the
sample, scoring and the report (fast, no model), and a 3-question run with the real models (slow).
The RGB data is read from ../shared/external/rgb (or RAG_RGB_DIR), never copied here: the tests that need it
skip with the reason shown when it is absent, and fail instead under RAG_REQUIRE_SHARED=1 (CI)."""

from __future__ import annotations

import json

import pytest

from eval.rgb import (
    PASSAGE_CUT, as_passages, build_report, data_dir, draw_passages, elements_found, load_rgb, loosely_found,
    main, report_markdown, score, stratified_sample, summarize,
)
from rag.config import Settings
from rag.errors import InputError
from rag.pipeline import QAPipeline
from rag.prompting import REFUSAL
from rag.types import Answer
from tests.conftest import require_shared

RGB = data_dir()


@pytest.fixture(scope="module")
def rgb_dir():
    require_shared(RGB / "zh_refine.json", "RGB data (set RAG_RGB_DIR or put the Chinese RGB files at ../shared/external/rgb)")
    return RGB


def synthetic(qid=7, positives=10, negatives=10) -> dict:
    return {"id": qid, "query": "某市2022年的人口是多少？", "answer": ["12万人"],
            "positive": [f"正{i}" + "长" * 700 for i in range(positives)], "negative": [f"负{i}" for i in range(negatives)]}


# --- matching ------------------------------------------------------------------------------------

def test_every_element_must_appear_and_any_alias_counts():
    answer = [["北京", "Beijing"], "3月"]
    assert elements_found("会议3月在beijing举行", answer) == [True, True]  # case-insensitive, as the paper
    assert elements_found("会议在北京举行", answer) == [True, False]
    assert elements_found("12万人", "12万人") == [True]  # a bare string is one element (zh_fact)


def test_near_misses_are_told_apart_from_wrong_figures():
    assert loosely_found("共有 12 名", ["12人"]) and loosely_found("ＡＢＣ公司", ["abc公司"])
    assert loosely_found("原因是脚踝扭伤", ["扭伤脚踝"]) and not loosely_found("原因是脚踝疼痛", ["扭伤脚踝"])
    assert not loosely_found("共有112名", ["12人"]) and not loosely_found("12.5%", ["12%"])


# --- drawing -------------------------------------------------------------------------------------

@pytest.mark.parametrize("task, n_negative", [("noise0", 0), ("noise0.4", 2), ("noise0.8", 4), ("reject", 5)])
def test_noise_rate_sets_how_many_of_five_are_negative(task, n_negative):
    docs = draw_passages(synthetic(), task, seed=1)
    assert len(docs) == 5 and sum(d.startswith("负") for d in docs) == n_negative
    assert all(len(d) <= PASSAGE_CUT for d in docs) and any(len(d) == PASSAGE_CUT for d in docs) == (n_negative < 5)


def test_draws_are_fixed_by_the_seed_and_differ_across_seeds_and_questions():
    item = synthetic()
    assert draw_passages(item, "noise0.4", seed=1) == draw_passages(item, "noise0.4", seed=1)
    seeds = {tuple(draw_passages(item, "noise0.4", seed=s)) for s in range(6)}
    assert len(seeds) > 1
    assert draw_passages(synthetic(qid=8), "noise0.4", seed=1) != draw_passages(item, "noise0.4", seed=1)


def test_too_few_positives_are_made_up_with_negatives():
    docs = draw_passages(synthetic(positives=2), "noise0", seed=3)
    assert len(docs) == 5 and sum(d.startswith("正") for d in docs) == 2


def test_integration_takes_a_passage_of_every_sub_answer_first():
    item = {"id": 1, "query": "q", "answer": ["a", "b"], "positive": [["A1", "A2", "A3"], ["B1"]], "negative": ["N1", "N2", "N3"]}
    docs = draw_passages(item, "int0.4", seed=5)
    assert len(docs) == 5 and "B1" in docs and sum(d.startswith("A") for d in docs) == 2
    docs = draw_passages(item, "int0", seed=5)  # only four positives: the fifth passage is a negative
    assert sorted(docs)[:4] == ["A1", "A2", "A3", "B1"] and sorted(docs)[4].startswith("N")


def test_counterfactual_gives_the_passages_with_the_false_fact():
    item = {"id": 2, "query": "q", "answer": "70", "fakeanswer": "170", "positive": ["对70"], "positive_wrong": ["错170", "又170"], "negative": ["N"]}
    assert sorted(draw_passages(item, "fact", seed=1)) == ["又170", "错170"]


def test_sample_is_seeded_stratified_and_without_repeats():
    items = [{"id": i, "answer": ["a", "b"] if i % 4 == 0 else [f"{i}人"] if i % 2 else ["某地"]} for i in range(200)]
    sample = stratified_sample(items, 40, seed=9)
    assert sample == stratified_sample(items, 40, seed=9) and sample != stratified_sample(items, 40, seed=10)
    assert len({i["id"] for i in sample}) == 40
    assert sum(i["id"] % 4 == 0 for i in sample) == 10  # a quarter of the items have two elements


# --- scoring and report --------------------------------------------------------------------------

def _answer(text: str, passages, refused=False) -> Answer:
    return Answer(question="q", text=text, passages=passages, refused=refused, timings={"total": 1.0})


def test_score_names_the_failure_kind():
    item = synthetic()
    item["positive"] = ["该市2022年末常住人口12万人。"]
    given = as_passages(7, item["positive"] + ["无关的内容。"])
    settings = Settings()
    assert score("noise0", item, _answer("人口为12万人[1]。", given), given, settings)["correct"] is True
    assert score("noise0", item, _answer(REFUSAL, given, refused=True), given, settings)["kind"].startswith("refusal")
    assert score("noise0", item, _answer("人口为12 万[1]。", given), given, settings)["kind"] == "alias not matched"
    assert score("noise0", item, _answer("人口为15万人[1]。", given), given, settings)["kind"] == "wrong figure"
    rejected = score("reject", item, _answer("人口为15万人[2]。", given), given, settings)
    assert rejected["kind"] == "answered with a figure" and rejected["correct"] is None


def test_a_refusal_says_which_step_refused():
    item = synthetic()
    item["positive"] = ["该市2022年末常住人口12万人。"]
    given = as_passages(7, item["positive"])
    before = _answer(REFUSAL, given, refused=True)
    before.timings = {"total": 0.1}  # the answerability check refused: the LLM never produced a token
    model = _answer(REFUSAL, given, refused=True)
    model.timings = {"first_token": 2.0, "total": 3.0}
    withheld = _answer(REFUSAL, given, refused=True)
    withheld.timings, withheld.withheld = {"first_token": 2.0, "total": 3.0}, "人口为15万人[1]。"
    bound = _answer(REFUSAL, given, refused=True)
    bound.timings, bound.withheld, bound.reason = {"first_token": 2.0}, "2021年人口为12万人[1]。", "文档中没有问题所问的数据"
    kinds = [score("noise0", item, a, given, Settings())["kind"] for a in (before, model, withheld, bound)]
    assert kinds == ["refusal (answerability check)", "refusal (model)", "refusal (citation check)", "refusal (binding check)"]
    rows = [score("reject", item, a, given, Settings()) for a in (before, model, withheld, _answer("12万人[1]", given))]
    assert summarize("reject", rows)["refused_by"] == {"answerability check": 1, "model": 1, "citation check": 1}


def test_report_keeps_ids_and_counts_but_no_text():
    rows = [{"task": "noise0.4", "id": 1, "correct": True, "refused": False, "kind": "", "answer": "秘密答案甲", "total": 2.0, "seconds": 3},
            {"task": "noise0.4", "id": 2, "correct": False, "refused": True, "kind": "refusal", "answer": REFUSAL, "total": 4.0, "seconds": 5},
            {"task": "reject", "id": 1, "correct": None, "refused": True, "kind": "", "answer": REFUSAL, "total": 1.0, "seconds": 2}]
    report = build_report(rows, {"data": "x", "seed": 1, "runs": [], "machine": "m", "settings": {"passage_chars": 160, "llm": "l", "embedder": "e", "top_k": 3, "n_threads": 2}})
    assert report["tasks"]["noise0.4"]["score"] == 50.0 and report["tasks"]["reject"]["score"] == 100.0
    assert report["tasks"]["noise0.4"]["kinds"] == {"refusal": 1} and report["tasks"]["noise0.4"]["paper"]["Qwen-7B-Chat"] == 88.0
    text = json.dumps(report, ensure_ascii=False) + report_markdown(report)
    assert "秘密答案甲" not in text and "| noise0.4 | 2 | 50.00 |" in text


def test_given_passages_skip_retrieval(tmp_settings):
    """No index exists: touching the retriever would raise, so the answer must come from the given passages."""
    class Echo:
        def stream(self, messages, max_tokens, temperature):
            yield "该市人口12万人[2]。"

    given = as_passages(3, ["无关。", "该市2022年末常住人口12万人。"])
    answer = QAPipeline(tmp_settings, embedder=object(), generator=Echo()).ask("该市人口多少？", passages=given)
    assert [p.chunk.chunk_id for p in answer.passages] == ["rgb#3#0", "rgb#3#1"]
    assert not answer.refused and answer.citations[0].chunk_id == "rgb#3#1"


# --- the real data -------------------------------------------------------------------------------

def test_the_data_is_read_from_the_shared_folder(rgb_dir):
    assert [len(load_rgb(rgb_dir, n)) for n in ("zh_refine", "zh_int", "zh_fact")] == [300, 100, 100]


def test_a_missing_folder_says_where_it_looked(tmp_path):
    with pytest.raises(InputError, match="RAG_RGB_DIR"):
        load_rgb(tmp_path / "nowhere", "zh_refine")


@pytest.mark.slow
def test_three_questions_end_to_end_with_the_real_models(rgb_dir, tmp_path):
    out = tmp_path / "rgb"
    args = ["--tasks", "noise0.4,reject,int0", "--n", "1", "--out", str(out), "--data", str(rgb_dir)]
    assert main(args) == 0
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["task"] for r in rows] == ["noise0.4", "reject", "int0"] and not any("error" in r for r in rows)
    assert all(r["passages_in_prompt"] == 5 and r["answer"].strip() and isinstance(r["refused"], bool) for r in rows)
    assert rows[0]["answer_in_passages"] and not rows[1]["answer_in_passages"]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert set(report["tasks"]) == {"noise0.4", "reject", "int0"} and (out / "rgb_by_task.png").stat().st_size > 1000
    assert all("answer" not in q for q in report["questions"])
    assert main(args) == 0  # resumable: everything is done, nothing is asked again
    assert len((out / "results.jsonl").read_text(encoding="utf-8").splitlines()) == 3


def test_open_retrieval_pools_passages_into_a_corpus_and_finds_the_positive(tmp_settings, hash_embedder, tmp_path):
    """Fast stand-in for the open task: the corpus folder, the product's own index and recall@5, with the
    hash embedder and a generator that repeats the first passage's figure."""
    from eval.rgb import _ask_open, build_open_corpus, prepare_open

    class FirstFigure:
        def stream(self, messages, max_tokens, temperature):
            yield "人口为12万人[1]。" if "12万人" in messages[-1]["content"] else REFUSAL

    pool = [{"id": 1, "query": "甲市2022年末常住人口是多少？", "answer": ["12万人"],
             "positive": ["甲市2022年末常住人口12万人，比上年增加一千人。"], "negative": ["甲市2021年末常住人口11万人。"]},
            {"id": 2, "query": "乙县的县花是什么？", "answer": ["桂花"],
             "positive": ["乙县县花为桂花，每年秋天举办桂花节。"], "negative": ["乙县盛产茶叶，是有名的茶乡。", "甲市2021年末常住人口11万人。"]}]
    labels = build_open_corpus(pool, tmp_path / "c", seed=1)
    assert len(labels) == 4 and sorted(p.name for p in (tmp_path / "c").iterdir()) == [f"{n:05d}.txt" for n in range(4)]
    shared = [lab for lab in labels.values() if lab["negative"] == [1, 2]]
    assert len(shared) == 1  # the same passage under two questions is one file
    pipe = QAPipeline(tmp_settings, embedder=hash_embedder, generator=FirstFigure())
    open_pipe, labels, report = prepare_open(pipe, pool, 1, tmp_path / "work")
    assert report.chunks == 4 and not report.skipped
    row = _ask_open(open_pipe, labels, pool[0])
    assert row["recall_at_5"] and row["positive_in_prompt"] and row["task"] == "open"


def test_a_rerun_and_a_longer_prefix_ask_only_what_is_not_done(tmp_path, monkeypatch, rgb_dir):
    """Resumability without a model: `_ask` is replaced by a stub that records what it is asked."""
    import eval.rgb as rgb

    asked = []
    monkeypatch.setattr(rgb, "_ask", lambda pipeline, task, item, seed: asked.append((task, item["id"])) or {"task": task, "id": item["id"], "correct": True, "refused": False})
    args = ["--tasks", "noise0.4:2,noise0.4:3,reject:1", "--n", "10", "--out", str(tmp_path), "--data", str(rgb_dir)]
    assert main(args) == 0
    assert [t for t, _ in asked] == ["noise0.4"] * 3 + ["reject"] and len(set(asked)) == 4
    assert main(args) == 0 and len(asked) == 4  # everything done: nothing asked again

"""The grounding layer inside QAPipeline.stream, with a small fake model (the real model is exercised by
tests/test_integration.py and the eval gate): which path a question takes and what reaches the user."""

from __future__ import annotations

import re

import pytest

from rag.prompting import PREMISE_MARK

from grounding_corpus import DOCS, RecordingModel
from rag.answering.figure import FigureRecord
from rag.pipeline import QAPipeline
from rag.types import Chunk, Passage


class EchoModel(RecordingModel):
    """Answers with the first figure of the asked kind it finds in the prompt's passages, citing [1][2][3]
    (as the small model does); records the questions."""

    name = "echo"

    def answer(self, question, body):
        unit = "%" if "率" in question else "亿元"
        found = re.search(rf"(\d+(?:\.\d+)?)\s*{re.escape(unit)}", body)
        yield f"数值为{found.group(0)}[1][2][3]。" if found else "文档中没有相关信息"


@pytest.fixture
def pipe(tmp_settings, hash_embedder):
    for doc_id, (title, body) in DOCS.items():
        (tmp_settings.corpus_dir / f"{doc_id}.txt").write_text(f"{title}\n{body}", encoding="utf-8")
    pipeline = QAPipeline(tmp_settings.with_overrides(top_k=3), embedder=hash_embedder, generator=EchoModel())
    pipeline.index()
    return pipeline


def test_a_place_outside_the_corpus_is_refused_before_the_model(pipe):
    answer = pipe.ask("平度市2020年地区生产总值是多少？")
    assert answer.refused and "平度市" in answer.reason and "莱西市" in answer.reason
    assert pipe.generator.questions == [] and "地区：" in answer.understanding


def test_a_year_the_documents_do_not_give_is_refused(pipe):
    answer = pipe.ask("莱西市2023年地区生产总值是多少？")
    assert answer.refused and "2023" in answer.reason and pipe.generator.questions == []


def test_a_comparison_asks_each_place_from_its_own_documents_and_computes(pipe):
    answer = pipe.ask("莱西和胶州哪个十三五末地区生产总值更大？")
    assert len(answer.sub_questions) == 2 and set(pipe.generator.questions) <= set(answer.sub_questions)
    assert {p.chunk.doc_id for p in answer.passages} >= {"laixi", "jiaozhou"}
    assert "1200−300.5=899.5" in answer.calculation and "胶州更大" in answer.text
    assert not answer.refused and all(c.supported for c in answer.claims)
    cited = {answer.passages[c.number - 1].chunk.doc_id for c in answer.citations}
    assert cited == {"laixi", "jiaozhou"}  # each side cited


def test_citations_are_repaired_to_the_passage_holding_the_figure(pipe):
    answer = pipe.ask("莱西市十三五末地区生产总值是多少？")
    assert "300.5亿元" in answer.text and len(answer.citations) == 1
    assert "300.5" in answer.passages[answer.citations[0].number - 1].chunk.text


def test_a_figure_of_another_place_is_corrected(pipe):
    answer = pipe.ask("莱西市2020年地区生产总值是1200亿元，排第几？")
    assert answer.text.startswith("问题的前提与文档不符") and "胶州市" in answer.text and not answer.refused
    assert pipe.generator.questions and "1200" not in pipe.generator.questions[0]


def test_the_base_value_is_not_given_as_the_target(pipe, monkeypatch):
    """The model answers the 2025 question with 2020's figure from the table: withheld, saying what the
    documents give for 2020; the 2025 figure is then read from the place's document in code."""
    table_only = [c for c in pipe.retriever.stored.chunks if "| 2020年 |" in c.text]
    monkeypatch.setattr(pipe.scoped, "search", lambda *args: [Passage(table_only[0], 1.0)])
    monkeypatch.setattr(FigureRecord, "applies", lambda self, q: False)  # the model's path; the index then reads
    monkeypatch.setattr(pipe.generator, "stream", lambda *a: iter(["2025年地区生产总值为300.5亿元[1]。"]))
    answer = pipe.ask("莱西市2025年地区生产总值是多少？")
    assert "2020年的数值" in answer.reason and "300.5" in answer.withheld
    assert not answer.refused and "420亿元" in answer.text and "300.5" not in answer.text
    assert all(c.supported for c in answer.claims)


def test_a_refused_figure_question_is_not_answered_from_another_year(pipe, monkeypatch):
    """The fallback reads only a figure bound to the year asked: for 2030 nothing, so the refusal stays."""
    monkeypatch.setattr(pipe.generator, "stream", lambda *a: iter(["文档中没有相关信息"]))
    answer = pipe.ask("莱西市2025年森林覆盖率是多少？")
    assert not answer.refused and "22%" in answer.text
    answer = pipe.ask("胶州市2025年一般公共预算收入是多少？")
    assert answer.refused


def test_a_refused_question_asking_what_is_done_is_answered_for_the_plans_base_year(pipe, monkeypatch):
    """'达到了多少' names no year: what the plan reports as done (its base year, 2020 for a 十四五 plan)."""
    monkeypatch.setattr(pipe.generator, "stream", lambda *a: iter(["文档中没有相关信息"]))
    answer = pipe.ask("胶州市高新技术企业达到了多少家？")
    assert not answer.refused and "150家" in answer.text and "300" not in answer.text
    assert pipe.ask("胶州市高新技术企业有多少家？").refused  # a target or the base: not said
    monkeypatch.setattr(pipe.generator, "stream", lambda *a: iter(["高新技术企业达到300家[1]。"]))
    monkeypatch.setattr(FigureRecord, "applies", lambda self, q: False)  # the model's path; the index then reads
    answer = pipe.ask("胶州市高新技术企业已经有多少家了？")  # the 2025 target given as done
    assert "300家" in answer.withheld and "2025" in answer.reason and "150家" in answer.text


def test_a_question_in_everyday_words_is_rewritten_once_and_retrieved_in_the_documents_words(pipe, monkeypatch):
    """Several words no document uses: the model is asked once for the documents' wording, retrieval uses
    it (plus the question's own best passage), and the model sees it beside the question."""
    calls = []
    stream = pipe.generator.stream

    def model(messages, max_tokens, temperature):
        if "改写" in messages[0]["content"]:
            calls.append(messages[-1]["content"])
            yield "莱西市森林覆盖率2025年目标是多少？"
        else:
            yield from stream(messages, max_tokens, temperature)

    monkeypatch.setattr(pipe.generator, "stream", model)
    answer = pipe.ask("莱西城外山上种的树，到2025年能把多大地方盖住？")
    assert calls == ["莱西城外山上种的树，到2025年能把多大地方盖住？"]
    assert "规划用语：莱西市森林覆盖率2025年目标是多少？" in answer.understanding
    assert any("森林覆盖率" in p.chunk.text for p in answer.passages) and len(answer.passages) <= 5
    assert "（即：莱西市森林覆盖率2025年目标是多少？）" in pipe.generator.questions[-1]
    calls.clear()
    pipe.ask("莱西市2025年森林覆盖率是多少？")  # in the documents' own words: no rewrite
    assert calls == []


def test_an_everyday_question_is_checked_against_the_measure_its_rewrite_names(pipe, monkeypatch):
    """The model takes 2020's 20.1% for the 2025 question put in everyday words: checked against the
    rewrite's 森林覆盖率 for 2025 it is withheld, and the documents' 22% is read in code."""
    def model(messages, max_tokens, temperature):
        rewrite = "改写" in messages[0]["content"]
        yield "莱西市森林覆盖率2025年目标是多少？" if rewrite else "能盖住20.1%[1]。"

    monkeypatch.setattr(pipe.generator, "stream", model)
    answer = pipe.ask("莱西城外山上种的树，到2025年能把多大地方盖住？")
    assert "20.1%" in answer.withheld and "22%" in answer.text and answer.looked_up


@pytest.mark.parametrize("question, said", [
    ("莱西市地区生产总值已经突破700亿元了，靠哪些产业？", "“十三五”末地区生产总值为300.5亿元[1]"),  # year read from '已经', said as the passage does
    ("莱西市2025年GDP要过千亿，靠哪些产业？", "过1000亿元"),  # figure read from '千亿'
])
def test_a_contradicted_premise_is_shown_not_withheld(pipe, question, said):
    """The correction names what it read from the question; the claim check counts that as the question's."""
    answer = pipe.ask(question)
    assert said in answer.text and answer.text.startswith("问题的前提与文档不符") and not answer.withheld


def test_given_passages_about_another_year_do_not_answer_the_year_asked(pipe):
    """A benchmark's passages (no retrieval): the model takes a figure from an on-topic passage about
    another year (the passage does not bind its figure to one); the answer is withheld, saying which number of
    the question its source never names."""
    def given(text: str, n: int) -> Passage:
        return Passage(Chunk(f"news#{n}", f"news-{n}", f"news-{n}", [], text, 0, len(text)), 1.0)
    question = "某公司2022年全年营收是多少亿元？"
    answer = pipe.ask(question, passages=[given("某公司全年营收达到528亿元，同比增长22%。", 1),
                                          given("2022年，行业整体增长放缓。", 2)])
    assert answer.refused and "2022" in answer.reason and "528" in answer.withheld
    both = [given("某公司2022年全年营收达到600亿元。", 1), given("某公司2021年全年营收达到528亿元。", 2)]
    answer = pipe.ask(question, passages=both)
    assert not answer.refused and "600亿元" in answer.text


def test_a_list_named_by_its_count_is_read_from_the_section_index_not_asked(tmp_settings, hash_embedder):
    docs = dict(DOCS, laixi_industry=("莱西市产业发展规划", "第一章 发展基础\n“十三五”时期，食品饮料、机械制造、纺织服装、"
                                      "新能源汽车四大主导产业集聚度达到70%以上。\n第五章 产业\n优化提升食品饮料、机械制造、"
                                      "绿色化工、现代种业四大主导产业，培育壮大氢能、新材料三大新兴产业。"))
    for doc_id, (title, body) in docs.items():
        (tmp_settings.corpus_dir / f"{doc_id}.txt").write_text(f"{title}\n{body}", encoding="utf-8")
    pipe = QAPipeline(tmp_settings.with_overrides(top_k=3), embedder=hash_embedder, generator=EchoModel())
    pipe.index()
    answer = pipe.ask("莱西“十四五”要优化提升的四大主导产业指的是哪些？")
    assert answer.route == "named_list" and answer.looked_up and pipe.generator.questions == []
    assert answer.text.split("：", 1)[1] == "食品饮料、机械制造、绿色化工、现代种业[1]。"  # names in one sentence
    assert "绿色化工" in answer.passages[answer.citations[0].number - 1].chunk.text
    answer = pipe.ask("莱西市提出培育的三大新兴产业都有哪些？")  # two listed, not three: the model is asked
    assert pipe.generator.questions and not answer.looked_up


def test_a_number_question_naming_no_place_gets_each_places_figure(pipe):
    """Over a corpus of several places, '2020年地区生产总值是多少？' is answered for each place from its own
    documents, read in code; a year no document gives still goes to the model (and is refused)."""
    answer = pipe.ask("2020年地区生产总值是多少？")
    lines = answer.text.splitlines()
    by_place = {line.split("：")[0]: line for line in lines}
    assert set(by_place) == {"莱西市", "胶州市", "青岛高新技术产业开发区"}  # in the index's document order
    assert "300.5亿元" in by_place["莱西市"] and "1200亿元" in by_place["胶州市"] and "210亿元" in by_place["青岛高新技术产业开发区"]
    assert answer.looked_up and "问题没有指明地区" in answer.reason and pipe.generator.questions == []
    assert all(c.number <= len(answer.passages) for c in answer.citations)


def test_a_stated_figure_the_records_contradict_is_corrected(pipe):
    """The figure a question presumes is checked against the figure index: corrected with the documents'
    figure for the year asked ('已经' = the plan's base year), then the rest of the question is answered."""
    answer = pipe.ask("莱西市的森林覆盖率已经超过30%了，下一步怎么提高？")
    assert answer.route == "premise" and answer.text.startswith(PREMISE_MARK)
    assert "2020年" in answer.text and "20.1%" in answer.text and "超过30%" in answer.text
    answer = pipe.ask("莱西市2025年GDP要过千亿，靠哪些产业？")
    assert "420亿元[1]" in answer.text and "过1000亿元" in answer.text
    assert "420" in answer.passages[0].chunk.text and pipe.generator.questions[-1].startswith("莱西市")
    assert "哪些产业" in pipe.generator.questions[-1]
    for agreeing in ("莱西市2025年GDP要超过400亿元，靠哪些产业？", "莱西市2025年地区生产总值要达到420亿元，靠什么？"):
        assert not pipe.ask(agreeing).text.startswith(PREMISE_MARK)
    assert pipe.ask("2025年地区生产总值达到420亿元的是哪个市？").route != "premise"  # a condition, no place


@pytest.mark.parametrize("question", ["莱西市2020年地区生产总值已经达到420亿元了吗？", "莱西市地区生产总值已经达到420亿元了吗？"])
def test_a_target_given_as_reached_is_answered_no_with_both_years(pipe, question):
    """'已经' with no year asks about the plan's base year (2020); 420亿元 is the 2025 target."""
    answer = pipe.ask(question)
    assert answer.text.startswith("不是") and "300.5亿元[1]" in answer.text and "2025年地区生产总值为420亿元[2]" in answer.text
    assert "300.5" in answer.passages[0].chunk.text and "420" in answer.passages[1].chunk.text

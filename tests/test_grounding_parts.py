"""A question asking several things (rag/grounding/parts.py): split from its wording, each part's sentence
kept by the prompt's trim, and each part asked of the model on its own, joined in one cited answer."""

from __future__ import annotations

import re

import pytest

from grounding_corpus import RecordingModel
from rag.citations import is_refusal
from rag.config import Settings
from rag.pipeline import QAPipeline
from rag.prompting import REFUSAL, trim_passage
from rag.grounding.parts import split_parts
from rag.types import Chunk, Passage


@pytest.mark.parametrize("question, parts", [
    ("2025年研发投入和高新技术企业数分别是多少", ["2025年研发投入是多少", "2025年高新技术企业数是多少"]),
    ("十四五期间要建设哪些园区和哪些平台", ["十四五期间要建设哪些园区", "十四五期间要建设哪些平台"]),
    ("2022年澳网男单和女单冠军分别是谁？", ["2022年澳网男单冠军是谁？", "2022年澳网女单冠军是谁？"]),
    ("小米13系列手机的发布时间和处理器？", ["小米13系列手机的发布时间？", "小米13系列手机的处理器？"]),
    ("2022年考研和高考报名人数分别是多少？", ["2022年考研报名人数是多少？", "2022年高考报名人数是多少？"]),
    ("塔里木油田2021年和2022年的油气产量分别是多少？", ["塔里木油田2021年的油气产量是多少？", "塔里木油田2022年的油气产量是多少？"]),
    ("高密市和诸城市2025年的目标", ["高密市2025年的目标", "诸城市2025年的目标"]),
    ("iPhone SE 3的芯片是什么，起售价多少", ["iPhone SE 3的芯片是什么", "iPhone SE 3的起售价多少"]),
    ("《人世间》的导演和编剧是谁？", ["《人世间》的导演是谁？", "《人世间》的编剧是谁？"]),
    ("婺源县森林覆盖率在2020年达到了多少，2025年要提高到多少？",
     ["婺源县森林覆盖率在2020年达到了多少", "婺源县森林覆盖率在2025年要提高到多少？"]),
    ("胶州市2025年城区和乡村的常住人口各有多少？", ["胶州市2025年城区的常住人口有多少？", "胶州市2025年乡村的常住人口有多少？"]),
    ("森林覆盖率方面，莱西市、胶州市和青岛高新区分别达到多少？",
     ["森林覆盖率方面，莱西市达到多少？", "森林覆盖率方面，胶州市达到多少？", "森林覆盖率方面，青岛高新区达到多少？"]),
    ("城镇化率、人均可支配收入和森林覆盖率的目标分别是多少",
     ["城镇化率的目标是多少", "人均可支配收入的目标是多少", "森林覆盖率的目标是多少"]),
])
def test_a_question_of_several_parallel_things_is_split(question, parts):
    assert split_parts(question) == parts


@pytest.mark.parametrize("question", [
    "中华人民共和国成立以来GDP增长了多少",  # 和 inside a word
    "科技和信息化局的职责是什么",  # one bureau's name
    "住房和城乡建设局在哪里",
    "有多少个国家和地区参加",  # a counted pair
    "莱西和胶州哪个地区生产总值更大",  # a comparison: the decomposition's, not a split
    "2025年与2020年相比增长了多少",
    "高新技术企业数是多少",  # one thing
    "十四五规划的主要目标有哪些",
    "莱西和胶州的规划里各自如何评价对方？",  # each about the other
    "莱西和胶州2020年的森林覆盖率分别多少？谁更高？",  # a comparison after all
    "莱西市近年来新建、改扩建了多少座公园",  # verbs joined, one count
    "胶州把什么定为“一号工程”？这项工程包括哪些重点片区？",  # the second builds on the first answer
    "胶州市2025年国家级和省级孵化器总数要达到多少？",  # the total of both
    "胶州市数字经济核心产业增加值占比的基期值和2025年目标值是多少？",  # one table row's base and target
])
def test_one_thing_is_not_split(question):
    assert split_parts(question) == []


@pytest.mark.xfail(strict=True, reason="two clauses asking one measure for two years are split only when the first "
                   "asks '多少'; '2020年有多高，到2025年计划达到多少' stays whole")
def test_two_years_asked_with_different_question_words_are_split():
    assert len(split_parts("婺源县森林覆盖率2020年有多高，到2025年计划达到多少？")) == 2


def test_each_part_keeps_its_own_sentence_when_trimmed():
    text = ("全市研发投入强度达到2.8%，研发投入总额持续增长。创新平台建设成效明显，新建省级以上平台20个。"
            "科技服务体系不断完善，技术合同成交额增长迅速。高新技术企业数达到350家，比上年增加60家。")
    whole = "2025年研发投入和高新技术企业数分别是多少"
    parts = split_parts(whole)
    assert "2.8%" not in trim_passage(text, whole, 30)  # ranked against the whole question it is cut
    assert "350家" in trim_passage(text, whole, 30, parts) and "2.8%" in trim_passage(text, whole, 30, parts)
    assert "2.8%" in trim_passage(text, parts[0], 30)  # the per-part prompt keeps it too
    assert trim_passage(text, whole, 30, [whole]) == trim_passage(text, whole, 30)  # one part: unchanged


class PartModel(RecordingModel):
    """Answers the asked measure with the figure of the first passage sentence naming it, citing that
    passage; refuses otherwise. Records each question it was asked."""

    name = "part-fake"

    def answer(self, question, body):
        term = re.sub(r"^\d{4}年|是多少.*$", "", question)
        got = self.first_match(body, rf"{re.escape(term)}[^。]*?(\d+(?:\.\d+)?(?:亿元|家|%))")
        yield f"2025年{term}为{got[1].group(1)}[{got[0]}]。" if got else REFUSAL


def _given(texts: list[str]) -> list[Passage]:
    return [Passage(Chunk(f"doc#{n}", f"doc-{n}", f"doc-{n}", [], t, 0, len(t)), 1.0 - n / 10) for n, t in enumerate(texts)]


@pytest.fixture
def pipe(tmp_path):
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", cache_dir=tmp_path / "cache")
    return QAPipeline(settings, embedder=object(), generator=PartModel())


def test_each_part_is_asked_on_its_own_and_joined_with_working_citations(pipe):
    passages = _given(["到2025年，全市研发投入达到45亿元，创新能力显著提升。",
                       "到2025年，全市高新技术企业数达到350家，新增省级平台20个。"])
    answer = pipe.ask("2025年研发投入和高新技术企业数分别是多少", passages=passages)
    assert pipe.generator.questions == ["2025年研发投入是多少", "2025年高新技术企业数是多少"]
    assert "45亿元[1]" in answer.text and "350家[2]" in answer.text and not answer.refused
    assert answer.sub_questions == pipe.generator.questions
    assert {c.number for c in answer.citations} == {1, 2} and all(c.supported for c in answer.claims)
    assert "45亿元" in answer.citations[0].quote


def test_a_part_the_passages_do_not_answer_says_so_and_the_other_is_answered(pipe):
    passages = _given(["到2025年，全市研发投入达到45亿元，创新能力显著提升。", "全市加快建设创新平台。"])
    answer = pipe.ask("2025年研发投入和高新技术企业数分别是多少", passages=passages)
    assert "45亿元[1]" in answer.text and not answer.refused
    assert "“2025年高新技术企业数是多少”：文档中没有相关信息" in answer.text
    refusal_line = answer.text.splitlines()[-1]
    assert is_refusal(refusal_line)  # a quoted question's year is not a claim
    assert [c.supported for c in answer.claims] == [True, True]


def test_every_part_unanswered_is_a_refusal(pipe):
    answer = pipe.ask("2025年研发投入和高新技术企业数分别是多少", passages=_given(["全市加快建设创新平台。"]))
    assert answer.refused and answer.text.startswith(REFUSAL)


def test_parts_can_be_turned_off(pipe):
    pipe.settings = pipe.settings.with_overrides(answer_parts=False)
    passages = _given(["到2025年，全市研发投入达到45亿元。", "到2025年，全市高新技术企业数达到350家。"])
    pipe.ask("2025年研发投入和高新技术企业数分别是多少", passages=passages)
    assert pipe.generator.questions == ["2025年研发投入和高新技术企业数分别是多少"]


def test_a_part_answered_without_naming_it_is_labelled(pipe, monkeypatch):
    answers = iter(["高密市研发投入为45亿元[1]。", "350家[2]。"])
    monkeypatch.setattr(pipe.generator, "stream", lambda *a: iter([next(answers)]))
    passages = _given(["到2025年，高密市研发投入达到45亿元。", "到2025年，平度市研发投入达到350家。"])
    answer = pipe.ask("高密市和平度市的研发投入分别是多少", passages=passages)
    assert answer.text.splitlines() == ["高密市研发投入为45亿元[1]。", "平度市：350家[2]。"]


def test_a_part_needs_to_name_only_the_numbers_that_set_it_apart():
    from rag.grounding.parts import distinct
    parts = ["2022年考研报名人数是多少", "2022年高考报名人数是多少"]
    assert distinct(parts[1], parts) == "年高考报名人数是多少"
    assert distinct("2023年高考人数", ["2022年高考人数", "2023年高考人数"]) == "2023年高考人数"


def test_a_year_all_parts_share_may_be_named_by_any_part_s_passage(pipe, monkeypatch):
    """Each part cites its own passage; only one of them writes the shared 2025: the answer stands.
    A part whose own figure is about another year than its own is still withheld."""
    answers = iter(["研发投入为45亿元[1]。", "高新技术企业数为350家[2]。"])
    monkeypatch.setattr(pipe.generator, "stream", lambda *a: iter([next(answers)]))
    passages = _given(["到2025年，全市研发投入达到45亿元。", "全市高新技术企业数达到350家。"])
    answer = pipe.ask("2025年研发投入和高新技术企业数分别是多少", passages=passages)
    assert not answer.refused and "350家[2]" in answer.text and "45亿元[1]" in answer.text
    answers = iter(["2022年营收为45亿元[1]。", "2023年营收为50亿元[2]。"])
    passages = _given(["2022年全年营收达到45亿元。", "2021年全年营收达到50亿元。"])
    answer = pipe.ask("2022年和2023年营收分别是多少", passages=passages)
    assert "45亿元[1]" in answer.text and "50亿元" not in answer.text and "“2023年营收是多少”" in answer.text


def test_a_year_all_parts_share_that_no_cited_passage_names_withholds_the_answer(pipe, monkeypatch):
    answers = iter(["研发投入为45亿元[1]。", "高新技术企业数为350家[2]。"])
    monkeypatch.setattr(pipe.generator, "stream", lambda *a: iter([next(answers)]))
    passages = _given(["到2020年，全市研发投入达到45亿元。", "全市高新技术企业数达到350家。", "2025年全市将继续推进改革。"])
    answer = pipe.ask("2025年研发投入和高新技术企业数分别是多少", passages=passages)
    assert answer.refused and "350家" in answer.withheld and "2025" in answer.reason

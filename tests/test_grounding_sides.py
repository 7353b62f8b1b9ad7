"""What a side asks (its measure, years, whether it asks what was added) and the readers left in rag/grounding
(the three industries' ratio, figures in an answer, the year a figure is bound to), on the hand-made corpus of
tests/grounding_corpus.py and on sentences written here. The sides' figures are read from the figure index:
tests/test_answering.py."""

from __future__ import annotations

from grounding_corpus import passage, profile, reader

from rag.chunking import chunk_document
from rag.grounding.answerability import asked_names, check_answerable
from rag.grounding.decomposition import increment_asked, measure, plan, with_years
from rag.grounding.figures import figures_in
from rag.grounding.profile import build_profile
from rag.grounding.question import QuestionReader
from rag.types import Document, Passage


def _passage(text: str, heading: str = "第二章 主要目标", doc_id: str = "city") -> Passage:
    return passage(text, doc_id, "某市国民经济和社会发展第十四个五年规划", heading)


def test_the_modifier_the_question_puts_before_its_measure():
    assert measure(reader().read("莱西市2020年的人均GDP是多少？")).startswith("人均")
    assert with_years("莱西市“十三五”末地区生产总值是多少？", [2020]).endswith("（2020年）")


def test_a_compound_name_the_documents_never_use_together_is_refused():
    text = ("第三章 产业发展\n全市设立产业基金5亿元，支持先进制造业、现代服务业和现代农业融合发展，推动产业链条向高端延伸。"
            "\n第四章 企业培育\n家电企业达到120家。\n")
    title = "莱阳市国民经济和社会发展第十四个五年规划"
    doc = chunk_document(Document("laiyang", title, "laiyang.txt", f"{title}\n{text}", "0" * 64, "utf-8"), size=200)
    own = QuestionReader(build_profile(doc))
    question = "莱阳市的家电产业基金规模有多大？"  # 家电, 产业 and 基金 are words of two far-apart sentences
    frame, tokens = own.read(question), own.finder.tokens(question)
    assert "家电产业基金" in asked_names(frame, tokens)
    verdict = check_answerable(frame, own.profile, [], tokens)
    assert not verdict.answerable and "家电产业基金" in verdict.reason
    for answerable in ("莱阳市的产业基金规模有多大？", "莱阳市老楼院子修了多少个？"):  # everyday words: not judged
        assert check_answerable(own.read(answerable), own.profile, [], own.finder.tokens(answerable)).answerable


def test_the_last_year_of_a_plan_period_in_everyday_words():
    assert 2020 in reader().read("“十三五”收官那年莱西市一般公共预算收入是多少？").years
    assert 2021 in reader().read("“十四五”开局之年莱西市地区生产总值是多少？").years


def test_counts_of_people_and_flats_keep_their_units():
    found = figures_in("经济部门人员由209名增加到344名，1.45万套安置房交付，接待游客120万人次。")
    assert [(f.text, f.unit) for f in found] == [("209", "名"), ("344", "名"), ("1.45", "万套"), ("120", "万人次")]


def test_a_side_asking_what_was_added_says_so():
    assert increment_asked("莱西市“十三五”期间新增了多少家高新技术企业？", "高新技术企业") == "新增"
    assert increment_asked("莱西市累计新增高新技术企业多少家？", "高新技术企业") == "累计新增"
    assert increment_asked("莱西市高新技术企业达到多少家？", "高新技术企业") == ""
    frame = reader().read("“十三五”期间莱西和胶州分别新增了多少家高新技术企业？哪边多？")
    assert all("新增高新技术企业" in side.question for side in plan(frame, profile()))


def test_a_figure_is_bound_to_the_year_said_nearest_before_it():
    from rag.grounding.figures import bound_years
    text = "税收收入由“十二五”末的43.06亿元增至2020年的51.37亿元。"
    assert bound_years("43.06", text) == [{2015}] and bound_years("51.37", text) == [{2020}]
    assert bound_years("510", "地区生产总值510亿元（2020年）") == [{2020}]


def test_how_many_more_is_a_difference():
    assert reader().read("莱西市改革后，经济部门多了多少人？").kind == "difference"


def test_what_sides_ask_when_the_question_words_it_everyday():
    assert reader().read("莱西和胶州哪个地区生产总值更大？").metric_terms == ["地区生产总值"]  # '更大' compares
    assert reader().read("“十三五”这五年，莱西和胶州的经济年均增速谁更快？").metric_terms == ["经济年均增速"]


def test_an_industrys_share_is_read_from_the_ratio_of_the_three_industries():
    from rag.grounding.sectors import industry_ratio, sector
    review = "第一章 发展基础"
    both = _passage("产业结构持续优化,三次产业比例由 12.1:40:47.9 调整为 2020 年的 8.6:36.2:55.2 。", review)
    assert sector("服务业占比") == 2 and sector("第二产业比重") == 1 and sector("服务业增加值") is None
    assert industry_ratio([both], 2020) == (("8.6", "36.2", "55.2"), 1)
    assert industry_ratio([both], 2015) == (("12.1", "40", "47.9"), 1)  # where the five years began
    assert industry_ratio([both], 2025) is None
    only_section = _passage("三次产业结构持续优化,比重调整为6.1:33.0:60.9。", review)  # the review's year
    assert industry_ratio([only_section], 2020) == (("6.1", "33.0", "60.9"), 1)
    frame = reader().read("“十三五”期间某市的服务业占比提高了几个百分点？")
    assert frame.metric_terms == ["服务业占比"] and frame.years == [2015, 2020] and frame.kind == "difference"
    rate = reader().read("“十三五”期间某市地区生产总值年均增长多少？")  # a rate the documents state
    assert rate.years == []


def test_a_share_given_only_by_the_ratio_is_not_refused_as_absent():
    text = "第一章 发展基础\n“十三五”时期，到2020年，三次产业比例调整为6.1:33.0:60.9。\n"
    doc = Document("ratio", "某市国民经济和社会发展第十四个五年规划", "ratio.txt", "某市国民经济和社会发展第十四个五年规划\n" + text, "0" * 64, "utf-8")
    prof = build_profile(chunk_document(doc, size=200, overlap=0))
    read = QuestionReader(prof)
    for question in ("某市2020年第三产业占GDP比重是多少？", "某市两边第二产业占比各是多少？"):
        frame = read.read(question)
        assert check_answerable(frame, prof, [], read.finder.tokens(question)).answerable, question
    assert read.read("某市两边第二产业占比各是多少？").metric_terms == ["第二产业占比"]



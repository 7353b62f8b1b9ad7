"""Figures read in code from the documents' sentences (rag/grounding/lookup.py) and the sides they answer,
on the hand-made corpus of tests/grounding_corpus.py and on sentences written here."""

from __future__ import annotations

from grounding_corpus import chunks, passage, profile, reader

from rag.grounding.answerability import asked_names, check_answerable
from rag.grounding.decomposition import Side, lookup_answer, measure, plan, with_years
from rag.grounding.figures import figures_in
from rag.grounding.lookup import measure_forms, sentence_value
from rag.grounding.premise import check_premise
from rag.chunking import chunk_document
from rag.grounding.profile import build_profile
from rag.grounding.question import QuestionReader
from rag.types import Document, Passage


def _passage(text: str, heading: str = "第二章 主要目标", doc_id: str = "city") -> Passage:
    return passage(text, doc_id, "某市国民经济和社会发展第十四个五年规划", heading)


def passages() -> list[Passage]:
    return [Passage(c, 1.0) for c in chunks()]


def test_the_measure_names_its_figure_in_a_sentence():
    found = sentence_value([_passage("到2025年，全市地区生产总值跨上新台阶，达到880.5亿元左右，年均增长6%。")], "地区生产总值", 2025)
    assert found and found.figure.text == "880.5" and found.qualifier == "左右" and found.passage == 1


def test_a_figure_for_another_year_or_a_rate_of_the_measure_is_not_taken():
    text = "到2025年，全市地区生产总值年均增长6%，人均地区生产总值达到12万元。"
    assert sentence_value([_passage(text)], "地区生产总值", 2025) is None
    assert sentence_value([_passage(text)], "人均地区生产总值", 2025).figure.text == "12"
    base = "“十三五”时期，全市地区生产总值达到500亿元。"
    assert sentence_value([_passage(base, "第一章 发展基础")], "地区生产总值", 2025) is None
    assert sentence_value([_passage(base, "第一章 发展基础")], "地区生产总值", 2020).figure.text == "500"


def test_a_list_of_places_gives_the_asked_place_its_own_figure():
    text = "力争到2025年，甲市GDP完成1100亿元以上，乙县达到750亿元左右，丙区达到650亿元。"
    found = sentence_value([_passage(text, doc_id="province")], "地区生产总值", 2025, own_docs={"yixian"}, names=["乙县", "乙"])
    assert found.figure.text == "750" and found.qualifier == "左右"
    assert sentence_value([_passage(text, doc_id="province")], "地区生产总值", 2025, {"dingxian"}, ["丁县"]) is None


def test_measure_forms_and_the_modifier_the_question_puts_before_its_measure():
    assert {"地区生产总值", "GDP", "经济总量", "生产总值"} <= set(measure_forms("地区生产总值"))
    assert measure(reader().read("莱西市2020年的人均GDP是多少？")).startswith("人均")
    assert with_years("莱西市“十三五”末地区生产总值是多少？", [2020]).endswith("（2020年）")


def test_a_comparison_side_is_answered_from_its_documents_sentence():
    frame = reader().read("莱西和胶州哪个十三五末地区生产总值更大？")
    sides = plan(frame, profile())
    everything = passages()
    got = {s.label: lookup_answer(s, frame, [], profile(), [p for p in everything if p.chunk.doc_id in s.doc_ids])
           for s in sides}
    assert "300.5亿元" in got["莱西"].text and "1200亿元" in got["胶州"].text
    assert all(not a.refused and a.citations for a in got.values())


def test_a_side_without_its_figure_is_left_to_the_model():
    frame = reader().read("莱西和胶州2025年高新技术企业分别有多少家？")
    side = Side("莱西市", "莱西市2025年高新技术企业是多少？", ["laixi"], "莱西市")
    assert lookup_answer(side, frame, [p for p in passages() if p.chunk.doc_id == "laixi"], profile()) is None


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


def test_an_increment_is_answered_by_what_was_added_not_by_the_total():
    text = "“十三五”时期，全市高新技术企业达到180家，新培植高新技术企业66家。"
    found = sentence_value([_passage(text, "第一章 发展基础")], "高新技术企业", 2020, increment=True)
    assert found and found.figure.text == "66"
    assert sentence_value([_passage(text, "第一章 发展基础")], "高新技术企业", 2020).figure.text == "180"
    frame = reader().read("“十三五”期间莱西和胶州分别新增了多少家高新技术企业？哪边多？")
    assert all("新增高新技术企业" in side.question for side in plan(frame, profile()))


def test_a_period_side_reads_what_the_period_achieved_as_of_its_last_year():
    frame = reader().read("“十三五”期间莱西和胶州的地区生产总值分别是多少？")
    got = {s.label: lookup_answer(s, frame, [], profile(), [p for p in passages() if p.chunk.doc_id in s.doc_ids])
           for s in plan(frame, profile())}
    assert "300.5亿元" in got["莱西"].text and "1200亿元" in got["胶州"].text
    assert all(a.looked_up and "2020年" not in a.text for a in got.values())  # said for the period, not a year


def test_a_table_row_of_another_places_document_is_not_the_asked_places_figure():
    """A row names no place: in 胶州's plan it is 胶州's, even when the chunk also names 莱西."""
    row = passage("莱西市等周边地区协同发展。\n| 指标 | 2020年 | 2025年 |\n| 森林覆盖率(%) | 30 | 35 |\n", "jiaozhou",
                  heading="第二章 主要目标")
    frame = reader().read("莱西市和胶州市2025年森林覆盖率分别是多少？")
    laixi = next(s for s in plan(frame, profile()) if s.place == "莱西市")
    assert lookup_answer(laixi, frame, [row], profile()) is None


def test_a_figure_is_bound_to_the_year_said_nearest_before_it():
    from rag.grounding.figures import bound_years
    text = "税收收入由“十二五”末的43.06亿元增至2020年的51.37亿元。"
    assert bound_years("43.06", text) == [{2015}] and bound_years("51.37", text) == [{2020}]
    assert bound_years("510", "地区生产总值510亿元（2020年）") == [{2020}]


def test_a_figure_given_only_relative_to_a_later_one_is_derived_and_shown():
    from rag.grounding.lookup import relative_value
    text = "煤炭消费总量下降到254万吨，较“十二五”末减少75万吨。2020年空气质量优良天数232天，比“十二五”末增加100天。"
    coal = relative_value([_passage(text, "第一章 发展基础")], "煤炭消费总量", 2015)
    assert coal.figure.text == "329" and coal.calculation == "254+75=329"
    assert relative_value([_passage(text, "第一章 发展基础")], "空气质量优良天数", 2015).figure.text == "132"
    assert relative_value([_passage(text, "第一章 发展基础")], "煤炭消费总量", 2010) is None
    # '下降到254万吨' states the level itself, read for the year of its section
    assert sentence_value([_passage(text, "第一章 发展基础")], "煤炭消费总量", 2020).figure.text == "254"


def test_how_many_more_is_a_difference():
    assert reader().read("莱西市改革后，经济部门多了多少人？").kind == "difference"


def test_sides_asked_with_no_year_are_read_for_the_year_their_plan_reports_as_reached():
    frame = reader().read("莱西和胶州哪个地区生产总值更大？")
    assert frame.metric_terms == ["地区生产总值"]  # '更大' is how they compare, not part of the measure
    everything = passages()
    got = {s.label: lookup_answer(s, frame, [], profile(), [p for p in everything if p.chunk.doc_id in s.doc_ids])
           for s in plan(frame, profile())}
    assert got["莱西"].text.startswith("2020年") and "300.5亿元" in got["莱西"].text and "1200亿元" in got["胶州"].text
    # 胶州's passage never writes 2020: the year is said as its review of the period does
    assert got["胶州"].text.startswith("“十三五”末")
    target = reader().read("莱西和胶州的地区生产总值目标分别是多少？")  # a target: not read as 2020's
    assert all(lookup_answer(s, target, [], profile(), everything) is None for s in plan(target, profile()))


def test_an_industrys_share_is_read_from_the_ratio_of_the_three_industries():
    from rag.grounding.lookup import ratio_value, sector
    review = "第一章 发展基础"
    both = _passage("产业结构持续优化,三次产业比例由 12.1:40:47.9 调整为 2020 年的 8.6:36.2:55.2 。", review)
    assert sector("服务业占比") == 2 and sector("第二产业比重") == 1 and sector("服务业增加值") is None
    assert ratio_value([both], "服务业占比", 2020).figure.text == "55.2"
    assert ratio_value([both], "二产占比", 2015).figure.text == "40"  # where the five years began
    assert ratio_value([both], "服务业占比", 2025) is None
    only_section = _passage("三次产业结构持续优化,比重调整为6.1:33.0:60.9。", review)  # the review's year
    assert ratio_value([only_section], "第一产业比重", 2020).figure.text == "6.1"
    frame = reader().read("“十三五”期间某市的服务业占比提高了几个百分点？")
    assert frame.metric_terms == ["服务业占比"] and frame.years == [2015, 2020] and frame.kind == "difference"
    side = Side("2015年", "某市2015年服务业占比是多少？", None)
    got = lookup_answer(side, frame, [both], profile())
    assert "三次产业比例为12.1:40:47.9" in got.text and got.text.rstrip("。").endswith("47.9%[1]")
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


def test_a_growth_rate_is_read_after_its_measure():
    from rag.grounding.lookup import rate_value
    review = _passage("全市生产总值达到715.7亿元,年均增长5%。规模以上工业增加值年均增长7.2%。", "第一章 发展基础")
    got = rate_value([review], "经济年均增速", 2020)  # the economy's growth is the output's
    assert got.figure.text == "5" and got.named == "生产总值年均增长"
    assert rate_value([review], "工业增加值年均增速", 2020).figure.text == "7.2"
    assert rate_value([review], "经济年均增速", 2025) is None  # the review speaks of 2020
    assert rate_value([review], "地区生产总值", 2020) is None  # not a rate
    frame = reader().read("“十三五”这五年，莱西和胶州的经济年均增速谁更快？")
    assert frame.metric_terms == ["经济年均增速"]

"""Figures, arithmetic, decomposition and citation repair on hand-made passages."""

from __future__ import annotations

import pytest

from grounding_corpus import passage, profile, reader
from rag.citations import attach_citations, verified_results
from rag.grounding import arithmetic
from rag.grounding.citation_repair import repair_citations
from rag.grounding.decomposition import SideResult, compose, missing_figures, pick_figure, plan
from rag.grounding.figures import bound_years, context_years, figures_in, fits, wrong_year
from rag.types import Answer

TABLE = "| 指标 | 2020年 | 2025年 |\n| 地区生产总值(亿元) | 300.5 | 420 |\n| 森林覆盖率(%) | 20.1 | 22 |"


def test_figures_skip_years_dates_and_marks():
    found = figures_in("到2025年，地区生产总值达到420亿元[1]，森林覆盖率22%，2021年3月印发。")
    assert [f.shown() for f in found] == ["420亿元", "22%"]


def test_year_binding_in_tables_and_sentences():
    assert bound_years("420", TABLE) == [{2025}]
    assert bound_years("300.5", TABLE) == [{2020}]
    assert bound_years("22", "到2025年,森林覆盖率达到22%。") == [{2025}]
    assert bound_years("300.5", "全市地区生产总值跨上新台阶,达到300.5亿元。") == [set()]
    assert wrong_year("300.5", 2025, [passage(TABLE)]) == {2020}  # the 2020 base given as the 2025 target
    assert wrong_year("420", 2025, [passage(TABLE)]) == set()
    assert wrong_year("300.5", 2025, [passage("达到300.5亿元。", heading="第五章 产业")]) == set()  # not said


def test_a_looking_back_section_speaks_of_the_year_before_the_plan():
    looking_back = passage("全市地区生产总值跨上新台阶，达到300.5亿元。")  # under 第一章 发展基础 of a 十四五 plan
    assert context_years(looking_back.chunk) == {2020}
    assert wrong_year("300.5", 2025, [looking_back]) == {2020}
    opened = passage("“十三五”时期，全市生产总值达到715.7亿元。")
    assert bound_years("715.7", opened.chunk.text, context_years(opened.chunk)) == [{2020}]


def test_a_share_does_not_answer_a_total():
    assert not fits(figures_in("8.2%")[0], "地区生产总值是多少？") and fits(figures_in("8.2%")[0], "增速是多少？")


def test_arithmetic_is_shown_and_verifiable():
    value, shown = arithmetic.difference("1200", "300.5")
    assert value == 899.5 and shown == "1200−300.5=899.5"
    assert arithmetic.ratio("420", "300.5")[1] == "420÷300.5≈1.4"
    assert arithmetic.growth("420", "300.5")[1] == "(420−300.5)÷300.5≈39.8%"
    assert arithmetic.total(["1", "2.5", "3"])[1] == "1+2.5+3=6.5"
    assert arithmetic.ratio("1", "0") is None
    # whole numbers keep their zeros (a difference of 180 was shown as 750−570=18)
    assert arithmetic.difference("750", "570")[1] == "750−570=180" and arithmetic.total(["100", "200"])[1] == "100+200=300"
    assert verified_results("多899.5亿元（1200−300.5=899.5），约1.4倍（420÷300.5≈1.4），增长39.8%（(420−300.5)÷300.5≈39.8%）") \
        == {"899.5", "1.4", "39.8"}
    assert verified_results("多900亿元（1200−300.5=900）") == set()  # wrong arithmetic grounds nothing


def _side(label: str, text: str, source: str, doc: str = "laixi") -> SideResult:
    from rag.grounding.decomposition import Side

    answer = Answer(question=f"{label}?", text=text, passages=[passage(source, doc)])
    return SideResult(Side(label, f"{label}?", [doc]), attach_citations(answer))


def test_plan_asks_each_place_from_its_own_documents():
    prof = profile()
    sides = plan(reader().read("莱西和胶州哪个十三五末经济总量更大？"), prof)
    assert [(s.label, s.place, s.doc_ids) for s in sides] == [("莱西", "莱西市", ["laixi"]), ("胶州", "胶州市", ["jiaozhou"])]  # the asker's words
    assert all(("经济总量" in s.question or "地区生产总值" in s.question) and "哪个" not in s.question for s in sides)
    years = plan(reader().read("莱西市2025年地区生产总值目标比2020年增加多少？"), prof)
    assert [s.label for s in years] == ["2025年", "2020年"] and "2020年" in years[1].question


def test_comparison_is_computed_in_code_with_each_side_cited():
    frame = reader().read("莱西和胶州哪个十三五末经济总量更大？")
    results = [_side("莱西市", "莱西市地区生产总值为300.5亿元[1]。", "全市地区生产总值达到300.5亿元。"),
               _side("胶州市", "胶州市地区生产总值为1200亿元[1]。", "全市地区生产总值达到1200亿元。", "jiaozhou")]
    for r in results:
        pick_figure(r, frame)
    text, passages, calculation = compose(frame, results)
    assert [r.figure.text for r in results] == ["300.5", "1200"]
    assert "胶州市更大，比莱西市多899.5亿元（1200−300.5=899.5）[1][2]" in calculation
    assert "莱西市：莱西市地区生产总值为300.5亿元[1]" in text and "[2]" in text and len(passages) == 2
    checked = attach_citations(Answer(question=frame.question, text=text, passages=passages))
    assert all(c.supported for c in checked.claims)  # the computed 899.5 counts: its calculation is shown


def test_a_year_side_does_not_say_its_year_twice_and_a_place_side_keeps_its_words():
    """'2020年：2020年…' is said once; a place's answer starting with a longer form of its label ('莱西市…'
    under '莱西') keeps its words."""
    frame = reader().read("莱西市2020年和2025年地区生产总值分别是多少？")
    years = [_side("2020年", "2020年地区生产总值为300.5亿元[1]。", "2020年，全市地区生产总值达到300.5亿元。"),
             _side("2025年", "2025年地区生产总值为420亿元[1]。", "到2025年，全市地区生产总值达到420亿元。")]
    text = compose(frame, years)[0]
    assert text.startswith("2020年：地区生产总值为300.5亿元[1]。\n2025年：地区生产总值为420亿元[2]。")
    places = [_side("莱西", "莱西市地区生产总值为300.5亿元[1]。", "全市地区生产总值达到300.5亿元。")]
    assert compose(frame, places)[0].startswith("莱西：莱西市地区生产总值")


def test_a_figure_the_passages_do_not_state_is_not_used():
    frame = reader().read("莱西和胶州哪个十三五末经济总量更大？")
    results = [_side("莱西市", "莱西市为350亿元[1]。", "全市地区生产总值达到300.5亿元。"),
               _side("胶州市", "胶州市为1200亿元[1]。", "全市地区生产总值达到1200亿元。", "jiaozhou")]
    for r in results:
        pick_figure(r, frame)
    assert results[0].figure is None and "莱西市" in missing_figures(frame, results)
    assert compose(frame, results)[2] == ""


def test_units_must_agree_before_comparing():
    frame = reader().read("莱西和胶州哪个十三五末经济总量更大？")
    results = [_side("莱西市", "为300.5亿元[1]。", "全市地区生产总值达到300.5亿元。"),
               _side("胶州市", "为1200万元[1]。", "全市地区生产总值达到1200万元。", "jiaozhou")]
    for r in results:
        pick_figure(r, frame)
    assert compose(frame, results)[2] == "" and "单位不同" in missing_figures(frame, results)


def test_ratio_between_years_of_one_place():
    frame = reader().read("莱西市2025年的地区生产总值相当于2020年的多少倍？")
    results = [_side("2025年", "2025年为420亿元[1]。", TABLE), _side("2020年", "2020年为300.5亿元[1]。", TABLE)]
    for r in results:
        pick_figure(r, frame)
    assert "2025年约是2020年的1.4倍（420÷300.5≈1.4）" in compose(frame, results)[2]


def test_year_side_rejects_a_figure_of_the_other_year():
    frame = reader().read("莱西市2025年地区生产总值目标比2020年增加多少？")
    result = _side("2025年", "2025年为300.5亿元[1]。", TABLE)
    pick_figure(result, frame)
    assert result.figure is None


@pytest.mark.parametrize("raw, fixed", [
    ("莱西市地区生产总值为300.5亿元。[1][2][3]", "莱西市地区生产总值为300.5亿元[1]。"),  # three marks, one source
    ("胶州市有高新技术企业150家[1]。", "胶州市有高新技术企业150家[2]。"),  # cited the wrong passage
    ("森林覆盖率22%，地区生产总值1200亿元[1]。", "森林覆盖率22%，地区生产总值1200亿元[2][3]。"),  # spread over two
    ("莱西市被评为全国文明城市。", "莱西市被评为全国文明城市[1]。"),  # no figure: the passage sharing its words
    ("这是一句无关的话[2]。", "这是一句无关的话[2]。"),  # nothing supports it: left for the claim check to flag
])
def test_citation_repair(raw, fixed):
    passages = [passage("全市地区生产总值达到300.5亿元。莱西市被评为全国文明城市。"),
                passage("全市地区生产总值达到1200亿元，高新技术企业达到150家。", "jiaozhou"),
                passage("森林覆盖率达到22%。")]
    assert repair_citations(raw, passages) == fixed


def test_a_calculation_without_sides_is_done_on_the_answer_figures():
    from rag.grounding.decomposition import calculate_from_answer, figures_question

    frame = reader().read("莱西市2020年地区生产总值比一般公共预算收入多多少亿元？")
    assert frame.kind == "difference" and not frame.decomposed
    assert "多少亿元" not in figures_question(frame) and figures_question(frame).endswith("分别是多少？")
    source = passage("全市地区生产总值达到300.5亿元，一般公共预算收入25.1亿元。")
    answer = attach_citations(Answer(question="q", text="分别为300.5亿元和25.1亿元[1]。另有99亿元。", passages=[source]))
    assert calculate_from_answer(frame, answer) == "两者相差275.4亿元（300.5−25.1=275.4）[1]。"  # 99: in no passage
    total = reader().read("莱西市2020年地区生产总值和一般公共预算收入加起来一共是多少亿元？")
    assert calculate_from_answer(total, answer).startswith("合计325.6亿元（300.5+25.1=325.6）")


def test_binding_withholds_a_figure_of_another_place_or_measure():
    from rag.grounding.binding import unbound

    read = reader()
    sentence = passage("到2025年，高新技术企业达到300家，城乡供水一体化覆盖率达到100%。", "jiaozhou")
    # 城阳区 is named nowhere in the corpus here, so the question itself is refused earlier; with a place the
    # corpus only mentions, the figure must stand in a sentence naming it
    frame = read.read("青岛市城阳区2025年高新技术企业目标是多少？")
    assert "城阳区" in frame.unknown  # a county-level unit after its city, though jieba cuts it apart
    measure = read.read("胶州市2025年人口出生率是多少？")
    answer = Answer(question=measure.question, text="2025年人口出生率为100%[1]。", passages=[sentence])
    assert "说的不是“人口出生率”" in unbound(measure, answer)[0]
    right = read.read("胶州市2025年城乡供水一体化覆盖率是多少？")
    answer = Answer(question=right.question, text="覆盖率达到100%[1]。", passages=[sentence])
    assert unbound(right, answer) == ("", 0)


def test_an_answer_whose_cited_passages_never_name_the_questions_year_or_edition():
    from rag.grounding.binding import unnamed
    other = passage("2021年第93届奥斯卡最佳影片是《无依之地》。", "news", "新闻", "")
    right = passage("第94届奥斯卡最佳影片是《健听女孩》，颁奖礼于2022年3月举行。", "news", "新闻", "")
    question = "2022年第94届奥斯卡最佳影片是哪部？"
    assert unnamed(question, Answer(question, "是《无依之地》[1]。", passages=[other, right])) == ["2022", "94"]
    assert unnamed(question, Answer(question, "是《健听女孩》[2]。", passages=[other, right])) == []
    assert unnamed(question, Answer(question, "是《健听女孩》。", passages=[other, right])) == []  # no citation: all count
    # a looking-back section of a 十四五 plan speaks of 2020 without writing it
    base = passage("全市地区生产总值跨上新台阶，达到300.5亿元。", heading="第一章 发展基础")
    assert unnamed("莱西市2020年地区生产总值是多少？", Answer("", "300.5亿元[1]。", passages=[base])) == []
    assert unnamed("莱西市2023年地区生产总值是多少？", Answer("", "300.5亿元[1]。", passages=[base])) == ["2023"]


@pytest.mark.parametrize("question, text, empty", [
    ("《狂飙》是什么类型的电视剧", "《狂飙》是一部电视剧[1][2]。", True),
    ("KF-21战斗机研发国家", "KF-21战斗机研发国家是[3]。", True),
    ("《狂飙》是什么类型的电视剧", "《狂飙》是一部刑侦剧[1]。", False),
    ("10·29索马里首都汽车炸弹爆炸死亡人数", "119人[3]", False),  # a number the question does not hold
    ("莱西市2022年CPI上涨了多少？", "莱西市2022年CPI上涨了2%[1]。", False),
    ("莱西“十三五”末三产占比已经过半，这说明服务业唱主角了吧？", "莱西“十三五”末三产占比已经过半，说明服务业唱主角[1]。", False),
])
def test_an_answer_that_only_repeats_the_question_says_nothing(question, text, empty):
    from rag.grounding.binding import says_nothing
    assert says_nothing(question, text) is empty


def test_a_change_against_another_year_is_not_the_level_asked_for():
    from rag.grounding.binding import unbound
    source = passage("2019年煤炭消费总量下降到254万吨，较“十二五”末减少75万吨。", heading="第一章 发展基础")
    frame = reader().read("2015年莱西市的煤炭消费总量有多少万吨？")
    answer = Answer(question=frame.question, text="“十二五”末减少75万吨[1]。", passages=[source])
    assert "变化量" in unbound(frame, answer)[0]
    asked = reader().read("莱西市煤炭消费总量比“十二五”末减少了多少万吨？")  # the change is what is asked
    assert unbound(asked, Answer(question=asked.question, text="减少75万吨[1]。", passages=[source])) == ("", 0)


def test_a_side_keeps_the_quoted_qualifier_of_its_measure():
    sides = plan(reader().read("莱西市“四新”经济增加值占GDP比重的2020年现状和2025年目标各是多少？"), profile())
    assert [s.label for s in sides] == ["2020年", "2025年"] and all("“四新”经济增加值" in s.question for s in sides)


def test_sentences_that_say_nothing_are_dropped_from_an_answer():
    from rag.grounding.binding import without_empty_sentences
    asked = "莱西市出口比进口多，相关数字分别是多少？"
    text = "出口为30亿元[1]，进口为20亿元[2]。\n相关数字分别是和[1][2]。"
    assert without_empty_sentences(asked, text) == "出口为30亿元[1]，进口为20亿元[2]。"
    assert without_empty_sentences(asked, "相关数字分别是[1]。") == "相关数字分别是[1]。"  # nothing else: kept
    listed = "莱西市四大主导产业：\n1. 食品饮料[1]\n2. 机械制造[1]"
    assert without_empty_sentences("莱西市重点发展哪四大主导产业？", listed) == listed


def test_an_answer_citing_a_passage_on_another_year_is_moved_to_the_one_on_the_year_asked():
    from rag.grounding.binding import cited_elsewhere
    other = passage("2021年全国硕士研究生报名人数为377万，较上年增长36万。", "news", "新闻", "")
    right = passage("2022年全国硕士研究生招生考试报名人数为457万，比2021年增加80万。", "news", "新闻", "")
    question = "2022年考研报名人数是多少？"
    assert cited_elsewhere(question, Answer(question, "报名人数为457万[1]。", passages=[other, right])) == "报名人数为457万[2]。"
    # what the other passage says is not what the answer says: nothing to move to, the answer is withheld
    assert cited_elsewhere(question, Answer(question, "报名人数为377万[1]。", passages=[other, right])) == ""


def test_the_place_a_comparison_asks_for_is_not_part_of_its_measure():
    frame = reader().read("莱西市和胶州市“十三五”末哪个地区服务业比重更高？")
    assert frame.metric_terms == ["服务业比重"]


def test_a_figure_in_a_unit_the_measure_is_not_counted_in_is_not_its_value():
    from rag.grounding.binding import unbound
    from rag.grounding.figures import Figure, counted_in
    # the clause before the pipes names 供热…面积: only the unit tells the length from the area
    source = passage("供热总入网面积达到1080万平方米,新建供热管道163.9公里。", "laixi")
    frame = reader().read("莱西市的供热面积是多少？")
    wrong = Answer(question=frame.question, text="供热面积为163.9公里[1]。", passages=[source])
    assert "不是“供热面积”的数值" in unbound(frame, wrong)[0]
    right = Answer(question=frame.question, text="供热面积达到1080万平方米[1]。", passages=[source])
    assert unbound(frame, right) == ("", 0)
    assert counted_in(Figure(50.5, "50.5", "亿元"), "一般公共预算收入")
    assert not counted_in(Figure(120, "120", "家"), "一般公共预算收入")
    assert counted_in(Figure(3.5, "3.5", "%"), "地区生产总值")  # a share is judged by fits(), not here
    # the unit's dimension decides: people are counted in 名 as in 万人, an area is no length
    assert counted_in(Figure(500, "500", "名"), "新增就业人数")
    assert counted_in(Figure(12, "12", "万人次"), "接待游客人数")
    assert not counted_in(Figure(30, "30", "平方公里"), "高速公路里程")


@pytest.mark.parametrize("question, text, empty", [
    ("莱西市拿出多少财政资金用于奖补乡镇？", "莱西市拿出财政资金用于奖补乡镇的3.加强财政政策支持。", True),
    ("莱西市这几年修整了多少个老旧小区？", "莱西市大力发展装配式建筑[1]。", True),
    ("北京冬奥会中国获得多少金牌？", "中国获得9枚金牌[1]。", False),  # a unit outside the usual list
    ("美联储将加息几次？", "将加息四次[3]。", False),  # said in words
    ("我国2021年人口的出生率是多少？", "出生率为7.52‰[1]。", False),
    ("莱西市2025年地区生产总值是多少？", "2025年地区生产总值[1]。", True),  # the year is the question's
    ("莱西市的主导产业有哪几个？", "智能家电、新材料[1]。", False),  # which ones, not how many
])
def test_an_answer_to_how_many_must_state_a_figure(question, text, empty):
    from rag.grounding.binding import no_figure
    assert no_figure(question, text) is empty


def test_a_count_of_another_thing_does_not_answer_how_many():
    from rag.grounding.binding import counted_thing, unbound
    source = passage("到2022年,5G基站建设数量突破1700个,新增市场主体2100户。", "laixi")
    frame = reader().read("莱西市的数字人民币目前接入了多少家商户？")
    assert counted_thing(frame.question) == "商户"
    assert counted_thing("莱西市建了多少个吃饭的地方？") == ""  # a vague head after its description is not judged
    wrong = Answer(question=frame.question, text="覆盖了1700个商户[1]。", passages=[source])
    assert "说的不是“商户”" in unbound(frame, wrong)[0]
    asked = reader().read("莱西市2022年新增了多少户市场主体？")
    assert unbound(asked, Answer(question=asked.question, text="新增市场主体2100户[1]。", passages=[source])) == ("", 0)


def test_the_rest_of_a_corrected_question_does_not_restate_the_denied_figure():
    """A model answering what the question asks beyond its premise may copy the question's false figure:
    those sentences go, the others stay."""
    from rag.grounding.premise import Correction

    correction = Correction("问题的前提与文档不符：…", denied="增长了7.2%")
    rest = "出口势头良好，增长7.2%[1]。新兴市场占比提高[2]。"
    assert correction.without_denied(rest) == "新兴市场占比提高[2]。"
    assert correction.without_denied("出口下降7.2%[1]。") == "出口下降7.2%[1]。"
    assert Correction("x").without_denied(rest) == rest

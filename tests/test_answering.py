"""The answer routes (rag/answering) over a hand-made corpus of places not in seeds/: which answerer takes a
question, the section index answering an overview, presence judged by meaning, and a report's own year."""

from __future__ import annotations

import pytest

from grounding_corpus import DOCS, RecordingModel
from rag.answering import ROUTES, Asked, route
from rag.pipeline import QAPipeline
from rag.types import Answer

PLAN = (
    "婺源县国民经济和社会发展第十四个五年规划纲要",
    "第一章 发展环境\n第一节 发展基础\n“十三五”时期，全县地区生产总值达到180亿元。城镇和农村居民人均可支配收入分别达到4.2万元和2.1万元。\n"
    "第二节 面临的挑战\n一是产业结构偏重，新兴产业规模小。二是科技创新能力不强，高端人才短缺。三是城乡发展不平衡，公共服务短板明显。\n"
    "第二章 主要目标\n到2025年，全社会研发经费投入占地区生产总值比重达到2.6%，地区生产总值达到260亿元。\n"
    "到2025年，茶产业实现营业收入超过80亿元。\n",
)
REPORT = (
    "2026年甘肃省政府工作报告",
    "——2026年1月20日在甘肃省第十届人民代表大会第三次会议上\n各位代表：\n"
    "一、2025年工作回顾\n过去一年，全省地区生产总值达到9800亿元，增长5.1%。固定资产投资下降3.3%。"
    "500个省重点项目完成投资3000亿元。常住人口由上年2460万人减少到2450万人。\n"
    "二、2026年主要预期目标\n今年全省经济社会发展的主要预期目标是：地区生产总值增长5%左右；城镇新增就业45万人以上；"
    "居民消费价格涨幅2%左右；粮食产量稳定在1200万吨以上。\n",
)


class FirstFigure(RecordingModel):
    """Answers with the first figure in the prompt's passages; records the questions it was asked."""

    name = "first-figure"

    def answer(self, question, body):
        import re

        found = re.search(r"\d+(?:\.\d+)?(?:亿元|万元|%)", body)
        yield f"为{found.group(0)}[1]。" if found else "文档中没有相关信息"


@pytest.fixture
def pipe(tmp_settings, hash_embedder):
    return indexed(tmp_settings, hash_embedder, dict(DOCS) | {"qinglan": PLAN, "yunling": REPORT})


def indexed(settings, embedder, docs: dict[str, tuple[str, str]]) -> QAPipeline:
    """A pipeline over these (title, body) documents, indexed, answering with FirstFigure."""
    for doc_id, (title, body) in docs.items():
        (settings.corpus_dir / f"{doc_id}.txt").write_text(f"{title}\n{body}", encoding="utf-8")
    pipeline = QAPipeline(settings.with_overrides(top_k=3), embedder=embedder, generator=FirstFigure())
    pipeline.index()
    return pipeline


def test_routes_end_in_the_model_and_record_who_answered(pipe):
    assert ROUTES[-1].name == "model" and len({r.name for r in ROUTES}) == len(ROUTES)
    answer = pipe.ask("莱西市2020年森林覆盖率是多少？")
    assert answer.route in {r.name for r in ROUTES}


def test_an_answerer_that_gives_way_passes_the_question_on():
    class GivesWay:
        name = "gives-way"

        def applies(self, q):
            return True

        def answer(self, q):
            return False
            yield  # a generator that yields nothing

    class Takes:
        name = "takes"

        def applies(self, q):
            return True

        def answer(self, q):
            q.answer.text = "ok"
            yield from ()

    q = Asked(None, Answer("问", ""), None, None, "问", "", None, False, None, None, [])
    list(route(q, [GivesWay(), Takes()]))
    assert q.answer.route == "takes" and q.answer.text == "ok"


def test_an_overview_question_is_answered_with_every_item_of_its_section(pipe):
    answer = pipe.ask("婺源县目前有哪些短板？")  # the heading says 挑战, the question 短板
    assert answer.route == "section" and not answer.refused
    for phrase in ("产业结构偏重", "科技创新能力不强", "城乡发展不平衡"):
        assert phrase in answer.text
    assert answer.citations and all("挑战" in c.heading_path for c in answer.citations)
    assert answer.looked_up  # the items are the documents' own words, read in code


def test_a_question_asking_a_figure_is_not_taken_by_the_section_route(pipe):
    answer = pipe.ask("婺源县到2025年地区生产总值目标是多少？")
    assert answer.route != "section"


def test_a_measure_worded_otherwise_is_not_refused(pipe):
    # the documents say 研发经费投入占地区生产总值比重, the question its standard synonym 强度
    answer = pipe.ask("婺源县到2025年研发经费投入强度目标是多少？")
    assert answer.route != "refusal", answer.reason
    # the documents say 城镇和农村居民人均可支配收入分别…
    answer = pipe.ask("婺源县城镇居民的人均可支配收入在十三五末达到多少？")
    assert answer.route != "refusal", answer.reason


def test_a_measure_the_documents_never_state_is_refused_saying_what_they_have(pipe):
    answer = pipe.ask("婺源县2025年人均公园绿地面积是多少？")
    assert answer.refused and answer.route == "refusal" and "人均公园绿地面积" in answer.reason


def test_a_reports_last_year_is_read_against_the_year_it_was_written_in(pipe):
    frame = pipe.reader.read("甘肃省去年地区生产总值是多少？")
    assert frame.years == [2025]
    frame = pipe.reader.read("甘肃省今年地区生产总值预期增长多少？")
    assert frame.years == [2026]


def test_a_report_whose_title_names_no_place_takes_it_from_its_opening(tmp_settings, hash_embedder):
    title, body = REPORT
    (tmp_settings.corpus_dir / "report.txt").write_text(f"政府工作报告\n{body}", encoding="utf-8")
    (tmp_settings.corpus_dir / "plan.txt").write_text("\n".join(PLAN), encoding="utf-8")
    pipeline = QAPipeline(tmp_settings, embedder=hash_embedder, generator=FirstFigure())
    pipeline.index()
    assert "甘肃省" in pipeline.reader.profile.places


def test_a_figure_question_is_answered_from_the_figure_index_for_the_year_asked(pipe):
    answer = pipe.ask("甘肃省去年地区生产总值是多少？")  # a 2026 report: 去年 is 2025
    assert answer.route == "figure" and "9800亿元" in answer.text and not answer.refused
    assert all(c.supported for c in answer.claims)
    assert "9800" in answer.passages[answer.citations[0].number - 1].chunk.text


def test_records_that_disagree_leave_the_question_to_the_model(pipe):
    # the plan states 地区生产总值 for the end of 十三五 and as its 2025 target: no year asked, two values
    answer = pipe.ask("婺源县地区生产总值是多少？")
    assert answer.route != "figure"


def test_a_yes_no_question_stating_a_figure_is_verified_not_agreed_to(pipe):
    yes = pipe.ask("甘肃2025年的经济总量有没有过9000亿元？")
    assert yes.route == "verdict" and yes.text.startswith("是") and "9800亿元" in yes.text
    no = pipe.ask("甘肃2025年地区生产总值是否超过1万亿元？")
    assert no.route == "verdict" and no.text.startswith("不是") and "9800亿元" in no.text
    assert all(c.supported for c in yes.claims + no.claims)


def test_a_section_that_does_not_speak_of_the_questions_topic_gives_way(pipe):
    # the challenges section is matched by its concept, but it says nothing of tourism
    assert pipe.ask("婺源县在旅游方面面临哪些挑战？").route != "section"
    assert pipe.ask("婺源县在哪一年被评为文明城市？").route != "section"  # one thing asked, not a list


def test_a_side_is_read_from_the_figure_index_for_its_year(pipe):
    answer = pipe.ask("婺源县和莱西市十三五末地区生产总值哪个更大？")
    assert answer.route == "sides" and "180亿元" in answer.text and "300.5亿元" in answer.text


def test_a_document_over_the_records_limit_is_indexed_without_records(monkeypatch):
    from rag import derived
    from rag.chunking import chunk_document
    from rag.types import Document

    title, body = PLAN
    doc = Document("big", title, "big.txt", f"{title}\n{body}", "0" * 64, "utf-8")
    chunks = chunk_document(doc, size=200, overlap=0)
    assert derived.derive(doc, chunks)["figures"]  # a short plan states figures
    monkeypatch.setattr(derived, "MAX_CHARS", 100)
    assert derived.derive(doc, chunks) == {kind: [] for kind in derived.BUILDERS}


def test_a_premise_the_figure_index_contradicts_is_corrected_then_the_rest_answered(pipe):
    answer = pipe.ask("有人说2025年甘肃的地区生产总值增速是6.1%，这一年的经济总量是多少？")
    assert answer.route == "premise" and "增长5.1%[1]" in answer.text and "“6.1%”" in answer.text
    assert "9800亿元" in answer.text  # the rest of the question, from the figure index
    answer = pipe.ask("既然甘肃去年固定资产投资比上年提高3.3%，投资的重点放在哪里？")  # a decline given as a rise
    assert answer.route == "premise" and "下降3.3%" in answer.text and "“提高3.3%”" in answer.text
    answer = pipe.ask("婺源县计划2025年茶产业达到150亿元营收，具体有哪些办法？")  # the measure read from the claim
    assert answer.route == "premise" and "80亿元" in answer.text and "150亿元" in answer.text
    borne_out = "有人说2025年甘肃的地区生产总值增速是5.1%，这一年的经济总量是多少？"
    assert pipe.ask(borne_out).route != "premise"
    answer = pipe.ask("甘肃今年经济总量9800亿元，增长了多少？")  # another year's figure
    assert answer.route == "premise" and "2025年地区生产总值为9800亿元[1]，即问题中的9800亿元，不是2026年的数值" in answer.text
    assert "5.1%" in answer.text  # the rest asked of the year the figure belongs to


def test_a_premise_naming_its_measure_before_the_figure_is_corrected(pipe):
    answer = pipe.ask("婺源县茶产业2025年营收目标是150亿元，要靠哪些措施？")
    assert answer.route == "premise" and "80亿元" in answer.text and "150亿元" in answer.text


def test_a_years_rate_asked_as_growth_rate_is_read_from_the_figure_index(pipe):
    answer = pipe.ask("甘肃2025年地区生产总值增长率是多少？")
    assert answer.route == "figure" and "5.1%" in answer.text


def test_a_yes_no_question_with_a_bound_after_the_figure_is_verified(pipe):
    answer = pipe.ask("甘肃2025年地区生产总值在1万亿元以上吗？")
    assert answer.route == "verdict" and answer.text.startswith("不是")


def test_a_value_per_unit_is_computed_from_one_sentences_total_and_count(pipe):
    answer = pipe.ask("甘肃的省重点项目，每个项目平均投了多少亿元？")
    assert answer.route == "per_unit" and "约6亿元" in answer.text and "3000÷500≈6" in answer.calculation
    assert "500个省重点项目" in answer.passages[0].chunk.text and not answer.refused


def test_a_value_per_head_divides_the_total_by_the_population_of_its_year(pipe):
    answer = pipe.ask("甘肃去年的人均地区生产总值大约是多少万元？")  # no record states it
    assert answer.route == "per_head" and "约4万元" in answer.text and answer.calculation == "9800÷2450≈4"
    assert "2460" not in answer.text  # the year before's population ('由上年…') is not the year's


def test_a_value_per_head_asked_without_a_unit_is_shown_in_the_unit_its_numbers_divide_in(pipe):
    from rag.answering.computed import _dividing_unit
    from rag.facts import Figure

    answer = pipe.ask("甘肃2025年人均地区生产总值是多少？")  # 亿元 over 万人: 万元 per head
    assert answer.route == "per_head" and "约4万元" in answer.text and answer.calculation == "9800÷2450≈4"

    def record(value, unit):
        return Figure(value, unit, "", f"{value}{unit}", "某", "某", "某市", 2025, "", "", "actual", "d", "c", 0, 1, None, "")
    assert _dividing_unit(record(1200, "万吨"), record(2450, "万人")) == "吨"
    assert _dividing_unit(record(80, "岁"), record(2450, "万人")) == ""  # no unit word for 1/10000 岁: gives way


def test_the_change_between_two_figures_the_question_gives_is_computed(pipe):
    answer = pipe.ask("婺源县茶产业营收如果从60亿元增加到80亿元，增长百分之几？")
    assert answer.route == "given_change" and "33.3%" in answer.text and "(80−60)÷60" in answer.calculation


def test_each_part_asking_one_figure_is_read_from_the_figure_index(pipe):
    answer = pipe.ask("婺源县农村居民人均可支配收入和城镇居民人均可支配收入分别是多少？")
    assert not answer.refused and "4.2万元" in answer.text and "2.1万元" in answer.text
    assert not pipe.generator.questions  # no part needed the model


def test_this_year_against_last_year_reads_both_years(pipe):
    assert pipe.reader.read("和去年相比，甘肃今年城镇新增就业要多出多少人？").years == [2025, 2026]


def test_a_yes_no_question_without_a_figure_is_answered_from_the_records(pipe):
    answer = pipe.ask("甘肃对今年城镇新增就业有没有提出目标？")
    assert answer.route == "verdict_records" and answer.text.startswith("是") and "45万人" in answer.text
    answer = pipe.ask("甘肃今年地区生产总值增长目标比去年实际增长快吗？")  # 5%左右 against 5.1%
    assert answer.route == "verdict_records" and answer.text.startswith("不是")
    assert "5%左右[1]" in answer.text and "5.1%[2]" in answer.text
    assert pipe.ask("甘肃对今年房价有没有提出目标？").route != "verdict_records"  # no such record


def test_a_comparison_of_target_and_actual_worded_with_gaoyu_is_answered_from_the_records(pipe):
    answer = pipe.ask("甘肃今年地区生产总值预期增速高于去年实际增速吗？")
    assert answer.route == "verdict_records" and answer.text.startswith("不是")


def test_a_rounded_figure_gives_way_to_the_precise_one_it_rounds(pipe):
    """A prose '达到30%' and a table's 30.28 of the same measure and year agree: the precise one answers."""
    from rag.answering.figure import agreed
    from rag.facts import Figure

    def record(text, value, year=2020):
        return Figure(value, "%", "percent", text, "比重", "比重", "某市", year, "", "share", "actual", "d", "c", 0, 1, None, "")
    assert agreed([record("30%", 30.0), record("30.28", 30.28)]).text == "30.28"
    assert agreed([record("30%", 30.0), record("31.2", 31.2)]) is None  # not a rounding of it
    assert agreed([record("30%", 30.0), record("30.28", 30.28, 2021)]) is None  # another year


def test_a_question_naming_no_year_is_answered_with_the_latest_figure_reached():
    """Records of a base year, a later actual year and a target: with no year asked, how things stand is
    the latest reached one; a target is never taken for it."""
    from rag.answering.figure import latest
    from rag.facts import Figure

    def record(value, year, status):
        return Figure(value, "%", "percent", f"{value}%", "普及率", "普及率", "某县", year, "", status, status, "d", "c", 0, 1,
                      None, "")
    found = [record(61.0, 2020, "base"), record(64.5, 2023, "actual"), record(70.0, 2025, "target")]
    assert [f.value for f in latest(found)] == [64.5]
    assert latest([record(70.0, 2025, "target")]) == []


def test_a_comparison_no_record_holds_is_answered_only_when_the_figure_s_clause_states_it():
    """'…是否快于全省平均' is decided by the figure's own clause saying so in words; a comparison said of
    other measures listed later in the sentence decides nothing."""
    from rag.answering.verdict import _compared_in_words
    from rag.facts import Figure

    def record(sentence, text="7.1%"):
        return Figure(7.1, "%", "percent", text, "增加值", "增加值", "某县", 2024, "", "rate", "actual", "d", "c", 0, 1, None,
                      sentence)
    ahead = record("全县工业增加值增长7.1%，高于全省平均水平1.2个百分点。")
    assert _compared_in_words("某县2024年工业增加值增速高于全省平均水平吗？", ahead) is True
    assert _compared_in_words("某县去年工业增加值增长是不是低于全省平均？", ahead) is False
    listed = record("工业增加值增长7.1%、位居全市前列，投资、消费等指标增速均高于全省平均水平。")
    assert _compared_in_words("某县2024年工业增加值增速高于全省平均水平吗？", listed) is None
    assert _compared_in_words("某县2024年工业增加值增速高于全国平均水平吗？", ahead) is None  # another yardstick


def test_a_year_s_change_is_computed_from_that_year_s_level_and_the_year_before(pipe):
    """'由上年A减少到B' gives two years' levels: the change asked of one year is their difference, said in the
    passage's words (it writes neither year) with the calculation shown."""
    answer = pipe.ask("跟上一年比，甘肃的常住人口去年下降了多少？")
    assert answer.route == "year_change" and not answer.refused
    assert "由2460万人减少到2450万人[1]，减少10万人（2460−2450=10）[1]" in answer.text and answer.calculation


def test_a_change_the_question_states_the_wrong_way_round_is_corrected(pipe):
    answer = pipe.ask("甘肃常住人口去年由2450万人增加到2460万人，原因是什么？")  # the documents: 2460 -> 2450
    assert answer.route == "premise" and "从2024年的2460万人下降到2025年的2450万人" in answer.text
    assert "不是问题所说的上升" in answer.text


def test_a_figure_qualifying_what_is_asked_is_no_premise(pipe):
    answer = pipe.ask("甘肃的省重点项目里，完成投资达到3000亿元的一共几个？")  # a condition, not a claim
    assert answer.route != "premise" and not answer.text.startswith("问题的前提")


def test_parts_of_an_open_list_are_left_to_the_model(pipe):
    """'A和B等…': the question asks more than its named parts, so no part is answered from a lone record."""
    pipe.ask("婺源县农村居民人均可支配收入和城镇居民人均可支配收入等指标分别是多少？")
    assert pipe.generator.questions


def test_a_rank_is_stated_with_its_ordinal():
    from rag.answering.figure import stated
    from rag.facts import Figure
    rank = Figure(53.0, "位", "rank", "53位", "综合排名", "综合排名", "某区", 2015, "", "rank", "actual", "d", "c", 0, 3, None, "")
    assert "综合排名为第53位" in stated(rank, "2015年综合排名第53位")




# -- sides read from the figure index: what the sentence and table readers of rag/grounding once read --------

QINGSHAN = (
    "青山市国民经济和社会发展第十四个五年规划纲要",
    "第一章 发展基础\n“十三五”时期，全市地区生产总值达到300亿元。产业结构持续优化，三次产业比例由12.1:40.2:47.7"
    "调整为2020年的9.8:35.4:54.8。全市高新技术企业达到180家，新培植高新技术企业66家。"
    "煤炭消费总量下降到254万吨，较“十二五”末减少75万吨。\n"
    "第二章 主要目标\n| 指标 | 2020年 | 2025年 |\n| 数字经济核心产业增加值占地区生产总值比重(%) | 2.5 | 5 |\n"
    "第三章 产业发展\n发展壮大氢能、海洋装备2个新兴产业，提升改造纺织、食品、五金3个传统产业，做大做强“2+3”工业产业集群。"
    "到2025年，氢能产业实现营业收入超过20亿元，海洋装备产业实现营业收入55亿元，纺织产业实现营业收入31亿元，"
    "食品产业实现营业收入12亿元，五金产业实现营业收入9亿元。\n",
)
BAISHUI = (
    "白水县国民经济和社会发展第十四个五年规划纲要",
    "第一章 发展基础\n“十三五”末，全县地区生产总值达到150亿元，三次产业比例为15.0:45.0:40.0，新增高新技术企业30家。\n",
)
YUNLING = (
    "云岭市县域经济高质量发展实施方案（2023-2025年）",
    "一、发展目标\n力争到2025年，青山市GDP达到500亿元左右，白水县达到260亿元左右。\n",
)


@pytest.fixture
def sides_pipe(tmp_settings, hash_embedder):
    return indexed(tmp_settings, hash_embedder, {"qingshan": QINGSHAN, "baishui": BAISHUI, "yunling": YUNLING})


def _sides(answer) -> dict[str, str]:
    got = dict(line.split("：", 1) for line in answer.text.splitlines() if "：" in line)
    assert got, answer.text
    return got


def test_a_side_is_read_from_another_documents_list_of_places(sides_pipe):
    answer = sides_pipe.ask("青山市和白水县2025年地区生产总值目标分别是多少？")
    got = _sides(answer)
    assert "500亿元" in got["青山"] and "260亿元" in got["白水县"], answer.text


def test_sides_asked_with_no_year_whose_records_disagree_are_read_for_the_latest_year_reached(sides_pipe):
    answer = sides_pipe.ask("青山市和白水县哪个地区生产总值更大？")  # 青山: 300 (2020) and 500 (2025 target)
    got = _sides(answer)
    assert "300亿元" in got["青山"] and "150亿元" in got["白水县"] and "青山更大" in answer.text, answer.text


def test_an_industrys_share_is_read_from_the_ratio_of_the_three_industries(sides_pipe):
    answer = sides_pipe.ask("“十三五”期间青山市的服务业占比提高了几个百分点？")  # 47.7 began the period
    assert "54.8−47.7=7.1" in answer.text and "12.1:40.2:47.7" in answer.text, answer.text
    both = sides_pipe.ask("青山市和白水县“十三五”末第二产业占比哪个高？")
    assert "35.4%" in both.text and "45.0%" in both.text and "白水县更高" in both.text, both.text


def test_how_many_were_added_is_answered_by_the_records_of_what_was_added_not_the_total(sides_pipe):
    answer = sides_pipe.ask("“十三五”期间青山市和白水县分别新增了多少家高新技术企业？哪边多？")
    got = _sides(answer)
    assert "66家" in got["青山"] and "30家" in got["白水县"] and "180" not in answer.text, answer.text


def test_an_industrys_share_of_gdp_is_its_value_addeds(sides_pipe):
    answer = sides_pipe.ask("青山市的数字经济核心产业占GDP比重，到2025年要比2020年提高几个百分点？")
    assert "5−2.5=2.5" in answer.text, answer.text


def test_a_sum_over_a_list_named_by_its_parts_reads_each_members_record(sides_pipe):
    total = sides_pipe.ask("青山市“2+3”工业五个产业2025年的营收目标加起来一共是多少亿元？")
    assert total.route == "list_figures" and "合计127亿元（20+55+31+12+9=127）" in total.text, total.text
    assert "五金9亿元" in total.text and all(c.supported for c in total.claims)
    top = sides_pipe.ask("青山市“2+3”工业中，哪个产业2025年的营业收入目标最高？")
    assert "最高的是海洋装备，55亿元" in top.text, top.text


def test_a_level_given_only_through_a_later_one_and_the_change_since_is_derived_and_shown(sides_pipe):
    answer = sides_pipe.ask("青山市“十二五”末的煤炭消费总量是多少万吨？")  # the model (fake) finds no 万吨 figure
    assert answer.looked_up and "329万吨（254+75=329）" in answer.text and answer.calculation == "254+75=329", answer.text


TRADE = (
    "上饶市乐平县国民经济和社会发展第十四个五年规划纲要",
    "第一章 发展基础\n“十三五”时期，全县地区生产总值年均增长7.2%，财政收入年均增长5%。"
    "2020年全县共有博物馆18座，比“十二五”末增加6座。\n"
    "第二章 主要目标\n到2025年，全县接待游客达到55万人次，其中国内游客40万人次，入境游客15万人次。\n",
)


@pytest.fixture
def trade_pipe(tmp_settings, hash_embedder):
    return indexed(tmp_settings, hash_embedder, {"leping": TRADE})


def test_a_measure_named_without_a_measure_word_is_read_from_the_figure_index(trade_pipe):
    answer = trade_pipe.ask("乐平县2025年国内游客是多少？")  # '游客' ends in no measure head ('额', '量'…)
    assert answer.route == "figure" and "40万人次" in answer.text and not trade_pipe.generator.questions


def test_a_calculation_s_operands_are_read_from_the_figure_index(trade_pipe):
    answer = trade_pipe.ask("乐平县2025年国内游客比入境游客多多少万人次？")
    assert answer.route == "calculation" and not trade_pipe.generator.questions
    assert "40万人次" in answer.text and "15万人次" in answer.text and answer.calculation.startswith("两者相差25万人次（40−15=25）")
    ratio = trade_pipe.ask("乐平县2025年国内游客是入境游客的几倍？")
    assert ratio.route == "calculation" and "40÷15≈2.7" in ratio.calculation, ratio.text


def test_a_yearly_average_over_a_period_is_the_stated_rate_even_with_the_parent_named(trade_pipe):
    answer = trade_pipe.ask("上饶市乐平县的财政收入，“十三五”那几年平均每年增长了多少？")
    assert answer.route == "figure" and "年均增长5%" in answer.text


def test_a_thing_counted_after_the_amount_asked_is_the_measure_and_its_earlier_level_derived(trade_pipe):
    """'有几座博物馆' names its measure after the amount word and its counter; the year asked has no record,
    but the later level and the change since give it, with the calculation shown."""
    answer = trade_pipe.ask("乐平县“十二五”末有几座博物馆？")
    assert answer.route == "figure" and "12座（18−6=12）" in answer.text and not trade_pipe.generator.questions


NOTICE = (
    "乐安县人民政府关于印发乐安县乡村振兴规划（2022-2025年）的通知",
    "各乡镇人民政府，县政府各部门：\n现将《乐安县乡村振兴规划（2022-2025年）》印发给你们，请认真贯彻执行。\n"
    "乐安县人民政府\n2022年3月9日\n"
    "乐安县乡村振兴规划（2022-2025年）\n第一章 总体要求\n到2025年，全县农村居民人均可支配收入达到2.5万元。\n",
)


@pytest.fixture
def notice_pipe(tmp_settings, hash_embedder):
    return indexed(tmp_settings, hash_embedder, {"lean": NOTICE, "leping": TRADE})


def test_a_document_s_date_of_issue_is_read_from_the_organ_and_date_signing_its_notice(notice_pipe):
    answer = notice_pipe.ask("乐安县的乡村振兴规划是什么时候印发的？")
    assert answer.route == "issued" and "由乐安县人民政府于2022年3月9日印发[1]" in answer.text
    assert answer.citations and "2022年3月9日" in answer.citations[0].quote and not notice_pipe.generator.questions


def test_a_document_signing_no_date_or_number_leaves_the_question_to_the_model(notice_pipe):
    assert notice_pipe.ask("乐平县的规划是哪天发布的？").route != "issued"  # its text carries no signature
    assert notice_pipe.ask("乐安县乡村振兴规划的文号是什么？").route != "issued"  # no document number kept

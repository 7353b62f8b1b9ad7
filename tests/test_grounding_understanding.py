"""Corpus profile, question understanding, answerability and premise checks on a hand-made corpus of
places that are not in seeds/ (tests/grounding_corpus.py)."""

from __future__ import annotations

import pytest

from grounding_corpus import chunks, passage, profile, reader
from rag.chunking import chunk_document
from rag.grounding.answerability import asked_head, check_answerable, mentioned
from rag.grounding.premise import check_premise
from rag.grounding.profile import build_profile, named_years, table_indicators, years_in
from rag.vocabulary import plan_years
from rag.vocabulary import short_place_forms as short_forms
from rag.grounding.question import QuestionFrame, QuestionReader, measure
from rag.types import Chunk, Document, Passage


@pytest.fixture(scope="module")
def corpus():
    return profile(), reader(), chunks()


def test_profile_derives_places_short_forms_parents_and_years(corpus):
    prof, _, _ = corpus
    assert prof.places == ["莱西市", "胶州市", "青岛高新技术产业开发区"]
    assert prof.aliases["莱西"] == "莱西市" and prof.aliases["青岛高新区"] == prof.aliases["高新区"] == "青岛高新技术产业开发区"
    assert prof.docs["jiaozhou"].parents == ["山东省", "青岛市"]
    assert {2020, 2025, 2035} <= prof.docs["laixi"].years and 2023 not in prof.docs["laixi"].years
    assert {"森林覆盖率", "地区生产总值", "高新技术企业"} <= prof.indicators


def test_years_and_periods():
    assert plan_years(13) == (2016, 2020) and plan_years(14) == (2021, 2025)
    assert years_in("到二〇三五年，“十三五”末达到") == {2035, 2020}
    assert years_in("2021-2025年") == {2021, 2025}
    assert short_forms("淄博高新技术产业开发区") == {"淄博高新技术产业开发区", "淄博高新区", "高新区"}


def test_table_indicators_are_row_names_not_headers_or_categories():
    table = ("| 指标名称 | 基期值 | 目标值 | 属性 |\n|---|---|---|---|\n| 常住人口城镇化率 | 60 | 65 | 预期性 |\n"
             "| 森林覆盖率 | 30 | 32 | 约束性 |")
    assert table_indicators(table) == {"常住人口城镇化率", "森林覆盖率"}


@pytest.mark.parametrize("question, places, years, kind", [
    ("莱西和胶州哪个十三五末经济总量更大？", ["莱西市", "胶州市"], [2020], "comparison"),
    ("莱西市2025年地区生产总值目标比2020年增加多少？", ["莱西市"], [2025, 2020], "difference"),
    ("莱西和胶州的森林覆盖率分别是多少？", ["莱西市", "胶州市"], [], "each"),
    ("莱西市2025年的GDP是2020年的几倍？", ["莱西市"], [2025, 2020], "ratio"),
    ("莱西和胶州的规划有什么异同？", ["莱西市", "胶州市"], [], "each"),
])
def test_question_frame(corpus, question, places, years, kind):
    frame = corpus[1].read(question)
    assert (frame.places, frame.years, frame.kind) == (places, years, kind)
    assert frame.decomposed


@pytest.mark.parametrize("question, kind", [
    ("莱西城里的公园一共有多少个？", "fact"),  # a total the documents state: nothing named to add up
    ("莱西市加起来有多大面积的集中供热？", "fact"),
    ("莱西市出口和进口加起来是多少亿元？", "sum"),  # parts joined
    ("莱西市三个产业园区的营收合计是多少？", "sum"),  # a list named by its count
    ("莱西和胶州的地区生产总值加起来是多少？", "sum"),  # two places
])
def test_a_sum_needs_something_to_add_up(corpus, question, kind):
    assert corpus[1].read(question).kind == kind


def test_single_place_fact_is_not_decomposed(corpus):
    frame = corpus[1].read("莱西市2020年地区生产总值是多少？")
    assert not frame.decomposed and frame.indicator == "地区生产总值" and "莱西市" in frame.summary()


@pytest.mark.parametrize("question, term, asked", [
    ("莱西市人均GDP是多少？", "GDP", "人均GDP"),
    ("莱西市2025年亩均税收要达到多少？", "税收", "亩均税收"),  # every modifier of rag/vocabulary.py
    ("莱西市2025年税收是多少？", "税收", "税收"),
])
def test_the_measure_keeps_the_modifier_written_before_it(question, term, asked):
    assert measure(QuestionFrame(question, metric_terms=[term])) == asked


@pytest.mark.parametrize("question, why", [
    ("平度市2020年GDP是多少？", "没有关于平度市"),  # a place the corpus never names
    ("莱西市2023年GDP是多少？", "没有2023年"),  # a year its documents give nothing for
    ("莱西市人口出生率有多高？", "人口出生率"),  # a measured thing they never mention
    ("谁在担任莱西市市长？", "市长"),
    ("莱西市的市长叫什么名字？", "市长"),
    ("莱西市“海洋强市三年行动”有哪些内容？", "海洋强市三年行动"),  # a programme that does not exist
    ("青岛市给崂峪区定的2025年GDP目标是多少？", "没有关于崂峪区"),  # a county name jieba cuts apart
])
def test_unanswerable_questions_are_refused_with_a_reason(corpus, question, why):
    prof, read, _ = corpus
    verdict = check_answerable(read.read(question), prof, [])
    assert not verdict.answerable and why in verdict.reason
    if "平度" in question:
        assert "莱西市" in verdict.reason  # names what the corpus does cover


@pytest.mark.parametrize("question", [
    "莱西市2020年地区生产总值是多少？",
    "莱西的GDP到2025年要达到多少？",  # GDP is the glossary's name for 地区生产总值
    "胶州家里的水龙头以后都能通自来水吗？",  # colloquial: nothing measured named, not refused
    "胶州市城乡供水覆盖率要达到多少？",  # an abbreviation of 城乡供水一体化覆盖率
    "青岛市有多少高新技术企业？",  # a parent place of a covered one
    "莱西市给工业园区定的2025年地区生产总值目标是多少？",  # a kind of area, not a place
])
def test_answerable_questions_pass(corpus, question):
    prof, read, _ = corpus
    assert check_answerable(read.read(question), prof, []).answerable


def test_mentioned_matches_abbreviations_and_words_side_by_side():
    text = "城乡供水一体化覆盖率达到100%，农村居民人均可支配收入增长"
    assert mentioned("城乡供水覆盖率", text) and mentioned("人均收入", text)
    assert not mentioned("人均工资", text)
    # a growth rate said as its measure growing: '经济同比增长4.5%' is the GDP's 增长率
    assert mentioned("GDP增长率", "上半年本地生产总值同比上升6.4%") and mentioned("经济增长率", "全年经济实质增长18%")
    assert not mentioned("GDP增长率", "工业增加值增长5%") and not mentioned("人口增长率", "地区生产总值增长5%")


def test_figure_of_another_place_is_corrected(corpus):
    prof, read, chunk_list = corpus
    frame = read.read("莱西市2020年地区生产总值是1200亿元，排名第几？")
    correction = check_premise(frame, prof, chunk_list, [])
    assert correction and "胶州市" in correction.text and "莱西市" in correction.text
    assert "1200" in correction.passages[0].chunk.text and correction.question == "莱西市2020年地区生产总值是多少？"
    # the documents' own words are quoted, not the bare figure
    assert "文档中““十三五”末，全市地区生产总值达到1200亿元”说的是胶州市[1]" in correction.text


def test_title_of_another_place_is_corrected(corpus):
    prof, read, chunk_list = corpus
    correction = check_premise(read.read("胶州市为什么被评为全国文明城市？"), prof, chunk_list, [])
    assert correction and "莱西市" in correction.text and not correction.question
    assert check_premise(read.read("莱西市为什么被评为全国文明城市？"), prof, chunk_list, []) is None


def test_a_comparison_with_the_whole_province_is_no_title_of_another_place(corpus):
    """Only 胶州's plan says its income grew faster than the province's average: asking it of 莱西 asks what
    莱西's documents do not say, it borrows no title of 胶州's."""
    prof, read, chunk_list = corpus
    assert check_premise(read.read("莱西市居民收入增速高于全省平均水平吗？"), prof, chunk_list, []) is None


def test_decline_premise_is_corrected_when_the_passage_says_it_rose(corpus):
    prof, read, chunk_list = corpus
    rose = [passage("“十三五”时期，全市地区生产总值跨上新台阶，达到300.5亿元。")]
    frame = read.read("为什么莱西市十三五期间地区生产总值下降了？")
    correction = check_premise(frame, prof, chunk_list, rose)
    assert correction and "并没有说地区生产总值下降" in correction.text and "300.5亿元" in correction.text
    fell = [passage("单位地区生产总值能耗下降15%。")]
    assert check_premise(read.read("为什么莱西市单位地区生产总值能耗下降了？"), prof, chunk_list, fell) is None


@pytest.mark.parametrize("question", ["莱西市2025年地区生产总值目标是420亿元吗？", "莱西市地区生产总值已经达到300.5亿元了吗？"])
def test_a_true_premise_is_left_alone(corpus, question):
    prof, read, chunk_list = corpus
    assert check_premise(read.read(question), prof, chunk_list, []) is None


def test_a_figure_the_documents_never_give_is_noted_and_the_real_one_asked(corpus):
    """A figure nobody's documents give: noted, and the real one asked (when the figure index holds the
    measure for that year, the route StatedFigure corrects it: test_grounding_pipeline)."""
    prof, read, chunk_list = corpus
    correction = check_premise(read.read("莱西市高新技术企业已经突破700家，主要靠什么？"), prof, chunk_list, [])
    assert correction and not correction.text and "700家在文档中找不到" in correction.note
    assert correction.question == "莱西市高新技术企业是多少？"


def _province() -> tuple:
    """A province's plan listing its counties' titles, and one county's own plan."""
    docs = {
        "province": ("烟台市县域经济高质量发展实施方案",
                     "第三章 特色发展\n打造栖霞市红木家具之都、海阳市现代化港口新城、莱阳市中国陶瓷之乡等特色优势。\n"),
        "haiyang": ("海阳市国民经济和社会发展第十四个五年规划",
                   "第一章 发展基础\n落地建成全省首家民营银行——海湾银行，聚集各类金融机构60家。\n"
                   "第二章 主要目标\n争取到2025年，装备制造产业实现营业收入超过90亿元。"
                   "争取到2025年，渔具产业实现营业收入超过12亿元。\n"),
    }
    chunk_list = []
    for doc_id, (title, body) in docs.items():
        text = f"{title}\n{body}"
        chunk_list += chunk_document(Document(doc_id, title, f"{doc_id}.txt", text, "0" * 64, "utf-8"), size=200, overlap=0)
    prof = build_profile(chunk_list)
    return prof, QuestionReader(prof), chunk_list


@pytest.mark.parametrize("false, said, true", [
    # a quoted title given back to the place its sentence names (the list names the asked place too)
    ("海阳市为什么被称为“红木家具之都”？", ["栖霞市", "不是海阳市"], "海阳市为什么被定位为“现代化港口新城”？"),
    # a first within another scope
    ("海阳市的海湾银行是全国第一家民营银行，它的业务有什么特点？", ["“全省首家民营银行”", "不是“全国第一家”"],
     "海阳市的海湾银行是全省首家民营银行吗？"),
])  # a figure the figure index contradicts: the route StatedFigure (test_answering)
def test_a_title_rank_or_figure_of_another_is_corrected_and_a_true_one_left_alone(false, said, true):
    prof, read, chunk_list = _province()
    correction = check_premise(read.read(false), prof, chunk_list, [])
    assert correction and all(s in correction.text for s in said)
    assert check_premise(read.read(true), prof, chunk_list, []) is None


def test_the_rest_of_a_corrected_question_is_asked_in_the_documents_words():
    prof, read, chunk_list = _province()
    correction = check_premise(read.read("海阳市的海湾银行是全国第一家民营银行，它的业务有什么特点？"), prof, chunk_list, [])
    assert "全省首家民营银行" in correction.question and "业务" in correction.question


def test_a_first_put_before_its_subject_is_corrected():
    prof, read, chunk_list = _province()
    correction = check_premise(read.read("全国首家民营银行——海阳市的海湾银行，主要做哪些业务？"), prof, chunk_list, [])
    assert correction and "全省首家民营银行" in correction.text


def test_a_place_named_by_its_title_is_resolved_to_the_place_its_sentence_names():
    from rag.grounding.bridge import resolve
    prof, _, chunk_list = _province()
    bridge = resolve("烟台方案里被称为“现代化港口新城”的地方，主攻什么产业？", prof, chunk_list)
    assert bridge.place == "海阳市" and bridge.question.startswith("烟台方案里海阳市") and "港口新城" in bridge.said
    assert "现代化港口新城" in bridge.passage.chunk.text
    assert resolve("被称为“红木家具之都”的县要打造什么？", prof, chunk_list).place == "栖霞市"
    assert resolve("被称为“不存在之都”的县要打造什么？", prof, chunk_list) is None
    assert resolve("海阳市重点发展哪些产业？", prof, chunk_list) is None


def test_fewer_by_a_figure_is_a_decline_the_documents_may_contradict(corpus):
    prof, read, chunk_list = corpus
    rose = [passage("2020年空气质量优良天数232天，比“十三五”初增加100天。")]
    frame = read.read("莱西市2020年空气优良天数比以前少了100天，原因是什么？")
    correction = check_premise(frame, prof, chunk_list, rose)
    assert frame.falls and correction and "增加100天" in correction.text


def test_a_question_and_a_passage_read_a_decline_by_the_same_words(corpus):
    """'降至' in a question presumes a decline; a sentence that says one (here '恶化') is no rise to correct it."""
    prof, read, chunk_list = corpus
    frame = read.read("莱西市2020年空气优良天数为什么降至200天？")
    assert frame.falls
    worse = [passage("2020年空气质量优良天数232天，比上年增加10天但臭氧污染有所恶化。")]
    assert check_premise(frame, prof, chunk_list, worse) is None
    rose = [passage("2020年空气质量优良天数232天，比上年增加10天。")]
    assert "增加10天" in check_premise(frame, prof, chunk_list, rose).text


def test_passages_that_name_no_place_do_not_refuse_a_place_and_say_when_no_year_is_given():
    """News passages (a benchmark's, an upload without a place in its title) say nothing of which places
    they cover: a place in the question is then not refused for it."""
    given = [Passage(Chunk("n#0", "n", "新闻", [], "欧罗巴联赛决赛在布达佩斯举行。", 0, 16), 1.0)]
    own = QuestionReader(build_profile(p.chunk for p in given))
    frame = own.read("欧联决赛在哪个城市举行？")
    assert check_answerable(frame, own.profile, given).answerable
    verdict = check_answerable(own.read("2023年欧联决赛在哪里举行？"), own.profile, given)
    assert not verdict.answerable and "文档没有写明任何年份" in verdict.reason and "：年" not in verdict.reason


def _given(*texts: str) -> tuple[QuestionReader, list[Passage]]:
    given = [Passage(Chunk(f"n#{i}", f"n{i}", "新闻", [], t, 0, len(t)), 1.0) for i, t in enumerate(texts)]
    return QuestionReader(build_profile(p.chunk for p in given)), given


@pytest.mark.parametrize("question, head", [
    ("《心居》的主演有哪些", "主演"), ("谁是北京冬残奥会中国体育代表团旗手", "旗手"),
    ("2021赛季中超冠军", "冠军"), ("漫长的季节的导演是谁？", "导演"), ("《好好说话》的导演是谁？", "导演"),
    ("获得过世界杯跳水金牌的莱西籍选手是谁？", ""),  # the clause says who; 选手 only the kind
    ("2023春运首日旅客发送量", ""), ("北京冬奥会开幕时间", ""),  # a measure; the kind of answer
    ("莱西城区铺了多长的燃气管道？", ""), ("梁冠华在《相逢时节》中演的谁", ""),
])
def test_the_role_a_who_or_what_question_asks_for(question, head):
    own, _ = _given("无关")
    assert asked_head(own.finder.tokens(question)) == head


def test_a_role_no_passage_names_is_refused_before_the_model():
    own, given = _given("《漫长的季节》由秦昊、范伟主演，讲述东北小城的故事。", "该剧豆瓣评分9.4。")
    question = "漫长的季节的导演是谁？"
    verdict = check_answerable(own.read(question), own.profile, given, own.finder.tokens(question))
    assert not verdict.answerable and "导演" in verdict.reason
    question = "漫长的季节的主演是谁？"
    assert check_answerable(own.read(question), own.profile, given, own.finder.tokens(question)).answerable


def test_a_year_written_inside_a_name_counts_as_given():
    assert named_years("2022世界5G大会、“东方-2022”演习、CVPR2023、2035远景目标、2025年") == {2022, 2023, 2035}
    own, given = _given("2022世界5G大会在哈尔滨开幕。")
    question = "2022世界5G大会举办的地点是哪里"
    assert check_answerable(own.read(question), own.profile, given, own.finder.tokens(question)).answerable
    question = "2023世界5G大会举办的地点是哪里"
    assert not check_answerable(own.read(question), own.profile, given, own.finder.tokens(question)).answerable


def test_a_season_written_as_a_range_is_named_by_its_last_year(corpus):
    from rag.grounding.binding import unnamed
    from rag.types import Answer
    read = corpus[1]
    assert read.read("CBA2021-2022赛季总冠军是谁？").years == [2022]
    assert read.read("2021-2025年莱西市地区生产总值年均增长多少？").years == [2021, 2025]  # a range of years
    cited = [passage("广东队夺得CBA2022赛季总冠军。")]
    answer = Answer(question="CBA2021-2022赛季总冠军是谁？", text="广东队[1]。", passages=cited)
    assert unnamed(answer.question, answer) == []


def test_a_claim_that_an_industry_leads_is_checked_against_the_ratio():
    text = ("第一章 发展基础\n“十三五”时期，产业结构不断优化，三次产业比例调整为12.5:36.2:51.3。\n"
            "第二章 主要目标\n到2025年，全市地区生产总值达到600亿元。\n")
    title = "(山东省)烟台市海阳市国民经济和社会发展十四五规划"
    doc = Document("haiyang", title, "haiyang.txt", f"{title}\n{text}", "0" * 64, "utf-8")
    chunk_list = chunk_document(doc, size=200, overlap=0)
    prof = build_profile(chunk_list)
    read = QuestionReader(prof)
    wrong = check_premise(read.read("既然海阳“十三五”末第一产业占比在三次产业中最大，农业应该是支柱吧？"), prof, chunk_list, [])
    assert wrong and "12.5:36.2:51.3[1]" in wrong.text
    assert "占比最高的是第三项（服务业，51.3%），不是问题所说的“第一产业”" in wrong.text
    assert check_premise(read.read("“十三五”末海阳三次产业中服务业比重最大吗？"), prof, chunk_list, []) is None


def test_a_claim_that_an_industry_leads_asked_with_duima_is_checked():
    text = "第一章 发展基础\n“十三五”时期，产业结构不断优化，三次产业比例调整为12.5:36.2:51.3。\n"
    title = "(山东省)烟台市海阳市国民经济和社会发展十四五规划"
    doc = Document("haiyang", title, "haiyang.txt", f"{title}\n{text}", "0" * 64, "utf-8")
    chunk_list = chunk_document(doc, size=200, overlap=0)
    prof = build_profile(chunk_list)
    wrong = check_premise(QuestionReader(prof).read("海阳“十三五”末三次产业中农业占比最高，对吗？"), prof, chunk_list, [])
    assert wrong and "不是问题所说的“农业”" in wrong.text

"""The excerpt shown before the model's answer: the one retrieved sentence most likely to answer, chosen by
overlap with the question's words, numbers and years, with its passage number and source."""

from __future__ import annotations

from rag.excerpt import pick_excerpt, renumber
from rag.types import Chunk, Passage


def passage(text: str, title: str = "高密市国民经济和社会发展第十四个五年规划纲要", headings=("第一章 发展基础",)) -> Passage:
    return Passage(Chunk(f"{title}#{len(text)}", title, title, list(headings), text, 0, len(text)), 1.0)


GAOMI = passage("综合实力稳步提升，经济结构不断优化。全市地区生产总值跨上新台阶，达510.3亿元。一般公共预算收入达到50.5亿元。")
PINGDU = passage("全市地区生产总值跨上新台阶，达715.7亿元。城乡居民收入稳步增长。", "平度市国民经济和社会发展第十四个五年规划纲要")


def test_the_sentence_with_the_asked_figure_is_chosen_not_the_topic_sentence():
    excerpt = pick_excerpt("高密市地区生产总值是多少？", [GAOMI])
    assert excerpt is not None and excerpt.number == 1
    assert excerpt.text == "全市地区生产总值跨上新台阶，达510.3亿元。"
    assert excerpt.title == GAOMI.chunk.title and excerpt.heading_path == "第一章 发展基础"
    assert excerpt.chunk_id == GAOMI.chunk.chunk_id


def test_the_place_in_the_title_decides_between_two_documents_saying_the_same_thing():
    """Both passages say 全市…生产总值…亿元; only the title says which city: the lower-ranked one wins."""
    excerpt = pick_excerpt("高密市地区生产总值达到多少？", [PINGDU, GAOMI])
    assert excerpt is not None and excerpt.number == 2 and "510.3" in excerpt.text
    excerpt = pick_excerpt("平度市全市生产总值达到多少？", [GAOMI, PINGDU])
    assert excerpt is not None and excerpt.number == 2 and "715.7" in excerpt.text


def test_a_question_for_a_date_prefers_the_sentence_with_a_new_year():
    """Both sentences repeat the question's words; only one holds a year the question does not give."""
    text = "要实现GDP总量比2010年翻一番的目标并完成。2019年提前实现GDP总量比2010年翻一番目标。"
    excerpt = pick_excerpt("GDP总量比2010年翻一番的目标是哪一年完成的？", [passage(text)])
    assert excerpt is not None and excerpt.text.startswith("2019年")


def test_a_table_row_is_shown_under_its_header_row():
    table = passage(
        "| 指标 | 2020年 | 2025年 |\n| 地区生产总值（亿元） | 715.7 | 1000 |\n| 常住人口（万人） | 120.1 | 125 |\n",
        "平度市规划", ("第二章 主要目标",))
    excerpt = pick_excerpt("平度市常住人口2025年目标是多少万人？", [table])
    assert excerpt is not None
    assert excerpt.text == "| 指标 | 2020年 | 2025年 |\n| 常住人口（万人） | 120.1 | 125 |"


def test_line_wrapping_inside_a_sentence_is_undone():
    wrapped = passage("到2025年，全市文化旅游产业\n营业收入达到80亿元以上。")
    excerpt = pick_excerpt("莱西市2025年文化旅游产业的营业收入能有多少？", [wrapped])
    assert excerpt is not None and excerpt.text == "到2025年，全市文化旅游产业营业收入达到80亿元以上。"


def test_nothing_is_shown_when_no_sentence_shares_the_question_words():
    assert pick_excerpt("火星基地的氧气储量是多少？", [GAOMI, PINGDU]) is None
    assert pick_excerpt("高密市地区生产总值是多少？", []) is None


def test_a_long_sentence_is_cut_with_a_mark():
    long = passage("到2025年全市地区生产总值" + "、".join(f"第{i}项指标稳步提升" for i in range(40)) + "。")
    excerpt = pick_excerpt("到2025年全市地区生产总值是多少？", [long])
    assert excerpt is not None and excerpt.text.endswith("……") and len(excerpt.text) < len(long.chunk.text)


def test_a_sentence_about_another_place_loses_however_much_else_it_shares():
    """平度's sentence shares the year and the indicator with the question; only 高密's title names the place."""
    gaomi = passage("综合实力稳步提升。全市地区生产总值达510.3亿元。", "高密市规划")
    pingdu = passage("平度市2020年地区生产总值增速3.5%。", "平度市规划")
    excerpt = pick_excerpt("高密市2020年地区生产总值是多少？", [gaomi, pingdu])
    assert excerpt is not None and excerpt.number == 1 and "510.3" in excerpt.text


def test_renumbered_after_the_passages_the_answer_cites_from():
    excerpt = pick_excerpt("高密市地区生产总值是多少？", [PINGDU, GAOMI])
    assert excerpt is not None and excerpt.number == 2
    assert renumber(excerpt, [GAOMI]).number == 1 and renumber(excerpt, [PINGDU]).number == 0

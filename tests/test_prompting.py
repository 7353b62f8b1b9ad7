from rag.prompting import SYSTEM_PROMPT, build_messages, trim_passage
from rag.types import Chunk, Passage

TEXT = ("高密市坚持稳中求进工作总基调。全市地区生产总值达到510.3亿元，年均增长6.5%；"
        "一般公共预算收入完成40.1亿元。城乡居民收入稳步提高。\n生态环境持续改善，空气质量优良天数比例提高到70%。")


def test_trim_keeps_the_relevant_sentence_whole_with_its_numbers():
    trimmed = trim_passage(TEXT, "高密市2020年地区生产总值是多少？", 60)
    assert "全市地区生产总值达到510.3亿元，年均增长6.5%；" in trimmed
    assert "空气质量" not in trimmed and len(trimmed) < len(TEXT)
    assert trimmed.endswith("……")  # the cut is visible to the model


def test_trim_leaves_short_passages_and_zero_budget_alone():
    assert trim_passage(TEXT, "地区生产总值", 0) == TEXT
    assert trim_passage(TEXT, "地区生产总值", len(TEXT)) == TEXT


def test_trim_keeps_order_and_marks_gaps():
    trimmed = trim_passage(TEXT, "空气质量优良天数和一般公共预算收入", 50)
    assert trimmed.index("预算收入") < trimmed.index("空气质量")
    assert "……" in trimmed and "城乡居民" not in trimmed


def test_trim_keeps_a_table_header_row():
    table = "| 指标 | 2020年 | 2025年 |\n| 地区生产总值 | 510 | 700 |\n| 常住人口 | 90 | 92 |\n| 研发投入强度 | 2.1 | 2.5 |\n"
    trimmed = trim_passage(table, "2025年研发投入强度是多少？", 50)
    assert trimmed.startswith("| 指标 | 2020年 | 2025年 |") and "| 研发投入强度 | 2.1 | 2.5 |" in trimmed
    assert "常住人口" not in trimmed


def test_trim_keeps_the_best_sentence_even_over_budget():
    assert "510.3亿元" in trim_passage(TEXT, "地区生产总值达到多少", 10)


def test_build_messages_trims_only_when_asked():
    chunk = Chunk("d#0", "d", "高密市规划", ["第一章 发展基础"], TEXT, 0, len(TEXT))
    full = build_messages("高密市地区生产总值是多少？", [Passage(chunk, 1.0)])
    short = build_messages("高密市地区生产总值是多少？", [Passage(chunk, 1.0)], passage_chars=60)
    assert full[0] == short[0] == {"role": "system", "content": SYSTEM_PROMPT}  # the cached prefix never varies
    assert TEXT in full[1]["content"] and TEXT not in short[1]["content"]
    assert "《高密市规划》\n[1] 第一章 发展基础\n" in short[1]["content"] and "510.3亿元" in short[1]["content"]


def _passage(title: str, headings: list[str], text: str = "内容。") -> Passage:
    return Passage(Chunk("d#0", "d", title, headings, text, 0, len(text)), 1.0)


def test_titles_are_written_once_per_run_and_headings_can_be_cut_to_the_deepest():
    passages = [_passage("甲规划", ["第一章 总则", "第一节 基础"]), _passage("甲规划", ["第二章 目标"]),
                _passage("乙规划", []), _passage("甲规划", ["第三章 保障", "一、组织"])]
    user = build_messages("问题？", passages, heading_levels=1)[1]["content"]
    assert user.count("《甲规划》") == 2 and user.count("《乙规划》") == 1
    assert "《甲规划》\n[1] 第一节 基础\n内容。\n\n[2] 第二章 目标\n" in user
    assert "《乙规划》\n[3]\n内容。" in user and "[4] 一、组织" in user and "第一章" not in user
    assert "第一章 总则 > 第一节 基础" in build_messages("问题？", passages)[1]["content"]  # 0: the whole path

from rag.cleaning import clean_text, normalize_spaces, rebuild_cell_tables


def test_spaces_inside_numbers_and_around_chinese_are_removed():
    assert normalize_spaces("达510.3 亿元,年均增长2.2% ;") == "达510.3亿元,年均增长2.2%;"
    assert normalize_spaces("“ 十四五 ” 时期") == "“十四五”时期"
    assert normalize_spaces("510. 3 亿元") == "510.3亿元"


def test_latin_words_keep_their_space():
    assert normalize_spaces("big data 产业") == "big data产业"


def test_dot_leader_contents_lines_are_dropped():
    raw = "目录\n第一章 总则........................10\n第一节 发展基础......3\n第一章 总则\n正文内容。\n"
    text = clean_text(raw)
    assert "......" not in text
    assert "第一章 总则\n正文内容。" in text


def test_document_number_and_metadata_boilerplate_removed():
    raw = "发文字号\n淄高新管发〔2021〕3号\n索引号\n/2021-5217765\n平政发〔2021〕12号\n正文第一句。\n(此件公开发布)\n"
    text = clean_text(raw)
    assert "索引号" not in text and "5217765" not in text and "〔2021〕" not in text
    assert "此件公开发布" not in text
    assert "正文第一句。" in text


def test_a_footer_line_is_dropped_but_not_a_page_written_on_one_line():
    footer = "版权所有：某市人民政府办公室 网站标识码3707000001 鲁ICP备05001234号"
    page = "全市地区生产总值达到510.3亿元，一般公共预算收入50.5亿元。" * 4 + "本站版权所有，转载请注明出处。"
    text = clean_text(f"正文第一句。\n{footer}\n{page}\n")
    assert "网站标识码" not in text and "510.3亿元" in text and "正文第一句。" in text


def test_one_cell_per_line_table_is_rebuilt_into_rows():
    lines = ["指标 |", "2020年 |", "2025年 |", "(1)地区生产总值(亿元) |", "510.3 |", "800 |", "(2)城镇化率(%) |", "60 |", "65 |"]
    rows = rebuild_cell_tables(lines)
    assert rows == ["| 指标 | 2020年 | 2025年 |", "| (1)地区生产总值(亿元) | 510.3 | 800 |", "| (2)城镇化率(%) | 60 | 65 |"]


def test_group_label_rows_keep_width():
    lines = ["指标 |", "2020年 |", "2025年 |", "经济发展 |", "||", "(1)增速(%) |", "8.2 |", "15 |"]
    rows = rebuild_cell_tables(lines)
    assert rows[1] == "| 经济发展 |  |  |"
    assert rows[2] == "| (1)增速(%) | 8.2 | 15 |"


def test_prose_lines_ending_in_pipe_are_left_alone_when_too_few():
    lines = ["只有一行 |", "正文。"]
    assert rebuild_cell_tables(lines) == lines


def test_clean_text_is_idempotent_on_seeds():
    from tests.conftest import SEEDS

    for path in sorted(SEEDS.glob("*.txt")):
        once = clean_text(path.read_text(encoding="utf-8"))
        assert clean_text(once) == once, path.name

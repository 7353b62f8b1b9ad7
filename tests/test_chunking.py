import re

from rag.chunking import chunk_document, heading_of
from rag.cleaning import clean_text
from rag.loaders import iter_documents
from rag.types import Document
from tests.conftest import SEEDS


def make_doc(raw: str) -> Document:
    return Document("d", "测试规划", "d.txt", clean_text(raw), "0", "utf-8")


def test_heading_levels():
    assert heading_of("第二章 坚持创新驱动引领")[:2] == (1, "第二章 坚持创新驱动引领")
    assert heading_of("第一节 发展基础")[0] == 2
    assert heading_of("一、总体评价")[0] == 3
    assert heading_of("(一)实施产业升级行动")[0] == 4
    level, lead, whole = heading_of("1.优化县域产业布局。优化生产力布局,构建特色鲜明的产业体系,推动县域经济发展。")
    assert (level, lead, whole) == (5, "1.优化县域产业布局", False)
    assert heading_of("全市地区生产总值达510.3亿元。") is None


def test_chunks_carry_heading_path_and_title():
    raw = "第一章 总体要求\n第一节 发展基础\n一、主要进展\n综合实力稳步提升。全市地区生产总值达510.3亿元。\n第二节 发展目标\n到2025年,地区生产总值达到800亿元。\n"
    chunks = chunk_document(make_doc(raw))
    assert chunks[0].headings == ["第一章 总体要求", "第一节 发展基础", "一、主要进展"]
    assert chunks[1].headings == ["第一章 总体要求", "第二节 发展目标"]
    assert chunks[0].embedding_text().startswith("测试规划\n第一章 总体要求 > 第一节 发展基础 > 一、主要进展\n")


def test_offsets_point_at_the_chunk_text():
    for doc in iter_documents(SEEDS):
        for chunk in chunk_document(doc):
            if chunk.kind == "text":
                assert doc.text[chunk.start : chunk.end] == chunk.text


def test_long_paragraph_splits_at_sentence_ends_and_never_inside_a_number():
    sentence = "全市地区生产总值达到1234.56亿元,同比增长7.8%。"
    doc = make_doc("第一章 发展\n" + sentence * 40 + "\n")
    chunks = chunk_document(doc, size=120, overlap=20)
    assert len(chunks) > 5
    for c in chunks:
        assert len(c.text) <= 120
        assert c.text.endswith("。")
        for number in re.findall(r"\d[\d.]*", c.text):
            assert number in {"1234.56", "7.8"}, number


def test_table_rows_keep_the_header_and_category():
    raw = (
        "第二节 主要目标\n主要指标\n| 类别 | 序号 | 指标 | 2020年 | 2025年 |\n|---|---|---|---|---|\n"
        + "| 经济发展 | 1 | 地区生产总值增速(%) | 3.5 | 7 |\n"
        + "".join(f"|  | {i} | 指标{i}(%) | {i}.5 | {i}.9 |\n" for i in range(2, 30))
        + "正文继续。\n"
    )
    chunks = chunk_document(make_doc(raw), size=200)
    tables = [c for c in chunks if c.kind == "table"]
    assert len(tables) > 3
    for t in tables:
        lines = t.text.split("\n")
        assert lines[0] == "表：主要指标"
        assert lines[1] == "| 类别 | 序号 | 指标 | 2020年 | 2025年 |"
        assert all(l.startswith("| 经济发展 |") for l in lines[2:])
    assert "| 经济发展 | 29 | 指标29(%) | 29.5 | 29.9 |" in tables[-1].text
    assert chunks[-1].kind == "text" and chunks[-1].text == "正文继续。"


def test_seed_table_from_one_cell_per_line_layout_is_chunked_as_rows():
    doc = next(d for d in iter_documents(SEEDS) if d.doc_id.startswith("003"))
    tables = [c for c in chunk_document(doc) if c.kind == "table"]
    assert tables, "the indicator table of the 淄博高新区 plan should be recognised"
    assert all("| 指标名称(单位) | 2020年 | 2025年 |" in t.text for t in tables)
    assert any("| (5)全社会研发经费投入占地区生产总值比重(%) | 5.1 | 5.5 |" in t.text for t in tables)


def test_chunk_ids_unique_and_ordered():
    doc = next(iter(d for d in iter_documents(SEEDS)))
    ids = [c.chunk_id for c in chunk_document(doc)]
    assert len(ids) == len(set(ids))
    assert ids[0].endswith("#0")

import json
from pathlib import Path

import numpy as np
import pytest

from rag.chunking import chunk_document
from rag.cleaning import clean_text
from rag.loaders import load_document
from rag.sections import (
    MATCH_THRESHOLD,
    Section,
    SectionIndex,
    build_sections,
    overview_answer,
    overview_prompt,
    section_records,
)
from rag.types import Document
from tests.conftest import ROOT, SEEDS

REPORTS = ROOT.parent / "shared" / "corpora" / "reports-2026"
if not REPORTS.is_dir():
    REPORTS = Path("/work/shared/corpora/reports-2026")

# an imaginary county plan: every marker family the section index reads
PLAN = """青岚县国民经济和社会发展第十四个五年规划纲要
第一章 发展环境
第一节 面临的挑战
青岚县发展仍面临不少挑战。一是产业结构偏重，新兴产业规模较小。二是创新能力不足，研发投入偏低。三是公共服务短板明显，优质教育资源不足。
第二节 战略定位
建设山区生态农业示范县。发挥茶叶和中药材资源优势，推进农业绿色化、品牌化发展，打造山区生态农业样板。
建设岚江流域文旅融合发展区。依托岚江峡谷和古镇资源，推动文化旅游深度融合，建设区域旅游目的地。
建设县域数字经济创新高地。推进数字产业化和产业数字化，培育电子商务和数据服务产业集群。
第二章 发展目标
——经济实力明显增强。地区生产总值年均增长6%左右。
——生态环境持续改善。森林覆盖率稳定在70%以上。
第三章 空间布局
构建“两区一带”空间格局，即北部生态涵养区、南部产业集聚区和岚江发展带。
第四章 重点工程
（一）实施产业强县工程。培育茶叶、中药材两大特色产业集群，新建标准化茶园2万亩。
（二）实施交通提升工程。建成青岚至北川高速公路，新改建农村公路300公里。
（三）实施民生保障工程。新建幼儿园5所，改扩建县人民医院。
第五章 主要指标
| 指标 | 2020年 | 2025年 |
| --- | --- | --- |
| 地区生产总值（亿元） | 120 | 160 |
| 森林覆盖率（%） | 68 | 70 |
第六章 保障措施
1.加强组织领导。成立规划实施领导小组，统筹推进各项任务。
2.强化要素支撑。保障重点项目用地和资金需求。
加强监测评估，建立年度监测制度：①开展年度监测；②开展中期评估；③开展总结评估。
"""

# an imaginary provincial government work report of 2026
REPORT = """2026年岚州省政府工作报告
一、2025年工作回顾
过去一年，我们主要做了以下工作：
一是着力稳定经济增长，全省生产总值增长5.2%。二是着力推进科技创新，新建省级实验室3个。
我们也清醒认识到，发展中还存在一些困难和问题：有效需求仍然不足；部分企业经营困难；县域经济发展不平衡；民生领域还有短板。
二、2026年主要预期目标和重点工作
今年全省经济社会发展主要预期目标是：地区生产总值增长5%左右；城镇新增就业40万人；居民消费价格涨幅2%左右；粮食产量稳定在250亿斤以上。
（一）扩大有效需求。大力提振消费。实施消费提振行动，举办岚州消费季。
（二）发展现代产业。实施先进制造业集群培育行动。
"""


def make_doc(raw: str, doc_id: str, title: str) -> Document:
    return Document(doc_id, title, f"{doc_id}.txt", clean_text(raw), "0", "utf-8")


@pytest.fixture(scope="module")
def plan() -> tuple[Document, list[Section]]:
    doc = make_doc(PLAN, "qinglan", "青岚县国民经济和社会发展第十四个五年规划纲要")
    return doc, build_sections(doc, chunk_document(doc))


@pytest.fixture(scope="module")
def report() -> tuple[Document, list[Section]]:
    doc = make_doc(REPORT, "lanzhou", "2026年岚州省政府工作报告")
    return doc, build_sections(doc, chunk_document(doc))


def titled(sections: list[Section], title: str) -> Section:
    return next(s for s in sections if s.title == title)


def leads(section: Section, depth: int = 0) -> list[str]:
    return [i.lead for i in section.items if i.depth == depth]


def test_heading_tree_paths_levels_and_spans(plan):
    doc, sections = plan
    challenge = titled(sections, "第一节 面临的挑战")
    assert challenge.title_path == ["第一章 发展环境", "第一节 面临的挑战"]
    assert challenge.level == 2 and challenge.kind == "heading"
    assert doc.text[challenge.start :].startswith("第一节 面临的挑战")
    assert doc.text[challenge.end :].startswith("第二节 战略定位")
    chapter = titled(sections, "第一章 发展环境")
    assert leads(chapter) == ["面临的挑战", "战略定位"]  # sub-headings are the items of their parent
    assert "建设山区生态农业示范县" in leads(chapter, depth=1)


def test_inline_enumeration_yi_shi(plan):
    section = titled(plan[1], "第一节 面临的挑战")
    assert [i.marker for i in section.items] == ["一是"] * 3
    assert leads(section) == ["产业结构偏重，新兴产业规模较小", "创新能力不足，研发投入偏低", "公共服务短板明显，优质教育资源不足"]


def test_lead_sentence_paragraphs(plan):
    section = titled(plan[1], "第二节 战略定位")
    assert leads(section) == ["建设山区生态农业示范县", "建设岚江流域文旅融合发展区", "建设县域数字经济创新高地"]
    assert {i.marker for i in section.items} == {"lead"}


def test_dash_parenthesised_and_numbered_paragraphs(plan):
    sections = plan[1]
    assert leads(titled(sections, "第二章 发展目标")) == ["经济实力明显增强", "生态环境持续改善"]
    works = titled(sections, "第四章 重点工程")
    assert leads(works) == ["实施产业强县工程", "实施交通提升工程", "实施民生保障工程"]
    measures = titled(sections, "第六章 保障措施")
    assert leads(measures) == ["加强组织领导", "强化要素支撑"]


def test_circled_numbers_inside_a_paragraph(plan):
    # the paragraph sits under the heading "2.强化要素支撑" (chunking reads "1."/"2." lines as headings),
    # whose only enumeration it is: its items, not a second list section repeating them
    monitoring = [s for s in plan[1] if any(i.marker == "①" and i.depth == 0 for i in s.items)]
    assert [s.title for s in monitoring] == ["2.强化要素支撑"]
    assert leads(monitoring[0]) == ["开展年度监测", "开展中期评估", "开展总结评估"]


def test_named_list_with_its_parts(plan):
    named = next(s for s in plan[1] if s.kind == "named")
    assert named.title == "“两区一带”"
    assert [i.text for i in named.items] == ["北部生态涵养区", "南部产业集聚区", "岚江发展带"]


def test_table_rows_are_items(plan):
    table = titled(plan[1], "第五章 主要指标")
    assert [i.marker for i in table.items] == ["row", "row"]
    assert leads(table) == ["地区生产总值（亿元）", "森林覆盖率（%）"]


def test_report_colon_list_becomes_a_section(report):
    doc, sections = report
    goals = next(s for s in sections if s.kind == "list" and "预期目标" in s.title)
    assert goals.title == "今年全省经济社会发展主要预期目标"
    assert goals.title_path[0] == "二、2026年主要预期目标和重点工作"
    assert leads(goals) == ["地区生产总值增长5%左右", "城镇新增就业40万人", "居民消费价格涨幅2%左右", "粮食产量稳定在250亿斤以上"]
    for item in goals.items:  # offsets point into the document and every item sits in a chunk
        assert doc.text[item.start : item.end].strip("；。") == item.text
        assert item.chunk_id.startswith("lanzhou#")
    problems = next(s for s in sections if s.kind == "list" and "困难" in s.title)
    assert len(problems.items) == 4


def test_records_round_trip(report):
    doc, sections = report
    records = section_records(doc, chunk_document(doc))
    assert json.loads(json.dumps(records, ensure_ascii=False)) == records
    assert [Section.from_record(r) for r in records] == sections


@pytest.fixture(scope="module")
def index(plan, report) -> SectionIndex:
    docs = [plan[0], report[0]]
    return SectionIndex.from_chunks(docs, [c for d in docs for c in chunk_document(d)])


def test_paraphrase_matches_by_concept(index):
    section, score = index.match("青岚县在发展中遇到了哪些困难？", ["qinglan"])[0]
    assert section.title == "第一节 面临的挑战" and score >= MATCH_THRESHOLD
    section, score = index.match("概括一下青岚县的功能定位", ["qinglan"])[0]
    assert section.title == "第二节 战略定位" and score >= MATCH_THRESHOLD
    section, score = index.match("岚州今年给经济发展设了哪些指标？", ["lanzhou"])[0]
    assert "预期目标" in section.title and score >= MATCH_THRESHOLD


def test_unrelated_question_is_below_threshold(index):
    assert index.match("青岚县如何发展足球运动？", ["qinglan"])[0][1] < MATCH_THRESHOLD
    assert index.match("岚州省的省会是哪里", ["lanzhou"])[0][1] < MATCH_THRESHOLD


def test_match_is_restricted_to_the_asked_documents(index):
    found = index.match("今年预期要达到哪些目标", ["qinglan"], k=5)
    assert found and all(s.doc_id == "qinglan" for s, _ in found)


def test_embedding_cosine_can_only_add(plan, report):
    docs = [plan[0], report[0]]
    chunks = [c for d in docs for c in chunk_document(d)]
    plain = SectionIndex.from_chunks(docs, chunks)

    def embed(texts: list[str]) -> np.ndarray:  # every text the same direction: cosine 1 everywhere
        return np.ones((len(texts), 4), dtype="float32") / 2

    embedded = SectionIndex.from_chunks(docs, chunks, embed=embed)
    question = "青岚县在发展中遇到了哪些困难？"
    before = dict((s.title, v) for s, v in plain.match(question, ["qinglan"], k=50))
    after = dict((s.title, v) for s, v in embedded.match(question, ["qinglan"], k=50))
    assert all(after[t] >= before[t] for t in before)


def test_overview_answer_lists_every_item_with_citations(plan):
    section = titled(plan[1], "第一节 面临的挑战")
    text, cited = overview_answer(section, "青岚县面临哪些挑战")
    lines = text.splitlines()
    assert lines[1].startswith("（一）产业结构偏重") and lines[3].startswith("（三）公共服务短板明显")
    assert all(line.endswith("[1]") for line in lines[1:])
    assert cited == [section.items[0].chunk_id]
    prompt = overview_prompt(section, "青岚县面临哪些挑战")
    assert "（二）创新能力不足" in prompt and "不得遗漏" in prompt


def test_seed_sections_match_the_text():
    gaomi = next(SEEDS.glob("000_*.txt"))
    doc = load_document(gaomi, SEEDS)
    sections = build_sections(doc, chunk_document(doc))
    position = next(s for s in sections if s.title == "第四节 战略定位")
    assert len(position.items) == 5 and position.items[0].lead == "建设胶东经济圈一体化战略对接平台"
    challenges = next(s for s in sections if s.title == "二、发展挑战")
    assert len(leads(challenges)) == 3 and len(leads(challenges, depth=1)) == 4  # 一是…四是 in the third
    weifang = load_document(next(SEEDS.glob("004_*.txt")), SEEDS)
    measures = next(s for s in build_sections(weifang, chunk_document(weifang)) if s.title == "三、重要举措")
    assert len(leads(measures)) == 7 and leads(measures)[0] == "实施产业升级行动"


@pytest.mark.skipif(not REPORTS.is_dir(), reason="reports corpus ../shared/corpora/reports-2026 is not on this machine")
def test_report_sections_match_the_text():
    sichuan = load_document(next(REPORTS.glob("01_*.txt")), REPORTS)
    sections = build_sections(sichuan, chunk_document(sichuan))
    goals = next(s for s in sections if s.kind == "list" and "主要预期目标" in s.title)
    assert len(goals.items) == 5 and goals.items[0].text == "地区生产总值增长5.5%左右"
    plan_2026 = next(s for s in sections if s.title == "三、2026年工作安排")
    assert len([i for i in plan_2026.items if i.marker == "heading" and i.depth == 0]) == 10
    ningxia = load_document(next(REPORTS.glob("08_*.txt")), REPORTS)
    review = next(s for s in build_sections(ningxia, chunk_document(ningxia)) if s.title.startswith("二、“十五五”"))
    assert [i.marker for i in review.items] == ["一是"] * 10


def test_index_from_records_matches_like_from_chunks(plan, report, index):
    records = [r for doc, _ in (plan, report) for r in section_records(doc, chunk_document(doc))]
    titles = {plan[0].doc_id: plan[0].title, report[0].doc_id: report[0].title}
    stored = SectionIndex.from_records(records, titles)
    question = "青岚县在发展中遇到了哪些困难？"
    assert [(s.title, v) for s, v in stored.match(question)] == [(s.title, v) for s, v in index.match(question)]

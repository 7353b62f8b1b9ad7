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
    "第二章 主要目标\n到2025年，全社会研发经费投入占地区生产总值比重达到2.6%，地区生产总值达到260亿元。\n",
)
REPORT = (
    "2026年甘肃省政府工作报告",
    "——2026年1月20日在甘肃省第十届人民代表大会第三次会议上\n各位代表：\n"
    "一、2025年工作回顾\n过去一年，全省地区生产总值达到9800亿元，增长5.1%。\n"
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
    docs = dict(DOCS) | {"qinglan": PLAN, "yunling": REPORT}
    for doc_id, (title, body) in docs.items():
        (tmp_settings.corpus_dir / f"{doc_id}.txt").write_text(f"{title}\n{body}", encoding="utf-8")
    pipeline = QAPipeline(tmp_settings.with_overrides(top_k=3), embedder=hash_embedder, generator=FirstFigure())
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
    answer = pipe.ask("婺源县发展中存在哪些困难？")  # the heading says 挑战, the question 困难
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
    answer = pipe.ask("婺源县十三五末城镇居民人均可支配收入是多少？")
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
    yes = pipe.ask("甘肃省去年地区生产总值突破9000亿元了吗？")
    assert yes.route == "verdict" and yes.text.startswith("是") and "9800亿元" in yes.text
    no = pipe.ask("甘肃省去年地区生产总值超过1万亿元了吗？")
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

"""The page's rendering and handlers, with a scripted pipeline (no models): citation links, highlighted
and collapsed sources, visibly flagged claims, Chinese messages instead of tracebacks, upload checks."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from rag.app_ui import (Page, answer_data, link_citations, render_answer, render_excerpt, render_panel, render_sources,
                        render_stream)
from rag.excerpt import pick_excerpt
from rag.citations import attach_citations
from rag.config import Settings
from rag.errors import InputError
from rag.pipeline import Event, validate_question
from rag.types import Answer, Chunk, ClaimCheck, Document, Passage
from rag.uploads import IndexJob, safe_name, save_upload


def passage(text: str, n: int, title: str = "高密市规划") -> Passage:
    return Passage(Chunk(f"d{n}#0", f"d{n}", title, ["第一章 发展基础", "第一节 主要进展"], text, 0, len(text)), 1.0)


PASSAGES = [
    passage("综合实力稳步提升。全市地区生产总值达510.3亿元。一般公共预算收入达到50.5亿元。", 1),
    passage("平度市2020年地区生产总值增速3.5%。", 2, "平度市规划"),
]


def checked(text: str, question: str = "高密市2020年地区生产总值是多少？") -> Answer:
    return attach_citations(Answer(question=question, text=text, passages=list(PASSAGES)))


def test_every_citation_becomes_a_link_to_its_source_in_its_own_turn():
    html = link_citations("达510.3亿元[1]，增速3.5%[2]。", 3)
    assert '<a class="cite" href="#source-3-1">[1]</a>' in html
    assert '<a class="cite" href="#source-3-2">[2]</a>' in html
    assert render_stream("<b>[1]", 1).startswith("&lt;b&gt;<a class=\"cite\"")


def test_cited_source_is_open_with_the_span_highlighted_and_uncited_is_collapsed():
    answer = checked("高密市地区生产总值达510.3亿元[1]。")
    html = render_sources(answer.passages, answer, 2)
    first, second = html.split("\n")
    assert 'id="source-2-1"' in first and " open>" in first and "cited" in first
    assert "<mark>全市地区生产总值达510.3亿元。</mark>" in first
    assert "《高密市规划》" in first and "第一章 发展基础 &gt; 第一节 主要进展" in first
    assert 'id="source-2-2"' in second and " open" not in second and "未引用" in second and "<mark>" not in second


def test_unsupported_claim_is_marked_not_shown_as_fact():
    answer = checked("高密市地区生产总值达510.3亿元[1]。一般公共预算收入达到99.9亿元[1]。")
    html = render_answer(answer)
    assert 'class="unsupported"' in html and "待核实" in html and "99.9" in html
    supported_part = html.split('<span class="unsupported"')[0]
    assert "510.3" in supported_part


def test_claim_is_marked_even_when_its_marker_follows_the_full_stop():
    answer = checked("高密市地区生产总值达510.3亿元。[1]一般公共预算收入达到99.9亿元。[1]")
    html = render_answer(answer)
    assert html.count('class="unsupported"') == sum(not c.supported for c in answer.claims) >= 1
    assert "99.9亿元" in html.split('class="unsupported"')[-1]


def test_claim_that_cannot_be_located_is_still_listed():
    answer = Answer("问", "甲乙。", claims=[ClaimCheck("丙丁。", [1], False, "数字 5 未找到")])
    assert "⚠ 待核实：丙丁。（数字 5 未找到）" in render_answer(answer)


def test_withheld_and_invalid_citations_are_explained():
    withheld = checked("高密市财政赤字为77.7亿元[1]。")
    assert withheld.refused and "不予显示" in render_answer(withheld) and "77.7" not in render_answer(withheld)
    invalid = checked("高密市地区生产总值达510.3亿元[1][7]。")
    assert "已移除无效引用：[7]" in render_answer(invalid)


def test_rewritten_follow_up_is_shown():
    answer = checked("平度市2020年地区生产总值增速3.5%[2]。", question="平度2020年地区生产总值是多少？")
    assert "按上下文理解为：平度2020年地区生产总值是多少？" in render_answer(answer, "那平度呢？")
    assert "按上下文理解为" not in render_answer(answer, "平度2020年地区生产总值是多少？")


def test_model_html_is_escaped():
    answer = checked("<script>x</script>高密市达510.3亿元[1]。")
    assert "<script>" not in render_answer(answer)


def test_api_answer_is_json():
    data = answer_data(checked("高密市地区生产总值达510.3亿元[1]。"))
    assert json.loads(json.dumps(data, ensure_ascii=False))["citations"][0]["number"] == 1
    assert data["unsupported_claims"] == [] and data["refused"] is False


class ScriptedPipeline:
    """Streams a fixed model text; records what it was asked."""

    def __init__(self, text: str = "高密市地区生产总值达510.3亿元[1]。", fail: Exception | None = None):
        self.settings = Settings()
        self.text, self.fail, self.asked = text, fail, []
        docs = {
            "d1": Document("d1", "潍坊市高密市国民经济和社会发展规划", "d1.txt", "", "", "utf-8"),
            "d2": Document("d2", "平度市国民经济和社会发展规划", "d2.txt", "", "", "utf-8"),
        }
        self.retriever = SimpleNamespace(stored=SimpleNamespace(documents=docs))

    def stream(self, question, doc_ids=None):
        question = validate_question(question, 500)
        self.asked.append((question, doc_ids))
        if self.fail:
            raise self.fail
        yield Event("passages", passages=PASSAGES)
        excerpt = pick_excerpt(question, PASSAGES)
        yield Event("excerpt", excerpt=excerpt)
        for piece in (self.text[:5], self.text[5:]):
            yield Event("token", text=piece)
        answer = Answer(question=question, text=self.text, passages=list(PASSAGES), excerpt=excerpt)
        yield Event("answer", answer=attach_citations(answer))


def ready_page(pipeline) -> Page:
    job = IndexJob(pipeline)
    job.ready = True
    return Page(pipeline, job)


def test_chat_streams_tokens_then_the_checked_answer():
    page = ready_page(ScriptedPipeline())
    steps = list(page.chat("高密市2020年地区生产总值是多少？", [], [], "d1"))
    assert len(steps) >= 4
    history, sources, box, asked, plain, turns = steps[-1]
    assert [m["role"] for m in history] == ["user", "assistant"]
    assert 'href="#source-1-1"' in history[-1]["content"] and "<mark>" in sources and len(turns) == 1
    assert asked == ["高密市2020年地区生产总值是多少？"] and plain.startswith("高密市") and box == ""
    assert page.pipeline.asked[-1][1] == ["d1"]


def test_the_excerpt_is_shown_before_the_first_token_and_stays_above_the_answer():
    page = ready_page(ScriptedPipeline())
    contents = [step[0][-1]["content"] for step in page.chat("高密市2020年地区生产总值是多少？", [], [], "")]
    first = next(i for i, c in enumerate(contents) if "原文摘录" in c)
    assert "全市地区生产总值达510.3亿元。" in contents[first] and "正在生成回答" in contents[first]
    assert all("高密市地区" not in c for c in contents[: first + 1])  # no model text yet
    final = contents[-1]
    assert final.index("原文摘录") < final.index("高密市地区生产总值达") and "不一定回答" not in final
    assert 'href="#source-1-1"' in final.split("高密市地区生产总值达")[0]  # the excerpt's [1] opens its passage


@pytest.mark.parametrize("text", ["文档中没有相关信息。", "高密市财政赤字为77.7亿元[1]。"])
def test_beside_a_refused_or_withheld_answer_the_excerpt_is_not_presented_as_the_answer(text):
    page = ready_page(ScriptedPipeline(text=text))
    final = list(page.chat("高密市2020年地区生产总值是多少？", [], [], ""))[-1][0][-1]["content"]
    assert final.startswith("文档中没有相关信息") and "原文摘录" not in final
    assert final.index("检索到的相关原文（不一定回答了问题）") > final.index("文档中没有相关信息")
    assert "510.3" in final.split("检索到的相关原文")[1] and "77.7" not in final


def test_each_answer_links_to_its_own_sources_and_earlier_ones_stay_reachable():
    page = ready_page(ScriptedPipeline())
    *_, (history, _, _, asked, _, turns) = page.chat("高密市2020年地区生产总值是多少？", [], [], "")
    *_, (history, panel, _, asked, _, turns) = page.chat("那平度呢？", history, asked, "", turns)
    assert 'href="#source-1-1"' in history[1]["content"] and 'href="#source-2-1"' in history[3]["content"]
    assert [t["turn"] for t in turns] == [1, 2] and "平度" in turns[1]["question"]
    assert 'id="turn-1" hidden' in panel and 'id="turn-2">' in panel
    assert 'id="source-1-1"' in panel and 'id="source-2-1"' in panel and "hint" not in panel
    *_, (history, panel, *_) = page.chat("   ", history, asked, "", turns)  # a failed turn: earlier sources kept
    assert 'id="source-1-1"' in panel and 'id="source-2-1"' in panel and "hint" in panel and ">" + "\n" not in panel[:1]
    assert render_panel([], None) == render_sources([], None)


def test_excerpt_block_is_escaped_and_names_its_source():
    excerpt = pick_excerpt("高密市2020年地区生产总值是多少？", [passage("全市地区生产总值<b>达510.3亿元</b>。", 2)])
    block = render_excerpt(excerpt, 4)
    assert "<b>" not in block and "原文摘录" in block and 'href="#source-4-1"' in block and "《高密市规划》" in block
    assert render_excerpt(None, 1) == ""


def test_follow_up_is_rewritten_before_retrieval():
    page = ready_page(ScriptedPipeline())
    *_, (history, _, _, asked, _, _) = page.chat("高密市2020年地区生产总值是多少？", [], [], "")
    list(page.chat("那平度呢？", history, asked, ""))
    question, _ = page.pipeline.asked[-1]
    assert "平度" in question and "地区生产总值" in question and "高密" not in question


@pytest.mark.parametrize(
    "question, fail, expected",
    [
        ("   ", None, "问题为空"),
        ("高密" * 400, None, "问题过长"),
        ("高密市GDP？", RuntimeError("boom"), "系统内部错误"),
    ],
)
def test_errors_are_chinese_messages_not_tracebacks(question, fail, expected):
    page = ready_page(ScriptedPipeline(fail=fail))
    history, _, box, asked, _, _ = list(page.chat(question, [], [], ""))[-1]
    assert expected in history[-1]["content"] and "Traceback" not in history[-1]["content"]
    assert box == question and asked == []


def test_questions_wait_for_the_index():
    page = Page(ScriptedPipeline(), IndexJob(ScriptedPipeline()))
    history, *_ = list(page.chat("高密市GDP是多少？", [], [], ""))[-1]
    assert "索引尚未就绪" in history[-1]["content"]
    assert "error" in page.api_ask("高密市GDP是多少？") and "error" in page.api_retrieve("高密市GDP是多少？")


def test_upload_accepts_text_and_refuses_other_types_and_sizes(tmp_path: Path):
    corpus = tmp_path / "corpus"
    good = tmp_path / "plan.md"
    good.write_text("# 某县规划\n\n第一章 总则\n到2025年地区生产总值达到100亿元。", encoding="utf-8")
    saved = save_upload(good, "某县 规划.md", corpus, max_mb=1)
    assert saved.parent == corpus / "uploads" and saved.read_text(encoding="utf-8").startswith("# 某县规划")
    with pytest.raises(InputError, match="只能上传 .txt、.md、.pdf、.docx、.html"):
        save_upload(good, "plan.xlsx", corpus, max_mb=1)
    big = tmp_path / "big.txt"
    big.write_text("规划" * 400_000, encoding="utf-8")
    with pytest.raises(InputError, match="超过上限"):
        save_upload(big, "big.txt", corpus, max_mb=1)
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\x00\x01\x02abc")
    with pytest.raises(InputError, match="二进制"):
        save_upload(binary, "bin.txt", corpus, max_mb=1)
    assert safe_name("../../etc/passwd.txt") == "passwd.txt"


def test_upload_is_indexed_in_the_background(tmp_settings, hash_embedder):
    from rag.pipeline import QAPipeline

    (tmp_settings.corpus_dir / "a.txt").write_text("甲县规划\n第一章 总则\n甲县2020年地区生产总值为80亿元。", encoding="utf-8")
    pipeline = QAPipeline(tmp_settings, embedder=hash_embedder)
    page = Page(pipeline, IndexJob(pipeline))
    page.job.start("加载索引", first=True)
    page.job._thread.join(30)
    assert page.job.ready and [t for t, _ in page.documents()] == ["甲县规划"]
    new = tmp_settings.cache_dir / "b.txt"
    new.parent.mkdir(parents=True, exist_ok=True)
    new.write_text("乙县规划\n第一章 总则\n乙县2020年地区生产总值为90亿元。", encoding="utf-8")
    assert "正在加入索引" in page.upload(str(new))
    page.job._thread.join(30)
    assert "完成" in page.job.status() and sorted(t for t, _ in page.documents()) == ["乙县规划", "甲县规划"]
    assert page.api_retrieve("乙县地区生产总值")["passages"][0]["title"] == "乙县规划"
    status, choices, timer = page.poll()
    assert status.startswith("✓") and ("乙县规划", "uploads/b") in choices["choices"]
    exe = tmp_settings.cache_dir / "tool.exe"
    exe.write_bytes(b"MZ\x00\x00")
    assert "上传失败" in page.upload(str(exe)) and "只能上传" in page.upload(str(exe))


def test_excerpt_whose_passage_is_not_among_the_answers_has_no_link():
    excerpt = pick_excerpt("平度市2020年地区生产总值增速是多少？", PASSAGES)
    answer = attach_citations(Answer("高密市2020年地区生产总值是多少？", "高密市地区生产总值达510.3亿元[1]。",
                                     passages=[PASSAGES[0]], excerpt=excerpt))
    html = render_answer(answer, turn=1)
    assert excerpt.number == 2 and "原文摘录 《平度市规划》" in html and 'href="#source-1-2"' not in html

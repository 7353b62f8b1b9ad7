"""`rag ask` output with a scripted pipeline: the excerpt is printed first, marked as an excerpt with its
source, the answer streams below it, and beside a refusal the excerpt is disowned, not left as the answer."""

from __future__ import annotations

import pytest

import rag.pipeline
from rag.citations import attach_citations
from rag.cli import main
from rag.excerpt import pick_excerpt
from rag.pipeline import Event
from rag.types import Answer, Chunk, Passage

TEXT = "综合实力稳步提升。全市地区生产总值跨上新台阶，达510.3亿元。"
PASSAGES = [Passage(Chunk("g#0", "g", "高密市规划", ["第一章 发展基础"], TEXT, 0, len(TEXT)), 1.0)]


def scripted(model_text: str):
    class Pipeline:
        def __init__(self, settings):
            pass

        def ensure_index(self):
            return None

        def stream(self, question, doc_ids=None):
            yield Event("passages", passages=PASSAGES)
            excerpt = pick_excerpt(question, PASSAGES)
            yield Event("excerpt", excerpt=excerpt)
            yield from (Event("token", text=model_text[:4]), Event("token", text=model_text[4:]))
            answer = Answer(question, model_text, passages=list(PASSAGES), excerpt=excerpt)
            yield Event("answer", answer=attach_citations(answer))

    return Pipeline


def run(monkeypatch, capsys, model_text: str, *flags: str) -> str:
    monkeypatch.setattr(rag.pipeline, "QAPipeline", scripted(model_text))
    assert main(["ask", "高密市2020年地区生产总值是多少？", *flags]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("flags", [(), ("--no-stream",)])
def test_excerpt_is_printed_first_with_its_source_then_the_answer(monkeypatch, capsys, flags):
    out = run(monkeypatch, capsys, "高密市地区生产总值达510.3亿元[1]。", *flags)
    assert out.startswith("原文摘录 [1] 《高密市规划》 第一章 发展基础：\n    全市地区生产总值跨上新台阶，达510.3亿元。")
    assert out.index("回答：") < out.index("高密市地区生产总值达510.3亿元[1]") < out.index("来源：")
    assert "不一定回答" not in out


@pytest.mark.parametrize("model_text", ["文档中没有相关信息", "高密市财政赤字为77.7亿元[1]。"])
def test_beside_a_refusal_the_streamed_excerpt_is_disowned(monkeypatch, capsys, model_text):
    out = run(monkeypatch, capsys, model_text)
    assert out.index("原文摘录") < out.rindex("不一定回答了问题")
    if "77.7" in model_text:  # the invented figure was streamed: the refusal that replaces it follows it
        assert out.rindex("文档中没有相关信息") > out.index("77.7")


@pytest.mark.parametrize("model_text", ["文档中没有相关信息", "高密市财政赤字为77.7亿元[1]。"])
def test_without_streaming_a_refusal_comes_first_and_the_excerpt_is_relabelled(monkeypatch, capsys, model_text):
    out = run(monkeypatch, capsys, model_text, "--no-stream")
    assert out.startswith("文档中没有相关信息") and "原文摘录" not in out and "77.7" not in out
    assert "检索到的相关原文（不一定回答了问题） [1] 《高密市规划》" in out

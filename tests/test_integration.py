"""End to end with the real parts: the packaged e5 embedder, a real FAISS index over the seeds,
and the real Qwen2.5 GGUF through llama.cpp. Slow (a few minutes), run in CI all the same."""

from __future__ import annotations

import re

import pytest

from rag.config import load_settings
from rag.errors import InputError
from rag.pipeline import QAPipeline
from tests.conftest import SEEDS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory) -> QAPipeline:
    settings = load_settings(env={}).with_overrides(corpus_dir=SEEDS, index_dir=tmp_path_factory.mktemp("index"))
    pipe = QAPipeline(settings)
    report = pipe.index()
    assert report.written and len(report.added) == 5 and not report.skipped
    return pipe


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize(
    "question, doc_prefix, needle",
    [
        ("高密市2020年地区生产总值是多少？", "000", "510.3亿元"),
        ("平度在十三五结束时全市生产总值达到了多少亿元？", "001", "715.7亿元"),
        ("淄博高新区2020年的空气质量优良天数是多少天？", "003", "232天"),
    ],
)
def test_retrieval_finds_the_evidence(pipeline, question, doc_prefix, needle):
    passages = pipeline.retrieve(question)
    assert any(p.chunk.doc_id.startswith(doc_prefix) and needle in _squash(p.chunk.text) for p in passages)


@pytest.mark.parametrize(
    "question, doc_prefix, needle",
    [
        ("高密市2020年地区生产总值是多少？", "000", "510.3亿元"),
        ("平度在十三五结束时全市生产总值达到了多少亿元？", "001", "715.7亿元"),
        ("淄博高新区2020年的空气质量优良天数是多少天？", "003", "232"),
    ],
)
def test_answers_with_a_valid_citation_to_the_right_document(pipeline, question, doc_prefix, needle):
    answer = pipeline.ask(question)
    assert not answer.refused, answer.text
    assert needle in _squash(answer.text), answer.text
    assert answer.citations, f"no citation in: {answer.text}"
    assert any(c.doc_id.startswith(doc_prefix) for c in answer.citations)
    assert answer.invalid_citations == []
    supporting = [c for c in answer.citations if needle in _squash(pipeline.retriever.stored.documents[c.doc_id].text)]
    assert supporting, "a cited passage's document must contain the answer"
    assert answer.timings["first_token"] < answer.timings["total"]


def test_question_the_documents_cannot_answer_is_refused(pipeline):
    answer = pipeline.ask("高密市2024年的财政赤字是多少亿元？")
    assert answer.refused, answer.text
    assert answer.citations == []


def test_bad_questions_get_clear_errors(pipeline):
    with pytest.raises(InputError, match="为空"):
        pipeline.ask("   ")
    with pytest.raises(InputError, match="过长"):
        pipeline.ask("高密" * 5000)


def test_the_excerpt_comes_before_the_models_first_token_and_holds_the_figure(pipeline):
    kinds, excerpt = [], None
    for event in pipeline.stream("高密市2020年地区生产总值是多少？"):
        kinds.append(event.kind)
        excerpt = event.excerpt if event.kind == "excerpt" else excerpt
    assert kinds[:3] == ["passages", "excerpt", "token"] and kinds[-1] == "answer"
    assert excerpt is not None and "510.3" in _squash(excerpt.text) and "高密市" in excerpt.title


@pytest.mark.parametrize("question", __import__("rag.app_ui", fromlist=["EXAMPLES"]).EXAMPLES)
def test_every_example_question_on_the_page_is_answered(pipeline, question):
    """The page offers these questions: each is answered (not refused), cited, and its claims supported."""
    answer = pipeline.ask(question)
    assert not answer.refused, (answer.route, answer.reason, answer.text)
    assert answer.citations and answer.invalid_citations == []
    assert all(c.supported for c in answer.claims if re.search(r"\d", c.text)), answer.claims

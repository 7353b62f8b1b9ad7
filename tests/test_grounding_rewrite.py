"""Which questions are put in everyday words (rag/grounding/rewrite.py), and what is kept of a rewrite."""

from __future__ import annotations

from grounding_corpus import profile, reader

from rag.grounding.rewrite import clean, everyday_words, needs_rewrite


def _words(question: str) -> list[str]:
    r = reader()
    return everyday_words(r.read(question), r.finder.tokens(question), profile())


def test_words_no_document_uses_mark_everyday_speech():
    assert len(_words("莱西城里冬天能用上暖气的房子有多少？")) >= 2
    assert _words("莱西市2025年森林覆盖率目标是多少？") == []
    r = reader()
    question = "胶州市和莱西市相比，什么时候高新技术企业更多？"  # how questions are put is not everyday speech
    assert not needs_rewrite(r.read(question), r.finder.tokens(question), profile())


def test_a_rewrite_is_one_question_and_never_an_answer():
    assert clean("改写后的问题：莱西市森林覆盖率是多少？\n说明：……", "莱西树多吗") == "莱西市森林覆盖率是多少？"
    assert clean("森林覆盖率达到22%[1]。", "莱西树多吗") == ""
    assert clean("莱西树多吗", "莱西树多吗") == ""
    assert clean("", "莱西树多吗") == ""

"""The llama.cpp backend with the real default GGUF (slow): the fixed system prompt is evaluated once and
reused from the KV cache by the next question, which is what keeps time to first token down."""

from __future__ import annotations

import pytest

from rag.config import load_settings
from rag.llm import load_generator
from rag.prompting import SYSTEM_PROMPT

pytestmark = pytest.mark.slow


def _ask(gen, question: str) -> dict[str, float]:
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": f"资料：\n[1] 内容。\n\n问题：{question}"}]
    assert "".join(gen.stream(messages, 4, 0.0))
    return gen.last_stats()


def test_system_prompt_prefix_is_reused_across_questions():
    gen = load_generator(load_settings(env={}).with_overrides(n_ctx=1024))
    system_tokens = gen.count_tokens(SYSTEM_PROMPT)
    first = _ask(gen, "高密市2020年地区生产总值是多少？")
    second = _ask(gen, "平度市的常住人口是多少？")
    assert first["prefill_tokens"] > system_tokens  # cold: everything evaluated
    assert second["prefill_tokens"] < first["prefill_tokens"] - system_tokens + 10  # warm: the system part is not
    assert 0 < second["decode_tokens"] <= 4 and second["prefill_ms"] > 0


def test_warming_at_load_spares_the_first_question_the_system_prompt():
    """What `rag serve` does at start (QAPipeline.load_models): the very first question already reuses it."""
    from rag.prompting import build_messages

    gen = load_generator(load_settings(env={}).with_overrides(n_ctx=1024))
    gen.warm(build_messages("", []))
    warm = _ask(gen, "高密市2020年地区生产总值是多少？")
    gen.llm.reset()  # forget the cache: the same question, cold
    cold = _ask(gen, "高密市2020年地区生产总值是多少？")
    assert 0 < warm["prefill_tokens"] < cold["prefill_tokens"] - gen.count_tokens(SYSTEM_PROMPT) + 10

"""rag.embedding with the real default model (slow): Matryoshka truncation and the prompts a folder names."""

from __future__ import annotations

import numpy as np
import pytest

from rag.config import load_settings
from rag.embedding import Embedder


def _installed(name: str):
    folder = load_settings().cache_dir / "models" / name
    if not (folder / "modules.json").is_file():
        pytest.skip(f"{name} is not installed (rag models)")
    return folder


@pytest.mark.slow
def test_a_truncated_embedder_keeps_the_leading_dimensions_renormalised():
    folder = _installed(load_settings().embedder)
    full, short = Embedder(folder, "full"), Embedder(folder, "short", dim=64)
    texts = ["高密市地区生产总值达510.3亿元", "平度市主导产业"]
    a, b = full.encode_passages(texts), short.encode_passages(texts)
    assert short.dim == 64 and b.shape == (2, 64)
    expected = a[:, :64] / np.linalg.norm(a[:, :64], axis=1, keepdims=True)
    assert np.allclose(b, expected, atol=1e-5)
    assert short.encode_query("生产总值").shape == (64,)


@pytest.mark.slow
def test_passage_prompt_is_found_under_either_name():
    e5 = Embedder(_installed("multilingual-e5-small-q4"), "e5")
    assert (e5.query_prompt, e5.passage_prompt) == ("query", "passage")
    gemma = Embedder(_installed("embeddinggemma-300m-int8"), "gemma")
    assert (gemma.query_prompt, gemma.passage_prompt) == ("query", "document")

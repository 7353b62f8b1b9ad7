"""Shared fixtures: a small deterministic embedder for fast unit tests, and real-model fixtures for slow ones."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from rag.config import Settings

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
# Data beside the project, not in it (a development corpus, external benchmarks): a clone of this repository
# alone has none of it. Tests that need it skip with the reason shown (`-ra`); CI sets RAG_REQUIRE_SHARED=1
# (.ci/run) so that there a missing folder fails instead of skipping. RAG_SHARED_DIR moves it (rag.evaluation).
REQUIRE_SHARED = "RAG_REQUIRE_SHARED"


def require_shared(path: Path, what: str) -> Path:
    """The path, when it exists; otherwise skip the test with where it looked, or fail under RAG_REQUIRE_SHARED=1."""
    if path.exists():
        return path
    reason = f"{what} not found at {path} (data beside the project, not in this repository)"
    if os.environ.get(REQUIRE_SHARED, "") not in ("", "0"):
        pytest.fail(f"{reason}; {REQUIRE_SHARED} is set, so missing shared data is a failure", pytrace=False)
    pytest.skip(reason)


class HashEmbedder:
    """Character-bigram hashing into 64 dims: similar texts get similar vectors, no model needed."""

    name = "hash-bigram-64"
    dim = 64

    def __init__(self) -> None:
        self.calls = 0

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype="float32")
        for a, b in zip(text, text[1:]):
            v[int(hashlib.md5((a + b).encode()).hexdigest(), 16) % self.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        self.calls += len(texts)
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), dtype="float32")

    def encode_query(self, text: str) -> np.ndarray:
        return self._vec(text)


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def tmp_settings(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    return Settings(corpus_dir=corpus, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache")


@pytest.fixture(autouse=True)
def _close_milvus_lite():
    """Each temporary index has its own Milvus Lite file; stop its server when the test ends."""
    yield
    import sys

    module = sys.modules.get("rag.stores.milvus_store")
    if module is not None:
        module.close_all()

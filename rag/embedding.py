"""Sentence-transformers embeddings, loaded only from a local folder (no hub at run time)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rag.errors import ModelError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class Embedder:
    """Wraps a SentenceTransformer with the query/passage prefixes its training expects."""

    def __init__(self, path: Path, name: str, batch_size: int = 32):
        from sentence_transformers import SentenceTransformer  # heavy import, paid only when embedding
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
            raise ModelError(f"向量模型目录 {path} 不存在或不完整；请运行 `rag models` 安装，或检查配置项 embedder。")
        try:
            self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelError(f"无法加载向量模型 {path}：{exc}") from exc
        self.name = name
        prompts = getattr(self.model, "prompts", {}) or {}
        # E5-style models were trained with "query: " / "passage: " prompts; others have none
        self.query_prompt = "query" if "query" in prompts else None
        self.passage_prompt = "passage" if "passage" in prompts else None
        self.batch_size = batch_size
        self.dim = int(self.model.get_embedding_dimension())

    def _encode(self, texts: list[str], prompt: str | None, show_progress: bool = False) -> np.ndarray:
        vectors = self.model.encode(
            texts, prompt_name=prompt, batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=show_progress,
        )
        return np.asarray(vectors, dtype="float32").reshape(len(texts), self.dim)

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, self.passage_prompt, show_progress)

    def encode_query(self, text: str) -> np.ndarray:
        return self._encode([text], self.query_prompt)[0]


class LazyEmbedder:
    """An embedder known by name whose model loads on first use, so `rag index` over an unchanged
    corpus (or one where files were only deleted) never pays the seconds of loading it."""

    def __init__(self, name: str, load: Callable[[], Embedder]):
        self.name = name
        self._load = load
        self._model: Embedder | None = None

    @property
    def model(self) -> Embedder:
        if self._model is None:
            self._model = self._load()
        return self._model

    @property
    def dim(self) -> int:
        return self.model.dim

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self.model.encode_passages(texts, show_progress)

    def encode_query(self, text: str) -> np.ndarray:
        return self.model.encode_query(text)

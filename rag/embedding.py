"""Sentence-transformers embeddings, loaded only from a local folder (no hub at run time)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rag.errors import ModelError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


PASSAGE_PROMPTS = ("passage", "document")  # E5 calls it "passage: ", EmbeddingGemma "title: none | text: "
ONNX_GRAPH = Path("onnx") / "model-int8.onnx"  # written by rag.onnx_export when such a preset is installed
RUNTIME_FILE = "rag_runtime.json"  # a preset's runtime options: {"dim": 256} keeps 256 Matryoshka dimensions


class OnnxModel:
    """The part of SentenceTransformer that Embedder uses, run by onnxruntime from a graph that ends in
    the pooled, projected embedding: the same tokenizer and prompts, length-sorted batches (padding is
    most of the cost of a mixed batch), re-normalised output, optionally truncated (Matryoshka)."""

    def __init__(self, folder: Path, threads: int = 0):
        import onnxruntime as ort
        from transformers import AutoTokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(folder / ONNX_GRAPH), options, providers=["CPUExecutionProvider"])
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        config = json.loads((folder / "config_sentence_transformers.json").read_text(encoding="utf-8"))
        self.prompts = config.get("prompts") or {}
        self.max_length = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))["max_seq_length"]
        self.full_dim = int(self.session.get_outputs()[0].shape[-1])

    def encode(self, texts: list[str], prompt_name: str | None = None, batch_size: int = 32, dim: int = 0,
               **_: object) -> np.ndarray:
        """Normalised vectors; called like SentenceTransformer.encode (extra keywords ignored)."""
        dim = dim or self.full_dim
        prefix = self.prompts.get(prompt_name, "") if prompt_name else ""
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), dim), dtype="float32")
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = self.tokenizer([prefix + texts[i] for i in rows], padding=True, truncation=True,
                                   max_length=self.max_length, return_tensors="np")
            vectors = self.session.run(None, {"input_ids": batch["input_ids"].astype("int64"),
                                              "attention_mask": batch["attention_mask"].astype("int64")})[0][:, :dim]
            out[rows] = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return out


class Embedder:
    """Wraps a SentenceTransformer with the query/passage prompts its training expects, or, for a folder
    holding an int8 ONNX graph (rag.onnx_export), the same model run by onnxruntime. `dtype` "bfloat16"
    runs torch weights in bf16; `dim` > 0 keeps that many leading dimensions (Matryoshka models such as
    EmbeddingGemma are trained to allow it) and re-normalises; a preset's rag_runtime.json may set it."""

    def __init__(self, path: Path, name: str, batch_size: int = 32, dtype: str = "float32", dim: int = 0):
        if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
            raise ModelError(f"向量模型目录 {path} 不存在或不完整；请运行 `rag models` 安装，或检查配置项 embedder。")
        if dtype not in ("float32", "bfloat16"):
            raise ModelError(f"配置项 embed_dtype 的值 {dtype!r} 无效：可选 float32、bfloat16。")
        runtime = path / RUNTIME_FILE
        dim = dim or (json.loads(runtime.read_text(encoding="utf-8")).get("dim", 0) if runtime.is_file() else 0)
        try:
            self.model = OnnxModel(path) if (path / ONNX_GRAPH).is_file() else _sentence_transformer(path, dtype)
        except (OSError, ValueError) as exc:
            raise ModelError(f"无法加载向量模型 {path}：{exc}") from exc
        self.name = name
        prompts = getattr(self.model, "prompts", {}) or {}
        self.query_prompt = "query" if "query" in prompts else None
        self.passage_prompt = next((p for p in PASSAGE_PROMPTS if p in prompts), None)
        self.batch_size = batch_size
        full = self.model.full_dim if isinstance(self.model, OnnxModel) else int(self.model.get_embedding_dimension())
        self.dim = min(dim, full) if dim else full

    def _encode(self, texts: list[str], prompt: str | None, show_progress: bool = False) -> np.ndarray:
        if isinstance(self.model, OnnxModel):
            return self.model.encode(texts, prompt_name=prompt, batch_size=self.batch_size, dim=self.dim)
        vectors = self.model.encode(
            texts, prompt_name=prompt, batch_size=self.batch_size, normalize_embeddings=False,
            convert_to_tensor=True, show_progress_bar=show_progress,
        )
        vectors = vectors.float().numpy().reshape(len(texts), -1)[:, : self.dim]
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, self.passage_prompt, show_progress)

    def encode_query(self, text: str) -> np.ndarray:
        return self._encode([text], self.query_prompt)[0]


def _sentence_transformer(path: Path, dtype: str):
    from sentence_transformers import SentenceTransformer  # heavy import, paid only when embedding
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    if dtype == "bfloat16":
        import torch

        model.to(torch.bfloat16)
    return model


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

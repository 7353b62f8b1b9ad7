"""One Settings object: defaults in code, overridden by a TOML file, then by RAG_* environment variables."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import RagError

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def default_cache_dir() -> Path:
    """Models live outside the work tree so a fresh clone on the same machine reuses them."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rag-qa"


@dataclass
class Settings:
    # corpus and index
    corpus_dir: Path = PROJECT_ROOT / "seeds"
    index_dir: Path = PROJECT_ROOT / "index"
    cache_dir: Path = field(default_factory=default_cache_dir)
    max_file_mb: float = 50.0  # also bounds what a .docx or a PDF stream inflates to
    max_pdf_pages: int = 2000  # PDF pages beyond this are not read (the warning names them)
    ocr_seconds: float = 600.0  # OCR time per file; scanned pages after it are not read (named)
    file_memory_mb: int = 2048  # reading one file (in its own process) may use this much memory, else it is skipped
    file_seconds: float = 900.0  # reading one file may take this long, else it is skipped
    # vector store: "faiss" (embedded, default) or "milvus" (dense + BM25 + fusion inside Milvus); see rag.stores
    vector_store: str = "faiss"
    milvus_uri: str = ""  # a local *.db file -> Milvus Lite (default: index_dir/milvus.db); http(s)://host:19530 -> a server
    milvus_token: str = ""  # a server with authentication: "user:password" or an API key; never written to the manifest
    hnsw_threshold: int = 200_000  # FAISS and Milvus: exact IndexFlatIP below this many vectors, HNSW from here on
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 96
    hnsw_vectors: str = "fp16"  # FAISS HNSW: how vectors are stored: "fp16" (half the memory, recall unchanged), "sq8", "float32"
    # chunking
    chunk_size: int = 260
    chunk_overlap: int = 40
    # embedding: a known model name (see rag.assets) or a path to a sentence-transformers folder
    embedder: str = "multilingual-e5-small-q4"
    embed_batch_size: int = 32
    # retrieval
    top_k: int = 3  # 4 measured no better on the eval subset and costs ~80 prompt tokens (~1.3 s)
    passage_chars: int = 160  # > 0: each passage in the prompt is cut to ~this many characters of its most relevant sentences
    heading_levels: int = 2  # > 0: the prompt shows only this many of a passage's deepest headings
    answer_parts: bool = True  # a question asking several things (A和B分别…) is asked one part at a time
    # dense + BM25 fusion, tuned on both dev sets (docs/models.md, "Fusion"): "rrf" (weighted reciprocal rank) or
    # "convex" (min-max normalised scores); k stays 60, the fused-score scale grounding's tie-breakers assume
    fusion: str = "rrf"
    candidates: int = 50  # per side
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 3.0  # e5's dense ranking is the weaker vote (EmbeddingGemma's preset: 2)
    # generation: a known model name (see rag.assets), a .gguf path, or a transformers folder
    llm: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    llm_backend: str = "auto"  # auto | llama_cpp | transformers | openai (an OpenAI-compatible server)
    llm_base_url: str = "http://127.0.0.1:8000/v1"  # for llm_backend = "openai": vLLM, llama_cpp.server, ...
    llm_api_key: str = ""
    llm_timeout: float = 300.0  # seconds without a byte from the server before giving up
    n_ctx: int = 2048
    n_threads: int = 2
    n_batch: int = 512
    flash_attn: bool = True  # llama.cpp flash attention: ~5% faster prefill on CPU, same eval answers
    max_new_tokens: int = 160  # dev-set answers take at most ~60 tokens; a rambling one is cut sooner
    temperature: float = 0.0
    max_question_chars: int = 500

    def with_overrides(self, **changes: object) -> "Settings":
        return dataclasses.replace(self, **changes)


def _coerce(name: str, raw: object, current: object) -> object:
    """Cast a TOML or environment value to the type of the default it replaces."""
    try:
        if isinstance(current, bool):
            return raw if isinstance(raw, bool) else str(raw).lower() in {"1", "true", "yes", "on"}
        if isinstance(current, Path):
            return Path(str(raw)).expanduser()
        return type(current)(raw)
    except (TypeError, ValueError) as exc:
        raise RagError(f"配置项 {name} 的值 {raw!r} 无效：{exc}") from exc


def load_settings(config_file: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Build Settings from defaults, then `rag.toml` (or RAG_CONFIG), then RAG_<FIELD> variables."""
    env = dict(os.environ if env is None else env)
    settings = Settings()
    values = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
    path = config_file or Path(env.get("RAG_CONFIG", PROJECT_ROOT / "rag.toml"))
    if path.is_file():
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise RagError(f"配置文件 {path} 无法解析：{exc}") from exc
        for key, raw in table.items():
            if key not in values:
                raise RagError(f"配置文件 {path} 中有未知配置项 {key!r}")
            values[key] = _coerce(key, raw, values[key])
    for key in values:
        raw = env.get(f"RAG_{key.upper()}")
        if raw is not None and raw != "":
            values[key] = _coerce(key, raw, values[key])
    return Settings(**values)

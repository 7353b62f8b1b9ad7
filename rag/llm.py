"""Generation backends behind one interface: llama.cpp for GGUF files (the default, fast on CPU)
and transformers for a user's own Hugging Face folder. Both stream text pieces."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from rag.assets import resolve_llm
from rag.config import Settings
from rag.errors import ModelError

Messages = list[dict[str, str]]


class Generator(Protocol):
    name: str

    def stream(self, messages: Messages, max_tokens: int, temperature: float) -> Iterator[str]: ...


def is_gguf(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"GGUF"


class LlamaCppGenerator:
    """One llama.cpp context reused across questions: the shared system-prompt prefix is not re-evaluated."""

    def __init__(self, path: Path, settings: Settings):
        """`path`: a GGUF file, as `local_model` checked it."""
        try:
            from llama_cpp import Llama
        except RuntimeError as exc:  # the wheel's CPU backends: none fits this CPU, or GGML_CPU_VARIANT is wrong
            raise ModelError(f"llama.cpp 无法在这台机器的 CPU 上运行：{exc}（见 docs/performance.md 的 CPU 构建一节）") from exc

        try:
            self.llm = Llama(
                model_path=str(path), n_ctx=settings.n_ctx, n_threads=settings.n_threads,
                n_batch=settings.n_batch, flash_attn=settings.flash_attn, verbose=False,
                # read, not mmap'd: llama.cpp repacks the weights for the CPU kernels, and a mapping kept
                # beside the repacked copy leaves ~0.6 GB of file pages resident for nothing
                use_mmap=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"无法加载模型 {path}：{exc}") from exc
        self.name = path.name
        self.n_ctx = settings.n_ctx
        self._lock = threading.Lock()  # one context cannot serve two generations at once

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def last_stats(self) -> dict[str, float]:
        """llama.cpp's counters for the last generation: prompt tokens actually evaluated (those after the
        prefix reused from the previous call's KV cache) and decoded tokens, with their milliseconds."""
        from llama_cpp import llama_perf_context

        perf = llama_perf_context(self.llm.ctx)
        return {"prefill_tokens": perf.n_p_eval, "prefill_ms": perf.t_p_eval_ms,
                "decode_tokens": perf.n_eval, "decode_ms": perf.t_eval_ms}

    def warm(self, messages: Messages) -> None:
        """Evaluate a prompt once and keep it in the KV cache: the next prompt sharing its beginning (the
        fixed system part) evaluates only what follows. Run through the chat path so the template matches."""
        with self._lock:
            self.llm.create_chat_completion(messages, max_tokens=1, temperature=0.0, top_k=1, seed=0)

    def stream(self, messages: Messages, max_tokens: int, temperature: float) -> Iterator[str]:
        from llama_cpp import llama_perf_context_reset

        with self._lock:
            llama_perf_context_reset(self.llm.ctx)
            for part in self.llm.create_chat_completion(
                messages, stream=True, max_tokens=max_tokens, temperature=temperature, top_k=1 if temperature == 0 else 40,
                seed=0,
            ):
                piece = part["choices"][0]["delta"].get("content")
                if piece:
                    yield piece


class TransformersGenerator:
    """For a local Hugging Face checkpoint folder; slower on CPU than llama.cpp but needs no conversion."""

    def __init__(self, path: Path, settings: Settings):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from transformers import AutoModelForCausalLM, AutoTokenizer

        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            self.model = AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelError(f"无法从 {path} 加载 transformers 模型：{exc}") from exc
        self.model.eval()
        self.name = path.name
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text)["input_ids"])

    def stream(self, messages: Messages, max_tokens: int, temperature: float) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        prompt = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        inputs = self.tokenizer(prompt, return_tensors="pt")
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        kwargs = dict(**inputs, streamer=streamer, max_new_tokens=max_tokens, do_sample=temperature > 0)
        if temperature > 0:
            kwargs["temperature"] = temperature
        with self._lock:
            worker = threading.Thread(target=self.model.generate, kwargs=kwargs, daemon=True)
            worker.start()
            yield from (piece for piece in streamer if piece)
            worker.join()


def local_model(settings: Settings) -> tuple[Path, str]:
    """The local model file or folder and its backend, checked without loading it: a wrong path or a file
    that is not GGUF is said at once (ModelError), even when the question could be answered without it."""
    path = resolve_llm(settings.llm, settings.cache_dir)
    backend = settings.llm_backend
    if backend == "auto":
        backend = "transformers" if path.is_dir() else "llama_cpp"
    if backend == "llama_cpp" and not (path.is_file() and is_gguf(path)):
        raise ModelError(f"{path} 不是 GGUF 模型文件；llama.cpp 后端只接受 .gguf 文件。")
    return path, backend


def load_generator(settings: Settings) -> Generator:
    if settings.llm_backend == "openai":  # a server elsewhere; settings.llm is the model name it serves
        from rag.llm_remote import OpenAICompatGenerator

        return OpenAICompatGenerator(settings)
    path, backend = local_model(settings)
    if backend == "llama_cpp":
        return LlamaCppGenerator(path, settings)
    if backend == "transformers":
        return TransformersGenerator(path, settings)
    raise ModelError(f"未知的生成后端 {backend!r}；可选 auto、llama_cpp、transformers、openai。")

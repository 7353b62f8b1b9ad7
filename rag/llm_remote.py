"""Generation by an OpenAI-compatible server (vLLM, `python -m llama_cpp.server`, ...) over HTTP, so the
LLM can run on another machine or a GPU box while retrieval stays here. Streams chat completions (SSE)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator

import httpx

from rag.config import Settings
from rag.errors import ModelError

Messages = list[dict[str, str]]


def sse_pieces(lines: Iterable[str]) -> Iterator[str]:
    """Text pieces from a chat-completions event stream: `data: {json}` lines until `data: [DONE]`;
    comments (`: ping`), other fields and empty deltas are skipped; an error event becomes a ModelError."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        if not data:
            continue
        try:
            event = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ModelError(f"大模型服务返回了无法解析的数据：{data[:200]}") from exc
        if "error" in event:
            raise ModelError(f"大模型服务报错：{_error_text(event['error'])}")
        for choice in event.get("choices") or []:
            piece = (choice.get("delta") or {}).get("content")
            if piece:
                yield piece


def _error_text(error: object) -> str:
    return str(error.get("message", error)) if isinstance(error, dict) else str(error)


class OpenAICompatGenerator:
    """One HTTP client per process; the server does the batching, so no lock is held here."""

    def __init__(self, settings: Settings):
        if not settings.llm_base_url.startswith(("http://", "https://")):
            raise ModelError(f"配置项 llm_base_url 应是 http(s):// 开头的地址，当前为 {settings.llm_base_url!r}。")
        self.base = settings.llm_base_url.rstrip("/")
        self.url = self.base + "/chat/completions"
        self._context: int | None | bool = False  # False: not asked yet
        self.model = settings.llm
        self.name = f"{settings.llm}@{settings.llm_base_url}"
        headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
        self.client = httpx.Client(headers=headers, timeout=httpx.Timeout(settings.llm_timeout, connect=10.0))

    def stream(self, messages: Messages, max_tokens: int, temperature: float) -> Iterator[str]:
        payload = {"model": self.model, "messages": messages, "max_tokens": max_tokens,
                   "temperature": temperature, "stream": True, "seed": 0}
        try:
            with self.client.stream("POST", self.url, json=payload) as response:
                if response.status_code != 200:
                    response.read()
                    raise ModelError(
                        f"大模型服务 {self.url} 返回错误 {response.status_code}：{self._detail(response)}；"
                        "请检查配置项 llm（模型名）、llm_api_key 与服务日志。"
                    )
                yield from sse_pieces(response.iter_lines())
        except httpx.ConnectError as exc:
            raise ModelError(
                f"无法连接大模型服务 {self.url}（{exc}）。请确认服务已启动（如 vLLM 或 python -m llama_cpp.server），"
                "并检查配置项 llm_base_url。"
            ) from exc
        except httpx.TimeoutException as exc:
            raise ModelError(f"大模型服务 {self.url} 响应超时（{type(exc).__name__}）；请检查服务负载或调大 llm_timeout。") from exc
        except httpx.HTTPError as exc:
            raise ModelError(f"与大模型服务 {self.url} 的连接中断：{exc}") from exc

    @property
    def context_size(self) -> int | None:
        """The server's context length if its model list reports one (vLLM: `max_model_len`; llama.cpp's
        llama-server: `meta.n_ctx_train`); asked once. None: the prompt is sent untrimmed, as before."""
        if self._context is False:
            self._context = _reported_context(self.client, self.base, self.model)
        return self._context or None

    @property
    def count_tokens(self) -> Callable[[str], int] | None:
        """Token counts for trimming the prompt, only when there is a reported context to trim to:
        the server's tokenizer when it offers one, else one token per character (Chinese text takes
        fewer with the usual tokenizers, so the estimate errs on the side of leaving room)."""
        if self.context_size is None:
            return None
        return lambda text: _server_count(self.client, self.base, self.model, text)

    @staticmethod
    def _detail(response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return response.text[:300]
        return _error_text(body.get("error", body) if isinstance(body, dict) else body)[:300]


def _reported_context(client: httpx.Client, base: str, model: str) -> int | None:
    try:
        entries = client.get(base + "/models", timeout=10.0).json().get("data") or []
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    for entry in [e for e in entries if e.get("id") == model] or entries[:1]:
        for value in (entry.get("max_model_len"), entry.get("context_length"), (entry.get("meta") or {}).get("n_ctx_train")):
            if isinstance(value, int) and value > 0:
                return value
    return None


def _server_count(client: httpx.Client, base: str, model: str, text: str) -> int:
    """vLLM's /tokenize (beside /v1) answers {"count": n}; a server without it gets the estimate."""
    root = base[: -len("/v1")] if base.endswith("/v1") else base
    try:
        reply = client.post(root + "/tokenize", json={"model": model, "prompt": text}, timeout=10.0)
        if reply.status_code == 200 and isinstance(reply.json().get("count"), int):
            return reply.json()["count"]
    except (httpx.HTTPError, ValueError, AttributeError):
        pass
    return len(text)

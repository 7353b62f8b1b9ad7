"""The OpenAI-compatible backend: SSE parsing and errors against a tiny in-process HTTP server, and
(slow) one real question through QAPipeline answered by `python -m llama_cpp.server`."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from rag.config import Settings
from rag.errors import ModelError
from rag.llm import load_generator
from rag.llm_remote import OpenAICompatGenerator, sse_pieces
from rag.pipeline import QAPipeline
from tests.conftest import SEEDS

ANSWER = ["高密市", "经济社会", "发展取得成效[1]", "。"]  # no figures: nothing for the number check to withhold
MESSAGES = [{"role": "user", "content": "你好"}]


def _event(piece: str | None, role: bool = False) -> str:
    delta = {"role": "assistant"} if role else {"content": piece}
    return "data: " + json.dumps({"choices": [{"index": 0, "delta": delta}]}, ensure_ascii=False) + "\n\n"


class _Handler(BaseHTTPRequestHandler):
    requests: list[dict] = []
    status = 200
    context: int | None = None  # what GET /v1/models reports as max_model_len (vLLM's field)

    def _json(self, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        model = {"id": "qwen-test", "object": "model"}
        self._json({"object": "list", "data": [model | ({"max_model_len": self.context} if self.context else {})]})

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if self.path == "/tokenize":  # vLLM's tokenizer endpoint; here one token per two characters
            self._json({"count": len(body["prompt"]) // 2})
            return
        if type(self).status != 200:
            payload = json.dumps({"error": {"message": "model 'x' not found"}}).encode()
            self.send_response(type(self).status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        stream = [": ping\n\n", _event(None, role=True)] + [_event(p) for p in ANSWER] + ["data: [DONE]\n\n"]
        for part in stream:
            self.wfile.write(part.encode("utf-8"))
            self.wfile.flush()

    def log_message(self, *args) -> None:
        pass


@contextmanager
def _fake_server(status: int = 200, context: int | None = None) -> Iterator[str]:
    handler = type("Handler", (_Handler,), {"requests": [], "status": status, "context": context})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler.requests
    finally:
        server.shutdown()
        server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_streams_the_pieces_and_sends_an_openai_request():
    with _fake_server() as (url, requests):
        settings = Settings(llm_backend="openai", llm_base_url=url, llm="qwen-test", llm_api_key="secret")
        gen = load_generator(settings)  # no model file is resolved for a remote backend
        assert isinstance(gen, OpenAICompatGenerator)
        assert list(gen.stream(MESSAGES, 64, 0.0)) == ANSWER
    (req,) = requests
    assert req["path"] == "/v1/chat/completions" and req["auth"] == "Bearer secret"
    assert req["body"]["model"] == "qwen-test"
    assert req["body"]["stream"] is True and req["body"]["messages"] == MESSAGES and req["body"]["max_tokens"] == 64


def test_sse_parsing_skips_comments_and_stops_at_done():
    lines = [": keep-alive", "event: x", "data:", _event("甲").strip(), "data: [DONE]", _event("乙").strip()]
    assert list(sse_pieces(lines)) == ["甲"]
    with pytest.raises(ModelError, match="大模型服务报错：overloaded"):
        list(sse_pieces(['data: {"error": {"message": "overloaded"}}']))
    with pytest.raises(ModelError, match="无法解析"):
        list(sse_pieces(["data: {not json"]))


def test_unreachable_endpoint_is_a_clear_chinese_error():
    url = f"http://127.0.0.1:{_free_port()}/v1"
    gen = OpenAICompatGenerator(Settings(llm_backend="openai", llm_base_url=url))
    with pytest.raises(ModelError, match="无法连接大模型服务.*llm_base_url"):
        list(gen.stream(MESSAGES, 8, 0.0))
    with pytest.raises(ModelError, match="llm_base_url"):
        OpenAICompatGenerator(Settings(llm_base_url="127.0.0.1:8000"))


def test_server_error_status_is_reported_with_its_message():
    with _fake_server(status=404) as (url, _):
        gen = OpenAICompatGenerator(Settings(llm_base_url=url))
        with pytest.raises(ModelError, match="返回错误 404：model 'x' not found"):
            list(gen.stream(MESSAGES, 8, 0.0))


def test_pipeline_answers_through_the_remote_backend(tmp_settings, hash_embedder):
    shutil.copy(SEEDS / "000_c07c619b55a4981f.txt", tmp_settings.corpus_dir)
    with _fake_server() as (url, requests):
        settings = tmp_settings.with_overrides(llm_backend="openai", llm_base_url=url)
        pipe = QAPipeline(settings, embedder=hash_embedder)
        pipe.index()
        answer = pipe.ask("高密市为什么能取得发展成效？")  # a why question: the model answers it (no section lists it)
    assert answer.text == "".join(ANSWER) and answer.citations and answer.citations[0].number == 1
    assert "高密" in requests[0]["body"]["messages"][-1]["content"]  # the numbered passages went to the server


def _sent_passages(tmp_settings, hash_embedder, context: int | None) -> tuple[int, list[dict]]:
    shutil.copy(SEEDS / "000_c07c619b55a4981f.txt", tmp_settings.corpus_dir)
    with _fake_server(context=context) as (url, requests):
        settings = tmp_settings.with_overrides(llm_backend="openai", llm_base_url=url, llm="qwen-test", top_k=3,
                                               passage_chars=0, n_ctx=100_000)
        pipe = QAPipeline(settings, embedder=hash_embedder)
        pipe.index()
        answer = pipe.ask("高密市为什么能取得发展成效？")
    chat = [r for r in requests if r["path"].endswith("/chat/completions")]
    return len(answer.passages), chat + [r for r in requests if r["path"] == "/tokenize"]


def test_prompt_is_trimmed_to_the_context_the_server_reports(tmp_settings, hash_embedder):
    untrimmed, requests = _sent_passages(tmp_settings, hash_embedder, context=None)
    assert untrimmed == 3 and not [r for r in requests if r["path"] == "/tokenize"]  # nothing reported: as before
    trimmed, requests = _sent_passages(tmp_settings, hash_embedder, context=400)
    assert 1 <= trimmed < 3 and [r for r in requests if r["path"] == "/tokenize"]
    prompt = requests[0]["body"]["messages"]
    assert sum(len(m["content"]) // 2 + 8 for m in prompt) <= 400 - 160 or trimmed == 1


# --- slow: a real OpenAI-compatible server (llama.cpp) -------------------------------------------


def _small_gguf(settings: Settings):
    from rag.assets import resolve_llm

    for name in ("qwen2.5-coder-0.5b-instruct-q4_k_m", "qwen2.5-coder-1.5b-instruct-q4_k_m"):
        try:
            return resolve_llm(name, settings.cache_dir)
        except Exception:  # noqa: BLE001 - try the next model
            continue
    pytest.skip("no GGUF model installed (run `rag models`)")


@contextmanager
def _llama_server(model_path, alias: str, log_path) -> Iterator[str]:
    """The server logs ~200 KB at start: to a file, since a full pipe would block it."""
    port = _free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path), "--model_alias", alias,
           "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "2"]
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=os.environ | {"PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"llama_cpp.server exited: {open(log_path, errors='replace').read()[-2000:]}")
            try:
                if httpx.get(url + "/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise AssertionError("llama_cpp.server did not start within 120 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.mark.slow
def test_real_llama_cpp_server_answers_a_question(tmp_settings, hash_embedder, tmp_path):
    from rag.config import load_settings

    base = load_settings(env={})
    model = _small_gguf(base)
    for name in ("000_c07c619b55a4981f.txt",):
        shutil.copy(SEEDS / name, tmp_settings.corpus_dir)
    with _llama_server(model, alias="local-qwen", log_path=tmp_path / "server.log") as url:
        settings = tmp_settings.with_overrides(
            cache_dir=base.cache_dir, llm_backend="openai", llm_base_url=url, llm="local-qwen", max_new_tokens=96,
        )
        pipe = QAPipeline(settings, embedder=hash_embedder)
        pipe.index()
        pipe.evidence.figures.search = lambda *a, **k: []  # the model's path (the figure index would answer in code)
        pieces = [e.text for e in pipe.stream("高密市2020年地区生产总值是多少？") if e.kind == "token"]
    assert len(pieces) > 1, "the answer arrives in several streamed pieces"
    text = "".join(pieces)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text  # a Chinese answer came back over HTTP

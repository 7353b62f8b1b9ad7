"""Question -> Answer: validate, retrieve, prompt, stream from the LLM, then check the citations."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from rag.assets import resolve_embedder
from rag.citations import attach_citations
from rag.config import Settings
from rag.embedding import Embedder
from rag.errors import InputError, IndexStateError
from rag.indexing import IndexReport, build_index, unchanged_report
from rag.llm import Generator, load_generator
from rag.prompting import REFUSAL, build_messages
from rag.retrieval import Retriever
from rag.store import load_index
from rag.types import Answer, Passage


def validate_question(question: str, max_chars: int) -> str:
    text = (question or "").strip()
    if not text:
        raise InputError("问题为空，请输入要查询的问题。")
    if len(text) > max_chars:
        raise InputError(f"问题过长（{len(text)} 字），请精简到 {max_chars} 字以内后再提问。")
    if not re.search(r"[\w\u4e00-\u9fff]", text):
        raise InputError("问题中没有可识别的文字，请用中文描述要查询的内容。")
    if not re.search(r"[\u4e00-\u9fff]", text):
        # the documents are Chinese: an English question retrieves badly and the small model then
        # answers with a wrong figure (seen: "Gaomi's GDP in 2020" -> "41.6%"), so say so instead
        raise InputError("请用中文提问：文档是中文的，不含中文的问题无法可靠检索。例如：高密市2020年地区生产总值是多少？")
    return text


@dataclass
class Event:
    """What a streaming ask emits: the passages first, then text pieces, then the checked Answer."""

    kind: str  # "passages" | "token" | "answer"
    passages: list[Passage] | None = None
    text: str = ""
    answer: Answer | None = None


def load_embedder(settings: Settings) -> Embedder:
    path, name = resolve_embedder(settings.embedder, settings.cache_dir)
    return Embedder(path, name, settings.embed_batch_size)


class QAPipeline:
    """Holds the loaded models and index; models load lazily so the index can be built before the LLM is."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, generator: Generator | None = None):
        self.settings = settings
        self._embedder = embedder
        self._generator = generator
        self._retriever: Retriever | None = None
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = load_embedder(self.settings)
            return self._embedder

    @property
    def generator(self) -> Generator:
        with self._lock:
            if self._generator is None:
                self._generator = load_generator(self.settings)
            return self._generator

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            self._retriever = Retriever(load_index(self.settings.index_dir), self.embedder, self.settings)
        return self._retriever

    def index(self, rebuild: bool = False) -> IndexReport:
        """An unchanged corpus is answered from the manifest alone: `rag index` then takes well under a second."""
        if not rebuild:
            name = self._embedder.name if self._embedder is not None else resolve_embedder(
                self.settings.embedder, self.settings.cache_dir)[1]
            report = unchanged_report(self.settings, name)
            if report is not None:
                return report
        report = build_index(self.settings, self.embedder, rebuild=rebuild)
        if report.written:
            self._retriever = None  # pick up the new version on the next question
        return report

    def ensure_index(self) -> IndexReport | None:
        """Build the index on first use; an existing index is used as it is."""
        try:
            self.retriever
            return None
        except IndexStateError:
            return self.index()

    def retrieve(self, question: str, doc_ids: list[str] | None = None) -> list[Passage]:
        question = validate_question(question, self.settings.max_question_chars)
        return self.retriever.search(question, doc_ids=doc_ids)

    def _fit(self, question: str, passages: list[Passage]) -> tuple[list[dict[str, str]], list[Passage]]:
        """Drop the weakest passages until the prompt leaves room for the answer in the context window."""
        count = getattr(self.generator, "count_tokens", None)
        budget = self.settings.n_ctx - self.settings.max_new_tokens
        shape = (self.settings.passage_chars, self.settings.heading_levels)
        messages = build_messages(question, passages, *shape)
        while count and len(passages) > 1 and sum(count(m["content"]) + 8 for m in messages) > budget:
            passages = passages[:-1]
            messages = build_messages(question, passages, *shape)
        return messages, passages

    def stream(self, question: str, doc_ids: list[str] | None = None,
               passages: list[Passage] | None = None) -> Iterator[Event]:
        """Given `passages` (a benchmark's, say) are answered from as they are, without retrieval."""
        timings: dict[str, float] = {}
        started = time.perf_counter()
        question = validate_question(question, self.settings.max_question_chars)
        passages = self.retriever.search(question, doc_ids=doc_ids) if passages is None else list(passages)
        timings["retrieve"] = time.perf_counter() - started
        yield Event("passages", passages=passages)
        answer = Answer(question=question, text="", passages=passages)
        if not passages:
            answer.text = REFUSAL
        else:
            prompt_started = time.perf_counter()
            messages, answer.passages = self._fit(question, passages)
            timings["prompt"] = time.perf_counter() - prompt_started
            pieces: list[str] = []
            for piece in self.generator.stream(messages, self.settings.max_new_tokens, self.settings.temperature):
                timings.setdefault("first_token", time.perf_counter() - started)
                pieces.append(piece)
                yield Event("token", text=piece)
            answer.text = "".join(pieces)
        timings["total"] = time.perf_counter() - started
        answer.timings = timings
        yield Event("answer", answer=attach_citations(answer))

    def ask(self, question: str, doc_ids: list[str] | None = None, passages: list[Passage] | None = None) -> Answer:
        for event in self.stream(question, doc_ids, passages=passages):
            if event.kind == "answer" and event.answer is not None:
                return event.answer
        raise AssertionError("stream ended without an answer")

"""Question -> Answer: validate, understand, retrieve, check answerability and premises, then hand the
question to the first answer path that takes it (rag.answering.ROUTES)."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator

from rag.answering import Asked, route
from rag.assets import resolve_embedder
from rag.config import Settings
from rag.embedding import Embedder, LazyEmbedder
from rag.errors import InputError, IndexStateError
from rag.excerpt import pick_excerpt
from rag.facts import FigureIndex
from rag.grounding.answerability import check_answerable
from rag.grounding.bridge import resolve as resolve_bridge
from rag.grounding.evidence import Evidence
from rag.grounding.premise import check_premise
from rag.grounding.profile import build_profile
from rag.grounding.parts import split_parts
from rag.grounding.question import ARITHMETIC, QuestionFrame, QuestionReader
from rag.grounding.rewrite import MAX_TOKENS as REWRITE_TOKENS
from rag.grounding.rewrite import clean, needs_rewrite, rewrite_messages
from rag.grounding.scope import ScopedRetriever
from rag.indexing import IndexReport, build_index, read_differently
from rag.llm import Generator, load_generator
from rag.prompting import build_messages
from rag.retrieval import Retriever
from rag.sections import SectionIndex
from rag.store import current_version, load_index
from rag.types import Answer, Event, Passage

log = logging.getLogger(__name__)


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
        self._reader: QuestionReader | None = None
        self._reader_for: Retriever | None = None
        self._scoped: ScopedRetriever | None = None
        self._evidence: tuple[object, Evidence] | None = None
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
        """The live index version: one written by another process (`rag index`) is picked up here."""
        retriever, current = self._retriever, current_version(self.settings.index_dir)
        if retriever is None or current not in (None, retriever.stored.version):
            retriever = self._retriever = Retriever(load_index(self.settings.index_dir, self.settings), self.embedder, self.settings)
        return retriever

    def load_models(self) -> None:
        """Load both models now and evaluate the fixed system part of the prompt once, so the first question
        neither waits for a model load nor pays for that prefix (`rag serve` calls this at start)."""
        self.embedder
        warm = getattr(self.generator, "warm", None)
        if warm is not None:
            warm(build_messages("", []))

    def index(self, rebuild: bool = False) -> IndexReport:
        """The embedder is loaded only if a file must be embedded: an unchanged corpus takes about a second."""
        embedder = self._embedder or LazyEmbedder(
            resolve_embedder(self.settings.embedder, self.settings.cache_dir)[1], lambda: self.embedder)
        report = build_index(self.settings, embedder, rebuild=rebuild)
        if report.written:
            self._retriever = None  # pick up the new version on the next question
        return report

    def ensure_index(self) -> IndexReport | None:
        """Build the index on first use; an existing index is used as it is, unless this version reads, cuts
        or derives records from documents otherwise (then it is updated: answers would cite chunks or records
        this version never makes; only a changed chunker re-embeds)."""
        try:
            retriever = self.retriever
        except IndexStateError:
            return self.index()
        if not read_differently(retriever.stored.manifest, self.settings):
            return None
        log.warning("索引是旧版本按另一种方式读取、切分或提取数据建成的，正在更新")
        return self.index()

    def retrieve(self, question: str, doc_ids: list[str] | None = None) -> list[Passage]:
        question = validate_question(question, self.settings.max_question_chars)
        return self.scoped.search(question, doc_ids, self.scoped.scope(self.reader.read(question)))

    @property
    def reader(self) -> QuestionReader:
        """Question understanding against the loaded index's corpus profile, made once per index version."""
        retriever = self.retriever
        if self._reader is None or self._reader_for is not retriever:
            finder = self._reader.finder if self._reader is not None else None
            measures = {f.canonical for f in self.evidence.figures.figures}
            self._reader = QuestionReader(build_profile(retriever.stored.chunks, retriever.stored.documents, measures), finder)
            self._scoped = ScopedRetriever(retriever, self._reader.profile, self.settings.top_k)
            self._reader_for = retriever
        return self._reader

    @property
    def evidence(self) -> Evidence:
        """The figure and section indexes of the loaded index version, read from its records once."""
        stored = self.retriever.stored
        if self._evidence is None or self._evidence[0] is not stored:
            sections = SectionIndex.from_records(stored.records("sections"), stored.documents.titles())
            self._evidence = (stored, Evidence(FigureIndex.from_stored(stored), sections))
        return self._evidence[1]

    @property
    def sections(self) -> SectionIndex:
        return self.evidence.sections

    @property
    def scoped(self) -> ScopedRetriever:
        self.reader  # noqa: B018 - made with the reader, for the same index version
        return self._scoped

    def _rewrite(self, question: str, frame: QuestionFrame, tokens: list[tuple[str, str]]) -> str:
        """The question in the documents' words when it is put in everyday words ('' otherwise)."""
        if not needs_rewrite(frame, tokens, self.reader.profile):
            return ""
        return clean("".join(self.generator.stream(rewrite_messages(question), REWRITE_TOKENS, 0.0)), question)

    def _search(self, question: str, rewritten: str, frame: QuestionFrame, doc_ids: list[str] | None) -> list[Passage]:
        """Passages for the question; for one in everyday words, those of its rewrite (one more than usual:
        the rewrite's wording is the model's guess) and the question's own best one."""
        scope = self.scoped.scope(frame)
        if not rewritten:
            return self.scoped.search(question, doc_ids, scope)
        found = self.scoped.search(rewritten, doc_ids, scope, self.settings.top_k + 1)
        found += self.scoped.search(question, doc_ids, scope, 1)
        return list({p.chunk.chunk_id: p for p in found}.values())

    def stream(self, question: str, doc_ids: list[str] | None = None,
               passages: list[Passage] | None = None) -> Iterator[Event]:
        """Understand, retrieve (unless `passages` are given), check answerability and premises, then answer
        directly, side by side, or with a correction; every path ends in the checked Answer."""
        timings: dict[str, float] = {}
        started = time.perf_counter()
        question = validate_question(question, self.settings.max_question_chars)
        given = passages is not None  # a benchmark's passages: the corpus is what they say
        reader = QuestionReader(build_profile(p.chunk for p in passages)) if given else self.reader
        bridge = None if given else resolve_bridge(question, reader.profile, self.retriever.stored.chunks)
        asked = bridge.question if bridge else question  # a place named by its title: the place written in
        frame, tokens = reader.read(asked), reader.finder.tokens(asked)
        rewritten = asked if bridge else "" if given else self._rewrite(question, frame, tokens)
        if passages is None:
            passages = self._search(question, rewritten, frame, doc_ids)
            if bridge:  # the sentence that names the place is cited with the answer
                passages = [bridge.passage] + [p for p in passages if p.chunk.chunk_id != bridge.passage.chunk.chunk_id]
        timings["retrieve"] = time.perf_counter() - started
        yield Event("passages", passages=passages)
        understanding = frame.summary() + (f"；{bridge.said}" if bridge else f"；规划用语：{rewritten}" if rewritten else "")
        answer = Answer(question=question, text="", passages=passages, understanding=understanding,
                        excerpt=pick_excerpt(question, passages))
        timings["excerpt"] = time.perf_counter() - started
        yield Event("excerpt", excerpt=answer.excerpt)
        verdict = check_answerable(frame, reader.profile, passages, tokens, None if given else self.evidence)
        chunks = [p.chunk for p in passages] if given else self.retriever.stored.chunks
        correction = check_premise(frame, reader.profile, chunks, passages) if verdict.answerable else None
        parts = [] if not self.settings.answer_parts or frame.kind in ARITHMETIC or (frame.decomposed and not given) \
            else split_parts(asked)
        yield from route(Asked(self, answer, frame, reader, asked, rewritten, doc_ids, given, verdict, correction,
                               parts, timings, started))
        timings["total"] = time.perf_counter() - started
        answer.timings = timings
        yield Event("answer", answer=answer)

    def ask(self, question: str, doc_ids: list[str] | None = None, passages: list[Passage] | None = None) -> Answer:
        for event in self.stream(question, doc_ids, passages):
            if event.kind == "answer" and event.answer is not None:
                return event.answer
        raise AssertionError("stream ended without an answer")

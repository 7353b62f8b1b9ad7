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
from rag.embedding import Embedder, LazyEmbedder
from rag.errors import InputError, IndexStateError
from rag.excerpt import pick_excerpt
from rag.grounding.answerability import check_answerable
from rag.grounding.binding import cited_elsewhere, no_figure, says_nothing, unbound, unnamed, without_empty_sentences
from rag.grounding.bridge import resolve as resolve_bridge
from rag.grounding.citation_repair import repair_citations
from rag.grounding.decomposition import (Side, SideResult, calculate_from_answer, compose, figures_question,
                                         lookup_answer, lookup_docs, missing_figures, pick_figure,
                                         plan, renumber, with_years)
from rag.grounding.figures import as_of
from rag.grounding.list_completion import complete_list
from rag.grounding.listing import (asked_list, find_list, list_text, member_figures, members, over_members,
                                  summed_list, superlative)
from rag.grounding.lookup import measure_forms, naming_words
from rag.grounding.part_sources import PartCheck, check_part, cited_in_whole, part_keys
from rag.grounding.parts import check_shared, distinct, join_parts, split_parts
from rag.grounding.premise import Correction, check_premise
from rag.grounding.profile import build_profile, years_in
from rag.grounding.rewrite import MAX_TOKENS as REWRITE_TOKENS
from rag.grounding.rewrite import clean, needs_rewrite, rewrite_messages
from rag.grounding.question import ARITHMETIC, GLOSSARY, QuestionFrame, QuestionReader, expand, magnitudes, measure
from rag.grounding.scope import ScopedRetriever
from rag.indexing import IndexReport, build_index
from rag.llm import Generator, load_generator
from rag.prompting import REFUSAL, build_messages
from rag.retrieval import Retriever
from rag.store import current_version, load_index
from rag.types import Answer, Excerpt, Passage

CALCULATED = {"difference", "ratio", "sum"}  # computed within one answer when there are no sides to split into


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
    """What a streaming ask emits: the passages first, then the excerpt (possibly None), then text pieces,
    then the checked Answer."""

    kind: str  # "passages" | "excerpt" | "token" | "answer"
    passages: list[Passage] | None = None
    excerpt: Excerpt | None = None
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
        self._reader: QuestionReader | None = None
        self._reader_for: Retriever | None = None
        self._scoped: ScopedRetriever | None = None
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
        """Build the index on first use; an existing index is used as it is."""
        try:
            self.retriever
            return None
        except IndexStateError:
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
            self._reader = QuestionReader(build_profile(retriever.stored.chunks), finder)
            self._scoped = ScopedRetriever(retriever, self._reader.profile, self.settings.top_k)
            self._reader_for = retriever
        return self._reader

    @property
    def scoped(self) -> ScopedRetriever:
        self.reader  # noqa: B018 - made with the reader, for the same index version
        return self._scoped

    def _fit(self, question: str, passages: list[Passage], chars: int | None = None) -> tuple[list[dict[str, str]], list[Passage]]:
        """Drop the weakest passages until the prompt leaves room for the answer in the context window;
        `chars`: each passage's trim budget, if not passage_chars."""
        count = getattr(self.generator, "count_tokens", None)
        context = getattr(self.generator, "context_size", None) or self.settings.n_ctx  # a server's own, if it says
        budget = context - self.settings.max_new_tokens
        shape = (self.settings.passage_chars if chars is None else chars, self.settings.heading_levels)
        messages = build_messages(question, passages, *shape)
        while count and len(passages) > 1 and sum(count(m["content"]) + 8 for m in messages) > budget:
            passages = passages[:-1]
            messages = build_messages(question, passages, *shape)
        return messages, passages

    def _generate(self, answer: Answer, timings: dict[str, float], started: float, label: str = "",
                  hint: str = "", chars: int | None = None) -> Iterator[Event]:
        """The model's answer to answer.question from answer.passages, streamed, then checked in place;
        `hint`: the question in the documents' words, shown to the model beside it."""
        if not answer.passages:
            answer.text = REFUSAL
        else:
            prompt_started = time.perf_counter()
            asked = expand(answer.question) + (f"（即：{hint}）" if hint else "")
            messages, answer.passages = self._fit(asked, answer.passages, chars)
            timings.setdefault("prompt", time.perf_counter() - prompt_started)
            pieces: list[str] = []
            for piece in self.generator.stream(messages, self.settings.max_new_tokens, self.settings.temperature):
                if not pieces and label:
                    yield Event("token", text=label)
                timings.setdefault("first_token", time.perf_counter() - started)
                pieces.append(piece)
                yield Event("token", text=piece)
            answer.text = repair_citations(without_empty_sentences(answer.question, "".join(pieces)), answer.passages,
                                           answer.question)
        attach_citations(answer)

    @staticmethod
    def _bound(answer: Answer, frame: QuestionFrame) -> None:
        """An answer whose every figure the passages bind to another year, place or measure than the
        question's, whose cited passages never name a number the question names (the year, the edition), or
        that only repeats the question, is withheld, saying what the documents do give."""
        if answer.refused or frame.decomposed:
            return
        reason, number = unbound(frame, answer)
        missing = [] if reason else unnamed(answer.question, answer)
        moved = cited_elsewhere(answer.question, answer) if missing else ""
        if moved:  # another passage says the same of the year asked: cite that one
            answer.text, missing = moved, []
            attach_citations(answer)
        empty = not reason and not missing and (says_nothing(answer.question, answer.text)
                                                or no_figure(answer.question, answer.text))
        if reason or missing or empty:
            answer.withheld, answer.refused, answer.claims = answer.text, True, []
            answer.reason = (f"文档中没有问题所问的数据：{reason}[{number}]。" if reason else
                             f"所引资料没有提到问题中的“{'、'.join(missing)}”，回答说的可能是别的年份或事件。" if missing else
                             "回答没有给出问题所问的内容或数字。")
            answer.text = f"{REFUSAL}。{answer.reason}"

    def _sub_answer(self, question: str, doc_ids: list[str] | None, scope: list[str] | None, timings: dict[str, float],
                    started: float, label: str, side: Side | None = None,
                    frame: QuestionFrame | None = None) -> Iterator[Event | Answer]:
        """One side's answer: from a table row or sentence stating its figure for the year, else from the model."""
        passages = self.scoped.search(question, doc_ids, scope)
        sub = self._look_up(side, frame, passages, doc_ids) if side and frame else None
        if sub is not None:
            timings.setdefault("first_token", time.perf_counter() - started)
            yield Event("token", text=label + sub.text)
        else:
            sub = Answer(question=question, text="", passages=passages)
            yield from self._generate(sub, timings, started, label)
        yield sub

    def _generate_parts(self, answer: Answer, parts: list[str], reader: QuestionReader, timings: dict[str, float],
                        started: float) -> Iterator[Event]:
        """A question asking several things: the model asked once per part over the same passages (each
        trimmed for its part, the budget grown with the number of parts), the parts joined in one answer;
        a part the passages cannot answer says so, the others are still answered. A part's citations must
        name the numbers that set it apart (its year); those all parts share, the joined answer's."""
        results, keys = [], part_keys(parts)
        for number, part in enumerate(parts):
            part_frame, sub = reader.read(part), Answer(question=part, text="", passages=answer.passages)
            verdict = check_answerable(part_frame, reader.profile, answer.passages, reader.finder.tokens(part))
            if verdict.answerable:
                yield from self._answer_part(sub, part_frame, parts, timings, started, "\n" if number else "")
                check = check_part(sub.text, sub.refused, number, keys, answer.passages)
                sub = self._own_sources(sub, check, answer.passages, part_frame, parts, timings, started)
            else:
                sub.text, sub.refused, sub.reason = f"{REFUSAL}。{verdict.reason}", True, verdict.reason
            results.append(sub)
        if not join_parts(answer, results).refused:
            check_shared(attach_citations(answer), parts)

    def _answer_part(self, sub: Answer, frame: QuestionFrame, parts: list[str], timings: dict[str, float],
                     started: float, label: str = "") -> Iterator[Event]:
        """One part asked of the model; its citations must name the numbers that set it apart (its year)."""
        yield from self._generate(sub, timings, started, label, chars=self.settings.passage_chars * len(parts))
        question, sub.question = sub.question, distinct(sub.question, parts)
        self._bound(sub, frame)
        sub.question = question
        complete_list(sub)

    def _own_sources(self, sub: Answer, check: PartCheck, passages: list[Passage], frame: QuestionFrame,
                     parts: list[str], timings: dict[str, float], started: float) -> Answer:
        """A part refused, or answered from passages that do not name its own word (女子 for 男子), asked
        again over the passages that do; said not found when that fails and it rested on a sibling's."""
        if check.passages:
            retry = Answer(question=sub.question, text="", passages=[passages[i] for i in check.passages])
            for _ in self._answer_part(retry, frame, parts, timings, started):
                pass  # not streamed: its [n] count the passages asked over, renumbered below
            if not retry.refused:
                retry.text, retry.passages = cited_in_whole(retry.text, check.passages), passages
                return attach_citations(retry)
        if check.refuse and not sub.refused:
            sub.withheld, sub.refused, sub.reason, sub.claims = sub.text, True, check.reason, []
            sub.text = f"{REFUSAL}。{check.reason}"
        return sub

    def _in_documents_words(self, frame: QuestionFrame, rewritten: str) -> QuestionFrame:
        """A question in everyday words ('莱西城外山上种的树…能盖住多大地方') is checked against the measure its
        rewrite names in the documents' words ('森林覆盖率'), when the rewrite keeps its places and years (the
        rewrite is the model's guess: one that drops the place or names no measure is not relied on)."""
        if not rewritten or measure(frame):
            return frame
        reread = self.reader.read(rewritten)
        same = reread.places == frame.places and reread.years == frame.years and reread.kind == frame.kind
        return reread if same and measure(reread) else frame

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

    def _look_up(self, side: Side, frame: QuestionFrame, passages: list[Passage],
                 doc_ids: list[str] | None) -> Answer | None:
        """The side's figure from a table row or sentence of its passages, else of its documents (within
        the user's document filter `doc_ids`)."""
        docs = [d for d in lookup_docs(side, self.reader.profile) if doc_ids is None or d in doc_ids]
        term = measure(frame)
        extra = self.retriever.stored.naming(docs, naming_words(term)) if term else []
        return lookup_answer(side, frame, passages, self.reader.profile, extra)

    def _fall_back(self, answer: Answer, frame: QuestionFrame, doc_ids: list[str] | None) -> None:
        """A number question the model refused or whose answer was withheld: a table row or sentence of the
        place's documents that states the measure for the year asked answers it instead."""
        if not answer.refused or frame.kind != "fact" or not re.search(r"多少|几|多[大长高远重]", frame.question) \
                or frame.unknown or frame.mentioned:
            return
        place, years = self.reader.profile.most_specific(frame.places), frame.years  # '已经…' read as of the base year
        if not place or len(years) != 1:  # whose figure, or for which year, is not said
            return
        side = Side(place, with_years(frame.question, years), self.reader.profile.docs_of(place) or None, place)
        found = self._look_up(side, frame, answer.passages, doc_ids)
        if found is None or found.refused:
            return
        answer.text, answer.passages, answer.citations, answer.claims = found.text, found.passages, found.citations, found.claims
        answer.refused, answer.looked_up = False, True
        answer.calculation = found.calculation
        how = "由文档原文的数字计算得出" if found.calculation else "直接取自文档原文（表格行或原句）"
        answer.reason = f"{answer.reason}模型未给出可用的答案，以上数字{how}。"

    def _with_place_chunks(self, passages: list[Passage], frame: QuestionFrame, doc_ids: list[str] | None,
                           given: bool, words: list[str]) -> list[Passage]:
        """The passages, then the chunks of the asked places' documents that name one of `words`."""
        docs = [d for p in frame.places for d in self.reader.profile.docs_of(p) if doc_ids is None or d in doc_ids]
        if not docs or given:
            return list(passages)
        seen = {p.chunk.chunk_id for p in passages}
        return list(passages) + [p for p in self.retriever.stored.naming(docs, words) if p.chunk.chunk_id not in seen]

    def _over_list(self, answer: Answer, frame: QuestionFrame, doc_ids: list[str] | None, given: bool) -> bool:
        """A sum, or the highest, over a list the documents name by its parts ('“4+3”制造业…营收加起来'): the
        members read from the sentence naming the list, each member's figure from its own sentence for the
        year asked, the arithmetic done here; False when any of it is missing."""
        glossed = [full for short, full in GLOSSARY.items() if short in frame.question]  # '营收' for 营业收入
        named, term = summed_list(frame.question), measure(frame) or next(iter(glossed), "")
        if named is None or not term or len(frame.years) != 1 or not (frame.kind == "sum" or superlative(frame.question)):
            return False
        parts, phrase = named
        pool = self._with_place_chunks(answer.passages, frame, doc_ids, given,
                                       ["+".join(map(str, parts)), *measure_forms(term)])
        listed = members(parts, phrase, pool)
        found = member_figures(listed.items, term, frame.years[0], pool) if listed else []
        got = over_members(listed.items, found, listed, term, frame.years[0], frame.question, pool) if listed else None
        if got is None:
            return False
        answer.text, answer.calculation, answer.passages = got
        answer.looked_up, answer.reason = True, "名单和各项数字直接取自文档原文，计算由程序完成。"
        attach_citations(answer)
        return True

    def _every_place(self, answer: Answer, frame: QuestionFrame, doc_ids: list[str] | None, given: bool) -> bool:
        """A number question naming no place over a corpus of several places ('2020年地区生产总值是多少？'):
        each place's figure read in code from its own documents, one line each, cited; places whose
        documents state none are named in the reason. False when no place's figure is found."""
        if given or frame.places or frame.mentioned or frame.unknown or frame.kind != "fact" \
                or not re.search(r"多少|几", frame.question) or not measure(frame):
            return False  # (given passages: a benchmark's, with no corpus of places behind them)
        places = self.reader.profile.places
        if len(places) < 2:
            return False
        results = []
        for place in places:
            side = Side(place, f"{place}{frame.question}", self.reader.profile.docs_of(place) or None, place)
            found = self._look_up(side, frame, [], doc_ids)
            if found is not None and not found.refused:
                results.append(SideResult(side, found))
        if not results:
            return False
        answer.text, answer.passages, _ = compose(frame, results)
        left = [p for p in places if p not in {r.side.place for r in results}]
        answer.reason = "问题没有指明地区，以上是文档中各地区的数字（直接取自原文）" + (f"；{'、'.join(left)}的文档没有给出。" if left else "。")
        answer.looked_up = True
        attach_citations(answer)
        return True

    def _listed(self, answer: Answer, frame: QuestionFrame, doc_ids: list[str] | None, given: bool) -> bool:
        """A list the documents name by its count ('哪四大主导产业'): its items read from the clause that
        enumerates it, in the passages, else in the asked place's documents; False when none matches."""
        asked = asked_list(frame.question)
        if asked is None:
            return False
        pool = self._with_place_chunks(answer.passages, frame, doc_ids, given, [asked.head])
        found = find_list(asked, frame.question, pool)
        if found is None:
            return False
        if found.passage > len(answer.passages):  # from the place's documents: shown after the retrieved ones
            answer.passages, found.passage = answer.passages + [pool[found.passage - 1]], len(answer.passages) + 1
        answer.text, answer.looked_up = list_text(asked, found), True
        answer.reason = "以上条目直接取自文档列举该名称的原句。"
        attach_citations(answer)
        return True

    def _decompose(self, answer: Answer, frame: QuestionFrame, doc_ids: list[str] | None, timings: dict[str, float],
                   started: float) -> Iterator[Event]:
        """One sub-question per side, each from its own documents; the figures compared in code."""
        results = []
        for number, side in enumerate(plan(frame, self.reader.profile)):
            answer.sub_questions.append(side.question)
            for item in self._sub_answer(side.question, doc_ids, side.doc_ids, timings, started,
                                         ("\n" if number else "") + f"{side.label}：", side, frame):
                if isinstance(item, Answer):
                    results.append(SideResult(side, item))
                    pick_figure(results[-1], frame)
                else:
                    yield item
        answer.text, answer.passages, answer.calculation = compose(frame, results)
        answer.reason = missing_figures(frame, results)
        if all(r.answer.refused for r in results):
            answer.text, answer.reason = REFUSAL, "；".join(f"{r.side.label}：{r.answer.reason or '未找到'}" for r in results)
        answer.question = with_years(frame.question, frame.years)
        attach_citations(answer).question = frame.question

    def _calculate(self, answer: Answer, frame: QuestionFrame, timings: dict[str, float], started: float) -> Iterator[Event]:
        """A calculation within one answer ('出口比进口多多少'): the model is asked for the figures, the
        arithmetic is done here on the ones its passages state."""
        asked = Answer(question=figures_question(frame), text="", passages=answer.passages)
        yield from self._generate(asked, timings, started)
        answer.text, answer.passages, answer.sub_questions = asked.text, asked.passages, [asked.question]
        answer.calculation = calculate_from_answer(frame, asked) if not asked.refused else ""
        if answer.calculation:
            answer.text = f"{answer.text.rstrip()}\n{answer.calculation}"
            yield Event("token", text="\n" + answer.calculation)
        attach_citations(answer)

    def _correct(self, answer: Answer, correction: Correction, doc_ids: list[str] | None, timings: dict[str, float],
                 started: float) -> Iterator[Event]:
        """A false premise: the correction with its citation, then what the documents say instead."""
        answer.reason = correction.text or correction.note
        answer.text, answer.passages = correction.text, list(correction.passages)
        if correction.text:
            yield Event("token", text=correction.text)
        if correction.question:
            scope = self.scoped.scope(self.reader.read(correction.question))
            for item in self._sub_answer(correction.question, doc_ids, scope, timings, started, "\n"):
                if isinstance(item, Answer):
                    if not item.refused or not answer.text:
                        offset = len(answer.passages)
                        answer.text = f"{answer.text}\n{renumber(item.text, offset)}".strip()
                        answer.passages += item.passages
                else:
                    yield item
        # the correction states the years and figures it read from the question ('已经' -> 2020, '千亿' -> 1000)
        asked = answer.question
        answer.question = with_years(magnitudes(asked), sorted(years_in(correction.text)))
        attach_citations(answer).question = asked

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
        verdict = check_answerable(frame, reader.profile, passages, tokens)
        chunks = [p.chunk for p in passages] if given else self.retriever.stored.chunks
        correction = check_premise(frame, reader.profile, chunks, passages) if verdict.answerable else None
        parts = [] if not self.settings.answer_parts or frame.kind in ARITHMETIC or (frame.decomposed and not given) \
            else split_parts(asked)
        if len(parts) >= 2 and correction is None:
            yield from self._generate_parts(answer, parts, reader, timings, started)
        elif not verdict.answerable:
            answer.text, answer.refused, answer.reason = f"{REFUSAL}。{verdict.reason}", True, verdict.reason
        elif correction is not None:
            yield from self._correct(answer, correction, doc_ids, timings, started)
        elif frame.decomposed and not given:
            yield from self._decompose(answer, frame, doc_ids, timings, started)
        elif self._over_list(answer, frame, doc_ids, given) or self._listed(answer, frame, doc_ids, given) \
                or self._every_place(answer, frame, doc_ids, given):
            timings.setdefault("first_token", time.perf_counter() - started)
            yield Event("token", text=answer.text)
        elif frame.kind in CALCULATED:
            yield from self._calculate(answer, frame, timings, started)
        else:
            yield from self._generate(answer, timings, started, hint=rewritten)
            measured = as_of(self._in_documents_words(frame, rewritten), reader.profile)
            self._bound(answer, measured)
            complete_list(answer)
            if not given:  # a benchmark's passages are all there is to read
                self._fall_back(answer, measured, doc_ids)
        timings["total"] = time.perf_counter() - started
        answer.timings = timings
        yield Event("answer", answer=answer)

    def ask(self, question: str, doc_ids: list[str] | None = None, passages: list[Passage] | None = None) -> Answer:
        for event in self.stream(question, doc_ids, passages):
            if event.kind == "answer" and event.answer is not None:
                return event.answer
        raise AssertionError("stream ended without an answer")

"""The model's answer from the retrieved passages, streamed, then checked: citations repaired, an answer
bound to another year, place or measure than the question's withheld, and a refused number question
answered from the figure index's record of the place's figure instead."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from rag.answering.asked import Asked
from rag.answering.figure import side_figure
from rag.citations import attach_citations
from rag.grounding.binding import cited_elsewhere, no_figure, says_nothing, unbound, unnamed, without_empty_sentences
from rag.grounding.citation_repair import repair_citations
from rag.grounding.decomposition import Side, with_years
from rag.grounding.figures import as_of
from rag.grounding.list_completion import complete_list
from rag.grounding.question import QuestionFrame, expand, measure
from rag.prompting import REFUSAL, build_messages
from rag.types import Answer, Event, Passage
from rag.vocabulary import AMOUNT_ASKED, alternation

_AMOUNT = alternation(AMOUNT_ASKED) + r"|多[大长高远重]"  # '多少', '几', '多大'…: a figure is asked


def fit(pipe, question: str, passages: list[Passage], chars: int | None = None) -> tuple[list[dict[str, str]], list[Passage]]:
    """Drop the weakest passages until the prompt leaves room for the answer in the context window;
    `chars`: each passage's trim budget, if not passage_chars."""
    settings = pipe.settings
    count = getattr(pipe.generator, "count_tokens", None)
    context = getattr(pipe.generator, "context_size", None) or settings.n_ctx  # a server's own, if it says
    budget = context - settings.max_new_tokens
    shape = (settings.passage_chars if chars is None else chars, settings.heading_levels)
    messages = build_messages(question, passages, *shape)
    while count and len(passages) > 1 and sum(count(m["content"]) + 8 for m in messages) > budget:
        passages = passages[:-1]
        messages = build_messages(question, passages, *shape)
    return messages, passages


def generate(q: Asked, answer: Answer, label: str = "", hint: str = "", chars: int | None = None) -> Iterator[Event]:
    """The model's answer to answer.question from answer.passages, streamed, then checked in place;
    `hint`: the question in the documents' words, shown to the model beside it."""
    if not answer.passages:
        answer.text = REFUSAL
    else:
        prompt_started = time.perf_counter()
        asked = expand(answer.question) + (f"（即：{hint}）" if hint else "")
        messages, answer.passages = fit(q.pipe, asked, answer.passages, chars)
        q.timings.setdefault("prompt", time.perf_counter() - prompt_started)
        settings, pieces = q.pipe.settings, []
        for piece in q.pipe.generator.stream(messages, settings.max_new_tokens, settings.temperature):
            if not pieces and label:
                yield Event("token", text=label)
            q.first_token()
            pieces.append(piece)
            yield Event("token", text=piece)
        answer.text = repair_citations(without_empty_sentences(answer.question, "".join(pieces)), answer.passages,
                                       answer.question)
    attach_citations(answer)


def bound(answer: Answer, frame: QuestionFrame) -> None:
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


def sub_answer(q: Asked, question: str, scope: list[str] | None, label: str, side: Side | None = None,
               frame: QuestionFrame | None = None) -> Iterator[Event | Answer]:
    """One side's answer: from the figure index's record of its figure for the year, else from the model."""
    passages = q.pipe.scoped.search(question, q.doc_ids, scope)
    sub = side_figure(q, side, frame, passages) if side and frame else None
    if sub is not None:
        q.first_token()
        yield Event("token", text=label + sub.text)
    else:
        sub = Answer(question=question, text="", passages=passages)
        yield from generate(q, sub, label)
    yield sub


def _in_documents_words(q: Asked) -> QuestionFrame:
    """A question in everyday words is checked against the measure its rewrite names in the documents'
    words, when the rewrite keeps its places and years (the rewrite is the model's guess: one that drops
    the place or names no measure is not relied on)."""
    if not q.rewritten or measure(q.frame):
        return q.frame
    reread = q.reader.read(q.rewritten)
    same = reread.places == q.frame.places and reread.years == q.frame.years and reread.kind == q.frame.kind
    return reread if same and measure(reread) else q.frame


def _fall_back(q: Asked, frame: QuestionFrame) -> None:
    """A number question the model refused or whose answer was withheld: the figure index's record of the
    measure for the place and year asked answers it instead."""
    answer = q.answer
    if not answer.refused or frame.kind != "fact" or not re.search(_AMOUNT, frame.question) \
            or frame.unknown or frame.mentioned:
        return
    profile = q.pipe.reader.profile
    place, years = profile.most_specific(frame.places), frame.years  # '已经…' read as of the base year
    if not place or len(years) != 1:  # whose figure, or for which year, is not said
        return
    side = Side(place, with_years(frame.question, years), profile.docs_of(place) or None, place)
    found = side_figure(q, side, frame, answer.passages)
    if found is None or found.refused:
        return
    answer.text, answer.passages, answer.citations, answer.claims = found.text, found.passages, found.citations, found.claims
    answer.refused, answer.looked_up = False, True
    answer.calculation = found.calculation
    how = "由文档原文的数字计算得出" if found.calculation else "直接取自文档原文（表格行或原句）"
    answer.reason = f"{answer.reason}模型未给出可用的答案，以上数字{how}。"


class ModelAnswer:
    """The last route: the model answers from the passages; the answer is checked, and a refused number
    question is looked up in code."""

    name = "model"

    def applies(self, q: Asked) -> bool:
        return True

    def answer(self, q: Asked) -> Iterator[Event]:
        yield from generate(q, q.answer, hint=q.rewritten)
        measured = as_of(_in_documents_words(q), q.reader.profile)
        bound(q.answer, measured)
        complete_list(q.answer)
        if not q.given:  # a benchmark's passages are all there is to read
            _fall_back(q, measured)

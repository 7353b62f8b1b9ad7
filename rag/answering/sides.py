"""Answers built around the question's own claims and sides: a refusal before the model, a false premise
corrected, a comparison answered side by side, a calculation done in code on the model's figures."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rag.answering.asked import Asked, said
from rag.answering.model import generate, sub_answer
from rag.answering.parts import from_records
from rag.citations import attach_citations
from rag.grounding.decomposition import (Side, SideResult, calculate_from_answer, compose, figures_question,
                                         missing_figures, pick_figure, plan, renumber, with_years)
from rag.grounding.parts import split_parts
from rag.grounding.profile import years_in
from rag.grounding.question import QuestionFrame, asks_figure, magnitudes
from rag.prompting import REFUSAL
from rag.types import Answer, Event
from rag.vocabulary import RANK_QUESTION_WORDS

CALCULATED = {"difference", "ratio", "sum"}  # computed within one answer when there are no sides to split into
_THAN = re.compile("比(?![重例率较])")  # 'A比B多': not '比重', '比例'


class Refusal:
    """The documents cannot answer (a place, year or measured thing they never name): said before the
    model is asked, with the reason."""

    name = "refusal"

    def applies(self, q: Asked) -> bool:
        return not q.verdict.answerable

    def answer(self, q: Asked) -> Iterator[Event]:
        reason = q.verdict.reason
        q.answer.text, q.answer.refused, q.answer.reason = f"{REFUSAL}。{reason}", True, reason
        yield from ()


class Correction:
    """A false premise: the correction with its citation, then what the documents say instead."""

    name = "correction"

    def applies(self, q: Asked) -> bool:
        return q.correction is not None

    def answer(self, q: Asked) -> Iterator[Event]:
        answer, correction = q.answer, q.correction
        answer.reason = correction.text or correction.note
        answer.text, answer.passages = correction.text, list(correction.passages)
        if correction.text:
            yield Event("token", text=correction.text)
        if correction.question:
            frame = q.pipe.reader.read(correction.question)
            profile = q.pipe.reader.profile
            place = profile.most_specific(frame.places)
            figure = frame.kind == "fact" and asks_figure(frame.question) \
                and not any(w in frame.question for w in RANK_QUESTION_WORDS)
            side = Side(place, correction.question, profile.docs_of(place) or None, place) if place and figure else None
            scope = q.pipe.scoped.scope(frame)
            for item in sub_answer(q, correction.question, scope, "\n", side, frame if side else None):
                if not isinstance(item, Answer):
                    yield item
                    continue
                item.text = correction.without_denied(item.text)
                if item.text and (not item.refused or not answer.text):
                    answer.text = f"{answer.text}\n{renumber(item.text, len(answer.passages))}".strip()
                    answer.passages += item.passages
        # the correction states the years and figures it read from the question ('已经' -> 2020, '千亿' -> 1000)
        asked = answer.question
        answer.question = with_years(magnitudes(asked), sorted(years_in(correction.text)))
        attach_citations(answer).question = asked


class SideBySide:
    """A comparison or calculation over several places or years: one sub-question per side, each from its
    own documents; the figures compared in code."""

    name = "sides"

    def applies(self, q: Asked) -> bool:
        return q.frame.decomposed and not q.given

    def answer(self, q: Asked) -> Iterator[Event]:
        answer, frame, results = q.answer, q.frame, []
        for number, side in enumerate(plan(frame, q.pipe.reader.profile)):
            answer.sub_questions.append(side.question)
            label = ("\n" if number else "") + f"{side.label}："
            for item in sub_answer(q, side.question, side.doc_ids, label, side, frame):
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


def operands(frame: QuestionFrame) -> list[str]:
    """The figures a calculation within one answer works on, each asked as a question of its own: 'A比B多
    多少' and 'A和B相差多少' ask A and B ('A是B的几倍' too); [] when the question names no two things."""
    stem = figures_question(frame).rsplit("，", 1)[0]
    at = stem.rfind("是") if frame.kind == "ratio" else max((m.start() for m in _THAN.finditer(stem)), default=-1)
    if at >= 0:
        stem = f"{stem[:at]}和{stem[at + 1:]}"
    return split_parts(f"{stem}各是多少？")


def _from_records(q: Asked) -> str:
    """The calculation on its operands' records ('出口…158亿元', '进口…37亿元'), each cited, with the
    arithmetic shown; '' when an operand has no record the index agrees on."""
    parts = operands(q.frame)
    found = [from_records(q, part, q.reader.read(part)) for part in parts]
    if len(found) < 2 or not all(found):
        return ""
    text = "\n".join(f.text for f in found)
    calculation = calculate_from_answer(q.frame, Answer(question=q.frame.question, text=text, passages=q.answer.passages))
    if calculation:
        q.answer.text, q.answer.calculation, q.answer.looked_up = f"{text}\n{calculation}", calculation, True
        q.answer.sub_questions = parts
    return calculation


class Calculation:
    """A calculation within one answer ('出口比进口多多少'): its operands from the figure index, else the
    model is asked for the figures; the arithmetic is done here on the ones the passages state."""

    name = "calculation"

    def applies(self, q: Asked) -> bool:
        return q.frame.kind in CALCULATED

    def answer(self, q: Asked) -> Iterator[Event]:
        answer = q.answer
        if not q.given and _from_records(q):
            yield from said(q)
            return
        asked = Answer(question=figures_question(q.frame), text="", passages=answer.passages)
        yield from generate(q, asked)
        answer.text, answer.passages, answer.sub_questions = asked.text, asked.passages, [asked.question]
        answer.calculation = calculate_from_answer(q.frame, asked) if not asked.refused else ""
        if answer.calculation:
            answer.text = f"{answer.text.rstrip()}\n{answer.calculation}"
            yield Event("token", text="\n" + answer.calculation)
        attach_citations(answer)

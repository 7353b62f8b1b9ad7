"""Figures computed in code from figures stated elsewhere, each input cited: a value per unit ('平均每个
项目完成投资多少') from the total and the count one sentence of the figure index states together, a value per
head ('人均…') from the total and the resident population of its year, a year's change from the levels of
that year and the year before ('去年…增加了多少'), and the change between two figures the question itself
gives ('由60亿元增加到80亿元，增长百分之几'). Each gives way when its inputs are not there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from difflib import SequenceMatcher

from rag.answering.asked import Asked, said
from rag.answering.figure import agreed, candidates, cited_first, first, sentence_of
from rag.facts import Figure
from rag.grounding import arithmetic
from rag.grounding.question import asks_figure, magnitudes, measure
from rag.numbers import find_quantities
from rag.types import Event, Passage
from rag.vocabulary import (AMOUNT_ASKED, DECLINE_WORDS, INCREASE_WORDS, MAGNITUDES, PER_HEAD, PER_UNIT_WORDS,
                            PERCENT_ASKED, POPULATION,
                            split_unit, unit_pattern)

_UNIT_AT = re.compile(rf"个?({unit_pattern()})")


def _asked_unit(question: str) -> str:
    """The unit the answer is asked in: '多少亿元' -> '亿元', '几个人' -> '人'."""
    for word in AMOUNT_ASKED:
        at = question.find(word)
        m = _UNIT_AT.match(question, at + len(word)) if at >= 0 else None
        if m:
            return m.group(1)
    return ""


def _counter(question: str) -> str:
    """What one unit is counted in: '平均每个' -> '个', '每户' -> '户'."""
    for word in sorted(PER_UNIT_WORDS, key=len, reverse=True):
        at = question.find(word)
        if at >= 0 and at + len(word) < len(question):
            return question[at + len(word)]
    return ""


def _dividing_unit(total: Figure, count: Figure) -> str:
    """The unit in which the written numbers of 'total ÷ count' divide directly, when the question asks in
    none ('人均地区生产总值是多少'): 亿元 over 万人 is 万元 per head; '' when the magnitudes leave no unit
    word (岁 over 万人)."""
    (total_scale, base), count_scale = split_unit(total.unit), split_unit(count.unit)[0]
    scale = total_scale / count_scale
    word = next((w for w, m in MAGNITUDES.items() if abs(m - scale) < 1e-9 * scale), "" if scale == 1 else None)
    return "" if word is None or not base else word + base


def _named(question: str, figure: Figure) -> int:
    """How much of the figure's measure the question names (the longest stretch both write)."""
    measure = figure.measure or figure.canonical
    return SequenceMatcher(None, question, measure, autojunk=False).find_longest_match().size


def _shown(value: float, unit: str) -> str:
    return f"{arithmetic.fmt(value, 1 if abs(value) >= 1 else 2)}{unit}"


class PerUnit:
    """'平均每个/每户…多少': the total divided by the count one sentence states with it, for the place asked."""

    name = "per_unit"

    def applies(self, q: Asked) -> bool:
        question = q.frame.question
        return not q.given and len(q.frame.places) == 1 and "平均" in question and bool(_counter(question)) \
            and bool(_asked_unit(question))

    def answer(self, q: Asked) -> Iterator[Event]:
        question, profile = q.frame.question, q.pipe.reader.profile
        counter, asked = _counter(question), _asked_unit(question)
        docs = set(profile.docs_of(q.frame.places[0]))
        figures = [f for f in q.pipe.evidence.figures.figures if f.doc_id in docs
                   and (not q.frame.years or f.year in q.frame.years)]
        pairs = [(count, total) for count in figures if split_unit(count.unit)[1] == counter
                 for total in figures if total.sentence == count.sentence and total is not count
                 and split_unit(total.unit)[1] == split_unit(asked)[1]]
        pairs = [p for p in pairs if _named(question, p[0]) >= 2 and _named(question, p[1]) >= 2]
        if not pairs:
            return False
        count, total = max(pairs, key=lambda p: _named(question, p[0]) + _named(question, p[1]))
        return (yield from _quotient(q, total, count, f"平均每{counter}", asked))


def _quotient(q: Asked, total: Figure, count: Figure, each: str, asked: str) -> Iterator[Event]:
    """The answer 'total ÷ count' in the asked unit, both records cited (one passage when one sentence
    states both); gives way when the written numbers' quotient is not the value in the asked unit."""
    if count.value == 0:
        return False
    value = total.value * split_unit(total.unit)[0] / (count.value * split_unit(count.unit)[0]) / split_unit(asked)[0]
    written = arithmetic.ratio(arithmetic.fmt(total.value, 4), arithmetic.fmt(count.value, 4))
    if written is None or abs(written[0] - value) > 1e-9 * max(abs(value), 1):
        return False  # magnitudes that do not cancel ('亿元' per '人'): not shown as a checkable sum
    cited = cited_first(q, total, q.answer.passages)
    other = [] if count.chunk_id == total.chunk_id else (cited_first(q, count, []) or [])[:1]
    if cited is None or (count.chunk_id != total.chunk_id and not other):
        return False
    q.answer.passages = cited[:1] + other + [p for p in cited[1:] if not other or p.chunk.chunk_id != count.chunk_id]
    n = 2 if other else 1
    q.answer.text = (f"{total.measure}{total.text}[1]，{count.measure}{count.text}[{n}]，{each}约"
                     f"{_shown(value, asked)}（{written[1]}）。")
    q.answer.calculation = written[1]
    q.answer.looked_up = True
    q.answer.reason = "结果由程序用文档原文的总量和数量计算得出。"
    yield from said(q)


class PerHead:
    """'人均…多少' that no record states: the measure's total for the year divided by the resident
    population of that year, both from the figure index."""

    name = "per_head"

    def applies(self, q: Asked) -> bool:
        question = q.frame.question
        return not q.given and len(q.frame.places) == 1 and PER_HEAD in question and bool(measure(q.frame))

    def answer(self, q: Asked) -> Iterator[Event]:
        term = measure(q.frame).replace(PER_HEAD, "")
        total = agreed(candidates(q, term, rate=False, rank=False)) if term else None
        if total is None or not total.year:
            return False
        people = agreed(candidates(q, POPULATION, [total.year], rate=False, rank=False))
        if people is None:
            return False
        asked = _asked_unit(q.frame.question) or _dividing_unit(total, people)  # '人均…是多少' asks no unit
        return (yield from _quotient(q, total, people, PER_HEAD, asked)) if asked else False


class YearChange:
    """How much a level changed in one year ('…去年增加了多少'): the records of that year's level and the
    year before's (a report's '由上年X增加到Y' states both), the difference computed here, both cited. After
    the figure route: a change the documents state ('增长5%') is theirs to give."""

    name = "year_change"

    def applies(self, q: Asked) -> bool:
        frame = q.frame
        return not q.given and frame.kind in ("difference", "fact") and len(frame.years) == 1 and len(frame.places) <= 1 \
            and not frame.given and bool(measure(frame)) and asks_figure(frame.question) \
            and any(w in frame.question for w in INCREASE_WORDS + DECLINE_WORDS)

    def answer(self, q: Asked) -> Iterator[Event]:
        year, term = q.frame.years[0], measure(q.frame)
        now, before = (agreed(candidates(q, term, [y], rate=False, rank=False)) for y in (year, year - 1))
        if now is None or before is None or split_unit(now.unit)[1] != split_unit(before.unit)[1]:
            return False
        scale = split_unit(before.unit)[0] / split_unit(now.unit)[0]  # both in the later figure's unit
        later, earlier = arithmetic.fmt(now.value, 4), arithmetic.fmt(before.value * scale, 4)
        falling = now.value < before.value * scale
        got = arithmetic.difference(*((earlier, later) if falling else (later, earlier)))  # shown as a positive
        cited = cited_first(q, before, [])
        other = cited_first(q, now, []) if cited else None
        if got is None or not cited or not other:
            return False
        value, shown = got
        same = other[0].chunk.chunk_id == cited[0].chunk.chunk_id
        passages = cited[:1] + ([] if same else other[:1])
        # each year as its passage writes it: '由上年729万人增加到732万人' names neither year
        earlier_said, later_said = sentence_of(before, cited[0].chunk.text), sentence_of(now, other[0].chunk.text)
        verb = "减少" if falling else "增加"
        q.answer.passages = first(passages, q.answer.passages)
        change = f"{verb}{arithmetic.fmt(abs(value), 4)}{now.unit}（{shown}）"
        if same and not earlier_said[:4].isdigit() and not later_said[:4].isdigit():  # one sentence naming neither year
            q.answer.text = f"{before.measure}由{before.text}{verb}到{now.text}[1]，{change}[1]。"
        else:
            q.answer.text = f"{earlier_said}[1]，{later_said}[{1 if same else 2}]，{change}[1]{'' if same else '[2]'}。"
        q.answer.calculation, q.answer.looked_up = shown, True
        q.answer.reason = "两个年份的数字取自文档原文，变化由程序计算得出。"
        yield from said(q)


class GivenChange:
    """The change between the two figures the question gives ('从4万元涨到5万元'), in per cent when it
    asks '百分之多少', else as a difference; a record stating either figure for the place is cited."""

    name = "given_change"

    def applies(self, q: Asked) -> bool:
        text = q.frame.question
        return not q.given and len(q.frame.given) == 2 and any(w in text for w in INCREASE_WORDS + DECLINE_WORDS) \
            and q.frame.given[0][1] == q.frame.given[1][1] and asks_figure(text) and q.frame.kind != "why"

    def answer(self, q: Asked) -> Iterator[Event]:
        found = [x for x in find_quantities(magnitudes(q.frame.question)) if x.unit]
        if len(found) != 2 or found[0].unit != found[1].unit:
            return False
        old, new = (arithmetic.fmt(x.value, 4) for x in found)
        percent = any(w in q.frame.question for w in PERCENT_ASKED)
        got = arithmetic.growth(new, old) if percent else arithmetic.difference(new, old)
        if got is None:
            return False
        value, shown = got
        cited = self._sources(q, found)
        verb = "增长" if value >= 0 else "下降"
        amount = f"{arithmetic.fmt(abs(value), 1)}%" if percent else f"{arithmetic.fmt(abs(value), 4)}{found[0].unit}"
        source = "".join(f"[{i + 1}]" for i in range(len(cited))) or "（按问题所给的数字计算，文档中未找到这两个数字）"
        q.answer.passages = first(cited, q.answer.passages)
        q.answer.text = f"从{found[0].text}到{found[1].text}，{verb}约{amount}（{shown}）{source}。"
        q.answer.calculation = shown
        q.answer.reason = "变化由程序用问题中的两个数字计算得出。"
        yield from said(q)

    @staticmethod
    def _sources(q: Asked, found) -> list[Passage]:
        """The passages of the place's records stating the question's figures, one each, in order."""
        docs = {d for p in q.frame.places for d in q.pipe.reader.profile.docs_of(p)}
        out: list[Passage] = []
        for x in found:
            record = next((f for f in q.pipe.evidence.figures.figures if f.doc_id in docs and f.unit == x.unit
                           and abs(f.value - x.value) < 1e-9), None)
            passage = cited_first(q, record, [])[:1] if record else []
            if not passage or passage[0].chunk.chunk_id in {p.chunk.chunk_id for p in out}:
                return out if passage else []
            out += passage
        return out

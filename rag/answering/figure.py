"""A number question answered from the figure index: the records of the asked measure (matched by meaning),
place and year, read once at indexing time. It answers only when the best-matching records agree on one
value; otherwise it gives way to the model, whose answer is then checked."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rag.answering.asked import Asked, said
from rag.citations import attach_citations
from rag.facts import Figure, same_place
from rag.grounding.decomposition import Side, side_year, with_years
from rag.grounding.figures import as_of
from rag.grounding.profile import time_said
from rag.grounding.question import QuestionFrame, asks_figure, measure
from rag.types import Answer, Event, Passage
from rag.vocabulary import (AVERAGE_WORDS, BOUND_AFTER, COORDINATION, ITEM_NUMBER, RANK_QUESTION_WORDS, RATE_CUES,
                            RATE_SUFFIXES, TARGET_CUES, WEAK_TARGET_CUES, canonical_measure, split_unit)

# A measure phrase this close to the asked one states the asked measure (its wording, an abbreviation or a
# standard synonym); lower matches are left to the model. Chosen, not calibrated: checked only by the routes'
# right/taken counts on both dev sets (eval/baseline-report.md, session 15).
ANSWER_MATCH = 0.9
_CHANGES = {"rate", "change"}
CHANGE_FROM_LEVELS = {"difference", "growth", "ratio"}  # kinds whose sides are levels, whatever verb asks the change
SEVERAL = re.compile("|".join(COORDINATION))  # 'A和B', '分别', '各': more than one figure asked
_TARGET_WORDS = tuple(w for w in TARGET_CUES if len(w) >= 2)  # '目标', '预期', '力争'… not '要' or '到'


def _fits(figure: Figure, status: str, rate: bool, rank: bool, average: bool) -> bool:
    return (not status or figure.status == status) and (figure.role in _CHANGES) == rate \
        and (figure.role == "rank") == rank and figure.average == average


def candidates(q: Asked, term: str, years: list[int] | None = None, docs: set[str] | None = None,
               rate: bool | None = None, rank: bool | None = None, frame: QuestionFrame | None = None,
               status: str | None = None) -> list[Figure]:
    """Records of the measure in the asked place's documents (`docs`), for the year asked (`years`; by
    default the question's, '已经…' read as of the plan's base year), the status asked (a target when the
    question says so), as a level or a rate of change ('增长多少', '增速'), a rank, and a year's own figure
    or a yearly average over a span ('年均增长'); `frame`: the (sub-)question whose words say so, by default
    the question's; `status`: 'target', 'actual' or '' (any), by default as the question's words say."""
    profile, frame = q.pipe.reader.profile, frame or q.frame
    years = as_of(frame, profile).years if years is None else years
    place = "" if docs else profile.most_specific(frame.places)  # also stated of it in another's document
    docs = docs or (set(profile.docs_of(place)) if place else set(profile.docs))
    if q.doc_ids is not None:
        docs &= set(q.doc_ids)
        place = ""
    question = frame.question
    if status is None:
        status = "target" if any(w in question for w in _TARGET_WORDS) else ""
    rate = any(w in question for w in RATE_CUES) if rate is None else rate
    for word in AVERAGE_WORDS:  # '经济年均增速': the average is the record's mark, the measure '经济增速'
        term = term.replace(word, "")
    term = canonical_measure(term)
    stem = next((term[: -len(w)] for w in RATE_SUFFIXES if term.endswith(w) and len(term) > len(w) + 1), "")
    # '…增加值增速' is the rate of '…增加值': a rate record of the stem's measure, or a table row named so
    terms = [stem, term] if stem and rate else [term]
    rank = any(w in question for w in RANK_QUESTION_WORDS) if rank is None else rank
    average = any(w in question for w in AVERAGE_WORDS)
    found = [f for t in terms for f, s in q.pipe.evidence.figures.search(t, years=years or None, k=0)
             if (f.doc_id in docs or place and same_place(place, f.subject)) and _fits(f, status, rate, rank, average)
             and s >= ANSWER_MATCH]
    return list({id(f): f for f in found}.values())  # each record once, in the order found


def rounding(written: str) -> float:
    """Half a unit of the last digit a figure is written with ('5.3' -> 0.05, '40' -> 0.5)."""
    digits = re.search(r"\d+(?:\.(\d+))?", written)
    return 0.5 * 10 ** -len(digits.group(1) or "") if digits else 0.0


def agreed(found: list[Figure]) -> Figure | None:
    """The one figure all matching records state (the same value, unit and year), else None. A bound
    ('突破X万亿元') gives way to an exact figure, and a rounded figure to the precise one it rounds, of the same
    year ('迈上2万亿元台阶' and '达到20315亿元'; a prose '30%' and a table's '30.45%')."""
    exact = [f for f in found if not f.bound] or found
    if not exact:
        return None
    precise = max(exact, key=lambda f: len(re.sub(r"\D", "", f.text)))
    scale = split_unit(precise.unit)[0]
    if all(f.year == precise.year and split_unit(f.unit)[1] == split_unit(precise.unit)[1]
           and abs(f.value * split_unit(f.unit)[0] - precise.value * scale) <= rounding(f.text) * split_unit(f.unit)[0]
           for f in exact):
        return precise
    return None


def cited_first(q: Asked, figure: Figure, passages: list[Passage]) -> list[Passage] | None:
    """The passages with the figure's own chunk first (it is what [1] cites); None when the index no longer
    holds that chunk."""
    chunk = q.pipe.retriever.stored.chunks_by_id([figure.chunk_id])
    if not chunk:
        return None
    return [Passage(chunk[0], 1.0)] + [p for p in passages if p.chunk.chunk_id != figure.chunk_id]


def side_figure(q: Asked, side: Side, frame: QuestionFrame, passages: list[Passage]) -> Answer | None:
    """A comparison's or calculation's side answered from the figure index: its place's documents, its
    year, the question's measure; None when the records are missing or disagree."""
    year, term = side_year(side, frame), measure(frame)
    docs = set(side.doc_ids or q.pipe.reader.profile.docs_of(side.place))
    levels = frame.kind in CHANGE_FROM_LEVELS  # '提高了几个百分点': the change is computed from two levels
    earlier = len(frame.years) > 1 and year == min(frame.years)  # an earlier year asks what was, not a target
    target = "target" if any(w in side.question for w in _TARGET_WORDS) and not earlier else ""
    found = candidates(q, term, [year] if year else [], docs, False if levels else None, frame=frame,
                       status=target) if term and docs else []
    planned = any(w in side.question for w in TARGET_CUES + WEAK_TARGET_CUES)  # '要达到多少': not how things stand
    figure = agreed(found) or (None if year or planned else agreed(latest(found)))
    cited = cited_first(q, figure, passages) if figure else None
    if cited is None:
        return None
    answer = Answer(question=with_years(side.question, [figure.year] if figure.year else []),
                    text=f"{sentence_of(figure, cited[0].chunk.text)}[1]。", passages=cited, looked_up=True)
    attach_citations(answer).question = side.question
    return answer


def latest(found: list[Figure]) -> list[Figure]:
    """A question naming no year asks how things stand: the records of the latest year the documents
    state as reached (a plan's base-year figure, not its target)."""
    reached = [f for f in found if f.year and f.status in ("actual", "base")]
    last = max((f.year for f in reached), default=None)
    return [f for f in reached if f.year == last]


def stated(figure: Figure, passage: str) -> str:
    """What the documents say, with its citation [1] (the figure's passage comes first)."""
    sentence = figure.sentence.strip().rstrip("。；;，,")
    quote = "" if sentence.startswith("|") else f"原文：“{sentence}”[1]"
    return f"{sentence_of(figure, passage)}[1]。{quote}"


def dated(figure: Figure, passage: str) -> str:
    """The figure as `stated` writes it (no citation, no quote), always with its time: a correction or a
    comparison of two years says which year each figure is of, as its passage (with title and headings)
    places it (profile.time_said: '“十三五”末' when the passage names the period, not the year)."""
    said = sentence_of(figure, passage)
    return said if not figure.year or said.startswith(str(figure.year)) else time_said(figure.year, passage) + said


def _with_unit(text: str, unit: str) -> str:
    """A table cell's figure with the unit its header gives, before a bound word ('4.5以内' -> '4.5%以内')."""
    bound = next((w for w in sorted(BOUND_AFTER, key=len, reverse=True) if text.endswith(w)), "")
    return f"{text[: len(text) - len(bound)]}{unit}{bound}"


def sentence_of(figure: Figure, passage: str) -> str:
    """'2020年地区生产总值为300.5亿元' ('…增长6%', '…下降2%' for a rate): the figure as written, with the
    unit a table gives in its header; a year only when the passage writes it (a report's '过去一年' is not
    restated as a number it lacks)."""
    year = f"{figure.year}年" if figure.year and str(figure.year) in passage else ""
    if figure.average and figure.period:  # a yearly average is the plan period's, not its last year's
        year = f"“{figure.period}”时期"
    written = figure.text if figure.unit and figure.unit in figure.text else _with_unit(figure.text, figure.unit)
    verb = "为"
    if figure.role == "rank" and not written.startswith("第"):
        written = f"第{written}"  # '第12位'
    if figure.role in _CHANGES:
        verb, written = ("下降" if figure.value < 0 else "增长"), written.lstrip("-−")
        verb = "年均" + verb if figure.average else verb
    named = figure.measure if re.search(r"[\u4e00-\u9fff]", figure.measure) else figure.measure.upper()  # 'gdp' -> GDP
    if figure.role in _CHANGES:  # '…增长速度增长6%' says the rate twice
        named = next((named[: -len(w)] for w in RATE_SUFFIXES if named.endswith(w) and len(named) > len(w) + 1), named)
    return f"{year}{ITEM_NUMBER.sub('', named)}{verb}{written}"


class FigureRecord:
    """One place, one year (or the only year the documents give), one measure: the figure the documents
    state, quoted with its citation."""

    name = "figure"

    def applies(self, q: Asked) -> bool:
        frame = q.frame
        return not q.given and frame.kind == "fact" and asks_figure(frame.question) and len(frame.places) <= 1 \
            and not (frame.unknown or frame.mentioned or frame.given) and bool(measure(frame)) \
            and len(set(frame.metric_terms)) <= 1 and not SEVERAL.search(frame.question)

    def answer(self, q: Asked) -> Iterator[Event]:
        figure = agreed(candidates(q, measure(q.frame)))
        if figure is None:  # no record, or records that disagree (another year, role or part)
            return False  # the model reads the passages
        cited = cited_first(q, figure, q.answer.passages)
        if cited is None:
            return False
        q.answer.passages, q.answer.text = cited, stated(figure, cited[0].chunk.text)
        q.answer.looked_up = True
        q.answer.reason = "数字直接取自文档原文（索引时读出的数据）。"
        yield from said(q)

"""A number question answered from the figure index: the records of the asked measure (matched by meaning),
place and year, read once at indexing time. It answers only when the best-matching records agree on one
value; otherwise it gives way to the model, whose answer is then checked."""

from __future__ import annotations

from collections.abc import Iterator

from rag.answering.asked import Asked
from rag.answering.lookups import said
from rag.facts import Figure
from rag.grounding.figures import as_of
from rag.grounding.question import asks_figure, measure
from rag.types import Event, Passage
from rag.vocabulary import ITEM_NUMBER, RATE_CUES, TARGET_CUES

# A measure phrase this close to the asked one states the asked measure (its wording, an abbreviation or a
# standard synonym); lower matches are left to the model. Calibrated with grounding.evidence.MEASURE_MATCH.
ANSWER_MATCH = 0.9
_CHANGES = {"rate", "change"}
_TARGET_WORDS = tuple(w for w in TARGET_CUES if len(w) >= 2)  # '目标', '预期', '力争'… not '要' or '到'


def _fits(figure: Figure, status: str, rate: bool) -> bool:
    return (not status or figure.status == status) and (figure.role in _CHANGES) == rate


def candidates(q: Asked, term: str, rate: bool | None = None) -> list[tuple[Figure, float]]:
    """Records of the measure in the asked place's documents, for the year asked ('已经…' read as of the
    plan's base year), the status asked (a target when the question says so) and as a level or a rate of
    change ('增长多少', '增速'; `rate` decides when given)."""
    profile = q.pipe.reader.profile
    years = as_of(q.frame, profile).years
    docs = {d for p in q.frame.places for d in profile.docs_of(p)} or set(profile.docs)
    if q.doc_ids is not None:
        docs &= set(q.doc_ids)
    question = q.frame.question
    status = "target" if any(w in question for w in _TARGET_WORDS) else ""
    rate = any(w in question for w in RATE_CUES) if rate is None else rate
    return [(f, s) for f, s in q.pipe.evidence.figures.search(term, years=years or None, k=0)
            if f.doc_id in docs and _fits(f, status, rate) and s >= ANSWER_MATCH]


def stated(figure: Figure, passage: str) -> str:
    """What the documents say, with its citation [1] (the figure's passage comes first)."""
    sentence = figure.sentence.strip().rstrip("。；;，,")
    quote = "" if sentence.startswith("|") else f"原文：“{sentence}”[1]"
    return f"{_sentence(figure, passage)}[1]。{quote}"


def _sentence(figure: Figure, passage: str) -> str:
    """'2020年地区生产总值为300.5亿元': the figure as written, with the unit a table gives in its header; a
    year only when the passage writes it (a report's '过去一年' is not restated as a number it lacks)."""
    year = f"{figure.year}年" if figure.year and str(figure.year) in passage else ""
    written = figure.text if figure.unit and figure.unit in figure.text else f"{figure.text}{figure.unit}"
    return f"{year}{ITEM_NUMBER.sub('', figure.measure or figure.canonical)}为{written}"


class FigureRecord:
    """One place, one year (or the only year the documents give), one measure: the figure the documents
    state, quoted with its citation."""

    name = "figure"

    def applies(self, q: Asked) -> bool:
        frame = q.frame
        return not q.given and frame.kind == "fact" and asks_figure(frame.question) and len(frame.places) <= 1 \
            and not (frame.unknown or frame.mentioned or frame.given) and bool(measure(frame))

    def answer(self, q: Asked) -> Iterator[Event]:
        found = candidates(q, measure(q.frame))
        if not found:
            return False
        if len({(f.value, f.unit, f.year) for f, _ in found}) != 1:
            return False  # records disagree (another year, role or part): the model reads the passages
        figure = found[0][0]
        chunk = q.pipe.retriever.stored.chunks_by_id([figure.chunk_id])
        if not chunk:
            return False
        others = [p for p in q.answer.passages if p.chunk.chunk_id != figure.chunk_id]
        q.answer.passages = [Passage(chunk[0], 1.0)] + others
        q.answer.text = stated(figure, chunk[0].text)
        q.answer.looked_up = True
        q.answer.reason = "数字直接取自文档原文（索引时读出的数据）。"
        yield from said(q)

"""Answer paths as routes: each answerer says when it applies (`applies`) and answers (`answer`, a generator
of Events that fills in `Asked.answer`, or returns False to give way to the next). The pipeline walks
ROUTES in order; the first answerer that applies and does not give way answers. Adding a path is adding
a row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from rag.answering.asked import Asked
from rag.answering.computed import GivenChange, PerHead, PerUnit, YearChange
from rag.answering.figure import FigureRecord
from rag.answering.issued import IssuedOn
from rag.answering.lookups import EveryPlace, OverList
from rag.answering.model import ModelAnswer
from rag.answering.overview import NamedList, SectionItems
from rag.answering.parts import PartsAnswer
from rag.answering.sides import Calculation, Correction, Refusal, SideBySide
from rag.answering.verdict import StatedFigure, YesNoFigure, YesNoRecords
from rag.types import Event


class Answerer(Protocol):
    name: str

    def applies(self, q: Asked) -> bool: ...

    def answer(self, q: Asked) -> Iterator[Event]: ...


ROUTES: list[Answerer] = [
    PartsAnswer(),  # several things asked: each part checks its own answerability
    Refusal(),
    YesNoFigure(),  # a yes/no question stating a figure: 是/不是 decided in code from the figure index
    StatedFigure(),  # a figure the question presumes, contradicted by the figure index: corrected
    YesNoRecords(),  # a yes/no question stating no figure: whether the records give it, or how two years compare
    Correction(),
    IssuedOn(),  # when a document was issued, its number: read from its issue line
    PerUnit(),  # '平均每个…多少': total ÷ count, both from one sentence of the figure index
    GivenChange(),  # the change between two figures the question gives
    SideBySide(),
    OverList(),
    NamedList(),
    SectionItems(),  # an overview: every item of the section the question names
    FigureRecord(),  # one figure the documents state, read at indexing time
    YearChange(),  # '去年…增加了多少' no record states: that year's level less the year before's
    PerHead(),  # '人均…' no record states: the total over the resident population of its year
    EveryPlace(),
    Calculation(),
    ModelAnswer(),  # always applies
]


def route(q: Asked, routes: list[Answerer] = ROUTES) -> Iterator[Event]:
    """The first answerer that applies and does not give way answers q; its name is kept on the answer."""
    for answerer in routes:
        if answerer.applies(q) and (yield from answerer.answer(q)) is not False:
            q.answer.route = answerer.name
            return
    raise AssertionError("no answerer took the question")  # ModelAnswer always does


__all__ = ["Answerer", "Asked", "ROUTES", "route"]

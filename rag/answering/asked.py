"""What the pipeline knows of a question when it picks an answer path, handed to every answerer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rag.citations import attach_citations
from rag.grounding.answerability import Verdict
from rag.grounding.premise import Correction
from rag.grounding.question import QuestionFrame, QuestionReader
from rag.types import Answer, Event


@dataclass
class Asked:
    pipe: Any  # the QAPipeline (generator, settings, scoped search, reader, stored index); it sits above this package
    answer: Answer  # filled in by the answerer that takes the question
    frame: QuestionFrame
    reader: QuestionReader
    asked: str  # the question as understood (a place the user named by a document title is written in)
    rewritten: str  # the question in the documents' words, when it was put in everyday words ('' otherwise)
    doc_ids: list[str] | None  # the user's document filter
    given: bool  # the passages were given (a benchmark's), not retrieved: no corpus stands behind them
    verdict: Verdict
    correction: Correction | None
    parts: list[str]  # the things a question asking several things asks, one per part ([] otherwise)
    timings: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def first_token(self) -> None:
        self.timings.setdefault("first_token", time.perf_counter() - self.started)


def said(q: Asked) -> Iterator[Event]:
    """An answer written in code: its citations checked, then shown at once."""
    attach_citations(q.answer)
    q.first_token()
    yield Event("token", text=q.answer.text)

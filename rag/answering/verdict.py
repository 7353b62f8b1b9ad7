"""A yes/no question that states a figure ('…突破4000亿元了吗？', '…增速达到7%了吗？') is verified against the
figure index, never agreed to by default: the answer opens with 是 or 不是 and gives the documents' figure
with its citation. Without records of the measure it gives way (the model answers, its figures checked)."""

from __future__ import annotations

import operator
from collections.abc import Iterator

from rag.answering.asked import Asked, said
from rag.answering.figure import agreed, candidates, cited_first, stated
from rag.grounding.question import measure
from rag.numbers import find_quantities
from rag.types import Event
from rag.vocabulary import BOUND_BEFORE, split_unit

_HOLDS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
_REACHED = ("达到", "达", "实现", "完成", "到")  # '达到7%了吗': at least


def _claim(question: str):
    """The figure the question states and how it relates the truth to it ('突破' >=, '超过' >, '不到' <,
    '达到' >=; otherwise about equal)."""
    found = [q for q in find_quantities(question) if q.unit]
    if len(found) != 1:
        return None, ""
    claim = found[0]
    before = question[max(0, claim.start - 4): claim.start]
    relation = next((rel for word, rel in sorted(BOUND_BEFORE.items(), key=lambda w: -len(w[0])) if before.endswith(word)),
                    ">=" if before.endswith(_REACHED) else "~")
    return claim, relation


def _holds(actual: float, relation: str, claimed: float) -> bool:
    if relation in _HOLDS:
        return _HOLDS[relation](actual, claimed)
    return abs(actual - claimed) <= 0.005 * max(abs(claimed), 1e-9)


class YesNoFigure:
    """是/不是, decided in code from the documents' figure for the measure, place and year asked."""

    name = "verdict"

    def applies(self, q: Asked) -> bool:
        return not q.given and q.frame.kind == "yesno" and len(q.frame.places) <= 1 and bool(measure(q.frame))

    def answer(self, q: Asked) -> Iterator[Event]:
        claim, relation = _claim(q.frame.question)
        if claim is None:
            return False
        scale, base = split_unit(claim.unit)
        figure = agreed([f for f in candidates(q, measure(q.frame)) if split_unit(f.unit)[1] == base])
        if figure is None:
            return False
        cited = cited_first(q, figure, q.answer.passages)
        if cited is None:
            return False
        yes = _holds(figure.value * split_unit(figure.unit)[0], relation, claim.value * scale)
        q.answer.passages = cited
        q.answer.text = f"{'是' if yes else '不是'}，{stated(figure, cited[0].chunk.text)}"
        q.answer.looked_up = True
        q.answer.reason = "是否成立由程序比较问题中的数字与文档原文的数字得出。"
        yield from said(q)

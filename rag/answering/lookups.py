"""Answers read in code from the documents, no model: a sum or maximum over the members of a list named
by its parts' counts, and each place's figure when a number question names no place. Each gives way (returns False) when
what it reads is not there."""

from __future__ import annotations

from collections.abc import Iterator

from rag.answering.asked import Asked, said
from rag.answering.figure import agreed, side_figure
from rag.facts import Figure
from rag.grounding.decomposition import Side, SideResult, compose
from rag.grounding.listing import members, over_members, summed_list, superlative
from rag.grounding.question import GLOSSARY, measure
from rag.types import Event, Passage
from rag.vocabulary import AMOUNT_ASKED, canonical_measure


def _with_place_chunks(q: Asked, words: list[str]) -> list[Passage]:
    """The passages, then the chunks of the asked places' documents that name one of `words`."""
    profile, passages = q.pipe.reader.profile, q.answer.passages
    docs = [d for p in q.frame.places for d in profile.docs_of(p) if q.doc_ids is None or d in q.doc_ids]
    if not docs or q.given:
        return list(passages)
    seen = {p.chunk.chunk_id for p in passages}
    return list(passages) + [p for p in q.pipe.retriever.stored.naming(docs, words) if p.chunk.chunk_id not in seen]


def _member_figure(q: Asked, item: str, term: str, year: int) -> tuple[Figure | None, Passage | None]:
    """The figure index's one record of the member's measure for the year ('钓具产业实现营业收入超过28亿元'
    for 钓具 and 营业收入), in the asked places' documents, and its passage."""
    profile, standard = q.pipe.reader.profile, canonical_measure(term)
    docs = {d for p in q.frame.places for d in profile.docs_of(p)} or set(profile.docs)
    if q.doc_ids is not None:
        docs &= set(q.doc_ids)
    found = [f for f in q.pipe.evidence.figures.figures
             if f.year == year and f.doc_id in docs and item in f.measure and standard in f.canonical]
    figure = agreed(found)
    chunk = q.pipe.retriever.stored.chunks_by_id([figure.chunk_id]) if figure else []
    return (figure, Passage(chunk[0], 1.0)) if chunk else (None, None)


class OverList:
    """A sum, or the highest, over a list the documents name by its parts: the members read from the
    sentence naming the list, each member's figure from the figure index for the year asked, the
    arithmetic done here."""

    name = "list_figures"

    def applies(self, q: Asked) -> bool:
        frame = q.frame
        return len(frame.years) == 1 and (frame.kind == "sum" or superlative(frame.question)) \
            and summed_list(frame.question) is not None

    def answer(self, q: Asked) -> Iterator[Event]:
        frame = q.frame
        glossed = [full for short, full in GLOSSARY.items() if short in frame.question]  # '营收' for 营业收入
        term = measure(frame) or next(iter(glossed), "")
        if not term:
            return False
        parts, phrase = summed_list(frame.question)
        pool = _with_place_chunks(q, ["+".join(map(str, parts))])
        listed = members(parts, phrase, pool)
        found = [_member_figure(q, item, term, frame.years[0]) for item in listed.items] if listed else []
        got = over_members(listed.items, [f for f, _ in found], [p for _, p in found], pool[listed.passage - 1], term,
                           frame.years[0], frame.question) if listed else None
        if got is None:
            return False
        q.answer.text, q.answer.calculation, q.answer.passages = got
        q.answer.looked_up, q.answer.reason = True, "名单和各项数字直接取自文档原文，计算由程序完成。"
        yield from said(q)


class EveryPlace:
    """A number question naming no place over a corpus of several places: each place's figure read in
    code from its own documents, one line each, cited; places whose documents state none are named in
    the reason."""

    name = "every_place"

    def applies(self, q: Asked) -> bool:
        frame = q.frame  # (given passages: a benchmark's, with no corpus of places behind them)
        return not (q.given or frame.places or frame.mentioned or frame.unknown) and frame.kind == "fact" \
            and any(w in frame.question for w in AMOUNT_ASKED) and bool(measure(frame)) \
            and len(q.pipe.reader.profile.places) >= 2

    def answer(self, q: Asked) -> Iterator[Event]:
        profile, results = q.pipe.reader.profile, []
        for place in profile.places:
            side = Side(place, f"{place}{q.frame.question}", profile.docs_of(place) or None, place)
            found = side_figure(q, side, q.frame, [])
            if found is not None and not found.refused:
                results.append(SideResult(side, found))
        if not results:
            return False
        q.answer.text, q.answer.passages, _ = compose(q.frame, results)
        left = [p for p in profile.places if p not in {r.side.place for r in results}]
        q.answer.reason = "问题没有指明地区，以上是文档中各地区的数字（直接取自原文）" + (f"；{'、'.join(left)}的文档没有给出。" if left else "。")
        q.answer.looked_up = True
        yield from said(q)

"""A question asking several things: each part answered from the figure index when it asks one figure
the records agree on, else by the model over the same passages; the parts joined in one answer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from rag.answering.asked import Asked
from rag.answering.figure import side_figure
from rag.answering.model import bound, generate
from rag.citations import attach_citations
from rag.grounding.answerability import check_answerable
from rag.grounding.decomposition import Side
from rag.grounding.list_completion import complete_list
from rag.grounding.part_sources import PartCheck, check_part, cited_in_whole, part_keys
from rag.grounding.parts import check_shared, distinct, join_parts
from rag.grounding.question import QuestionFrame, asks_figure, measure
from rag.prompting import REFUSAL
from rag.types import Answer, Event, Passage
from rag.vocabulary import OPEN_LIST


def _answer_part(q: Asked, sub: Answer, frame: QuestionFrame, label: str = "") -> Iterator[Event]:
    """One part asked of the model (each passage trimmed for its part, the budget grown with the number
    of parts); its citations must name the numbers that set it apart (its year)."""
    yield from generate(q, sub, label, chars=q.pipe.settings.passage_chars * len(q.parts))
    question, sub.question = sub.question, distinct(sub.question, q.parts)
    bound(sub, frame)
    sub.question = question
    complete_list(sub)


def _own_sources(q: Asked, sub: Answer, check: PartCheck, passages: list[Passage], frame: QuestionFrame) -> Answer:
    """A part refused, or answered from passages that do not name its own word (女子 for 男子), asked
    again over the passages that do; said not found when that fails and it rested on a sibling's."""
    if check.passages:
        retry = Answer(question=sub.question, text="", passages=[passages[i] for i in check.passages])
        for _ in _answer_part(q, retry, frame):
            pass  # not streamed: its [n] count the passages asked over, renumbered below
        if not retry.refused:
            retry.text, retry.passages = cited_in_whole(retry.text, check.passages), passages
            return attach_citations(retry)
    if check.refuse and not sub.refused:
        sub.withheld, sub.refused, sub.reason, sub.claims = sub.text, True, check.reason, []
        sub.text = f"{REFUSAL}。{check.reason}"
    return sub


def from_records(q: Asked, part: str, frame: QuestionFrame) -> Answer | None:
    """A part asking one figure ('…森林覆盖率是多少'), of the question's place and year when
    it names none, answered from the figure index; its [n] count the question's passages (the record's
    passage is added to them when retrieval missed it). None when the records are missing or disagree."""
    if frame.kind not in ("fact", "each") or len(frame.years) > 1 or not asks_figure(part) or not measure(frame) \
            or any(w in q.frame.question for w in OPEN_LIST):  # '…A、B等创新平台': more is asked than the parts name
        return None
    profile, passages = q.reader.profile, q.answer.passages
    place = profile.most_specific(frame.places or q.frame.places)
    if not place:
        return None
    frame = replace(frame, places=[place], years=frame.years or q.frame.years)
    found = side_figure(q, Side(place, part, profile.docs_of(place) or None, place), frame, passages)
    if found is None:
        return None
    chunk_id = found.passages[0].chunk.chunk_id
    at = next((i for i, p in enumerate(passages) if p.chunk.chunk_id == chunk_id), None)
    if at is None:
        passages.append(found.passages[0])  # the parts share one list: earlier parts' numbers stay right
        at = len(passages) - 1
    return attach_citations(Answer(question=part, text=found.text.replace("[1]", f"[{at + 1}]"), passages=passages,
                                   looked_up=True))


class PartsAnswer:
    """A part the passages cannot answer says so, the others are still answered. A part's citations must
    name the numbers that set it apart (its year); those all parts share, the joined answer's."""

    name = "parts"

    def applies(self, q: Asked) -> bool:
        return len(q.parts) >= 2 and q.correction is None

    def answer(self, q: Asked) -> Iterator[Event]:
        answer, results, keys = q.answer, [], part_keys(q.parts)
        for number, part in enumerate(q.parts):
            frame, sub = q.reader.read(part), Answer(question=part, text="", passages=answer.passages)
            verdict = check_answerable(frame, q.reader.profile, answer.passages, q.reader.finder.tokens(part),
                                       None if q.given else q.pipe.evidence)
            found = from_records(q, part, frame) if verdict.answerable and not q.given else None
            if found is not None:
                sub = found
                q.first_token()
                yield Event("token", text=("\n" if number else "") + sub.text)
            elif verdict.answerable:
                yield from _answer_part(q, sub, frame, "\n" if number else "")
                check = check_part(sub.text, sub.refused, number, keys, answer.passages)
                sub = _own_sources(q, sub, check, answer.passages, frame)
            else:
                sub.text, sub.refused, sub.reason = f"{REFUSAL}。{verdict.reason}", True, verdict.reason
            results.append(sub)
        if not join_parts(answer, results).refused:
            check_shared(attach_citations(answer), q.parts)

"""Overview and list questions answered from the section index: the section the question names or
paraphrases (its heading, a list a sentence introduces, a named list), all of its items, each cited to the
chunk that holds it. No model: the items are the documents' own words."""

from __future__ import annotations

from collections.abc import Iterator

from rag.answering.asked import Asked
from rag.answering.lookups import said
from rag.grounding.question import asks_figure
from rag.sections import MATCH_THRESHOLD, overview_answer
from rag.types import Event, Passage

OVERVIEW_KINDS = {"fact", "list", "each"}  # not a comparison, calculation, yes/no or why


class SectionItems:
    """The matched section's items, when the question asks no figure and a section of the asked place's
    documents matches it above the calibrated threshold (else it gives way)."""

    name = "section"

    def applies(self, q: Asked) -> bool:
        return not q.given and q.frame.kind in OVERVIEW_KINDS and not asks_figure(q.frame.question)

    def answer(self, q: Asked) -> Iterator[Event]:
        profile = q.pipe.reader.profile
        docs = [d for p in q.frame.places for d in profile.docs_of(p)] or None
        if q.doc_ids is not None:
            docs = [d for d in (docs or q.doc_ids) if d in q.doc_ids]
        found = q.pipe.sections.match(q.asked, docs, k=1)
        if not found or found[0][1] < MATCH_THRESHOLD or len(found[0][0].items) < 2:
            return False
        section = found[0][0]
        text, cited = overview_answer(section, q.asked)
        chunks = q.pipe.retriever.stored.chunks_by_id(cited)
        if len(chunks) != len(cited):
            return False
        seen = set(cited)
        q.answer.passages = [Passage(c, 1.0) for c in chunks] + [p for p in q.answer.passages if p.chunk.chunk_id not in seen]
        q.answer.text, q.answer.looked_up = text, True
        q.answer.reason = f"以上条目直接取自文档“{section.title}”部分的列举。"
        yield from said(q)

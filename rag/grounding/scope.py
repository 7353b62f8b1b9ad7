"""Retrieval scoped to what the question is about: a question about a place is answered from that place's
documents, topped up by other documents' passages that name it (潍坊's plan on 高密), so another region's
figure never comes first; near-ties are broken by the years and plan periods the question names."""

from __future__ import annotations

import re

from rag.grounding.figures import context_years
from rag.grounding.profile import CorpusProfile
from rag.grounding.question import QuestionFrame, expand
from rag.retrieval import Retriever
from rag.types import Passage
from rag.vocabulary import PLAN_WORD, plan_ending

# ~0.003 is five ranks of one scorer in the fused score: a tie-breaker among near neighbours
YEAR_BONUS = 0.003


class ScopedRetriever:
    def __init__(self, retriever: Retriever, profile: CorpusProfile, top_k: int):
        self.retriever = retriever
        self.profile = profile
        self.top_k = top_k

    def scope(self, frame: QuestionFrame) -> list[str]:
        return [d for place in frame.places for d in self.profile.docs_of(place)]

    def search(self, question: str, doc_ids: list[str] | None = None, scope: list[str] | None = None,
               k: int | None = None) -> list[Passage]:
        """`doc_ids`: the user's filter; `scope`: the documents of the places asked about; `k`: how many
        (top_k unless said)."""
        k = k or self.top_k
        question, pool = expand(question), 2 * k
        if not scope:
            return self._rerank(question, self.retriever.search(question, pool, doc_ids=doc_ids), k)
        wanted = [d for d in scope if not doc_ids or d in doc_ids] or doc_ids
        inside = self.retriever.search(question, pool, doc_ids=wanted)
        ids = {p.chunk.chunk_id for p in inside}
        names = [a for a, place in self.profile.aliases.items() if set(self.profile.docs_of(place)) & set(scope)]
        outside = [p for p in self.retriever.search(question, pool, doc_ids=doc_ids)
                   if p.chunk.chunk_id not in ids and any(n in p.chunk.text for n in names)]
        return self._rerank(question, sorted(inside + outside, key=lambda p: -p.score), k)

    def _rerank(self, question: str, passages: list[Passage], k: int) -> list[Passage]:
        """The 2025 target and the 2020 base sit in neighbouring passages: the one the question names first."""
        marks = re.findall(r"(?:19|20)\d{2}|" + PLAN_WORD, question)
        marks += [plan_ending(int(m)) for m in marks if m.isdigit() and plan_ending(int(m))]  # 2020: 十三五 ends
        if not marks:
            return passages[:k]
        years = {int(m) for m in marks if m.isdigit()}
        # a passage under a looking-back heading speaks of the plan's base year without writing it
        bonus = {p.chunk.chunk_id: sum(m in p.chunk.text or m in p.chunk.heading_path for m in marks)
                 + bool(years & context_years(p.chunk)) for p in passages}
        return sorted(passages, key=lambda p: -(p.score + YEAR_BONUS * bonus[p.chunk.chunk_id]))[:k]

"""What the documents have, judged by meaning rather than by the question's words: the measures of the
figure index (a question's '研发经费投入强度' is the documents' '研发经费投入占地区生产总值比重', its
'城镇居民人均可支配收入' their '城镇和农村居民人均可支配收入分别…') and the headings of the section index. A
refusal before the model needs positive evidence of absence: no figure whose measure matches the asked
term above MEASURE_MATCH in the asked documents, and no section whose heading does."""

from __future__ import annotations

from dataclasses import dataclass

from rag.facts import FigureIndex
from rag.sections import MATCH_THRESHOLD, SectionIndex

# A measure phrase scoring this much against the asked term is the same measure (an abbreviation, a
# coordinated form, a standard synonym). Chosen, not yet calibrated on the dev sets (issue 23 asks for it).
MEASURE_MATCH = 0.7


@dataclass
class Evidence:
    figures: FigureIndex | None = None
    sections: SectionIndex | None = None

    def _measures(self, term: str, doc_ids: list[str] | None) -> list[tuple[str, float]]:
        """The documents' measures most like the term, best first (each named once)."""
        if self.figures is None:
            return []
        allowed = set(doc_ids) if doc_ids else None
        best: dict[str, float] = {}
        for figure, score in self.figures.search(term, k=0):
            if allowed is None or figure.doc_id in allowed:
                best.setdefault(figure.measure or figure.canonical, score)
        return sorted(best.items(), key=lambda item: -item[1])

    def has(self, term: str, doc_ids: list[str] | None) -> bool:
        """The documents state a figure of this measure, or have a section on it."""
        found = self._measures(term, doc_ids)
        if found and found[0][1] >= MEASURE_MATCH:
            return True
        sections = self.sections.match(term, doc_ids, k=1) if self.sections is not None else []
        return bool(sections) and sections[0][1] >= MATCH_THRESHOLD

    def years(self, doc_ids: list[str] | None) -> set[int]:
        """The years the documents' figures are of (all documents when `doc_ids` is None)."""
        if self.figures is None:
            return set()
        allowed = set(doc_ids) if doc_ids else None
        return {f.year for f in self.figures.figures if f.year and (allowed is None or f.doc_id in allowed)}

    def nearest(self, term: str, doc_ids: list[str] | None, k: int = 3) -> list[str]:
        """What the documents do have that comes closest, for the refusal's message."""
        return [name for name, _ in self._measures(term, doc_ids)[:k]]

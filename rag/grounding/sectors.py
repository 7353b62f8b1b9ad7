"""The three industries' shares as planning documents write them: one ratio, '三次产业比例由12.1:40.2:47.7调整为
2020年的9.8:35.4:54.8' (standard statistical terms: 服务业 is the third industry). A question asking one
industry's share ('服务业占比', '第二产业比重') is answered from that ratio."""

from __future__ import annotations

import re

from rag.grounding.figures import SENTENCE, context_years
from rag.grounding.profile import squash
from rag.types import Passage
from rag.vocabulary import INDUSTRY_STRUCTURE_WORDS, SECTORS

_SHARE_WORDS = ("占比", "比重", "比例", "结构", "占GDP", "占地区生产总值")
_TRIPLE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*[:：∶]\s*(\d+(?:\.\d+)?)\s*[:：∶]\s*(\d+(?:\.\d+)?)(?![\d.:：∶])")
_YEAR_BEFORE = re.compile(r"((?:19|20)\d{2})年[^，,。；;:：\d]{0,12}$")
FIVE_YEARS = 5  # a five-year plan's review: '由A调整为B' says where the period began


def sector(term: str) -> int | None:
    """Which of the three industries a share question asks for ('服务业占比' -> 2); None for any other."""
    if not any(w in term for w in _SHARE_WORDS):
        return None
    return next((i for i, words in enumerate(SECTORS) if any(w in term for w in words)), None)


def _structure_sentences(text: str) -> list[str]:
    """The sentences of a text that speak of the three industries' structure (a line broken inside a
    sentence joined again)."""
    joined = re.sub(r"(?<![。！？；;!?:：])\n", "", squash(text))
    return [s for s in SENTENCE.findall(joined) if any(w in s for w in INDUSTRY_STRUCTURE_WORDS)]


def shares_stated(term: str, text: str) -> bool:
    """The text gives an industry's share the way `term` asks for it: as the ratio of the three industries."""
    return sector(term) is not None and any(_TRIPLE.search(s) for s in _structure_sentences(text))


def _triples(sentence: str, context: set[int]) -> list[tuple[re.Match[str], set[int]]]:
    """Each 'a:b:c' of a sentence on the industrial structure with the years it is stated for: a year
    written just before it, else the section's; the 'from' side of '由A调整为B' five years before B."""
    found: list[tuple[re.Match[str], set[int]]] = []
    for m in _TRIPLE.finditer(sentence):
        year = _YEAR_BEFORE.search(sentence[: m.start()])
        found.append((m, {int(year.group(1))} if year else set(context)))
    for i, (m, _) in enumerate(found):
        if sentence[: m.start()].rstrip().endswith("由"):  # where it began: five years before where it went
            later = found[i + 1][1] if i + 1 < len(found) else set()
            found[i] = (m, {y - FIVE_YEARS for y in later})
    return found


def industry_ratio(passages: list[Passage], year: int,
                   own_docs: set[str] | None = None) -> tuple[tuple[str, ...], int] | None:
    """The documents' ratio of the three industries for `year` ('9.5', '32.6', '57.9') and its passage (1-based)."""
    for number, passage in enumerate(passages, start=1):
        if own_docs is not None and passage.chunk.doc_id not in own_docs:
            continue
        for sentence in _structure_sentences(passage.chunk.text):
            for m, years in _triples(sentence, context_years(passage.chunk)):
                if year in years:
                    return m.groups(), number
    return None

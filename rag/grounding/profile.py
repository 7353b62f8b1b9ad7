"""What the indexed corpus covers, derived from its chunks (never typed in): the place each document is
about, with the short forms people use (高密市/高密, 淄博高新技术产业开发区/淄博高新区/高新区), the places
above it (潍坊市 for 高密市), the years each document mentions (a plan period said to end by its last year),
and the indicator names of its tables and target sentences. An uploaded document is profiled the same way."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import jieba.posseg

from rag.conversation import PlaceFinder
from rag.facts import document_year
from rag.numbers import years_as_digits
from rag.vocabulary import (ADMIN_NAME, ADMIN_SUFFIXES, BRACKETED, PLAN_NAME, TABLE_MEASURE_HEADERS, TABLE_NON_MEASURES,
                             TABLE_RATE_HEADERS, ZONE_KINDS, ZONE_NAME, plan_ending, plan_number, plan_years,
                             short_place_forms)
from rag.types import Chunk, Document

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)(?=\s*(?:年|[-—–~至到]\s*(?:19|20)\d{2}))")
_RANGE_END = re.compile(r"(?<!\d)(?:19|20)\d{2}\s*(?:年)?\s*[-—–~至到]\s*((?:19|20)\d{2})(?!\d)")
_MEASURE_NAME = re.compile(r"[\u4e00-\u9fff]{4,16}")  # a figure record's measure usable as an indicator name
# table header and category cells, and the plan's column names, that are not indicators
_NOT_INDICATOR = {*TABLE_NON_MEASURES, *TABLE_MEASURE_HEADERS, *TABLE_RATE_HEADERS, "目标", "目标值", "基期", "基期值", "现状",
                  "现状值"}
_TARGET_VERB = re.compile(
    r"([\u4e00-\u9fffA-Za-z“”\"()（）]{2,18}?)\s*(?:达到|达|为|突破|超过|控制在|保持在|提高到|提升到|增长到|降低到|下降到|降至|增至)\s*\d"
)
_NAME_STARTS_AFTER = "，,、；;：:。的在和与及到年"  # a clause break or a particle: the name is what follows the last one


def normalize_years(text: str) -> str:
    """NFKC and '二〇三五年' -> '2035年', so years are found however they are written."""
    text = unicodedata.normalize("NFKC", text)
    return years_as_digits(text)


_NO_BLANKS = str.maketrans("", "", " \t\r\u3000")  # what squash deletes (line breaks stay: they end sentences)


def squash(text: str) -> str:
    """For presence checks: NFKC, years as digits, no whitespace (sources break lines and space figures)."""
    return normalize_years(text).translate(_NO_BLANKS)


def years_in(text: str) -> set[int]:
    """Explicit years (as '2025年', '2021-2025', '二〇三五年') and the end years of plan periods said to end
    ('“十三五”末', '十三五期间'): what a document gives figures for."""
    text = normalize_years(text)
    found = {int(y) for y in _YEAR.findall(text)} | {int(y) for y in _RANGE_END.findall(text)}
    for m in re.finditer(PLAN_NAME + r"\W{0,2}(?:末|期间|时期|以来)", text):
        found.add(plan_years(plan_number(m.group(1)))[1])
    return found


def time_said(year: int, text: str) -> str:
    """A year as an answer writes it beside a figure read from `text` (a passage with its title and
    headings): '2020年' when the text writes that year; else the plan period it ends ('“十三五”末'), as a
    plan's review of the period before it speaks of its figures; else the year. An answer then states no
    number its cited passage lacks, wherever the passage leaves its year to the plan period."""
    ending = plan_ending(year)
    return f"“{ending}”末" if ending and str(year) not in normalize_years(text) else f"{year}年"


_NAMED_YEAR = re.compile(r"(?<![\d.])(?:19|20)\d{2}(?=[\u4e00-\u9fffA-Za-z])(?!年)|(?<=[A-Za-z\-－])(?:19|20)\d{2}(?![\d年])")


def named_years(text: str) -> set[int]:
    """Years written as part of a name, without 年: '2022世界5G大会', '东方-2022', 'CVPR2022', '2035远景目标'."""
    return {int(y) for y in _NAMED_YEAR.findall(text)}


@dataclass
class DocProfile:
    doc_id: str
    title: str
    subject: str = ""  # the place the document is about ("" when its title names none)
    parents: list[str] = field(default_factory=list)  # places above it named in the title
    years: set[int] = field(default_factory=set)
    text: str = ""  # its title, headings and chunk texts, squashed: for presence checks
    year: int | None = None  # the year it was written in: what its '今年/去年' mean (None when it does not say)


def title_places(title: str, finder: PlaceFinder) -> tuple[str, list[str]]:
    """(subject, parents): the most specific place of the first run of places in the title."""
    head = normalize_years(title)
    zone = ZONE_NAME.search(head)
    spans = finder.places(head)
    chain: list[str] = []
    for span in spans:
        chain += [w for w, _ in finder.tokens(span.text) if len(w) >= 2]
    chain = [p for p in chain if (p.endswith(ADMIN_SUFFIXES) or p in finder.known) and p not in ADMIN_SUFFIXES] or [s.text for s in spans]
    if zone:
        parents = [p for p in chain if p != zone.group(0) and p not in zone.group(0)]
        return zone.group(0), parents + ([zone.group(1)] if zone.group(1) not in parents else [])
    if not chain:
        return "", []
    # the subject is the last of the first run of places: '(山东省)潍坊市高密市…' -> 高密市
    return chain[-1] if len(set(chain)) <= 3 else chain[0], [p for p in chain[:-1] if p != chain[-1]]


def table_indicators(text: str) -> set[str]:
    """Row names of the document's tables: text cells that are not categories repeated down a column."""
    cells: list[str] = []
    for line in text.splitlines():
        if line.lstrip().startswith("|") and not re.fullmatch(r"[\s|:-]+", line):
            cells += [BRACKETED.sub("", c).strip() for c in line.strip().strip("|").split("|")]
    counts = Counter(cells)
    return {c for c in cells if len(re.findall(r"[\u4e00-\u9fff]", c)) >= 3 and counts[c] <= 2
            and c not in _NOT_INDICATOR and not re.search(r"\d{4}", c)}


def target_indicators(text: str) -> set[str]:
    """What target sentences put a figure on: '…,特色小镇总数达到12个' -> 特色小镇总数."""
    found = set()
    for m in _TARGET_VERB.finditer(text):
        before = m.group(1)
        name = before[max(before.rfind(c) for c in _NAME_STARTS_AFTER) + 1:].strip("“”\"()（） ")
        if 3 <= len(name) <= 16:
            found.add(name)
    return found


@dataclass
class CorpusProfile:
    docs: dict[str, DocProfile]
    aliases: dict[str, str]  # every known name form -> the canonical place (a document subject)
    indicators: set[str]
    text: str  # the whole corpus, normalised, for "is this mentioned anywhere" checks
    measures: frozenset[str] = field(default=frozenset(), repr=False, compare=False)  # the figure index's
    _joined: dict[tuple[str, ...], str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def places(self) -> list[str]:
        """The places documents are about, in document order, without repeats."""
        return list(dict.fromkeys(d.subject for d in self.docs.values() if d.subject))

    def docs_of(self, place: str) -> list[str]:
        canonical = self.aliases.get(place, place)
        return [d.doc_id for d in self.docs.values() if d.subject == canonical]

    def text_of(self, doc_ids: Iterable[str]) -> str:
        """The documents' text joined (kept: several checks of one question read the same documents)."""
        key = tuple(doc_ids)
        if key not in self._joined:
            self._joined[key] = "\n".join(self.docs[d].text for d in key if d in self.docs)
        return self._joined[key]

    def written_in(self, doc_ids: Iterable[str] | None = None) -> int | None:
        """The year these documents (all, when None) were written in, when they agree on one."""
        years = {d.year for k, d in self.docs.items() if doc_ids is None or k in doc_ids}
        return years.pop() if len(years) == 1 and None not in years else None

    def years_of(self, doc_ids: Iterable[str]) -> set[int]:
        return set().union(*(self.docs[d].years for d in doc_ids if d in self.docs))

    def names_of(self, place: str) -> set[str]:
        """The place's names that identify it in any document ('高新区' alone could be any zone)."""
        canonical = self.aliases.get(place, place)
        return {a for a, c in self.aliases.items() if c == canonical and a not in ZONE_KINDS} | {canonical}

    def most_specific(self, places: list[str]) -> str:
        """高密, not 潍坊 whose plan speaks of it ('' when none)."""
        return next((p for p in places if not any(p in self.parents(o) for o in places)), "")

    def named_before(self, text: str, needle: str) -> str:
        """The place a (squashed) text's sentence names last before `needle` ('…、昌乐县宝石之都' -> 昌乐县):
        in the list item that holds it first, else anywhere before it in the sentence; '' when none is."""
        at = text.find(needle)
        start = max(text.rfind(mark, 0, at) for mark in "。；;！!？?\n") + 1
        item = max(text.rfind(mark, start, at) for mark in "、，,") + 1
        for span in (text[max(item, start):at], text[start:at]):
            named = [(span.rfind(name) + len(name), name) for name in self.aliases if name in span]
            position = 0
            for word in jieba.posseg.cut(span):
                position += len(word.word)
                if word.flag == "ns" and ADMIN_NAME.fullmatch(word.word):
                    named.append((position, word.word))
            if named:
                return max(named)[1]
        return ""

    def parents(self, place: str) -> set[str]:
        canonical = self.aliases.get(place, place)
        out: set[str] = set()
        for d in self.docs.values():
            if d.subject == canonical:
                for p in d.parents:
                    out |= short_place_forms(p)
        return out


def chunks_with(needle: str, chunks: Iterable[Chunk], profile: CorpusProfile) -> list[Chunk]:
    """The chunks stating `needle`, read only from documents whose profile text holds it (most questions'
    figures and phrases are in none: then no chunk is read)."""
    docs = {d for d, doc in profile.docs.items() if needle in doc.text}
    return [c for c in chunks if c.doc_id in docs and needle in squash(c.text)] if docs else []


def _opening(document: Document | None) -> str:
    """The lines under a document's title (a subtitle, the date line '在贵州省…会议上'): where a document
    whose title names no place says whose it is."""
    return "\n".join(document.text.splitlines()[:4]) if document is not None else ""


def build_profile(chunks: Iterable[Chunk], documents: Mapping[str, Document] | None = None,
                  measures: Iterable[str] = ()) -> CorpusProfile:
    """`documents` (the index's, when there is one): each document's own year and, when its title names
    no place, the place its opening lines name; `measures`: the measures the figure index read, which a
    question names as the documents do ('城镇新增就业')."""
    documents = documents or {}
    by_doc: dict[str, list[Chunk]] = defaultdict(list)
    for chunk in chunks:
        by_doc[chunk.doc_id].append(chunk)
    finder = PlaceFinder()
    docs: dict[str, DocProfile] = {}
    indicators: set[str] = set()
    for doc_id, parts in by_doc.items():
        title = parts[0].title
        text = normalize_years("\n".join([title] + [f"{c.heading_path}\n{c.text}" for c in parts]))
        document = documents.get(doc_id)
        subject, parents = title_places(title, finder)
        if not subject:
            subject, parents = title_places(_opening(document), finder)
        year = document_year(document) if document is not None else None
        docs[doc_id] = DocProfile(doc_id, title, subject, parents, years_in(text), squash(text), year)
        indicators |= table_indicators(text) | target_indicators(text)
    aliases: dict[str, str] = {}
    for d in docs.values():
        if d.subject:
            for form in sorted(short_place_forms(d.subject), key=len):
                aliases.setdefault(form, d.subject)
    indicators |= {m for m in measures if _MEASURE_NAME.fullmatch(m)}
    indicators = {i for i in indicators if i not in aliases and not (i.endswith(ADMIN_SUFFIXES) and len(i) <= 5)}
    corpus = "\n".join(d.text for d in docs.values())
    return CorpusProfile(docs, aliases, indicators, corpus, frozenset(measures))

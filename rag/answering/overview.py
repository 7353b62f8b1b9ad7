"""Overview and list questions answered from the section index: the section the question names or
paraphrases (its heading, a list a sentence introduces, a named list), all of its items, each cited to the
chunk that holds it. No model: the items are the documents' own words."""

from __future__ import annotations

import re
from collections.abc import Iterator

import jieba
import jieba.posseg

from rag.answering.asked import Asked, said
from rag.grounding.listing import asked_list
from rag.grounding.profile import squash
from rag.grounding.question import asks_figure
from rag.sections import MATCH_THRESHOLD, Section, SectionIndex, counted, overview_answer
from rag.types import Event, Passage
from rag.vocabulary import NOW_WORDS, ONE_THING, OVERVIEW_VERBS, OVERVIEW_WORDS, PLAN_WORD, RELATIVE_YEARS, SECTION_CONCEPTS

OVERVIEW_KINDS = {"fact", "list", "each"}  # not a comparison, calculation, yes/no or why
_CONCEPT_WORDS = {w for words in SECTION_CONCEPTS.values() for w in words}
_TIME = re.compile(r"(?:19|20)\d{2}年?|" + PLAN_WORD + r"|期间|时期|" + "|".join([*RELATIVE_YEARS, *NOW_WORDS]))


def _asks_overview(question: str, kind: str) -> bool:
    """A list ('哪些', '有什么'), an overview verb ('概括一下'), or what a section concept is ('…的定位是什么');
    not one thing ('哪一年', '哪个部门')."""
    if any(w in question for w in ONE_THING):
        return False
    concept = any(w in question for w in _CONCEPT_WORDS)
    return kind == "list" or any(v in question for v in OVERVIEW_VERBS) or concept and question.rstrip("？?。 ").endswith("什么")


def _topic_words(q: Asked) -> list[str]:
    """The noun phrases that say what the question is about: runs of nouns that are not its places, times,
    question words or the section concept it asks for ('婺源县在旅游方面面临哪些挑战' -> 旅游)."""
    places = set(q.reader.profile.aliases) | {n for p in q.frame.places for n in q.reader.profile.names_of(p)}
    text = _TIME.sub("，", squash(q.asked))
    for name in sorted(places, key=len, reverse=True):
        text = text.replace(name, "，")
    runs, run = [], ""
    for word in jieba.posseg.lcut(text) + [jieba.posseg.pair("。", "x")]:
        noun = (word.flag[:1] == "n" and word.flag != "ns" or word.flag in ("vn", "t", "b")) and word.word not in OVERVIEW_WORDS \
            and not any(c in word.word or word.word in c for c in _CONCEPT_WORDS)
        if noun:
            run += word.word
        elif run:
            runs, run = runs + [run], ""
    return [r for r in dict.fromkeys(runs) if len(r) >= 2]


def _in_order(phrase: str, text: str) -> bool:
    """The phrase's characters in order within twice its length: an abbreviation of the documents' name
    ('乡村振兴规划' in '乡村振兴战略规划'), not its last word alone ('夜间经济' is not in '…经济…')."""
    for start in (m.start() for m in re.finditer(re.escape(phrase[0]), text)):
        at = start
        for char in phrase[1:]:
            at = text.find(char, at + 1, start + 2 * len(phrase))
            if at < 0:
                break
        else:
            return True
    return False


def _covers(section: Section, title: str, words: list[str]) -> bool:
    """Every topic phrase of the question is in the document's title or the section's headings, opening
    or items."""
    text = squash(title + "".join(section.title_path) + section.lead + "".join(i.text for i in section.items))
    return all(_in_order(w, text) for w in words)


class SectionItems:
    """The matched section's items, when the question asks for a list or an overview, a section of the
    asked place's documents matches it above the calibrated threshold, and that section speaks of what the
    question is about (else it gives way)."""

    name = "section"

    def applies(self, q: Asked) -> bool:
        return not q.given and q.frame.kind in OVERVIEW_KINDS and not asks_figure(q.frame.question) \
            and _asks_overview(q.frame.question, q.frame.kind)

    def answer(self, q: Asked) -> Iterator[Event]:
        found = q.pipe.sections.match(q.asked, _asked_docs(q), k=1)
        if not found or found[0][1] < MATCH_THRESHOLD or len(found[0][0].items) < 2 \
                or not _covers(found[0][0], q.pipe.sections.titles.get(found[0][0].doc_id, ""), _topic_words(q)):
            return False
        asked = asked_list(q.frame.question)
        if asked and asked.count != sum(i.depth == 0 for i in found[0][0].items):
            return False  # a list asked by its count: one of another count is not it
        return (yield from answer_from(q, found[0][0]))


def answer_from(q: Asked, section: Section) -> Iterator[Event]:
    """The section's items as the answer, their chunks cited first (gives way if a chunk is gone)."""
    text, cited = overview_answer(section, q.asked)
    chunks = q.pipe.retriever.stored.chunks_by_id(cited)
    if len(chunks) != len(cited):
        return False
    seen = set(cited)
    q.answer.passages = [Passage(c, 1.0) for c in chunks] + [p for p in q.answer.passages if p.chunk.chunk_id not in seen]
    q.answer.text, q.answer.looked_up = text, True
    q.answer.reason = f"以上条目直接取自文档“{section.title}”部分的列举。"
    yield from said(q)


class NamedList:
    """A list the question names by its count ('哪三大新兴产业', '“2+2”主导产业'): the named section of the
    asked place's documents with that count and name, read at indexing time; where several have it (a
    plan's review and its targets), the one whose sentence shares most words with the question."""

    name = "named_list"

    def applies(self, q: Asked) -> bool:
        return asked_list(q.frame.question) is not None

    def answer(self, q: Asked) -> Iterator[Event]:
        section = named_section(q.pipe.sections, q.asked, _asked_docs(q))
        return False if section is None else (yield from answer_from(q, section))


def named_section(index: SectionIndex, question: str, docs: list[str] | None) -> Section | None:
    """The named section with the asked count and name; of several, the one whose sentence up to the name
    shares most characters with the question, then the best match."""
    asked = asked_list(question)
    if asked is None:
        return None
    named = [(s, score) for s, score in index.match(question, docs, k=len(index.sections))
             if s.kind == "named" and asked.head in s.title and counted(s.title) == asked.count]
    wanted = set(re.sub(r"[^\u4e00-\u9fff]", "", question))  # words, not marks
    up_to_name = lambda s: s.lead[: s.lead.find(s.title) + len(s.title)]  # noqa: E731
    return max(named, key=lambda found: (len(wanted & set(up_to_name(found[0]))), found[1]), default=(None,))[0]


def _asked_docs(q: Asked) -> list[str] | None:
    """The asked places' documents within the user's filter (None: every document)."""
    profile = q.pipe.reader.profile
    docs = [d for p in q.frame.places for d in profile.docs_of(p)] or None
    if q.doc_ids is not None:
        docs = [d for d in (docs or q.doc_ids) if d in q.doc_ids]
    return docs

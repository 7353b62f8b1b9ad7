"""When a document was issued and under which number, read from its own lines: the organ and date that
sign its notice ('潍坊市人民政府\\n2024年5月13日'), or its issue line ('2021年6月8日印发', '发布日期：…'), and
its document number ('平政发〔2021〕12号'), each cited. A notice's date is written once, in words no figure
record holds; the model reads a target year or a meeting's date for it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rag.answering.asked import Asked, said
from rag.answering.figure import first
from rag.types import Event, Passage
from rag.vocabulary import DATE_ASKED, DOCUMENT_NUMBER_WORDS, ISSUE_VERBS, ISSUERS, alternation

OPENING_CHUNKS = 6  # a notice, its signature and number come before the document's own text
_DATE = r"((?:19|20)\d{2})\s*[年\-./]\s*(\d{1,2})\s*[月\-./]\s*(\d{1,2})\s*日?"
# the organ signing the notice and its date, or a date of issue as a line or a label says it
_ISSUED = re.compile(rf"(?m)^\s*([\u4e00-\u9fff]{{2,24}}?(?:{alternation(ISSUERS)}))\s*{_DATE}"
                     rf"|{_DATE}\s*(?:{alternation(ISSUE_VERBS)})|(?:{alternation(ISSUE_VERBS)})日期\s*[:：]?\s*{_DATE}")
_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,8}[〔\[]\s*(?:19|20)\d{2}\s*[〕\]]\s*\d{1,4}\s*号")  # '平政发〔2021〕12号'


def asks_date(question: str) -> bool:
    """'…是哪天印发的', '…什么时候发布的'."""
    return any(w in question for w in DATE_ASKED) and any(w in question for w in ISSUE_VERBS)


def asks_number(question: str) -> bool:
    """'…的文号是什么'."""
    return any(w in question for w in DOCUMENT_NUMBER_WORDS)


def _first(passages: list[Passage], pattern: re.Pattern) -> tuple[Passage, re.Match] | None:
    return next(((p, m) for p in passages for m in [pattern.search(p.chunk.text)] if m), None)


def _said(found: re.Match) -> str:
    """'由潍坊市人民政府于2024年5月13日印发' (the organ when the signature names it)."""
    issuer, *date = found.groups()[:4] if found.group(1) else (None, *[g for g in found.groups()[4:] if g])
    by = f"由{issuer}" if issuer else ""
    return f"{by}于{date[0]}年{int(date[1])}月{int(date[2])}日印发"


class IssuedOn:
    """The one document the question's place has (or the corpus's only one) answers from its opening
    chunks, with the number beside the date (and the date beside the number) when they state it; gives way
    when they do not state what is asked."""

    name = "issued"

    def applies(self, q: Asked) -> bool:
        return not q.given and (asks_date(q.frame.question) or asks_number(q.frame.question)) and len(q.frame.places) <= 1

    def answer(self, q: Asked) -> Iterator[Event]:
        profile, stored = q.reader.profile, q.pipe.retriever.stored
        place = profile.most_specific(q.frame.places)
        docs = profile.docs_of(place) if place else list(profile.docs)
        if len(docs) != 1:
            return False  # which document is meant is not clear
        opening = [Passage(stored.chunks[int(row)], 1.0) for row in stored.rows_of(docs)[:OPENING_CHUNKS]]
        question = q.frame.question
        asked = [(asks_date(question), _first(opening, _ISSUED)), (asks_number(question), _first(opening, _NUMBER))]
        if any(wanted and not found for wanted, found in asked):
            return False  # what is asked is not on the document's opening lines
        cited: list[Passage] = []

        def mark(passage: Passage) -> str:
            if passage not in cited:
                cited.append(passage)
            return f"[{cited.index(passage) + 1}]"

        said_parts = []
        if asked[0][1]:
            passage, found = asked[0][1]
            # a signature says who and when; the notice it closes says that it issues the document
            notice = next((p for p in opening if any(w in p.chunk.text for w in ISSUE_VERBS)), None) if found.group(1) else None
            said_parts.append(_said(found) + "".join(dict.fromkeys(mark(p) for p in ([notice] if notice else []) + [passage])))
        if asked[1][1]:
            passage, found = asked[1][1]
            said_parts.append(f"文号为{''.join(found.group(0).split())}{mark(passage)}")
        q.answer.passages = first(cited, q.answer.passages)
        q.answer.text = f"《{cited[0].chunk.title}》" + "，".join(said_parts) + "。"
        q.answer.looked_up = True
        yield from said(q)

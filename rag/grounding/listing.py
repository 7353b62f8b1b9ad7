"""Lists named by a count ('四大主导产业', '“3+2+1”主导产业', '3个千亿级产业集群'): which one a question asks
for (its items are read at indexing time, rag/sections.py), and a figure for each member of a list named by
its parts' counts ('“4+3”制造业' -> a sum or the highest)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.facts import Figure
from rag.grounding import arithmetic
from rag.grounding.figures import SENTENCE
from rag.grounding.profile import squash
from rag.sections import items_before
from rag.types import Passage

_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}
_END = r"(?=具体|分别|都|是|指|包括|包含|有|[？?，,]|$)"
_SUM_NAMED = r"[“\"]?((?:\d+\+)+\d+)[”\"]?"  # '“3+2+1”': a list named by its parts' counts
_SUMMED = re.compile(_SUM_NAMED + r"([\u4e00-\u9fff]{2,10}?)" + _END)
_COUNTED = re.compile(r"(?<!第)([一二两三四五六七八九十]{1,2}|\d{1,2})(大|个|项|类|种|条|家)([\u4e00-\u9fff]{2,10}?)" + _END)


@dataclass
class AskedList:
    count: int
    head: str  # '主导产业'
    shown: str  # '四大主导产业'


@dataclass
class Listed:
    items: list[str]
    passage: int  # 1-based, in the passages read


def _number(text: str) -> int:
    """'4', '四', '十', '十二', '二十' -> the count."""
    if text.isdigit():
        return int(text)
    tens, _, units = text.rpartition("十")
    if "十" not in text:
        return _DIGITS[text]
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[units] if units else 0)


def asked_list(question: str) -> AskedList | None:
    """The counted list a question asks for: '哪四大主导产业', '三大新兴产业是什么', '“3+2+1”主导产业具体指哪些'."""
    text = squash(question)
    if not any(w in text for w in ("哪", "什么", "指", "包括", "包含", "分别")):
        return None
    summed = list(_SUMMED.finditer(text))
    if summed:
        m = summed[-1]
        count = sum(int(n) for n in m.group(1).split("+"))
        return AskedList(count, m.group(2), f"“{m.group(1)}”{m.group(2)}")
    counted = [m for m in _COUNTED.finditer(text)]
    if not counted:
        return None
    m = counted[-1]
    count = _number(m.group(1))
    if count < 2:  # '一条高铁': one thing, not a list
        return None
    return AskedList(count, m.group(3), m.group(0))


# ---------------------------------------------------------------- a figure for each member of a list

_PART = re.compile(r"(\d{1,2}|[一二两三四五六七八九十]{1,2})(?:大|个|项|类|种)([\u4e00-\u9fff]{2,10}?)(?=[，,、；;。]|$)")
_HIGHEST = re.compile(r"哪(?:个|一个|家|项|类)[^？?]*最(高|多|大|低|少|小)")


def summed_list(question: str) -> tuple[list[int], re.Pattern[str]] | None:
    """A list the question names by its parts' counts ('“4+3”制造业'): the counts and how it is written."""
    m = re.search(_SUM_NAMED, squash(question))
    if not m:
        return None
    return [int(n) for n in m.group(1).split("+")], re.compile(rf"[“\"]?{re.escape(m.group(1))}[”\"]?")


def members(parts: list[int], phrase: re.Pattern[str], passages: list[Passage]) -> Listed | None:
    """The members of a list named by its parts' counts, from the sentence that names it: the enumerations
    of each part before its name ('新材料、…4个战略性新兴产业，提升改造纺织服装、食品加工、钓具3个传统特色产业，
    持续做大做强“4+3”制造业产业集群'), in order."""
    for number, passage in enumerate(passages, start=1):
        for sentence in SENTENCE.findall(squash(passage.chunk.text).replace("\n", "")):
            for m in phrase.finditer(sentence):
                found = [p for p in _PART.finditer(sentence[: m.start()])][-len(parts):]
                if [_number(p.group(1)) for p in found] != parts:
                    continue
                items = [items_before(sentence, p.start(), n) for p, n in zip(found, parts)]
                if all(items):
                    return Listed([i for group in items for i in group], number)
    return None


def superlative(question: str) -> str:
    """'最高' / '最低' when the question asks which member is highest or lowest ('' otherwise)."""
    m = _HIGHEST.search(squash(question))
    return "" if not m else "最高" if m.group(1) in "高多大" else "最低"


def over_members(items: list[str], figures: list[Figure | None], sources: list[Passage | None], listed: Passage,
                 term: str, year: int, question: str) -> tuple[str, str, list[Passage]] | None:
    """(text, calculation, cited passages) for a sum or the highest/lowest over the members' figures (each
    read from the figure index, `sources` their passages; `listed` the passage naming the list), each figure
    cited; None unless every member has one, in one unit."""
    if not all(figures) or not all(sources) or len({f.unit for f in figures}) != 1:
        return None
    used = list({p.chunk.chunk_id: p for p in [listed, *sources]}.values())
    cite = {p.chunk.chunk_id: i for i, p in enumerate(used, start=1)}
    marks = [f"[{cite[p.chunk.chunk_id]}]" for p in sources]
    lines = [f"{item}{f.text}{mark}" for item, f, mark in zip(items, figures, marks)]
    head = f"所列各项（名单见[{cite[listed.chunk.chunk_id]}]）{year}年的{term}：" + "；".join(lines) + "。"
    most = superlative(question)
    if most:
        pick = (max if most == "最高" else min)(range(len(items)), key=lambda i: figures[i].value)
        return f"{head}\n{most}的是{items[pick]}，{figures[pick].text}{marks[pick]}。", "", used
    value, shown = arithmetic.total([arithmetic.fmt(f.value) for f in figures])
    calculation = f"合计{arithmetic.fmt(value)}{figures[0].unit}（{shown}）{''.join(dict.fromkeys(marks))}。"
    return f"{head}\n{calculation}", calculation, used

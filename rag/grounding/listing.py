"""A list the documents name by its count ('四大主导产业', '“3+2+1”主导产业', '3个千亿级产业集群'): when a
question asks for one, the clause that enumerates it is read in code, so the answer gives exactly the items
the documents list, with their citation, not a neighbouring list the model picked (the 十三五 review's 四大主导
产业 for the 十四五 plan's). A count that does not match the items found is no answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

import jieba.posseg

from rag.grounding.profile import squash
from rag.types import Passage

_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}
_END = r"(?=具体|分别|都|是|指|包括|包含|有|[？?，,]|$)"
_SUMMED = re.compile(r"[“\"]?((?:\d+\+)+\d+)[”\"]?([\u4e00-\u9fff]{2,10}?)" + _END)
_COUNTED = re.compile(r"([一二两三四五六七八九十]{1,2}|\d{1,2})(大|个|项|类|种|条|家)([\u4e00-\u9fff]{2,10}?)" + _END)
_ITEM_SPLIT = re.compile(r"、|及|以及|和")
_CLAUSE_END = "，,。；;：:\n"


@dataclass
class AskedList:
    count: int
    phrase: re.Pattern[str]  # how the documents name the list: '(四|4)大主导产业', '“?3\+2\+1”?主导产业'
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
    if not re.search(r"哪|什么|指|包括|包含|分别", text):
        return None
    summed = list(_SUMMED.finditer(text))
    if summed:
        m = summed[-1]
        count = sum(int(n) for n in m.group(1).split("+"))
        phrase = re.compile(rf"[“\"]?{re.escape(m.group(1))}[”\"]?{re.escape(m.group(2))}")
        return AskedList(count, phrase, m.group(2), f"“{m.group(1)}”{m.group(2)}")
    counted = [m for m in _COUNTED.finditer(text)]
    if not counted:
        return None
    m = counted[-1]
    count = _number(m.group(1))
    numerals = "|".join(dict.fromkeys([m.group(1), str(count), "两" if count == 2 else m.group(1)]))
    phrase = re.compile(rf"(?:{numerals}){m.group(2)}{re.escape(m.group(3))}")
    return AskedList(count, phrase, m.group(3), m.group(0))


def _strip_verbs(item: str) -> str:
    """'优化提升智能家电' -> '智能家电': the verbs that open an enumeration are not part of its first item."""
    words = list(jieba.posseg.cut(item))
    last = max((i for i, w in enumerate(words[:-1]) if w.flag in ("v", "vn", "d", "p", "ad")), default=-1)
    if 0 <= last < len(words) - 2 and words[last + 1].flag == "a" and len(words[last + 1].word) > 1:
        last += 1  # '培育壮大新能源': 壮大 is tagged as an adjective
    return "".join(w.word for w in words[last + 1:]) or item


def _unquoted(item: str) -> str:
    """Quote marks around the whole item go ('“双碳”绿能' keeps its own)."""
    return item[1:-1] if item[:1] in "“\"" and item[-1:] in "”\"" and item.count("“") == 1 else item


def items_before(sentence: str, start: int, count: int) -> list[str]:
    """The items enumerated right before the list's name ('…智能家电、高端化工、食品饮料、高端装备四大主导产业'):
    exactly `count` of them, or none."""
    clause_start = max(sentence.rfind(c, 0, start) for c in _CLAUSE_END) + 1
    clause = re.sub(r"等$", "", sentence[clause_start:start])
    items = [_unquoted(i.strip()) for i in _ITEM_SPLIT.split(clause)]
    if len(items) != count or not all(items):
        return []
    return [_strip_verbs(items[0])] + items[1:]


def find_list(asked: AskedList, question: str, passages: list[Passage]) -> Listed | None:
    """The enumeration of the asked list in the passages; where several give one (a plan's review and its
    targets), the sentence sharing most words with the question."""
    best, best_score = None, -1
    wanted = set(re.sub(r"[^\u4e00-\u9fff]", "", question))
    for number, passage in enumerate(passages, start=1):
        for sentence in re.split(r"[。；;\n]", squash(passage.chunk.text).replace("\n", "")):
            for m in asked.phrase.finditer(sentence):
                items = items_before(sentence, m.start(), asked.count)
                score = len(wanted & set(sentence[:m.end()]))
                if items and score > best_score:
                    best, best_score = Listed(items, number), score
    return best


def list_text(asked: AskedList, found: Listed) -> str:
    return f"{asked.shown}是{'、'.join(found.items)}[{found.passage}]。"

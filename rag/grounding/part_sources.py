"""Which passages a part of a split question may rest on. The parts of 「女子和男子单人滑金牌得主分别是谁」
differ by a few words (女子/男子, 台北/高雄, 英特尔/英伟达, 2022/2023): what one part says and its siblings do
not. A 1.5B model asked 「男子单人滑金牌得主是谁」 over passages about both often answers with the name from
the 女子 passage, so the joined answer prints one fact twice. A part's answer must cite a passage that names
its own word: one that cites only passages naming a sibling's word, or none of the parts' words while other
passages name its own, is asked again over the passages naming its own word, or said not found when none
does. A part the model refused is asked again the same way when only some passages name its word.

Read from the parts' wording alone: the own word is what is left of a part when the text all parts share at
its start and end is cut; no word is taken when that is an asked thing (时间, 导演, 是什么) rather than a name."""

from __future__ import annotations

import os
import re
import string
from dataclasses import dataclass, field

import jieba

from rag.citations import cited_numbers
from rag.grounding.figures import CITATION_MARK
from rag.grounding.parts import ATTRIBUTES, asks
from rag.types import Passage

_ALNUM = set(string.digits + string.ascii_letters + ".")  # what a number or a Latin word is written with


@dataclass
class PartCheck:
    """What to do with a part's answer: keep it, ask again over `passages` (0-based indices into the
    passages read), or say the part is not found (`refuse`, with `reason`)."""

    passages: list[int] = field(default_factory=list)
    refuse: bool = False  # the answer rests on a sibling's passage: not kept even if asking again fails
    reason: str = ""  # why the part is unanswered, if it ends so


def part_keys(parts: list[str]) -> list[str]:
    """Each part's own word, or [] when some part has none (its parts then differ in what is asked, not in
    what it is asked about: 「发布时间」/「处理器」)."""
    if len(parts) < 2:
        return []
    head = len(os.path.commonprefix(parts))
    tail = len(os.path.commonprefix([p[::-1] for p in parts]))
    keys = [_own_word(p, head, max(len(p) - tail, head)) for p in parts]
    return keys if all(keys) and len(set(keys)) == len(keys) else []


def _own_word(part: str, start: int, end: int) -> str:
    """part[start:end] widened to whole numbers and Latin words ('2' -> 'EMNLP2022') and, when one
    character, to the word it sits in ('女' -> '女子'); '' when it asks rather than names."""
    while start > 0 and part[start - 1] in _ALNUM and (start == end or part[start] in _ALNUM):
        start -= 1
    while end < len(part) and part[end] in _ALNUM and (start == end or part[end - 1] in _ALNUM):
        end += 1
    if end - start == 1:
        at = 0
        for token in jieba.lcut(part):
            if at <= start < at + len(token):
                start, end = at, max(end, at + len(token))
            at += len(token)
    word = part[start:end].strip("的是在为")
    if not word or asks(word) or word.endswith(ATTRIBUTES) or len(word) > 10:
        return ""
    return word


def _squash(text: str) -> str:
    return re.sub(r"[\s\-－_·・]", "", text).lower()


def carrying(key: str, passages: list[Passage]) -> list[int]:
    """0-based indices of the passages that name the key (spacing, hyphens and case aside: 'GPT-4')."""
    key = _squash(key)
    return [i for i, p in enumerate(passages) if key in _squash(p.chunk.text)]


def check_part(text: str, refused: bool, number: int, keys: list[str], passages: list[Passage]) -> PartCheck:
    """The check of part `number`'s answer `text` (refused or not) against the parts' own words."""
    if not keys:
        return PartCheck()
    own = carrying(keys[number], passages)
    siblings = {i for n, k in enumerate(keys) if n != number for i in carrying(k, passages)}
    cited = [n - 1 for n in cited_numbers(text) if 1 <= n <= len(passages)]
    key = keys[number]
    if refused:
        return PartCheck(own, reason=f"讲到“{key}”的资料没有给出答案。") if 0 < len(own) < len(passages) else PartCheck()
    if not cited or any(i in own for i in cited):
        return PartCheck()
    wrong = any(i in siblings for i in cited)
    reason = f"所引资料说的不是“{key}”，讲到“{key}”的资料没有给出答案。" if own else f"资料中没有讲到“{key}”的内容。"
    return PartCheck(own, refuse=wrong, reason=reason) if own or wrong else PartCheck()


def cited_in_whole(text: str, chosen: list[int]) -> str:
    """Citations of an answer written over passages[chosen] turned into numbers of the whole list."""
    return CITATION_MARK.sub(lambda m: f"[{chosen[int(m.group(1)) - 1] + 1}]" if 1 <= int(m.group(1)) <= len(chosen)
                             else "", text)

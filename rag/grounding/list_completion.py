"""A list answer cut short: asked 「《摇滚狂花》的主演有哪些」, a 1.5B model names two of the three members a
passage enumerates (「姚晨、常远主演」), or the two of one passage and not the third another passage adds. When
the answer names members of an enumeration that stands right beside the asked role (主演, 对手, 重点产业) in
a passage, the members it left out are added in code with that passage's citation.

Only enumerations next to the role word the question asks for count, so a list is never grown with the
items of another role listed beside it (「导演李骏，主演姚晨、常远」 adds no director to the actors), and
only when the question asks for several (哪些, 有谁, 名单) or the answer already names two of one list."""

from __future__ import annotations

import re

import jieba
import jieba.posseg

from rag.citations import attach_citations, cited_numbers
from rag.grounding.figures import CHINESE, CITATION_MARK
from rag.sections import split_items
from rag.types import Answer, Passage

_PLURAL = ("哪些", "有谁", "都有谁", "都是谁", "名单", "分别", "几个", "几位", "几家")
_ASKING = {"什么", "哪些", "哪个", "谁", "是", "有", "的", "为", "包括", "都", "分别", "呢", "吗", "了", "被"}
_CLAUSE = "，,。；;！!？?（）()\n"
_BEFORE_ROLE = r"(?:等|领衔|联袂|共同|担任|出任)?"  # '张丰毅、王媛可领衔主演'
_AFTER_ROLE = r"(?:有|是|为|包括|分别是|分别为)?[：:]?"  # '主演：吴京、李雪健', '同组对手有'
_NAME_FLAGS = ("nr", "ns", "nt", "nz", "eng")
_ITEM = re.compile(r"[\u4e00-\u9fffA-Za-z0-9·]{2,12}")  # a member: a name or a term ('新一代信息技术'), not a clause


def asked_role(question: str) -> str:
    """The role the question asks the members of: its last content word outside a title ('主演' in
    「《心居》的主演有哪些」, '对手' in 「同组对手有谁」); '' if none."""
    plain = re.sub(r"《[^》]*》", "", question)
    words = [w for w in jieba.lcut(plain) if len(w) >= 2 and CHINESE.fullmatch(w) and w not in _ASKING]
    return words[-1] if words else ""


def _trim(item: str, known: list[str], at_end: bool) -> str:
    """The far item of an enumeration cut out of its clause ('庄达菲分享的很多…' -> '庄达菲', '由海清' ->
    '海清'): a known member it starts (ends) with, else the item without a one-character preposition or
    verb before (after) it when no longer than the known members, else its name words; '' if none."""
    if not item:
        return ""
    for name in sorted(known, key=len, reverse=True):
        if item.startswith(name) if at_end else item.endswith(name):
            return name
    words = list(jieba.posseg.cut(item))
    edge = words[-1] if at_end else words[0]
    if len(words) > 1 and len(edge.word) == 1 and edge.flag[:1] in ("p", "c", "u", "v", "d"):
        words = words[:-1] if at_end else words[1:]
    longest = max((len(k) for k in known), default=3)
    if len("".join(w.word for w in words)) <= longest:
        return "".join(w.word for w in words)
    run = []
    for w in (words if at_end else reversed(words)):
        if not w.flag.startswith(_NAME_FLAGS):
            break
        run.append(w.word)
    name = "".join(run if at_end else reversed(run))
    return name if len(name) <= longest + 1 else ""


def _items(segment: str, known: list[str], at_end: bool) -> list[str]:
    """A segment's items read away from the role word up to the first that is not a bare member (it
    goes on with a verb: '蔡旭哲依次全部进入天和核心舱'), which is cut to its member and ends the list;
    none when a joining character sits inside a word (阿尔及利亚, 和平)."""
    if any(len(w) > 1 and w != "以及" and any(c in w for c in "和与及") for w in jieba.lcut(segment)):
        return []
    items = [i.strip().partition("等")[0] for part in split_items(segment) for i in part.split("与")]
    out = []
    for position, item in enumerate(items if at_end else items[::-1]):
        bare = _bare(item)
        if bare and position < len(items) - 1:
            out.append(item)
            continue
        cut = _trim(item, known, at_end)
        if _ITEM.fullmatch(cut):
            out.append(cut)
        break
    return out if at_end else out[::-1]


def _bare(item: str) -> bool:
    return bool(_ITEM.fullmatch(item)) and not any(
        w.word == "的" or (w.flag.startswith("v") and len(w.word) > 1) for w in jieba.posseg.cut(item))


def enumerations(text: str, role: str, known: list[str]) -> list[list[str]]:
    """The enumerations right before or after the role word in text ('姚晨、常远主演', '主演：吴京、李雪健')."""
    role = re.escape(role)
    found = [_items(m.group(1), known, at_end=False) for m in re.finditer(rf"([^{_CLAUSE}：:]*?){_BEFORE_ROLE}{role}", text)]
    found += [_items(m.group(1), known, at_end=True) for m in re.finditer(rf"{role}{_AFTER_ROLE}([^{_CLAUSE}：:]*)", text)]
    return [items for items in found if len(items) >= 2 and all(_ITEM.fullmatch(i) for i in items)]


def complete_list(answer: Answer) -> Answer:
    """answer with the members its enumerations left out added, each with its passage's citation."""
    role = asked_role(answer.question)
    if answer.refused or not role or not answer.passages:
        return answer
    text = CITATION_MARK.sub("", answer.text)
    named = []  # (passage number, its enumeration beside the role, the members the answer names)
    for n, passage in enumerate(answer.passages, start=1):
        known = _named(text, passage)
        named += [(n, items, known) for items in enumerations(passage.chunk.text, role, known)
                  if any(i in text for i in items)]
    cited = set(cited_numbers(answer.text))
    if not any(w in answer.question for w in _PLURAL) and not any(n in cited and sum(i in text for i in items) >= 2
                                                       for n, items, _ in named):
        return answer
    added: dict[int, list[str]] = {}
    for n, items, known in named:
        for item in items:  # '蒋奇明特别' is 蒋奇明, named already
            if item not in text and not any(k in item for k in known) and not any(item in v for v in added.values()):
                added.setdefault(n, []).append(item)
    if not added:
        return answer
    extra = "；".join(f"{'、'.join(items)}[{n}]" for n, items in sorted(added.items()))
    answer.text = f"{answer.text.rstrip()}\n{role}还有：{extra}。"
    answer.citations, answer.claims = [], []
    return attach_citations(answer)


def _named(text: str, passage: Passage) -> list[str]:
    """Names the answer gives that the passage also has: what a clause's far item is cut down to."""
    return [w for w in jieba.lcut(text) if len(w) >= 2 and w in passage.chunk.text]

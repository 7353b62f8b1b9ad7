"""The section index: each document's heading tree with the items every section enumerates, built once
at indexing time, so a list or overview question ("概括一下……的战略定位", "……面临哪些挑战") is answered
from all the items of the section it names, not from the one passage that retrieval happened to rank first.

A section is a heading (第X章, 第X节, 一、, （一）, 1., or a Word/HTML outline line, as chunking reads them)
or an inline list that a sentence introduces ("主要预期目标是：a；b；c", "要重点把握三个方面：" before marked
paragraphs, a quoted named list such as "“两区一带”" with its parts, a counted name after the series of its
parts, "A、B、C三大新兴产业", a quoted series "“甲乙带动、丙丁支撑、三区协同”"). Its items are, in order of
preference: its sub-headings, paragraphs opened by a marker (一是, （一）, 1., ①, ——), paragraphs opened
by a short lead sentence, markers inside one paragraph (一是…二是…), and table rows; an item's own inline
enumeration follows it one level deeper.
Matching a question to a section is by meaning: jieba tokens weighted by their rarity among headings,
concept synonyms (挑战 ~ 困难), characters in order (abbreviations), and optionally an embedding cosine,
combined into a score in [0, 1] that a caller thresholds (MATCH_THRESHOLD).
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import jieba
import jieba.posseg
import numpy as np

from rag.chunking import heading_of
from rag.types import Chunk, Document
from rag.vocabulary import OVERVIEW_WORDS, PLAN_NAME, asked_concepts, concepts_of

jieba.setLogLevel(60)

# ---- vocabulary (data): markers, list cues, concepts, question words -------------------------------
_CN = "一二三四五六七八九十"
_CN_VALUE = {c: i + 1 for i, c in enumerate(_CN)} | {"两": 2, "双": 2, "百": 100}
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
# a paragraph opened by one of these is an item; the kind names the marker family
PARAGRAPH_MARKERS: list[tuple[str, re.Pattern[str]]] = [
    ("一是", re.compile(rf"^(?P<n>[{_CN}]+)(?:是|要|为)")),
    ("首先", re.compile(r"^(?P<n>首先|其次|再次|最后)[，,]")),
    ("（一）", re.compile(rf"^[（(](?P<n>[{_CN}]+)[)）]")),
    ("(1)", re.compile(r"^[（(](?P<n>\d{1,2})[)）]")),
    ("1.", re.compile(r"^(?P<n>\d{1,2})[.、．](?!\d)")),
    ("①", re.compile(rf"^(?P<n>[{_CIRCLED}])")),
    ("——", re.compile(r"^\s*(?P<n>[—－]{1,2})")),
]
# the same families inside one paragraph: a marker right after a sentence or clause end
INLINE_MARKERS: list[tuple[str, re.Pattern[str]]] = [
    ("一是", re.compile(rf"(?:^|(?<=[。；;：:！]))\s*(?P<n>[{_CN}]+)(?:是|要)(?=[^，,。])")),
    ("首先", re.compile(r"(?:^|(?<=[。；;：:]))\s*(?P<n>首先|其次|再次|最后)[，,]")),
    ("(1)", re.compile(r"(?:^|(?<=[。；;：:，,]))\s*[（(](?P<n>\d{1,2})[)）]")),
    ("①", re.compile(rf"(?P<n>[{_CIRCLED}])")),
]
PROSE_ITEMS = ("row", "lead", "paragraph")  # items read from unmarked text or a table, not an author's list
_ORDINAL_WORDS = {"首先": 1, "其次": 2, "再次": 3, "最后": 4}
# "……主要预期目标是：a；b；c" — the clause before the colon names the list
LIST_INTRO = re.compile(r"[：:]")
LIST_INTRO_TAIL = re.compile(r"(?:主要)?(?:是|为|有|包括|如下|以下|分别是)$")
LIST_PART_SEP = re.compile(r"[；;]")
NAMED_LIST = re.compile(r"“\s*(?P<name>[^“”]{2,14}?)\s*”")
NAMED_LIST_DEFINES = re.compile(r"^[\u4e00-\u9fff]{0,6}\s*(?:，|,)?\s*(?:即|：|:|（|\(|——|就是|是指)")  # “两区一带”格局，即…
NAMED_PART_SEP = re.compile(r"[、，,；;]|和(?=[\u4e00-\u9fff]{2,})")
ITEM_SPLIT = re.compile(r"、|以及|及|和")  # the parts of a series before its name: A、B及C
# a name counting the parts listed right before it, to the clause's end: 四大主导产业, 3个千亿级产业集群, “3+2+1”主导产业
COUNTED_NAME = re.compile(rf"(?:(?<![第\d“\"])(?P<n>[{_CN}两]{{1,2}}|\d{{1,2}})(?:大|个|项|类|种|条|家)"
                          rf"|[“\"](?P<sum>\d+(?:\+\d+)+)[”\"])[\u4e00-\u9fff]{{2,20}}")
QUESTION_WORDS = OVERVIEW_WORDS  # they say nothing of which section
PLAN_PERIOD = re.compile(PLAN_NAME)  # “十四五” is a period, not a list of 十+四+五 parts
PLACE_SUFFIX = re.compile(r"[\u4e00-\u9fff]{1,8}?(?:自治区|自治州|省|市|区|县|旗|州)")
MATCH_THRESHOLD = 0.5  # a best score below this: the documents have no section on what is asked
QUOTED_PART_MAX = 8  # a quoted series' phrases are short (“双招双引、项目为王、环境是金”); longer ones are prose
LEAD_MAX = 30  # a paragraph's first sentence up to this long is its lead phrase
SNIPPET = 90  # characters of an item's text shown after its lead in an overview answer
# an embedding cosine is mapped linearly from [EMBED_FLOOR, EMBED_CEIL] onto [0, 1]
EMBED_FLOOR, EMBED_CEIL = 0.78, 0.92
EMBED_WEIGHT = 0.4
LEAD_WEIGHT = 0.7  # a match on a section's opening text counts for less than one on its heading
NAME_TIE = 0.01  # two lists named in one sentence match it alike: the one whose name has the question's words wins


@dataclass
class Item:
    """One enumerated element of a section: its lead phrase (heading or first clause) and full text."""

    lead: str
    text: str
    marker: str  # the marker family: "一是", "（一）", "1.", "①", "——", "首先", "(1)", "lead", "heading", "row", "；", "named"
    start: int
    end: int
    chunk_id: str = ""
    page: int | None = None
    depth: int = 0  # 0: an item of the section; 1: an item of the item above it


@dataclass
class Section:
    doc_id: str
    title_path: list[str]
    level: int
    start: int
    end: int
    chunk_ids: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    kind: str = "heading"  # "heading" | "list" (a sentence's colon list) | "named" (a quoted named list)
    lead: str = ""  # the opening of the section's own text, matched beside its title

    @property
    def title(self) -> str:
        return self.title_path[-1] if self.title_path else ""

    def record(self) -> dict:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict) -> "Section":
        fields = dict(record)
        fields["items"] = [Item(**item) for item in record.get("items", [])]
        return cls(**fields)


def normalise(text: str) -> str:
    """NFKC and no whitespace: seed texts write “ 十四五 ” with spaces inside the quotes."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def bare_title(title: str) -> str:
    """A heading without its numbering (第二节, 一、, （一）, 1.)."""
    return re.sub(rf"^(?:第[{_CN}百零〇\d]+[篇章节]|[{_CN}]+、|[（(][{_CN}\d]+[)）]|\d{{1,2}}[.、．])\s*", "", title).strip()


# ---- the heading tree ------------------------------------------------------------------------------
def _headings(document: Document) -> list[tuple[int, int, int, str, bool]]:
    """(line offset, line end, level, title, whole line) of every heading, read as chunking reads them."""
    outline = {offset: level for offset, level in document.outline}
    found, offset = [], 0
    for line in document.text.split("\n"):
        start, offset = offset, offset + len(line) + 1
        if not line.strip() or line.startswith("|"):
            continue
        head = heading_of(line)
        if start in outline and not head:
            head = (outline[start], line.strip(), True)
        if head:
            found.append((start, start + len(line), head[0], head[1], head[2]))
    return found


def _tree(document: Document) -> list[tuple[Section, int, int | None]]:
    """Sections in document order with the start of their own text and their parent's position."""
    out: list[tuple[Section, int, int | None]] = []
    stack: list[int] = []
    for start, line_end, level, title, whole in _headings(document):
        while stack and out[stack[-1]][0].level >= level:
            out[stack.pop()][0].end = start
        parent = stack[-1] if stack else None
        path = (out[parent][0].title_path if parent is not None else []) + [title]
        body = line_end + 1 if whole else start + len(title)
        out.append((Section(document.doc_id, path, level, start, len(document.text)), body, parent))
        stack.append(len(out) - 1)
    return out


# ---- items -----------------------------------------------------------------------------------------
def _ordinal(n: str) -> int | None:
    if n in _ORDINAL_WORDS:
        return _ORDINAL_WORDS[n]
    if n.isascii() and n.isdigit():
        return int(n)
    if n in _CIRCLED:
        return _CIRCLED.index(n) + 1
    if n and all(c in _CN_VALUE for c in n):
        if n.startswith("十"):
            return 10 + (_CN_VALUE[n[1]] if len(n) > 1 else 0)
        return _CN_VALUE[n[0]] * (10 if len(n) > 1 and n[1] == "十" else 1) + (_CN_VALUE[n[-1]] if len(n) == 3 else 0)
    return None


def _lead_of(text: str) -> str:
    """The first clause that can stand as a name: up to the first sentence end, or its first comma if long."""
    sentence = re.split(r"[。；;！？]", text, maxsplit=1)[0].rstrip("：:")
    if len(sentence) > LEAD_MAX:
        sentence = re.split(r"[，,：:]", sentence, maxsplit=1)[0]
    return sentence[: LEAD_MAX + 10].strip()


def _sequential(found: list[tuple[str, int]]) -> bool:
    """Markers count 1, 2, 3…: 一是 then 二是, not a stray 三是 — keeps prose words like 一要 out."""
    numbers = [_ordinal(n) for n, _ in found]
    return len(numbers) >= 2 and numbers[0] == 1 and all(b == a + 1 for a, b in zip(numbers, numbers[1:]))


def _inline_items(text: str, base: int, depth: int) -> list[Item]:
    """An enumeration inside one paragraph (一是…二是…, ①…②…): the longest family numbered in order."""
    best: list[Item] = []
    for kind, pattern in INLINE_MARKERS:
        hits = [(m.group("n"), m.start("n")) for m in pattern.finditer(text)]
        hits = hits if _sequential(hits) else _longest_run(hits)
        if len(hits) < 2 or len(hits) <= len(best):
            continue
        items = []
        for (n, at), nxt in zip(hits, [h[1] for h in hits[1:]] + [len(text)]):
            body = text[at:nxt].strip()
            m = pattern.match(body)
            rest = body[m.end() if m else len(n) :].lstrip("，, ")
            items.append(Item(_lead_of(rest), body, kind, base + at, base + nxt, depth=depth))
        best = items
    return best


def _longest_run(hits: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """The longest stretch of hits numbered 1, 2, 3… (a paragraph may hold a stray marker-like word)."""
    best: list[tuple[str, int]] = []
    for i in range(len(hits)):
        if _ordinal(hits[i][0]) != 1:
            continue
        run = [hits[i]]
        for hit in hits[i + 1 :]:
            if _ordinal(hit[0]) == _ordinal(run[-1][0]) + 1:
                run.append(hit)
        if len(run) > len(best):
            best = run
    return best if len(best) >= 2 else []


def _paragraphs(text: str, start: int, end: int) -> list[tuple[int, str]]:
    out, offset = [], start
    for line in text[start:end].split("\n"):
        if line.strip():
            out.append((offset, line))
        offset += len(line) + 1
    return out


def _marker_kind(line: str) -> tuple[str, re.Match[str]] | None:
    for kind, pattern in PARAGRAPH_MARKERS:
        m = pattern.match(line)
        if m:
            return kind, m
    return None


def _paragraph_items(paragraphs: list[tuple[int, str]]) -> list[Item]:
    """Paragraphs opened by one marker family numbered in order; failing that, by a short lead sentence."""
    groups: dict[str, list[tuple[int, str, re.Match[str]]]] = {}
    for offset, line in paragraphs:
        found = _marker_kind(line)
        if found:
            groups.setdefault(found[0], []).append((offset, line, found[1]))
    for kind, members in groups.items():
        hits = [(m.group("n"), i) for i, (_, _, m) in enumerate(members)]
        run = members if kind == "——" else [members[i] for _, i in _longest_run(hits)]
        if len(run) >= 2:
            return [_marked_item(kind, offset, line, m) for offset, line, m in run]
    leads = [(o, line) for o, line in paragraphs if _has_lead_sentence(line)]
    if len(leads) >= 2:
        return [Item(_lead_of(line), line, "lead", o, o + len(line)) for o, line in leads]
    return []


def _marked_item(kind: str, offset: int, line: str, m: re.Match[str]) -> Item:
    rest = line[m.end() :].lstrip("，, ")
    return Item(_lead_of(rest), line, kind, offset, offset + len(line))


def _has_lead_sentence(line: str) -> bool:
    """"建设农业高新技术产业示范区。推进……": a short first sentence that names the paragraph."""
    first, sep, rest = line.partition("。")
    return (bool(sep) and 4 <= len(first) <= LEAD_MAX and len(rest) >= 10 and "，" not in first[:6]
            and not re.search(r"[！？：:]", first))


def _table_items(paragraphs: list[tuple[int, str]]) -> list[Item]:
    rows = [(o, line) for o, line in paragraphs if line.startswith("|") and line.rstrip().endswith("|")]
    rows = [(o, line) for o, line in rows if not re.fullmatch(r"\|[\s\-:|]+\|", line.strip())][1:]
    items = []
    for offset, line in rows:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if any(cells):
            items.append(Item(cells[0] or cells[1] if len(cells) > 1 else cells[0], " | ".join(cells), "row",
                              offset, offset + len(line)))
    return items


def _own_items(paragraphs: list[tuple[int, str]]) -> list[Item]:
    """A section's own enumeration: marked or lead paragraphs (each followed by its inline items), else
    one paragraph's inline enumeration, else table rows."""
    prose = [(o, line) for o, line in paragraphs if not line.startswith("|")]
    top = _paragraph_items(prose)
    if top:
        out: list[Item] = []
        for item in top:
            out.append(item)
            out.extend(_inline_items(item.text, item.start, depth=1))
        return out
    for offset, line in prose:
        inline = _inline_items(line, offset, depth=0)
        if inline:
            return inline
    if len(prose) >= 2 and not any(line.startswith("|") for _, line in paragraphs):
        return [Item(_lead_of(line), line, "paragraph", o, o + len(line)) for o, line in prose]
    return _table_items(paragraphs)


# ---- inline sections: colon lists and named lists --------------------------------------------------
def _colon_lists(paragraphs: list[tuple[int, str]], parent: Section) -> list[Section]:
    """"……主要预期目标是：a；b；c。" becomes a section titled by the clause before the colon; its parts
    run to the paragraph's end, split at semicolons, or at sentence ends when there are none."""
    out = []
    for offset, line in paragraphs:
        for colon in LIST_INTRO.finditer(line):
            begin = max(line.rfind(c, 0, colon.start()) for c in "。！？") + 1
            rest = line[colon.end() :]
            if _inline_items(rest, 0, 0):  # 一是…/①… after the colon: _enumeration_lists reads it
                continue
            pieces = [p for p in LIST_PART_SEP.split(rest) if p.strip()]
            if len(pieces) < 3:
                pieces = [p for p in re.split(r"(?<=。)", rest) if p.strip()]
            if len(pieces) < 3 or any(LIST_INTRO.search(p) for p in pieces):
                continue
            title = _intro_title(line[begin : colon.start()])
            if not 2 <= len(title) <= LEAD_MAX:
                continue
            out.append(_list_section(parent, title, pieces, line, offset, colon.end(), begin, "；"))
    return out


def _intro_title(intro: str) -> str:
    """The clause that names a list: "……还存在一些困难和问题，主要是" names it one clause earlier."""
    clauses = [c.strip() for c in re.split(r"[，,。]", intro) if c.strip()]
    if not clauses:
        return ""
    title = LIST_INTRO_TAIL.sub("", clauses[-1])
    if len(title) < 4 and len(clauses) > 1:
        title = clauses[-2] + title
    return title


def _list_section(parent: Section, title: str, pieces: list[str], line: str, offset: int, at: int, begin: int,
                  marker: str, items: list[Item] | None = None) -> Section:
    if items is None:
        items = []
        for piece in pieces:
            start = line.find(piece, at)
            at = start + len(piece)
            text = piece.strip().rstrip("。；;")
            items.append(Item(_lead_of(text), text, marker, offset + start, offset + at))
    end = items[-1].end if items else offset + len(line)
    return Section(parent.doc_id, parent.title_path + [title], parent.level + 1, offset + begin, end,
                   items=items, kind="list", lead=normalise(line[begin : begin + 2 * SNIPPET]))


def _enumeration_lists(paragraphs: list[tuple[int, str]], parent: Section) -> list[Section]:
    """"……矛盾和问题依然较多。一是……二是……" — an enumeration inside a paragraph becomes a section
    titled by the sentence that introduces it."""
    out = []
    for offset, line in paragraphs:
        items = _inline_items(line, offset, depth=0)
        if not items or items[0].start - offset < 4:
            continue
        intro = line[: items[0].start - offset].rstrip("（( ").rstrip("。：:；; ")
        intro = re.split(r"[。！？]", intro)[-1]
        title = intro if len(intro) <= 2 * LEAD_MAX else "，".join(re.split(r"[，,]", intro)[-2:])
        if len(title) >= 4:
            out.append(_list_section(parent, title, [], line, offset, 0, items[0].start - offset - len(intro) - 1,
                                     "", items))
    return out


def _introduced_lists(paragraphs: list[tuple[int, str]], parent: Section) -> list[Section]:
    """"要重点把握三个方面：" closing a paragraph, then paragraphs opened by 一是/（一）/1.… — the marked
    paragraphs that follow become a section titled by the introducing clause."""
    out = []
    for n, (offset, line) in enumerate(paragraphs):
        if not re.search(r"[：:]\s*$", line):
            continue
        run = []
        for paragraph in paragraphs[n + 1 :]:
            if not _marker_kind(paragraph[1]):
                break
            run.append(paragraph)
        top = [i for i in _paragraph_items(run) if i.marker != "lead"]
        title = _intro_title(line.rstrip()[:-1])
        if len(top) < 2 or not 4 <= len(title) <= LEAD_MAX:
            continue
        items = [x for item in top for x in [item, *_inline_items(item.text, item.start, depth=1)]]
        begin = line.rfind(title)
        out.append(_list_section(parent, title, [], line, offset, 0, max(begin, 0), "", items))
    return out


def _count_of(name: str) -> int | None:
    """How many parts a named list announces: “三区一窗口” = 4, “双招双引” = 4, “3+2+1” = 6; None without
    numerals."""
    if re.fullmatch(r"\d+(?:\+\d+)+", name):
        return sum(int(n) for n in name.split("+"))
    total, counted = 0, False
    for char in name:
        if char in _CN_VALUE and char != "百":
            total, counted = total + _CN_VALUE[char], True
    return total if counted and "多" not in name else None


def _named_lists(paragraphs: list[tuple[int, str]], parent: Section) -> list[Section]:
    """“两区一带”，即A、B和C — a quoted name with a count and the parts the text gives for it; or a quoted
    series that is its own list of parts (实施“甲乙带动、丙丁支撑”战略)."""
    out, seen = [], set()
    for offset, line in paragraphs:
        for m in NAMED_LIST.finditer(line):
            name = normalise(m.group("name"))
            if name in seen:  # the first definition of a name is the one that lists its parts
                continue
            found = _quoted_series(line, m) or _counted_parts(line, m, name)
            if found:
                seen.add(name)
                title, parts, begin = found
                items = [Item(_lead_of(p), p, "named", offset + begin + at, offset + begin + at + len(p))
                         for p, at in parts]
                end = begin + parts[-1][1] + len(parts[-1][0])
                out.append(Section(parent.doc_id, parent.title_path + [title], parent.level + 1, offset + m.start(),
                                   offset + end, items=items, kind="named", lead=_named_by(line, m.start(), end)))
    return out


def _named_by(line: str, start: int, end: int) -> str:
    """The sentence that names a list ("加快优化区域布局，实施“…”战略，……"): what the name is for, not the
    sentences after it about other things."""
    sentence = max(line.rfind(c, 0, start) for c in "。；;！？") + 1
    close = min((i for i in (line.find(c, end) for c in "。；;！？") if i >= 0), default=len(line))
    return line[sentence : min(close, sentence + 2 * SNIPPET)]


def _quoted_series(line: str, m: re.Match[str]) -> tuple[str, list[tuple[str, int]], int] | None:
    """A quoted series of short parallel phrases, “甲乙带动、丙丁支撑、三区协同”战略: the phrases are the items,
    the quote and the noun after it the name. Three phrases at least: two are a slogan more often than a list."""
    parts = [(p, at) for p, at in _split_parts(m.group("name")) if 2 <= len(p) <= QUOTED_PART_MAX]
    if len(parts) < 3 or "、" not in m.group("name") or len(parts) != len(NAMED_PART_SEP.split(m.group("name"))):
        return None
    head = re.match(r"[\u4e00-\u9fff]{0,6}", line[m.end() :]).group()
    return f"“{normalise(m.group('name'))}”{head}", parts, m.start("name")


def _counted_parts(line: str, m: re.Match[str], name: str) -> tuple[str, list[tuple[str, int]], int] | None:
    """The parts a quoted name with a count (“三区一窗口”) is given after it (即…) or right before it."""
    count = _count_of(name)
    if not count or count < 2 or PLAN_PERIOD.fullmatch(name):
        return None
    parts, begin = _parts_after(line, m.end(), count)
    in_series = line[m.start() - 1 : m.start()] == "、" or not re.match(r"[，,。；;：:]|$", line[m.end() :])
    if not parts and not in_series:
        parts, begin = _series_before(line, m.start(), count)
    if not parts or any(re.search(r"[“”]", p) for p, _ in parts):
        return None
    return f"“{name}”", parts, begin


def _split_parts(span: str) -> list[tuple[str, int]]:
    parts, at = [], 0
    for piece in NAMED_PART_SEP.split(span):
        begin = span.find(piece, at)
        at = begin + len(piece)
        if piece.strip():
            parts.append((piece.strip(), begin))
    return parts


def _parts_after(line: str, at: int, count: int) -> tuple[list[tuple[str, int]], int]:
    cue = NAMED_LIST_DEFINES.match(line[at:])
    if not cue:
        return [], 0
    begin = at + cue.end()
    span = re.split(r"[。）)]", line[begin:], maxsplit=1)[0]
    parts = _split_parts(span)
    return (parts[:count], begin) if len(parts) >= count else ([], 0)


def _series_before(line: str, at: int, count: int) -> tuple[list[tuple[str, int]], int]:
    """"优化提升A、B、C、D四大主导产业", "建设A、B和C的“三区一窗口”": the 、 series in the clause right before a
    name, exactly `count` short parts, the verbs opening the first dropped; (parts with their offsets from
    `begin`, begin)."""
    begin = max(line.rfind(c, 0, at) for c in "。；;，,：:") + 1
    span = re.sub(r"(?:的|等)$", "", line[begin:at])
    cuts = [0] + [x for m in ITEM_SPLIT.finditer(span) for x in (m.start(), m.end())] + [len(span)]
    parts = [(span[a:b], a) for a, b in zip(cuts[::2], cuts[1::2])]
    series = "、" in span or count == 2 and "和" in span  # A、B、C; a pair may be A和B
    if not series or len(parts) != count or any(not 2 <= len(p) <= LEAD_MAX // 2 for p, _ in parts):
        return [], 0  # parts before a name are a 、 series of short names; a comma clause is prose
    first, at0 = parts[0]
    name = _strip_verbs(first)
    parts[0] = (name, at0 + len(first) - len(name))
    if any(len(p) < 2 or p.count("“") != p.count("”") for p, _ in parts):
        return [], 0  # a quote opened in one part and closed in the next: not a series of names
    return [_unquoted(p, a) for p, a in parts], begin


def _strip_verbs(item: str) -> str:
    """'优化提升新材料' -> '新材料': the verbs that open an enumeration are not part of its first item."""
    words = list(jieba.posseg.cut(item))
    last = max((i for i, w in enumerate(words[:-1]) if w.flag in ("v", "vn", "d", "p", "ad", "l", "i")), default=-1)
    if 0 <= last < len(words) - 2 and words[last + 1].flag == "a" and len(words[last + 1].word) > 1:
        last += 1  # '培育壮大新能源': 壮大 is tagged as an adjective
    return "".join(w.word for w in words[last + 1:]) or item


def _unquoted(item: str, at: int) -> tuple[str, int]:
    """Quote marks around the whole item go ('“双碳”绿能' keeps its own)."""
    if item[:1] in "“\"" and item[-1:] in "”\"" and item.count("“") == 1:
        return item[1:-1], at + 1
    return item, at


def split_items(clause: str) -> list[str]:
    """An enumerating clause's items: split at 、/和/及/以及, quote marks around a whole item dropped."""
    return [_unquoted(i.strip(), 0)[0] for i in ITEM_SPLIT.split(clause)]


def items_before(line: str, at: int, count: int) -> list[str]:
    """The `count` items enumerated right before a name at `at` ('…新材料、生物医药、电子信息、现代物流四大
    产业'), or none."""
    return [p for p, _ in _series_before(line, at, count)[0]]


def _counted_lists(paragraphs: list[tuple[int, str]], parent: Section) -> list[Section]:
    """"A、B、C三大新兴产业", "A、B 2个平台获评……": a name counting its parts right after the series of them
    becomes a named section titled by the name."""
    out = []
    for offset, line in paragraphs:
        found: list[Section] = []  # this paragraph's, for a sum of them named after (A、B两大X，C、D、E三大Y的“2+3”Z)
        for m in COUNTED_NAME.finditer(line):
            count = _ordinal(m.group("n")) if m.group("n") else _count_of(m.group("sum"))
            parts, begin = _series_before(line, m.start(), count or 0)
            items = [Item(p, p, "named", offset + begin + a, offset + begin + a + len(p)) for p, a in parts]
            if m.group("sum") and not items:
                counts = [int(n) for n in m.group("sum").split("+")]
                summed = found[-len(counts):]
                if [len(f.items) for f in summed] == counts:
                    items, begin = [i for f in summed for i in f.items], summed[0].start - offset
            if count and count >= 2 and items:
                found.append(Section(parent.doc_id, parent.title_path + [m.group()], parent.level + 1,
                                     offset + begin, offset + m.end(), items=items, kind="named",
                                     lead=_named_by(line, m.start(), m.end())))
        out += found
    return out


# ---- build -----------------------------------------------------------------------------------------
class _ChunkFinder:
    """The chunk holding an offset of a document (a heading line belongs to no chunk: the next one)."""

    def __init__(self, chunks: Sequence[Chunk]):
        self.chunks = sorted(chunks, key=lambda c: c.start)
        self.starts = [c.start for c in self.chunks]

    def at(self, offset: int) -> Chunk | None:
        i = bisect_right(self.starts, offset) - 1
        for j in (i, i + 1):
            if 0 <= j < len(self.chunks) and (j > i or self.chunks[j].end > offset):
                return self.chunks[j]
        return self.chunks[i] if i >= 0 else None

    def spanning(self, start: int, end: int) -> list[str]:
        i = max(bisect_right(self.starts, start) - 1, 0)
        return [c.chunk_id for c in self.chunks[i:] if c.start < end and c.end > start]


def build_sections(document: Document, chunks: Sequence[Chunk]) -> list[Section]:
    """Every section of one document, parents before children, each with all its items located in the
    chunks (chunk_id, page) so an answer can cite them."""
    tree = _tree(document)
    children: dict[int, list[int]] = {}
    for i, (_, _, parent) in enumerate(tree):
        if parent is not None:
            children.setdefault(parent, []).append(i)
    inline: list[Section] = []
    for i, (section, body, _) in enumerate(tree):
        own_end = tree[children[i][0]][0].start if i in children else section.end
        paragraphs = _paragraphs(document.text, body, own_end)
        section.lead = normalise(" ".join(line for _, line in paragraphs))[:SNIPPET]
        section.items = _own_items(paragraphs)
        inline += _colon_lists(paragraphs, section) + _enumeration_lists(paragraphs, section)
        inline += _introduced_lists(paragraphs, section) + _counted_lists(paragraphs, section)
        inline += _named_lists(paragraphs, section)
    for i in sorted(children, key=lambda i: -tree[i][0].level):  # deepest parents first
        section = tree[i][0]
        section.items = _child_items(section, [tree[c][0] for c in children[i]]) or section.items
    sections = [s for s, _, _ in tree] + [s for s in inline if not _repeats_parent(s, tree)]
    if not tree:  # a document without headings: one section, the document itself
        root = Section(document.doc_id, [document.title], 0, 0, len(document.text))
        root.items = _own_items(_paragraphs(document.text, 0, len(document.text)))
        sections = [root] + _colon_lists(_paragraphs(document.text, 0, len(document.text)), root)
    _locate(sections, document, chunks)
    return sections


def _repeats_parent(listed: Section, tree: list[tuple[Section, int, int | None]]) -> bool:
    """A list section whose items are exactly its heading's items adds nothing but a second name, unless
    that name counts them ("三个方面")."""
    starts = [i.start for i in listed.items if i.depth == 0]
    if counted(listed.title) == len(starts):
        return False
    return any(s.title_path == listed.title_path[:-1] and [i.start for i in s.items if i.depth == 0] == starts
               for s, _, _ in tree)


def counted(title: str) -> int | None:
    """The count a list's name gives its items: 三个方面 -> 3, 9个方面 -> 9, “3+2+1”主导产业 -> 6."""
    summed = re.search(r"\d+(?:\+\d+)+", title)
    if summed:
        return _count_of(summed.group())
    m = re.search(rf"([{_CN}两]+|\d{{1,2}})(?:个|大|项|件|类|条|方面)", title)
    return _ordinal(m.group(1)) if m else None


def _child_items(parent: Section, kids: list[Section]) -> list[Item]:
    """Sub-headings are their parent's items, each followed by its own top items one level deeper; the
    parent's own enumeration (text before its first sub-heading) is kept before them when it is marked:
    plain or lead paragraphs there open the section (一年来，我们……), they are not among its parts."""
    out = [i for i in parent.items if i.depth == 0 and i.marker not in PROSE_ITEMS] if len(parent.items) >= 2 else []
    for kid in kids:
        out.append(Item(bare_title(kid.title) or kid.title, kid.lead or kid.title, "heading", kid.start, kid.end))
        out.extend(Item(i.lead, i.text, i.marker, i.start, i.end, depth=1) for i in kid.items if i.depth == 0)
    return out


def _locate(sections: list[Section], document: Document, chunks: Sequence[Chunk]) -> None:
    finder = _ChunkFinder([c for c in chunks if c.doc_id == document.doc_id])
    for section in sections:
        section.chunk_ids = finder.spanning(section.start, section.end)
        for item in section.items:
            chunk = finder.at(item.start)
            item.chunk_id = chunk.chunk_id if chunk else ""
            item.page = document.page_at(item.start)


def section_records(document: Document, chunks: Sequence[Chunk]) -> list[dict]:
    """The sections of one document as JSON-serialisable records (the derived-records store's builder)."""
    return [s.record() for s in build_sections(document, chunks)]


# ---- matching --------------------------------------------------------------------------------------
@lru_cache(maxsize=65536)
def _tokens(text: str) -> tuple[str, ...]:
    """Search-mode jieba tokens of normalised text (cached: headings are tokenised once per clause)."""
    words = (w.strip() for w in jieba.cut_for_search(normalise(text).lower()))
    return tuple(w for w in words if w and re.match(r"[\w\u4e00-\u9fff]", w))


def place_words(title: str) -> set[str]:
    """Place names in a document title and their short forms (高密市, 高密): a question's place picks
    documents, it says nothing of which section."""
    names = set()
    for m in PLACE_SUFFIX.finditer(normalise(title)):
        name = re.sub(r"^.*(?:关于|印发|省|市)(?=.{2,})", "", m.group()) if len(m.group()) > 4 else m.group()
        names.add(name)
        stem = re.sub(r"(?:自治区|自治州|省|市|区|县|旗|州)$", "", name)
        if len(stem) >= 2:
            names.add(stem)
    return names


class SectionIndex:
    """All sections of a corpus and a matcher from a question to the sections it names or paraphrases.

    score = lexical (heading tokens weighted by rarity among headings, concept synonyms, characters in
    order) and, with `embed`, a calibrated cosine mixed in; 1.0 is a heading said in the question's words,
    below MATCH_THRESHOLD the question names no section."""

    def __init__(self, sections: Iterable[Section], titles: dict[str, str] | None = None,
                 embed: Callable[[list[str]], np.ndarray] | None = None):
        self.sections = list(sections)
        self.titles = titles or {}
        self.embed = embed
        self._places = {doc: place_words(t) for doc, t in self.titles.items()}
        self._title_tokens = [set(_tokens(bare_title(s.title))) for s in self.sections]
        counts = Counter(t for tokens in self._title_tokens for t in tokens)
        n = max(len(self.sections), 1)
        self._idf = {t: math.log(1 + n / c) for t, c in counts.items()}
        # a word no heading uses is neither rare nor common among headings: the median weight
        self._default_idf = float(np.median(list(self._idf.values()))) if self._idf else 1.0
        self._item_concepts = [_item_concepts(s) for s in self.sections]
        self._vectors: np.ndarray | None = None

    @classmethod
    def from_chunks(cls, documents: Iterable[Document], chunks: Iterable[Chunk], **kwargs) -> "SectionIndex":
        by_doc: dict[str, list[Chunk]] = {}
        for chunk in chunks:
            by_doc.setdefault(chunk.doc_id, []).append(chunk)
        sections, titles = [], {}
        for doc in documents:
            titles[doc.doc_id] = doc.title
            sections += build_sections(doc, by_doc.get(doc.doc_id, []))
        return cls(sections, titles, **kwargs)

    @classmethod
    def from_records(cls, records: Iterable[dict], titles: dict[str, str] | None = None, **kwargs) -> "SectionIndex":
        return cls((Section.from_record(r) for r in records), titles, **kwargs)

    def of(self, doc_id: str) -> list[Section]:
        return [s for s in self.sections if s.doc_id == doc_id]

    def match(self, question: str, places_doc_ids: list[str] | None = None, k: int = 3) -> list[tuple[Section, float]]:
        """The k sections the question most likely asks about, best first, with scores in [0, 1]."""
        allowed = set(places_doc_ids) if places_doc_ids else None
        rows = [i for i, s in enumerate(self.sections) if allowed is None or s.doc_id in allowed]
        if not rows:
            return []
        scores = {i: self._lexical(question, i) for i in rows}
        if self.embed is not None:
            for i, cosine in zip(rows, self._cosines(question, rows)):
                calibrated = min(max((cosine - EMBED_FLOOR) / (EMBED_CEIL - EMBED_FLOOR), 0.0), 1.0)
                scores[i] = max(scores[i], (1 - EMBED_WEIGHT) * scores[i] + EMBED_WEIGHT * calibrated)
        for i in rows:  # an overview is answered from items: a section without any is a weaker match
            scores[i] *= 1.0 if len(self.sections[i].items) >= 2 else 0.8
        best = sorted(rows, key=lambda i: (-scores[i], self.sections[i].level))[:k]
        return [(self.sections[i], round(scores[i], 4)) for i in best]

    def _query(self, question: str, doc_id: str) -> tuple[list[str], str]:
        """The question's words that can name a section: no place, no question words."""
        text = normalise(question)
        for place in sorted(self._places.get(doc_id, ()), key=len, reverse=True):
            text = text.replace(place, "")
        tokens = [t for t in _tokens(text) if t not in QUESTION_WORDS and len(t) > 1 or t.isdigit()]
        return tokens, text

    def _lexical(self, question: str, row: int) -> float:
        """When the question names a section concept (挑战, 目标, 举措…), half the score is whether the
        section's heading names the same concept; the rest is the F1 of the question's words against the
        heading or its best clause (rare words weigh more; the ancestors' headings may cover a word such
        as the year but do not dilute), or the heading's characters in order. A list introduced by a
        sentence is also matched, damped, on that sentence ("我们也清醒认识到：……困难……")."""
        section = self.sections[row]
        tokens, text = self._query(question, section.doc_id)
        title = normalise(bare_title(section.title))
        if not tokens or not title:
            return 0.0
        context = normalise("".join(section.title_path[:-1]))
        clauses = [title] + [c for c in re.split(r"[，,、：:]", title) if len(c) >= 2 and c != title]
        words = max((self._overlap(tokens, text, c, set(_tokens(c)), context), c) for c in clauses)
        score = max(words[0], _in_order(title, text))
        named = concepts_of(title) | self._item_concepts[row]
        if section.kind != "heading":  # an author's heading names its section; a list's clause may not,
            lead = normalise(section.lead)  # and a quoted name never does: the sentence around it does
            named = named | concepts_of(lead) if section.kind == "named" else named or concepts_of(lead)
            on_lead = self._overlap(tokens, text, lead, set(_tokens(lead)), context, True)
            score = max(score, LEAD_WEIGHT * on_lead + NAME_TIE * score)
        asked = asked_concepts(text)
        if not asked:
            return score
        return 0.5 * bool(asked & named) + 0.5 * score

    def _overlap(self, tokens: list[str], text: str, title: str, title_tokens: set[str], context: str,
                 recall_only: bool = False) -> float:
        weight = lambda t: self._idf.get(t, self._default_idf)  # noqa: E731
        q_concepts, t_concepts = asked_concepts(text), concepts_of(title)
        hit = lambda t: t in title or t in title_tokens or t in context or bool(asked_concepts(t) & t_concepts)  # noqa: E731
        recall = sum(weight(t) for t in set(tokens) if hit(t)) / sum(weight(t) for t in set(tokens))
        if recall_only:
            return recall
        title_hit = sum(weight(t) for t in title_tokens if t in text or bool(concepts_of(t) & q_concepts))
        precision = title_hit / max(sum(weight(t) for t in title_tokens), 1e-9)
        return 2 * recall * precision / (recall + precision) if recall and precision else 0.0

    def _cosines(self, question: str, rows: list[int]) -> np.ndarray:
        if self._vectors is None:
            texts = [" > ".join(bare_title(t) for t in s.title_path) + "：" + s.lead[:60] for s in self.sections]
            self._vectors = np.asarray(self.embed(texts), dtype="float32")
        query = np.asarray(self.embed([question]), dtype="float32")[0]
        return self._vectors[rows] @ query


def _item_concepts(section: Section) -> set[str]:
    """The concept a section's items are named by: most of them end in it (一是深化……工程, 二是……工程)."""
    heads = [concepts_of(item.lead[-4:]) for item in section.items if item.depth == 0]
    counts = Counter(c for head in heads for c in head)
    return {c for c, n in counts.items() if n >= 2 and 2 * n >= len(heads)}


def _in_order(title: str, text: str) -> float:
    """A heading whose characters all appear in order in the question (an abbreviation such as 高胶一体化
    for 高密-胶州一体化 reads the other way): share of the heading found, only for headings of 3+ characters."""
    if len(title) < 3:
        return 0.0
    at, found = 0, 0
    for char in title:
        pos = text.find(char, at)
        if pos >= 0:
            found, at = found + 1, pos + 1
    return found / len(title) if found == len(title) else 0.0


# ---- answer ----------------------------------------------------------------------------------------
NAME_ITEM = 8  # an item no longer than this, with nothing after it, is a name ('册亨', '国家级高新区')
def overview_answer(section: Section, question: str = "") -> tuple[str, list[str]]:
    """All items of the section as lines "（一）lead：text [n]", and the chunk ids in citation order ([n] is
    the n-th id). Items of an item are indented under it with the same citation scheme. Ordinals and the
    count are written in Chinese numerals: a digit in an answer is a figure, checked against the passages."""
    cited: list[str] = []
    count = sum(i.depth == 0 for i in section.items)
    lines = [f"“{bare_title(section.title) or section.title}”包括以下{_numeral(count)}项："]
    if all(i.depth == 0 and len(i.lead) <= NAME_ITEM and not _short(i) for i in section.items):
        return lines[0] + _names(section.items, cited), cited
    number = 0
    for item in section.items:
        if item.chunk_id and item.chunk_id not in cited:
            cited.append(item.chunk_id)
        ref = f" [{cited.index(item.chunk_id) + 1}]" if item.chunk_id else ""
        body = _short(item)
        for end in "。；":  # each sentence of the item carries its source, not only the last
            body = body.replace(end, ref.strip() + end) if ref else body
        if item.depth == 0:
            number += 1
            lines.append(f"（{_numeral(number)}）{item.lead}{'：' + body if body else ''}{ref}")
        else:
            lines.append(f"    - {item.lead}{'：' + body if body else ''}{ref}")
    return "\n".join(lines), cited


def _names(items: list[Item], cited: list[str]) -> str:
    """Items that are bare names (counties, parks) in one sentence, as the documents list them
    ('甲县、乙县、丙县[1]'), each run from one chunk cited once: numbered lines of two characters would
    read as the documents' own headings."""
    runs: list[tuple[str, list[str]]] = []
    for item in items:
        if item.chunk_id and item.chunk_id not in cited:
            cited.append(item.chunk_id)
        ref = f"[{cited.index(item.chunk_id) + 1}]" if item.chunk_id else ""
        if runs and runs[-1][0] == ref:
            runs[-1][1].append(item.lead)
        else:
            runs.append((ref, [item.lead]))
    return "；".join("、".join(names) + ref for ref, names in runs) + "。"


def _numeral(n: int) -> str:
    """1-99 in Chinese numerals (一, 十二, 二十三)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else "十" if tens == 1 else _CN[tens - 1] + "十"
    return head + (_CN[ones - 1] if ones else "") if n else "零"


def _short(item: Item) -> str:
    """The item's text after its lead phrase, cut at the last sentence end within SNIPPET characters (a
    clause end when no sentence ends there): a cited snippet should be something the passage says."""
    text = normalise(item.text)
    lead = normalise(item.lead)
    at = text.find(lead)
    rest = text[at + len(lead):] if at >= 0 else text
    rest = rest.lstrip("。；;：:，,")
    if len(rest) <= SNIPPET:
        return rest
    cut = max(rest.rfind(c, 0, SNIPPET) for c in "。；;")  # whole sentences where they fit, else whole clauses
    if cut <= 20:
        cut = max(rest.rfind(c, 0, SNIPPET) for c in "，,")
    return rest[: cut if cut > 20 else SNIPPET] + "……"


def overview_prompt(section: Section, question: str) -> str:
    """A prompt asking the model only to join the listed items into sentences, keeping their words and
    their [n] marks (the items come from overview_answer, numbered as its citations)."""
    listed, _ = overview_answer(section, question)
    return (
        f"问题：{question}\n\n以下是文件中“{section.title}”部分列出的全部要点，每条后的[n]为出处：\n{listed}\n\n"
        "请把以上要点逐条连成通顺的中文句子回答问题：不得遗漏任何一条，不得增加要点以外的内容，"
        "尽量保留原文措辞，并在每条后保留原有的[n]标注。"
    )

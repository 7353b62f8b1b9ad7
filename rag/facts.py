"""The figure index: every figure a document states, in prose and in table cells, read ONCE when the
document is chunked into records with a schema (value, unit, measure, subject, year, role, span, page),
so no later step re-reads figures with its own pattern. A record is built from the sentence around the
number: the measure is the phrase before it (or the one the sentence named last: '实现地区生产总值67665亿元，
增长5.5%'), the subject the place the clause names or the document is about, the year the one the sentence
or its section states, resolved against the document's own year ('去年' in a 2026 report is 2025) or the
plan period's base and target years, and the role from the vocabulary's cue words. Tables give the year
from their header row and the measure from the row's name cell.

`FigureIndex` answers "which figures state this measure, for these places and years" by meaning: exact,
synonym and abbreviation matches of the measure phrase, and the embedding cosine of distinct measure
phrases (each embedded once), then filtered by subject, year and role."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from difflib import SequenceMatcher
from functools import lru_cache

import numpy as np

from rag.numbers import Quantity, find_quantities, halfwidth, years_as_digits
from rag.types import Chunk, Document
from rag.vocabulary import (
    ACHIEVED_CUES, ADMIN_SUFFIXES, AVERAGE_WORDS, BOUND_BEFORE, COMPARED_WITH, COUNT_DIMENSIONS, DECLINE_WORDS,
    GENERIC_TAILS, INCREASE_WORDS, LOOKING_AHEAD, LOOKING_BACK, MEASURE_END_VERBS, MEASURE_HEADS, MEASURE_MODIFIERS,
    MILESTONE_WORDS, NEW_THINGS, OWN_PLACE_WORDS, PLACE_LOCATIVES, PLAN_NAME, PLAN_PERIOD, PLAN_WORD, RATE_SUFFIXES,
    RELATIVE_SPANS, RELATIVE_YEARS, ROLE_NAMES, SHARE_CUES, TABLE_EMPTY_CELLS, TABLE_MEASURE_HEADERS,
    TABLE_NON_MEASURES, TABLE_RATE_HEADERS, TARGET_CUES, TO_LEVEL, VALUE_ADDED, WEAK_TARGET_CUES, canonical_measure,
    ZONE_WORDS, alternation, dimension_of, is_admin_place, plan_base_target, plan_name, plan_number, plan_of_year,
    short_place_forms,
)


@dataclass
class Figure:
    """One figure a document states. `start`/`end` point into the chunk's text; `role` is what the number
    is (rank, share, rate, change, count, else its status); `status` whether it is achieved (actual), planned
    (target) or a plan's starting point (base)."""

    value: float
    unit: str
    dimension: str
    text: str  # the figure as written: '67665亿元', '5%左右'
    measure: str  # as written: '实现地区生产总值'
    canonical: str  # the measure in standard words: '地区生产总值'
    subject: str
    year: int | None
    period: str  # the plan period or span it belongs to: '十四五', '2021-2025', ''
    role: str
    status: str
    doc_id: str
    chunk_id: str
    start: int
    end: int
    page: int | None
    sentence: str
    low: float | None = None
    high: float | None = None
    bound: str = ""
    title: str = ""
    heading_path: str = ""
    parts: list[float] | None = None  # a ratio's terms
    offset: int = -1  # where the figure stands in the document's text (for a table cell: its row's measure cell)
    average: bool = False  # a yearly average over a span ('年均增长6%'), not the year's own figure
    since: int | None = None  # the year a change is counted from: '较“十二五”末减少75万吨' -> 2015

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Figure:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def shown(self) -> str:
        """The value as a reader would write it back: '5.5%', '67665亿元', '5%-6%'."""
        number = _fmt(self.value) if self.high is None or self.high == self.low else f"{_fmt(self.low)}-{_fmt(self.high)}"
        return f"{number}{self.unit}"


def _fmt(x: float | None) -> str:
    return "" if x is None else (f"{x:.0f}" if float(x).is_integer() else f"{x:g}")


# -- the document's own time -------------------------------------------------------------------------------

_DATE_LINE = re.compile(r"^[\s—\-（(]*((?:19|20)\d{2})\s?年\s?\d{1,2}\s?月|((?:19|20)\d{2})\s?年\s?\d{1,2}\s?月(?:\s?\d{1,2}\s?日)?\s*$")
_DOC_NUMBER = re.compile(r"〔\s*((?:19|20)\d{2})\s*〕|\[\s*((?:19|20)\d{2})\s*\]")
_YEAR_WORD = re.compile(r"(?<!\d)((?:19|20)\d{2})\s?年")
_YEAR_RANGE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s?年?\s?[-—–~至到]\s?((?:19|20)\d{2})(?!\d)")
_REVIEW_HEADING = re.compile(r"((?:19|20)\d{2})\s?年\s?(?:工作)?回顾")


def _years_as_digits(text: str) -> str:
    """'二〇三五年' / '二O二一年' -> '2035年' (length kept: one digit for one numeral)."""
    text = halfwidth(text)
    return years_as_digits(text)


def document_year(document: Document) -> int | None:
    """The year the document was written in: a date line near its top ('2026年2月3日在…', '二O二一年十月'),
    its document number ('〔2021〕12号'), a year in its title outside brackets ('2026年…政府工作报告'), a
    'YYYY年工作回顾' heading (+1), or the first year of the plan its title names; None when nothing says."""
    head = [_years_as_digits(line) for line in document.text.splitlines()[:40]]
    for line in head:
        m = _DATE_LINE.search(line)
        if m:
            return int(m.group(1) or m.group(2))
    for line in head:
        m = _DOC_NUMBER.search(line)
        if m:
            return int(m.group(1) or m.group(2))
    title = re.sub(r"[（(][^）)]*[）)]", "", _years_as_digits(document.title))
    m = _YEAR_WORD.search(title)
    if m and not _YEAR_RANGE.search(title) and not PLAN_PERIOD.search(title):  # a plan's title names its vision year
        return int(m.group(1))
    m = _REVIEW_HEADING.search(_years_as_digits(document.text[:20000]))
    if m:
        return int(m.group(1)) + 1
    plan = document_plan(document)
    return plan[0] + 1 if plan else None


def document_plan(document: Document) -> tuple[int, int] | None:
    """(base year, target year) of the plan the document is: a five-year plan its title or opening names
    (十四五: 2020, 2025), or a year range in its title ('实施方案(2024-2025年)': 2023, 2025)."""
    head = _years_as_digits(document.title + "\n" + document.text[:600])
    m = PLAN_PERIOD.search(head)
    if m:
        return plan_base_target(plan_number(m.group(1) or m.group(2)))
    m = _YEAR_RANGE.search(_years_as_digits(document.title))
    if m:
        return int(m.group(1)) - 1, int(m.group(2))
    return None


@dataclass
class _DocContext:
    """What every figure of one document is read against."""

    document: Document
    year: int | None
    plan: tuple[int, int] | None
    subject: str
    report: bool  # a yearly report (looks back one year) rather than a plan (looks ahead to its target year)

    def default_year(self, status: str) -> int | None:
        if self.plan and not self.report:
            return self.plan[1] if status == "target" else self.plan[0]
        if self.year is None:
            return None
        return self.year if status == "target" else self.year - 1


# -- places ---------------------------------------------------------------------------------------------

_ZONE = re.compile(r"((?:(?![全在的和与及各等个国省市])[\u4e00-\u9fff]){2,4}?)(" + alternation(ZONE_WORDS) + ")")


@lru_cache(maxsize=1)
def _posseg():
    import jieba
    import jieba.posseg

    jieba.setLogLevel(60)
    return jieba.posseg.dt


@lru_cache(maxsize=20000)
def _tagged(text: str) -> tuple[tuple[str, str], ...]:
    """A short phrase's words with their part-of-speech tags, cut by jieba once."""
    return tuple((w.word, w.flag) for w in _posseg().cut(text))


_ORGANISATION_PLACE = re.compile(r"[\u4e00-\u9fff]{2,8}?(?:" + alternation(ADMIN_SUFFIXES) + ")")  # '四川省人民政府'


@lru_cache(maxsize=20000)
def _places_in(text: str) -> tuple[str, ...]:
    """Administrative places a short text names, in order ('成都市', '宁夏回族自治区'): jieba's place tag
    and an administrative suffix, or a known development zone's name."""
    found = [m.group(0) for m in _ZONE.finditer(text) if _names_zone(m.group(1))]
    if any(s in text for s in ADMIN_SUFFIXES):
        words = _tagged(text)
        for i, (word, flag) in enumerate(words):
            nxt = words[i + 1][0] if i + 1 < len(words) else ""
            after_place = i > 0 and bool(found) and words[i - 1][0] == found[-1]
            organisation = _ORGANISATION_PLACE.match(word) if flag == "nt" else None
            if (flag.startswith("ns") or (after_place or i == 0) and len(word) <= 5) and is_admin_place(word):
                found.append(word)  # jieba tags '高密市' after '潍坊市' or opening a clause as a plain noun
            elif organisation and is_admin_place(organisation.group(0)):
                found.append(organisation.group(0))  # '四川省人民政府'
            elif flag.startswith("ns") and nxt[:1] in "省市县区州" and is_admin_place(word + nxt[:1]):
                found.append(word + nxt[:1])  # '贵州' + '省第…'

    return tuple(found)


def _names_zone(prefix: str) -> bool:
    """The words before a zone's kind name it ('淄博高新区'), unless they are a verb or adverb acting on the
    zone the document is about ('争取高新区内…', '推动经开区…')."""
    return not any(flag[:1] in ("v", "d", "p") for _, flag in _tagged(prefix))


# a title's leading place before the kind of document: '甲县国民经济和社会发展…', '乙市人民政府关于…'
_TITLE_PLACE = re.compile(r"^\s*([\u4e00-\u9fff]{1,8}?(?:" + alternation(ADMIN_SUFFIXES) + r"))(?=国民经济|人民政府|政府工作|县域|关于|“?"
                          + PLAN_WORD + ")")


def document_subject(document: Document) -> str:
    """The place the document is about: the most specific place of the first run of places in its title
    ('(山东省)潍坊市高密市…规划' -> '高密市'; '2026年四川省人民政府工作报告' -> '四川省')."""
    title = re.sub(r"^\s*[（(]([^）)]*)[）)]", r"\1", document.title)
    zone = _ZONE.search(title)
    if zone:
        return zone.group(0)
    places = _places_in(title) or _TITLE_PLACE.findall(title)
    if not places:  # '政府工作报告' / '——2026年1月28日在云南省第十四届人民代表大会…': the opening names it
        title = document.text[:300]
        places = _places_in(title) or _places_in(document.path)
        if not places:
            return ""
    run = [places[0]]
    for place in places[1:]:
        if title.find(place) - (title.find(run[-1]) + len(run[-1])) > 1:
            break
        run.append(place)
    return run[-1]


# -- one figure's measure, time, subject and role --------------------------------------------------------

_CLAUSE_MARKS = "，,；;。！？!?：:"
_TIME_WORDS = re.compile(
    r"(?:到|至|在|截至|截止)?(?:(?:19|20)\d{2}\s?年(?:底|末|初|前|上半年|全年)?|[“\"]?" + PLAN_WORD + r"[”\"]?"
    r"(?:期间|时期|末|期末|初)?|" + "|".join(sorted(RELATIVE_YEARS, key=len, reverse=True)) + "|"
    + "|".join(RELATIVE_SPANS) + r"|全年|年内|当前|目前|现在|届时)"
)
_LEAD_WORDS = re.compile(
    r"^(?:其中|同时|并|且|使|让|推动|促进|带动|预计|力争|确保|争取|实现|完成|达到|累计|共|全年|年均|平均|总计|合计|共计|"
    r"主要预期目标是|预期目标是|目标是|主要目标是|经济社会发展的主要预期目标是|[和与及、的]|是|为|有|将|要)+"
)
_TAIL_WORDS = re.compile(
    r"(?:分别|达到|达|实现|完成|突破|超过|超|逾|为|是|有|约|近|保持|保持在|控制在|稳定在|增至|提高到|提升到|提高至|提升至|"
    r"下降到|降至|降低到|增长到|提高|提升|增长|增加|下降|降低|减少|同比|比上年|较上年|年均|平均|共|累计|总计|合计|"
    r"达到了|了|的|在|以上|以内|左右|和|与|及|、|力争|预计|目标|预期|均|各|共计|占|人均|从|由|逐年|持续|不断|稳步|上升|"
    r"迈上|跃上|跨上|连跨|继续|稳定在|稳定|首次|再次|" + "|".join(sorted(BOUND_BEFORE, key=len, reverse=True)) + r")+$"
)


def _within(text: str) -> str:
    """What follows a place, without the word saying it lies within it ('高新区内高新技术企业数量': the zone's
    own firms are counted)."""
    within = next((w for w in PLACE_LOCATIVES if text.startswith(w) and len(text) > len(w) + 1), "")
    return text[len(within):]


def _measure_before(clause: str) -> str:
    """The measure phrase in the clause before a figure: time words and verbs dropped from its ends."""
    text = _TIME_WORDS.sub("", clause)
    text = re.sub(r"[（(][^）)]*[）)]?|[“”\"《》\s]", "", text)
    for _ in range(3):
        text = _LEAD_WORDS.sub("", text)
        for place in OWN_PLACE_WORDS:
            if text.startswith(place):
                text = text[len(place):]
        for place in _places_in(text):
            if text.startswith(place):
                text = _within(text[len(place):])
        text = _TAIL_WORDS.sub("", text)
    return text[-24:]


_RANK_TAIL = re.compile(r"(?:均|分别|位|继续|稳|保持|上升|提升|跃升|前移|由|跃居至|跃居|升至|上升至|提升至)*(?:居|列|排名|排|位列|位居|保持|升至)?"
                        r"(?:全国|全省|全市|全区|西部|中部|东部|东北|全球|世界|同类城市|省会城市|各市州?)?(?:首位|第)?\s?$")
_COMPARATIVES = ("比", "较", "同比", "环比") + INCREASE_WORDS + DECLINE_WORDS
_VERBS_AFTER = INCREASE_WORDS + DECLINE_WORDS + MEASURE_END_VERBS + ("增至", "降至", "提高到", "下降到", "达")
_GENERIC_RANKED = ("总量", "增速", "总量和增速", "增速和总量", "规模", "排名", "位次")


def _measure_after(text: str, end: int) -> str:
    """A counted thing named after its number: '建成3个国家级产业园' -> '国家级产业园', '14个村庄入选…' -> '村庄';
    nothing when a verb follows ('689万户增至951万户')."""
    tail = re.match(r"[^，,；;。、：:（(\d]{2,16}", text[end:])
    if not tail:
        return ""
    phrase = tail.group(0).lstrip("的")
    if phrase.startswith(_VERBS_AFTER) or _starts_with_verb(phrase):
        return ""  # '由162个整合为123个': what follows is what happened, not what was counted
    words = "|".join(sorted(MEASURE_END_VERBS + tuple(BOUND_BEFORE), key=len, reverse=True))
    return _before_adverb(re.split(rf"[和与及等]|{words}", phrase)[0].strip("“”\" "))


@lru_cache(maxsize=20000)
def _before_adverb(phrase: str) -> str:
    """'民生实事项目如期' -> '民生实事项目': the counted noun ends where an adverb or time word begins."""
    out = ""
    for word, flag in _tagged(phrase):
        if out and flag in ("d", "ad", "t"):
            break
        out += word
    return out


def _only_verb(phrase: str, clause: str) -> bool:
    """The phrase before a figure is only what happened to it ('调整为', '提升到'): it names no measure."""
    words = _tagged(phrase)
    verb = len(words) == 1 and words[0][1].startswith("v")
    return verb and (words[0][1] != "vn" or clause.rstrip().endswith(TO_LEVEL))


@lru_cache(maxsize=20000)
def _starts_with_verb(phrase: str) -> bool:
    """'整合为123个': a verb, then what it turned into."""
    words = _tagged(phrase[:8])
    return len(words) > 1 and words[0][1].startswith("v") and words[0][1] != "vn" and words[1][0][:1] in "为成至到"


def _names_counted_noun(sentence: str, end: int, unit: str) -> bool:
    """In 'N + classifier + noun' the noun is what is counted ('5条铁路专用线'); a count that ends its
    clause ('企业数量达到354家，') or modifies with 的 ('3400万人的工程') names it before. An amount may name
    its thing after 的 ('31.5公里的环海路')."""
    nxt = sentence[end:end + 1]
    stops = "以左上下余多及和与等" + ("的" if dimension_of(unit) in COUNT_DIMENSIONS else "")
    return bool(re.match(r"[\u4e00-\u9fff“\"]", nxt)) and nxt not in stops


def _measure(q: Quantity, sentence: str, clause: str, said: _Said) -> str:
    """The measure phrase of a prose figure: the counted noun after it, the phrase before it, or what the
    sentence measured last ('实现地区生产总值67665亿元，增长5.5%')."""
    ranked = q.unit in ("位", "名") and re.search(r"第\s?$", clause)
    before = _measure_before(_RANK_TAIL.sub("", clause) if ranked else clause)
    if ranked:
        return said.measure if len(before) < 2 or before.startswith(_GENERIC_RANKED) else before
    new = re.search("(?:" + "|".join(NEW_THINGS) + ")$", re.sub(r"[\s“”\"]", "", clause))
    counted = dimension_of(q.unit) in COUNT_DIMENSIONS or len(before) <= 2  # '设立10亿元绿色发展基金'
    if counted and _names_counted_noun(sentence, q.end, q.unit):
        after = _measure_after(sentence, q.end)
        if len(after) >= 2:
            return (new.group(0) if new else "") + after
    if new and len(before) <= len(new.group(0)):
        return new.group(0) + _measure_after(sentence, q.end)  # '新增2所以上民办学校'
    if before.startswith("占") and said.measure:
        return said.measure + before  # '…354家，占全市的39%'
    # '调整为8∶40∶52': what happened to the figure, no measure
    if len(before) < 2 or before.rstrip("".join(TO_LEVEL)) in _COMPARATIVES or _only_verb(before, clause):
        after = "" if q.direction or q.compared else _measure_after(sentence, q.end)
        if len(after) >= 2:
            return after
        # '…，三次产业结构进一步优化，调整为…': a clause between names the measure; a list of places
        # ('…，青州市达到800亿元左右，高密市达到750亿元左右') keeps the one the sentence named first
        named = "" if _places_in(clause) else _previous_clause_measure(sentence, q.start, said.end)
        return named if len(named) >= 2 else said.measure or _previous_clause_measure(sentence, q.start)
    return before


def _previous_clause_measure(sentence: str, at: int, after: int = -1) -> str:
    """'本科进线率逐年上升,2016年为40%': the measure named in the clause before the figure's own; with
    `after`, only a clause that starts after that point (not the one stating the figure before)."""
    head = sentence[:at]
    cut = max(head.rfind(mark) for mark in _CLAUSE_MARKS)
    if cut <= 0:
        return ""
    start = max(head.rfind(mark, 0, cut) for mark in _CLAUSE_MARKS) + 1
    if after >= 0 and start < after:
        return ""
    return _to_head(_measure_before(head[start:cut]))


@lru_cache(maxsize=20000)
def _to_head(phrase: str) -> str:
    """'地区生产总值跨上新台阶' -> '地区生产总值': a clause naming a measure, then what it did, is cut at the
    verb after the measure's head word ('城镇新增就业' is kept: nothing before its verb is a measure)."""
    if phrase.endswith(MEASURE_HEADS):
        return phrase
    done = ""
    for word, flag in _tagged(phrase):
        if done.endswith(MEASURE_HEADS) and flag[:1] in ("v", "d", "a"):
            return done
        done += word
    return phrase


_FROM = re.compile(r"(?:从|由)\s?[“\"]?(?:(?:19|20)\d{2}\s?年|" + PLAN_WORD + r"[”\"]?末?|上年)?的?\s?第?\s?$")


def _from_year(clause: str, headings: str, before: str, ctx: _DocContext, after: str = "") -> int | None:
    """The year of a from-value ('经营主体从689万户增至951万户'): the year written after 从, else the base
    year of the plan period the sentence or its section reviews or whose last year the to-value is said for
    (`after`, the rest of the clause: '由A调整为2020年的B' in a plan looks back over 2016-2020), else the year
    before the document's ('由上年': the year before the one its section reviews)."""
    m = _FROM.search(clause)
    if not m:
        return None
    if "上年" in m.group(0):  # '常住人口由上年500万人增加到505万人': the year before the one reviewed
        reviewed = _explicit_year(headings) or (ctx.year - 1 if ctx.year else None)
        return reviewed - 1 if reviewed else None
    written = _years_before(m.group(0))
    if written:
        return written[-1][1] if "十" not in m.group(0) else plan_base_target(plan_of_year(written[-1][1]))[1]
    period = _plan_period_of(before) or _plan_period_of(headings)
    if period:
        return plan_base_target(plan_number(period[1]))[0]
    to = _years_before(after)
    if to and ctx.plan and to[0][1] == plan_base_target(plan_of_year(to[0][1]))[1]:
        return plan_base_target(plan_of_year(to[0][1]))[0]
    return ctx.year - 2 if ctx.year else None


def _years_before(text: str) -> list[tuple[int, int]]:
    """(position, year) of every explicit year or plan-period end in a text."""
    found = [(m.start(), int(m.group(2))) for m in _YEAR_RANGE.finditer(text)]
    found += [(m.start(), int(m.group(1))) for m in _YEAR_WORD.finditer(text) if not any(s <= m.start() < s + 12 for s, _ in found)]
    for m in re.finditer(PLAN_NAME, text):
        found.append((m.start(), plan_base_target(plan_number(m.group(1)))[1]))
    return sorted(found)


def _plan_period_of(text: str) -> str:
    """The plan period a text places its figure in ('“十三五”期间'), not one it compares with ('较“十二五”末')."""
    for m in reversed(list(PLAN_PERIOD.finditer(text))):
        if not _COMPARED_YEAR.search(text[:m.start()]):
            return plan_name(plan_number(m.group(1) or m.group(2)))
    return ""


def _relative_year(text: str, year: int | None) -> tuple[int | None, str]:
    """'去年' / '今年' / '过去五年' in the text, resolved against the document's year."""
    if year is None:
        return None, ""
    best = None
    for word, offset in RELATIVE_YEARS.items():
        at = text.rfind(word)
        if at >= 0 and (best is None or at > best[0]):
            best = (at, year + offset, "")
    for word, span in RELATIVE_SPANS.items():
        at = text.rfind(word)
        if at >= 0 and (best is None or at > best[0]):
            best = (at, year - 1, f"{year - span}-{year - 1}")
    return (best[1], best[2]) if best else (None, "")


def _status(before: str, headings: str, year: int | None, ctx: _DocContext) -> str:
    """target when its year lies ahead of the document or the sentence plans it; actual when its year is
    past, the section looks back (or at an earlier plan) or the sentence says it is done. Quoted names
    ('“国家重点人才工程计划”') say nothing about time."""
    if year is not None and ctx.year is not None and (year > ctx.year or year == ctx.year and ctx.report):
        return "target"
    if year is not None and ctx.year is not None and year < ctx.year:
        return "actual"
    before = re.sub(r"“[^”]*”", "", before)
    clause = re.split(r"[，,；;：:]", before)[-1]
    if any(c in clause for c in TARGET_CUES) or re.search(r"到(?:19|20)\d\d", before):
        return "target"
    earlier_plan = ctx.plan and any(y <= ctx.plan[0] for _, y in _years_before(headings))
    if any(w in headings for w in LOOKING_BACK) or earlier_plan:
        return "actual"
    if any(w in headings for w in LOOKING_AHEAD) or any(c in before for c in TARGET_CUES + WEAK_TARGET_CUES):
        return "target"
    if any(c in before for c in ACHIEVED_CUES):
        return "actual"
    return "actual" if ctx.report else "target" if ctx.plan else "actual"


_PEOPLE = r"(?:人口|人数|人员|人才|户数|人次|游客|群众|居民|职工|农民|学生)$"


def _role(quantity: Quantity, measure: str, status: str, before: str) -> str:
    if quantity.unit in ("位", "名") and re.search(r"第\s?$", before):
        return "rank"
    if quantity.parts:
        return "share"
    if quantity.unit in ("%", "个百分点") and quantity.direction == "" and re.search("|".join(SHARE_CUES), measure + before[-8:]):
        return "share"
    relative = quantity.unit in ("%", "倍", "成")
    if quantity.unit == "个百分点" or quantity.direction and not relative:
        return "change"
    multiple = quantity.unit == "倍" and re.search(r"是[^，,；;。]{0,16}的", before[-24:])  # '是2015年的1.2倍'
    if quantity.direction or re.search(r"(?:增速|增长率|增幅|增长)$", measure) or multiple:
        return "rate"
    if dimension_of(quantity.unit) in COUNT_DIMENSIONS or dimension_of(quantity.unit) == "number" and re.search(_PEOPLE, measure):
        return "count"  # '常住人口达到155万' counts people
    return status


# -- prose -------------------------------------------------------------------------------------------------

_SENTENCE = re.compile(r"[^。！？；;!?]+[。！？；;!?]?")
_COMPARED_YEAR = re.compile(r"(?:比|较|与|同|相比|对比|是|从|由)\s?[“\"]?\s?$")


@dataclass
class _Said:
    """What the sentence said before the current figure, inherited by a figure whose clause names nothing
    ('实现地区生产总值67665亿元，增长5.5%')."""

    measure: str = ""
    subject: str = ""
    end: int = 0
    year: int | None = None
    average: bool = False


def _explicit_year(before: str) -> int | None:
    """The last year the text names before the figure, not one it compares with ('比2020年增长')."""
    years = [(at, y) for at, y in _years_before(before) if not _COMPARED_YEAR.search(before[:at])]
    return years[-1][1] if years else None


def _clause_start(sentence: str, at: int, floor: int) -> int:
    cut = max(sentence.rfind(mark, floor, at) for mark in _CLAUSE_MARKS)
    return max(cut + 1, floor)


def _clause_end(sentence: str, at: int) -> int:
    return min((i for i in (sentence.find(mark, at) for mark in _CLAUSE_MARKS) if i >= 0), default=len(sentence))


def _subject(clause: str, ctx: _DocContext, said: _Said) -> str:
    """The place the clause names (not one above the document's own, named in its title), else the one
    the sentence named for the figure before, else the document's."""
    title = ctx.document.title
    named = [p for p in _places_in(clause) if (p == ctx.subject or p not in title) and p + "级" not in clause]
    return named[-1] if named else said.subject or ctx.subject


def _figure_in_sentence(q: Quantity, sentence: str, ctx: _DocContext, said: _Said, headings: str,
                        lead: str = "") -> dict:
    """The fields of one prose figure that come from its sentence (and the `lead` introducing the list it
    is an item of) and section."""
    clause = sentence[_clause_start(sentence, q.start, said.end):q.start]
    measure = _measure(q, sentence, clause, said)
    subject = _subject(clause, ctx, said)
    forms = set().union(*(short_place_forms(p) for p in {ctx.subject, subject} if p))
    for form in sorted(forms, key=len, reverse=True):
        if measure.startswith(form) and len(measure) > len(form) + 1:
            measure = _within(measure[len(form):])  # the place is the figure's subject, not part of its measure
            break
    before = sentence[:q.start]
    explicit = _explicit_year(before) or _explicit_year(lead)
    relative, span = _relative_year(before, ctx.year) if explicit is None else (None, "")
    if explicit is None and relative is None:
        relative, span = _relative_year(lead, ctx.year)
    heading_year = _explicit_year(headings)
    listed = said.year is not None and re.fullmatch(r"\s?[、和与及]\s?", clause) is not None
    after = sentence[q.end:_clause_end(sentence, q.end)]
    year = _from_year(clause, headings, before, ctx, after) or (said.year if listed else None) or explicit or relative
    status = _status(lead + before, headings, year or heading_year, ctx)
    year = year or heading_year or ctx.default_year(status)
    period = _plan_period_of(before) or span or (_plan_period_of(headings) if not (explicit or _YEAR_WORD.search(headings)) else "")
    said.measure, said.subject, said.end, said.year = measure or said.measure, subject, q.end, year
    average = any(w in clause for w in AVERAGE_WORDS) or listed and said.average  # '年均增长6.9%和7.5%'
    said.average = average
    if average and not period and year:
        period = plan_name(plan_of_year(year))
    return {"measure": measure, "subject": subject, "year": year, "period": period, "status": status,
            "role": _role(q, measure, status, before), "average": average,
            "since": _since(clause) if q.compared else None}


def _since(clause: str) -> int | None:
    """The year a change is stated against ('较“十二五”末减少75万吨' -> 2015, '比2020年增长' -> 2020): the one
    written after the last comparing word of its clause."""
    at = max(clause.rfind(w) for w in COMPARED_WITH)
    written = _years_before(clause[at:]) if at >= 0 else []
    return written[0][1] if written else None


class _ChunkFinder:
    """The chunk holding a span of the document (prose chunks are verbatim spans; overlaps take the first)."""

    def __init__(self, chunks: Sequence[Chunk]):
        self.chunks = sorted((c for c in chunks if c.kind != "table"), key=lambda c: c.start)

    def find(self, start: int, end: int) -> Chunk | None:
        best = None
        for chunk in self.chunks:
            if chunk.start > start:
                break
            if chunk.end >= end:
                return chunk
            best = chunk
        return best


def _record(q: Quantity, fields_: dict, doc: Document, chunk: Chunk | None, at: int, sentence: str, offset: int) -> Figure:
    """A Figure from a quantity and its fields; `at` is the figure's offset in the chunk's text, `offset`
    in the document's."""
    return Figure(
        value=q.value, unit=q.unit, dimension=q.dimension, text=q.text, measure=fields_["measure"],
        canonical=canonical_measure(fields_["measure"]), subject=fields_["subject"], year=fields_["year"],
        period=fields_["period"], role=fields_["role"], status=fields_["status"], doc_id=doc.doc_id,
        chunk_id=chunk.chunk_id if chunk else "", start=at, end=at + (q.end - q.start),
        page=chunk.page_of(at) if chunk else doc.page_at(q.start), sentence=re.sub(r"\s*\n\s*", "", sentence.strip())[:300],
        low=q.low, high=q.high, bound=q.bound, title=doc.title, heading_path=chunk.heading_path if chunk else "",
        parts=list(q.parts) or None, offset=offset, average=fields_.get("average", False), since=fields_.get("since"),
    )


_BREAK = re.compile(r"[。！？；;!?]\s*$")
_HEADING_LINE = 30  # a line shorter than this that ends without punctuation is a heading, not a broken sentence


def _with_leads(sentences: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
    """(offset, sentence, lead): an item of a list a sentence introduces ('今年…主要预期目标是：…；城镇新增
    就业50万人；…') keeps the introduction as its lead, for the time and status the item does not restate."""
    out, lead = [], ""
    for at, sentence in sentences:
        out.append((at, sentence, lead))
        intro = max(sentence.rfind("："), sentence.rfind(":"))
        if sentence.endswith(("；", ";")):
            lead = sentence[:intro + 1] if intro >= 0 else lead
        else:
            lead = ""
    return out


def _prose_sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) of the prose: lines broken inside a sentence (PDF-derived text, even across an
    empty line) are joined; table rows and short heading lines end a run."""
    out, start, offset = [], None, 0
    lines = text.split("\n")
    following = [""] * len(lines)  # the next non-empty line after each line
    for i in range(len(lines) - 2, -1, -1):
        following[i] = lines[i + 1] if lines[i + 1].strip() else following[i + 1]
    for i, line in enumerate(lines):
        table = line.lstrip().startswith("|")
        if not table and start is None and line.strip():
            start = offset
        end_here = table or line.strip() and (_BREAK.search(line) or len(line.strip()) < _HEADING_LINE
                                              or not following[i] or following[i].lstrip().startswith("|"))
        if start is not None and end_here:
            stop = offset + len(line) if not table else offset - 1
            out += [(start + m.start(), m.group(0)) for m in _SENTENCE.finditer(text[start:max(start, stop)])]
            start = None
        offset += len(line) + 1
    return out


def _prose_figures(ctx: _DocContext, chunks: Sequence[Chunk]) -> list[Figure]:
    finder, out = _ChunkFinder(chunks), []
    for at, sentence, lead in _with_leads(_prose_sentences(ctx.document.text)):
        out += _sentence_figures(ctx, finder, sentence, at, lead)
    return out


def _sentence_figures(ctx: _DocContext, finder: _ChunkFinder, sentence: str, at: int,
                      lead: str = "") -> list[Figure]:
    quantities = find_quantities(sentence)
    if not quantities:
        return []
    said, out = _Said(), []
    first = finder.find(at + quantities[0].start, at + quantities[0].end)
    headings = first.heading_path if first else ""
    for q in quantities:
        if not q.unit and not q.parts:
            continue  # a bare number in prose names something ('哪吒2'), it measures nothing
        fields_ = _figure_in_sentence(q, sentence, ctx, said, headings, lead)
        if not fields_["measure"]:
            continue  # a number the sentence says nothing about is not a figure we can index
        chunk = finder.find(at + q.start, at + q.end)
        in_chunk = at + q.start - chunk.start if chunk else at + q.start
        figure = _record(q, fields_, ctx.document, chunk, in_chunk, sentence, at + q.start)
        if not figure.bound and any(w in sentence[q.end:_clause_end(sentence, q.end)] for w in MILESTONE_WORDS):
            figure.bound = ">="  # '迈上5万亿元台阶': a threshold crossed, the level itself is stated elsewhere
        out.append(figure)
    return _distributed(out) if "分别" in sentence else out


def _split_heads(measure: str) -> list[str]:
    """'城镇居民、农村居民人均可支配收入' -> ['城镇居民人均可支配收入', '农村居民人均可支配收入']: the heads
    listed before a shared tail ('一二三产增加值': numerals), each with the tail; the tail starts where the
    last head ends like the first one ('…制造业和装备制造业增加值'), else after as many characters as a short
    first head has."""
    parts, part = [], ""
    for word, _ in _tagged(measure):  # '和' and '及' as words: '普及率' is one
        if word in ("、", "和", "与", "及"):
            parts, part = parts + [part], ""
        else:
            part += word
    parts = [p for p in parts + [part] if p]
    run = re.match(r"[一二三四五六七八九]{2,}", measure)
    if len(parts) < 2 and run:  # '一二三产增加值': the numerals listed before one shared rest
        return [n + measure[run.end():] for n in run.group(0)]
    if len(parts) < 2:
        return [measure]
    first, last = parts[0], parts[-1]
    cuts = [last.rfind(first[i:]) + len(first) - i for i in range(len(first)) if first[i:] in last]
    cut = next((c for c in cuts if last[:c] != first), len(first) if len(first) <= 4 else len(last))
    if last[:cut] == first:  # '农业、林业、农业技改投资': heads are distinct, the shared tail is the last word
        cut = len(last) - len(_tagged(last)[-1][0])
    tail = last[cut:]
    if len(tail) < 2:  # no shared tail: each head is a whole measure ('研发机构覆盖率、数字化车间普及率')
        return parts if all(len(p) >= 3 for p in parts) else [measure]
    return [p if p.endswith(tail) else p + tail for p in parts[:-1]] + [last]


def _distributed(figures: list[Figure]) -> list[Figure]:
    """'分别' gives each of a list of figures its own measure, in order: the k-th of n figures that share a
    listed measure and unit ('城镇居民、农村居民人均可支配收入分别增长5%、6%') takes the k-th head; a second
    run in another unit ('…分别达到4万元和2万元，年均增长6%和7%') is split the same way."""
    i = 0
    while i < len(figures):
        j = i
        same = (figures[i].measure, figures[i].unit)
        while j + 1 < len(figures) and (figures[j + 1].measure, figures[j + 1].unit) == same:
            j += 1
        heads = _split_heads(figures[i].measure)
        if len(heads) == j - i + 1 > 1:
            for figure, head in zip(figures[i:j + 1], heads):
                figure.measure, figure.canonical = head, canonical_measure(head)
        i = j + 1
    return figures


# -- tables ------------------------------------------------------------------------------------------------

def _cells(row: str) -> list[tuple[int, str]]:
    """(offset in the row, stripped text) of each cell."""
    out, at = [], row.index("|") + 1
    for raw in row.strip().strip("|").split("|"):
        lead = len(raw) - len(raw.lstrip())
        out.append((at + lead, raw.strip()))
        at += len(raw) + 1
    return out


def _table_columns(header: list[str]) -> tuple[int | None, dict[int, tuple[int | None, str]]]:
    """The measure column and the value columns: index -> (year, '' or what the column gives over the
    period: 'average' for a yearly average ('年均增速'), 'rate' for another change ('累计'))."""
    measure = next((i for i, c in enumerate(header) if c.replace(" ", "") in TABLE_MEASURE_HEADERS), None)
    values: dict[int, tuple[int | None, bool]] = {}
    for i, cell in enumerate(header):
        m = _YEAR_WORD.search(_years_as_digits(cell)) or re.fullmatch(r"((?:19|20)\d{2})", cell.strip())
        if m:
            values[i] = (int(m.group(1)), "")
        elif cell.replace(" ", "").startswith(TABLE_RATE_HEADERS):
            values[i] = (None, "average" if cell.replace(" ", "").startswith(AVERAGE_WORDS) else "rate")
    if measure is None:
        measure = next((i for i, c in enumerate(header) if i not in values and c.replace(" ", "") not in TABLE_NON_MEASURES), None)
    return measure, values


def _table_cell_figure(ctx: _DocContext, chunk: Chunk, name: str, cell: str, at: int, column: tuple[int | None, str],
                       row: str, offset: int) -> Figure | None:
    quantities = find_quantities(cell.strip("[]【】"))
    if len(quantities) != 1 or cell in TABLE_EMPTY_CELLS:
        return None
    q = quantities[0]
    unit_m = re.search(r"[（(]\s*([^（）()]+?)\s*[）)]\s*$", name)
    measure = re.sub(r"[（(][^）)]*[）)]\s*$", "", name).strip()
    measure = re.sub(r"^(?:[（(]\d+[）)]|\d+[.、．]|[①-⑳])\s*", "", measure)  # '(2)常住人口城镇化率': a list number
    unit = q.unit or (unit_m.group(1) if unit_m else "")
    q = Quantity(q.value, unit, q.start, q.end, q.text, q.low, q.high, q.bound, q.direction, q.compared, q.parts)
    year, rate = column
    base, target = ctx.plan or (None, None)
    status = "base" if year is not None and year == base else "target" if year is None or ctx.year is None or year >= ctx.year else "actual"
    fields_ = {"measure": measure, "subject": ctx.subject, "year": year if year is not None else target,
               "period": plan_name(plan_of_year(target)) if rate and target else "", "status": status,
               "role": "rate" if (rate or measure.endswith(RATE_SUFFIXES)) and unit in ("%", "")  # '…增长速度' rows
               else _role(q, measure, status, ""), "average": rate == "average"}
    return _record(q, fields_, ctx.document, chunk, at, row, offset)


def _table_figures(ctx: _DocContext, chunk: Chunk, inherited: tuple | None) -> tuple[list[Figure], tuple | None]:
    """The figures of a table chunk's cells, and its columns for the next chunk. A table the source broke
    in two (its second part headed by a data row) keeps the columns of the part before it."""
    lines, offsets, at = chunk.text.split("\n"), [], 0
    for line in lines:
        offsets.append(at)
        at += len(line) + 1
    rows = [(o, l) for o, l in zip(offsets, lines) if l.lstrip().startswith("|") and not re.fullmatch(r"[\s|:\-]+", l)]
    if not rows:
        return [], inherited
    header = [c for _, c in _cells(rows[0][1])]
    name_col, columns = _table_columns(header)
    if columns:
        rows, inherited = rows[1:], (name_col, columns, len(header))
    elif inherited and inherited[2] == len(header):
        name_col, columns = inherited[0], inherited[1]
    if name_col is None or not columns:
        return [], inherited
    out, search_from = [], chunk.start
    for offset, row in rows:
        cells = _cells(row)
        if len(cells) <= max(columns) or not re.search(r"[\u4e00-\u9fff]", cells[name_col][1]):
            continue
        found = ctx.document.text.find(cells[name_col][1], search_from)
        row_at = found if found >= 0 else chunk.start
        search_from = max(search_from, row_at)
        for i, column in columns.items():
            figure = _table_cell_figure(ctx, chunk, cells[name_col][1], cells[i][1], offset + cells[i][0], column, row, row_at)
            if figure:
                out.append(figure)
    return out, inherited


def extract_figures(document: Document, chunks: Sequence[Chunk], profile_info: dict | None = None) -> list[Figure]:
    """Every figure the document states, in prose and table cells, with spans into `chunks`' texts.
    `profile_info` may give what the corpus profile knows: {'subject': '高密市', 'year': 2021}."""
    info = profile_info or {}
    year = info.get("year") or document_year(document)
    plan = document_plan(document)
    report = plan is None or "报告" in document.title
    ctx = _DocContext(document, year, plan, info.get("subject") or document_subject(document), report)
    figures = _prose_figures(ctx, chunks)
    columns = None
    for chunk in chunks:
        if chunk.kind == "table":
            found, columns = _table_figures(ctx, chunk, columns)
            figures += found
    return figures


# -- the query side ----------------------------------------------------------------------------------------

MIN_SCORE = 0.6  # below this a measure phrase is not the asked measure
BROWSE_MIN_SCORE = 0.45  # the 指标 view also lists the measure qualified ('研发经费投入增长', '…占地区生产总值比重')
_MODIFIERS = re.compile("|".join(MEASURE_MODIFIERS + SHARE_CUES + ("增速", "增长", "增幅", "率", "密度")))


def _in_order(short: str, long: str) -> bool:
    """The characters of `short` appear in `long` in order: an abbreviation ('研发投入' of '研发经费投入')."""
    it = iter(long)
    return all(ch in it for ch in short)


def _abbreviation(short: str, long: str) -> bool:
    """`short` is `long` with a word or two left out, as people shorten a measure ('空气优良天数' of
    '空气质量优良天数', '城镇人均可支配收入' of '城镇居民人均可支配收入'): the same first character, at most two
    gaps, and most of the characters kept (not '工业增加值' of '工业战略性新兴产业增加值')."""
    if len(short) < 4 or short[0] != long[0] or len(short) < 0.6 * len(long):
        return False
    gaps, it = 0, 0
    for ch in short:
        at = long.index(ch, it)
        gaps, it = gaps + (at > it), at + 1
    return gaps + (it < len(long)) <= 2


def _share_of(measure: str) -> str | None:
    """What a share measures ('X占…比重', 'X占比', 'X比重', 'X结构' -> X; '三次产业结构比例' -> 三次产业);
    None for a measure that is no share. An industry's share of the economy is its value added's:
    'X产业占GDP比重' and 'X产业增加值占…比重' measure one thing."""
    if "占" in measure:
        stem = measure[:measure.index("占")]
    else:
        ending = next((w for w in ("比重", "比例", "占比", "结构") if measure.endswith(w)), "")
        stem = measure[:-len(ending)] if ending else None
        stem = stem[:-2] if stem and stem.endswith("结构") else stem
    valued = stem and stem.endswith(VALUE_ADDED) and len(stem) > len(VALUE_ADDED) + 1
    return stem[:-len(VALUE_ADDED)] if valued else stem


def lexical_similarity(query: str, phrase: str) -> float:
    """1 for the same canonical measure; less for one inside the other or an abbreviation, less again
    when what the longer adds changes the measure ('人均地区生产总值' is not '地区生产总值'); else the
    share of common characters (0-0.6)."""
    if not query or not phrase:
        return 0.0
    if query == phrase:
        return 1.0
    short, long = sorted((query, phrase), key=len)
    stems = {_share_of(query), _share_of(phrase)}
    if len(stems) == 1 and len(stems.pop() or "") >= 2:
        return 0.92  # one thing's share, its whole named or not: 'X占比', 'X占规模以上工业总产值比重'
    extra = long.replace(short, "", 1) if short in long else ""
    if short in long and long.endswith(extra) and extra in GENERIC_TAILS:
        score = 0.95  # the same thing counted: '民生实事' and '民生实事项目', '城镇新增就业人数'
    elif short in long and short == query:
        score = 0.75 + 0.2 * len(short) / len(long)  # the asked measure, qualified: '城镇新增就业人数'
    elif short in long:
        score = 0.5 + 0.4 * len(short) / len(long)  # a fragment of the asked measure: '投入' of '研发投入'
    elif _in_order(short, long) and len(short) >= 3:
        extra = "".join(ch for ch in long if ch not in short)
        score = 0.95 if extra in GENERIC_TAILS else 0.92 if short == query and _abbreviation(short, long) \
            else 0.6 + 0.25 * len(short) / len(long)  # '粮食总产量
    else:
        return 0.6 * SequenceMatcher(None, query, phrase).ratio()
    return score * (0.6 if _MODIFIERS.search(extra) and not _MODIFIERS.search(short) else 1.0)


def same_place(a: str, b: str) -> bool:
    """'高密' and '高密市' name one place; '淄博高新区' and '淄博高新技术产业开发区' too."""
    return a == b or bool(short_place_forms(a) & short_place_forms(b))


class FigureIndex:
    """The figures of an index, searchable by measure (by meaning), place, year and role. `embed` (texts ->
    normalised vectors) adds semantic matching of measure phrases; each distinct phrase is embedded once."""

    def __init__(self, figures: list[Figure], embed: Callable[[list[str]], np.ndarray] | None = None):
        self.figures = figures
        self._embed = embed
        self._by_measure: dict[str, list[int]] = {}
        for i, figure in enumerate(figures):
            self._by_measure.setdefault(figure.canonical, []).append(i)
        self.phrases = list(self._by_measure)
        self._vectors: np.ndarray | None = None

    @classmethod
    def from_stored(cls, stored, embed: Callable[[list[str]], np.ndarray] | None = None) -> FigureIndex:
        return cls([Figure.from_dict(d) for d in stored.records("figures")], embed)

    def _phrase_vectors(self) -> np.ndarray | None:
        if self._embed is None or not self.phrases:
            return None
        if self._vectors is None:
            self._vectors = np.asarray(self._embed(self.phrases), dtype="float32")
        return self._vectors

    def _scores(self, measure: str) -> np.ndarray:
        """Each distinct phrase's similarity to the asked measure: the best of lexical and embedding,
        the cosine rescaled against the query's mean cosine to all phrases (so 0 is 'typical', 1 identical)."""
        query = canonical_measure(measure)
        scores = np.array([lexical_similarity(query, p) for p in self.phrases], dtype="float32")
        vectors = self._phrase_vectors()
        if vectors is not None and len(scores):
            q = np.asarray(self._embed([query]), dtype="float32")[0]
            cos = vectors @ q
            base = float(np.mean(cos))
            semantic = np.clip((cos - base) / max(1e-6, 1.0 - base), 0.0, 1.0) * 0.95
            scores = np.maximum(scores, semantic)
        return scores

    def measures(self, query: str, k: int = 20) -> list[tuple[str, float, int]]:
        """(canonical measure, similarity, number of figures) of the measures most like the query."""
        scores = self._scores(query) if self.phrases else np.zeros(0)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(self.phrases[i], float(scores[i]), len(self._by_measure[self.phrases[i]])) for i in order if scores[i] > 0]

    def search(self, measure: str, places: list[str] | None = None, years: list[int] | None = None,
               roles: list[str] | None = None, k: int = 10, min_score: float = MIN_SCORE) -> list[tuple[Figure, float]]:
        """Figures of the measure (score = the measure phrase's similarity, comparable across calls: no
        record above a threshold is evidence the documents state no such figure), then filtered by subject,
        year and role (a role matches `role` or `status`)."""
        if not self.phrases:
            return []
        scores = self._scores(measure)
        found: list[tuple[Figure, float]] = []
        for i in np.argsort(-scores, kind="stable"):
            if scores[i] < min_score:
                break
            for j in self._by_measure[self.phrases[i]]:
                figure = self.figures[j]
                if places and not any(same_place(p, figure.subject) for p in places):
                    continue
                if years and figure.year not in years:
                    continue
                if roles and figure.role not in roles and figure.status not in roles:
                    continue
                found.append((figure, float(scores[i])))
        found.sort(key=lambda fs: (-fs[1], fs[0].subject, fs[0].year or 0, fs[0].role))
        return found[:k] if k else found


FIGURE_COLUMNS = ("指标", "地区", "年份", "类型", "数值", "原文", "文件", "章节", "页码", "相似度")


def figure_rows(found: Iterable[tuple[Figure, float]]) -> list[dict]:
    """One row per figure for the 指标 view and `rag facts`: place × year × role, the value as written and
    its citation (document title, heading path, page, the sentence)."""
    rows = []
    for f, score in found:
        kind = ROLE_NAMES.get(f.role, f.role)
        if f.role != f.status and f.status != "actual":
            kind += f"（{ROLE_NAMES.get(f.status, f.status)}）"
        rows.append(dict(zip(FIGURE_COLUMNS, (
            f.measure, f.subject, f.year if f.year is not None else "", kind, _shown_with_bound(f), f.sentence,
            f.title, f.heading_path, f.page if f.page is not None else "", round(score, 3)))))
    return rows


_BOUND_WORDS = {">": "超过", ">=": "不低于", "<": "低于", "<=": "不超过", "~": "约"}


def _shown_with_bound(f: Figure) -> str:
    return _BOUND_WORDS.get(f.bound, "") + f.shown


def rows_csv(rows: list[dict]) -> str:
    """The rows as CSV text (the caller writes it with a BOM so spreadsheet programs read the Chinese)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIGURE_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def figure_records(document: Document, chunks: Sequence[Chunk], profile_info: dict | None = None) -> list[dict]:
    """The figures of a document as plain dicts, for the index's records table."""
    return [f.to_dict() for f in extract_figures(document, chunks, profile_info)]


def load_figures(records: Iterable[dict]) -> list[Figure]:
    return [Figure.from_dict(r) for r in records]

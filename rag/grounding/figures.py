"""Figures as the documents state them: a number with its unit, found in an answer or a passage, and the
year a passage binds it to (the column of a table, or the '到2025年' that opens its clause). Comparisons
and calculations take their inputs from here; the year binding catches a 2020 base value given as the
2025 target."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rag.grounding.profile import CorpusProfile, squash, years_in
from rag.grounding.question import ACHIEVED, QuestionFrame
from rag.types import Chunk, Passage
from rag.vocabulary import (LOOKING_BACK, PLAN_NAME, PLAN_PERIOD, alternation, dimension_of, plan_base_target, plan_number,
                             plan_years)

UNITS = ("万亿元", "亿元", "万元", "元", "个百分点", "%", "万人", "人", "万户", "户", "万吨", "吨", "万亩", "亩", "平方公里",
         "万平方米", "平方米", "公里", "千米", "万千瓦", "千瓦", "MW", "兆瓦", "家", "个", "张", "处", "项", "所", "座", "条",
         "台", "辆", "件", "万人次", "人次", "次", "名", "位", "万套", "套", "岁", "倍", "年", "天", "万")
_FIGURE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(" + alternation(UNITS) + r")?")  # the longest unit first: 万人次, not 万
YEAR_NUMBER = re.compile(r"(?:19|20)\d{2}")
CLAUSE = re.compile(r"[^，,；;。！？\n]+")
CITATION_MARK = re.compile(r"\[(\d+)\]")  # the group is the cited passage's number
SENTENCE = re.compile(r"[^。！？；;!?\n]+")  # squashed text has NFKC's ASCII ; ! ?
CHINESE = re.compile(r"[\u4e00-\u9fff]+")  # a run of Chinese characters


@dataclass(frozen=True)
class Figure:
    value: float
    text: str  # as written: '510.3'
    unit: str  # '' when none follows

    def shown(self) -> str:
        return f"{self.text}{self.unit}"


def _whole(number: str) -> re.Pattern[str]:
    """The number as a whole number: '50.5' is not found in '150.5' or '50.52'."""
    return re.compile(rf"(?<![\d.]){re.escape(number)}(?![\d.])")


def occurs(number: str, text: str) -> bool:
    """The number stands in the text as a whole number."""
    return _whole(number).search(text) is not None


_BY_HOW_MUCH = re.compile(r"(?:比|较)[^，,。；;]{1,12}?(?:增加|增长|提高|提升|多|减少|下降|降低|少)了?\s*$")


def relative(number: str, text: str) -> bool:
    """Every time the number stands in the text it says by how much something changed against another year
    ('比“十二五”末增加100天', '较“十二五”末减少75万吨'), not what it is."""
    starts = [m.start() for m in _whole(number).finditer(text)]
    return bool(starts) and all(_BY_HOW_MUCH.search(text[max(0, i - 20): i]) for i in starts)


def figures_in(text: str, skip: set[str] = frozenset()) -> list[Figure]:
    """Numbers with their units in reading order; years ('2025年'), citation marks and `skip` left out."""
    text = CITATION_MARK.sub("", squash(text))
    found = []
    for m in _FIGURE.finditer(text):
        number, unit = m.group(1), m.group(2) or ""
        if (YEAR_NUMBER.fullmatch(number) and unit in ("年", "")) or number in skip:
            continue
        if text[m.end():m.end() + 1] in ("年", "月", "日") and unit == "":
            continue  # a date
        found.append(Figure(float(number), number, unit))
    return found


def _table_year(line: str, header: str, number: str) -> set[int]:
    """The year heading the column a table cell sits in."""
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    heads = [c.strip() for c in header.strip().strip("|").split("|")]
    years = set()
    for i, cell in enumerate(cells):
        if occurs(number, cell) and i < len(heads):
            years |= {int(y) for y in YEAR_NUMBER.findall(heads[i])}
    return years


_LOOKING_BACK = (*LOOKING_BACK, "进展", "成就")  # the headings of a plan's look back


def base_year(title: str) -> int | None:
    """The last year before the plan a title names began (2020 for a 十四五 plan): what it reports as done."""
    plan = PLAN_PERIOD.search(title)
    return plan_base_target(plan_number(plan.group(1) or plan.group(2)))[0] if plan else None


def place_base_year(profile: CorpusProfile, place: str) -> int | None:
    """The year the place's plan reports as done (its first document whose title names a plan period)."""
    return next((y for y in (base_year(profile.docs[d].title) for d in profile.docs_of(place)) if y), None)


def as_of(frame: QuestionFrame, profile: CorpusProfile) -> QuestionFrame:
    """A question asking what is already done, with no year ('普惠率达到了多少', '已经交付了多少套'), asks
    for the year the place's plan reports as done: a target figure does not answer it, and a lookup reads
    that year's figure."""
    place = profile.most_specific(frame.places)
    if frame.years or not place or not ACHIEVED.search(frame.question):
        return frame
    base = place_base_year(profile, place)
    return replace(frame, years=[base]) if base else frame


def context_years(chunk: Chunk) -> set[int]:
    """The years a passage speaks of when its sentence does not say: its headings' years, the period it
    opens with ('“十三五”时期，…'), or, under a looking-back heading (发展基础, 主要成就) of a plan, the year
    before the plan began."""
    head = chunk.heading_path
    found = years_in(head) | years_in(re.split(r"[,，。]", chunk.text, maxsplit=1)[0])
    if found:
        return found
    base = base_year(chunk.title)
    return {base} if base and any(w in head for w in _LOOKING_BACK) else set()


def bound_years(number: str, text: str, context: set[int] = frozenset()) -> list[set[int]]:
    """For each occurrence of `number` in a passage: the years it is stated for (empty: not said);
    `context` is what the passage as a whole speaks of, used when the sentence names no year."""
    text = squash(text)
    lines = text.splitlines()
    header = next((line for line in lines if line.lstrip().startswith("|") and YEAR_NUMBER.search(line)), "")
    found: list[set[int]] = []
    for line in lines:
        if not occurs(number, line):
            continue
        if line.lstrip().startswith("|") and header and line != header:
            found.append(_table_year(line, header, number))
            continue
        for sentence in SENTENCE.findall(line):
            clauses = CLAUSE.findall(sentence)
            for i, clause in enumerate(clauses):
                for at in (m.start() for m in _whole(number).finditer(clause)):
                    years = _years_of(clause, at) or next((_years_of(c) for c in reversed(clauses[:i]) if _years_of(c)), set())
                    found.append(years or set(context))
    return found


_YEAR_MARK = re.compile(r"((?:19|20)\d{2})(?=年|[-—~至到])|" + PLAN_NAME + r"[”\"]?(?:末|期末|时期|期间)")


def _years_of(clause: str, at: int | None = None) -> set[int]:
    """The years a clause states ('2020年', '“十二五”末' -> 2015); for the figure at `at`, the one said
    nearest before it ('由“十二五”末的43.06亿元增至2020年的51.37亿元': 43.06 is 2015's), else those after."""
    marks = [(m.start(), int(m.group(1)) if m.group(1) else plan_years(plan_number(m.group(2)))[1])
             for m in _YEAR_MARK.finditer(clause)]
    if at is None:
        return {year for _, year in marks}
    before = [year for start, year in marks if start < at]
    return {before[-1]} if before else {year for _, year in marks}


def wrong_year(number: str, year: int, passages: list[Passage]) -> set[int]:
    """The other years `number` is bound to when every occurrence in the passages names a year and none
    is `year`; empty when some occurrence fits the year or leaves it open."""
    bindings = [b for p in passages for b in bound_years(number, p.chunk.text, context_years(p.chunk))]
    if not bindings or any(not b or year in b for b in bindings):
        return set()
    return set().union(*bindings)


_RATE_WORDS = ("率", "比重", "占比", "增速", "增长", "比例", "%", "百分", "降低", "下降", "提高")


# what a measure's last word says its figure is counted in (the dimension of its unit, rag/vocabulary.py):
# an area in 平方…/亩/公顷, a length in 公里/米, a sum of money in 元, people in 人 or 人次
_DIMENSIONS = ((("面积",), {"area"}),
               (("长度", "里程", "距离"), {"length"}),
               (("总值", "收入", "投资", "资金", "产值", "营收", "销售额", "营业额", "成交额"), {"money"}),
               (("人口", "人数"), {"people", "visits"}))


def counted_in(figure: Figure, term: str) -> bool:
    """The figure's unit is one the measure can be counted in: not '163.9公里' for '集中供暖面积'. A figure
    without a unit, a share, and a measure whose last word names no quantity pass."""
    if not figure.unit or figure.unit in ("%", "个百分点", "万"):
        return True
    return all(dimension_of(figure.unit) in dimensions for heads, dimensions in _DIMENSIONS if term.endswith(heads))


def fits(figure: Figure, question: str) -> bool:
    """A share (%) answers only a question about a rate or share: not '地区生产总值是多少' (a total)."""
    return figure.unit not in ("%", "个百分点") or any(w in question for w in _RATE_WORDS)

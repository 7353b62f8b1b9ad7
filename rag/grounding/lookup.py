"""A side's figure read in code from a sentence of the documents, bound to the year asked: the sentence
names the measure and states the figure right after it ('全市地区生产总值跨上新台阶，达510.3亿元'), or
names the measure and lists the figure for the place asked ('到2025年，寿光市GDP完成1100亿元以上，…，
高密市达到750亿元左右'). Used before the model is asked, like a table row: a 1.5B model reading a long
passage misses the figure or takes its neighbour's."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.grounding import arithmetic
from rag.grounding.figures import SENTENCE, UNIT_PATTERN, Figure, bound_years, context_years, fits
from rag.grounding.profile import squash, years_in
from rag.grounding.question import GLOSSARY
from rag.types import Chunk, Passage

_NUMBER = re.compile(r"(?<![\d.])(?!(?:19|20)\d{2}\s*年)(\d+(?:\.\d+)?)\s*(" + UNIT_PATTERN + ")")  # '2020年' is a when
_QUALIFIER = re.compile(r"^(?:左右|以上|以内|以下|上下)")
# between the measure and its figure: a verb and a few words ('跨上新台阶，达'), never another measure
# ('年均增长', '比重', '人均') that would make the figure a rate, a share or an increment of it
_CHANGE = re.compile(r"增长|增加|提高|提升|下降|减少|降低|比重|占|年均|人均|比|较|翻|倍|增速|率")
_TO_LEVEL = re.compile(r"(?:下降|降低|减少|增长|增加|提高|提升|上升)(?:到|至)|[降增]至")  # '下降到254万吨' states the level


def _changes(between: str) -> bool:
    return bool(_CHANGE.search(_TO_LEVEL.sub("", between)))


_MODIFIER = re.compile(r"(?:人均|年均|单位|每|亩均)(?:地区)?$")  # '人均地区生产总值' is not '地区生产总值'
_SHARE = re.compile(r"(?:所?占(?:GDP|地区生产总值|[\u4e00-\u9fff]{0,8})?)?(?:比重|占比|比例)$")
INCREMENT = r"(?:累计)?(?:新增|新培植|新培育|新引进|新建|新认定|增加)"
MAX_GAP = 14  # characters from the end of the measure to its figure
MAX_PLACE_GAP = 8  # from a listed place's name to its figure


@dataclass(frozen=True)
class Found:
    figure: Figure
    passage: int  # 1-based
    qualifier: str  # '左右', '以上' or ''
    calculation: str = ""  # how a figure the documents state only relative to another was derived
    said: str = ""  # how the documents state it, when not as the measure ('三次产业比例为9.5:32.6:57.9')
    named: str = ""  # the measure as the answer names it, when not as asked ('生产总值年均增长' for 经济年均增速)


def measure_forms(term: str) -> list[str]:
    """The ways documents write the measure: as asked, its standard name, and the standard name's other
    forms (地区生产总值: GDP, 经济总量, and the 全市生产总值 of statistical bulletins)."""
    standard = term
    for short, full in GLOSSARY.items():
        standard = standard.replace(short, full)
    forms = [term, standard]
    for short, full in GLOSSARY.items():
        if full in standard:
            forms.append(standard.replace(full, short))
    forms += [f.replace("地区生产总值", "生产总值") for f in forms if "地区生产总值" in f]
    share = _SHARE.search(standard)
    if share and share.start() >= 4:  # '高新技术产业产值占比': the documents' '…产值比重', '…产值占规上工业的'
        forms.append(standard[: share.start()])
    return [f for f in dict.fromkeys(forms) if len(f) >= 2]


def written_as(term: str, chunk: Chunk) -> str:
    """The measure as the passage writes it ('GDP' where it says gdp, not the standard 地区生产总值)."""
    text = squash(chunk.text).lower()
    return next((f for f in measure_forms(term) if f.lower() in text), term)


def naming_words(term: str) -> list[str]:
    """Words a passage stating the measure names: its forms, and for an industry's share the ratio of
    the three industries it may be read from."""
    return measure_forms(term) + (["三次产业", "产业结构"] if sector(term) is not None else [])


def increment_asked(text: str, term: str) -> str:
    """The verb when the question asks how many were added ('新增了多少家高新技术企业'), not how many there
    are: a total then does not answer it ('' otherwise)."""
    m = re.search(f"({INCREMENT})了?(?:多少|几)?[个家项所处名座条套户万]?" + re.escape(term), squash(text)) if term else None
    return m.group(1) if m else ""


def _figure_after(text: str, limit: int) -> tuple[Figure, str, int] | None:
    m = _NUMBER.search(text)
    if not m or m.start() > limit or _NUMBER.search(text[: m.start()]):
        return None
    qualifier = _QUALIFIER.match(text[m.end():])
    return Figure(float(m.group(1)), m.group(1), m.group(2)), qualifier.group(0) if qualifier else "", m.start()


def _in_sentence(sentence: str, form: str, asked: str, places: list[str], rate: bool,
                 increment: bool = False) -> tuple[Figure, str, int] | None:
    """The figure the sentence states for the measure (and the place, when one is named), with its gap;
    `increment`: only where the sentence says the measure was added ('新培植高新技术企业77家')."""
    for m in re.finditer(re.escape(form), sentence):
        if _MODIFIER.search(sentence[: m.start()]) and not _MODIFIER.search(asked[: asked.find(form)] or "-"):
            continue
        if increment and not re.search(INCREMENT + r"了?$", sentence[max(0, m.start() - 6): m.start()]):
            continue
        after = sentence[m.end():]
        for place in places:  # a list of places' figures after the measure
            at = after.find(place)
            if at >= 0:
                got = _figure_after(after[at + len(place):], MAX_PLACE_GAP)
                if got and (rate or not _changes(after[at + len(place): at + len(place) + got[2]])):
                    return got
        got = _figure_after(after, MAX_GAP)
        if got and not places and (rate or not _changes(after[: got[2]])):
            return got
    return None


def _sentences(text: str) -> list[str]:
    """The prose sentences of a passage, a line broken inside a sentence joined again ('人均地区\n生产总值');
    table rows are left to figures.table_value."""
    prose = [line for line in squash(text).splitlines() if not line.lstrip().startswith("|")]
    joined = re.sub(r"(?<![。！？；;!?:：])\n", "", "\n".join(prose))
    return SENTENCE.findall(joined)


def sentence_value(passages: list[Passage], term: str, year: int, own_docs: set[str] | None = None,
                   names: list[str] = (), increment: bool = False) -> Found | None:
    """The figure of `term` for `year` stated in a sentence of the passages, from the best-ranked passage
    and the closest to its measure. A passage of `own_docs` (the asked place's documents; None: any
    passage) speaks of the place itself; from any other only a figure listed after one of the place's
    `names` is taken. None when no sentence states one for that year."""
    rate = bool(re.search(r"率|比重|占比|比例|增速|增长", term))
    best: tuple[int, int, Found] | None = None
    for number, passage in enumerate(passages, start=1):
        context = context_years(passage.chunk)
        places = [] if own_docs is None or passage.chunk.doc_id in own_docs else list(names)
        if own_docs is not None and not places and passage.chunk.doc_id not in own_docs:
            continue
        for sentence in _sentences(passage.chunk.text):
            for form in measure_forms(term):
                got = _in_sentence(sentence, form, term, places, rate, increment)
                if not got or not fits(got[0], term) or (_SHARE.search(term) and got[0].unit != "%"):
                    continue
                bindings = bound_years(got[0].text, sentence, context)
                if not any(year in b for b in bindings):
                    continue
                rank = (number, got[2])
                if best is None or rank < best[:2]:
                    best = (*rank, Found(got[0], number, got[1]))
    return best[2] if best else None


_RELATIVE = re.compile(rf"^[，,]?(?:比|较)([^，,。；;]{{1,12}}?)(增加|增长|提高|提升|多|减少|下降|降低|少)了?(\d+(?:\.\d+)?)\s*({UNIT_PATTERN})")


def relative_value(passages: list[Passage], term: str, year: int, own_docs: set[str] | None = None) -> Found | None:
    """The figure of `term` for `year` when the documents give it only as the difference from a later one:
    '煤炭消费总量下降到254万吨，较“十二五”末减少75万吨' asked for 2015 -> 254+75=329, the calculation shown."""
    for number, passage in enumerate(passages, start=1):
        if own_docs is not None and passage.chunk.doc_id not in own_docs:
            continue
        for sentence in _sentences(passage.chunk.text):
            for form in measure_forms(term):
                got = _in_sentence(sentence, form, term, [], rate=False)
                if not got or not got[0].unit:
                    continue
                figure = got[0]
                rest = sentence[sentence.find(figure.text, sentence.find(form)) + len(figure.text) + len(figure.unit):]
                rest = _QUALIFIER.sub("", rest)
                m = _RELATIVE.match(rest)
                if not m or m.group(4) != figure.unit or year not in years_in(m.group(1) + "年"):
                    continue
                up = m.group(2) in ("增加", "增长", "提高", "提升", "多")
                value, shown = (arithmetic.difference(figure.text, m.group(3)) if up else
                                arithmetic.total([figure.text, m.group(3)]))
                result = arithmetic.fmt(value, 2)
                return Found(Figure(value, result, figure.unit), number, "", shown)
    return None


# the three industries' shares, as planning documents write them: '三次产业比例由11.6:38:50.4调整为2020年的
# 9.5:32.6:57.9' (standard statistical terms: 服务业 is the third industry)
SECTORS = (re.compile(r"第一产业|一产"), re.compile(r"第二产业|二产"), re.compile(r"第三产业|三产|服务业"))
_SHARE_WORD = re.compile(r"占比|比重|比例|结构|占GDP|占地区生产总值")
_STRUCTURE = re.compile(r"三次产业|产业结构")
_TRIPLE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*[:：]\s*(\d+(?:\.\d+)?)\s*[:：]\s*(\d+(?:\.\d+)?)(?![\d.:：])")
_YEAR_BEFORE = re.compile(r"((?:19|20)\d{2})年[^，,。；;:：\d]{0,12}$")
FIVE_YEARS = 5  # a five-year plan's review: '由A调整为B' says where the period began


def sector(term: str) -> int | None:
    """Which of the three industries a share question asks for ('服务业占比' -> 2); None for any other."""
    if not _SHARE_WORD.search(term):
        return None
    return next((i for i, pattern in enumerate(SECTORS) if pattern.search(term)), None)


def shares_stated(term: str, text: str) -> bool:
    """The text gives an industry's share the way `term` asks for it: as the ratio of the three industries."""
    return sector(term) is not None and any(_STRUCTURE.search(s) and _TRIPLE.search(s) for s in _sentences(text))


def _triples(sentence: str, context: set[int]) -> list[tuple[re.Match[str], set[int]]]:
    """Each 'a:b:c' of a sentence on the industrial structure with the years it is stated for: a year
    written just before it, else the section's; the 'from' side of '由A调整为B' five years before B."""
    found: list[tuple[re.Match[str], set[int]]] = []
    for m in _TRIPLE.finditer(sentence):
        year = _YEAR_BEFORE.search(sentence[: m.start()])
        found.append((m, {int(year.group(1))} if year else set(context)))
    for i, (m, _) in enumerate(found):
        if sentence[: m.start()].rstrip().endswith("由"):  # where it began: five years before where it went
            later = found[i + 1][1] if i + 1 < len(found) else set()
            found[i] = (m, {y - FIVE_YEARS for y in later})
    return found


def industry_ratio(passages: list[Passage], year: int, own_docs: set[str] | None = None) -> tuple[tuple[str, ...], int] | None:
    """The documents' ratio of the three industries for `year` ('9.5', '32.6', '57.9') and its passage (1-based)."""
    for number, passage in enumerate(passages, start=1):
        if own_docs is not None and passage.chunk.doc_id not in own_docs:
            continue
        for sentence in _sentences(passage.chunk.text):
            if not _STRUCTURE.search(sentence):
                continue
            for m, years in _triples(sentence, context_years(passage.chunk)):
                if year in years:
                    return m.groups(), number
    return None


def ratio_value(passages: list[Passage], term: str, year: int, own_docs: set[str] | None = None) -> Found | None:
    """An industry's share for `year` read from the documents' ratio of the three industries: the
    answer shows the ratio it was read from."""
    index = sector(term)
    found = industry_ratio(passages, year, own_docs) if index is not None else None
    if found is None:
        return None
    shares, number = found
    value = shares[index]
    return Found(Figure(float(value), value, "%"), number, "", said=f"三次产业比例为{':'.join(shares)}")


# a growth rate asked of a measure ('经济年均增速', 'GDP增长率'): the documents write the measure, then how
# fast it grew ('全市生产总值达到715.7亿元,年均增长5%'); '经济' growing is the economy's output, as statistics say
_RATE_ASKED = re.compile(r"(.{2,14}?)(年均|平均)?(?:增速|增长率|增幅|增长速度)$")
RATE_GAP = 24  # characters from the measure to its rate


def rate_value(passages: list[Passage], term: str, year: int, own_docs: set[str] | None = None) -> Found | None:
    """How fast the measure grew, for `year` (or the period ending then), read from the sentence naming it."""
    m = _RATE_ASKED.fullmatch(term)
    if not m:
        return None
    stem, yearly = m.group(1), m.group(2) or ""
    forms = measure_forms("地区生产总值" if stem == "经济" else stem)
    growth = re.compile(rf"{yearly}(?:增长|增速|提高)(?:了|为|达到|达)?\s*(\d+(?:\.\d+)?)\s*%")
    for number, passage in enumerate(passages, start=1):
        if own_docs is not None and passage.chunk.doc_id not in own_docs:
            continue
        context = context_years(passage.chunk)
        for sentence in _sentences(passage.chunk.text):
            for form in forms:
                at = sentence.find(form)
                rate = growth.search(sentence[at + len(form): at + len(form) + RATE_GAP]) if at >= 0 else None
                if rate and any(year in b for b in bound_years(rate.group(1), sentence, context)):
                    return Found(Figure(float(rate.group(1)), rate.group(1), "%"), number, "", named=f"{form}{yearly}增长")
    return None

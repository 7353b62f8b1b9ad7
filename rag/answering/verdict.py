"""A figure the question states is checked against the figure index. A yes/no question ('…突破1000亿元了吗？',
'…增速达到6%了吗？') is verified, never agreed to by default: the answer opens with 是 or 不是 and gives the
documents' figure with its citation. A question that presumes a figure ('…增长了9%，总量达到多少？') the
records contradict (another value, a decline for a rise, another year's figure) gets a correction with the
documents' figure, then the rest of what it asks. Without records of the measure both give way."""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator

from rag.answering.asked import Asked, said
from rag.answering.figure import agreed, candidates, cited_first, dated, rounding, stated
from rag.answering.sides import Correction as CorrectionRoute
from rag.grounding.decomposition import with_years
from rag.grounding.premise import Correction
from rag.grounding.profile import time_said
from rag.grounding.question import magnitudes, measure
from rag.numbers import Quantity, find_quantities
from rag.prompting import PREMISE_MARK
from rag.types import Event
from rag.vocabulary import (BOUND_BEFORE, CLAIM_VERBS, COMPARISON_WORDS, DECLINE_WORDS, INCREASE_WORDS, LESS_WORDS,
                            MORE_WORDS, QUESTION_WORDS, RATE_CUES, RELATIVE_YEARS, TARGET_CUES, short_place_forms, split_unit)

_HOLDS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
_REACHED = ("达到", "达", "实现", "完成", "到")  # '达到7%了吗': at least
_RELATIONS = sorted([*BOUND_BEFORE.items(), ("过", ">"), *((w, ">=") for w in _REACHED)], key=lambda w: -len(w[0]))


def _claim(question: str):
    """The figure the question states, how it relates the truth to it ('突破' >=, '超过' >, '不到' <, '达到'
    >=; otherwise about equal) and how the question words it ('突破300亿元'); round figures written as words
    ('过千亿') read as numbers."""
    question = magnitudes(question)
    found = [q for q in find_quantities(question) if q.unit]
    if len(found) != 1:
        return None, "", ""
    claim = found[0]
    before = question[max(0, claim.start - 4): claim.start]
    word, relation = next(((w, rel) for w, rel in _RELATIONS if before.endswith(w)), ("", claim.bound or "~"))  # '…以上吗'
    if claim.direction:  # '增长了5.4%': the claim is the rise as much as the figure
        lead = question[max(0, claim.start - 6):claim.start]
        found = [lead.rfind(w) for w in INCREASE_WORDS + DECLINE_WORDS if w in lead]
        word = lead[max(found):] if found else ""
    return claim, relation, question[claim.start - len(word): claim.end]


def _holds(actual: float, relation: str, claimed: Quantity, scale: float = 1.0) -> bool:
    """Does the documents' figure bear out the question's ('突破' >=, '不到' <; else equal up to the rounding
    the question writes it with, or 1%)?"""
    value = claimed.value * scale
    if relation in _HOLDS:
        return _HOLDS[relation](actual, value)
    return abs(actual - value) <= max(rounding(claimed.text) * scale, 0.01 * abs(value), 1e-9)


def _writes(figure, claim: Quantity) -> bool:
    """The record states the question's figure as the question writes it (up to its last digit's rounding)."""
    scale = split_unit(claim.unit)[0]
    return abs(figure.value * split_unit(figure.unit)[0] - claim.value * scale) <= rounding(claim.text) * scale


def _checked(q: Asked, claim: Quantity, term: str, rate: bool | None = None, rank: bool | None = None,
             years: list[int] | None = None):
    """The documents' one figure of the measure for the question's place and year in the claim's unit, or None."""
    base = split_unit(claim.unit)[1]
    found = candidates(q, term, years, rate=rate, rank=rank)
    return agreed([f for f in found if split_unit(f.unit)[1] == base])


def _elsewhere(q: Asked, term: str, figure, claim: Quantity, rate: bool | None, cited: list) -> tuple[str, list]:
    """Where the question's figure comes from when the records give it to another year or place ('甲省2025年
    地区生产总值为420亿元[2]，即问题中的420亿元'), said in the record's own words with its passage second;
    ('', cited) when nowhere."""
    found = sorted((f for f in candidates(q, term, [], set(q.reader.profile.docs), rate, False)
                    if f is not figure and _writes(f, claim)),
                   key=lambda f: f.doc_id != figure.doc_id)  # the same documents' other year first
    other = cited_first(q, found[0], []) if found else None
    if not other:
        return "", cited
    f = found[0]
    whose = f.subject if f.doc_id != figure.doc_id else _one_place(q)
    said = f"{whose}{dated(f, other[0].chunk.embedding_text())}[2]，即问题中的{claim.text}。"
    return said, cited[:1] + other[:1] + cited[1:]


class YesNoFigure:
    """是/不是, decided in code from the documents' figure for the measure, place and year asked."""

    name = "verdict"

    def applies(self, q: Asked) -> bool:
        return not q.given and q.frame.kind == "yesno" and len(q.frame.places) <= 1 and bool(measure(q.frame))

    def answer(self, q: Asked) -> Iterator[Event]:
        claim, relation, _ = _claim(q.frame.question)
        if claim is None:
            return False
        figure = _checked(q, claim, measure(q.frame))
        cited = cited_first(q, figure, q.answer.passages) if figure else None
        if cited is None:
            return False
        yes = _holds(figure.value * split_unit(figure.unit)[0], relation, claim, split_unit(claim.unit)[0])
        note, q.answer.passages = _elsewhere(q, measure(q.frame), figure, claim, None, cited) if not yes else ("", cited)
        said_ = stated(figure, cited[0].chunk.text)
        q.answer.text = f"{'是' if yes else '不是'}，{said_}{'' if not note or said_.endswith('。') else '。'}{note}"
        q.answer.looked_up = True
        q.answer.reason = "是否成立由程序比较问题中的数字与文档原文的数字得出。"
        yield from said(q)


def _still_asked(question: str, claim: Quantity, place: str, term: str) -> str:
    """What the question asks beyond its premise ('…增长了9%，总量达到多少？' -> '…总量达到多少？'), about
    the place and its measure; '' when it asks nothing more."""
    rest = re.split(r"[，,；;]", question[claim.end:], maxsplit=1)
    ask = rest[1].strip() if len(rest) > 1 else ""
    if not any(w in ask for w in QUESTION_WORDS):
        return ""
    return f"{place}{'' if term in ask else term}{ask}"


def _time_as_asked(question: str, year: int | None) -> str:
    """The year of the rest of a question in the question's own words ('2025年', '去年'): a model answering
    it repeats what it is given, and '去年' read as 2025 is no number its passages need to state."""
    if not year:
        return ""
    if str(year) in question:
        return f"{year}年"
    return next((w for w in sorted(RELATIVE_YEARS, key=len, reverse=True) if w in question), f"{year}年")


def _claimed_measure(q: Asked, question: str, start: int) -> str:
    """What the question states its figure of when it names no measure the reader knows ('…茶产业2025年
    要做到150亿元营收' -> '茶产业营收'): its clause without places, years, verbs and the figure."""
    clause = re.split(r"[，,。？?！!；;]", question[:start])[-1] + re.split(r"[，,。？?！!；;]", question[start:])[0]
    for name in sorted(q.reader.profile.aliases, key=len, reverse=True):
        clause = clause.replace(name, "")
    clause = re.sub(r"(?:19|20)\d{2}年?|[\d.]+\S?[%亿万元]*", "", clause)
    for word in sorted(CLAIM_VERBS + TARGET_CUES, key=len, reverse=True):  # '营收目标是150亿元': a target of 营收
        clause = clause.replace(word, "")
    return clause if 2 <= len(clause) <= 12 and all("\u4e00" <= ch <= "\u9fff" for ch in clause) else ""


def _condition(question: str, claim: Quantity) -> bool:
    """The figure qualifies what is asked ('…达到300亿元左右的县区'): 的 follows it."""
    return question[claim.end:].lstrip("左右以上以下多余").startswith("的")


def _one_place(q: Asked) -> str:
    """The place a question is about when it names one, or one and the larger places it lies in ('潍坊…
    方案要求高密…' is about 高密), as the question writes it ('宁夏', not 宁夏回族自治区); '' otherwise."""
    profile, places = q.reader.profile, q.frame.places
    place = profile.most_specific(places)
    if not place or not all(p == place or short_place_forms(p) & profile.parents(place) for p in places):
        return ""
    return next((n for n in sorted(profile.names_of(place), key=len, reverse=True) if n in q.frame.question), place)


def _another_year(q: Asked, claim: Quantity, term: str, rate: bool, years: list[int], question: str) -> Iterator[Event]:
    """No record for the year asked, but the question's figure is the documents' figure of another year
    ('2026年…达到1.2万亿元' when 1.2万亿元 is 2025's): said so, then the rest is answered."""
    place = _one_place(q)
    found = [f for f in candidates(q, term, [], rate=rate, rank=False) if f.year and f.year not in years
             and _writes(f, claim)]
    cited = cited_first(q, found[0], q.answer.passages) if found else None
    if cited is None:
        return False
    kind = "目标" if found[0].status == "target" else "数值"
    asked = f"，不是{'、'.join(map(str, years))}年的{kind}" if years else ""
    text = f"{PREMISE_MARK}{place}{dated(found[0], cited[0].chunk.embedding_text())}[1]，即问题中的{claim.text}{asked}。"
    rest = _still_asked(question, claim, f"{place}{found[0].year}年", term)  # of the figure's own year
    q.correction = Correction(text, cited[:1], rest, denied=claim.text)
    yield from CorrectionRoute().answer(q)


def _reversed(q: Asked, question: str, found: list[Quantity]) -> Correction | None:
    """'…从60%降到40%' when the documents state 40% of the earlier year and 60% of the later one: the
    change the question presumes runs the other way."""
    if len(found) != 2 or not any(w in question for w in INCREASE_WORDS + DECLINE_WORDS):
        return None
    term = measure(q.frame) or _claimed_measure(q, question, found[0].start)
    records = candidates(q, term, [], rate=False, rank=False) if term else []
    first, last = [next((f for f in records if f.year and _writes(f, x)), None) for x in found]
    if first is None or last is None or first.year <= last.year:
        return None
    cited = cited_first(q, last, q.answer.passages)
    if cited is None:
        return None
    rising, where = first.value > last.value, cited[0].chunk.embedding_text()
    went, said = ("提高", "上升") if rising else ("下降", "下降")
    text = (f"{PREMISE_MARK}文档中{_one_place(q)}{first.measure}是从{time_said(last.year, where)}的{last.text}{went}到"
            f"{time_said(first.year, where)}的{first.text}[1]，是{said}，不是问题所说的{'下降' if rising else '上升'}。")
    return Correction(text, cited[:1])


class StatedFigure:
    """A question presuming a figure the records contradict: corrected with the documents' figure (and,
    when the question's figure is another year's or place's, that one), then the rest is answered."""

    name = "premise"

    def applies(self, q: Asked) -> bool:
        return not q.given and bool(q.frame.given) and bool(_one_place(q))

    def answer(self, q: Asked) -> Iterator[Event]:
        claim, relation, written = _claim(q.frame.question)
        question = magnitudes(q.frame.question)
        if claim is not None and _condition(question, claim):
            return False  # '达到300亿元左右的县区有哪些': a condition asked about, not a premise
        if claim is not None and claim.direction and q.correction is not None:
            return False  # a change the premise check already found said the other way round
        if claim is None:  # two figures: a change the documents may state the other way round
            q.correction = _reversed(q, question, [x for x in find_quantities(question) if x.unit]) or q.correction
            return (yield from CorrectionRoute().answer(q)) if q.correction else False
        term = measure(q.frame) or _claimed_measure(q, question, claim.start)
        if not term:
            return False
        rate = bool(claim.direction) or any(w in question[:claim.end] for w in RATE_CUES)  # of the claim, not the rest
        place, scale = _one_place(q), split_unit(claim.unit)[0]
        years = q.reader.read(question[:claim.end]).years or None  # '今年…70%，比去年…': the claim's year
        figure = _checked(q, claim, term, rate, claim.unit in ("位", "名"), years)
        if figure is None:
            return (yield from _another_year(q, claim, term, rate, years or [], question))
        cited = cited_first(q, figure, q.answer.passages)
        if cited is None:
            return False
        if _holds(figure.value * split_unit(figure.unit)[0], relation, claim, scale):
            q.correction = None  # the records bear the premise out: nothing to correct
            return False
        text = f"{PREMISE_MARK}文档中{place}{dated(figure, cited[0].chunk.embedding_text())}[1]，不是问题所说的“{written}”。"
        note, cited = _elsewhere(q, term, figure, claim, rate, cited)
        text += note
        rest = _still_asked(question, claim, place + _time_as_asked(question, figure.year), term)
        q.correction = Correction(text, cited[:2] if note else cited[:1], rest, denied=written)
        yield from CorrectionRoute().answer(q)


def _compared_in_words(question: str, figure) -> bool | None:
    """Whether the record's sentence bears out a comparison the question asks about something no record
    holds ('…有没有超过全国平均水平' and '增长5.3%，超过全国平均水平'): the thing compared with follows the
    figure in its clause or the next (no list of other measures between), and the comparison word just
    before it says which way; None when the sentence does not say so of this figure."""
    words = sorted(COMPARISON_WORDS, key=len, reverse=True)
    asked = next((w for w in words if w in question), None)
    if asked is None:
        return None
    thing = re.split(r"[，,。？?！!吗呢了]", question[question.index(asked) + len(asked):])[0]
    thing = thing[:-2] if thing.endswith("水平") and len(thing) > 4 else thing
    sentence = figure.sentence
    start = sentence.find(figure.text)
    at = sentence.find(thing, start) if len(thing) >= 2 and start >= 0 else -1
    between = sentence[start + len(figure.text):at]
    if at < 0 or "、" in between or len(re.findall(r"[，,；;]", between)) > 1:
        return None
    before = sentence[max(0, at - 4):at]
    said = next((BOUND_BEFORE[w] for w in words if w in before), None) or \
        (">" if any(w in before for w in MORE_WORDS) else "<" if any(w in before for w in LESS_WORDS) else None)
    return None if said is None else said[0] == BOUND_BEFORE[asked][0]


def _compared(question: str) -> tuple[str, str, str] | None:
    """'A比B高吗' or 'A高于B吗' -> (A, B, '>'): the two things compared and what the question asks of A."""
    at = question.find("比")
    if at > 0:
        rest = question[at + 1:]
        word = next((w for w in sorted(MORE_WORDS + LESS_WORDS, key=len, reverse=True) if w in rest), "")
        return (question[:at], rest, ">" if word in MORE_WORDS else "<") if word else None
    words = sorted((w for w in COMPARISON_WORDS if BOUND_BEFORE[w] in "<>" and w.endswith("于")), key=len, reverse=True)
    word = next((w for w in words if 0 < question.find(w)), "")
    at = question.find(word) if word else -1
    return (question[:at], question[at + len(word):], BOUND_BEFORE[word]) if word else None


class YesNoRecords:
    """A yes/no question stating no figure, answered from the records: whether the documents set or give
    the figure asked ('…有没有增长目标？'), or how one year's figure compares with another's ('今年的目标
    比去年实际增速高吗？'). Anything else (a comparison with what the documents do not give) gives way."""

    name = "verdict_records"

    def applies(self, q: Asked) -> bool:
        frame = q.frame
        return not q.given and frame.kind == "yesno" and not frame.given and len(frame.places) == 1 \
            and bool(measure(frame))

    def answer(self, q: Asked) -> Iterator[Event]:
        question, term = q.frame.question, measure(q.frame)
        compared = _compared(question)
        if compared and len(q.frame.years) == 2:
            return (yield from self._two_years(q, term, compared))
        if len(q.frame.years) > 1:
            return False
        figure = agreed(candidates(q, term))
        cited = cited_first(q, figure, q.answer.passages) if figure else None
        if cited is None:
            return False
        yes, reason = True, "文档给出了所问的数字。"
        if compared or any(w in question for w in BOUND_BEFORE):  # '是否高于全国平均': what the records do not hold,
            yes = _compared_in_words(question, figure)  # unless the figure's clause says it in words
            if yes is None:
                return False
            reason = "是否成立取自文档原句中的比较。"
        q.answer.passages, q.answer.text = cited, f"{'是' if yes else '不是'}，{stated(figure, cited[0].chunk.text)}"
        q.answer.looked_up, q.answer.reason = True, reason
        yield from said(q)

    def _two_years(self, q: Asked, term: str, compared: tuple[str, str, str]) -> Iterator[Event]:
        first, second, relation = compared
        sides = []
        for part in (first, second):
            years = q.reader.read(q.frame.places[0] + part).years  # '去年' read against the place's documents
            target = any(w in part for w in TARGET_CUES)
            found = agreed(candidates(q, term, years, status="target" if target else "")) if len(years) == 1 else None
            if found is None:
                return False
            sides.append(found)
        a, b = sides
        cited = cited_first(q, a, q.answer.passages)
        other = cited_first(q, b, []) if cited else None
        if not cited or not other:
            return False
        yes = _HOLDS[relation](a.value * split_unit(a.unit)[0], b.value * split_unit(b.unit)[0])
        passages = cited[:1] + other[:1] + [p for p in cited[1:] if p.chunk.chunk_id != other[0].chunk.chunk_id]
        q.answer.passages = passages
        first, second = dated(a, cited[0].chunk.embedding_text()), dated(b, other[0].chunk.embedding_text())
        q.answer.text = f"{'是' if yes else '不是'}，{first}[1]，{second}[2]。"
        q.answer.looked_up, q.answer.reason = True, "是否成立由程序比较文档中两个年份的数字得出。"
        asked, q.answer.question = q.answer.question, with_years(q.answer.question, [a.year, b.year])
        yield from said(q)  # the years read from '今年/去年' are the question's, not claims
        q.answer.question = asked

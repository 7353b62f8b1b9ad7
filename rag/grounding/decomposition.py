"""Comparisons, cross-document and multi-step questions: one sub-question per side (a place, answered
from that place's documents only; or a year), each answered and cited on its own, then the figures taken
from those cited answers and the arithmetic done in code (rag.grounding.arithmetic), the answer showing
every figure with its citation and the calculation."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.grounding import arithmetic
from rag.grounding.binding import NUMBER, problem
from rag.grounding.figures import CITATION_MARK, YEAR_NUMBER, Figure, figures_in, fits, wrong_year
from rag.grounding.profile import CorpusProfile, squash, time_said
from rag.grounding.question import ARITHMETIC, QuestionFrame, measure
from rag.prompting import REFUSAL
from rag.types import Answer, Passage
from rag.vocabulary import ADDED_WORDS, AMOUNT_ASKED, PLAN_WORD, RATE_CUES, plan_years

_KIND_WORDS = re.compile(
    r"哪个地区|哪个县市|哪个城市|哪一个|哪个|哪家|谁|(?:的|是)?(?:更|最|较|比较)(?:大|高|多|快|强|低|少|小|好)|分别|各自|各|"
    r"(?:相差|差距|差|多了?|少了?|高|低|大|小|多出|(?:增加|提高|提升|增长|减少|降低|下降)了?)(?:多少|几)(?:万亿元|亿元|万元|万人|个百分点|[\u4e00-\u9fff])?|相差|差距|"
    r"相比|对比|比较|多少倍|几倍|倍数|之和|总和|合计|一共|总共|加起来|加在一起|增幅|增长率"
)
_JOINERS = re.compile(r"^(?:和|与|及|跟|同|、|以及|，|,|的)+|(?:和|与|及|跟|、|以及|比|较|要比|是|的|，|,)+(?=[？?]|$)")
# what asks an amount, with its verb and the unit or counter asked in ('是多少', '达到多少亿元', '多少个'), and
# the rounding words of an amount asked ('大约', '约是', '左右'): a side, or the model, is asked the amount anew
_AMOUNT_ASKED = re.compile(r"(?:是|为|要|达到|有)?多少(?:万亿元|亿元|万元|万人|个百分点|[个家项所处名座条套户位件次倍])?|大约|约(?=[是为多])|左右")
_SIDE_REFERENCE = re.compile(r"(?:要比|比|较|相对于|对比|与|和|从|到|至)?[“\"]?(?:(?:19|20)\d{2}年(?:底|末)?|" + PLAN_WORD + r"[”\"]?(?:末|初)?)(?:的|相比)?")


@dataclass
class Side:
    label: str  # '平度市' or '2025年'
    question: str  # asked on its own
    doc_ids: list[str] | None  # the documents it is answered from (None: no filter)
    place: str = ""  # the place it asks about ('' when none is named)


@dataclass
class SideResult:
    side: Side
    answer: Answer
    figure: Figure | None = None
    passage: int | None = None  # 1-based, in answer.passages: where the figure stands


def _as_asked(place: str, frame: QuestionFrame, profile: CorpusProfile) -> str:
    """The place as the question names it ('淄博高新区', not the title's 淄博高新技术产业开发区): the answer
    speaks the asker's words."""
    written = [n for n in profile.names_of(place) if n in frame.question]
    return max(written, key=len) if written else place


def _rest(frame: QuestionFrame, profile: CorpusProfile) -> str:
    """The question without its sides and the comparison words: what each side is asked."""
    text = squash(frame.question)
    names = [a for a, c in profile.aliases.items() if c in frame.places] + frame.places
    for name in sorted(set(names), key=len, reverse=True):
        text = text.replace(name, "、")
    if len(frame.places) < 2:
        text = _SIDE_REFERENCE.sub("、", text)
    text = _KIND_WORDS.sub("", text)
    if frame.kind == "comparison":  # '…城镇化率哪个高' -> '…城镇化率'
        text = re.sub(r"(?:大|高|多|快|强|低|(?<!多)少|小|好)(?=[？?。]|$)", "", text)
    text = re.sub(r"[？?。！!]+", "？", text)
    text = re.sub(r"、(?:和|与|及|跟|同|以及)?(?=、)", "", text)  # '平度和环翠区' -> one mark, no '和' left
    parts = [_JOINERS.sub("", p).replace("、", "").replace("，的", "，").replace(",的", ",")
             for p in text.split("？") if p.strip("、，, ")]
    return "，".join(p for p in parts if p)


def increment_asked(text: str, term: str) -> str:
    """The verb when the question asks how many were added ('新增了多少家高新技术企业'), not how many there
    are: a total then does not answer it ('' otherwise)."""
    added = "|".join(ADDED_WORDS)
    m = re.search(f"((?:累计)?(?:{added}))了?(?:多少|几)?[个家项所处名座条套户万]?" + re.escape(term), squash(text)) if term else None
    return m.group(1) if m else ""


_TIME = re.compile(r"(?:到|至)?[“\"]?" + PLAN_WORD + r"[”\"]?(?:末|初|期间|时期)?|(?:到|至)?(?:19|20)\d{2}年(?:底|末)?")


def _topic(frame: QuestionFrame, rest: str) -> str:
    """What a numeric question measures, in its own words: from its measured term to the end of that
    stretch of the question ('进出口总额目标', '每千人口3岁以下婴幼儿托位数的目标'), else the corpus's name."""
    terms = sorted(frame.metric_terms or ([frame.indicator] if frame.indicator else []), key=len, reverse=True)
    asked = measure(frame) if terms else ""
    for segment in rest.split("，"):
        for term in terms:
            if term in segment:
                start = segment.index(term)
                quoted = re.search(r"[“\"][^”\"]{1,12}[”\"]$", segment[:start])  # '“四新”经济增加值…' keeps “四新”
                start = quoted.start() if quoted else start
                topic = increment_asked(segment, term) + _TIME.sub("", segment[start:])
                return _AMOUNT_ASKED.sub("", topic).strip("的是")
    return asked


def plan(frame: QuestionFrame, profile: CorpusProfile) -> list[Side]:
    if frame.clauses:
        return [Side(places[0], clause, [d for p in places for d in profile.docs_of(p)] or None,
                     profile.most_specific(places))
                for clause, places in frame.clauses]
    numeric = frame.kind in ARITHMETIC or any(w in frame.question for w in AMOUNT_ASKED)
    rest = _AMOUNT_ASKED.sub("", _rest(frame, profile))
    topic = _topic(frame, rest) if numeric else ""
    rest = topic or rest
    ask = "是多少？" if numeric and not any(w in rest for w in ("几", "什么", "哪", "怎", "如何")) else "？"
    by_place = len(frame.places) >= 2 and frame.sides == frame.places
    if topic and by_place:  # '平度市“十三五”末经济总量是多少？'
        rest = "".join(dict.fromkeys(m.group(0) for m in _TIME.finditer(squash(frame.question)))) + topic
    if frame.kind == "comparison" and any(w in frame.question for w in RATE_CUES) and not any(w in rest for w in RATE_CUES):
        rest += "增速"  # '谁增长得快': each side's rate, not its level
    if by_place:
        return [Side(_as_asked(p, frame, profile), f"{p}{rest}{ask}", profile.docs_of(p) or None, p) for p in frame.places]
    # by year: about the most specific place named (高密, not 潍坊 whose plan speaks of it), from all their documents
    place = profile.most_specific(frame.places)
    docs = [d for p in frame.places for d in profile.docs_of(p)]
    latest = max(frame.sides)
    # a target belongs to the later year; the earlier one is asked for what it was
    target = "目标" if "目标" in frame.question and "目标" not in rest else ""
    return [Side(label, f"{place}{label}{rest if label == latest else rest.replace('目标', '')}"
                        f"{target if label == latest else ''}{ask}", docs or None, place)
            for label in frame.sides]


def _label_year(label: str) -> int | None:
    """The year of a side that is a year ('2025年'); None for a side that is a place."""
    return int(label[:4]) if label[4:] == "年" and label[:4].isdecimal() else None


def side_year(side: Side, frame: QuestionFrame) -> int | None:
    """The year a side asks about: its label, the one year its own question names, or the question's."""
    year = _label_year(side.label)
    if year is not None:
        return year
    own = {n for n in NUMBER.findall(side.question) if YEAR_NUMBER.fullmatch(n)}
    if len(own) == 1:
        return int(own.pop())
    if len(frame.years) == 1:
        return frame.years[0]
    # '“十三五”期间新增了多少': what a period achieved is reported as of its last year
    return plan_years(frame.periods[0])[1] if len(frame.periods) == 1 and not frame.years else None


def with_years(question: str, years: list[int]) -> str:
    """The question with the years it implies ('十三五末': 2020) written out, for checking an answer's
    claims: those years frame the answer, like a year the question wrote."""
    missing = [str(y) for y in years if str(y) not in question]
    return f"{question}（{'、'.join(missing)}年）" if missing else question


def _known_numbers(passages: list[Passage]) -> set[str]:
    return {f.text for p in passages for f in figures_in(p.chunk.text)}


def pick_figure(result: SideResult, frame: QuestionFrame) -> None:
    """The first figure of the side's answer that its passages state (for a year side: not a figure the
    passages give for another year)."""
    answer = result.answer
    if answer.refused:
        return
    skip = {n for n, _ in frame.given} | {str(y) for y in frame.years}
    known = _known_numbers(answer.passages)
    year = side_year(result.side, frame)
    figures = figures_in(answer.text, skip)
    # a looked-up answer ends with its figure, bound to the side's year, place and measure when it was read
    for figure in figures[-1:] if answer.looked_up else figures:
        if figure.text not in known or not fits(figure, result.side.question):
            continue
        if not answer.looked_up and ((year and wrong_year(figure.text, year, answer.passages))
                                     or problem(figure, frame, answer.passages)):
            continue
        result.figure = figure
        result.passage = next((i for i, p in enumerate(answer.passages, 1) if figure.text in squash(p.chunk.text)), None)
        return
    if figures and frame.kind in ARITHMETIC:  # figures, but none for this side's year and measure
        shown = "、".join(f.shown() for f in figures)
        answer.text, answer.refused = REFUSAL, True
        answer.reason = f"{result.side.label}：资料中的{shown}不是所问年份或指标的数字"


def _common_unit(results: list[SideResult]) -> str | None:
    units = {r.figure.unit for r in results if r.figure}
    return units.pop() if len(units) == 1 else None


def _sum_or_ratio(kind: str, texts: list[str], unit: str, first: str, second: str) -> str | None:
    """The sentence of a sum or a ratio without its full stop ('' if it cannot be computed); None for
    other kinds."""
    if kind == "sum":
        _, shown = arithmetic.total(texts)
        return f"合计{shown.split('=')[1]}{unit}（{shown}）"
    if kind == "ratio":
        got = arithmetic.ratio(texts[0], texts[1])
        return f"{first}约是{second}的{got[1].split('≈')[1]}倍（{got[1]}）" if got else ""
    return None


def _said(result: SideResult) -> str:
    """A side's label as the answer writes it: a year its cited passage does not write is named as the
    passage's plan period places it (profile.time_said)."""
    year = _label_year(result.side.label)
    if year is None or not result.passage:
        return result.side.label
    return time_said(year, result.answer.passages[result.passage - 1].chunk.embedding_text())


def _calculation(frame: QuestionFrame, results: list[SideResult], labels: list[str]) -> str:
    """The computed sentence: which is larger and by how much, the difference, ratio, growth or sum;
    `labels` as the answer writes the sides (ordered by the sides' own labels)."""
    figures = [r.figure for r in results]
    order = [r.side.label for r in results]
    if any(f is None for f in figures) or _common_unit(results) is None:
        return ""
    unit = figures[0].unit
    texts = [f.text for f in figures]
    combined = _sum_or_ratio(frame.kind, texts, unit, labels[0], labels[1])
    if combined is not None:
        return f"{combined}。" if combined else ""
    a, b = texts[0], texts[1]
    if frame.kind == "growth":
        old, new = (b, a) if order[0] > order[1] else (a, b)
        got = arithmetic.growth(new, old)
        return f"增长约{got[1].split('≈')[1]}（{got[1]}）。" if got else ""
    hi, lo = (0, 1) if float(a) >= float(b) else (1, 0)
    value, shown = arithmetic.difference(texts[hi], texts[lo])
    if frame.kind == "difference" and _label_year(order[0]) is not None:
        first, last = sorted(range(2), key=lambda i: order[i])
        verb = "增加" if float(texts[last]) >= float(texts[first]) else "减少"
        return f"从{labels[first]}到{labels[last]}{verb}{arithmetic.fmt(value)}{points(unit)}（{shown}）。"
    more = "更高" if unit in ("%", "岁", "个百分点") else "更大"
    if len(results) > 2:
        top = max(range(len(results)), key=lambda i: float(texts[i]))
        return f"{labels[top]}最高（{'、'.join(f'{l}{t}{unit}' for l, t in zip(labels, texts))}）。"
    return f"{labels[hi]}{more}，比{labels[lo]}{'高' if unit == '%' else '多'}{arithmetic.fmt(value)}{points(unit)}（{shown}）。"


def renumber(text: str, offset: int) -> str:
    """Citation marks shifted past `offset` passages, for answers whose passages are appended."""
    return CITATION_MARK.sub(lambda m: f"[{int(m.group(1)) + offset}]", text)


def compose(frame: QuestionFrame, results: list[SideResult]) -> tuple[str, list[Passage], str]:
    """(answer text, all sides' passages in order, the calculation shown) from the sides' answers."""
    lines, passages, labels = [], [], [_said(r) for r in results]
    for r, label in zip(results, labels):
        body = r.answer.text if not r.answer.refused else f"{REFUSAL}。"
        if _label_year(r.side.label) is not None and body.startswith(label):
            body = body[len(label):]  # '2025年：2025年GDP…' (or '“十三五”末') says the year twice (a place's name may go on: 潍坊市)
        lines.append(f"{label}：{renumber(body, len(passages))}")
        passages += r.answer.passages
    calculation = _calculation(frame, results, labels) if frame.kind in ARITHMETIC else ""
    if calculation:
        cites = "".join(f"[{sum(len(x.answer.passages) for x in results[:i]) + r.passage}]"
                        for i, r in enumerate(results) if r.passage)
        calculation = calculation[:-1] + cites + "。"
    return "\n".join(lines + ([calculation] if calculation else [])), passages, calculation


def missing_figures(frame: QuestionFrame, results: list[SideResult]) -> str:
    """Why no calculation is shown (for the user), or ''."""
    if frame.kind not in ARITHMETIC:
        return ""
    lacking = [r.side.label for r in results if r.figure is None]
    if lacking:
        return f"文档中没有找到{'、'.join(lacking)}的对应数字，无法计算。"
    if _common_unit(results) is None:
        return "各方数字的单位不同（" + "、".join(r.figure.shown() for r in results if r.figure) + "），无法直接计算。"
    return ""


def figures_question(frame: QuestionFrame) -> str:
    """A calculation with no sides ('出口比进口多多少？') asks the model for the figures, not the result."""
    text = _KIND_WORDS.sub("", squash(frame.question))
    text = _AMOUNT_ASKED.sub("", text)
    return text.rstrip("？?。！!").rstrip("，,的是") + "，相关数字分别是多少？"


def calculate_from_answer(frame: QuestionFrame, answer: Answer) -> str:
    """The calculation on the figures of one answer that its passages state, in one unit: the difference
    of the first two, their ratio, or the sum of all; '' when fewer than two such figures."""
    known = _known_numbers(answer.passages)
    skip = {n for n, _ in frame.given} | {str(y) for y in frame.years}
    figures = [f for f in figures_in(answer.text, skip) if f.unit and f.text in known and fits(f, frame.question)]
    same = list(dict.fromkeys(f for f in figures if figures and f.unit == figures[0].unit))
    if len(same) < 2 or frame.kind not in {"difference", "ratio", "sum"}:
        return ""
    texts, unit = [f.text for f in same], same[0].unit
    cites = "".join(dict.fromkeys(f"[{i}]" for t in (texts if frame.kind == "sum" else texts[:2])
                                  for i, p in enumerate(answer.passages, 1) if t in squash(p.chunk.text)))
    combined = _sum_or_ratio(frame.kind, texts, unit, "前者", "后者")
    if combined is not None:
        return f"{combined}{cites}。" if combined else ""
    a, b = texts[0], texts[1]
    hi, lo = (a, b) if float(a) >= float(b) else (b, a)
    value, shown = arithmetic.difference(hi, lo)
    return f"两者相差{arithmetic.fmt(value)}{points(unit)}（{shown}）{cites}。"


def points(unit: str) -> str:
    """The difference of two shares is in percentage points."""
    return "个百分点" if unit == "%" else unit

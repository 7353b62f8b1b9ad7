"""A number question answered from the figure index: the records of the asked measure (matched by meaning),
place and year, read once at indexing time. It answers only when the best-matching records agree on one
value; otherwise it gives way to the model, whose answer is then checked."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rag.answering.asked import Asked, said
from rag.citations import attach_citations
from rag.facts import Figure, same_place
from rag.grounding import arithmetic
from rag.grounding.decomposition import Side, increment_asked, side_year, with_years
from rag.grounding.figures import as_of
from rag.grounding.profile import time_said
from rag.grounding.question import QuestionFrame, asks_figure, measure
from rag.grounding.sectors import sector
from rag.types import Answer, Event, Passage
from rag.vocabulary import (ADDED_WORDS, AVERAGE_WORDS, COORDINATION, INDUSTRY_STRUCTURE_WORDS, ITEM_NUMBER,
                            RANK_QUESTION_WORDS, RATE_CUES, RATE_SUFFIXES, TARGET_CUES, WEAK_TARGET_CUES,
                            canonical_measure, split_unit)

# A measure phrase this close to the asked one states the asked measure (its wording, an abbreviation or a
# standard synonym); lower matches are left to the model. Chosen, not calibrated: checked only by the routes'
# right/taken counts on both dev sets (eval/baseline-report.md, session 15).
ANSWER_MATCH = 0.9
_CHANGES = {"rate", "change"}
CHANGE_FROM_LEVELS = {"difference", "growth", "ratio"}  # kinds whose sides are levels, whatever verb asks the change
SEVERAL = re.compile("|".join(COORDINATION))  # 'A和B', '分别', '各': more than one figure asked
_TARGET_WORDS = tuple(w for w in TARGET_CUES if len(w) >= 2)  # '目标', '预期', '力争'… not '要' or '到'


def _fits(figure: Figure, status: str, rate: bool, rank: bool, average: bool) -> bool:
    return (not status or figure.status == status) and (figure.role in _CHANGES) == rate \
        and (figure.role == "rank") == rank and figure.average == average


def candidates(q: Asked, term: str, years: list[int] | None = None, docs: set[str] | None = None,
               rate: bool | None = None, rank: bool | None = None, frame: QuestionFrame | None = None,
               status: str | None = None, place: str = "", said: str = "") -> list[Figure]:
    """Records of the measure in the asked place's documents (`docs`), for the year asked (`years`; by
    default the question's, '已经…' read as of the plan's base year), the status asked (a target when the
    question says so), as a level or a rate of change ('增长多少', '增速'), a rank, and a year's own figure
    or a yearly average over a span ('年均增长'); `frame`: the (sub-)question whose words say so, by default
    the question's; `status`: 'target', 'actual' or '' (any), by default as the question's words say.
    `place`: with `docs`, also the records another document states of that place (a city's plan lists its
    counties' targets: '…青山市GDP达到500亿元左右，白水县达到260亿元左右'). `said`: the question's words; a
    record whose measure is the asked one qualified only by words the question says ('氢能产业营业收入' for
    '…氢能产业…营业收入…') is taken at a lower match."""
    profile, frame = q.pipe.reader.profile, frame or q.frame
    years = as_of(frame, profile).years if years is None else years
    place = place if docs else profile.most_specific(frame.places)  # also stated of it in another's document
    docs = docs or (set(profile.docs_of(place)) if place else set(profile.docs))
    if q.doc_ids is not None:
        docs &= set(q.doc_ids)
    question = frame.question
    if status is None:
        status = "target" if any(w in question for w in _TARGET_WORDS) else ""
    rate = any(w in question for w in RATE_CUES) if rate is None else rate
    for word in AVERAGE_WORDS:  # '经济年均增速': the average is the record's mark, the measure '经济增速'
        term = term.replace(word, "")
    term = canonical_measure(term)
    stem = next((term[: -len(w)] for w in RATE_SUFFIXES if term.endswith(w) and len(term) > len(w) + 1), "")
    # '…增加值增速' is the rate of '…增加值': a rate record of the stem's measure, or a table row named so
    terms = [stem, term] if stem and rate else [term]
    rank = any(w in question for w in RANK_QUESTION_WORDS) if rank is None else rank
    average = any(w in question for w in AVERAGE_WORDS)
    found = [f for t in terms for f, s in q.pipe.evidence.figures.search(t, years=years or None, k=0)
             if _in_scope(q, f, docs, place) and _fits(f, status, rate, rank, average)
             and (s >= ANSWER_MATCH or said and _qualified(f, t, said))]
    return list({id(f): f for f in found}.values())  # each record once, in the order found


def _in_scope(q: Asked, figure: Figure, docs: set[str], place: str) -> bool:
    """The record is in the asked documents or states the asked place in another's, within the user's
    document filter."""
    allowed = q.doc_ids is None or figure.doc_id in q.doc_ids
    return allowed and (figure.doc_id in docs or bool(place) and same_place(place, figure.subject))


def _unsaid(figure: Figure, said: str) -> set[str]:
    """The characters of the record's measure that the question does not say."""
    return {ch for ch in figure.canonical if "\u4e00" <= ch <= "\u9fff"} - set(canonical_measure(said)) - set(said)


def _qualified(figure: Figure, term: str, said: str) -> bool:
    """The record measures the asked measure, qualified only by words the question says."""
    return term in figure.canonical and len(figure.canonical) > len(term) and not _unsaid(figure, said)


def most_said(found: list[Figure], said: str) -> Figure | None:
    """The one figure the records agree on; when they disagree, the one the records whose measures say
    least beyond the question's words agree on ('氢能产业营业收入' over '纺织产业营业收入' when the question
    says 氢能)."""
    figure = agreed(found)
    if figure is not None or not found:
        return figure
    fewest = min(len(_unsaid(f, said)) for f in found)
    closest = [f for f in found if len(_unsaid(f, said)) == fewest]
    return agreed(closest) if len(closest) < len(found) else None


def rounding(written: str) -> float:
    """Half a unit of the last digit a figure is written with ('5.3' -> 0.05, '40' -> 0.5)."""
    digits = re.search(r"\d+(?:\.(\d+))?", written)
    return 0.5 * 10 ** -len(digits.group(1) or "") if digits else 0.0


def agreed(found: list[Figure]) -> Figure | None:
    """The one figure all matching records state (the same value, unit and year), else None. A bound
    ('突破X万亿元') gives way to an exact figure, and a rounded figure to the precise one it rounds, of the same
    year ('迈上2万亿元台阶' and '达到20315亿元'; a prose '30%' and a table's '30.45%')."""
    exact = [f for f in found if not f.bound] or found
    if not exact:
        return None
    precise = max(exact, key=lambda f: len(re.sub(r"\D", "", f.text)))
    scale = split_unit(precise.unit)[0]
    if all(f.year == precise.year and split_unit(f.unit)[1] == split_unit(precise.unit)[1]
           and abs(f.value * split_unit(f.unit)[0] - precise.value * scale) <= rounding(f.text) * split_unit(f.unit)[0]
           for f in exact):
        return precise
    return None


def first(cited: list[Passage], passages: list[Passage]) -> list[Passage]:
    """`cited` ([1], [2], …), then the other passages, none twice."""
    ids = {p.chunk.chunk_id for p in cited}
    return list(cited) + [p for p in passages if p.chunk.chunk_id not in ids]


def cited_first(q: Asked, figure: Figure, passages: list[Passage]) -> list[Passage] | None:
    """The passages with the figure's own chunk first (it is what [1] cites); None when the index no longer
    holds that chunk."""
    chunk = q.pipe.retriever.stored.chunks_by_id([figure.chunk_id])
    if not chunk:
        return None
    return first([Passage(chunk[0], 1.0)], passages)


def side_figure(q: Asked, side: Side, frame: QuestionFrame, passages: list[Passage]) -> Answer | None:
    """A comparison's or calculation's side answered from the figure index: its place's documents (and
    what others state of the place), its year, the question's measure; None when the records are missing or
    disagree. A side asking no year and nothing planned whose records disagree is read for the latest year
    the documents state as reached."""
    year, term = side_year(side, frame), measure(frame)
    figure, said, calculation = _side_record(q, side, frame, term, year) if term else (None, "", "")
    cited = cited_first(q, figure, passages) if figure else None
    if cited is None:
        return None
    dated = year if calculation else figure.year  # a derived figure is of the year asked, not its record's
    when = time_said(dated, cited[0].chunk.embedding_text()) if said and dated else ""  # as its passage says it
    text = when + said if said else sentence_of(figure, cited[0].chunk.text)
    answer = Answer(question=with_years(side.question, [dated] if dated else []), text=f"{text}[1]。", passages=cited,
                    looked_up=True, calculation=calculation)
    attach_citations(answer).question = side.question
    return answer


def _side_record(q: Asked, side: Side, frame: QuestionFrame, term: str,
                 year: int | None) -> tuple[Figure | None, str, str]:
    """The one record answering the side for `year` (None: any), how the answer says it when not as the
    record writes it, and the calculation when its figure is derived from the record."""
    own = set(q.pipe.reader.profile.docs_of(side.place)) if side.place else set()
    docs = own or set(side.doc_ids or ())
    if not docs:
        return None, "", ""
    levels = frame.kind in CHANGE_FROM_LEVELS  # '提高了几个百分点': the change is computed from two levels
    earlier = len(frame.years) > 1 and year == min(frame.years)  # an earlier year asks what was, not a target
    target = "target" if any(w in side.question for w in _TARGET_WORDS) and not earlier else ""
    ask = dict(years=[year] if year else [], docs=docs, rate=False if levels else None, frame=frame, status=target,
               place=side.place, said=side.question)
    added = increment_asked(side.question, term)  # '新增了多少家': the records of what was added, not the total
    found = _added(q, term, ask) if added else candidates(q, term, **ask)
    planned = any(w in side.question for w in TARGET_CUES + WEAK_TARGET_CUES)  # '要达到多少': not how things stand
    figure = most_said(found, side.question) or (None if year or planned else most_said(latest(found), side.question))
    if figure is not None or added:
        return figure, "", ""
    return _sector_share(q, term, ask) or _from_change(q, term, ask) or (None, "", "")


def _added(q: Asked, term: str, ask: dict) -> list[Figure]:
    """The records of how many of the measure were added, in any of the documents' words for it
    ('新增高新技术企业', '新培植高新技术企业')."""
    found: dict[int, Figure] = {}
    for word in ADDED_WORDS:
        for f in candidates(q, word + term, **ask):
            if f.canonical.lstrip("累计").startswith(ADDED_WORDS):
                found.setdefault(id(f), f)
    return list(found.values())


def _sector_share(q: Asked, term: str, ask: dict) -> tuple[Figure, str, str] | None:
    """One industry's share read from the ratio of the three industries the place's documents give for the
    year ('三次产业比例为9.8:35.4:54.8' answers '服务业占比'), and how the answer says it (after its time)."""
    index, years, docs, place = sector(term), ask["years"], ask["docs"], ask["place"]
    if index is None or not years:
        return None
    ratios = [f for f in q.pipe.evidence.figures.figures
              if f.parts and len(f.parts) == 3 and f.year in years and _in_scope(q, f, docs, place)
              and any(w in f.sentence for w in INDUSTRY_STRUCTURE_WORDS)]
    if not ratios or len({f.parts[index] for f in ratios}) != 1:
        return None
    ratio = ratios[0]
    written = re.split(r"\s*[:：∶]\s*", ratio.text.strip())
    share = written[index] if len(written) == 3 else f"{ratio.parts[index]:g}"  # as written: '62.0'
    return ratio, f"三次产业比例为{ratio.text.replace(' ', '')}，{term}为{share}%", ""


def _from_change(q: Asked, term: str, ask: dict) -> tuple[Figure, str, str] | None:
    """A level the documents give only through a later one and the change since ('煤炭消费总量下降到254万吨，
    较“十二五”末减少75万吨' asked for 2015: 254+75=329), the calculation shown."""
    year = ask["years"][0] if ask["years"] else None
    changes = [c for c in candidates(q, term, **(ask | dict(years=[], rate=True, status=""))) if year and c.since == year]
    for change in changes:
        level = next((f for f in candidates(q, term, **(ask | dict(years=[change.year], rate=False, status="")))
                      if f.sentence == change.sentence and f.unit == change.unit and f.role not in _CHANGES), None)
        if level is None:
            continue
        was, step = arithmetic.fmt(level.value), arithmetic.fmt(abs(change.value))
        value, shown = arithmetic.total([was, step]) if change.value < 0 else arithmetic.difference(was, step)
        return level, f"{level.measure}为{arithmetic.fmt(value)}{level.unit}（{shown}）", shown
    return None


def latest(found: list[Figure]) -> list[Figure]:
    """A question naming no year asks how things stand: the records of the latest year the documents
    state as reached (a plan's base-year figure, not its target)."""
    reached = [f for f in found if f.year and f.status in ("actual", "base")]
    last = max((f.year for f in reached), default=None)
    return [f for f in reached if f.year == last]


def stated(figure: Figure, passage: str) -> str:
    """What the documents say, with its citation [1] (the figure's passage comes first)."""
    sentence = figure.sentence.strip().rstrip("。；;，,")
    quote = "" if sentence.startswith("|") else f"原文：“{sentence}”[1]"
    return f"{sentence_of(figure, passage)}[1]。{quote}"


def dated(figure: Figure, passage: str) -> str:
    """The figure as `stated` writes it (no citation, no quote), always with its time: a correction or a
    comparison of two years says which year each figure is of, as its passage (with title and headings)
    places it (profile.time_said: '“十三五”末' when the passage names the period, not the year)."""
    said = sentence_of(figure, passage)
    return said if not figure.year or said.startswith(str(figure.year)) else time_said(figure.year, passage) + said


def sentence_of(figure: Figure, passage: str) -> str:
    """'2020年地区生产总值为300.5亿元' ('…增长6%', '…下降2%' for a rate): the figure as written, with the
    unit a table gives in its header; a year only when the passage writes it (a report's '过去一年' is not
    restated as a number it lacks)."""
    year = f"{figure.year}年" if figure.year and str(figure.year) in passage else ""
    if figure.average and figure.period:  # a yearly average is the plan period's, not its last year's
        year = f"“{figure.period}”时期"
    number = re.match(r"[-−]?[\d.]+", figure.text)  # a table's '35左右' takes its header's unit: '35%左右'
    written = figure.text if figure.unit in figure.text or not number else \
        f"{number.group(0)}{figure.unit}{figure.text[number.end():]}"
    verb = "为"
    if figure.role == "rank" and not written.startswith("第"):
        written = f"第{written}"  # '第12位'
    if figure.role in _CHANGES:
        verb, written = ("下降" if figure.value < 0 else "增长"), written.lstrip("-−")
        verb = "年均" + verb if figure.average else verb
    named = figure.measure if re.search(r"[\u4e00-\u9fff]", figure.measure) else figure.measure.upper()  # 'gdp' -> GDP
    if figure.role in _CHANGES:  # '…增长速度增长6%' says the rate twice
        named = next((named[: -len(w)] for w in RATE_SUFFIXES if named.endswith(w) and len(named) > len(w) + 1), named)
    return f"{year}{ITEM_NUMBER.sub('', named)}{verb}{written}"


class FigureRecord:
    """One place, one year (or the only year the documents give), one measure: the figure the documents
    state, quoted with its citation."""

    name = "figure"

    def applies(self, q: Asked) -> bool:
        frame = q.frame
        return not q.given and frame.kind == "fact" and asks_figure(frame.question) and len(frame.places) <= 1 \
            and not (frame.unknown or set(frame.mentioned) - set(frame.above) or frame.given) and bool(measure(frame)) \
            and len(set(frame.metric_terms)) <= 1 and not SEVERAL.search(frame.question)

    def answer(self, q: Asked) -> Iterator[Event]:
        figure = agreed(candidates(q, measure(q.frame)))
        if figure is None:  # no record, or records that disagree (another year, role or part)
            return (yield from self._derived(q))  # else the model reads the passages
        cited = cited_first(q, figure, q.answer.passages)
        if cited is None:
            return False
        q.answer.passages, q.answer.text = cited, stated(figure, cited[0].chunk.text)
        q.answer.looked_up = True
        q.answer.reason = "数字直接取自文档原文（索引时读出的数据）。"
        yield from said(q)

    @staticmethod
    def _derived(q: Asked) -> Iterator[Event]:
        """A figure no record states but one derives with its calculation shown (a level from a later one and
        the change since); False (the model answers) otherwise."""
        place = q.reader.profile.most_specific(q.frame.places)
        docs = q.reader.profile.docs_of(place) if place else []
        found = side_figure(q, Side(place, q.frame.question, docs, place), q.frame, q.answer.passages) if docs else None
        if found is None or not found.calculation:
            return False
        q.answer.text, q.answer.passages, q.answer.calculation = found.text, found.passages, found.calculation
        q.answer.looked_up = True
        yield from said(q)

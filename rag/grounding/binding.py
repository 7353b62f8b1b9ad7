"""Is the answer's figure the one asked for? A figure is bound, in its passage, to a year (a table's
column, the '到2025年' that opens its clause, the section it stands in), to a place (the sentence naming a
town or a neighbouring county) and to a measure (its table row, its clause). A single answer whose every
figure is bound to another year, another place or another measure than the question's is withheld, with
what the documents do give: the 2020 base given as the 2025 target, 环翠区's figure given for 文登区, the
schooling years given for the registered population."""

from __future__ import annotations

import re

import jieba
import jieba.posseg

from rag.citations import cited_numbers
from rag.grounding.figures import (CHINESE, CITATION_MARK, CLAUSE, YEAR_NUMBER, Figure, context_years, counted_in, figures_in,
                                   occurs, relative, wrong_year)
from rag.grounding.profile import squash, years_in
from rag.grounding.question import GLOSSARY, QuestionFrame, season_named
from rag.types import Answer, Passage
from rag.vocabulary import ADMIN_NAME, AMOUNT_ASKED, FALL_VERBS, RISE_VERBS, alternation

_CHANGE_ASKED = (*RISE_VERBS, *FALL_VERBS, "变化", "多了", "少了", "差", "相比", "比")
MIN_MEASURE = 0.5  # share of the asked measure's character pairs its context must hold


def contexts(number: str, passage: Passage) -> list[str]:
    """Where the figure stands: its table row, or its clause with the clause before it."""
    found = []
    for line in squash(passage.chunk.text).splitlines():
        if not occurs(number, line):
            continue
        if line.lstrip().startswith("|"):
            found.append(line)
            continue
        clauses = CLAUSE.findall(line)
        found += ["，".join(clauses[max(0, i - 1): i + 1]) for i, c in enumerate(clauses) if occurs(number, c)]
    return found


_NOT_A_LETTER = re.compile(r"[^\u4e00-\u9fffA-Za-z]")  # what is neither a Chinese character nor a Latin letter


def _pairs(text: str) -> set[str]:
    chars = _NOT_A_LETTER.sub("", text)
    return {chars[i:i + 2] for i in range(len(chars) - 1)}


def _measure_fits(term: str, context: str) -> bool:
    standard = term
    for short, full in GLOSSARY.items():
        standard = standard.replace(short, full)
    have = _pairs(context)
    return any(not _pairs(t) or len(_pairs(t) & have) / len(_pairs(t)) >= MIN_MEASURE for t in {term, standard})


_COUNT_OF = re.compile(r"(?:" + alternation(AMOUNT_ASKED) + r")(?:个|家|所|座|条|项|处|名|位|套|户|张|辆|台|件|枚|部)?([\u4e00-\u9fff]{2,8})")
_VAGUE_HEADS = {"地方", "东西", "事情", "方面", "情况", "项目", "人"}


def counted_thing(question: str) -> str:
    """What a how-many question counts: the noun right after '多少' ('多少商户' -> 商户), or the head after
    its description ('多少个歇脚的地方' -> 地方); '' when that is no noun or says nothing ('地方')."""
    m = _COUNT_OF.search(squash(question))
    if not m:
        return ""
    words = jieba.posseg.lcut(m.group(1).split("的")[-1])
    word, tag = (words[0].word, words[0].flag) if words else ("", "")
    return word if len(word) >= 2 and tag.startswith("n") and word not in _VAGUE_HEADS else ""


def problem(figure: Figure, frame: QuestionFrame, passages: list[Passage]) -> str:
    """Why this figure is not the one asked for ('' when it may be)."""
    places = [p for p in frame.mentioned if ADMIN_NAME.fullmatch(p) and p not in frame.above]  # 峡山区 in 潍坊's plan
    found = [(p, c) for p in passages for c in contexts(figure.text, p)]
    if not found:
        return ""
    other_years = wrong_year(figure.text, frame.years[0], passages) if len(frame.years) == 1 else set()
    if other_years:
        return f"资料中的{figure.shown()}是{'、'.join(map(str, sorted(other_years)))}年的数值"
    if not any(w in frame.question for w in _CHANGE_ASKED) and all(relative(figure.text, squash(p.chunk.text)) for p, _ in found):
        return f"资料中的{figure.shown()}是与另一时间相比的变化量，不是所问的数值"
    for place in places:
        short = place[:-1] if len(place) >= 3 else place
        if not any(short in p.chunk.text and short in c for p, c in found):
            return f"资料中的{figure.shown()}并不是关于{place}的"
    thing = counted_thing(frame.question)
    if thing and not any(set(thing) & set(c) for _, c in found):  # '1700个' 5G base stations for '多少商户'
        return f"资料中的{figure.shown()}说的不是“{thing}”"
    wrong_kind = [t for t in frame.metric_terms if not counted_in(figure, t)]
    if wrong_kind:
        return f"资料中的{figure.shown()}不是“{wrong_kind[0]}”的数值"
    terms = [t for t in frame.metric_terms if len(t) > 2]  # '比例', '人数' alone say how, not what, is measured
    if terms and not any(_measure_fits(t, c) for t in terms for _, c in found):
        return f"资料中的{figure.shown()}说的不是“{terms[0]}”"
    return ""


def unbound(frame: QuestionFrame, answer: Answer) -> tuple[str, int]:
    """(reason, passage number) when every figure of the answer is bound elsewhere; ('', 0) otherwise."""
    skip = {str(y) for y in frame.years} | {n for n, _ in frame.given}
    figures = [f for f in figures_in(answer.text, skip) if f.unit != "年"]
    problems = [problem(f, frame, answer.passages) for f in figures]
    if not figures or not all(problems):
        return "", 0
    number = next((i for i, p in enumerate(answer.passages, 1) if occurs(figures[0].text, squash(p.chunk.text))), 1)
    return problems[0], number


NUMBER = re.compile(r"\d+(?:\.\d+)?")


def unnamed(question: str, answer: Answer) -> list[str]:
    """The numbers the question names (a year, an edition, a count) that none of the passages the answer
    cites states — in its text, title or headings, or, for a year, as the year its section speaks of. An
    answer resting on a passage about another year or event ('2021年…' for a question about 2022) then
    answers something else. All passages count when the answer cites none."""
    cited = sorted({n for n in cited_numbers(answer.text) if 1 <= n <= len(answer.passages)})
    chunks = [answer.passages[n - 1].chunk for n in cited] or [p.chunk for p in answer.passages]
    text = squash("\n".join(f"{c.title}\n{c.heading_path}\n{c.text}" for c in chunks))
    stated = set(NUMBER.findall(text))
    years = set().union(*(years_in(text), *(context_years(c) for c in chunks)))
    return [n for n in dict.fromkeys(NUMBER.findall(season_named(squash(question))))
            if n not in stated and not (YEAR_NUMBER.fullmatch(n) and int(n) in years)]


def _said(question: str, text: str) -> tuple[set[str], set[str]]:
    """What an answer says beyond the question: its numbers and its words the question does not hold."""
    text = CITATION_MARK.sub("", squash(text))
    numbers = set(NUMBER.findall(text)) - set(NUMBER.findall(squash(question)))
    words = {w for w in jieba.lcut(" ".join(CHINESE.findall(text))) if len(w) >= 2 and w not in question}
    return numbers, words


def cited_elsewhere(question: str, answer: Answer) -> str:
    """The answer citing the one passage that states both what it says and the numbers the question names,
    when the passages it cites do not name those numbers (the model cited '2021年…' while a passage on 2022
    says the same); '' when no passage does, or the answer says nothing to look for."""
    numbers, words = _said(question, answer.text)
    if not numbers and not words:
        return ""
    for n, passage in enumerate(answer.passages, start=1):
        text = squash(f"{passage.chunk.title}\n{passage.chunk.text}")
        held = all(occurs(x, text) for x in numbers) and sum(w in text for w in words) >= 2 * len(words) / 3
        if held and not unnamed(question, Answer(question, f"[{n}]", passages=answer.passages)):
            return re.sub(r"(?:\[\d+\])+", f"[{n}]", answer.text)
    return ""


_YES_NO = ("吗", "吧", "是否", "是不是", "有没有", "能否", "能不能", "会不会", "可否", "对不对")
_FILLER = set("是的了有为在和与及其等这该都将会被由以于对中一个部位名种款")


def says_nothing(question: str, text: str) -> bool:
    """An answer that adds nothing to the question: no word or number the question does not already hold
    ('《狂飙》是一部电视剧' for what kind of series it is, 'KF-21战斗机研发国家是[3]'); a yes/no question's
    '是' is an answer."""
    if any(w in question for w in _YES_NO):
        return False
    text = re.sub(r"\[\d+\]|根据资料[和、]?", "", text)
    numbers = set(NUMBER.findall(question))
    if any(n not in numbers for n in NUMBER.findall(text)):
        return False
    words = _NOT_A_LETTER.sub("", text)
    return not any(c not in question and c not in _FILLER for c in words)


_COUNTED = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*([%％‰\u4e00-\u9fffA-Za-z$€£])")  # a figure and its unit, any unit
_SAID_IN_WORDS = re.compile(r"[一二两三四五六七八九十百千万亿半]+[次个所家项条座处名位人天倍成届枚部场只]")  # '四次'
_HOW_MANY = re.compile(r"(?<![哪第])(?:多少|几(?=[个所家项条座处名位人次天万亿倍成届枚部场只]))")


def no_figure(question: str, text: str) -> bool:
    """A question asking how many or how much ('拿出多少财政资金') whose answer states no figure with
    a unit beyond the question's own numbers: it does not answer ('…支持各县的3.加强财政政策支持')."""
    if not _HOW_MANY.search(question):
        return False
    own = set(NUMBER.findall(question))
    text = CITATION_MARK.sub("", text)
    if _SAID_IN_WORDS.search(text):
        return False
    counted = _COUNTED.findall(text)
    return not any(n not in own and not (YEAR_NUMBER.fullmatch(n) and u == "年") for n, u in counted)


def without_empty_sentences(question: str, text: str) -> str:
    """The answer without its sentences that say nothing beyond the question ('相关数字分别是和[1][4]。' after
    the figures were given); a lead-in to a list ('…主导产业：') stays, and the answer is kept whole when
    nothing else is left (then `says_nothing` judges it)."""
    sentences = [s for s in re.split(r"(?<=[。！？；\n])", text) if s]
    kept = [s for s in sentences if not s.strip() or s.rstrip().endswith(("：", ":")) or not says_nothing(question, s)]
    return "".join(kept).strip() if any(k.strip() for k in kept) else text

"""False premises: a question that gives one place's figure or title to another, or asks why something
fell that the documents say rose. Such a question gets a correction with its citation instead of an
answer to the premise. Checked against the corpus itself: where the figure or phrase really occurs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rag.grounding.figures import place_base_year
from rag.grounding.profile import CorpusProfile, chunks_with, squash
from rag.grounding.question import DECLINE, TIME_MARK, QuestionFrame, measure
from rag.grounding.sectors import industry_ratio, sector
from rag.prompting import PREMISE_MARK
from rag.types import Chunk, Passage
from rag.vocabulary import (ASSERTING_WORDS, COMPARED_WITH, COMPARISON_WORDS, QUESTION_WORDS, RISE_VERBS,
                             SECTORS, alternation)

_UP = RISE_VERBS + ("突破", "翻一番", "跨上", "增至", "达到")  # a rise, or a level passed
_BREAK = re.compile(r"[，,。？?！!；;：:、\s“”\"《》()（）]|为什么|为何|是不是|是否|有没有|多少|哪些|什么|怎么|如何|吗|呢")
MIN_PHRASE = 6  # a stretch of the question; a quoted name ('“宝石之都”') is taken whole from 3 characters
# what makes a stretch of a question a claim about one place: a title, a first, a superlative
_TITLE = ("被称为", "被誉为", "被评为", "被命名", "被授予", "称号", "之乡", "之都", "首家", "首个", "首条", "第一", "唯一", "最大",
          "最早", "最高", "最多", "全国", "全省")
_DIGIT = re.compile(r"\d")  # a stretch with a figure in it
# '高于全国平均水平' compares with the whole country, it is no title the country gave
_COMPARED_WITH_ALL = [w + whole for w in COMPARISON_WORDS for whole in ("全国", "全省")]


@dataclass
class Correction:
    text: str  # Chinese, citing [1].. of `passages` ("" when only `note` is said)
    passages: list[Passage] = field(default_factory=list)
    question: str = ""  # the question without its false premise, still worth answering ("" if not)
    note: str = ""  # said beside the answer when there is nothing to cite (a figure the documents lack)
    denied: str = ""  # the question's figure as it wrote it ('增长5.4%'), which the rest may not restate

    def without_denied(self, text: str) -> str:
        """The rest's answer without the sentences that restate the figure the correction denied: a model
        answering '…外贸表现怎么样' from the question's words would repeat its false '增长5.4%'."""
        if not self.denied:
            return text
        denied = squash(self.denied).replace("了", "")
        sentences = re.findall(r"[^。！？!?\n]+[。！？!?]?\n?", text)
        return "".join(s for s in sentences if denied not in squash(s).replace("了", "")).strip()


_CLAUSE = re.compile(r"[^，,。；;！!？?\n]+")
MAX_QUOTE = 30  # characters of the documents' clause quoted in a correction


def quoted_clause(needle: str, chunk: Chunk) -> str:
    """The documents' own words around a figure, quoted ('“连续8年获评全省县域经济十强”' rather than a bare
    '8年'); a short opening clause ('到2025年') is kept with it; the needle alone when the clause is long."""
    clauses = _CLAUSE.findall(squash(chunk.text))
    for i, clause in enumerate(clauses):
        if needle in clause:
            before = clauses[i - 1] if i and len(clauses[i - 1]) <= 8 else ""
            said = f"{before}，{clause}" if before else clause
            return f"“{said.strip()}”" if len(said) <= MAX_QUOTE else needle
    return needle


def _subject(chunk: Chunk, profile: CorpusProfile) -> str:
    doc = profile.docs.get(chunk.doc_id)
    return doc.subject if doc and doc.subject else chunk.title


def _belongs(chunk: Chunk, place: str, profile: CorpusProfile) -> bool:
    """The chunk is about the place: from its documents, or naming it."""
    return chunk.doc_id in profile.docs_of(place) or any(n in chunk.text for n in profile.names_of(place))


def _misattributed(needle: str, shown: str, frame: QuestionFrame, profile: CorpusProfile,
                   chunks: Sequence[Chunk]) -> Correction | None:
    """`needle` stated only of other places: in other documents, of the place their sentence names (a list
    of counties' titles names the asked one too, each with its own)."""
    place = frame.places[0]
    found = chunks_with(needle, chunks, profile)
    owners = [profile.named_before(squash(c.text), needle) for c in found]
    if not found or any(c.doc_id in profile.docs_of(place) or (owner in profile.names_of(place) if owner
                        else _belongs(c, place, profile)) for c, owner in zip(found, owners)):
        return None
    owner = owners[0] or _subject(found[0], profile)
    shown = quoted_clause(needle, found[0]) if _DIGIT.search(needle) else shown  # a bare figure says little
    return Correction(f"{PREMISE_MARK}文档中{shown}说的是{owner}[1]，不是{place}。", [Passage(found[0], 1.0)])


def _given_figure(frame: QuestionFrame, profile: CorpusProfile, chunks: Sequence[Chunk],
                  note: bool = True) -> Correction | None:
    """A figure the question asserts of a place that the documents give another place, or (with `note`)
    nobody."""
    text = squash(frame.question)
    for number, unit in frame.given:
        at = text.find(number)
        asked = text[:at].rstrip("约近了") + "是多少？" if at > 0 else ""  # '莱西2020年GDP是300.5亿元…' -> '…是多少？'
        asked = re.sub(r"(?:" + alternation(ASSERTING_WORDS) + r")+(?=是多少？$)", "", asked)
        correction = _misattributed(f"{number}{unit}", f"{number}{unit}", frame, profile, chunks)
        if correction:
            correction.question = asked
            return correction
        if note and at > 0 and text[:at].rstrip().endswith(ASSERTING_WORDS) and f"{number}{unit}" not in profile.text and asked:
            return Correction("", question=asked, note=f"问题中的{number}{unit}在文档中找不到，以下是文档给出的数据。")
    return None


def _phrases(frame: QuestionFrame, profile: CorpusProfile) -> list[str]:
    """Stretches of the question, names of places removed, long enough to identify a statement."""
    text = squash(frame.question)
    for name in sorted(profile.aliases, key=len, reverse=True):
        text = text.replace(name, "|")
    text = TIME_MARK.sub("|", text)
    stretches = [s for s in re.split(r"[，,。？?！!；;：:\s|]", text) if _claims_title(s)]
    quoted = [q for q in frame.quoted if not TIME_MARK.fullmatch(q)]  # “十四五” is every plan's, no title
    return [s for t in stretches for s in _BREAK.split(t) if len(s) >= MIN_PHRASE] + quoted


def _claims_title(stretch: str) -> bool:
    """The stretch says a title, a first or a superlative of its place (not a comparison with the country)."""
    rest = _without(stretch, _COMPARED_WITH_ALL)
    return any(w in rest for w in _TITLE)


def _without(text: str, phrases: list[str]) -> str:
    for phrase in phrases:
        text = text.replace(phrase, "")
    return text


def _borrowed_phrase(frame: QuestionFrame, profile: CorpusProfile, chunks: Sequence[Chunk]) -> Correction | None:
    """A statement the corpus makes of another place only (a title, a ranking, a project)."""
    place_text = profile.text_of(profile.docs_of(frame.places[0]))
    for segment in _phrases(frame, profile):
        smallest = min(len(segment), MIN_PHRASE) if segment in frame.quoted and len(segment) >= 3 else MIN_PHRASE
        for size in range(len(segment), smallest - 1, -1):
            hits = [segment[i:i + size] for i in range(len(segment) - size + 1)
                    if segment[i:i + size] in profile.text]
            if hits:
                phrase = hits[0]
                if phrase in place_text:
                    break
                return _misattributed(phrase, f"“{phrase}”", frame, profile, chunks)
    return None


_SCOPE = r"全国|全省|全市|全区|全球|世界|国内|省内|市内"
_FIRST = r"第一家|首家|首个|第一个|首座|第一座|首条|第一条|唯一一?[家个座条]?"
_RANK = re.compile(rf"({_SCOPE})的?({_FIRST})([\u4e00-\u9fff]{{2,8}}?)(?=[有是的在为吗呢，,。？?—\-：:]|$)")  # '…——X' names it


def _rank_claim(frame: QuestionFrame, profile: CorpusProfile, chunks: Sequence[Chunk]) -> Correction | None:
    """'全国第一家X' when the place's documents say '全省首家X': a first within another scope."""
    claim = _RANK.search(squash(frame.question))
    if not claim:
        return None
    scope, thing = claim.group(1), claim.group(3)
    said = re.compile(rf"({_SCOPE})的?(?:{_FIRST})[^，,。；;]{{0,4}}?{re.escape(thing)}")
    own = set(profile.docs_of(frame.places[0]))
    found = [(c, m) for c in chunks_with(thing, chunks, profile) if c.doc_id in own for m in said.finditer(squash(c.text))]
    if not found or any(m.group(1) == scope for _, m in found):
        return None
    chunk, m = found[0]
    text = squash(frame.question)  # what else it asks, about the thing as the documents describe it
    asked = text.replace(claim.group(0), m.group(0)) if any(w in text for w in QUESTION_WORDS) else ""
    return Correction(f"{PREMISE_MARK}文档中说的是“{m.group(0)}”[1]，不是“{claim.group(1)}{claim.group(2)}”。",
                      [Passage(chunk, 1.0)], asked)


def _names(term: str, clause: str) -> bool:
    """The clause names the term, or its fuller form ('空气优良天数' in '空气质量优良天数')."""
    return term in clause or bool(re.search(".{0,3}?".join(map(re.escape, term)), clause))


def _rising(frame: QuestionFrame, passages: list[Passage]) -> Correction | None:
    """'Why did X fall?' when the passage sentence about X, with a figure, says it rose."""
    topics = [t for t in [frame.indicator, *frame.metric_terms] if t]
    wanted = set(re.sub(r"[\W\d]", "", DECLINE.sub("", frame.question)))
    best, best_score = None, 0.0
    for number, passage in enumerate(passages, start=1):
        for sentence in re.findall(r"[^。；;！？\n]+", squash(passage.chunk.text)):
            clauses = re.split(r"[,，]", sentence)
            at = next((i for i, c in enumerate(clauses) if any(_names(t, c) for t in topics)), None if topics else 0)
            if at is None:
                continue
            compared = at + 1 < len(clauses) and clauses[at + 1].startswith(COMPARED_WITH + ("与",))  # '…232天，比…增加100天'
            sentence = "，".join(clauses[at:at + (1 if _DIGIT.search(clauses[at]) and not compared else 2)])
            if not any(w in sentence for w in _UP) or DECLINE.search(sentence) or not _DIGIT.search(sentence):
                continue
            score = len(wanted & set(sentence)) / max(len(wanted), 1)
            if score > best_score:
                best, best_score = (number, sentence.strip()), score
    if best is None or (not topics and best_score < 0.5):
        return None
    number, sentence = best
    topic = topics[0] if topics else "这一指标"
    return Correction(f"{PREMISE_MARK}文档并没有说{topic}下降，文档写的是“{sentence}”[1]。",
                      [passages[number - 1]])


_HIGHEST = ("最高", "最大", "最多", "占比第一", "比重第一", "排第一")
_SECTOR_NAMES = ("一产", "二产", "服务业")  # short names: the documents write only the ratio


def _top_industry(frame: QuestionFrame, profile: CorpusProfile, chunks: Sequence[Chunk]) -> Correction | None:
    """'一产占比在三次产业中最大' where the place's ratio of the three industries says another is."""
    term = measure(frame)
    index = sector(term) if term and any(w in frame.question for w in _HIGHEST) else None
    place = profile.most_specific(frame.places)
    year = frame.years[0] if len(frame.years) == 1 else place_base_year(profile, place)
    if index is None or not year:
        return None
    own = set(profile.docs_of(place))
    pool = [Passage(c, 1.0) for c in chunks if c.doc_id in own and "产业" in c.text]
    found = industry_ratio(pool, year, own)
    if found is None:
        return None
    shares, number = found
    top = max(range(3), key=lambda i: float(shares[i]))
    if top == index:
        return None
    asked = next((w for w in SECTORS[index] if w in frame.question), "")
    return Correction(f"{PREMISE_MARK}文档中{place}的三次产业比例为{':'.join(shares)}[1]，占比最高的是第{'一二三'[top]}项"
                      f"（{_SECTOR_NAMES[top]}，{shares[top]}%），不是问题所说的“{asked or _SECTOR_NAMES[index]}”。",
                      [pool[number - 1]])


def check_premise(frame: QuestionFrame, profile: CorpusProfile, chunks: Sequence[Chunk],
                  passages: list[Passage]) -> Correction | None:
    """What the question presumes that the documents say otherwise, read from their text: another place's
    figure or title, a target given as reached, a first within another scope, a decline the documents call
    a rise. (A figure the figure index contradicts is corrected by the answering route StatedFigure.)"""
    if len(frame.places) == 1:
        correction = _given_figure(frame, profile, chunks, note=False) \
            or _given_figure(frame, profile, chunks) or _borrowed_phrase(frame, profile, chunks) \
            or _rank_claim(frame, profile, chunks) or _top_industry(frame, profile, chunks)
        if correction:
            return correction
    return _rising(frame, passages) if frame.falls else None

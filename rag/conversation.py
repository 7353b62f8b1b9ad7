"""Multi-turn questions: an elliptical follow-up ("那平度呢？", "2025年呢？", "它的支柱产业有哪些？") is
rewritten with the previous standalone question into a question retrieval can answer on its own.

The method is generic: a follow-up's place and time (found with jieba.posseg, administrative suffixes and
the place names in the indexed documents' titles) replace the previous question's place and time, and a
follow-up that names a new topic inherits the previous question's place and time frame."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import jieba
import jieba.posseg

from rag.vocabulary import ADMIN_SUFFIXES, PLAN_WORD

jieba.setLogLevel(60)

_LEAD_IN = re.compile(r"^(?:那么|那(?![些个里儿样])|还有|另外|换成|如果是)\s*")
_TRAILER = re.compile(r"(?:的情况|怎么样|如何|又如何|呢|的)?\s*[?？。!！]*\s*$")
_ENDS_WITH_NE = re.compile(r"呢\s*[?？]*\s*$")
_PRONOUN = re.compile(r"该(?:市|区|县|镇|地|省)|它们|它|其|当地|本地|那里|这里")
_QUESTION_WORD = re.compile(r"什么|多少|哪些|哪个|哪里|哪|几|如何|怎样|怎么|是否|吗|有没有")
_TIME = re.compile(
    r"(?:19|20)\d{2}\s*(?:年|—|-|至|到)(?:\s*(?:19|20)\d{2}\s*年)?(?:底|末|初|前|以来)?"
    r"|[“\"]?" + PLAN_WORD + r"\s*[”\"]?\s*(?:期间|时期|末|初)?"
)
_AREA_WORDS = {"高新区", "开发区", "新区", "经济区", "示范区", "试验区", "保税区", "园区"}
_GENERIC = {"地区", "城区", "社区", "园区", "全市", "全区", "全县", "全省", "本市", "该市", "市区", "辖区", "片区",
            "山区", "街区", "景区", "库区", "港区", "老城区", "主城区", "中心城区", "城市", "都市", "城镇", "乡镇"}


@dataclass
class Span:
    start: int
    end: int
    text: str


def places_from_titles(titles: Iterable[str]) -> set[str]:
    """Place names in document titles, with and without their suffix ('高密市' and '高密')."""
    found: set[str] = set()
    finder = PlaceFinder()
    for title in titles:
        for span in finder.places(title):
            found.add(span.text)
            for token in finder.tokens(span.text):
                word = token[0]
                if len(word) >= 3 and word.endswith(ADMIN_SUFFIXES) and word not in _GENERIC:
                    found.add(word)
                    found.add(word[:-1])
    return {p for p in found if len(p) >= 2}


class PlaceFinder:
    """Place and time spans in a short text; a private jieba tokenizer so known places never change the
    tokenization the lexical index uses."""

    def __init__(self, known_places: Iterable[str] = ()):
        self.known: set[str] = set()
        # jieba's shared tokenizer as long as nothing is added to it (loading a private one takes ~1 s)
        self._tok = jieba.posseg.dt
        self.add(known_places)

    def add(self, places: Iterable[str]) -> None:
        """Know more places (e.g. from a newly indexed document); the first ones get a private tokenizer."""
        new = set(places) - self.known
        if new and self._tok is jieba.posseg.dt:
            self._tok = jieba.posseg.POSTokenizer(jieba.Tokenizer())
        for place in new:
            self._tok.tokenizer.add_word(place, freq=50000, tag="ns")
        self.known |= new

    def tokens(self, text: str) -> list[tuple[str, str]]:
        return [(p.word, p.flag) for p in self._tok.cut(text)]

    def _is_place(self, word: str, flag: str, after_place: bool) -> bool:
        if word in _GENERIC:
            return False
        if word in self.known or flag == "ns":
            return True
        if word in _AREA_WORDS:
            return after_place
        return len(word) >= 3 and word.endswith(ADMIN_SUFFIXES) and bool(re.fullmatch(r"[\u4e00-\u9fff]+", word))

    def places(self, text: str) -> list[Span]:
        """Consecutive place tokens form one span ('威海市环翠区', '淄博高新区')."""
        spans: list[Span] = []
        pos, current = 0, None
        for word, flag in self.tokens(text):
            start, pos = pos, pos + len(word)
            if self._is_place(word, flag, after_place=current is not None and current.end == start):
                if current is not None and current.end == start:
                    current.end, current.text = pos, current.text + word
                else:
                    current = Span(start, pos, word)
                    spans.append(current)
            else:
                current = None if current is None or current.end != start else current
        return spans

    @staticmethod
    def times(text: str) -> list[Span]:
        return [Span(m.start(), m.end(), m.group(0).strip()) for m in _TIME.finditer(text)]


def _replace(text: str, spans: list[Span], new: str, before: str = "") -> str:
    """Put `new` in place of the first span, or at the front (after `before` if that is present)."""
    if spans:
        return text[: spans[0].start] + new + text[spans[0].end :]
    at = text.find(before) + len(before) if before and before in text else 0
    return text[:at] + new + text[at:]


class FollowUpRewriter:
    def __init__(self, known_places: Iterable[str] = ()):
        self.finder = PlaceFinder(known_places)

    def is_follow_up(self, question: str) -> bool:
        q = question.strip()
        if _PRONOUN.search(q) or _LEAD_IN.match(q):
            return True
        if _ENDS_WITH_NE.search(q):
            return not (_QUESTION_WORD.search(q) and self.finder.places(q))
        return len(q) <= 8 and not _QUESTION_WORD.search(q)

    def rewrite(self, question: str, previous: list[str]) -> str:
        """`previous`: the earlier turns' standalone questions, oldest first."""
        question = question.strip()
        if not previous or not question or not self.is_follow_up(question):
            return question
        last = previous[-1].strip()
        old_place = self.finder.places(last)
        old_time = self.finder.times(last)
        body = _TRAILER.sub("", _LEAD_IN.sub("", question)).strip()
        if old_place:
            body = _PRONOUN.sub(old_place[0].text, body)
        places, times = self.finder.places(body), self.finder.times(body)
        topic = body
        for span in sorted(places + times, key=lambda s: -s.start):
            topic = topic[: span.start] + topic[span.end :]
        if not re.sub(r"[\W的在和与及]", "", topic):
            return self._substitute(last, old_place, old_time, places, times)
        return self._frame(body, old_place, old_time, places, times)

    def _substitute(self, last: str, old_place: list[Span], old_time: list[Span],
                    places: list[Span], times: list[Span]) -> str:
        """Only a new place and/or time was given: ask the previous question again about them."""
        result = last
        if times:  # the time first: its spans lie after the place in the usual order, keep offsets valid
            result = _replace(result, old_time, "".join(t.text for t in times),
                              before=old_place[0].text if old_place else "")
        if places:
            result = _replace(result, self.finder.places(result), "".join(p.text for p in places))
        return result

    @staticmethod
    def _frame(body: str, old_place: list[Span], old_time: list[Span], places: list[Span], times: list[Span]) -> str:
        """A new topic: it inherits the previous question's place and time unless it names its own."""
        keep_time = not times and old_time and not _QUESTION_WORD.search(body)
        frame = "" if places or not old_place else old_place[0].text
        frame += old_time[0].text if keep_time and not places else ""
        if places and keep_time:  # '平度的GDP' -> '平度2020年的GDP'
            body = body[: places[0].end] + old_time[0].text + body[places[0].end :]
        elif frame and not body.startswith("的") and not places and not times and not _QUESTION_WORD.search(body):
            frame += "的"
        return f"{frame}{body}？" if not body.endswith(("？", "?")) else frame + body

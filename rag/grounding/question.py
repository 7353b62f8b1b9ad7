"""What a question asks, read against the corpus profile: which places (the corpus's own, others it
mentions, or ones it never names), which years or plan periods, which indicator, which figures it states
as given, and what kind of question it is (fact, list, comparison, difference, ratio, growth, sum, each,
yes/no, why)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import jieba

from rag.conversation import PlaceFinder
from rag.facts import lexical_similarity
from rag.grounding.profile import CorpusProfile, squash
from rag.vocabulary import (ABBREVIATIONS, ADMIN_SUFFIXES, AMOUNT_ASKED, ASKING_PREFIXES, ASSERTING_WORDS, COMPARED_WITH,
                            DECLINE_WORDS, FALL_VERBS, INCREASE_WORDS, MEASURE_HEADS, MEASURE_MODIFIERS, PLAN_NAME, PLAN_WORD,
                            PUBLIC_OFFICES, RATE_CUES, RELATIVE_YEARS, RISE_VERBS, alternation, dimension_of, plan_number,
                            plan_years, unit_pattern)

# General statistical vocabulary (not any document's): words that name something measured, and the
# public offices people ask about. A question about one of them can be checked for presence.
# the heads of measure names (rag/vocabulary.py) and the short heads people type ('票价', '排放'); a structure
# ('三次产业结构') is not one figure a question's sides can each be asked for, so it is no measured term here
_METRIC_HEADS = tuple(h for h in MEASURE_HEADS if h != "结构") + ("价", "票价", "门票", "排放")
_CHANGE_VERBS = set(INCREASE_WORDS + DECLINE_WORDS)
GLOSSARY = ABBREVIATIONS  # the GDP's other names: standard terms of Chinese statistics (rag/vocabulary.py)
_UNIT = r"(?:" + unit_pattern() + ")"
_GIVEN = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(" + _UNIT + r")")
_QUOTED = re.compile(r"[“\"《「]([^”\"》」]{2,30})[”\"》」]")
_QUESTION_WORDS = {"多少", "哪些", "什么", "哪个", "哪里", "怎么", "怎样", "如何", "是否", "有没有", "几", "哪", "是", "的",
                   "吗", "呢", "了", "和", "与", "及", "要", "将", "会", "能", "在", "对", "把", "为", "有", "到", "比",
                   "分别", "各", "目标", "计划", "规划", "期间", "末", "年", "年底", "目前", "现在", "当前", "今年",
                   "哪一年", "哪年", "一年", "谁", "叫", "名字", "提前", "完成", "实际", "现任", "预计", "大约", "左右",
                   "多大", "多高", "多长", "多远", "多少钱", "几成", "所占", "占到",
                   # what a question asserts of the measure: '森林覆盖率已经超过30%'
                   *ASSERTING_WORDS, "不到", "低于", "做到", "还有", "下一步",
                   # when and over what area, not what: '十三五结束时全市生产总值'
                   "结束", "结束时", "时", "时候", "全市", "全区", "全县", "全省", "全国",
                   # how sides compare: '城镇化率更高' measures 城镇化率
                   "更", "最", "更高", "更大", "更多", "更快", "更低", "更少", "更小", "最高", "最大", "最多", "最低", "最少", "最小",
                   # how a measure changed: '城镇化率提高了多少' measures 城镇化率
                   *RISE_VERBS, *FALL_VERBS,
                   # generic heads and table words: '…数量', '基期值' say how, not what, is measured
                   "数量", "情况", "水平", "规模", "基期值", "基期", "目标值", "预期值", "现状值", "指标"}

_AMOUNT, _CHANGE = alternation(AMOUNT_ASKED), alternation(RISE_VERBS + FALL_VERBS)  # '多少|几', '增长|…|下降|…'
# the kinds of question, tried in order: a kind is asked when the question holds one of its words, or what its
# pattern matches (the forms around an unknown stretch: '哪个…更高', '增长了多少', '…吗？' at the end)
_KINDS: list[tuple[str, tuple[str, ...], re.Pattern | None]] = [
    ("sum", ("合计", "总共", "一共", "加起来", "之和", "总和", "加在一起"), None),
    ("ratio", ("几倍", "多少倍", "倍数"), None),
    ("growth", ("增幅", "增长率是多少", "增长了几成"), re.compile(r"增长了?(?:百分之|多少[%％])")),
    ("difference", ("相差", "差距", "差多少", "差了", "多多少", "少多少", "高多少", "低多少", "大多少", "小多少", "多出"),
     re.compile(rf"(?:{_CHANGE})了?(?:{_AMOUNT})|(?<!差)[多少]了(?:{_AMOUNT})")),
    ("comparison", ("相比", "对比", "比较", "比一比", "孰", "更高", "更大", "更多", "更快", "异同", "区别", "有何不同", "有什么不同"),
     re.compile(r"(?:哪个|哪一个|哪家|哪里|哪边|哪方|哪地|谁)[^？?]{0,12}(?:更|最|较)"
                r"|(?:哪个|哪一个|哪家|哪里|哪边|哪方|谁)[^？?]{0,12}(?:大|高|多|快|强|低|少|小|好|领先|长|久)")),
    ("each", ("分别", "各是", "各为", "各自", "各有", "各要", "各多少"), None),
    ("why", ("为什么", "为何", "原因", "怎么会"), None),
    ("yesno", ("是否", "有没有", "是不是"), re.compile(r"吗[？?]?\s*$")),
    ("list", ("哪些", "哪几", "有什么", "包括什么", "包含什么"), None),
]
ARITHMETIC = {"sum", "ratio", "growth", "difference", "comparison"}
ACHIEVED = re.compile(r"已经|已|早已|实现了|完成了|达到了")  # asks what is done: as of the plan's base year
_AVERAGE = ("年均", "平均", "每年")  # '“十三五”期间年均增长多少': a rate the documents state, not a change
# what a sum adds up: parts joined ('出口和进口'), a list named by its parts or its count ('“4+3”', '三个产业')
_ADDENDS = re.compile(r"[和与及、]|以及|加上|\d+\+\d+|[两二三四五六七八九十\d]+(?:个|大|项|类|家|所|地|座|条)")
_COUNTED = re.compile(r"[一二两三四五六七八九十几各多]+[地个项类家方者边]")  # '三地', '两个': which ones, not what
_UNDER = re.compile(r"(?<=[省市])([\u4e00-\u9fff]{2}(?:区|县|市|旗))(?![长委级民场政])")  # not 市长, 区委
# a county-level name jieba may cut apart ('给峡山区定的' -> 峡/山区): after a preposition, before what is
# said of it; kinds of area that are not places (工业园区, 示范区) are left out
_NAMED_UNIT = re.compile(r"(?<=[给对在为和与])([\u4e00-\u9fff]{2,3}(?:区|县))(?=[定的是有要在和与，,？?])")
_AREA_KINDS = ("园", "城", "社", "景", "库", "片", "街", "小", "市", "郊", "辖", "新", "老", "开发", "功能", "示范", "试验", "实验",
               "保护", "集聚", "先行", "核心", "服务", "产业", "经济", "自贸", "综保", "高新", "经开", "住宅", "生活", "商业",
               "工业", "农业", "旅游", "风景", "重点", "贫困", "灾")  # before 区 or 县: a kind of area, not a place
_QUALITATIVE = ("异同", "区别", "不同", "什么", "哪些", "怎样", "如何")
_HOW_MUCH = re.compile(r"多少|(?<!哪)几|多[大高长远重快久]")  # not '哪几': which ones
_QUANTITY = AMOUNT_ASKED + ("更大", "更高", "更多", "更快", "更低", "更少", "更小", "最大", "最高", "最多", "最快", "最低", "最少", "最小")
# a decline said: a fall verb, a level fallen to, a worsening, fewer by a figure ('比上年少了20天')
DECLINE = re.compile(alternation(FALL_VERBS + ("降至", "变差", "恶化")) + r"|少了\d")


@dataclass
class QuestionFrame:
    question: str
    places: list[str] = field(default_factory=list)  # the corpus's places (document subjects), canonical
    mentioned: list[str] = field(default_factory=list)  # other places the corpus text names
    unknown: list[str] = field(default_factory=list)  # places the corpus never names
    above: list[str] = field(default_factory=list)  # mentioned places that contain a covered one (威海市)
    years: list[int] = field(default_factory=list)
    periods: list[int] = field(default_factory=list)
    indicator: str = ""  # the corpus indicator the question asks about, if one matches
    metric_terms: list[str] = field(default_factory=list)  # measured things it names (…率, …收入)
    quoted: list[str] = field(default_factory=list)
    given: list[tuple[str, str]] = field(default_factory=list)  # figures the question states: (number, unit)
    kind: str = "fact"
    falls: bool = False  # the question presumes a decline
    clauses: list[tuple[str, list[str]]] = field(default_factory=list)  # sub-questions, each with its own places

    @property
    def sides(self) -> list[str]:
        """What a comparison or calculation compares: places first, else years."""
        by_year = len(self.years) >= 2 and self.kind in ARITHMETIC | {"each"}
        if len(self.places) >= 2 and not (by_year and self.kind != "each" and self.kind != "comparison"):
            return self.places
        if by_year:  # '青岛方案要求莱西2025年比2020年增加多少': the years are the sides
            return [f"{y}年" for y in self.years]
        return []

    @property
    def decomposed(self) -> bool:
        """Answered side by side: a comparison or calculation, 'each of', or clauses about different places."""
        return bool(self.clauses) or (bool(self.sides) and self.kind in ARITHMETIC | {"each"})

    def summary(self) -> str:
        """One line a person reads: how the question was understood."""
        parts = []
        if self.places or self.mentioned or self.unknown:
            parts.append("地区：" + "、".join(self.places + self.mentioned + self.unknown))
        if self.years:
            parts.append("年份：" + "、".join(f"{y}年" for y in self.years))
        if self.indicator:
            parts.append(f"指标：{self.indicator}")
        names = {"fact": "事实", "list": "列举", "comparison": "比较", "difference": "差值计算", "ratio": "倍数计算",
                 "growth": "增长计算", "sum": "求和", "each": "分项", "yesno": "是非", "why": "原因"}
        parts.append("类型：" + names.get(self.kind, self.kind))
        return "；".join(parts)


def asks_figure(question: str) -> bool:
    """The question asks for a number ('多少', '几', '多大'), not for things or a description."""
    return bool(_HOW_MUCH.search(question))


def expand(question: str) -> str:
    """The question with the glossary's standard terms beside the common ones (for matching and retrieval)."""
    out = question
    for short, full in GLOSSARY.items():
        if short in out and full not in out:
            out = out.replace(short, f"{short}（{full}）", 1)
    return out


def measure(frame: QuestionFrame) -> str:
    """The measure a numeric question asks about: its longest measured term or the corpus's indicator
    name in it, with the modifier the question puts before it ('人均GDP' -> 人均地区生产总值)."""
    term = max(frame.metric_terms + [frame.indicator], key=lambda t: len(expand(t)))
    text = squash(frame.question)
    for form in [term] + [short for short, full in GLOSSARY.items() if full == term]:
        at = text.find(form)
        modifier = next((m for m in MEASURE_MODIFIERS if text[:at].endswith(m)), "") if at > 0 else ""
        if modifier and not term.startswith(modifier):
            return modifier + term
    return term


def magnitudes(text: str) -> str:
    """'过千亿' -> '过1000亿元': round figures written as words."""
    return re.sub(r"(?<![\d一二三四五六七八九十两])([千百])亿元?", lambda m: ("1000" if m.group(1) == "千" else "100") + "亿元", text)


# a year or a plan period with the words that place a moment in it ('“十三五”末', '2020年底'): when, not what
TIME_MARK = re.compile(r"[“\"]?" + PLAN_WORD + r"[”\"]?(?:末|初|期间|时期)?|(?:19|20)\d{2}年?(?:底|末)?")
_SEASON = re.compile(r"(?<!\d)(?:19|20)\d{2}\s*[-—~/至到]\s*((?:19|20)\d{2})(?=\s*(?:赛季|年度|学年|财年))")


def season_named(text: str) -> str:
    """A season or business year written as a range ('2021-2022赛季') named by its last year ('2022赛季'):
    one span of time, which passages also write so; a range of years ('2021-2025年') is left whole."""
    return _SEASON.sub(r"\1", text)


def _area_kind(name: str) -> bool:
    """'工业园区', '示范区': a kind of area named like a county-level unit, no place."""
    return name.endswith(("区", "县")) and name[:-1].endswith(_AREA_KINDS)


def _years(text: str) -> tuple[list[int], list[int]]:
    text = season_named(text)
    years: list[int] = [int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", text)]
    periods: list[int] = []
    for m in re.finditer(PLAN_NAME + r"[”\"]?\s*(末|收官|最后一年|初|开局|第一年|首年|期间|时期)?", text):
        number = plan_number(m.group(1))
        periods.append(number)
        first, last = plan_years(number)
        if m.group(2) in ("末", "收官", "最后一年"):
            years.append(last)
        elif m.group(2) in ("初", "开局", "第一年", "首年"):
            years.append(first)
    return list(dict.fromkeys(years)), list(dict.fromkeys(periods))


class QuestionReader:
    """Reads questions against one corpus profile (made once per loaded index)."""

    def __init__(self, profile: CorpusProfile, finder: PlaceFinder | None = None):
        """`finder`: one kept from an earlier index version, so its tokenizer is not loaded again."""
        self.profile = profile
        self.finder = finder or PlaceFinder()
        self.finder.add(profile.aliases)

    def _places(self, text: str, frame: QuestionFrame) -> None:
        # a county-level unit written after its city ('威海市文登区'): jieba may cut it as a name plus '区'
        units = [m.group(1) for m in _UNDER.finditer(text) if m.group(1) not in self.profile.aliases]
        units += [m.group(1) for m in _NAMED_UNIT.finditer(text) if m.group(1) not in self.profile.aliases
                  and not _area_kind(m.group(1)) and m.group(1) not in units]
        words: list[str] = []
        for span in self.finder.places(text):
            words += [w for w, _ in self.finder.tokens(span.text)] if span.text not in self.profile.aliases else [span.text]
        for word in [w for w in words if not any(w in u or u in w for u in units)] + units:
            if len(word) < 2 or word.startswith(ASKING_PREFIXES):  # '哪些县' asks which counties: no place
                continue
            canonical = self.profile.aliases.get(word)
            if canonical:
                frame.places.append(canonical)
            elif word in self.profile.text:
                frame.mentioned.append(word)
            else:
                frame.unknown.append(word)
        frame.places = list(dict.fromkeys(frame.places))
        frame.mentioned = [m for m in dict.fromkeys(frame.mentioned) if not any(m in p for p in frame.places)]
        # jieba tags some common nouns as places (海洋): without an administrative suffix, a name the corpus
        # never uses counts as an unknown place only when the question names none of the corpus's places
        frame.unknown = [u for u in dict.fromkeys(frame.unknown)
                         if (u.endswith(ADMIN_SUFFIXES) or not frame.places) and not _area_kind(u)]
        parents = {name for place in self.profile.places for name in self.profile.parents(place)}
        frame.above = [m for m in frame.mentioned if m in parents]

    def _metric_terms(self, text: str, frame: QuestionFrame) -> list[str]:
        """Runs of content words ending in a measured thing: '旅游总收入', '人口出生率', '城镇化率'."""
        skip = set(frame.places) | set(frame.mentioned) | set(frame.unknown) | set(self.profile.aliases)
        terms, run, previous = [], "", ""
        text = TIME_MARK.sub("，", text)
        text = re.sub(r"[（(][\u4e00-\u9fff]{1,4}[）)]", "", text)  # '执业（助理）医师数' is one measure
        words = jieba.lcut(text) + ["。"]
        closed: list[tuple[int, str]] = []  # every run of two or more characters, with where it ended
        for i, word in enumerate(words):
            asked_where = previous in ("哪个", "哪", "哪一个") and word in ("地区", "地方", "城市", "县市", "区县") \
                and not "".join(words[i:i + 3]).startswith(tuple(GLOSSARY.values()))  # 地区生产总值 stays whole
            previous = word
            joined = word == "比" and run.endswith("占")  # jieba cuts '服务业占比' into 占/比
            if joined:
                run += word
                continue
            if not re.fullmatch(r"[\u4e00-\u9fffA-Za-z.]+", word) or word in _QUESTION_WORDS or word in skip \
                    or word in RELATIVE_YEARS \
                    or _COUNTED.fullmatch(word) or asked_where:  # '哪个地区森林覆盖率更高': 地区 is asked, not measured
                run = re.sub(r"^(?:多大|多少|多高|多长|多远|几)", "", run)  # jieba keeps '多大面积' whole
                if len(run) >= 2 and run.endswith(_METRIC_HEADS + PUBLIC_OFFICES):
                    terms.append(run)
                elif len(run) >= 2:
                    closed.append((i, run))
                run = ""
                continue
            if word in _CHANGE_VERBS and run.endswith(_METRIC_HEADS):  # '房价涨了多少': the measure ends at its verb
                terms.append(run)
                run = ""
                continue
            run += word
        return terms or ([] if frame.indicator else self._asked_thing(words, closed))

    def _asked_thing(self, words: list[str], closed: list[tuple[int, str]]) -> list[str]:
        """A question whose measure has no measure head ('出口是多少', '多少个空气优良天'): the run nearest the
        amount asked, before it or else after, when the figure index holds a measure it names."""
        at = next((i for i, w in enumerate(words) if w.startswith(AMOUNT_ASKED)), None)
        if at is None:
            return []
        before = [(end, run) for end, run in closed if end <= at]
        next_to = before and all(w in _QUESTION_WORDS for w in words[before[-1][0]:at])  # '出口是多少'
        after = [run[1:] if dimension_of(run[0]) == "count" else run for end, run in closed if end > at]  # '多少个X'
        run = before[-1][1] if next_to else after[0] if after else ""
        known = run and any(run in m or m in run and 2 * len(m) >= len(run) or lexical_similarity(run, m) >= 0.9
                            for m in self.profile.measures if len(m) >= 2)
        return [run] if known else []

    def _relative_years(self, text: str, frame: QuestionFrame) -> list[int]:
        """'去年', '今年', '明年' read against the year the asked place's documents were written in (a 2026
        report's 去年 is 2025); [] when the documents do not say one year."""
        taken: list[tuple[int, int]] = []
        offsets = set()
        for word in sorted(RELATIVE_YEARS, key=len, reverse=True):  # '上年度' before '上年', each span once
            at = text.find(word)
            while at >= 0:
                if not any(s < at + len(word) and at < e for s, e in taken):
                    taken.append((at, at + len(word)))
                    offsets.add(RELATIVE_YEARS[word])
                at = text.find(word, at + 1)
        docs = [d for p in frame.places for d in self.profile.docs_of(p)] or None
        year = self.profile.written_in(docs) if offsets else None
        return sorted(year + offset for offset in offsets) if year is not None else []

    def _indicator(self, text: str) -> str:
        inside = [i for i in self.profile.indicators if i in text]
        return max(inside, key=len) if inside else ""

    def read(self, question: str) -> QuestionFrame:
        text = squash(question)
        frame = QuestionFrame(question)
        self._places(text, frame)
        frame.years, frame.periods = _years(text)
        if not frame.years:
            frame.years = self._relative_years(text, frame)
        frame.quoted = [q.strip() for q in _QUOTED.findall(text)]
        frame.given = [(n, u) for n, u in _GIVEN.findall(magnitudes(text))
                       if not (u == "年" and re.fullmatch(r"(?:19|20)\d{2}", n))]
        expanded = expand(text)
        frame.indicator = self._indicator(expanded)
        frame.metric_terms = self._metric_terms(text, frame)
        frame.kind = next((kind for kind, words, pattern in _KINDS
                           if any(w in text for w in words) or (pattern and pattern.search(text))), "fact")
        frame.falls = bool(DECLINE.search(text)) and frame.kind in {"why", "fact", "yesno"}
        if frame.kind == "difference" and not frame.years and len(frame.periods) == 1 and not any(w in text for w in _AVERAGE):
            first, last = plan_years(frame.periods[0])
            frame.years = [first - 1, last]  # '“十三五”期间提高了几个百分点': from the end of the one before
        if frame.kind == "difference" and len(frame.places) < 2 and any(w in text for w in _AVERAGE) \
                and not any(w in text for w in COMPARED_WITH):
            frame.kind = "fact"  # '…期间年均增长多少': the yearly average the documents state, nothing to subtract
        each = any(w in text for w in ("各", "分别"))
        if frame.kind == "difference" and len(frame.places) < 2 and len(frame.years) < 2 and not frame.periods \
                and not any(w in text for w in COMPARED_WITH) and (any(w in text for w in RATE_CUES) or each):
            frame.kind = "each" if each else "fact"  # '去年增长了多少': a rate the documents state, not a sum
        if frame.kind == "growth" and len(frame.places) < 2 and len(frame.years) < 2 and not frame.periods:
            frame.kind = "fact"  # '2025年…增长率是多少': the rate the documents state; two levels are not given
        if frame.kind == "sum" and len(frame.places) < 2 and len(frame.years) < 2 and not _ADDENDS.search(text):
            frame.kind = "fact"  # '口袋公园一共建了多少个': the total the documents state, nothing to add up
        if frame.kind == "comparison" and len(frame.places) < 2 and len(frame.years) < 2:
            frame.kind = "fact"  # '相比' inside a single-place question: nothing to compare in code
        if frame.kind == "comparison" and any(w in text for w in _QUALITATIVE) and not any(w in text for w in _QUANTITY):
            frame.kind = "each"  # '有什么异同': each side's statement, nothing to compute
        if frame.kind == "fact" and len(frame.years) >= 2 and any(w in text for w in AMOUNT_ASKED):
            frame.kind = "each"  # '2020年达到了多少，2025年要提高到多少': one figure per year
        frame.clauses = self._clauses(text) if len(frame.places) >= 2 else []
        return frame

    def _clauses(self, text: str) -> list[tuple[str, list[str]]]:
        """'莱西2020年GDP是多少？青岛方案要求莱西2025年达到多少？': two questions about different places."""
        parts = [p for p in re.split(r"(?<=[？?])", text) if p.strip("？? ")]
        if len(parts) < 2:
            return []
        read = []
        for part in parts:
            sub = QuestionFrame(part)
            self._places(part, sub)
            read.append((part, sub.places))
        differ = len({tuple(p) for _, p in read}) == len(read)
        return read if differ and all(places for _, places in read) else []

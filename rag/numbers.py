"""One number parser for the whole product: a figure as written in a Chinese document -> a Quantity with
its value, unit, bound, direction and span. It reads thousands separators ('12,567,893,500.00'),
full-width digits, Chinese numerals and magnitudes ('1.2万', '三千', '一百亿元', read by cn2an), ranges
('5%-6%', '5%到6%'), bounds ('以上', '左右', '超过', '不低于'), '%' against '个百分点', '倍', signs and
decline words ('下降2.1%' is a change of -2.1) and ratios ('9.5:32.6:57.9'). The words it knows come from
rag.vocabulary; years, dates, document numbers, ordinals and names with digits ('5G', 'PM2.5') are not
quantities and are skipped."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import cn2an

from rag.vocabulary import (
    BOUND_AFTER, BOUND_BEFORE, COMPARED_WITH, DECLINE_WORDS, DIRECTION_FILLERS, INCREASE_WORDS, NEW_THINGS,
    RANGE_JOINERS, TO_LEVEL, canonical_unit, dimension_of, split_unit, unit_pattern,
)

# full-width ASCII (digits, '％', '．', '，') -> ASCII, one character for one so spans stay valid
_HALF = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x2212: ord("-"), 0x3000: ord(" ")}
_UNIT = unit_pattern()
_CN_DIGIT = "零〇一二两三四五六七八九十百千万亿"
_ARABIC = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_JOIN = "|".join(re.escape(j) for j in RANGE_JOINERS)
_CN_NUMBER = rf"[{_CN_DIGIT}][{_CN_DIGIT}点]*"
_FIGURE = re.compile(
    rf"(?P<sign>[-+](?=\d))?(?P<a>{_ARABIC}|{_CN_NUMBER})(?P<more>多|余)?\s?(?P<ua>{_UNIT})?"
    rf"(?:\s?(?:{_JOIN})\s?(?P<b>{_ARABIC}|{_CN_NUMBER})\s?(?P<ub>{_UNIT})?)?"
)
_RATIO = re.compile(rf"(?<![\d.:：∶])(?:{_ARABIC})(?:\s?[:：∶]\s?(?:{_ARABIC})){{1,3}}(?![\d.:：∶])")
_AFTER = "|".join(re.escape(w) for w in sorted(BOUND_AFTER, key=len, reverse=True))
_BEFORE = sorted(BOUND_BEFORE, key=len, reverse=True)
_YEAR = re.compile(r"(?:19|20)\d{2}")
_CLASS_OR_SPAN = re.compile(r"\s?(?:级|内|来|间|翻)")
_DATE_AFTER = re.compile(r"\s?(?:月|日|号|时\b|点\d)")


@dataclass(frozen=True)
class Quantity:
    """A figure as the text states it. `value` is signed (a decline is negative) and, for a range, its low
    end; `unit` is the written unit made canonical ('亿元', '%', '个百分点', '万' for a bare magnitude)."""

    value: float
    unit: str
    start: int  # span in the text: the number(s), the unit, a bound word after it
    end: int
    text: str
    low: float | None = None
    high: float | None = None
    bound: str = ""  # '' | '>' | '>=' | '<' | '<=' | '~'
    direction: str = ""  # 'up' | 'down' | '' (after an increase / decline word: a change, not a level)
    compared: bool = False  # stated against another time ('比上年', '较2020年'): a difference
    parts: tuple[float, ...] = field(default_factory=tuple)  # a ratio's terms ('9.5:32.6:57.9')

    @property
    def dimension(self) -> str:
        return "ratio" if self.parts else dimension_of(self.unit)

    @property
    def scale(self) -> float:
        return split_unit(self.unit)[0]

    @property
    def base_unit(self) -> str:
        return split_unit(self.unit)[1]

    @property
    def base_value(self) -> float:
        """The value in the base unit (67665亿元 -> 6.7665e12 元), to compare figures written differently."""
        return self.value * self.scale

    @property
    def is_change(self) -> bool:
        return bool(self.direction) or self.unit == "个百分点"


def halfwidth(text: str) -> str:
    """Full-width digits and signs as ASCII, character for character (offsets are kept)."""
    return text.translate(_HALF)


@lru_cache(maxsize=4096)
def _numeral(token: str) -> float | None:
    """'12,567.5' / '1.2万' / '三千' / '一百亿' -> a float (cn2an reads Chinese numerals and magnitudes)."""
    token = token.replace(",", "").replace(" ", "").replace("两", "二").replace("〇", "零")
    try:
        return float(token)
    except ValueError:
        pass
    try:
        return float(cn2an.cn2an(token, "smart"))
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def parse_number(text: str) -> Quantity | None:
    """The one quantity a short text states ('5.5%', '1.2万人', '约3千亩', '下降2.1%', '5%-6%'), or None."""
    found = find_quantities(text)
    return found[0] if len(found) == 1 else None


def _unit_of(token: str, unit: str | None) -> tuple[float | None, str]:
    """The value and canonical unit of a number token and the unit written after it ('1.2' + '万人')."""
    return _numeral(token), canonical_unit(unit or "")


def _skipped(text: str, start: int, end: int, token: str) -> bool:
    """Years, dates, codes and names with digits, ordinals and list numbers are not quantities."""
    before, after = text[max(0, start - 2):start], text[end:end + 3]
    if re.search(r"[A-Za-z]$", before) or re.match(r"\.?\d*[A-Za-z]", after) and not after.startswith(("MW", "GW", "TEU")):
        return True  # 5G, G20, PM2.5, 4A
    if _YEAR.fullmatch(token) and (re.match(rf"\s?(?:年|{_JOIN}\s?(?:19|20)\d\d)", after) or re.search(rf"(?:{_JOIN})\s?$", before)
                                   or re.match(r"[\u4e00-\u9fff]", after[:1]) and not re.match(_UNIT, after)):
        return True
    if re.search(r"“[^”。，,；]{0,10}$", text[max(0, start - 10):start]) and re.match(r"[^“。，,；]{0,12}”", text[end:end + 13]):
        return True  # inside a short quoted name: '“21条”', '“城市社区15分钟服务圈”'
    if _DATE_AFTER.match(after) or before.endswith(("〔", "[", "第", "（", "(")) and re.match(r"\s?[〕\])）、.]", after):
        return True
    if re.search(r"(?:连续|近|过去|未来|再延长|用)\s?$", text[max(0, start - 3):start]) and re.match(r"\s?(?:个月|年|天)", after):
        return True  # '连续5年', '近10年': a span that qualifies a claim, not a measured value
    if before.endswith("第") and not re.match(r"\s?[位名]", after):
        return True  # 第5代, 第十四届: ordinals; 第5位 is a rank
    line_start = start == 0 or text[start - 1] in "\n(（"
    return line_start and re.match(r"\s?[、.．)）]", after) is not None


def _bound_before(pre: str) -> tuple[str, str]:
    """The bound word that ends `pre` ('超过', '不低于', '约') and `pre` without it."""
    for word in _BEFORE:
        if pre.endswith(word) and not (word == "约" and len(pre) >= 2 and pre[-2] in "节制签合公契预"):
            return BOUND_BEFORE[word], pre[: -len(word)]
    return "", pre


def _direction(pre: str, unit: str = "") -> tuple[str, bool]:
    """('up' | 'down' | '', compared): a direction word before the figure with only fillers between
    ('比上年下降了2.1%'); '下降到' states the level reached, so no direction."""
    rest = pre.rstrip()
    changed = True
    while changed:
        changed = False
        for filler in DIRECTION_FILLERS:
            if rest.endswith(filler):
                rest, changed = rest[: -len(filler)].rstrip(), True
    if rest.endswith(TO_LEVEL) or rest.endswith(NEW_THINGS) and unit not in ("%", "倍", "成"):
        return "", False  # '新增258家' counts new things; '新增80%' is growth
    for words, sign in ((DECLINE_WORDS, "down"), (INCREASE_WORDS + NEW_THINGS[:1], "up")):
        for word in sorted(words, key=len, reverse=True):
            if rest.endswith(word):
                compared = re.search(rf"(?:{'|'.join(COMPARED_WITH)})(?![重例率较])[^，,；;。]{{0,10}}$", rest[: -len(word)])
                return sign, compared is not None
    for word, sign in (("少", "down"), ("多", "up")):  # '比上年少了20天': more or less than a thing compared with
        if rest.endswith(word) and re.search(rf"(?:{'|'.join(COMPARED_WITH)})[^，,；;。]{{1,10}}$", rest[:-1]):
            return sign, True
    return "", False


def _clause_before(text: str, start: int, floor: int) -> str:
    """The text before a figure back to the clause's start or the previous figure."""
    head = text[floor:start]
    cut = max(head.rfind(mark) for mark in "，,；;。！？!?\n：:（(")
    return head[cut + 1:]


def _ratios(text: str) -> list[Quantity]:
    found = []
    for m in _RATIO.finditer(text):
        terms = tuple(float(t.replace(",", "")) for t in re.split(r"\s?[:：∶]\s?", m.group(0)))
        found.append(Quantity(terms[0], "", m.start(), m.end(), m.group(0), parts=terms))
    return found


def _range_end(m: re.Match, text: str) -> tuple[float | None, str, int]:
    """The range's high end, its unit and where the match really ends (a year after '到' is not one)."""
    if not m.group("b") or _skipped(text, m.start("b"), m.end("b"), m.group("b")):
        end = m.end("ua") if m.group("ua") else m.end("more") if m.group("more") else m.end("a")
        return None, "", end
    high, unit = _unit_of(m.group("b"), m.group("ub"))
    return high, unit, m.end()


def _quantity(m: re.Match, text: str, previous: Quantity | None, floor: int) -> Quantity | None:
    token = m.group("a")
    chinese = not re.match(r"\d", token)
    if _skipped(text, m.start("a"), m.end("a"), token):
        return None
    value, unit = _unit_of(token, m.group("ua"))
    high, unit_b, end = _range_end(m, text)
    unit = unit or unit_b
    if value is None or chinese and (not m.group("ua") or token == "一" or dimension_of(unit) in ("count", "rank", "duration", "age", "")
                                      or text[max(0, m.start() - 1):m.start()] in ("第", "十")):
        return None  # '一是', '三大攻坚战', '十四五': Chinese numerals count only with a measurement unit
    if _CLASS_OR_SPAN.match(text[end:end + 2]) and (text[end:end + 1] == "级" or dimension_of(unit) == "duration") \
            or dimension_of(unit) == "voltage":
        return None  # '百亿级' names a class, '3年内' a horizon, '220千伏' a grade of equipment: no measured value
    bound = BOUND_AFTER["多"] if m.group("more") else ""
    after = re.match(rf"\s?({_AFTER})", text[end:])
    if after:
        bound, end = BOUND_AFTER[after.group(1)], end + after.end()
        counted = re.match(rf"\s?({_UNIT})", text[end:]) if split_unit(unit)[1] == "" else None
        if counted and after.group(1) in ("多", "余"):  # '3万余场': the unit comes after the bound word
            unit, end = canonical_unit(unit + counted.group(1)), end + counted.end()
    pre = _clause_before(text, m.start(), floor)
    before, pre = _bound_before(pre.rstrip())
    direction, compared = _direction(pre, unit)
    if not direction and previous and re.fullmatch(r"\s?[、和与及]\s?", text[previous.end:m.start()]):
        direction, compared = previous.direction, previous.compared  # '分别增长4.4%、5.6%'
    if m.group("sign") == "-" or direction == "down":
        value, high = -value, None if high is None else -high
    low = value if high is None else min(value, high)
    return Quantity(value, unit, m.start(), end, text[m.start():end], low, high if high is None else max(value, high),
                    bound=before or bound, direction=direction, compared=compared)


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity the text states, in reading order, with spans into `text` as given."""
    norm = halfwidth(text)
    ratios = _ratios(norm)
    taken = [(r.start, r.end) for r in ratios]
    found: list[Quantity] = []
    previous = None
    for m in _FIGURE.finditer(norm):
        if any(s <= m.start() < e for s, e in taken):
            continue
        quantity = _quantity(m, norm, previous, previous.end if previous else 0)
        if quantity is not None:
            found.append(quantity)
            previous = quantity
    return sorted(found + ratios, key=lambda q: q.start)


_CN_YEAR_DIGITS = str.maketrans("〇零OoΟ一二三四五六七八九", "00000123456789")
_CN_YEAR = re.compile(r"([〇零OoΟ一二三四五六七八九]\s?){4}(?=\s?年)")


def years_as_digits(text: str) -> str:
    """'二〇三五年' / '二O二一年' -> '2035年' / '2021年', so a year is found however it is written (the one
    place the product reads years written in numerals)."""
    return _CN_YEAR.sub(lambda m: re.sub(r"\s", "", m.group(0)).translate(_CN_YEAR_DIGITS), text)

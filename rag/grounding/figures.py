"""Figures as the documents state them: a number with its unit, found in an answer or a passage, and the
year a passage binds it to (the column of a table, or the '到2025年' that opens its clause). Comparisons
and calculations take their inputs from here; the year binding catches a 2020 base value given as the
2025 target."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.grounding.profile import squash

UNITS = ("万亿元", "亿元", "万元", "元", "个百分点", "%", "万人", "人", "万户", "户", "万吨", "吨", "万亩", "亩", "平方公里",
         "万平方米", "平方米", "公里", "千米", "万千瓦", "千瓦", "MW", "兆瓦", "家", "个", "张", "处", "项", "所", "座", "条",
         "台", "辆", "件", "次", "岁", "倍", "年", "天", "万")
_FIGURE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(" + "|".join(map(re.escape, UNITS)) + r")?")
_YEAR_NUMBER = re.compile(r"(?:19|20)\d{2}")
_CLAUSE = re.compile(r"[^，,；;。！？\n]+")
_SENTENCE = re.compile(r"[^。！？；\n]+")


@dataclass(frozen=True)
class Figure:
    value: float
    text: str  # as written: '510.3'
    unit: str  # '' when none follows

    def shown(self) -> str:
        return f"{self.text}{self.unit}"


def figures_in(text: str, skip: set[str] = frozenset()) -> list[Figure]:
    """Numbers with their units in reading order; years ('2025年'), citation marks and `skip` left out."""
    text = re.sub(r"\[\d+\]", "", squash(text))
    found = []
    for m in _FIGURE.finditer(text):
        number, unit = m.group(1), m.group(2) or ""
        if (_YEAR_NUMBER.fullmatch(number) and unit in ("年", "")) or number in skip:
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
        if re.search(rf"(?<![\d.]){re.escape(number)}(?![\d.])", cell) and i < len(heads):
            years |= {int(y) for y in re.findall(r"(?:19|20)\d{2}", heads[i])}
    return years


def bound_years(number: str, text: str) -> list[set[int]]:
    """For each occurrence of `number` in a passage: the years it is stated for (empty: not said)."""
    text = squash(text)
    lines = text.splitlines()
    header = next((line for line in lines if line.lstrip().startswith("|") and re.search(r"(?:19|20)\d{2}", line)), "")
    found: list[set[int]] = []
    for line in lines:
        if not re.search(rf"(?<![\d.]){re.escape(number)}(?![\d.])", line):
            continue
        if line.lstrip().startswith("|") and header and line != header:
            found.append(_table_year(line, header, number))
            continue
        for sentence in _SENTENCE.findall(line):
            clauses = _CLAUSE.findall(sentence)
            for i, clause in enumerate(clauses):
                if re.search(rf"(?<![\d.]){re.escape(number)}(?![\d.])", clause):
                    years = _years_of(clause) or next((_years_of(c) for c in reversed(clauses[:i]) if _years_of(c)), set())
                    found.append(years)
    return found


def _years_of(clause: str) -> set[int]:
    return {int(y) for y in re.findall(r"((?:19|20)\d{2})(?=年|[-—~至到])", clause)}


def wrong_year(number: str, year: int, texts: list[str]) -> set[int]:
    """The other years `number` is bound to when every occurrence in `texts` names a year and none is
    `year`; empty when some occurrence fits the year or leaves it open."""
    bindings = [b for t in texts for b in bound_years(number, t)]
    if not bindings or any(not b or year in b for b in bindings):
        return set()
    return set().union(*bindings)

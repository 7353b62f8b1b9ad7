"""rag.numbers: one parser for every way the documents write a figure."""

import pytest

from rag.numbers import find_quantities, parse_number


@pytest.mark.parametrize("text, value, unit, base", [
    ("12,567,893,500.00元", 12567893500.0, "元", 12567893500.0),
    ("125,678万元", 125678.0, "万元", 1256780000.0),
    ("１２.５％", 12.5, "%", 12.5),  # full-width digits and percent sign
    ("1.2万人", 1.2, "万人", 12000.0),
    ("3千", 3.0, "千", 3000.0),
    ("一百亿元", 1e10, "元", 1e10),  # Chinese numerals with a magnitude, read by cn2an
    ("两个百分点", 2.0, "个百分点", 2.0),
    ("1亿千瓦", 1.0, "亿千瓦", 1e8),
    ("500千瓦", 500.0, "千瓦", 500.0),  # 千瓦 is a unit, not 500千 + 瓦
    ("是2020年的2倍", 2.0, "倍", 2.0),
])
def test_values_units_and_magnitudes(text, value, unit, base):
    q = parse_number(text)
    assert q is not None and (q.value, q.unit) == (value, unit)
    assert q.base_value == pytest.approx(base)


@pytest.mark.parametrize("text, low, high", [("5%-6%", 5, 6), ("5%—6%", 5, 6), ("5%到6%", 5, 6), ("3-5个", 3, 5)])
def test_ranges(text, low, high):
    q = parse_number(text)
    assert (q.low, q.high) == (low, high)


@pytest.mark.parametrize("text, bound", [
    ("增长5%左右", "~"), ("超过1000家", ">"), ("突破1亿千瓦", ">="), ("不低于90%", ">="), ("300多家", ">"),
    ("3万余场", ">"), ("控制在5.5%以内", "<="), ("95%以上", ">="), ("约3千亩", "~"), ("节约5%", ""),
])
def test_bounds(text, bound):
    assert parse_number(text).bound == bound


def test_decline_is_a_negative_change_and_a_level_is_not():
    down = parse_number("比上年下降2.1%")
    assert (down.value, down.direction, down.compared) == (-2.1, "down", True)
    assert parse_number("下降到254万吨").value == 254  # the level reached
    assert parse_number("增长了5.5%").direction == "up"
    up, pp = parse_number("提高1.2个百分点"), parse_number("1.2个百分点")
    assert up.is_change and pp.is_change and pp.dimension == "percentage point"
    assert parse_number("5.5%").dimension == "percent"


def test_more_or_less_than_a_thing_compared_with_is_a_change():
    assert parse_number("比前年少了12天").direction == "down"
    assert parse_number("比上年多3个").direction == "up"
    assert parse_number("至少12天").direction == "" and parse_number("多3个").direction == ""


def test_a_listed_figure_inherits_the_direction():
    first, second = find_quantities("城乡居民人均可支配收入分别下降4.4%、5.6%")
    assert (first.value, second.value) == (-4.4, -5.6)


def test_ratio():
    q = parse_number("三次产业结构调整为9.5:32.6:57.9")
    assert q.parts == (9.5, 32.6, 57.9) and q.dimension == "ratio"


@pytest.mark.parametrize("text", [
    "2021-2025年", "2026年2月3日", "〔2021〕12号", "第十四届", "PM2.5平均浓度", "5G网络", "“十四五”时期", "一是加快发展",
    "稳增长“21条”", "三大攻坚战", "第8.6代线",
])
def test_not_quantities(text):
    assert find_quantities(text) == []


def test_rank_and_spans():
    text = "实现地区生产总值67665亿元，增长5.5%，总量和增速均居全国第5位"
    found = find_quantities(text)
    assert [text[q.start:q.end] for q in found] == ["67665亿元", "5.5%", "5位"]
    assert [q.dimension for q in found] == ["money", "percent", "rank"]

"""rag.vocabulary: the statistical vocabulary as data, each concept defined once."""

import pytest

from rag import vocabulary as v


@pytest.mark.parametrize("digit, number, years, base_target", [
    ("三", 13, (2016, 2020), (2015, 2020)), ("四", 14, (2021, 2025), (2020, 2025)), ("五", 15, (2026, 2030), (2025, 2030)),
])
def test_plan_periods(digit, number, years, base_target):
    assert v.plan_number(digit) == number and v.plan_years(number) == years
    assert v.plan_base_target(number) == base_target and v.plan_name(number) == f"十{digit}五"
    assert v.plan_of_year(years[0]) == v.plan_of_year(years[1]) == number
    assert v.PLAN_PERIOD.search(f"第十{digit}个五年规划").group(2) == digit


@pytest.mark.parametrize("unit, scale, base, dimension", [
    ("亿元", 1e8, "元", "money"), ("万亿元", 1e12, "元", "money"), ("万千瓦", 1e4, "千瓦", "power"), ("千瓦", 1, "千瓦", "power"),
    ("％", 1, "%", "percent"), ("百分点", 1, "个百分点", "percentage point"), ("万人次", 1e4, "人次", "visits"),
    ("万", 1e4, "", "number"), ("平方千米", 1, "平方公里", "area"), ("亿斤", 1e8, "斤", "mass"), ("家", 1, "家", "count"),
])
def test_units_split_into_magnitude_and_base_with_a_dimension(unit, scale, base, dimension):
    assert v.split_unit(unit) == (scale, base) and v.dimension_of(unit) == dimension


@pytest.mark.parametrize("written, canonical", [
    ("全省GDP", "地区生产总值"), ("经济总量", "地区生产总值"), ("常住人口城镇化率", "城镇化率"),
    ("研发经费投入强度", "研发经费投入占地区生产总值比重"), ("R&D经费投入强度", "研发经费投入占地区生产总值比重"),
    ("制造业增加值占地区生产总值的比重", "制造业增加值占地区生产总值比重"), ("地方一般公共预算收入", "一般公共预算收入"),
    ("人均地区生产总值", "人均地区生产总值"), ("钓具产业实现营业收入", "钓具产业营业收入"), ("“四新”经济增加值（亿元）", "四新经济增加值"),
])
def test_measures_have_one_standard_wording(written, canonical):
    assert v.canonical_measure(written) == canonical


def test_relative_time_words_are_offsets_from_the_document_year():
    assert v.RELATIVE_YEARS["去年"] == v.RELATIVE_YEARS["上年"] == -1 and v.RELATIVE_YEARS["今年"] == 0
    assert v.RELATIVE_YEARS["明年"] == 1 and v.RELATIVE_SPANS["过去五年"] == 5


@pytest.mark.parametrize("word, place", [
    ("高密市", True), ("宁夏回族自治区", True), ("沛县", True), ("全市", False), ("城区", False), ("上市", False),
    ("开发区", False), ("我省", False),
])
def test_administrative_places(word, place):
    assert v.is_admin_place(word) is place


def test_short_place_forms():
    assert v.short_place_forms("高密市") == {"高密市", "高密"}
    assert "淄博高新区" in v.short_place_forms("淄博高新技术产业开发区")
    assert v.short_place_forms("宁夏回族自治区") == {"宁夏回族自治区", "宁夏回族", "宁夏"}
    assert "湘西" in v.short_place_forms("湘西土家族苗族自治州")


def test_every_role_has_a_name_a_reader_sees():
    assert set(v.ROLE_NAMES) == set(v.ROLES) and set(v.STATUSES) <= set(v.ROLES)


def test_the_unit_pattern_prefers_the_longest_unit():
    import re

    pattern = re.compile(v.unit_pattern())
    assert pattern.match("万人次").group(0) == "万人次" and pattern.match("个百分点").group(0) == "个百分点"
    assert pattern.match("千瓦时").group(0) == "千瓦时"

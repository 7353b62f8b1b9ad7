"""Counted lists ('四大主导产业', '“3+2+1”主导产业'): which one a question asks for, and the members of a list
named by its parts' counts (the items themselves are read at indexing time: tests/test_sections_layouts.py)."""

from __future__ import annotations

import pytest

from grounding_corpus import passage
from rag.grounding.listing import asked_list, members, summed_list


@pytest.mark.parametrize("question, count, shown", [
    ("莱西市“十四五”期间重点优化提升哪四大主导产业？", 4, "四大主导产业"),
    ("莱西要培育壮大的三大新兴产业是什么？", 3, "三大新兴产业"),
    ("青岛高新区“2+2”主导产业具体指哪些？", 4, "“2+2”主导产业"),
    ("青岛高新区要打造的2个百亿级产业集群分别是什么？", 2, "2个百亿级产业集群"),
])
def test_the_counted_list_a_question_asks_for(question, count, shown):
    asked = asked_list(question)
    assert (asked.count, asked.shown) == (count, shown)


def test_no_counted_list_is_read_from_other_questions():
    assert asked_list("莱西市2025年地区生产总值是多少？") is None
    assert asked_list("莱西市有几个工业园区？") is None  # a count asked, not a list named by its count
    assert asked_list("莱西开通的第一条高铁是哪条线？") is None  # an ordinal
    assert asked_list("莱西要建的一个物流园区是哪个？") is None  # one is no list


MEMBERS = passage("发展壮大氢能、海洋装备2个新兴产业，提升改造纺织、食品、五金3个传统产业，做大做强“2+3”工业产业集群。",
                  heading="第四章 产业")
TARGET = passage("争取到2025年，氢能产业实现营业收入超过20亿元。", heading="第四章 产业")  # names a member, not the list


def test_a_list_named_by_its_parts_counts_gives_its_members_in_order():
    parts, phrase = summed_list("莱西市“2+3”工业中哪个产业2025年营业收入目标最高？")
    assert parts == [2, 3]
    assert members(parts, phrase, [TARGET, MEMBERS]).items == ["氢能", "海洋装备", "纺织", "食品", "五金"]
    assert members([3, 3], phrase, [MEMBERS]) is None  # the counts must be the documents'

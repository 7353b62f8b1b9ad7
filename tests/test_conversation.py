"""Follow-up rewriting: elliptical questions become standalone ones; complete questions pass unchanged."""

from __future__ import annotations

import pytest

from rag.conversation import FollowUpRewriter, PlaceFinder, places_from_titles

TITLES = [
    "(山东省)潍坊市高密市国民经济和社会发展十四五规划(2022年更新)",
    "平度市国民经济和社会发展第十四个五年规划和2035年远景目标纲要",
    "(山东省)威海市环翠区国民经济和社会发展十四五规划(2022年更新)",
]


@pytest.fixture(scope="module")
def rewriter() -> FollowUpRewriter:
    return FollowUpRewriter(places_from_titles(TITLES))


def test_places_from_titles_keeps_full_and_short_names():
    places = places_from_titles(TITLES)
    assert {"高密市", "高密", "平度市", "平度", "环翠区"} <= places
    assert not places & {"国民经济", "规划", "十四五"}


def test_place_spans_merge_and_skip_generic_areas():
    finder = PlaceFinder()
    assert [s.text for s in finder.places("威海市环翠区的城区面积")] == ["威海市环翠区"]
    assert [s.text for s in finder.places("济南市地区生产总值")] == ["济南市"]
    assert [s.text for s in finder.times("2020年到十四五期间")] == ["2020年", "十四五期间"]


def test_a_bare_place_replaces_the_previous_place(rewriter):
    out = rewriter.rewrite("那平度呢？", ["高密市2020年地区生产总值是多少？"])
    assert "平度" in out and "高密" not in out
    assert "2020年" in out and "地区生产总值" in out


def test_a_bare_time_replaces_the_previous_time(rewriter):
    out = rewriter.rewrite("2025年呢？", ["平度市2020年地区生产总值是多少？"])
    assert out.startswith("平度市2025年") and "2020" not in out


def test_place_not_in_the_corpus_is_still_recognised(rewriter):
    out = rewriter.rewrite("那济南市呢", ["环翠区2020年空气质量优良天数是多少？"])
    assert "济南市" in out and "环翠区" not in out and "空气质量" in out


def test_place_and_time_together_and_previous_without_place(rewriter):
    assert rewriter.rewrite("那平度2025年呢", ["高密市2020年人口是多少？"]) == "平度2025年人口是多少？"
    out = rewriter.rewrite("那平度呢", ["2020年地区生产总值是多少？"])
    assert out.startswith("平度") and "地区生产总值" in out


def test_pronoun_takes_the_previous_place(rewriter):
    out = rewriter.rewrite("它的支柱产业有哪些？", ["高密市2020年地区生产总值是多少？"])
    assert out.startswith("高密市") and "支柱产业" in out
    assert rewriter.rewrite("该市2025年的目标是多少？", ["平度市的主导产业是什么？"]).startswith("平度市2025年")


def test_new_topic_inherits_place_and_time(rewriter):
    out = rewriter.rewrite("那人口呢？", ["高密市2020年地区生产总值是多少？"])
    assert "高密市" in out and "2020年" in out and "人口" in out and "生产总值" not in out


def test_chained_follow_ups_use_the_rewritten_question(rewriter):
    history = ["高密市2020年地区生产总值是多少？"]
    history.append(rewriter.rewrite("那平度呢？", history))
    third = rewriter.rewrite("2025年呢？", history)
    assert "平度" in third and "2025年" in third and "高密" not in third


@pytest.mark.parametrize(
    "question",
    ["平度市十四五期间重点发展哪些产业？", "淄博高新区到2025年研发经费投入强度目标是多少？", "那些新兴产业的目标是什么？"],
)
def test_complete_questions_are_left_alone(rewriter, question):
    assert rewriter.rewrite(question, ["高密市2020年地区生产总值是多少？"]) == question


def test_first_turn_is_left_alone(rewriter):
    assert rewriter.rewrite("那平度呢？", []) == "那平度呢？"

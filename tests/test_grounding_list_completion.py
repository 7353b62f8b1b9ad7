"""A list answer cut short is completed from the enumeration beside the asked role
(rag/grounding/list_completion.py), never with the members of another role."""

from __future__ import annotations

import pytest

from grounding_corpus import RecordingModel
from rag.config import Settings
from rag.grounding.list_completion import asked_role, complete_list, enumerations
from rag.pipeline import QAPipeline
from rag.types import Answer, Chunk, Passage


def _given(texts: list[str]) -> list[Passage]:
    return [Passage(Chunk(f"doc#{n}", f"doc-{n}", f"doc-{n}", [], t, 0, len(t)), 1.0 - n / 10) for n, t in enumerate(texts)]


def _complete(question: str, text: str, passages: list[str]) -> Answer:
    return complete_list(Answer(question=question, text=text, passages=_given(passages)))


@pytest.mark.parametrize("question, role", [
    ("《心居》的主演有哪些", "主演"), ("谁是《天才基本法》主演？", "主演"),
    ("2023年男篮世界杯中国男篮同组对手有谁？", "对手"), ("莱西市“十四五”期间重点发展哪些产业", "产业"),
])
def test_the_asked_role_is_the_question_s_last_content_word(question, role):
    assert asked_role(question) == role


def test_enumerations_beside_the_role_are_read_up_to_where_the_clause_goes_on():
    assert enumerations("由王小明、李华和赵强主演的电视剧热播。", "主演", []) == [["王小明", "李华", "赵强"]]
    assert enumerations("主演王小明和李华分享了很多物料。", "主演", ["李华"]) == [["王小明", "李华"]]
    assert enumerations("航天员陈冬、刘洋、蔡旭哲依次全部进入天和核心舱。", "航天员", ["蔡旭哲"]) == [["陈冬", "刘洋", "蔡旭哲"]]
    assert enumerations("参演国有俄罗斯、阿尔及利亚和印度。", "参演国", []) == []  # 及 inside a name


def test_members_left_out_of_the_cited_clause_are_added_with_its_citation():
    answer = _complete("《长夜》的主演有哪些？", "《长夜》的主演有王小明和赵强[1]。", ["由王小明、李华和赵强主演的电视剧《长夜》热播。"])
    assert answer.text.splitlines()[-1] == "主演还有：李华[1]。" and not answer.refused
    assert {c.number for c in answer.citations} == {1}


def test_members_another_passage_lists_beside_the_same_role_are_added():
    answer = _complete("《长夜》的主演是谁？", "王小明、李华领衔主演的《长夜》热播[1]。",
                       ["王小明、李华领衔主演的《长夜》正在热播。", "今晚播出王小明、赵强主演的大剧《长夜》。"])
    assert "赵强[2]" in answer.text


def test_members_of_another_role_are_never_added():
    passages = ["该剧导演是孙一和钱二，主演王小明、李华。", "孙一、王小明和钱二出席了发布会。"]
    answer = _complete("《长夜》的主演有哪些？", "《长夜》的主演有王小明[1]。", passages)
    assert "李华[1]" in answer.text and "孙一" not in answer.text and "钱二" not in answer.text
    directors = _complete("《长夜》的导演有哪些？", "导演是孙一[1]。", passages)
    assert "钱二[1]" in directors.text and "王小明" not in directors.text and "李华" not in directors.text


def test_a_single_answer_to_a_question_for_one_is_left_alone():
    answer = _complete("《长夜》的导演是谁？", "导演是孙一[1]。", ["导演孙一、钱二联合执导。"])
    assert answer.text == "导演是孙一[1]。"


def test_a_planning_list_of_industries_is_completed():
    answer = _complete("莱西市重点发展哪些产业？", "莱西市重点发展新一代信息技术和高端装备[1]。",
                       ["“十四五”期间，莱西市重点发展新一代信息技术、高端装备、新材料等产业。"])
    assert answer.text.endswith("产业还有：新材料[1]。")


class TwoOfThree(RecordingModel):
    name = "two-of-three"

    def answer(self, question, body):
        yield "《长夜》的主演有王小明和赵强[1]。"


def test_the_pipeline_completes_a_model_s_short_list(tmp_path):
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", cache_dir=tmp_path / "cache")
    pipe = QAPipeline(settings, embedder=object(), generator=TwoOfThree())
    answer = pipe.ask("《长夜》的主演有哪些？", passages=_given(["由王小明、李华和赵强主演的电视剧《长夜》热播。"]))
    assert "李华[1]" in answer.text and not answer.refused and all(c.supported for c in answer.claims)

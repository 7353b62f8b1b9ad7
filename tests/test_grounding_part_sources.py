"""A part of a split question rests on the passages that name its own word (rag/grounding/part_sources.py):
one answered from a sibling's passage (男子 answered from the 女子 sentence) is asked again over its own, or
said not found; the sibling's fact is never printed twice."""

from __future__ import annotations

import pytest

from grounding_corpus import RecordingModel
from rag.config import Settings
from rag.grounding.part_sources import carrying, check_part, cited_in_whole, part_keys
from rag.grounding.parts import split_parts
from rag.pipeline import QAPipeline
from rag.prompting import REFUSAL
from rag.types import Chunk, Passage


def _given(texts: list[str]) -> list[Passage]:
    return [Passage(Chunk(f"doc#{n}", f"doc-{n}", f"doc-{n}", [], t, 0, len(t)), 1.0 - n / 10) for n, t in enumerate(texts)]


@pytest.mark.parametrize("question, keys", [
    ("花样滑冰女子和男子单人滑比赛金牌得主分别是谁？", ["女子", "男子"]),
    ("2022年谁当选台北市市长和高雄市市长？", ["台北", "高雄"]),
    ("EMNLP2022和2023的举办地", ["EMNLP2022", "EMNLP2023"]),
    ("2020年和2025年的GDP分别是多少", ["2020", "2025"]),
    ("森林覆盖率方面，莱西市、胶州市和青岛高新区分别达到多少？", ["莱西市", "胶州市", "青岛高新区"]),
    ("2025年研发投入和高新技术企业数分别是多少", []),  # what is asked differs, not what it is about
    ("《人世间》的导演和编剧是谁？", []),
    ("小米13系列手机的发布时间和处理器？", []),
])
def test_each_part_s_own_word_is_what_it_has_and_its_siblings_lack(question, keys):
    assert part_keys(split_parts(question)) == keys


def test_a_key_is_found_across_spacing_hyphens_and_case():
    passages = _given(["OpenAI发布了GPT-4。", "EMNLP 2023将在新加坡召开。", "无关。"])
    assert carrying("GPT4", passages) == [0] and carrying("emnlp2023", passages) == [1]


KEYS = ["女子", "男子"]
PASSAGES = _given(["女子单打冠军是张三。", "男子单打冠军是李四。", "比赛在北京举行。"])


def test_an_answer_citing_its_own_passage_is_kept():
    check = check_part("李四[2]。", False, 1, KEYS, PASSAGES)
    assert check.passages == [] and not check.refuse


def test_an_answer_citing_a_sibling_s_passage_is_asked_again_over_its_own():
    check = check_part("张三[1]。", False, 1, KEYS, PASSAGES)
    assert check.passages == [1] and check.refuse


def test_an_answer_citing_a_sibling_s_passage_with_none_of_its_own_is_refused():
    check = check_part("张三[1]。", False, 1, KEYS, _given(["女子单打冠军是张三。", "比赛在北京举行。"]))
    assert check.passages == [] and check.refuse and "男子" in check.reason


def test_an_answer_citing_a_passage_naming_no_part_is_asked_again_only_when_its_own_exist():
    assert check_part("张三[3]。", False, 1, KEYS, PASSAGES).passages == [1]
    assert not check_part("张三[3]。", False, 1, KEYS, PASSAGES).refuse  # not known wrong: kept if that fails
    none = check_part("张三[2]。", False, 1, KEYS, _given(["女子单打冠军是张三。", "比赛在北京举行。"]))
    assert none.passages == [] and not none.refuse


def test_a_refused_part_is_asked_again_only_over_a_smaller_set_of_its_own():
    assert check_part(REFUSAL, True, 1, KEYS, PASSAGES).passages == [1]
    both = _given(["女子和男子单打冠军分别是张三和李四。"])
    assert check_part(REFUSAL, True, 1, KEYS, both).passages == []


def test_parts_without_own_words_are_not_checked():
    assert check_part("张三[1]。", False, 1, [], PASSAGES).passages == []


def test_citations_written_over_some_passages_count_in_the_whole_list():
    assert cited_in_whole("李四[1]，王五[2]。", [1, 4]) == "李四[2]，王五[5]。"


class FirstChampionModel(RecordingModel):
    """Answers with the champion of the first passage naming one, whatever the question asks: the
    sibling-confusion of a small model."""

    name = "first-champion"

    def answer(self, question, body):
        got = self.first_match(body, r"冠军是(\w\w)")
        yield f"{got[1].group(1)}[{got[0]}]。" if got else REFUSAL


@pytest.fixture
def pipe(tmp_path):
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", cache_dir=tmp_path / "cache")
    return QAPipeline(settings, embedder=object(), generator=FirstChampionModel())


def test_a_part_answered_with_its_sibling_s_fact_is_answered_from_its_own_passage(pipe):
    answer = pipe.ask("2022年公开赛女子和男子单打冠军分别是谁？", passages=_given(
        ["2022年公开赛女子单打冠军是张三。", "2022年公开赛男子单打冠军是李四。"]))
    assert len(pipe.generator.questions) == 3  # the 男子 part asked again
    assert "张三[1]" in answer.text and "李四[2]" in answer.text and answer.text.count("张三") == 1
    assert not answer.refused and {c.number for c in answer.citations} == {1, 2}


def test_a_part_whose_own_word_no_passage_names_is_not_answered_with_its_sibling_s_fact(pipe):
    answer = pipe.ask("2022年公开赛女子和男子单打冠军分别是谁？", passages=_given(
        ["2022年公开赛女子单打冠军是张三。", "2022年公开赛在北京举行。"]))
    assert answer.text.count("张三") == 1 and not answer.refused
    line = next(line for line in answer.text.splitlines() if "男子" in line)
    assert REFUSAL in line and "张三" not in line and "男子" in answer.reason

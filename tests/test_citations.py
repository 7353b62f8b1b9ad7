from rag.citations import attach_citations, check_claim, cited_numbers, drop_invalid, normalize_marks, split_claims
from rag.types import Answer, Chunk, Passage


def passage(text: str, n: int = 0) -> Passage:
    return Passage(Chunk(f"d#{n}", "d", "高密市规划", ["第一章 发展基础"], text, 0, len(text)), 1.0)


PASSAGES = [
    passage("全市地区生产总值跨上新台阶,达510.3亿元,一般公共预算收入达到50.5亿元。", 0),
    passage("平度市2020年地区生产总值增速3.5%。", 1),
]


def test_marker_forms_are_normalised():
    assert normalize_marks("答案【1】和[1,2]以及[2、3]") == "答案[1]和[1][2]以及[2][3]"
    assert cited_numbers("a[2]b[1][2]") == [2, 1]


def test_citation_to_missing_passage_is_removed_and_flagged():
    text, invalid = drop_invalid("高密市为510.3亿元[1][5]。", 2)
    assert text == "高密市为510.3亿元[1]。"
    assert invalid == [5]


def test_claims_split_on_sentence_ends():
    assert split_claims("第一句[1]。第二句[2]；\n第三句") == ["第一句[1]。", "第二句[2]；", "第三句"]


def test_number_not_in_cited_passage_is_unsupported():
    assert check_claim("高密市地区生产总值为510.3亿元[1]。", PASSAGES).supported
    wrong = check_claim("高密市地区生产总值为520亿元[1]。", PASSAGES)
    assert not wrong.supported and "520" in wrong.reason
    # the number exists, but in a passage the sentence does not cite
    assert not check_claim("平度市增速为3.5%[1]。", PASSAGES).supported
    assert not check_claim("高密市地区生产总值为510.3亿元。", PASSAGES).supported


def test_numbers_from_the_question_are_not_claims():
    sentence = "高密市2020年地区生产总值为510.3亿元[1]。"
    assert not check_claim(sentence, PASSAGES).supported
    assert check_claim(sentence, PASSAGES, question="高密市2020年GDP是多少？").supported


def test_attach_citations_maps_numbers_to_chunks_with_quotes():
    answer = attach_citations(Answer("高密市2020年GDP是多少？", "高密市2020年地区生产总值为510.3亿元[1]。平度增速3.5%[2][7]。", passages=PASSAGES))
    assert answer.invalid_citations == [7]
    assert [c.chunk_id for c in answer.citations] == ["d#0", "d#1"]
    assert "510.3亿元" in answer.citations[0].quote
    assert all(c.supported for c in answer.claims)
    assert not answer.refused


def test_refusal_is_recognised_and_loses_its_markers():
    answer = attach_citations(Answer("q", "文档中没有相关信息[1]。", passages=PASSAGES))
    assert answer.refused
    assert answer.citations == [] and "[1]" not in answer.text


def test_a_number_is_matched_whole_not_as_a_substring():
    # "0.5" occurs inside "50.5" in the passage but is a different number
    assert not check_claim("财政赤字为0.5亿元[1]。", PASSAGES).supported


def test_answer_whose_numbers_appear_nowhere_is_withheld_as_a_refusal():
    made_up = "高密市2024年的财政赤字是0.5亿元。[1][2]"
    answer = attach_citations(Answer("高密市2024年的财政赤字是多少亿元？", made_up, passages=PASSAGES))
    assert answer.refused and answer.text == "文档中没有相关信息"
    assert answer.withheld == made_up and answer.citations == []


def test_wrongly_cited_but_real_number_is_shown_and_flagged_not_withheld():
    answer = attach_citations(Answer("平度市增速？", "平度市增速为3.5%[1]。", passages=PASSAGES))
    assert not answer.refused
    assert not answer.claims[0].supported


def test_marker_after_the_full_stop_belongs_to_the_sentence_before():
    assert split_claims("高密为510.3亿元。[1]平度为715.7亿元。[2][3]") == ["高密为510.3亿元[1]。", "平度为715.7亿元[2][3]。"]
    answer = attach_citations(Answer("q", "高密市地区生产总值为510.3亿元。[1]", passages=PASSAGES))
    assert [c.supported for c in answer.claims] == [True]

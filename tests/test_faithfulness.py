"""The faithfulness scorer on hand-made answers: a correct one, a wrong number, a wrong region, an
unsupported sentence, and citation precision / recall. Fast tests use the hashing embedder; the slow one
checks the same cases with the real e5 embedder at the documented default threshold."""

from __future__ import annotations

import pytest

from rag.faithfulness import DEFAULT_THRESHOLD, FaithfulnessScorer, entities_in, entity_found, normalize, numbers_in
from tests.conftest import HashEmbedder

GAOMI = (
    "高密市国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要\n第一章 发展基础\n"
    "“十三五”时期，全市地区生产总值跨上新台阶，达510.3亿元，年均增长5.6%。"
    "城乡居民人均可支配收入分别达到4.3万元和2.2万元。"
)
PINGDU = "平度市国民经济和社会发展第十四个五年规划\n第一章 发展基础\n全市生产总值达到715.7亿元，年均增长5%。"
PASSAGES = [GAOMI, PINGDU]

CORRECT = "高密市地区生产总值达到510.3亿元[1]。"
WRONG_NUMBER = "高密市地区生产总值达到530.1亿元[1]。"
WRONG_REGION = "平度市地区生产总值达到510.3亿元[1]。"
UNSUPPORTED = "高密市将建设国际航天发射中心，吸引外资企业入驻[1]。"


class HashEncoder:
    """Character bigrams hashed into 4096 dims (the conftest embedder with fewer collisions), behind the
    one-method `encode` interface the scorer asks for."""

    def __init__(self) -> None:
        self.embedder = HashEmbedder()
        self.embedder.dim = 4096

    def encode(self, texts: list[str]):
        return self.embedder.encode_passages(texts)


@pytest.fixture
def scorer() -> FaithfulnessScorer:
    return FaithfulnessScorer(HashEncoder(), threshold=0.3)


def test_correct_claim_is_supported_and_its_citation_is_precise(scorer):
    result = scorer.score(CORRECT, PASSAGES)
    assert result.faithfulness == 1.0
    assert result.citation_recall == 1.0 and result.citation_precision == 1.0
    assert result.claims[0].citations == [1] and result.claims[0].missing == []


def test_wrong_number_is_unsupported(scorer):
    claim = scorer.score(WRONG_NUMBER, PASSAGES).claims[0]
    assert not claim.supported and not claim.cited_support
    assert claim.missing == ["530.1"]


def test_wrong_region_is_unsupported(scorer):
    """The number is right but it belongs to another region: the cited passage never names 平度."""
    result = scorer.score(WRONG_REGION, PASSAGES)
    assert result.faithfulness == 0.0
    assert "平度市" in result.claims[0].missing


def test_what_a_correction_denies_is_not_a_claim(scorer):
    """'…，不是问题所说的“530.1亿元”': the question's figure is denied, so it need not be in the passage; the
    figure asserted still must."""
    denied = scorer.score("文档中高密市地区生产总值达到510.3亿元[1]，不是问题所说的“530.1亿元”。", PASSAGES).claims[0]
    assert denied.missing == []
    assert scorer.score("高密市地区生产总值达到530.1亿元[1]，不是问题所说的“510.3亿元”。", PASSAGES).claims[0].missing == ["530.1"]
    assert "平度市" not in scorer.score("这一数字说的是高密市，不是平度市[1]。", PASSAGES).claims[0].missing
    # the correction's opening speaks of the question, so its words are not looked for in the passage
    opened = scorer.score("问题的前提与文档不符：“十三五”时期全市地区生产总值达510.3亿元[1]，不是问题所说的“突破700亿元”。",
                          PASSAGES).claims[0]
    assert opened.coverage == 1.0 and opened.supported


def test_unsupported_sentence_fails_on_similarity_and_words(scorer):
    claim = scorer.score(UNSUPPORTED, PASSAGES).claims[0]
    assert claim.missing == []  # nothing to catch by facts: the sentence's words and meaning must tell
    assert claim.similarity < scorer.threshold and claim.coverage < scorer.min_coverage
    assert not claim.supported


def test_faithfulness_is_the_share_of_supported_claims(scorer):
    result = scorer.score(CORRECT + UNSUPPORTED + WRONG_NUMBER, PASSAGES)
    assert [c.supported for c in result.claims] == [True, False, False]
    assert result.faithfulness == pytest.approx(1 / 3)


def test_citing_the_wrong_passage_is_neither_faithful_nor_precise(scorer):
    result = scorer.score("高密市地区生产总值达到510.3亿元[2]。", PASSAGES)
    assert result.faithfulness == 0.0 and result.citation_precision == 0.0 and result.citation_recall == 0.0


def test_an_unneeded_extra_citation_lowers_precision_only(scorer):
    result = scorer.score("高密市地区生产总值达到510.3亿元[1][2]。", PASSAGES)
    assert result.faithfulness == 1.0 and result.citation_recall == 1.0
    assert result.claims[0].precise == [1] and result.citation_precision == 0.5


def test_a_claim_needing_two_passages_keeps_both_citations(scorer):
    result = scorer.score("高密市地区生产总值510.3亿元，平度市715.7亿元[1][2]。", PASSAGES)
    claim = result.claims[0]
    assert claim.supported and claim.precise == [1, 2]


def test_uncited_supported_claim_counts_for_faithfulness_not_citation_recall(scorer):
    result = scorer.score("高密市地区生产总值达到510.3亿元。", PASSAGES)
    assert result.faithfulness == 1.0 and result.citation_recall == 0.0 and result.citation_precision is None


def test_marker_after_the_full_stop_belongs_to_the_sentence_before(scorer):
    result = scorer.score("高密市地区生产总值达到510.3亿元。[1]", PASSAGES)
    assert len(result.claims) == 1 and result.claims[0].citations == [1] and result.citation_recall == 1.0


def test_no_claims_or_no_passages():
    scorer = FaithfulnessScorer(HashEncoder(), threshold=0.3)
    assert scorer.score("", PASSAGES).faithfulness is None
    assert scorer.score(CORRECT, []).faithfulness == 0.0


def test_numbers_are_whole_values_and_dates_normalised():
    assert numbers_in("达510.3 亿元，增长62.0%，共1,234家") == {"510.3", "62", "1234"}
    assert "0.5" not in numbers_in("增长50.5%")
    assert "2035" in numbers_in(normalize("二〇三五年远景目标"))
    assert normalize("５１０．３ 亿元") == "510.3亿元"


def test_entities_include_regions_jieba_tags_as_plain_nouns():
    found = entities_in("高密市和环翠区都在山东省，不是全市[1]")
    assert {"高密市", "环翠区", "山东省"} <= found and "全市" not in found


def test_entities_match_verbatim_or_as_abbreviations():
    assert entity_found("高新区", "淄博高新技术产业开发区国民经济")
    assert entity_found("平度", "平度市") and not entity_found("平度", "平均程度")
    assert not entity_found("平度市", "高密市国民经济和社会发展")


@pytest.mark.slow
def test_real_embedder_at_the_default_threshold():
    from rag.config import load_settings
    from rag.faithfulness import EmbedderEncoder
    from rag.pipeline import load_embedder

    scorer = FaithfulnessScorer(EmbedderEncoder(load_embedder(load_settings(env={}))), DEFAULT_THRESHOLD)
    verdicts = [scorer.score(a, PASSAGES).claims[0].supported for a in (CORRECT, WRONG_NUMBER, WRONG_REGION, UNSUPPORTED)]
    assert verdicts == [True, False, False, False]


def test_a_checked_calculation_is_judged_on_its_inputs():
    from rag.faithfulness import FaithfulnessScorer

    class Far:  # an encoder to which no two texts are alike: only the facts can support a claim
        def encode(self, texts):
            import numpy as np

            return np.eye(len(texts), 64)

    scorer = FaithfulnessScorer(Far())
    passages = ["全市地区生产总值达到300.5亿元。", "一般公共预算收入25.1亿元。"]
    right = scorer.score("两者相差275.4亿元（300.5−25.1=275.4）[1][2]。", passages)
    assert right.claims[0].supported
    wrong = scorer.score("两者相差275亿元（300.5−25.1=275）[1][2]。", passages)  # 275 is not the result
    assert not wrong.claims[0].supported
    unsourced = scorer.score("两者相差275.4亿元（300.5−24.1=276.4）[1][2]。", passages)
    assert not unsourced.claims[0].supported  # 24.1 is in no cited passage


def test_claims_are_scored_with_the_calibrated_embedder_whatever_retrieves(monkeypatch):
    """The threshold is e5's: a pipeline retrieving with another model scores claims with e5 all the same."""
    import rag.assets
    import rag.embedding
    from rag.assets import SCORER_EMBEDDER
    from rag.faithfulness import EmbedderEncoder

    loaded = []
    monkeypatch.setattr(rag.assets, "resolve_embedder", lambda name, cache: (cache, name))
    monkeypatch.setattr(rag.embedding, "Embedder", lambda path, name: loaded.append(name) or HashEmbedder())
    same = HashEmbedder()
    same.name = SCORER_EMBEDDER
    assert EmbedderEncoder(same).scorer is same and loaded == []
    other = HashEmbedder()
    other.name = "embeddinggemma-300m-int8"
    assert EmbedderEncoder(other).scorer is not other and loaded == [SCORER_EMBEDDER]

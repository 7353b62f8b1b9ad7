"""Offline faithfulness and citation scoring (RAGAS- and ALCE-style, no API, no judge LLM).

An answer is split into claims (its sentences and semicolon clauses). A claim is *supported* by a set of
passages when every number, date and named entity in it occurs in those passages, its embedding similarity
to the closest span of them reaches a threshold, and at least half of its content words occur in them (a
small embedder rates any fluent sentence on the passage's topic as similar). Faithfulness is the share of
supported claims; citation recall is the share of claims whose own citations support them; citation
precision is the share of citations that are needed (ALCE: the passage supports the claim alone, or the claim stops being supported
without it). See eval/README.md for the method and its blind spots.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from rag.assets import SCORER_EMBEDDER  # DEFAULT_THRESHOLD was calibrated with it
from rag.citations import cited_numbers, is_refusal, split_claims, verified_results
from rag.numbers import years_as_digits
from rag.prompting import PREMISE_MARK

# Calibrated for multilingual-e5-small with the "query: " prompt on both sides (see eval/README.md).
DEFAULT_THRESHOLD = 0.87
DEFAULT_MIN_COVERAGE = 0.5  # share of the claim's content words that must occur in the passages
ENTITY_TAGS = {"ns", "nt", "nz", "nr", "nrt", "nrfg"}  # jieba: place, organisation, other proper noun, person
_REGION = re.compile(r"^[\u4e00-\u9fff]{2,8}[省市县区镇乡]$")  # 高密市, 环翠区: jieba often tags these plain n
_GENERIC_REGION = {"全市", "本市", "城市", "市区", "城区", "全区", "本区", "全省", "全县", "地区", "园区", "社区", "小区"}
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SPAN = re.compile(r"[^。！？；\n]+")
_MARK = re.compile(r"\[\d+\]")
_DENIED = re.compile(r"不是(?:问题所说的)?(?:“[^”]*”|[^，,。；;“\n]{1,12})")
# function words and the verbs every planning sentence uses: they say nothing about support
_STOP_WORDS = set(
    "的 了 和 与 及 是 为 在 到 由 从 对 将 等 其中 分别 以上 以下 左右 目标 达到 提高 提升 增长 年均 约 个 之 并 或 其 "
    "该 这 那 各 中 上 下 我们 资料 根据 全市 全区 已经 主要 包括 进一步".split()
)


class Encoder(Protocol):
    """Anything that turns texts into vectors (a SentenceTransformer, or an adapter around one)."""

    def encode(self, texts: list[str]) -> np.ndarray: ...


def normalize(text: str) -> str:
    """Full-width to half-width, no whitespace, no thousands separators, '二〇三五年' -> '2035年'."""
    text = unicodedata.normalize("NFKC", text)
    text = years_as_digits(text)
    text = re.sub(r"\s+", "", text)
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)


def _canonical(number: str) -> str:
    return number.rstrip("0").rstrip(".") if "." in number else number.lstrip("0") or "0"


def numbers_in(text: str) -> set[str]:
    """Whole numbers as values: '62.0' equals '62', '50.5' does not contain '0.5'."""
    return {_canonical(n) for n in _NUMBER.findall(normalize(text))}


def entities_in(text: str) -> set[str]:
    """Proper nouns by jieba's part-of-speech tags, plus region names ending in 市/区/县/… ."""
    import jieba.posseg  # the dictionary loads on first use only

    found = set()
    for token in jieba.posseg.lcut(normalize(_MARK.sub("", text))):
        word = token.word.strip()
        if len(word) < 2 or word in _GENERIC_REGION or re.search(r"\d", word):
            continue
        if token.flag in ENTITY_TAGS or _REGION.match(word):
            found.add(word)
    return found


def entity_found(entity: str, pool: str) -> bool:
    """Verbatim, or as the abbreviation Chinese names use: '高新区' for '高新技术产业开发区', i.e. the
    characters in order with at most 6 others between them (names of three or more characters only)."""
    if entity in pool:
        return True
    return len(entity) >= 3 and re.search(".{0,6}?".join(map(re.escape, entity)), pool) is not None


def content_words(text: str) -> list[str]:
    """Words of two or more characters with a Chinese character, no digits and no stop words."""
    import jieba

    words = jieba.lcut(normalize(_MARK.sub("", text)))
    return [
        w for w in words
        if len(w) >= 2 and re.search(r"[\u4e00-\u9fff]", w) and not re.search(r"\d", w) and w not in _STOP_WORDS
    ]


def spans_of(passage: str) -> list[str]:
    """Candidate cited spans: each sentence or line of the passage, and the passage as a whole."""
    spans = [s.strip() for s in _SPAN.findall(passage) if len(s.strip()) >= 4]
    return spans + [passage] if passage not in spans else spans


@dataclass
class ClaimScore:
    text: str
    citations: list[int]  # valid 1-based passage numbers the claim cites
    supported: bool  # faithfulness: by what it cites (by all passages when it cites nothing)
    cited_support: bool  # citation recall: cites something and that alone supports it
    precise: list[int] = field(default_factory=list)  # citations that pass ALCE precision
    missing: list[str] = field(default_factory=list)  # numbers / entities found in no passage it relies on
    similarity: float = 0.0  # to the closest span of the passages it relies on
    coverage: float = 0.0  # share of its content words found in those passages


@dataclass
class _Claim:
    facts: set[str]  # numbers and named entities
    words: list[str]  # content words
    calculated: bool = False  # it states a calculation that re-computes right: its facts are its inputs


@dataclass
class FaithfulnessResult:
    claims: list[ClaimScore]

    @property
    def faithfulness(self) -> float | None:
        return sum(c.supported for c in self.claims) / len(self.claims) if self.claims else None

    @property
    def citation_recall(self) -> float | None:
        return sum(c.cited_support for c in self.claims) / len(self.claims) if self.claims else None

    @property
    def citation_precision(self) -> float | None:
        total = sum(len(c.citations) for c in self.claims)
        return sum(len(c.precise) for c in self.claims) / total if total else None


class FaithfulnessScorer:
    """Scores answers against the passages they were given; `encoder` needs only `encode(texts)`."""

    def __init__(self, encoder: Encoder, threshold: float = DEFAULT_THRESHOLD, min_coverage: float = DEFAULT_MIN_COVERAGE):
        self.encoder = encoder
        self.threshold = threshold
        self.min_coverage = min_coverage

    def _vectors(self, texts: list[str]) -> np.ndarray:
        vectors = np.asarray(self.encoder.encode(texts), dtype="float32").reshape(len(texts), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)

    def _similarities(self, claims: list[str], passages: list[str]) -> np.ndarray:
        """claims x passages: each claim's best cosine to any span of each passage."""
        spans = [spans_of(p) for p in passages]
        flat = [s for group in spans for s in group]
        sims = self._vectors(claims) @ self._vectors(flat).T
        out = np.zeros((len(claims), len(passages)), dtype="float32")
        start = 0
        for j, group in enumerate(spans):
            out[:, j] = sims[:, start : start + len(group)].max(axis=1)
            start += len(group)
        return out

    def _check(
        self, claim: _Claim, sims: np.ndarray, texts: list[str], chosen: list[int]
    ) -> tuple[bool, list[str], float, float]:
        """(supported, missing facts, similarity, word coverage) of one claim against the chosen passages."""
        if not chosen:
            return False, sorted(claim.facts), 0.0, 0.0
        pool = normalize("\n".join(texts[n - 1] for n in chosen))
        pool_numbers = numbers_in(pool)
        missing = sorted(
            f for f in claim.facts if (f not in pool_numbers if _NUMBER.fullmatch(f) else not entity_found(f, pool))
        )
        similarity = float(max(sims[n - 1] for n in chosen))
        coverage = sum(w in pool for w in claim.words) / len(claim.words) if claim.words else 1.0
        # a checked calculation ('两者相差275.4亿元（300.5−25.1=275.4）') says nothing the cited figures do
        # not: its words are the arithmetic's, so only its facts are looked for
        supported = not missing and (claim.calculated or (similarity >= self.threshold and coverage >= self.min_coverage))
        return supported, missing, similarity, coverage

    def score_claim(self, text: str, sims: np.ndarray, texts: list[str]) -> ClaimScore:
        cites = [n for n in cited_numbers(text) if 1 <= n <= len(texts)]
        # a result shown with its calculation ('1200−300.5=899.5') rests on the calculation's inputs
        derived = numbers_in(" ".join(verified_results(normalize(text))))
        stated = _stated(text)
        claim = _Claim((numbers_in(stated) - derived) | entities_in(stated), content_words(stated), bool(derived))
        supported, missing, similarity, coverage = self._check(claim, sims, texts, cites or list(range(1, len(texts) + 1)))
        cited_support = bool(cites) and supported
        precise = [
            n for n in cites
            if self._check(claim, sims, texts, [n])[0]
            or (cited_support and not self._check(claim, sims, texts, [m for m in cites if m != n])[0])
        ]
        return ClaimScore(text, cites, supported, cited_support, precise, missing, similarity, coverage)

    def score(self, answer: str, passages: list[str]) -> FaithfulnessResult:
        """`passages` are the texts numbered [1], [2], … in the prompt (title and headings included)."""
        claims = [c for c in split_claims(answer) if not is_refusal(c)]  # 'B：文档中没有相关信息' claims nothing
        if not claims or not passages:
            return FaithfulnessResult([ClaimScore(c, [], False, False) for c in claims])
        sims = self._similarities([_stated(c).strip() for c in claims], passages)
        return FaithfulnessResult([self.score_claim(c, sims[i], passages) for i, c in enumerate(claims)])


def _stated(claim: str) -> str:
    """What a claim says of the documents: without its [n] marks, without what a correction says the question
    got wrong ('…，不是问题所说的“超过90%”') and without a correction's opening ('问题的前提与文档不符：')."""
    return _DENIED.sub("", _MARK.sub("", claim).replace(PREMISE_MARK, ""))


class EmbedderEncoder:
    """The project's Embedder as an `Encoder`: e5 wants the "query: " prompt on both sides for similarity.
    The threshold is calibrated for e5's similarities, so whatever embedder retrieves, claims are scored
    with e5 (loaded on first use when retrieval runs another model): eval figures stay comparable across
    embedders (docs/models.md, EmbeddingGemma)."""

    def __init__(self, embedder):
        self.embedder = embedder
        self._scorer = None

    @property
    def scorer(self):
        if self._scorer is None:
            if getattr(self.embedder, "name", SCORER_EMBEDDER) == SCORER_EMBEDDER:
                self._scorer = self.embedder
            else:
                from rag.assets import resolve_embedder
                from rag.config import load_settings
                from rag.embedding import Embedder

                self._scorer = Embedder(*resolve_embedder(SCORER_EMBEDDER, load_settings().cache_dir))
        return self._scorer

    def encode(self, texts: list[str]) -> np.ndarray:
        model = self.scorer.model
        return model.encode(texts, prompt_name=self.scorer.query_prompt, normalize_embeddings=True, convert_to_numpy=True)

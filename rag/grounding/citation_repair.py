"""Citation repair after generation. The small model writes [1][2][3] where one passage holds the figure,
or cites [1] for a fact in [2]. Each sentence's citations are set to the fewest passages that hold its
figures (the ones it cited first); a sentence without figures keeps the cited passages that share its
words, or moves to the passage that does; a sentence nothing supports keeps its citations and is flagged
by the claim check as before."""

from __future__ import annotations

import re

import jieba

from rag.citations import cited_numbers, drop_invalid, split_claims
from rag.grounding.figures import CHINESE, CITATION_MARK, figures_in, occurs
from rag.grounding.profile import squash
from rag.types import Passage

_CLAIM = re.compile(r"[^。！？；\n]+(?:[。！？；]|$)")
MIN_WORDS = 0.5  # share of a figure-less sentence's words a passage must hold to be cited for it


def _words(text: str) -> set[str]:
    return {w for w in jieba.lcut(CITATION_MARK.sub("", text)) if len(w) >= 2 and CHINESE.search(w)}


def _cover(numbers: list[str], pools: list[str], cited: list[int]) -> list[int] | None:
    """Fewest passages holding all numbers, greedily, the originally cited first; None if one is nowhere."""
    left, chosen = set(numbers), []
    order = cited + [i for i in range(1, len(pools) + 1) if i not in cited]
    while left:
        best = max(order, key=lambda i: (len({n for n in left if occurs(n, pools[i - 1])}), -order.index(i)))
        gained = {n for n in left if occurs(n, pools[best - 1])}
        if not gained:
            return None
        chosen.append(best)
        left -= gained
    return sorted(chosen)


def _sources(sentence: str, passages: list[Passage], skip: set[str]) -> list[int]:
    cited = [n for n in cited_numbers(sentence) if 1 <= n <= len(passages)]
    pools = [squash(f"{p.chunk.title}\n{p.chunk.heading_path}\n{p.chunk.text}") for p in passages]
    numbers = [f.text for f in figures_in(sentence) if f.text not in skip]
    if numbers:
        return _cover(list(dict.fromkeys(numbers)), pools, cited) or cited
    words = _words(sentence)
    if not words:
        return cited
    share = {i: len({w for w in words if w in pools[i - 1]}) / len(words) for i in range(1, len(pools) + 1)}
    keep = [i for i in cited if share[i] >= MIN_WORDS]
    if keep:
        return keep
    best = max(share, key=lambda i: (share[i], -i))
    return [best] if share[best] >= MIN_WORDS else cited


def repair_citations(text: str, passages: list[Passage], question: str = "", derived: set[str] = frozenset()) -> str:
    """The answer text with each sentence's citation marks replaced by the passages that support it.
    Numbers the question gave and results the answer computed (`derived`) are not looked for."""
    text, _ = drop_invalid(text, len(passages))
    skip = {f.text for f in figures_in(question)} | set(derived)
    text = re.sub(r"([。！？；])((?:\[\d+\])+)", r"\2\1", text)
    if not split_claims(text):
        return text

    def fix(match: re.Match) -> str:
        sentence = match.group(0)
        end = sentence[-1] if sentence[-1] in "。！？；" else ""
        body = CITATION_MARK.sub("", sentence[: len(sentence) - len(end)]).rstrip()
        if not re.sub(r"\W", "", body):
            return sentence
        marks = "".join(f"[{n}]" for n in _sources(sentence, passages, skip))
        return f"{body}{marks}{end}"

    return _CLAIM.sub(fix, text)

"""Evidence first: the one sentence of the retrieved passages most likely to answer the question, chosen by
word overlap in well under a millisecond (no model), so the reader sees the documents' own words while the
LLM is still reading its prompt. It is a quotation, not an answer: the page and the CLI label it as such."""

from __future__ import annotations

import re
from dataclasses import replace

from rag.prompting import _bigrams, _sentences
from rag.types import Chunk, Excerpt, Passage
from rag.vocabulary import QUANTITY_QUESTION_WORDS, alternation

# a question asking for a figure or a date: its answer holds a number the question itself does not
_WANTS_NUMBER = re.compile(alternation(QUANTITY_QUESTION_WORDS) + r"|增长|目标|规模|总量|数量|哪一?年|何时|什么时候")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
MIN_SHARED = 2  # question units the sentence itself must contain: one alone is often chance ("发展")
CONTEXT_WEIGHT = 0.5  # a question word found only in the passage's title or headings ("高密市", "第三章")
MISSING_WEIGHT = 2.0  # a question word in another passage's title, absent from this one: another place's plan
NUMBER_BONUS = 1.5  # a sentence with a new figure, for a question asking for one
RANK_STEP = 0.25  # a lower-ranked passage needs a little more overlap to win
MAX_CHARS = 220


def _score(sentence: str, wanted: set[str], context: set[str], titled: set[str], asked: set[str],
           wants_number: bool) -> float:
    own = _bigrams(sentence) & wanted
    if len(own) < MIN_SHARED:
        return float("-inf")
    score = len(own) + CONTEXT_WEIGHT * len(context - own) - MISSING_WEIGHT * len(titled - own - context)
    if wants_number and set(_NUMBER.findall(sentence)) - asked:
        score += NUMBER_BONUS
    return score


def _display(sentence: str, chunk: Chunk) -> str:
    """A table row with its header row (a bare row of figures says nothing); prose with its line wrapping
    undone; a sentence longer than MAX_CHARS cut at the end with `……`."""
    text = sentence.strip()
    if text.startswith("|"):
        header = _sentences(chunk.text)[0].strip()
        return text if not header.startswith("|") or header == text else f"{header}\n{text}"
    text = re.sub(r"\s*\n\s*", "", text)
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + "……"


def pick_excerpt(question: str, passages: list[Passage]) -> Excerpt | None:
    """The best-scoring sentence over all passages, numbered like the passages in the prompt; None when no
    sentence shares at least MIN_SHARED words (character bigrams, whole numbers) with the question. Words of
    the question that name a document (in some passage's title) must be met by the sentence or its title:
    "高密市2020年…" is not answered by "平度市2020年…", however many other words the two share."""
    wanted = _bigrams(question)
    titled = wanted & set().union(*(_bigrams(p.chunk.title) for p in passages))
    asked = set(_NUMBER.findall(question))
    wants_number = bool(_WANTS_NUMBER.search(question))
    best: tuple[float, int, str] | None = None
    for number, passage in enumerate(passages, start=1):
        chunk = passage.chunk
        context = _bigrams(f"{chunk.title}\n{chunk.heading_path}") & wanted
        for sentence in _sentences(chunk.text):
            score = _score(sentence, wanted, context, titled, asked, wants_number) - RANK_STEP * (number - 1)
            if best is None or score > best[0]:
                best = (score, number, sentence)
    if best is None or best[0] == float("-inf"):
        return None
    _, number, sentence = best
    chunk = passages[number - 1].chunk
    return Excerpt(number, chunk.chunk_id, chunk.title, chunk.heading_path, _display(sentence, chunk))


def renumber(excerpt: Excerpt, passages: list[Passage]) -> Excerpt:
    """The excerpt numbered after the passages an answer finally cites from (a prompt that had to drop a
    passage, or a question answered in parts, has another list than the one retrieved); 0 when its
    passage is not among them, so no [n] points at the wrong source."""
    ids = [p.chunk.chunk_id for p in passages]
    return replace(excerpt, number=ids.index(excerpt.chunk_id) + 1 if excerpt.chunk_id in ids else 0)

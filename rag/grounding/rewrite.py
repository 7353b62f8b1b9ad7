"""Everyday questions in the documents' words: '老楼装了多少部电梯' retrieves nothing about
'既有住宅加装电梯', because neither the lexical nor the small dense index links the two. A question with
several content words that the indexed corpus never uses is rewritten once by the model into planning
language; retrieval then uses both wordings. Questions in the documents' own words are not touched (no
model call, no delay)."""

from __future__ import annotations

import re

from rag.grounding.figures import CITATION_MARK
from rag.grounding.profile import CorpusProfile
from rag.grounding.question import QuestionFrame
from rag.vocabulary import OVERVIEW_WORDS

MIN_EVERYDAY = 2  # content words the corpus never uses, before a question counts as everyday speech
MAX_TOKENS = 48

_FUNCTION_TAGS = ("m", "x", "r", "u", "p", "c", "d", "y", "e", "o", "q", "f")
# how questions are put, in any corpus: not things the documents could name
_ASKING = {"时候", "提到", "相比", "异同", "一共", "是不是", "打算", "说明", "相差", "两边", "三地", "两地", "哪边", "多少",
           "什么", "怎么", "怎样", "如何", "为什么", "是否", "能否", "可以", "现在", "目前", "这些", "那些", "一下", "请问"}

SYSTEM = ("你把群众用口语提的问题改写成政府规划文件里的书面说法，便于在文件中检索。"
          "保留问题中的地名、年份和所问的内容，把日常说法换成规划文件常用的术语或指标名称。"
          "只输出改写后的一句问题，不要回答问题。")
EXAMPLE = ("这几年村里的路修了多少？", "农村公路新建和改造里程是多少公里？")


def everyday_words(frame: QuestionFrame, tokens: list[tuple[str, str]], profile: CorpusProfile) -> list[str]:
    """The question's content words that no indexed document uses ('老楼', '院子', '修整')."""
    skip = set(frame.places) | set(frame.mentioned) | set(frame.unknown) | set(profile.aliases) | _ASKING | OVERVIEW_WORDS
    words = [w for w, tag in tokens if len(w) >= 2 and not tag.startswith(_FUNCTION_TAGS) and w not in skip]
    return [w for w in dict.fromkeys(words) if w not in profile.text]


def needs_rewrite(frame: QuestionFrame, tokens: list[tuple[str, str]], profile: CorpusProfile) -> bool:
    return len(everyday_words(frame, tokens, profile)) >= MIN_EVERYDAY


def rewrite_messages(question: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": EXAMPLE[0]}, {"role": "assistant", "content": EXAMPLE[1]},
            {"role": "user", "content": question}]


def clean(text: str, question: str) -> str:
    """The model's rewrite as one question ('' when it answered instead, or said nothing new)."""
    line = next((s.strip() for s in text.splitlines() if s.strip()), "")
    line = re.sub(r"^(?:改写(?:后的问题)?|答|问题)[:：]\s*", "", line).strip("“”\"' ")
    if not line or line == question or len(line) > 3 * len(question) or CITATION_MARK.search(line):
        return ""
    return line

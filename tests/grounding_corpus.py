"""A small hand-made corpus for the grounding tests: three plans of places that are not in seeds/, so no
rule can have been written for them."""

from __future__ import annotations

import re

from rag.chunking import chunk_document
from rag.grounding.profile import CorpusProfile, build_profile
from rag.grounding.question import QuestionReader
from rag.types import Chunk, Document, Passage

DOCS = {
    "laixi": (
        "莱西市国民经济和社会发展第十四个五年规划和2035年远景目标纲要",
        "第一章 发展基础\n“十三五”时期，全市地区生产总值跨上新台阶，达到300.5亿元，一般公共预算收入25.1亿元。"
        "莱西市被评为全国文明城市。\n"
        "第二章 主要目标\n到2025年，全市地区生产总值达到420亿元，森林覆盖率达到22%。\n"
        "| 指标 | 2020年 | 2025年 |\n| 地区生产总值(亿元) | 300.5 | 420 |\n| 森林覆盖率(%) | 20.1 | 22 |\n",
    ),
    "jiaozhou": (
        "(山东省)青岛市胶州市国民经济和社会发展十四五规划",
        "第一章 发展基础\n“十三五”末，全市地区生产总值达到1200亿元，高新技术企业达到150家。"
        "居民收入增速高于全省平均水平。\n"
        "第二章 主要目标\n到2025年，高新技术企业达到300家，城乡供水一体化覆盖率达到100%。\n",
    ),
    "zone": (
        "青岛高新技术产业开发区国民经济和社会发展第十四个五年规划",
        "第一章 发展基础\n2020年，高新区地区生产总值达到210亿元，比2015年增长40%。\n",
    ),
}


def chunks() -> list[Chunk]:
    out: list[Chunk] = []
    for doc_id, (title, body) in DOCS.items():
        text = f"{title}\n{body}"
        out += chunk_document(Document(doc_id, title, f"{doc_id}.txt", text, "0" * 64, "utf-8"), size=200, overlap=0)
    return out


def profile() -> CorpusProfile:
    return build_profile(chunks())


def reader() -> QuestionReader:
    return QuestionReader(profile())


def passage(text: str, doc_id: str = "laixi", title: str = "", heading: str = "第一章 发展基础") -> Passage:
    title = title or DOCS.get(doc_id, ("文档",))[0]
    return Passage(Chunk(f"{doc_id}#0", doc_id, title, [heading], text, 0, len(text)), 1.0)


class RecordingModel:
    """Base of the grounding tests' fake models: splits the prompt into its passages and its question,
    records each question asked, and leaves the answer to `answer`."""

    name = "fake"

    def __init__(self):
        self.questions: list[str] = []

    def stream(self, messages, max_tokens, temperature):
        body, _, rest = messages[-1]["content"].partition("问题：")
        question = rest.split("\n")[0]
        self.questions.append(question)
        yield from self.answer(question, body)

    def answer(self, question: str, body: str):
        raise NotImplementedError

    @staticmethod
    def first_match(body: str, pattern: str) -> tuple[int, re.Match[str]] | None:
        """The number of the first passage of the prompt where `pattern` matches, and the match."""
        pieces = re.split(r"\[(\d+)\]", body)
        for number, block in zip(map(int, pieces[1::2]), pieces[2::2]):
            found = re.search(pattern, block)
            if found:
                return number, found
        return None

    def count_tokens(self, text):
        return len(text)

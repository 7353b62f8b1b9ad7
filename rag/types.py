"""The domain, as plain dataclasses every stage passes along: Document -> Chunk -> Passage -> Answer."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field


@dataclass
class Document:
    doc_id: str  # stable: the file's relative path without suffix
    title: str
    path: str  # relative to the corpus folder
    text: str  # cleaned text; chunk offsets point into it
    sha256: str  # of the raw bytes, to detect changes
    encoding: str  # text files: the detected encoding; other formats: their kind ("pdf", "docx", "html")
    # paged formats (PDF): page_starts[i] is the offset in text where page i + 1 begins; empty otherwise
    page_starts: list[int] = field(default_factory=list)
    # headings the file marks by style (Word heading styles, HTML h1-h6): [offset of the line, level 0-5]
    outline: list[list[int]] = field(default_factory=list)

    def page_at(self, offset: int) -> int | None:
        """The page holding the character at offset; None for formats without pages."""
        return bisect_right(self.page_starts, offset) if self.page_starts else None


@dataclass
class Chunk:
    chunk_id: str  # "<doc_id>#<n>"
    doc_id: str
    title: str
    headings: list[str]  # e.g. ["第二章 ...", "第一节 ...", "一、..."]
    text: str  # what the reader sees (a table chunk repeats its header row)
    start: int  # character span in Document.text
    end: int
    kind: str = "text"  # "text" | "table"
    page: int | None = None  # paged formats: the page the chunk starts on
    page_marks: list[int] = field(default_factory=list)  # offsets in text where a following page begins

    def page_of(self, position: int) -> int | None:
        """The page of the character at position in text (a chunk may run over a page break)."""
        return None if self.page is None else self.page + bisect_right(self.page_marks, position)

    @property
    def heading_path(self) -> str:
        return " > ".join(self.headings)

    def embedding_text(self) -> str:
        """The title and heading path travel with the text, so '高密市' or '第五章' can match it."""
        head = f"{self.title}\n{self.heading_path}".strip()
        return f"{head}\n{self.text}"


@dataclass
class Passage:
    """A retrieved chunk with its rank scores, numbered [n] in the prompt."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None


@dataclass
class Citation:
    number: int  # the n of [n]
    chunk_id: str
    doc_id: str
    title: str
    heading_path: str
    quote: str  # the sentence(s) of the passage that support the claim, or the passage head
    page: int | None = None  # paged formats: the page of the cited chunk


@dataclass
class ClaimCheck:
    """One answer sentence and whether its facts were found in the passages it cites."""

    text: str
    citations: list[int]
    supported: bool
    reason: str = ""


@dataclass
class Excerpt:
    """The retrieved sentence most likely to answer the question, shown before the model's first token."""

    number: int  # the n of the passage [n] it comes from
    chunk_id: str
    title: str
    heading_path: str
    text: str


@dataclass
class Answer:
    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    claims: list[ClaimCheck] = field(default_factory=list)
    invalid_citations: list[int] = field(default_factory=list)
    refused: bool = False
    withheld: str = ""  # a model answer replaced by the refusal because none of it could be verified
    timings: dict[str, float] = field(default_factory=dict)
    understanding: str = ""  # how the question was read: places, years, indicator, kind (rag.grounding)
    reason: str = ""  # why it was refused or corrected, for the user
    calculation: str = ""  # the arithmetic done in code on cited figures, shown in the answer
    sub_questions: list[str] = field(default_factory=list)  # what a decomposed question was split into
    excerpt: Excerpt | None = None  # shown first; not an answer when the answer is refused or withheld
    looked_up: bool = False  # its figure was read in code from a table row or sentence, not written by the model
    route: str = ""  # which answerer answered it (rag.answering.ROUTES): refusal, correction, figure, model, ...


@dataclass
class Event:
    """What a streaming ask emits: the passages first, then the excerpt (possibly None), then text pieces,
    then the checked Answer."""

    kind: str  # "passages" | "excerpt" | "token" | "answer"
    passages: list[Passage] | None = None
    excerpt: Excerpt | None = None
    text: str = ""
    answer: Answer | None = None

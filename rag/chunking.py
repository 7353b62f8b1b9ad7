"""Structure-aware chunking: the heading path (篇 > 章 > 节 > 一、 > (一) > 1.) follows every chunk,
prose is split at Chinese sentence ends but never inside a number, and a table row is never
separated from its header row."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from langchain_text_splitters import RecursiveCharacterTextSplitter

from rag.types import Chunk, Document

# what a chunk holds changed (reading, titles, splitting): an index built before is re-read and re-embedded
# (2: a title that is only its genre carries its occasion, rag.formats.base._with_occasion)
VERSION = 2
_NUM = "一二三四五六七八九十百零〇"
HEADING_LEVELS = [
    re.compile(rf"^第[{_NUM}\d]+篇"),
    re.compile(rf"^第[{_NUM}\d]+章"),
    re.compile(rf"^第[{_NUM}\d]+节"),
    re.compile(rf"^[{_NUM}]+、"),
    re.compile(rf"^[(（][{_NUM}]+[)）]"),
    re.compile(r"^\d{1,2}[.、．](?!\d)"),
]
_MAX_HEADING = 40
# no empty-string separator: a run with no punctuation stays whole rather than being cut mid-number
SEPARATORS = ["\n\n", "\n", "。", "！", "？", "；", ";", "，", ",", "、"]


@dataclass
class _Block:
    """A contiguous span of the document under one heading path: prose lines or one table."""

    headings: list[str]
    kind: str
    lines: list[tuple[int, str]] = field(default_factory=list)  # (offset, line)
    caption: str = ""


def heading_of(line: str) -> tuple[int, str, bool] | None:
    """(level, heading text, is the whole line a heading) or None for plain prose."""
    for level, pattern in enumerate(HEADING_LEVELS):
        if not pattern.match(line):
            continue
        if len(line) <= _MAX_HEADING and "。" not in line.rstrip("。"):
            return level, line.rstrip("。：:"), True
        lead = re.split(r"[。：:]", line, maxsplit=1)[0]
        if level >= 3 and len(lead) <= _MAX_HEADING:
            return level, lead, False
        return None
    return None


def _is_table_row(line: str) -> bool:
    return line.startswith("|") and line.endswith("|") and line.count("|") >= 3


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def _styled_heading(line: str, level: int) -> tuple[int, str, bool]:
    """A line the file marks as a heading: its numbering decides the level when it has one."""
    numbered = heading_of(line)
    return (numbered[0], numbered[1], True) if numbered else (min(level, len(HEADING_LEVELS) - 1), line, True)


def _blocks(text: str, outline: dict[int, int] | None = None) -> list[_Block]:
    path: list[str] = [""] * len(HEADING_LEVELS)
    blocks: list[_Block] = []
    offset = 0
    prev_line = ""
    for line in text.split("\n"):
        start, offset = offset, offset + len(line) + 1
        if not line.strip():
            continue
        kind = "table" if _is_table_row(line) else "text"
        if outline and start in outline and kind == "text":
            head = _styled_heading(line, outline[start])
        else:
            head = heading_of(line) if kind == "text" else None
        if head:
            level, title, whole = head
            path[level:] = [title] + [""] * (len(path) - level - 1)
            if whole:
                prev_line = line
                continue
        current = [h for h in path if h]
        if not blocks or blocks[-1].kind != kind or blocks[-1].headings != current or head:
            caption = prev_line if kind == "table" and len(prev_line) <= _MAX_HEADING else ""
            blocks.append(_Block(current, kind, caption=caption))
        blocks[-1].lines.append((start, line))
        prev_line = line
    return blocks


def _splitter(size: int, overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        chunk_size=size, chunk_overlap=overlap, separators=SEPARATORS, keep_separator="end", add_start_index=True
    )


def _prose_chunks(block: _Block, text: str, splitter: RecursiveCharacterTextSplitter) -> list[tuple[str, int, int, None]]:
    base = block.lines[0][0]
    last_start, last_line = block.lines[-1]
    span = text[base : last_start + len(last_line)]
    out = []
    for doc in splitter.create_documents([span]):
        start = base + doc.metadata["start_index"]
        out.append((doc.page_content, start, start + len(doc.page_content), None))
    return out


def _table_chunks(block: _Block, size: int) -> list[tuple[str, int, int, list[tuple[int, int]]]]:
    """Pack rows under a repeated header; an empty first cell inherits the category above it. Each chunk
    comes with its rows' (position in the chunk, offset in the document), for their pages."""
    rows = [(o, l) for o, l in block.lines if not re.fullmatch(r"\|[\s\-:|]+\|", l)]
    if not rows:
        return []  # only separator or empty rows ('| | |'): nothing to index
    header_offset, header = rows[0]
    head = (f"表：{block.caption}\n" if block.caption else "") + header
    out: list[tuple[str, int, int, list[tuple[int, int]]]] = []
    batch: list[tuple[int, str]] = []
    category = ""
    for offset, row in rows[1:]:
        cells = _cells(row)
        category = cells[0] or category
        if not cells[0] and category:
            row = "| " + " | ".join([category] + cells[1:]) + " |"
        if batch and len(head) + sum(len(r) + 1 for _, r in batch) + len(row) > size:
            out.append(_pack(head, batch))
            batch = []
        batch.append((offset, row))
    if batch:
        out.append(_pack(head, batch))
    elif not out:
        out.append((head, header_offset, header_offset + len(header), []))
    return out


def _pack(head: str, batch: list[tuple[int, str]]) -> tuple[str, int, int, list[tuple[int, int]]]:
    first, last = batch[0], batch[-1]
    text = head + "\n" + "\n".join(r for _, r in batch)
    positions, at = [], len(head) + 1
    for offset, row in batch:
        positions.append((at, offset))
        at += len(row) + 1
    return text, first[0], last[0] + len(last[1]), positions


def _row_page_marks(doc: Document, rows: list[tuple[int, int]]) -> list[int]:
    """Where later pages begin inside a table chunk (rows rebuilt under a repeated header): at the first
    row of each later page (twice if a page in between holds none of its rows)."""
    marks, page = [], doc.page_at(rows[0][1]) if rows else None
    for position, offset in rows[1:]:
        row_page = doc.page_at(offset)
        while page is not None and row_page is not None and row_page > page:
            marks.append(position)
            page += 1
    return marks


def _page_marks(doc: Document, text: str, start: int, end: int) -> list[int]:
    """Where later pages begin inside a chunk that is a verbatim span of the document (prose)."""
    if not doc.page_starts or doc.text[start:end] != text:
        return []
    return [s - start for s in doc.page_starts if start < s < end]


def chunk_document(doc: Document, size: int = 260, overlap: int = 40) -> list[Chunk]:
    splitter = _splitter(size, overlap)
    chunks: list[Chunk] = []
    outline = {offset: level for offset, level in doc.outline}
    for block in _blocks(doc.text, outline):
        parts = _table_chunks(block, size) if block.kind == "table" else _prose_chunks(block, doc.text, splitter)
        for text, start, end, rows in parts:
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.doc_id}#{len(chunks)}",
                    doc_id=doc.doc_id,
                    title=doc.title,
                    headings=block.headings,
                    text=text,
                    start=start,
                    end=end,
                    kind=block.kind,
                    page=doc.page_at(start),
                    page_marks=_page_marks(doc, text, start, end) if rows is None else _row_page_marks(doc, rows),
                )
            )
    return chunks

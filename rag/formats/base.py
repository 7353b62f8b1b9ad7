"""What every format reader shares: the document id and title, the size limit, and the assembly of
extracted pages (or one unpaged body) into cleaned text with exact page starts and styled headings."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from rag.cleaning import clean_text, normalize_spaces
from rag.errors import InputError
from rag.types import Document

_NOTICE_TITLE = re.compile(r"关于印发(.+?)的通知")
_NOT_A_TITLE = re.compile(r"(人民政府|委员会)?文件$|〔\d{4}〕\d+号$|^标题$|^目录$")
_SUBTITLE = re.compile(r"(?:——|—|--)\s*(.{4,60}?)|[（(](.{4,60}?)[）)]")
_SENTENCE_END = ("。", "！", "？", "；", "：", "”", "」", "）", ")", ".", "!", "?", ":")


@dataclass(frozen=True)
class Limits:
    """What reading one file may cost, checked before and while it is read (see rag.formats.worker):
    `max_bytes` bounds the file and what it inflates to (a .docx's parts, each PDF stream); pages beyond
    `max_pages` and scanned pages once `ocr_seconds` of OCR are spent are not read (and named);
    `memory_mb` and `seconds` bound the reader's process, which is ended when it goes beyond them."""

    max_bytes: int | None = None
    max_pages: int = 2000
    ocr_seconds: float = 600.0
    memory_mb: int = 2048
    seconds: float = 900.0


@dataclass
class TextLine:
    """One visual line of a page, in points from the page's top-left corner; a table row is one line
    ('| a | b |') marked as such so it is never merged with prose."""

    text: str
    left: float
    top: float
    right: float
    bottom: float
    table: bool = False


@dataclass
class Extracted:
    """A reader's raw result, before cleaning: the text of each page (one entry for unpaged formats),
    the lines the file styles as headings (text, level 0-5), a title the file declares for its text, and
    one from its metadata that is used only when the text offers none. `runs_on[i]`: whether page i's last
    line runs to the right margin, so its sentence may go on over the page break (readers that know the
    lines' widths say so; without it, a last line not ending a sentence is taken to go on)."""

    pages: list[str]
    headings: list[tuple[str, int]] = field(default_factory=list)
    title: str = ""
    fallback_title: str = ""
    paged: bool = False
    runs_on: list[bool] = field(default_factory=list)


def extract_title(text: str, fallback: str) -> str:
    """The plan's own name: from a '关于印发《X》的通知' line, else the first line that reads like a title,
    with its occasion when the title names no place (see `_with_occasion`)."""
    lines = text.split("\n")[:15]
    for at, line in enumerate(lines):
        bare = normalize_spaces(line)
        if not bare or _NOT_A_TITLE.search(bare):
            continue
        match = _NOTICE_TITLE.search(bare)
        if match:
            return match.group(1).strip("《》 ")
        if len(bare) <= 80 and not bare.endswith(("。", "；", ",", "，")):
            return _with_occasion(bare, lines[at + 1 : at + 3])
        break
    return fallback


def _with_occasion(title: str, following: list[str]) -> str:
    """A title that is only its genre ('政府工作报告', '2026年政府工作报告') is the same for every place's
    report; the subtitle line under it ('——2026年1月27日在X省…会议上', '（…在X省…会议上）') says whose it is,
    so it joins the title: a citation then tells the reader which document it opens."""
    for line in following:
        bare = normalize_spaces(line)
        match = _SUBTITLE.fullmatch(bare)
        occasion = match and (match.group(1) or match.group(2))
        places = _places(occasion) if occasion else []
        if places and not any(p[:2] in title for p in places):
            return f"{title}（{occasion}）"
    return title


def _places(text: str) -> list[str]:
    """The words jieba tags as place names (ns) in `text`."""
    import jieba.posseg  # loaded only for a title with a subtitle line

    return [token.word for token in jieba.posseg.lcut(text) if token.flag == "ns"]


def display_path(path: Path, root: Path) -> str:
    """The relative path as text any table or terminal takes. A name that is not UTF-8 on disk (a GBK
    name unpacked from a Windows zip) reaches Python with lone surrogates, which SQLite, JSON and the
    terminal refuse: its bytes are read as GB18030 if they are that, else with replacement characters."""
    rel = path.relative_to(root).as_posix()
    try:
        rel.encode("utf-8")
        return rel
    except UnicodeEncodeError:
        raw = os.fsencode(rel)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace")


def doc_id_for(path: Path, root: Path) -> str:
    """Stable across runs and machines: the relative path without its suffix."""
    return PurePosixPath(display_path(path, root)).with_suffix("").as_posix()


def page_ranges(numbers: list[int], most: int = 8) -> str:
    """'3–5、9' for pages [3, 4, 5, 9]; past `most` ranges the rest is counted, not listed."""
    ranges: list[list[int]] = []
    for n in numbers:
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1][1] = n
        else:
            ranges.append([n, n])
    shown = "、".join(f"{a}" if a == b else f"{a}–{b}" for a, b in ranges[:most])
    return shown + (f" 等 {len(numbers)} 页" if len(ranges) > most else "")


def check_size(path: Path, max_bytes: int | None) -> int:
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise InputError(f"文件 {path.name} 有 {size / 2**20:.1f} MB，超过上限 {max_bytes / 2**20:.0f} MB。")
    if size == 0:
        raise InputError(f"文件 {path.name} 是空的，没有可索引的文字。")
    return size


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _last_line(text: str) -> str:
    return text[text.rfind("\n") + 1 :]


def _joint(before: str, page: str, runs_on: bool = True) -> str:
    """What goes between the text so far and the next page: nothing when a sentence runs over the page
    break (a last line that stops short of the margin, such as a heading, does not), a line end between
    the rows of a table that runs on, else a paragraph break."""
    last, first = _last_line(before), page.split("\n", 1)[0]
    if last.startswith("|") and first.startswith("|"):
        return "\n"
    if runs_on and last and not last.startswith("|") and not first.startswith("|") and not last.endswith(_SENTENCE_END):
        return ""
    return "\n\n"


def _drop_repeated_header(before: str, page: str) -> str:
    """A table continued on the next page often repeats its header row there: keep it once."""
    lines = before.split("\n")
    i = len(lines) - 1
    while i > 0 and lines[i - 1].startswith("|"):
        i -= 1
    head, first = lines[i], page.split("\n", 1)
    return first[1] if len(first) == 2 and first[0] == head else page


def assemble_pages(pages: list[str], runs_on: list[bool] | None = None) -> tuple[str, list[int]]:
    """Clean each page on its own and join them, so the offset where each page starts in the cleaned
    text is exact (cleaning moves offsets; it never moves them across a page seen alone). `runs_on`: see
    `Extracted`; the last non-empty page before this one decides."""
    text, starts, last_runs_on = "", [], True
    for number, raw in enumerate(pages):
        page = clean_text(raw).strip("\n")
        if text and page:
            joint = _joint(text, page, last_runs_on)
            if joint == "\n":
                page = _drop_repeated_header(text, page)
            text += joint
        starts.append(len(text))
        text += page
        if page and runs_on:
            last_runs_on = runs_on[number]
    return text + "\n", starts


def locate_headings(text: str, headings: list[tuple[str, int]]) -> list[list[int]]:
    """[line offset, level] of each styled heading, found in order among the cleaned lines."""
    padded, found, at = "\n" + text, [], 0
    for heading, level in headings:
        line = clean_text(heading).strip()
        if not line or "\n" in line:
            continue  # cleaning dropped it (boilerplate) or it is not one line
        hit = padded.find(f"\n{line}\n", at)
        if hit >= 0:  # a heading the cleaning removed is skipped, the ones after it still found
            found.append([hit, level])
            at = hit + len(line) + 1
    return found


def build_document(extracted: Extracted, path: Path, root: Path, kind: str) -> Document:
    """Cleaned text, page starts, outline and title; refuses a document with no text at all."""
    if extracted.paged:
        text, starts = assemble_pages(extracted.pages, extracted.runs_on)
    else:
        text, starts = clean_text("\n".join(extracted.pages)), []
    if not text.strip():
        raise InputError(f"文件 {path.name} 中没有可提取的文字。")
    title = clean_text(extracted.title).strip() if extracted.title else ""
    shown = display_path(path, root)
    fallback = clean_text(extracted.fallback_title).strip() or PurePosixPath(shown).stem
    return Document(
        doc_id=doc_id_for(path, root),
        title=title or extract_title(text[:4000], fallback=fallback),
        path=shown,
        text=text,
        sha256=file_sha256(path),
        encoding=kind,
        page_starts=starts,
        outline=locate_headings(text, extracted.headings),
    )

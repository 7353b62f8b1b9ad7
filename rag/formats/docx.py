"""Word .docx -> Document with python-docx: paragraphs and tables in body order, heading styles (or an
outline level) feeding the heading path, each table as '| a | b |' rows under its header row. Legacy
.doc and password-protected files get a message saying what to do."""

from __future__ import annotations

import logging
import re
import zipfile
from pathlib import Path

from rag.errors import InputError
from rag.formats.base import Extracted, build_document, check_size
from rag.types import Document

log = logging.getLogger(__name__)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of .doc files and of encrypted .docx
_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)


def refuse_unreadable(path: Path, max_bytes: int | None = None) -> None:
    """Say what is wrong with a file that is no .docx at all, or one that inflates beyond `max_bytes`
    (a zip bomb), before python-docx reads it."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if head.startswith(OLE_MAGIC):
        if _ENCRYPTED in head or path.suffix.lower() == ".docx":
            raise InputError(f"Word 文件 {path.name} 受密码保护（已加密），无法读取；请在 Word 中取消密码后另存为 .docx 再添加。")
        raise InputError(
            f"{path.name} 是旧版 Word（.doc）文件，无法直接读取；请在 Word 或 WPS 中另存为 .docx 后再添加"
            f"（或用 LibreOffice 转换：soffice --headless --convert-to docx {path.name}）。"
        )
    if path.suffix.lower() == ".doc":
        raise InputError(f"{path.name} 不是有效的旧版 Word 文件；请另存为 .docx 后再添加。")
    if not zipfile.is_zipfile(path):
        raise InputError(f"Word 文件 {path.name} 已损坏或不完整（不是有效的 .docx 压缩包）；请重新保存或重新下载后再添加。")
    if max_bytes is not None:
        _refuse_inflated(path, max_bytes)


def _refuse_inflated(path: Path, max_bytes: int) -> None:
    """The parts' declared sizes; Python's zipfile never inflates a part beyond its declared size (a lying
    size fails its CRC check), so these bound what python-docx will hold."""
    try:
        with zipfile.ZipFile(path) as package:
            inflated = sum(info.file_size for info in package.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        log.info("%s: zip directory unreadable", path, exc_info=exc)
        raise InputError(f"Word 文件 {path.name} 已损坏或不完整，无法读取；请重新保存后再添加。") from exc
    if inflated > max_bytes:
        raise InputError(f"Word 文件 {path.name} 解压后有 {inflated / 2**20:.0f} MB，超过上限 {max_bytes / 2**20:.0f} MB"
                         "（max_file_mb）；文件可能是异常构造的压缩包，未读取。")


def _style_level(style) -> int | None:
    """0-based heading level from a 'Heading N' / '标题 N' style, 'Title', or an outline level set on the
    style or one it is based on."""
    while style is not None:
        match = _HEADING_STYLE.match(style.name or "")
        if match:
            return int(match.group(1)) - 1
        if style.name == "Title":
            return 0
        outline = style.element.find(".//{*}outlineLvl")
        if outline is not None:
            return _outline_value(outline)
        style = style.base_style
    return None


def _style_of(paragraph, cache: dict) -> tuple[bool, int | None]:
    """(a table-of-contents style, the style's heading level). python-docx finds a paragraph's style by
    scanning the whole style table (~2 ms), so each style id is looked up once per file: 100,000
    paragraphs otherwise take minutes."""
    style_id = paragraph._p.style
    if style_id not in cache:
        style = paragraph.style
        cache[style_id] = ((style.name or "").lower().startswith("toc"), _style_level(style))
    return cache[style_id]


def _level(paragraph, cache: dict) -> int | None:
    """0-based heading level from the paragraph's style, else from an outline level on the paragraph."""
    level = _style_of(paragraph, cache)[1]
    if level is not None:
        return level
    outline = paragraph._p.find("./{*}pPr/{*}outlineLvl")
    return _outline_value(outline) if outline is not None else None


def _outline_value(element) -> int | None:
    value = int(element.get(element.tag.replace("outlineLvl", "val"), "9"))
    return value if value < 9 else None  # 9 is Word's "body text"


def _cell_text(cell) -> str:
    return re.sub(r"\s+", " ", cell.text).strip().replace("|", "｜")


def table_rows(table) -> list[str]:
    """'| a | b |' rows; a cell merged across columns is written once."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(_cell_text(cell))
        if any(cells):
            rows.append("| " + " | ".join(cells) + " |" if len(cells) > 1 else cells[0])
    return rows


def extract_docx(path: Path) -> Extracted:
    from docx import Document as open_docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    word = open_docx(str(path))
    lines: list[str] = []
    headings: list[tuple[str, int]] = []
    styles: dict = {}
    for element in word.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(element, word)
            if _style_of(paragraph, styles)[0]:
                continue  # Word's table of contents repeats the headings with page numbers
            text = paragraph.text.strip()
            level = _level(paragraph, styles) if text else None
            if level is not None:
                headings.append((text, min(level, 5)))
            lines.extend([text, ""] if level is not None else [text])
        elif tag == "tbl":
            lines.extend(["", *table_rows(Table(element, word)), ""])
    title = (word.core_properties.title or "").strip()
    return Extracted(pages=["\n".join(lines)], headings=headings, fallback_title=title)


def load_docx(path: Path, root: Path, max_bytes: int | None = None) -> Document:
    check_size(path, max_bytes)
    refuse_unreadable(path, max_bytes)
    try:
        extracted = extract_docx(path)
    except MemoryError:
        raise
    except Exception as exc:  # python-docx raises KeyError, lxml and zip errors on damaged parts
        log.info("%s: python-docx failed", path, exc_info=exc)
        raise InputError(f"Word 文件 {path.name} 已损坏或不完整，无法读取；请重新保存后再添加。") from exc
    return build_document(extracted, path, root, "docx")

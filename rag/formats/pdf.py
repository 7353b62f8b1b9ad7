"""PDF -> Document. pypdfium2 reads the text layer (fast, and it maps glyphs to the real characters where
other extractors return radicals); pdfplumber finds ruled tables on the pages that draw lines, and each
table becomes '| a | b |' rows in place. Visual lines are joined back into paragraphs, running headers,
footers and page numbers are dropped, a table running over a page break is joined, and every page's start
offset in the cleaned text is kept, so a citation can name its page. Pages without a text layer go to OCR."""

from __future__ import annotations

import logging
import re
import statistics
from pathlib import Path

from rag.cleaning import running_lines
from rag.errors import InputError
from rag.formats.base import Extracted, TextLine, build_document, check_size
from rag.types import Document

log = logging.getLogger(__name__)
_SENTENCE_END = ("。", "！", "？", "；", "：", "!", "?", ";", ":")
_CLOSERS = ("）", ")", "”", "」")  # end a paragraph ("（市发改委牵头）") as often as a line inside a sentence
_NUMBERED = re.compile(r"(第[一二三四五六七八九十百]+[章节条部分]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[.．、](?!\d))")
_MIN_PATHS = 4  # a page drawing fewer path objects holds no ruled table


def open_pdf(path: Path):
    """The pdfium document, or a clear message for an encrypted, damaged or truncated file."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise InputError(f"PDF 文件 {path.name} 受密码保护，无法读取；请用 PDF 阅读器取消密码（或另存一份无密码的副本）后再添加。") from exc
        log.warning("%s: %s", path.name, exc)
        raise InputError(f"PDF 文件 {path.name} 已损坏或不完整，无法打开；请重新下载或重新导出后再添加。") from exc
    if len(pdf) == 0:
        raise InputError(f"PDF 文件 {path.name} 没有任何页面；文件可能已损坏或不完整。")
    return pdf


def _pdfium_lines(page) -> list[TextLine]:
    """The text layer's lines (pdfium ends each with CR LF) with the boxes of their first and last character."""
    textpage = page.get_textpage()
    text = textpage.get_text_range()
    height, last_char = page.get_height(), max(textpage.count_chars() - 1, 0)
    box = lambda i: textpage.get_charbox(min(i, last_char))  # noqa: E731 (characters beyond the BMP count twice)
    lines, at = [], 0
    for raw in re.split(r"(\r\n|\n|\r)", text):
        if raw and raw not in "\r\n" and raw.strip():
            lead = len(raw) - len(raw.lstrip())
            last = len(raw.rstrip()) - 1
            left, bottom, _, top = box(at + lead)
            _, bottom2, right, top2 = box(at + last)
            lines.append(TextLine(raw.strip(), left, height - max(top, top2), right, height - min(bottom, bottom2)))
        at += len(raw)
    return lines


def _tables(plumber_page) -> list[tuple[tuple[float, float, float, float], list[str]]]:
    """(bbox, rows) of each ruled table; a cell's own line breaks become spaces."""
    found = []
    for table in plumber_page.find_tables():
        rows = []
        for row in table.extract():
            cells = [re.sub(r"\s+", " ", c or "").strip().replace("|", "｜") for c in row]
            if any(cells):
                rows.append("| " + " | ".join(cells) + " |")
        if rows:
            found.append((table.bbox, rows))
    return found


def _with_tables(lines: list[TextLine], tables) -> list[TextLine]:
    """Replace the text lines inside each table's box with the table's rows, in reading position."""
    def inside(line: TextLine, box) -> bool:
        x0, top, x1, bottom = box
        cx, cy = (line.left + line.right) / 2, (line.top + line.bottom) / 2
        return x0 <= cx <= x1 and top <= cy <= bottom

    kept = [l for l in lines if not any(inside(l, box) for box, _ in tables)]
    for (x0, top, x1, bottom), rows in tables:
        step = (bottom - top) / len(rows)
        kept += [TextLine(r, x0, top + i * step, x1, top + (i + 1) * step, table=True) for i, r in enumerate(rows)]
    return sorted(kept, key=lambda l: (round(l.top), l.left)) if tables else kept


def _full_width(lines: list[TextLine]) -> float:
    """The x beyond which a line counts as reaching the right margin (so its paragraph goes on)."""
    prose = [l for l in lines if not l.table]
    if not prose:
        return float("inf")
    rights = sorted(l.right for l in prose)
    margin = rights[int(0.95 * (len(rights) - 1))]
    em = statistics.median(l.bottom - l.top for l in prose)
    return margin - 4 * em


def _join(a: str, b: str) -> str:
    return a + (" " if a[-1:].isascii() and a[-1:].isalnum() and b[:1].isascii() and b[:1].isalnum() else "") + b


def runs_on(line: TextLine, full: float) -> bool:
    """A prose line that reaches the right margin without ending its sentence: its paragraph goes on."""
    return not line.table and line.right >= full and not line.text.endswith(_SENTENCE_END)


def reflow(lines: list[TextLine], full: float) -> list[str]:
    """Join a line that reaches the right margin without ending its sentence to the next one, unless it
    ends with a closing bracket or quote and the next one starts a numbered item or heading."""
    out: list[str] = []
    open_paragraph = False
    for line in lines:
        if open_paragraph and not line.table and out and not (out[-1].endswith(_CLOSERS) and _NUMBERED.match(line.text)):
            out[-1] = _join(out[-1], line.text)
        else:
            out.append(line.text)
        open_paragraph = runs_on(line, full)
    return out


def _without_running(pages: list[list[TextLine]]) -> list[list[TextLine]]:
    """Drop running headers, footers and page numbers, judged on each page's lines from top to bottom
    (producers write them anywhere in the content stream); the body keeps the stream's reading order."""
    by_position = [sorted(lines, key=lambda l: (l.top, l.left)) for lines in pages]
    drops = running_lines([[l.text for l in lines] for lines in by_position])
    out = []
    for lines, ordered, drop in zip(pages, by_position, drops):
        dropped = {id(ordered[i]) for i in drop}
        out.append([l for l in lines if id(l) not in dropped])
    return out


def _read_pages(path: Path, pdf) -> list[list[TextLine]]:
    """Every page's lines: text layer (with ruled tables), or OCR for a page that has none."""
    from rag.formats.ocr import OcrRun

    pages, plumber = [], None
    ocr = OcrRun(path.name)
    for number in range(1, len(pdf) + 1):
        try:
            page = pdf[number - 1]
            lines = _pdfium_lines(page)
        except Exception as exc:  # one damaged page: say so and keep the others (and the page numbering)
            log.warning("%s：第 %d 页已损坏，无法读取（%r），此页不会被索引", path.name, number, exc)
            pages.append([])
            continue
        if not lines:
            pages.append(ocr.page_lines(page, number))
            continue
        if _draws_lines(page):
            plumber = plumber or _open_plumber(path)
            lines = _with_tables(lines, _page_tables(plumber, number, path.name)) if plumber else lines
        pages.append(lines)
    ocr.finish(len(pdf))
    if plumber:
        plumber.close()
    return pages


def _page_tables(plumber, number: int, name: str):
    try:
        return _tables(plumber.pages[number - 1])
    except Exception as exc:  # pdfminer on an odd page: its text layer is kept, only table rows are lost
        log.warning("%s：第 %d 页的表格无法识别（%r），按普通文字读取", name, number, exc)
        return []


def _draws_lines(page) -> bool:
    import pypdfium2 as pdfium

    count = 0
    for _ in page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_PATH], max_depth=2):
        count += 1
        if count >= _MIN_PATHS:
            return True
    return False


def _open_plumber(path: Path):
    import pdfplumber

    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # pdfminer warns once per glyph on some fonts
    try:
        return pdfplumber.open(str(path))
    except Exception as exc:  # tables are a bonus: the text layer is already read
        log.warning("%s: tables not read (%r)", path.name, exc)
        return None


def extract_pdf(path: Path) -> Extracted:
    pdf = open_pdf(path)
    try:
        pages = _read_pages(path, pdf)
        title = (pdf.get_metadata_dict().get("Title") or "").strip()
    finally:
        pdf.close()
    pages = _without_running(pages)
    full = _full_width([l for lines in pages for l in lines])
    return Extracted(pages=["\n".join(reflow(lines, full)) for lines in pages], fallback_title=title, paged=True,
                     runs_on=[bool(lines) and runs_on(lines[-1], full) for lines in pages])


def load_pdf(path: Path, root: Path, max_bytes: int | None = None) -> Document:
    check_size(path, max_bytes)
    extracted = extract_pdf(path)
    if not any(page.strip() for page in extracted.pages):
        raise InputError(f"PDF 文件 {path.name} 中没有识别出任何文字（扫描页 OCR 也未得到文字）；请提供带文字层的 PDF。")
    return build_document(extracted, path, root, "pdf")

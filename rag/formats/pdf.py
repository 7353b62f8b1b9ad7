"""PDF -> Document. pypdfium2 reads the text layer (fast, and it maps glyphs to the real characters where
other extractors return radicals); pdfplumber finds ruled tables on the pages that draw lines, and each
table becomes '| a | b |' rows in place. Visual lines are joined back into paragraphs, running headers,
footers and page numbers are dropped, a table running over a page break is joined, and every page's start
offset in the cleaned text is kept, so a citation can name its page. Pages without a text layer go to OCR."""

from __future__ import annotations

import logging
import re
import statistics
import zlib
from pathlib import Path

from rag.cleaning import running_lines
from rag.errors import InputError
from rag.formats.base import Extracted, Limits, TextLine, build_document, check_size, page_ranges
from rag.types import Document

log = logging.getLogger(__name__)
_SENTENCE_END = ("。", "！", "？", "；", "：", "!", "?", ";", ":")
_CLOSERS = ("）", ")", "”", "」")  # end a paragraph ("（市发改委牵头）") as often as a line inside a sentence
_NUMBERED = re.compile(r"(第[一二三四五六七八九十百]+[章节条部分]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[.．、](?!\d))")
_MIN_PATHS = 4  # a page drawing fewer path objects holds no ruled table
_STREAM_START = re.compile(rb"(?<!end)stream\r?\n")
_INFLATE_STEP = 1 << 20


def open_pdf(path: Path):
    """The pdfium document, or a clear message for an encrypted, damaged or truncated file."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise InputError(f"PDF 文件 {path.name} 受密码保护，无法读取；请用 PDF 阅读器取消密码（或另存一份无密码的副本）后再添加。") from exc
        log.info("%s: pdfium cannot open it", path.name, exc_info=exc)
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


def inflated_size(data: bytes, start: int, limit: int) -> int:
    """How much the Flate stream starting at `start` inflates to, counted while inflating and given up
    past `limit` (0 for a stream that is not Flate data); a piece in memory at a time, never the whole."""
    inflater, size, at = zlib.decompressobj(), 0, start
    view = memoryview(data)
    try:
        while not inflater.eof and (inflater.unconsumed_tail or at < len(data)):
            piece = inflater.unconsumed_tail
            if not piece:
                piece, at = view[at : at + _INFLATE_STEP], at + _INFLATE_STEP
            size += len(inflater.decompress(piece, _INFLATE_STEP))
            if size > limit:
                break
    except zlib.error:
        pass
    return size


def refuse_inflating(path: Path, max_bytes: int | None) -> None:
    """Before pdfium inflates anything: no stream of the file may inflate beyond the file size limit (a
    few kilobytes can inflate to gigabytes, which pdfium holds whole)."""
    if max_bytes is None:
        return
    data = path.read_bytes()
    for match in _STREAM_START.finditer(data):
        if inflated_size(data, match.end(), max_bytes) > max_bytes:
            raise InputError(f"PDF 文件 {path.name} 中有数据流解压后超过上限 {max_bytes / 2**20:.0f} MB（max_file_mb）；"
                             "文件可能是异常构造的，未读取。")


def _page_count(path: Path, pdf, limits: Limits) -> int:
    """Pages to read: at most `max_pages`, the rest named."""
    total = len(pdf)
    if total > limits.max_pages:
        log.warning("%s：共 %d 页，超过页数上限 %d（max_pdf_pages），第 %d–%d 页未读取、不会被索引",
                    path.name, total, limits.max_pages, limits.max_pages + 1, total)
    return min(total, limits.max_pages)


def _read_pages(path: Path, pdf, limits: Limits) -> list[list[TextLine]]:
    """Every page's lines: text layer (with ruled tables), or OCR for a page that has none."""
    from rag.formats.ocr import OcrRun

    pages, plumber, damaged = [], None, []
    ocr = OcrRun(path.name, limits.ocr_seconds)
    count = _page_count(path, pdf, limits)
    for number in range(1, count + 1):
        try:
            page = pdf[number - 1]
            lines = _pdfium_lines(page)
        except Exception as exc:  # one damaged page: say so and keep the others (and the page numbering)
            log.info("%s: page %d unreadable", path.name, number, exc_info=exc)
            damaged.append(number)
            pages.append([])
            continue
        if not lines:
            pages.append(ocr.page_lines(page, number))
            continue
        if _draws_lines(page):
            plumber = plumber or _open_plumber(path)
            lines = _with_tables(lines, _page_tables(plumber, number, path.name)) if plumber else lines
        pages.append(lines)
    ocr.finish(count)
    if damaged:
        log.warning("%s：第 %s 页已损坏，无法读取，这些页不会被索引", path.name, page_ranges(damaged))
    if plumber:
        plumber.close()
    return pages


def check_pdf(path: Path, limits: Limits) -> None:
    """The upload check: what indexing would refuse (locked, damaged, inflating) is refused, and every
    page it would read is parsed once, so a page that needs more memory or time than the limits allow
    fails here, in the checking worker, rather than later."""
    refuse_inflating(path, limits.max_bytes)
    pdf = open_pdf(path)
    try:
        for number in range(min(len(pdf), limits.max_pages)):
            page = pdf[number]
            page.get_textpage().close()
            page.close()
    finally:
        pdf.close()


def _page_tables(plumber, number: int, name: str):
    try:
        return _tables(plumber.pages[number - 1])
    except Exception as exc:  # pdfminer on an odd page: its text layer is kept, only table rows are lost
        log.info("%s: page %d tables unreadable", name, number, exc_info=exc)
        log.warning("%s：第 %d 页的表格无法识别，按普通文字读取", name, number)
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
        log.info("%s: pdfplumber cannot open it", path.name, exc_info=exc)
        log.warning("%s：表格无法识别，按普通文字读取", path.name)
        return None


def extract_pdf(path: Path, limits: Limits | None = None) -> Extracted:
    limits = limits or Limits()
    refuse_inflating(path, limits.max_bytes)
    pdf = open_pdf(path)
    try:
        pages = _read_pages(path, pdf, limits)
        title = (pdf.get_metadata_dict().get("Title") or "").strip()
    finally:
        pdf.close()
    pages = _without_running(pages)
    full = _full_width([l for lines in pages for l in lines])
    return Extracted(pages=["\n".join(reflow(lines, full)) for lines in pages], fallback_title=title, paged=True,
                     runs_on=[bool(lines) and runs_on(lines[-1], full) for lines in pages])


def load_pdf(path: Path, root: Path, limits: Limits) -> Document:
    check_size(path, limits.max_bytes)
    extracted = extract_pdf(path, limits)
    if not any(page.strip() for page in extracted.pages):
        raise InputError(f"PDF 文件 {path.name} 中没有识别出任何文字（扫描页 OCR 也未得到文字）；请提供带文字层的 PDF。")
    return build_document(extracted, path, root, "pdf")

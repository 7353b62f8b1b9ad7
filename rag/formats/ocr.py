"""Scanned PDF pages (no text layer) -> text lines, with RapidOCR (rapidocr-onnxruntime 1.x: PP-OCRv4
Chinese detection and recognition models ship inside the wheel and run on the CPU, nothing downloaded).
OCR takes seconds per page, so it shows a progress line; a page that yields no text is reported by number."""

from __future__ import annotations

import logging
import sys
import time

from rag.formats.base import TextLine, page_ranges

log = logging.getLogger(__name__)
RENDER_SCALE = 2.0  # 144 dpi: small print stays legible to the recogniser
MIN_SCORE = 0.5  # recognitions below this confidence are noise (stains, stamps, ruling lines)
_ENGINE = None


def engine():
    """The OCR engine, loaded once per process (~0.5 s); None when rapidocr-onnxruntime is missing."""
    global _ENGINE
    if _ENGINE is None:
        try:
            from rapidocr_onnxruntime import RapidOCR

            _ENGINE = RapidOCR()
        except Exception as exc:  # not installed, or its native libraries cannot load: tried once per process
            log.info("rapidocr-onnxruntime unavailable", exc_info=exc)
            _ENGINE = False
    return _ENGINE or None


def recognise(image, scale: float = 1.0) -> list[TextLine]:
    """Text lines of an RGB/BGR image array, in reading order, in points (pixel coordinates / scale)."""
    ocr = engine()
    if ocr is None:
        return []
    result, _ = ocr(image)
    lines = []
    for box, text, score in result or []:
        if float(score) < MIN_SCORE or not text.strip():
            continue
        xs, ys = [p[0] / scale for p in box], [p[1] / scale for p in box]
        lines.append(TextLine(text.strip(), min(xs), min(ys), max(xs), max(ys)))
    return _rows(lines)


def _rows(lines: list[TextLine]) -> list[TextLine]:
    """Boxes on one visual row (cells of a table, pieces of a line) become one line, left to right."""
    rows: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda l: (l.top + l.bottom) / 2):
        middle = (line.top + line.bottom) / 2
        if rows and abs(middle - (rows[-1][0].top + rows[-1][0].bottom) / 2) < 0.5 * (line.bottom - line.top):
            rows[-1].append(line)
        else:
            rows.append([line])
    out = []
    for row in rows:
        row.sort(key=lambda l: l.left)
        out.append(TextLine(" ".join(l.text for l in row), row[0].left, min(l.top for l in row),
                            max(l.right for l in row), max(l.bottom for l in row)))
    return out


def _blank(page) -> bool:
    """A page that draws nothing at all: nothing to recognise (a 10,000-page blank file costs no OCR)."""
    import pypdfium2 as pdfium

    return pdfium.raw.FPDFPage_CountObjects(page.raw) == 0


class OcrRun:
    """OCR of one file's scanned pages within `budget` seconds: a progress line on stderr, and one message
    per kind of page not read (blank, no text recognised, over the budget), naming the pages."""

    PAGES_NAMED = 5  # pages reported one by one as they come; later ones only in the summary

    def __init__(self, name: str, budget: float = float("inf")):
        self.name, self.budget = name, budget
        self.pages: list[int] = []
        self.empty: list[int] = []
        self.blank: list[int] = []
        self.over: list[int] = []
        self.seconds = 0.0

    def page_lines(self, page, number: int) -> list[TextLine]:
        if _blank(page):
            self.blank.append(number)
            return []
        if self.seconds >= self.budget:
            self.over.append(number)
            return []
        if not self.pages:
            log.warning("%s：第 %d 页没有文字层，按扫描页进行 OCR 识别（每页约数秒）", self.name, number)
        self.pages.append(number)
        if engine() is None:
            self.empty.append(number)
            if len(self.empty) == 1:
                log.warning("%s：第 %d 页是扫描图像，但未安装 OCR 组件（pip install 'rapidocr-onnxruntime<2'），扫描页不会被索引", self.name, number)
            return []
        started = time.perf_counter()
        lines = self._recognise(page, number)
        self.seconds += time.perf_counter() - started
        if not lines:
            self.empty.append(number)
            if len(self.empty) <= self.PAGES_NAMED:
                log.warning("%s：第 %d 页是扫描图像，OCR 未识别出文字，此页不会被索引", self.name, number)
        print(f"\rOCR {self.name}：已识别 {len(self.pages)} 页（第 {number} 页），用时 {self.seconds:.0f} 秒",
              end="", file=sys.stderr, flush=True)
        return lines

    def _recognise(self, page, number: int) -> list[TextLine]:
        try:
            return recognise(page.render(scale=RENDER_SCALE).to_numpy(), RENDER_SCALE)
        except Exception as exc:  # a page the renderer or the recogniser cannot take: reported like an empty one
            log.info("%s: OCR of page %d failed", self.name, number, exc_info=exc)
            return []

    def finish(self, total: int) -> None:
        if self.over:
            log.warning("%s：OCR 用时已达上限 %.0f 秒（ocr_seconds），第 %s 页未识别、不会被索引", self.name, self.budget,
                        page_ranges(self.over))
        if len(self.blank) == total:
            log.warning("%s：全部 %d 页都是空白页", self.name, total)
        if not self.pages:
            return
        print(file=sys.stderr)
        log.warning("%s：%d/%d 页经 OCR 识别，用时 %.1f 秒（%.1f 秒/页）%s", self.name, len(self.pages), total, self.seconds,
                    self.seconds / len(self.pages), f"；无文字的页：第 {page_ranges(self.empty)} 页" if self.empty else "")

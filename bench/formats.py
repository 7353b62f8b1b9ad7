"""The measured comparison behind rag/formats (docs/formats.md) and its loading speed (docs/performance.md).

    python -m bench.formats [--corpus seeds] [--out /tmp/formats-bench] [--ocr-pages 3]

Converts each seed to PDF (headless Chromium) and .docx (python-docx), then times the candidate libraries on
the same files: text extraction speed, radicals left in the text (U+2E80-2FDF), tables found, and how much of
the .txt version's text each recovers (share of its squashed characters, in whole sentences, in order; also after fix_radicals). Finally times the
project's own loaders (pages/s for text PDFs) and OCR on a few scanned pages (s/page)."""

from __future__ import annotations

import argparse
import difflib
import json
import re
import time
from pathlib import Path

from bench.convert import to_docx, to_pdf, to_scanned_pdf
from rag.cleaning import fix_radicals
from rag.formats import load
from rag.loaders import load_document


def squash(text: str) -> str:
    return re.sub(r"\s|\||-{3,}", "", text)


def radicals(text: str) -> int:
    return sum(1 for c in text if 0x2E80 <= ord(c) <= 0x2FDF)


def recovered(reference: str, text: str) -> float:
    """Share of the reference's characters found in order in text (by sentence, to keep it fast)."""
    a, b = squash(reference).split("。"), squash(text).split("。")
    blocks = difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    same = sum(len("。".join(a[m.a : m.a + m.size])) for m in blocks)
    return same / max(1, len(squash(reference)))


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def pdf_candidates(path: Path) -> dict[str, tuple[str, float, int]]:
    """name -> (text, seconds, tables found)."""
    import pdfplumber
    import pypdf
    import pypdfium2 as pdfium

    def pdfium_text():
        pdf = pdfium.PdfDocument(str(path))
        text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
        pdf.close()
        return text, 0

    def plumber_text():
        with pdfplumber.open(str(path)) as pdf:
            return "\n".join(p.extract_text() or "" for p in pdf.pages), 0

    def plumber_tables():
        with pdfplumber.open(str(path)) as pdf:
            tables = [t for p in pdf.pages for t in p.find_tables()]
            return "\n".join(p.extract_text() or "" for p in pdf.pages), len(tables)

    def pypdf_text():
        return "\n".join(p.extract_text() or "" for p in pypdf.PdfReader(str(path)).pages), 0

    out = {}
    for name, fn in (("pypdfium2 text", pdfium_text), ("pdfplumber text", plumber_text),
                     ("pdfplumber text+tables", plumber_tables), ("pypdf text", pypdf_text)):
        (text, tables), seconds = _timed(fn)
        out[name] = (text, seconds, tables)
    return out


def docx_candidates(path: Path) -> dict[str, tuple[str, float, int]]:
    from docx import Document
    from docx2python import docx2python

    def python_docx():
        word = Document(str(path))
        return "\n".join(p.text for p in word.paragraphs), len(word.tables)

    def d2p():
        with docx2python(str(path)) as result:
            return result.text, sum(1 for t in result.body if len(t) > 1 or len(t[0]) > 1)

    out = {}
    for name, fn in (("python-docx", python_docx), ("docx2python", d2p)):
        (text, tables), seconds = _timed(fn)
        out[name] = (text, seconds, tables)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=Path("seeds"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/formats-bench"))
    parser.add_argument("--ocr-pages", type=int, default=3)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows, loads = [], {"pdf": [0, 0.0], "docx": [0, 0.0]}
    for txt in sorted(args.corpus.glob("*.txt")):
        reference = load_document(txt, args.corpus).text
        raw = txt.read_text(encoding="utf-8")
        pdf, docx = args.out / f"{txt.stem}.pdf", args.out / f"{txt.stem}.docx"
        pdf.exists() or to_pdf(raw, pdf)
        docx.exists() or to_docx(raw, docx)
        for fmt, path, candidates in (("pdf", pdf, pdf_candidates), ("docx", docx, docx_candidates)):
            for name, (text, seconds, tables) in candidates(path).items():
                rows.append({"doc": txt.stem, "library": name, "seconds": seconds, "radicals": radicals(text),
                             "tables": tables, "recovered": recovered(reference, text),
                             "recovered_fixed": recovered(reference, fix_radicals(text))})
            doc, seconds = _timed(lambda: load(path))
            rows.append({"doc": txt.stem, "library": f"rag.formats ({fmt})", "seconds": seconds, "radicals": radicals(doc.text),
                         "pages": len(doc.page_starts), "recovered": recovered(reference, doc.text),
                         "recovered_fixed": recovered(reference, doc.text)})
            loads[fmt][0] += len(doc.page_starts) or 1
            loads[fmt][1] += seconds
    first_pdf = sorted(args.out.glob("*.pdf"))[0]
    scan = to_scanned_pdf(first_pdf, args.out / "scan.pdf", pages=list(range(2, 2 + args.ocr_pages)))
    _, ocr_seconds = _timed(lambda: load(scan))
    summary = {
        "pdf_pages": loads["pdf"][0], "pdf_seconds": loads["pdf"][1], "pdf_pages_per_s": loads["pdf"][0] / loads["pdf"][1],
        "docx_files": len(list(args.out.glob("*.docx"))), "docx_seconds": loads["docx"][1],
        "ocr_pages": args.ocr_pages, "ocr_seconds": ocr_seconds, "ocr_s_per_page": ocr_seconds / args.ocr_pages,
    }
    (args.out / "results.json").write_text(json.dumps({"rows": rows, "summary": summary}, ensure_ascii=False, indent=1))
    by_lib: dict[str, list[dict]] = {}
    for row in rows:
        by_lib.setdefault(row["library"], []).append(row)
    print("| library | seconds (all docs) | radicals left | tables found | text recovered (mean) | recovered after radical fix |")
    print("| --- | --- | --- | --- | --- | --- |")
    for lib, items in by_lib.items():
        print(f"| {lib} | {sum(r['seconds'] for r in items):.2f} | {sum(r['radicals'] for r in items)} | "
              f"{sum(r.get('tables', 0) for r in items)} | {sum(r['recovered'] for r in items) / len(items):.3f} | "
              f"{sum(r['recovered_fixed'] for r in items) / len(items):.3f} |")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()

"""Check the pages that answers cite, independently of the loader: for every citation in an eval report run
over PDFs, the cited chunk's opening words (and the question's evidence, when the answer was correct) must
be on the cited page of the PDF as pdfium reads it page by page; and the page the user is shown (the
citation's own page, that of its quote) must hold the start of the quote.

    python -m bench.page_check REPORT_JSON INDEX_DIR PDF_DIR [--dev eval/dev.jsonl]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from rag.store import load_index


def squash(text: str) -> str:
    return re.sub(r"[\s|]|-{3,}", "", text)


def pdf_pages(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    from rag.cleaning import clean_text

    pdf = pdfium.PdfDocument(str(path))
    pages = [squash(clean_text(pdf[i].get_textpage().get_text_range())) for i in range(len(pdf))]
    pdf.close()
    return pages


def _first_own_text(chunk) -> str:
    """What the chunk's start page must show: a table chunk's first data row (its header row is repeated
    from the table's start), else the text before the first page break inside the chunk."""
    if chunk.kind == "table":
        rows = [l for l in chunk.text.split("\n") if l.startswith("|")]
        row = rows[1] if len(rows) > 1 else rows[0]
        return row.split("|", 2)[2]  # without the first cell, which the chunker fills in from the row above
    return chunk.text[: chunk.page_marks[0]] if chunk.page_marks else chunk.text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("report", type=Path)
    parser.add_argument("index", type=Path)
    parser.add_argument("pdfs", type=Path)
    parser.add_argument("--dev", type=Path, default=Path("eval/dev.jsonl"))
    args = parser.parse_args()
    report = json.loads(args.report.read_text(encoding="utf-8"))
    evidence = {json.loads(l)["id"]: json.loads(l).get("evidence", []) for l in args.dev.read_text(encoding="utf-8").splitlines() if l.strip()}
    chunks = {c.chunk_id: c for c in load_index(args.index).chunks}
    pages_of: dict[str, list[str]] = {}
    checked = ok = ev_checked = ev_ok = q_checked = q_ok = 0
    for row in report["questions"]:
        cited = row.get("cited", [])
        shown, quotes = row.get("cited_pages") or [None] * len(cited), row.get("cited_quotes") or [""] * len(cited)
        for chunk_id, page, quote in zip(cited, shown, quotes):
            chunk = chunks[chunk_id]
            pages = pages_of.setdefault(chunk.doc_id, pdf_pages(args.pdfs / f"{chunk.doc_id}.pdf"))
            head = squash(_first_own_text(chunk))[:12]
            on_page = head in pages[chunk.page - 1]
            checked += 1
            ok += on_page
            spans = [squash(e) for e in evidence.get(row["id"], []) if squash(e) in squash(chunk.text)]
            ev_hit = any(s[:15] in "".join(pages[p - 1] for p in {chunk.page, chunk.page_of(len(chunk.text) - 1)}) for s in spans)
            ev_checked += bool(spans)
            ev_ok += bool(spans) and ev_hit
            own = quote.split("|", 2)[2] if quote.startswith("|") and quote.count("|") > 2 else quote  # a row: its category
            quote_hit = bool(page and quote) and squash(own)[:12] in pages[page - 1]  # cell may be filled from above
            q_checked += bool(page and quote)
            q_ok += quote_hit
            print(f"{row['id']} {'✓' if row.get('correct') else '✗'} {chunk_id} 第 {chunk.page} 页"
                  f"{'' if chunk.page_of(len(chunk.text) - 1) == chunk.page else f'–{chunk.page_of(len(chunk.text) - 1)}'}"
                  f" head-on-page={on_page} evidence-in-chunk={bool(spans)} evidence-on-page={ev_hit if spans else '-'}"
                  f" shown=第 {page} 页 quote-on-shown-page={quote_hit if page and quote else '-'} quote={quote[:24]!r}")
    print(f"citations checked: {checked}, chunk head on the cited page: {ok}; "
          f"citations holding evidence: {ev_checked}, evidence on the cited page(s): {ev_ok}; "
          f"citations with a page shown: {q_checked}, quote starting on the page shown: {q_ok}")


if __name__ == "__main__":
    main()

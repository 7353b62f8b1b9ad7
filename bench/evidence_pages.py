"""The page a citation of each dev question's evidence would show, checked against the PDF itself, without
the model or the embedder: every evidence passage of the chosen questions is looked up in the chunks the
PDF loader and chunker make (as the eval's evidence locator does), the page is taken as a citation takes it
(`Chunk.page_of` at the quote's offset), and the passage's opening words must be in the text pypdfium2 gives
for that page.

    python -m bench.evidence_pages PDF_DIR [--batch original] [--dev eval/dev.jsonl]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.page_check import pdf_pages, squash
from rag.chunking import chunk_document
from rag.evaluation import DEFAULT_SET, _squash, load_set, select_batch
from rag.loaders import load_document


def cited_page(chunks, evidence: str) -> tuple[int, int] | None:
    """(page a citation quoting the evidence shows, page where the evidence ends) from the first chunk that
    holds the whole evidence (whitespace and table pipes aside)."""
    needle = _squash(evidence)[0]
    for chunk in chunks:
        hay, offsets = _squash(chunk.text)
        at = hay.find(needle)
        if needle and at >= 0:
            return chunk.page_of(offsets[at]), chunk.page_of(offsets[at + len(needle) - 1])
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pdfs", type=Path)
    parser.add_argument("--batch", default="original")
    parser.add_argument("--dev", type=Path, default=DEFAULT_SET)
    args = parser.parse_args()
    docs, pages, counts = {}, {}, {"evidence": 0, "no chunk holds it whole": 0, "on the page shown": 0}
    for item in select_batch(load_set(args.dev), args.batch):
        for evidence in item.evidence if item.answerable else []:
            counts["evidence"] += 1
            for doc_id in item.doc_ids:
                if doc_id not in docs:
                    path = args.pdfs / f"{doc_id}.pdf"
                    docs[doc_id], pages[doc_id] = chunk_document(load_document(path, args.pdfs)), pdf_pages(path)
                found = cited_page(docs[doc_id], evidence)
                if found:
                    break
            if found is None:  # split over two chunks: a citation quotes one part (not checked here)
                counts["no chunk holds it whole"] += 1
                continue
            (first, last), head = found, squash(evidence)[:12]
            ok = head in pages[doc_id][first - 1]
            counts["on the page shown"] += ok
            print(f"{item.id} {doc_id[:3]} 第 {first} 页{'' if last == first else f'–{last}'} {'✓' if ok else '✗'} {evidence[:30]!r}")
    print(counts)


if __name__ == "__main__":
    main()

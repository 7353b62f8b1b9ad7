"""Document formats, one module each (text, pdf, docx, html, ocr for scanned pages) behind one entry:
`load(path) -> Document`. Readers of binary formats import their library only when such a file comes."""

from __future__ import annotations

from pathlib import Path

from rag.errors import InputError
from rag.formats.base import Limits, check_size
from rag.formats.text import SUFFIXES as TEXT_SUFFIXES
from rag.formats.text import decode_bytes, load_text
from rag.types import Document

SUFFIXES = (*TEXT_SUFFIXES, ".pdf", ".docx", ".doc", ".html", ".htm")
DESCRIPTION = ".txt、.md、.pdf、.docx、.html"


def load(path: Path, root: Path | None = None, max_bytes: int | None = None, limits: Limits | None = None) -> Document:
    """Read one file of any supported format; a file that cannot be read raises InputError in Chinese.
    In this process: the indexer reads through rag.formats.worker, which bounds memory and time."""
    path = Path(path)
    root = Path(root) if root is not None else path.parent
    limits = limits or Limits(max_bytes=max_bytes)
    max_bytes = limits.max_bytes
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return load_text(path, root, max_bytes)
    if suffix == ".pdf":
        from rag.formats.pdf import load_pdf

        return load_pdf(path, root, limits)
    if suffix in (".docx", ".doc"):
        from rag.formats.docx import load_docx

        return load_docx(path, root, max_bytes)
    if suffix in (".html", ".htm"):
        from rag.formats.html import load_html

        return load_html(path, root, max_bytes)
    raise InputError(f"不支持的文件类型 {suffix or '（无扩展名）'}：支持 {DESCRIPTION}。")


def check_file(path: Path, limits: Limits | None = None) -> None:
    """A look at an upload before it joins the corpus (the full read happens when it is indexed): refuses
    what the indexer would refuse for its format, with the same message and under the same limits (run
    it in rag.formats.worker for the memory and time ones). OCR is left to indexing."""
    limits = limits or Limits()
    suffix = path.suffix.lower()
    check_size(path, limits.max_bytes)
    if suffix in TEXT_SUFFIXES:
        decode_bytes(path.read_bytes(), path.name)
        return
    if suffix == ".pdf":
        from rag.formats.pdf import check_pdf

        check_pdf(path, limits)
    elif suffix in (".docx", ".doc"):
        from rag.formats.docx import extract_docx, refuse_unreadable

        refuse_unreadable(path, limits.max_bytes)
        extract_docx(path)
    elif suffix in (".html", ".htm"):
        from rag.formats.html import extract_html

        extract_html(path)
    else:
        raise InputError(f"不支持的文件类型 {suffix or '（无扩展名）'}：支持 {DESCRIPTION}。")

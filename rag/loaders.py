"""Files -> Documents: the corpus folder's readable files, each read by its format's reader in
rag.formats; a bad file yields its error instead of stopping the run."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from rag.errors import InputError
from rag.formats import DESCRIPTION, SUFFIXES, load
from rag.formats.base import doc_id_for, extract_title
from rag.formats.text import decode_bytes, iter_sections, looks_binary, sniff_file
from rag.types import Document

log = logging.getLogger(__name__)
__all__ = ["SUFFIXES", "corpus_files", "decode_bytes", "doc_id_for", "extract_title", "iter_documents",
           "iter_sections", "load_document", "looks_binary", "sniff_file"]


def load_document(path: Path, root: Path, max_bytes: int | None = None) -> Document:
    return load(path, root, max_bytes)


def corpus_files(root: Path) -> list[Path]:
    if not root.is_dir():
        raise InputError(f"文档目录 {root} 不存在；请指定一个包含 {DESCRIPTION} 文件的目录。")
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES and not _hidden(p, root))


def _hidden(path: Path, root: Path) -> bool:
    """Hidden files and folders (an upload being checked) and Word's '~$' lock files are not documents."""
    parts = path.relative_to(root).parts
    return any(part.startswith(".") for part in parts) or parts[-1].startswith("~$")


def iter_documents(root: Path, max_bytes: int | None = None) -> Iterator[Document | InputError]:
    """Yield each readable document; a bad file yields its error instead of stopping the run."""
    for path in corpus_files(root):
        try:
            yield load_document(path, root, max_bytes)
        except InputError as exc:
            log.warning("skipping %s: %s", path, exc)
            yield exc

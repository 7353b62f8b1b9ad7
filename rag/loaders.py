"""Files -> Documents: the corpus folder's readable files, each read by its format's reader in
rag.formats; a bad file yields its error instead of stopping the run. The indexer reads each file in a
worker process under the settings' limits (rag.formats.worker), so no file can take it down."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

from rag.config import Settings
from rag.errors import InputError
from rag.formats import DESCRIPTION, SUFFIXES, load
from rag.formats.base import Limits, display_path, doc_id_for, extract_title
from rag.formats.text import decode_bytes, iter_sections, looks_binary, sniff_file
from rag.formats.worker import Outcome, run_isolated
from rag.types import Document

log = logging.getLogger(__name__)
STAGING_PREFIX = ".checking-"  # an upload's folder while it is checked (rag.uploads): not a user's hidden folder
__all__ = ["SUFFIXES", "corpus_files", "decode_bytes", "display_path", "doc_id_for", "extract_title", "hidden_entries",
           "iter_documents", "iter_sections", "limits_for", "load_document", "load_isolated", "looks_binary",
           "read_isolated", "sniff_file"]


def load_document(path: Path, root: Path, max_bytes: int | None = None) -> Document:
    return load(path, root, max_bytes)


def limits_for(settings: Settings) -> Limits:
    return Limits(max_bytes=int(settings.max_file_mb * 2**20), max_pages=settings.max_pdf_pages,
                  ocr_seconds=settings.ocr_seconds, memory_mb=settings.file_memory_mb, seconds=settings.file_seconds)


def read_isolated(path: Path, root: Path, settings: Settings, check: bool = False) -> Outcome:
    """Read (or check, for an upload) one file in a worker process under the settings' limits; the
    libraries' own messages go to index_dir/loaders.log."""
    return run_isolated(path, root, limits_for(settings), settings.index_dir / "loaders.log", check=check)


def load_isolated(path: Path, root: Path, settings: Settings) -> Document:
    """The indexer's read: a Document, or InputError with the Chinese reason the file was skipped."""
    return read_isolated(path, root, settings).result()


def corpus_files(root: Path) -> list[Path]:
    if not root.is_dir():
        raise InputError(f"文档目录 {root} 不存在；请指定一个包含 {DESCRIPTION} 文件的目录。")
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES and not _hidden(p, root))


def _hidden(path: Path, root: Path) -> bool:
    """Hidden files and folders (an upload being checked) and Word's '~$' lock files are not documents."""
    parts = path.relative_to(root).parts
    return any(part.startswith(".") for part in parts) or parts[-1].startswith("~$")


def hidden_entries(root: Path) -> list[tuple[str, str]]:
    """(name, reason) for each hidden file of a supported format and each hidden folder holding some, so
    the summary says they were not indexed (a folder once, with its count); not an upload being checked."""
    found = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        for name in sorted(dirs):
            if name.startswith(".") and not name.startswith(STAGING_PREFIX):
                count = sum(1 for p in (here / name).rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
                if count:
                    found.append((display_path(here / name, root) + "/",
                                  f"隐藏文件夹（名称以 . 开头）不索引，其中 {count} 个文件未读取；如需索引请重命名。"))
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in sorted(files):
            if name.startswith(".") and Path(name).suffix.lower() in SUFFIXES:
                found.append((display_path(here / name, root), "隐藏文件（名称以 . 开头）不索引；如需索引请重命名。"))
    return found


def iter_documents(root: Path, max_bytes: int | None = None) -> Iterator[Document | InputError]:
    """Yield each readable document; a bad file yields its error instead of stopping the run."""
    for path in corpus_files(root):
        try:
            yield load_document(path, root, max_bytes)
        except InputError as exc:
            log.warning("skipping %s: %s", path, exc)
            yield exc

"""Files -> Documents: encoding detection (UTF-8, GBK/GB18030), refusal of empty or binary files,
a title taken from the text, and a stable id from the file's place in the corpus."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path

from charset_normalizer import from_bytes

from rag.cleaning import clean_text, normalize_spaces
from rag.errors import InputError
from rag.types import Document

log = logging.getLogger(__name__)
SUFFIXES = (".txt", ".md")
_NOTICE_TITLE = re.compile(r"关于印发(.+?)的通知")
_NOT_A_TITLE = re.compile(r"(人民政府|委员会)?文件$|〔\d{4}〕\d+号$|^标题$|^目录$")


def decode_bytes(data: bytes, name: str) -> tuple[str, str]:
    """Return (text, encoding). GB18030 is tried before guessing because it is a superset of GBK."""
    if not data.strip():
        raise InputError(f"文件 {name} 是空的，没有可索引的文字。")
    if b"\x00" in data[:8192]:
        raise InputError(f"文件 {name} 看起来是二进制文件，不是文本；请提供 .txt 或 .md 文本文件。")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8"
        return text, encoding
    best = from_bytes(data).best()
    if best is None:
        raise InputError(f"无法识别文件 {name} 的编码；请将其另存为 UTF-8 后重试。")
    return str(best), best.encoding


def extract_title(text: str, fallback: str) -> str:
    """The plan's own name: from a '关于印发《X》的通知' line, else the first line that reads like a title."""
    for line in text.split("\n")[:15]:
        bare = normalize_spaces(line)
        if not bare or _NOT_A_TITLE.search(bare):
            continue
        match = _NOTICE_TITLE.search(bare)
        if match:
            return match.group(1).strip("《》 ")
        if len(bare) <= 80 and not bare.endswith(("。", "；", ",", "，")):
            return bare
        break
    return fallback


def doc_id_for(path: Path, root: Path) -> str:
    """Stable across runs and machines: the relative path without its suffix."""
    return path.relative_to(root).with_suffix("").as_posix()


def load_document(path: Path, root: Path, max_bytes: int | None = None) -> Document:
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise InputError(f"文件 {path.name} 有 {size / 2**20:.1f} MB，超过上限 {max_bytes / 2**20:.0f} MB。")
    data = path.read_bytes()
    raw, encoding = decode_bytes(data, path.name)
    text = clean_text(raw)
    if not text.strip():
        raise InputError(f"文件 {path.name} 只有空白，没有可索引的文字。")
    doc_id = doc_id_for(path, root)
    return Document(
        doc_id=doc_id,
        title=extract_title(text, fallback=path.stem),
        path=path.relative_to(root).as_posix(),
        text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
    )


def corpus_files(root: Path) -> list[Path]:
    if not root.is_dir():
        raise InputError(f"文档目录 {root} 不存在；请指定一个包含 .txt 或 .md 文件的目录。")
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)


def iter_documents(root: Path, max_bytes: int | None = None) -> Iterator[Document | InputError]:
    """Yield each readable document; a bad file yields its error instead of stopping the run."""
    for path in corpus_files(root):
        try:
            yield load_document(path, root, max_bytes)
        except InputError as exc:
            log.warning("skipping %s: %s", path, exc)
            yield exc

"""Files -> Documents: encoding detection (UTF-8, GBK/GB18030), refusal of empty or binary files,
a title taken from the text, and a stable id from the file's place in the corpus."""

from __future__ import annotations

import codecs
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
BLOCK_BYTES = 1 << 20
SECTION_CHARS = 1 << 20  # cleaned one at a time; a file below this is cleaned whole
_CONTROL_BYTES = [*range(1, 9), *range(14, 27), *range(28, 32), 127]
_NOT_A_TITLE = re.compile(r"(人民政府|委员会)?文件$|〔\d{4}〕\d+号$|^标题$|^目录$")


def looks_binary(head: bytes) -> bool:
    """NUL bytes or many C0 control bytes: no ASCII-compatible text encoding produces those."""
    if b"\x00" in head:
        return True
    controls = sum(head.count(bytes([c])) for c in _CONTROL_BYTES)
    return controls > max(4, len(head) // 100)


def decode_bytes(data: bytes, name: str) -> tuple[str, str]:
    """Return (text, encoding) for bytes already in memory; the same rules as sniff_file."""
    if not data.strip(b" \t\r\n\x00\x0b\x0c"):
        raise InputError(f"文件 {name} 是空的，没有可索引的文字。")
    for encoding in _candidates(data[:BLOCK_BYTES], name):
        try:
            text = data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8" and data.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        return text, encoding
    encoding = _lenient_encoding(data[:BLOCK_BYTES], name)
    return data.decode(encoding, errors="replace"), encoding


def _lenient_encoding(sample: bytes, name: str) -> str:
    """Neither strict decoder accepts the file: mostly-UTF-8 (or GB18030) with a few bad bytes (a cut-off
    last character, a stray byte) keeps that encoding with replacements; anything else is guessed."""
    for encoding in ("utf-8", "gb18030"):
        text = sample.decode(encoding, errors="replace")
        if text.count("\ufffd") <= max(2, len(text) // 1000):
            log.warning("%s: a few bytes are not valid %s; they are replaced", name, encoding)
            return encoding
    best = from_bytes(sample).best()
    if best is None:
        raise InputError(f"无法识别文件 {name} 的编码；请将其另存为 UTF-8 后重试。")
    log.warning("%s: encoding guessed as %s", name, best.encoding)
    return best.encoding


def _read_blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while block := fh.read(BLOCK_BYTES):
            yield block


def _candidates(head: bytes, name: str) -> list[str]:
    """Encodings worth trying, judged from the first block; refuses binary data."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return ["utf-16"]  # what Windows Notepad calls "Unicode"
    if looks_binary(head[:8192]):
        raise InputError(f"文件 {name} 看起来是二进制文件，不是文本；请提供 .txt 或 .md 文本文件。")
    return ["utf-8", "gb18030"]


def sniff_file(path: Path) -> tuple[str, str]:
    """One streaming pass over the bytes: (encoding, sha256). Strict decoders run side by side and the
    first that survives wins, so a 50 MB file is never held in memory whole."""
    digest, head, has_text = hashlib.sha256(), b"", False
    decoders: dict[str, codecs.IncrementalDecoder] = {}
    for block in _read_blocks(path):
        if not head:
            head = block
            decoders = {enc: codecs.getincrementaldecoder(enc)() for enc in _candidates(head, path.name)}
        digest.update(block)
        has_text = has_text or bool(block.strip(b" \t\r\n\x00\x0b\x0c"))
        for enc, decoder in list(decoders.items()):
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                del decoders[enc]
    if not has_text:
        raise InputError(f"文件 {path.name} 是空的，没有可索引的文字。")
    for enc, decoder in list(decoders.items()):
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            del decoders[enc]
    if not decoders:
        return _lenient_encoding(head, path.name), digest.hexdigest()
    encoding = next(iter(decoders))
    if encoding == "utf-8" and head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    return encoding, digest.hexdigest()


def _section_end(text: str, limit: int) -> int:
    """Cut after the last blank line within limit, else after the last line end, else at limit."""
    for mark in ("\n\n", "\n"):
        at = text.rfind(mark, limit // 2, limit)
        if at >= 0:
            return at + len(mark)
    return limit


def iter_sections(path: Path, encoding: str, section_chars: int = SECTION_CHARS) -> Iterator[str]:
    """Decoded text in pieces of about section_chars, each ending at a line end (preferably a blank line)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    pending = ""
    for block in _read_blocks(path):
        pending += decoder.decode(block)
        while len(pending) >= section_chars:
            cut = _section_end(pending, section_chars)
            yield pending[:cut]
            pending = pending[cut:]
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


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
    """Stream the file: detect the encoding, then decode and clean it section by section, so memory
    holds the cleaned text once plus one section, whatever the file size."""
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise InputError(f"文件 {path.name} 有 {size / 2**20:.1f} MB，超过上限 {max_bytes / 2**20:.0f} MB。")
    encoding, sha256 = sniff_file(path)
    parts = [cleaned for section in iter_sections(path, encoding) if (cleaned := clean_text(section)).strip()]
    if not parts:
        raise InputError(f"文件 {path.name} 只有空白，没有可索引的文字。")
    text = "\n".join(parts)
    del parts
    return Document(
        doc_id=doc_id_for(path, root),
        title=extract_title(text[:4000], fallback=path.stem),
        path=path.relative_to(root).as_posix(),
        text=text,
        sha256=sha256,
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

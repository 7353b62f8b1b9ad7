""".txt and .md files -> Documents: encoding detection (UTF-8, GBK/GB18030, UTF-16), refusal of empty or
binary files, streamed decoding and cleaning so a 50 MB file is never held twice."""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path

from charset_normalizer import from_bytes

from rag.cleaning import clean_text
from rag.errors import InputError
from rag.formats.base import check_size, display_path, doc_id_for, extract_title
from rag.types import Document

log = logging.getLogger(__name__)
SUFFIXES = (".txt", ".md")
BLOCK_BYTES = 1 << 20
SECTION_CHARS = 1 << 20  # cleaned one at a time; a file below this is cleaned whole
_CONTROL_BYTES = [*range(1, 9), *range(14, 27), *range(28, 32), 127]
_TEXT_CHARS = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf\u3000-\u303f\uff00-\uffef\u2010-\u2027\u00b7\x20-\x7e\s]")


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
            log.warning("%s：少量字节不是有效的 %s 编码，已替换为 �", name, encoding.upper())
            return encoding
    best = from_bytes(sample).best()
    if best is None:
        raise InputError(f"无法识别文件 {name} 的编码；请将其另存为 UTF-8 后重试。")
    log.warning("%s：编码无法确定，按 %s 读取；如有乱码请另存为 UTF-8 后重试", name, best.encoding)
    return best.encoding


def _read_blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while block := fh.read(BLOCK_BYTES):
            yield block


def _plausible_text(text: str) -> bool:
    """Nearly all Chinese, CJK or full-width punctuation, printable ASCII or white space."""
    return bool(text) and len(_TEXT_CHARS.findall(text)) >= 0.95 * len(text)


def utf16_encoding(head: bytes) -> str | None:
    """UTF-16 with a byte-order mark (what Windows Notepad calls "Unicode"), or without one when the head
    is not UTF-8 (or has a NUL byte in one pair in ten) and reads as Chinese text in one byte order. ASCII read as UTF-16
    looks like CJK too, hence only when UTF-8 does not fit; GBK read as UTF-16 lands in Hangul, surrogates
    and private-use code points, far from the threshold."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:8192]
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample)
        if max(sample[0::2].count(0), sample[1::2].count(0)) < len(sample) // 20:
            return None  # valid UTF-8 with a stray NUL is not UTF-16: ASCII there has a NUL in every pair
    except UnicodeDecodeError:
        pass
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(sample)
        except UnicodeDecodeError:
            continue
        if _plausible_text(text):
            return encoding
    return None


def _candidates(head: bytes, name: str) -> list[str]:
    """Encodings worth trying, judged from the first block; refuses binary data."""
    utf16 = utf16_encoding(head)
    if utf16:
        return [utf16]
    if looks_binary(head[:8192]):
        raise InputError(f"文件 {name} 看起来是二进制文件，不是文本；请提供 .txt、.md 文本文件或 PDF、Word（.docx）、网页（.html）文件。")
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


def load_text(path: Path, root: Path, max_bytes: int | None = None) -> Document:
    """Stream the file: detect the encoding, then decode and clean it section by section, so memory
    holds the cleaned text once plus one section, whatever the file size."""
    check_size(path, max_bytes)
    encoding, sha256 = sniff_file(path)
    parts = [cleaned for section in iter_sections(path, encoding) if (cleaned := clean_text(section)).strip()]
    if not parts:
        raise InputError(f"文件 {path.name} 只有空白，没有可索引的文字。")
    text = "\n".join(parts)
    del parts
    shown = display_path(path, root)
    return Document(
        doc_id=doc_id_for(path, root),
        title=extract_title(text[:4000], fallback=Path(shown).stem),
        path=shown,
        text=text,
        sha256=sha256,
        encoding=encoding,
    )

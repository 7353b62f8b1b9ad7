"""Saved web pages (.html/.htm) -> Document with trafilatura: the article's main text without the portal's
navigation, share buttons, related links and footer; h1-h6 feed the heading path, tables stay rows, and
the title is the page's own (its h1, else the <title> without the site name)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from rag.errors import InputError
from rag.formats.base import Extracted, build_document, check_size
from rag.formats.text import looks_binary, utf16_encoding
from rag.types import Document

log = logging.getLogger(__name__)
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
_EMPHASIS = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!~>])")  # markdown's backslash escapes ('\_' -> '_')


def _markdown_lines(markdown: str) -> tuple[list[str], list[tuple[str, int]], str]:
    """Plain lines, the headings among them (text, level) and the first h1 (taken as the title)."""
    lines, headings, h1 = [], [], ""
    for raw in markdown.split("\n"):
        line = _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), raw).replace("\\|", "｜")
        line = _ESCAPED.sub(r"\1", line).strip()
        match = _HEADING.match(line)
        if match:
            level, text = len(match.group(1)) - 1, match.group(2).strip()
            if level == 0 and not h1:
                h1 = text  # the page's title, shown as the document title rather than as a section
                continue
            headings.append((text, level))
            lines += ["", text, ""]
        else:
            lines.append(line)
    return lines, headings, h1


def extract_html(path: Path) -> Extracted:
    import trafilatura

    data: bytes | str = path.read_bytes()
    utf16 = utf16_encoding(data[:8192])
    if utf16:  # trafilatura sniffs 8-bit encodings only: hand it the text
        data = data.decode(utf16, errors="replace")
    elif looks_binary(data[:8192]):
        raise InputError(f"文件 {path.name} 看起来是二进制文件，不是网页。")
    markdown = trafilatura.extract(
        data, output_format="markdown", include_tables=True, include_formatting=True, include_links=False,
        include_images=False, include_comments=False, favor_recall=True,
    )
    if not markdown or not markdown.strip():
        raise InputError(f"网页 {path.name} 中没有找到正文；请确认保存的是文章页面（而非首页或列表页）。")
    lines, headings, h1 = _markdown_lines(markdown)
    meta = trafilatura.extract_metadata(data)
    fallback = (meta.title if meta and meta.title else "") or ""
    return Extracted(pages=["\n".join(lines)], headings=headings, title=h1, fallback_title=fallback)


def load_html(path: Path, root: Path, max_bytes: int | None = None) -> Document:
    check_size(path, max_bytes)
    return build_document(extract_html(path), path, root, "html")

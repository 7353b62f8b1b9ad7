"""Write a plain-text planning document as the formats people actually hold: .docx (Word heading styles,
Word tables), an HTML page (optionally wrapped in a portal's navigation and footer), a PDF printed by
headless Chromium, and a scanned PDF (pages rendered to images, no text layer). Used by tests/test_formats.py
and by `python -m bench.convert` to build converted copies of a corpus for the format evaluation."""

from __future__ import annotations

import argparse
import html
import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from rag.chunking import heading_of
from rag.cleaning import clean_text

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
_RULE = re.compile(r"\|[\s\-:|]+\|")
_CSS = """body { font-family: 'Noto Serif CJK SC', 'Noto Sans CJK SC', serif; font-size: 12pt; line-height: 1.6; }
table { border-collapse: collapse; } td, th { border: 1px solid #000; padding: 2px 4px; font-size: 10pt; }"""


def blocks(text: str) -> list[tuple[str, object]]:
    """('heading', (level, text)) | ('table', rows of cells) | ('para', text), from the cleaned text."""
    out: list[tuple[str, object]] = []
    for line in clean_text(text).split("\n"):
        if not line.strip() or _RULE.fullmatch(line.strip()):
            continue
        if line.startswith("|") and line.endswith("|"):
            row = [c.strip() for c in line.strip("|").split("|")]
            if out and out[-1][0] == "table":
                out[-1][1].append(row)
            else:
                out.append(("table", [row]))
            continue
        head = heading_of(line)
        out.append(("heading", (head[0], line)) if head and head[2] else ("para", line))
    return out


def to_docx(text: str, dest: Path, title: str = "") -> Path:
    from docx import Document

    word = Document()
    if title:
        word.core_properties.title = title
    for kind, value in blocks(text):
        if kind == "heading":
            word.add_heading(value[1], level=min(value[0] + 1, 9))
        elif kind == "table":
            width = max(len(r) for r in value)
            table = word.add_table(rows=len(value), cols=width)
            table.style = "Table Grid"
            for r, row in enumerate(value):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
        else:
            word.add_paragraph(value)
    word.save(str(dest))
    return dest


def to_html(text: str, title: str, portal: bool = False) -> str:
    parts = []
    for kind, value in blocks(text):
        if kind == "heading":
            level = min(value[0] + 1, 6)
            parts.append(f"<h{level}>{html.escape(value[1])}</h{level}>")
        elif kind == "table":
            rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in value)
            parts.append(f"<table>{rows}</table>")
        else:
            parts.append(f"<p>{html.escape(value)}</p>")
    body = "\n".join(parts)
    if portal:
        nav = "".join(f'<li><a href="/{i}">{n}</a></li>' for i, n in enumerate(["首页", "政务公开", "政策文件", "互动交流", "办事服务"]))
        body = (
            f'<header><div class="logo">某市人民政府门户网站</div><nav><ul>{nav}</ul></nav></header>'
            f'<div class="crumb">当前位置：首页 &gt; 政务公开 &gt; 政策文件</div>'
            f'<div class="share">分享到：微信 微博 【打印本页】 【关闭窗口】</div>'
            f'<article><h1>{html.escape(title)}</h1>{body}</article>'
            '<aside><h3>相关文章</h3><ul><li><a href="/x">关于开展2024年度统计工作的通知</a></li>'
            '<li><a href="/y">市政府办公室关于印发工作要点的通知</a></li></ul></aside>'
            "<footer><p>主办单位：某市人民政府办公室 版权所有</p><p>网站标识码 3702000001 鲁ICP备12345678号</p></footer>"
        )
    page_title = f"{title}_某市人民政府" if portal else title
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(page_title)}</title>'
            f"<style>{_CSS}</style></head><body>{body}</body></html>")


def to_pdf(text: str, dest: Path, title: str = "") -> Path:
    """Chromium prints the HTML version; its date/title header and file-path footer stay on every page,
    like the running headers of real PDFs."""
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(to_html(text, title), encoding="utf-8")
        subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--print-to-pdf={dest}", page.as_uri()],
            check=True, capture_output=True, timeout=300,
        )
    return dest


def to_scanned_pdf(pdf: Path, dest: Path, pages: list[int] | None = None, scale: float = 2.0) -> Path:
    """Render pages (1-based; all when None) to images and wrap them into a PDF with no text layer."""
    import pypdfium2 as pdfium

    source = pdfium.PdfDocument(str(pdf))
    numbers = pages or list(range(1, len(source) + 1))
    images = [source[n - 1].render(scale=scale).to_pil().convert("L") for n in numbers]
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=72 * scale)
    dest.write_bytes(buffer.getvalue())
    return dest


def convert_corpus(src: Path, dest: Path, fmt: str) -> list[Path]:
    """Every .txt of src as fmt ('docx' | 'pdf' | 'html'), keeping the stem (the doc id)."""
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for path in sorted(src.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        target = dest / f"{path.stem}.{fmt}"
        if fmt == "docx":
            to_docx(text, target)
        elif fmt == "pdf":
            to_pdf(text, target)
        else:
            target.write_text(to_html(text, path.stem, portal=True), encoding="utf-8")
        out.append(target)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="convert a .txt corpus to docx / pdf / html")
    parser.add_argument("src", type=Path)
    parser.add_argument("dest", type=Path)
    parser.add_argument("format", choices=["docx", "pdf", "html"])
    args = parser.parse_args()
    for path in convert_corpus(args.src, args.dest, args.format):
        print(path)

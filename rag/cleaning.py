"""Undo the quirks these government documents carry: spaced numbers, dot-leader contents pages,
document-number boilerplate, web footers and tables flattened to one cell per line."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef\u2018-\u201d\u2014\u2026"
# whitespace next to a CJK character or full-width punctuation carries no meaning in Chinese text
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{_CJK}])[ \t\u00a0]+|[ \t\u00a0]+(?=[{_CJK}])")
_SPACE_IN_NUMBER = re.compile(r"(?<=\d)[ \t]+(?=[.%．％])|(?<=[.．])[ \t]+(?=\d)|(?<=[\d%])[ \t]+(?=[,;:)])")
_HEADING_ORDINAL = re.compile(r"^(第[一二三四五六七八九十百零〇\d]+[篇章节])(?=[^\s，,、])")
_TOC_LEADER = re.compile(r"(\.{4,}|…{2,}|·{4,}|．{4,})\s*\d*\s*$")
_METADATA_LABELS = ("标题", "发文机关", "发文字号", "索引号", "成文日期", "发文日期", "主题分类", "有效性", "来源")
_BOILERPLATE = re.compile(
    r"版权所有|制作维护|ICP备|网站标识码|^\(此件公开发布\)$|^（此件公开发布）$|^抄送[:：]|^\d{4}年\d{1,2}月\d{1,2}日印发$"
)
MAX_FOOTER = 120  # characters: a site footer line; a whole page on one line (web text, news) is not one
_DOC_NUMBER = re.compile(r"^[\u4e00-\u9fff]{1,10}〔\d{4}〕\d+号$")
# PDF text layers often name a radical where the font drew the common character: Kangxi radicals
# (U+2F00-2FDF) fold back under NFKC; CJK Radicals Supplement forms that are also whole characters do not.
_KANGXI = re.compile(r"[\u2f00-\u2fdf]")
_RADICAL_SUPPLEMENT = str.maketrans(
    "⺁⺄⺇⺊⺌⺍⺒⺓⺜⺝⺟⺠⺧⺩⺪⺫⺬⺯⺰⺽⻁⻄⻅⻆⻈⻉⻋⻐⻑⻓⻔⻗⻘⻙⻚⻛⻜⻝⻠⻢⻣⻤⻥⻦⻧⻨⻩⻪⻬⻮⻰⻳",
    "厂乙几卜小小巳幺日月母民牛王疋目示糸纟臼虎西见角讠贝车钅長长门雨青韦页风飞食饣马骨鬼鱼鸟卤麦黄黾齐齿龙龟",
) | str.maketrans({"\u2e3a": "——", "\u2e3b": "———"})  # a PDF's one glyph for the Chinese double dash
_PAGE_NUMBER = re.compile(
    r"^[-—–－\s]*\d{1,4}[-—–－\s]*$|^第\s*\d+\s*页(\s*[,，/]?\s*共\s*\d+\s*页)?$|^\d+\s*/\s*\d+$|^(page|p\.)\s*\d+(\s*(of|/)\s*\d+)?$",
    re.IGNORECASE,
)
_EDGE_LINES = 2  # running headers and footers live in the first and last lines of a page
_SENTENCE_ENDS = ("。", "！", "？", "；")  # a running header or footer is no sentence


def fix_radicals(text: str) -> str:
    """'⽣产总值' -> '生产总值', '第3⻚' -> '第3页', '⸺' -> '——'; every other character is left as it is."""
    text = _KANGXI.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return text.translate(_RADICAL_SUPPLEMENT)


def _edge_key(line: str) -> str:
    """A running header or footer with its page number or date digits blanked, so all pages agree."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line))


def running_lines(pages: list[list[str]]) -> list[set[int]]:
    """Per page, the indices of its page-number lines and of the lines repeated at the top or bottom of
    most pages (running headers and footers of a PDF); lines in the body of a page are never touched.
    Each page's lines are expected in top-to-bottom order."""
    edges = [_edges(page) for page in pages]
    keys = [{_edge_key(page[i]) for i in edge if not page[i].rstrip().endswith(_SENTENCE_ENDS)} for page, edge in zip(pages, edges)]
    counts = Counter(key for page_keys in keys for key in page_keys if key)
    running = {k for k, n in counts.items() if n >= 2 and n >= 0.5 * len(pages)} if len(pages) >= 2 else set()
    return [
        {i for i in edge if _edge_key(page[i]) in running or _PAGE_NUMBER.match(page[i].strip())}
        for page, edge in zip(pages, edges)
    ]


def drop_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """The pages without their running headers, footers and page numbers."""
    return [[l for i, l in enumerate(page) if i not in drop] for page, drop in zip(pages, running_lines(pages))]


def _edges(page: list[str]) -> list[int]:
    """Indices of the first and last few non-empty lines of a page that are not table rows."""
    lines = [i for i, l in enumerate(page) if l.strip()]
    return [i for i in sorted(set(lines[:_EDGE_LINES] + lines[-_EDGE_LINES:])) if not page[i].lstrip().startswith("|")]


def normalize_spaces(line: str) -> str:
    """'510.3 亿元' -> '510.3亿元', '“ 十四五 ”' -> '“十四五”'; spaces between Latin words stay."""
    line = line.replace("\u3000", " ")
    line = _SPACE_NEAR_CJK.sub("", line)
    line = _SPACE_IN_NUMBER.sub("", line)
    line = re.sub(r"[ \t]{2,}", " ", line).strip()
    return _HEADING_ORDINAL.sub(r"\1 ", line)


def _strip_metadata(lines: list[str]) -> list[str]:
    """Drop the 发文字号/索引号 label-value pairs that portal copies put before the text."""
    out: list[str] = []
    skip_next = False
    for line in lines:
        bare = line.strip()
        if skip_next:
            skip_next = False
            continue
        if bare in _METADATA_LABELS:
            skip_next = bare != "标题"  # the title line after 标题 is real content
            continue
        for label in _METADATA_LABELS[1:]:
            if bare.endswith(label) and len(bare) > len(label) + 4:
                line = line.rstrip()[: -len(label)]
                break
        out.append(line)
    return out


def _is_toc_line(line: str, next_line: str) -> bool:
    if _TOC_LEADER.search(line):
        return True
    # a contents entry wrapped over two lines: the first half has no leader of its own
    return bool(_TOC_LEADER.search(next_line)) and len(line) < 40 and not line.endswith(("。", "；"))


def _drop_noise(lines: list[str]) -> list[str]:
    kept = []
    for i, line in enumerate(lines):
        bare = line.strip()
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        footer = _BOILERPLATE.search(bare) and len(bare) <= MAX_FOOTER  # a longer line is content naming it
        if _is_toc_line(bare, nxt) or footer or _DOC_NUMBER.match(bare):
            continue
        kept.append(line)
    return kept


def _cell_lines(line: str) -> list[str] | None:
    """A line of a one-cell-per-line table ends with '|' and holds no other cell break."""
    bare = line.strip()
    if not bare.endswith("|") or bare.startswith("|") and set(bare) != {"|"}:
        return None
    return [c.strip() for c in bare.split("|")[:-1]]


def _looks_numeric(cell: str) -> bool:
    return bool(re.fullmatch(r"[\d.%〔〕\[\]()（）+\-—_～~≥≤<>以内左右以上以下 ]*", cell)) and cell != ""


def _regroup(cells: list[str]) -> list[list[str]] | None:
    """Find the column count: the smallest one where no row starts with a number."""
    for width in range(2, 11):
        if len(cells) % width:
            continue
        rows = [cells[i : i + width] for i in range(0, len(cells), width)]
        if len(rows) >= 2 and not any(_looks_numeric(r[0]) for r in rows):
            return rows
    return None


def rebuild_cell_tables(lines: list[str]) -> list[str]:
    """Turn runs of 'cell |' lines back into '| a | b |' rows so chunking can keep header and row together."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        run: list[str] = []
        j = i
        while j < len(lines) and (cells := _cell_lines(lines[j])) is not None:
            run.extend(cells)
            j += 1
        rows = _regroup(run) if j - i >= 4 else None
        if rows:
            out.extend("| " + " | ".join(r) + " |" for r in rows)
            i = j
        else:
            out.append(lines[i])
            i += 1
    return out


def _clean_table_row(line: str) -> str:
    cells = [normalize_spaces(c) for c in line.strip().strip("|").split("|")]
    return "| " + " | ".join(cells) + " |"


def clean_text(raw: str) -> str:
    """The text chunking and citation offsets work on; idempotent."""
    lines = fix_radicals(raw).replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "").split("\n")
    lines = rebuild_cell_tables(_drop_noise(_strip_metadata(lines)))
    cleaned = [_clean_table_row(l) if l.strip().startswith("|") else normalize_spaces(l) for l in lines]
    text = "\n".join(cleaned)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"

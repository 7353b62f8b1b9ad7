"""rag/formats: PDF (text layer, tables, running headers, pages), Word .docx, saved web pages, scanned pages
(OCR), and bad files of each kind. The test files are made here from a seed document: .docx with python-docx,
PDF printed by headless Chromium, a scanned PDF by rendering pages to images, a portal page around the text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench.convert import to_docx, to_html, to_pdf, to_scanned_pdf
from rag.chunking import chunk_document, heading_of
from rag.citations import attach_citations
from rag.cleaning import clean_text, drop_running_lines, fix_radicals
from rag.errors import InputError
from rag.formats import load
from rag.formats.base import TextLine, assemble_pages
from rag.formats.pdf import reflow
from rag.indexing import build_index
from rag.loaders import load_document
from rag.store import current_version, load_index
from rag.types import Answer, Chunk, Passage
from tests.conftest import SEEDS

PINGDU = SEEDS / "001_a38547990da41cd7.txt"


def squash(text: str) -> str:
    """What the evaluation compares: no whitespace, no table pipes or markdown rule rows."""
    return re.sub(r"\s|\||-{3,}", "", text)


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("formats")
    text = PINGDU.read_text(encoding="utf-8")
    files = {
        "pdf": to_pdf(text, folder / "pingdu.pdf"),
        "docx": to_docx(text, folder / "pingdu.docx"),
        "html": folder / "pingdu.html",
    }
    files["html"].write_text(to_html(text, "平度市“十四五”规划纲要", portal=True), encoding="utf-8")
    return files


@pytest.fixture(scope="module")
def txt_doc():
    return load_document(PINGDU, SEEDS)


@pytest.fixture(scope="module")
def pdf_doc(made):
    return load(made["pdf"])


def pdfium_page_lines(path: Path) -> list[list[str]]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    pages = [pdf[i].get_textpage().get_text_range().split("\r\n") for i in range(len(pdf))]
    pdf.close()
    return pages


# ---- cleaning of text-layer artefacts ------------------------------------------------------------


def test_radicals_from_pdf_text_layers_become_the_characters():
    assert fix_radicals("⽣产总值⼆〇⼆五年，第3⻚，⻓江⻔户⸺") == "生产总值二〇二五年，第3页，长江门户——"
    assert clean_text("到 2025 年，地区⽣产总值达到 510.3 亿元") == "到2025年，地区生产总值达到510.3亿元\n"
    assert fix_radicals("（一）ＡＢＣ１２") == "（一）ＡＢＣ１２"  # nothing else is normalised


def test_running_headers_footers_and_page_numbers_are_dropped_not_body_lines():
    chapters = ["总则", "发展目标", "重点任务", "保障措施"]
    pages = [
        [f"2026/11/2{n} 某市“十四五”规划", f"第{'一二三四'[n - 1]}章 {chapters[n - 1]}", f"第{n}条 正文内容。",
         "某市“十四五”规划", f"本页第{n}段。", f"{chapters[n - 1]}的具体措施", f"- {n} -"]
        for n in range(1, 5)
    ]
    out = drop_running_lines(pages)
    assert out[0] == ["第一章 总则", "第1条 正文内容。", "某市“十四五”规划", "本页第1段。", "总则的具体措施"]  # body lines stay
    assert all(len(page) == 5 for page in out)
    assert drop_running_lines([["只有一页", "正文。", "3"]]) == [["只有一页", "正文。"]]


def test_page_starts_stay_exact_when_cleaning_moves_offsets():
    pages = [
        "索引号\n11370283\n第一章 总则\n到 2025 年 ，地区生产总值达到 510.3 亿元，",  # cleaning removes spaces, metadata
        "年均增长 6 % 以上。\n| 指标 | 2020年 | 2025年 |\n| 人口 | 10 | 12 |",
        "| 指标 | 2020年 | 2025年 |\n| 面积 | 5 | 6 |\n第二章 目标",  # the table goes on, its header repeated
        "",
        "第三章 保障\n加强组织领导。",
    ]
    text, starts = assemble_pages(pages)
    assert "索引号" not in text and "510.3亿元，年均增长6%以上。" in text  # a sentence over a page break is one line
    assert text.count("| 指标 |") == 1 and "| 人口 | 10 | 12 |\n| 面积 | 5 | 6 |" in text
    from rag.types import Document

    doc = Document("d", "t", "d.pdf", text, "", "pdf", page_starts=starts)
    assert doc.page_at(text.index("510.3")) == 1 and doc.page_at(text.index("年均增长")) == 2
    assert doc.page_at(text.index("| 面积")) == 3 and doc.page_at(text.index("第三章")) == 5  # page 4 is empty


def test_a_table_chunk_running_over_a_page_break_names_each_rows_page():
    from rag.types import Document

    pages = ["第一章 总则\n| 指标 | 2020年 | 2025年 |\n| 人口 | 10 | 12 |", "| 指标 | 2020年 | 2025年 |\n| 面积 | 5 | 6 |",
             "", "| 指标 | 2020年 | 2025年 |\n| 产值 | 7 | 9 |\n第二章 目标"]
    text, starts = assemble_pages(pages)
    doc = Document("d", "t", "d.pdf", text, "", "pdf", page_starts=starts)
    (table,) = [c for c in chunk_document(doc) if c.kind == "table"]
    assert table.text.count("| 指标 |") == 1 and table.page == 1
    assert [table.page_of(table.text.index(cell)) for cell in ("| 人口", "| 面积", "| 产值")] == [1, 2, 4]


def test_a_heading_at_the_foot_of_a_page_is_not_glued_to_the_next_page():
    """Only a last line that runs to the margin goes on over the page break; a heading stops short of it."""
    pages = ["加快产业集聚。\n第二节 增强两翼辐射带动能力", "建设青岛环湾都市重要功能性小城市。\n推动主城区向东部延", "伸，加快融合。"]
    text, starts = assemble_pages(pages, runs_on=[False, True, False])
    assert "\n第二节 增强两翼辐射带动能力\n\n建设青岛环湾都市" in text and "推动主城区向东部延伸，加快融合。" in text
    assert starts == [0, text.index("建设青岛"), text.index("伸，")]
    text, _ = assemble_pages(pages)  # a reader that knows no widths: a line not ending a sentence goes on
    assert "第二节 增强两翼辐射带动能力建设青岛" in text


def test_reflow_joins_a_wrapped_line_but_not_a_numbered_item_after_a_closing_bracket():
    full = 500.0
    line = lambda text, right: TextLine(text, 30, 0, right, 10)  # noqa: E731
    lines = [line("1.优化土地要素保障。落实“土地指标跟着项目走”机制，保障重点项目用地（市自然资源局牵头）", 560),
             line("2.强化“第一资源”支撑。支持县域完善人才卡服务制度，组织选聘县市区科技副职（市委组织部、", 560),
             line("市人社局牵头）", 120), line("四、组织保障", 100)]
    assert reflow(lines, full) == [lines[0].text, lines[1].text + lines[2].text, "四、组织保障"]


# ---- PDF ---------------------------------------------------------------------------------------------


def test_pdf_text_equals_the_text_version(pdf_doc, txt_doc):
    assert pdf_doc.encoding == "pdf" and pdf_doc.title == txt_doc.title
    assert squash(pdf_doc.text) == squash(txt_doc.text)


def test_pdf_heading_lines_stay_lines_of_their_own(pdf_doc, txt_doc):
    """Headings that fall at the foot of a page or after a paragraph ending in a bracket are not glued to
    the next or previous line (they feed the heading path)."""
    headings = [l for l in txt_doc.text.split("\n") if heading_of(l) and len(l) < 40]
    lines = set(pdf_doc.text.split("\n"))
    assert len(headings) > 50 and [h for h in headings if h not in lines] == []


def test_pdf_running_headers_footers_and_page_numbers_removed(pdf_doc, made):
    raw = pdfium_page_lines(made["pdf"])
    assert any("file://" in l for l in raw[3]) and any(re.search(r"\d+/\d+/\d+, \d+:\d+", l) for l in raw[3])
    assert "file://" not in pdf_doc.text and not re.search(r"\d+/\d+/\d+, \d+:\d+ [AP]M", pdf_doc.text)
    assert not re.search(r"^\d+/\d+$", pdf_doc.text, re.M)


def test_pdf_page_of_every_body_line_is_exact(pdf_doc, made):
    """A line taken from each page's own text layer is found in the cleaned text on that page."""
    raw = pdfium_page_lines(made["pdf"])
    assert len(pdf_doc.page_starts) == len(raw)
    checked = 0
    for number, lines in enumerate(raw, start=1):
        body = [l for l in lines[1:-3] if len(l) >= 25 and re.search("[,，。、]", l)]  # prose, not table cells
        for line in body[:2]:
            needle = clean_text(line).strip()[:20]
            at = pdf_doc.text.find(needle)
            assert at >= 0 and pdf_doc.text.find(needle, at + 1) < 0, needle
            assert pdf_doc.page_at(at) == number, (needle, number)
            checked += 1
    assert checked >= len(raw)


def test_pdf_table_keeps_its_header_and_is_joined_across_pages(pdf_doc, made):
    raw = pdfium_page_lines(made["pdf"])
    first = next(n for n, lines in enumerate(raw, 1) if any("全员劳动生产率" in l for l in lines))
    later = next(n for n, lines in enumerate(raw, 1) if any("人均预期寿命" in l for l in lines))
    assert later == first + 1  # the indicator table runs over a page break in this PDF
    start = pdf_doc.text.index("| 类别 | 序号 | 指标 |")
    block = pdf_doc.text[start:].split("\n")
    rows = block[: next(i for i, l in enumerate(block) if not l.startswith("|"))]
    assert any("人均预期寿命" in r for r in rows) and sum("| 类别 |" in r for r in rows) == 1
    chunks = [c for c in chunk_document(pdf_doc) if c.kind == "table" and "人均预期寿命" in c.text]
    assert chunks and chunks[0].text.count("| 类别 | 序号 | 指标 |") == 1 and "| 80.26 | 80.31 |" in chunks[0].text
    assert chunks[0].page == later


def test_pdf_chunks_name_their_pages(pdf_doc, made):
    raw = pdfium_page_lines(made["pdf"])
    chunks = chunk_document(pdf_doc)
    assert all(c.page is not None for c in chunks) and chunks[-1].page == len(raw)
    for phrase in ("打造青岛辐射带动半岛一体化发展桥头堡", "实施科技创新券制度", "同力同行"):
        page = next(n for n, lines in enumerate(raw, 1) if any(phrase in l for l in lines))
        chunk = next(c for c in chunks if phrase in c.text)
        assert chunk.page_of(chunk.text.index(phrase)) == page


def test_citation_names_the_page_of_its_quote():
    text = "甲县2020年地区生产总值80亿元。到2025年达到120亿元。"
    chunk = Chunk("d#0", "d", "甲县规划", ["第一章"], text, 0, len(text), page=4, page_marks=[text.index("到2025")])
    answer = attach_citations(Answer("甲县2025年目标？", "到2025年达到120亿元[1]。", passages=[Passage(chunk, 1.0)]))
    assert answer.citations[0].page == 5
    answer = attach_citations(Answer("甲县2020年？", "2020年为80亿元[1]。", passages=[Passage(chunk, 1.0)]))
    assert answer.citations[0].page == 4


# ---- Word ---------------------------------------------------------------------------------------------


def test_docx_text_headings_and_table(made, txt_doc):
    doc = load(made["docx"])
    assert doc.encoding == "docx" and doc.title == txt_doc.title and not doc.page_starts
    assert squash(doc.text) == squash(txt_doc.text)
    assert len(doc.outline) >= 100  # every 章/节 heading was a Word heading style
    chunks = chunk_document(doc)
    txt_chunks = chunk_document(txt_doc)
    for phrase in ("实施科技创新券制度", "打造青岛辐射带动半岛一体化发展桥头堡"):
        assert next(c for c in chunks if phrase in c.text).heading_path == next(c for c in txt_chunks if phrase in c.text).heading_path
    table = next(c for c in chunks if c.kind == "table" and "人均预期寿命" in c.text)
    assert table.text.count("| 类别 | 序号 | 指标 |") == 1


def test_docx_heading_style_without_numbering_enters_the_heading_path(tmp_path):
    from docx import Document as WordDocument

    word = WordDocument()
    word.add_heading("某县数字经济发展规划", level=0)
    word.styles.add_style("TOC 1", 1)  # WD_STYLE_TYPE.PARAGRAPH
    word.add_paragraph("第一章 发展目标\t3", style="TOC 1")  # a table-of-contents entry is no heading
    word.add_heading("发展目标", level=1)
    word.add_paragraph("到2025年，数字经济核心产业增加值达到50亿元。")
    word.add_heading("重点任务", level=1)
    word.add_heading("一、建设数据中心", level=2)
    word.add_paragraph("建成两个大型数据中心。")
    table = word.add_table(rows=2, cols=2)
    for (r, c), value in {(0, 0): "指标", (0, 1): "2025年", (1, 0): "数据中心（个）", (1, 1): "2"}.items():
        table.cell(r, c).text = value
    word.save(str(tmp_path / "plan.docx"))
    doc = load(tmp_path / "plan.docx")
    chunks = {c.text.split("\n")[-1]: c for c in chunk_document(doc)}
    assert doc.title == "某县数字经济发展规划" and "第一章" not in doc.text
    assert chunks["到2025年，数字经济核心产业增加值达到50亿元。"].heading_path.endswith("发展目标")
    assert chunks["建成两个大型数据中心。"].heading_path.endswith("重点任务 > 一、建设数据中心")
    assert "| 指标 | 2025年 |\n| 数据中心（个） | 2 |" in chunks["| 数据中心（个） | 2 |"].text


# ---- web pages ------------------------------------------------------------------------------------------


def test_html_page_without_navigation_and_with_its_title(made, txt_doc):
    doc = load(made["html"])
    assert doc.title == "平度市“十四五”规划纲要" and doc.encoding == "html"
    for boilerplate in ("首页", "政务公开", "分享到", "当前位置", "相关文章", "版权所有", "ICP备", "主办单位", "某市人民政府"):
        assert doc.text.count(boilerplate) == txt_doc.text.count(boilerplate), boilerplate  # only the document's own
    assert squash(doc.text) == squash(txt_doc.text)
    chunk = next(c for c in chunk_document(doc) if "实施科技创新券制度" in c.text)
    assert chunk.heading_path == next(c for c in chunk_document(txt_doc) if "实施科技创新券制度" in c.text).heading_path


def test_html_in_gbk_with_a_meta_charset(tmp_path):
    page = '<html><head><meta charset="gbk"><title>某县规划_某县政府网</title></head><body><nav>首页 | 政务公开</nav>' \
           "<article><h1>某县“十四五”规划</h1><p>" + "到2025年，某县地区生产总值达到300亿元，年均增长6%。" * 5 + "</p></article></body></html>"
    (tmp_path / "gbk.html").write_bytes(page.encode("gbk"))
    doc = load(tmp_path / "gbk.html")
    assert doc.title == "某县“十四五”规划" and "地区生产总值达到300亿元" in doc.text and "政务公开" not in doc.text


# ---- bad files -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bad_files(made, tmp_path_factory) -> dict[str, Path]:
    from msoffcrypto.format.ooxml import OOXMLFile
    from pypdf import PdfWriter

    folder = tmp_path_factory.mktemp("bad")
    out = {}
    writer = PdfWriter(clone_from=str(made["pdf"]))
    writer.encrypt("secret", algorithm="AES-256")
    writer.write(str(folder / "locked.pdf"))
    out["locked.pdf"] = folder / "locked.pdf"
    data = made["pdf"].read_bytes()
    (folder / "cut.pdf").write_bytes(data[: len(data) // 2])
    out["cut.pdf"] = folder / "cut.pdf"
    (folder / "junk.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    out["junk.pdf"] = folder / "junk.pdf"
    with made["docx"].open("rb") as src, (folder / "locked.docx").open("wb") as dst:
        OOXMLFile(src).encrypt("secret", dst)
    out["locked.docx"] = folder / "locked.docx"
    data = made["docx"].read_bytes()
    (folder / "cut.docx").write_bytes(data[: len(data) // 2])
    out["cut.docx"] = folder / "cut.docx"
    (folder / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000)
    out["old.doc"] = folder / "old.doc"
    return out


@pytest.mark.parametrize(("name", "message"), [
    ("locked.pdf", "受密码保护"), ("cut.pdf", "已损坏或不完整"), ("junk.pdf", "已损坏或不完整"),
    ("locked.docx", "受密码保护"), ("cut.docx", "已损坏或不完整"), ("old.doc", "另存为 .docx"),
])
def test_bad_files_get_a_clear_chinese_message(bad_files, name, message):
    with pytest.raises(InputError, match=message):
        load(bad_files[name])


def test_bad_files_do_not_stop_the_corpus_and_pages_round_trip_the_index(made, bad_files, tmp_settings, hash_embedder):
    corpus = tmp_settings.corpus_dir
    for name, path in [*bad_files.items(), ("pingdu.pdf", made["pdf"]), ("word/pingdu.docx", made["docx"])]:
        (corpus / name).parent.mkdir(exist_ok=True)
        (corpus / name).write_bytes(path.read_bytes())
    (corpus / "gaomi.txt").write_text((SEEDS / "000_c07c619b55a4981f.txt").read_text(encoding="utf-8"), encoding="utf-8")
    report = build_index(tmp_settings, hash_embedder)
    assert report.added == ["gaomi.txt", "pingdu.pdf", "word/pingdu.docx"]
    skipped = dict(report.skipped)
    assert set(skipped) == set(bad_files)
    assert "受密码保护" in skipped["locked.pdf"] and "另存为 .docx" in skipped["old.doc"]
    stored = load_index(tmp_settings.index_dir)
    pdf_chunks = [c for c in stored.chunks if c.doc_id == "pingdu"]
    assert pdf_chunks and all(c.page for c in pdf_chunks) and stored.documents["pingdu"].page_starts
    assert all(c.page is None for c in stored.chunks if c.doc_id in ("gaomi", "word/pingdu"))
    assert stored.documents["word/pingdu"].outline


def test_a_chunk_table_row_without_pages_still_loads(tmp_settings, hash_embedder):
    """A plain-text corpus stores no pages: its chunks and documents come back with page None / []."""
    (tmp_settings.corpus_dir / "a.txt").write_text("甲县规划\n第一章 总则\n甲县2020年地区生产总值为80亿元。", encoding="utf-8")
    build_index(tmp_settings, hash_embedder)
    stored = load_index(tmp_settings.index_dir)
    assert stored.chunks[0].page is None and stored.chunks[0].page_marks == []
    assert stored.documents["a"].page_starts == [] and stored.documents["a"].outline == []


def test_upload_accepts_word_and_pdf_and_refuses_a_locked_pdf_without_replacing(made, bad_files, tmp_path):
    from rag.uploads import save_upload

    corpus = tmp_path / "corpus"
    saved = save_upload(made["docx"], "平度 规划.docx", corpus, max_mb=5)
    assert saved.name == "平度_规划.docx" and saved.read_bytes() == made["docx"].read_bytes()
    saved = save_upload(made["pdf"], "plan.pdf", corpus, max_mb=5)
    with pytest.raises(InputError, match="受密码保护"):
        save_upload(bad_files["locked.pdf"], "plan.pdf", corpus, max_mb=5)
    assert saved.read_bytes() == made["pdf"].read_bytes()  # the good upload of that name is kept
    assert sorted(p.name for p in (corpus / "uploads").iterdir()) == ["plan.pdf", "平度_规划.docx"]
    with pytest.raises(InputError, match="超过上限"):
        save_upload(made["pdf"], "plan.pdf", corpus, max_mb=0.01)


def test_cli_and_sources_panel_show_the_page(capsys):
    from rag.app_ui import answer_data, render_sources
    from rag.cli import _print_answer

    text = "甲县2025年地区生产总值达到120亿元。"
    chunk = Chunk("d#0", "d", "甲县规划", ["第一章 目标"], text, 0, len(text), page=7)
    answer = attach_citations(Answer("甲县2025年GDP？", "120亿元[1]。", passages=[Passage(chunk, 1.0)]))
    _print_answer(answer)
    assert "[1] 《甲县规划》 第 7 页 第一章 目标" in capsys.readouterr().out
    assert "第 7 页" in render_sources(answer.passages, answer)
    assert answer_data(answer)["citations"][0]["page"] == 7


# ---- scanned pages ----------------------------------------------------------------------------------


def test_blank_scanned_pages_are_reported_never_a_silent_empty_document(tmp_path, caplog):
    from PIL import Image

    blank = Image.new("L", (600, 800), 255)
    blank.save(tmp_path / "blank.pdf", format="PDF", save_all=True, append_images=[blank])
    with pytest.raises(InputError, match="没有识别出任何文字"):
        load(tmp_path / "blank.pdf")
    assert "第 1 页是扫描图像，OCR 未识别出文字" in caplog.text and "第 2 页" in caplog.text


@pytest.mark.slow
def test_scanned_pages_are_read_by_ocr_with_their_page_numbers(made, tmp_path, caplog, capsys):
    """Pages 5 and 6 of the printed PDF as images only, with a blank page between: OCR (the models inside
    rapidocr-onnxruntime, no network) reads both, the blank one is reported, pages stay exact."""
    from difflib import SequenceMatcher

    from PIL import Image

    scan = to_scanned_pdf(made["pdf"], tmp_path / "scan.pdf", pages=[5, 6])
    import pypdfium2 as pdfium

    pages = [pdfium.PdfDocument(str(scan))[i].render(scale=1).to_pil() for i in range(2)]
    blank = Image.new("RGB", pages[0].size, "white")
    pages[0].save(tmp_path / "mixed.pdf", format="PDF", save_all=True, append_images=[blank, pages[1]])
    doc = load(tmp_path / "mixed.pdf")
    assert len(doc.page_starts) == 3 and "第 2 页是扫描图像" in caplog.text and "OCR" in capsys.readouterr().err
    text_layer = load(made["pdf"])
    for number, source in ((1, 5), (3, 6)):
        start, end = doc.page_starts[number - 1], (doc.page_starts + [len(doc.text)])[number]
        expected = text_layer.text[text_layer.page_starts[source - 1] : text_layer.page_starts[source]]
        ratio = SequenceMatcher(None, squash(doc.text[start:end]), squash(expected), autojunk=False).ratio()
        assert ratio > 0.85, (number, ratio)  # measured 0.896 on the 平度 pages (PP-OCRv4, 150 dpi render)
    chunk = next(c for c in chunk_document(doc) if "第一节" in c.heading_path and "指导思想" in c.heading_path)
    assert chunk.page == 1

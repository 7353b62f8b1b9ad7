"""Hostile files (docs/robustness.md): each is built on the fly, indexed beside a good file, and must be
skipped or indexed with a Chinese reason while the good file is never lost; the indexer and the app's
background job survive a parser that crashes, blows up or hangs, because each file is read in a worker
process under the settings' limits (rag.formats.worker)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from rag.errors import InputError
from rag.formats.base import Limits
from rag.formats.worker import run_isolated
from rag.indexing import build_index
from rag.store import load_index

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import fuzz_loaders as hostile  # noqa: E402

GOOD_TITLE = "甲县发展规划"


@pytest.fixture(autouse=True)
def _fresh_workers():
    """A worker keeps the stderr it was started with: start this test's own, so capfd sees what it says."""
    from rag.formats import worker

    worker.shutdown()
    yield
    worker.shutdown()


def _case(name: str, scale: float = 0.001) -> hostile.Case:
    return next(c for c in hostile.hostile_cases(scale) if c.name == name)


def _index_beside_good(settings, embedder, case: hostile.Case, **limits):
    """Index the good file and the case's file(s); the good one must always be there afterwards."""
    settings = settings.with_overrides(**limits)
    (settings.corpus_dir / "good.txt").write_bytes(hostile.good_seeds()["good.txt"])
    hostile.write_case(case, settings.corpus_dir)
    report = build_index(settings, embedder)
    stored = load_index(settings.index_dir)
    assert "good" in stored.documents and stored.documents["good"].title == GOOD_TITLE
    return report, stored, dict(report.skipped)


def _no_english(text: str) -> None:
    for word in ("Traceback", "Error", "PDFium", "discarding", "Warning"):
        assert word not in text, text


# ---- crashes fixed at their cause ----------------------------------------------------------------------


def test_a_table_row_of_empty_cells_is_indexed_not_a_crash(tmp_settings, hash_embedder):
    report, stored, skipped = _index_beside_good(tmp_settings, hash_embedder, _case("empty table row"))
    assert not skipped and "table" in stored.documents
    assert any("正文" in c.text for c in stored.chunks if c.doc_id == "table")


def test_a_name_that_is_not_utf8_is_indexed_under_a_readable_name(tmp_settings, hash_embedder, capfd):
    report, stored, skipped = _index_beside_good(tmp_settings, hash_embedder, _case("non-UTF-8 name"))
    assert not skipped and report.added == ["good.txt", "规划文件.txt"]
    assert stored.documents["规划文件"].path == "规划文件.txt"
    assert "不是 UTF-8 编码" in capfd.readouterr().err
    again = build_index(tmp_settings, hash_embedder)  # the next run finds it unchanged, nothing rewritten
    assert not again.written and "规划文件.txt" in again.unchanged


def test_utf16_without_bom_and_utf16_html_with_bom_are_read(tmp_settings, hash_embedder):
    both = hostile.Case("utf16", {**_case("UTF-16 .txt without BOM").files, **_case("UTF-16 .html with BOM").files})
    report, stored, skipped = _index_beside_good(tmp_settings, hash_embedder, both)
    assert not skipped
    assert stored.documents["utf16"].encoding == "utf-16-le" and "丁县2020年" in stored.documents["utf16"].text
    assert stored.documents["page16"].title == "戊县发展规划" and "80亿元" in stored.documents["page16"].text


def test_hidden_files_and_folders_are_reported_as_skipped(tmp_settings, hash_embedder):
    report, stored, skipped = _index_beside_good(tmp_settings, hash_embedder, _case("hidden file and folder"))
    assert list(stored.documents) == ["good"]
    assert "隐藏文件" in skipped[".hidden.txt"] and "1 个文件" in skipped[".drafts/"]


def test_docx_style_lookup_is_cached(tmp_path):
    """20,000 styled paragraphs: python-docx's style lookup (~2 ms a paragraph, twice) took ~80 s."""
    path = tmp_path / "paras.docx"
    path.write_bytes(hostile.paragraphs_docx(20_000))
    started = time.perf_counter()
    doc = run_isolated(path, tmp_path, Limits()).result()
    assert time.perf_counter() - started < 20 and "第19999项" in doc.text


# ---- limits before work ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "words"), [
    (".docx zip bomb", "解压后有"), ("PDF stream inflating to 1.5 GB", "解压后超过上限"), ("40M line segments, 1 page", "解压后超过上限"),
])
def test_what_inflates_beyond_max_file_mb_is_refused_before_it_is_inflated(tmp_settings, hash_embedder, name, words):
    """At 1/100 of the reported size against a 1 MB limit: the same check, found before any memory is used."""
    report, stored, skipped = _index_beside_good(tmp_settings, hash_embedder, _case(name, 0.01), max_file_mb=1.0)
    (reason,) = skipped.values()
    assert words in reason and "max_file_mb" in reason


def test_blank_pages_cost_no_ocr_and_one_line(tmp_settings, hash_embedder, capfd):
    started = time.perf_counter()
    report, stored, skipped = _index_beside_good(tmp_settings, hash_embedder, _case("10,000 blank pages", 0.05))
    assert time.perf_counter() - started < 30 and "没有识别出任何文字" in skipped["blank.pdf"]
    err = capfd.readouterr().err
    assert "全部 500 页都是空白页" in err and err.count("blank.pdf") < 5


def test_pages_beyond_the_cap_are_named_and_the_rest_indexed(tmp_settings, hash_embedder, capfd):
    words = ["grain", "steel", "ports", "roads", "parks", "water", "power", "trade", "farms", "towns"]
    page = b"BT /F1 12 Tf 72 720 Td (Chapter %d plans %s and %s for the county.) Tj ET"
    pdf = hostile.make_pdf([page % (i, words[i % 10].encode(), words[i // 10].encode()) for i in range(1, 31)])
    case = hostile.Case("pages", {"long.pdf": pdf})
    report, stored, skipped = _index_beside_good(tmp_settings, hash_embedder, case, max_pdf_pages=10)
    assert not skipped and "Chapter 10" in stored.documents["long"].text and "Chapter 11" not in stored.documents["long"].text
    assert "第 11–30 页未读取" in capfd.readouterr().err


def test_ocr_budget_names_the_pages_it_did_not_read(tmp_path, capfd):
    from PIL import Image

    scan = Image.new("L", (300, 400), 255)
    scan.paste(0, (50, 50, 250, 80))
    scan.save(tmp_path / "scan.pdf", format="PDF", save_all=True, append_images=[scan, scan])
    outcome = run_isolated(tmp_path / "scan.pdf", tmp_path, Limits(ocr_seconds=0))
    assert outcome.status == "refused" and "第 1–3 页未识别" in capfd.readouterr().err


# ---- isolation: a parser that blows up or hangs costs its file only --------------------------------------


def test_a_page_needing_more_memory_than_the_limit_is_skipped_and_the_rest_indexed(tmp_settings, hash_embedder):
    """4 million line segments on one page: pdfium holds every one (~3 GB for the reported 40 million);
    with a 200 MB per-file limit the worker is ended, the good file is indexed all the same."""
    case = _case("40M line segments, 1 page", 0.1)
    report, stored, skipped = _index_beside_good(tmp_settings, hash_embedder, case, max_file_mb=200.0, file_memory_mb=200)
    assert "200 MB" in skipped["lines.pdf"] and "内存" in skipped["lines.pdf"]


def test_a_file_over_the_time_limit_is_skipped_and_the_upload_check_refuses_it_too(tmp_settings, hash_embedder):
    from rag.uploads import save_upload

    case = hostile.Case("slow", {"paras.docx": hostile.paragraphs_docx(60_000)})
    report, stored, skipped = _index_beside_good(tmp_settings, hash_embedder, case, file_seconds=0.5)
    assert "超过 0 秒仍未完成" in skipped["paras.docx"] or "秒仍未完成" in skipped["paras.docx"]
    settings = tmp_settings.with_overrides(file_seconds=0.5)
    with pytest.raises(InputError, match="秒仍未完成"):
        save_upload(tmp_settings.corpus_dir / "paras.docx", "paras.docx", tmp_settings.cache_dir, 50, settings)


def test_a_worker_killed_mid_file_is_reported_and_the_next_file_is_read(tmp_path):
    """A native abort looks like this to the parent: the worker vanishes without a reply."""
    good = tmp_path / "good.txt"
    good.write_bytes(hostile.good_seeds()["good.txt"])
    slow = tmp_path / "paras.docx"
    slow.write_bytes(hostile.paragraphs_docx(60_000))
    import threading

    def kill_soon():
        time.sleep(1.0)
        for pid in [int(p) for p in os.listdir("/proc") if p.isdigit()]:
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
                if b"rag.formats.worker" in cmd and Path(f"/proc/{pid}/stat").read_text().split()[3] == str(os.getpid()):
                    os.kill(pid, 6)
            except OSError:
                pass

    threading.Thread(target=kill_soon, daemon=True).start()
    outcome = run_isolated(slow, tmp_path, Limits())
    assert outcome.status == "crash" and "异常终止" in outcome.error
    assert run_isolated(good, tmp_path, Limits()).result().title == GOOD_TITLE


def test_the_apps_background_job_survives_a_hostile_upload(tmp_settings, hash_embedder):
    from rag.app_ui import Page
    from rag.pipeline import QAPipeline
    from rag.uploads import IndexJob

    (tmp_settings.corpus_dir / "good.txt").write_bytes(hostile.good_seeds()["good.txt"])
    hostile.write_case(_case("40M line segments, 1 page", 0.1), tmp_settings.corpus_dir / "uploads")
    settings = tmp_settings.with_overrides(max_file_mb=200.0, file_memory_mb=200)
    pipeline = QAPipeline(settings, embedder=hash_embedder)
    page = Page(pipeline, IndexJob(pipeline))
    page.job.start("加载索引", first=True)
    page.job._thread.join(60)
    status = page.job.status()
    assert status.startswith("✓") and "跳过 uploads/lines.pdf" in status and "内存" in status
    assert [t for t, _ in page.documents()] == [GOOD_TITLE]
    bomb = tmp_settings.cache_dir / "bomb.docx"
    bomb.parent.mkdir(parents=True, exist_ok=True)
    bomb.write_bytes(hostile.make_docx(inflate_to=8 << 20))
    pipeline.settings = settings.with_overrides(max_file_mb=1.0)
    message = page.upload(str(bomb))
    assert "上传失败" in message and "解压后" in message
    _no_english(message)


# ---- upload names ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stem", ["a" * 130, "规" * 84, "规划" * 100])
def test_long_upload_names_are_shortened_keeping_their_extension(tmp_path, stem):
    from rag.uploads import save_upload

    src = tmp_path / "src.txt"
    src.write_bytes(hostile.good_seeds()["good.txt"])
    saved = save_upload(src, stem + ".txt", tmp_path / "corpus", 1)
    assert saved.suffix == ".txt" and saved.is_file() and len(saved.name.encode()) <= 150


# ---- messages ----------------------------------------------------------------------------------------------


def test_messages_are_chinese_without_tracebacks_or_library_warnings(tmp_settings, hash_embedder, capfd):
    """Damaged files of every format: what the user reads on stderr and in the summary is Chinese only;
    the libraries' own words (PDFium's 'Data format error', trafilatura's) go to index/loaders.log."""
    good = hostile.good_seeds()
    corpus = tmp_settings.corpus_dir
    (corpus / "cut.pdf").write_bytes(good["good.pdf"][: len(good["good.pdf"]) // 2])
    (corpus / "cut.docx").write_bytes(good["good.docx"][:-200])
    (corpus / "nav.html").write_bytes(b"<html><body>" + b"<div>" * 5000 + b"</body></html>")
    (corpus / "odd.pdf").write_bytes(good["good.pdf"].replace(b"/FlateDecode", b"/FlateDecode ", 1).replace(b"stream\nx", b"stream\nX"))
    report, stored, skipped = _index_beside_good(tmp_settings, hash_embedder, hostile.Case("none", {}))
    assert {"cut.pdf", "cut.docx", "nav.html"} <= set(skipped)
    for reason in skipped.values():
        _no_english(reason)
    _no_english(capfd.readouterr().err)
    assert (tmp_settings.index_dir / "loaders.log").is_file()


# ---- fuzzing (the long run: bench/fuzz_loaders.py, docs/robustness.md) -------------------------------------


def test_a_short_fuzz_run_finds_no_crash_or_hang(tmp_path):
    summary = hostile.fuzz(seconds=20, limits=Limits(max_bytes=8 << 20, memory_mb=1024, seconds=30, ocr_seconds=0),
                           work=tmp_path)
    assert summary["inputs"] >= 20
    assert summary["crash"] == 0 and summary["hang"] == 0 and summary["memory"] == 0, summary["examples"]

"""Faults: a build killed with SIGKILL mid-embedding leaves the previous index usable, two builds at
once are serialised by the file lock, and questions keep being answered while an index is built."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rag.config import Settings
from rag.indexing import build_index
from rag.pipeline import QAPipeline
from rag.retrieval import Retriever
from rag.store import current_version, load_index
from tests.conftest import ROOT, SEEDS, HashEmbedder

GAOMI = "000_c07c619b55a4981f.txt"
PINGDU = "001_a38547990da41cd7.txt"
# `rag index` with the fake embedder, so a fast test can run the build in a process it may kill
CHILD = """
import json, logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(message)s")
from rag.config import load_settings
from rag.indexing import build_index
from tests.conftest import HashEmbedder
report = build_index(load_settings(), HashEmbedder())
print(json.dumps({"written": report.written, "added": report.added, "unchanged": report.unchanged}))
"""


def _corpus(settings: Settings, extra_copies: int = 0) -> None:
    """Two seed documents, plus copies made distinct by a first line so each is embedded afresh."""
    for name in (GAOMI, PINGDU):
        shutil.copy(SEEDS / name, settings.corpus_dir / name)
    text = "".join((SEEDS / n).read_text(encoding="utf-8") for n in sorted(os.listdir(SEEDS)))
    for i in range(extra_copies):
        (settings.corpus_dir / f"copy_{i:02d}.txt").write_text(f"副本{i}\n{text}", encoding="utf-8")


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    return env | {
        "RAG_CORPUS_DIR": str(settings.corpus_dir), "RAG_INDEX_DIR": str(settings.index_dir),
        "RAG_CONFIG": str(settings.index_dir.parent / "none.toml"), "PYTHONPATH": str(ROOT),
    }


def _start(args: list[str], settings: Settings) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, env=_env(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_for_line(proc: subprocess.Popen, needle: str, timeout: float) -> list[str]:
    """Read the child's log until a line contains needle; the child is killed if it never comes."""
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    seen = []
    try:
        for line in proc.stderr:
            seen.append(line)
            if needle in line:
                return seen
    finally:
        timer.cancel()
    raise AssertionError(f"never logged {needle!r}:\n{''.join(seen[-20:])}")


def _assert_previous_index_serves(settings: Settings, version: Path, n_chunks: int) -> None:
    assert current_version(settings.index_dir) == version
    stored = load_index(settings.index_dir)
    assert len(stored.chunks) == n_chunks
    hits = Retriever(stored, HashEmbedder(), settings).search("高密市地区生产总值跨上新台阶,达510.3亿元", k=3)
    assert any("510.3亿元" in p.chunk.text for p in hits)


def _kill_mid_embedding(settings: Settings, args: list[str], timeout: float, needle: str = "embedded copy_") -> None:
    proc = _start(args, settings)
    _wait_for_line(proc, needle, timeout)  # logged after each batch of chunks is embedded
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL


def _assert_recovers(settings: Settings) -> None:
    report = build_index(settings, HashEmbedder())  # the lock died with the process; leftovers are cleared
    assert report.written
    assert [p.name for p in settings.index_dir.glob("v-*")] == [current_version(settings.index_dir).name]
    assert len(load_index(settings.index_dir).documents) == len(os.listdir(settings.corpus_dir))


def test_kill_9_during_index_leaves_previous_index_usable(tmp_settings):
    _corpus(tmp_settings)
    build_index(tmp_settings, HashEmbedder())
    version, n_chunks = current_version(tmp_settings.index_dir), len(load_index(tmp_settings.index_dir).chunks)
    _corpus(tmp_settings, extra_copies=4)
    _kill_mid_embedding(tmp_settings, ["-c", CHILD], timeout=120)
    _assert_previous_index_serves(tmp_settings, version, n_chunks)
    _assert_recovers(tmp_settings)


@pytest.mark.slow
def test_kill_9_during_real_rag_index_leaves_previous_index_usable(tmp_settings):
    """The real command and the real embedder (it re-embeds everything: the old index used the fake one)."""
    _corpus(tmp_settings)
    build_index(tmp_settings, HashEmbedder())
    version, n_chunks = current_version(tmp_settings.index_dir), len(load_index(tmp_settings.index_dir).chunks)
    _corpus(tmp_settings, extra_copies=1)
    _kill_mid_embedding(tmp_settings, ["-m", "rag.cli", "-v", "index"], timeout=600, needle="embedded 000_")
    _assert_previous_index_serves(tmp_settings, version, n_chunks)


def test_two_index_runs_at_once_are_serialised(tmp_settings):
    _corpus(tmp_settings, extra_copies=8)  # seconds of work left when the second run starts
    first = _start(["-c", CHILD], tmp_settings)
    _wait_for_line(first, "embedded copy_00", timeout=120)  # the first run holds the lock, mid-build
    second = _start(["-c", CHILD], tmp_settings)
    second_out, second_err = second.communicate(timeout=300)
    first_out, _ = first.communicate(timeout=300)
    assert first.returncode == 0 and second.returncode == 0, second_err
    assert "waiting for it to finish" in second_err
    one, two = json.loads(first_out), json.loads(second_out)
    assert one["written"] and len(one["added"]) == 10
    assert not two["written"] and sorted(two["unchanged"]) == sorted(one["added"])  # it saw the first run's index
    stored = load_index(tmp_settings.index_dir)
    assert len(stored.documents) == 10 and len({c.chunk_id for c in stored.chunks}) == len(stored.chunks)
    assert [p.name for p in tmp_settings.index_dir.glob("v-*")] == [current_version(tmp_settings.index_dir).name]


def test_questions_are_answered_while_an_upload_is_indexed(tmp_settings, hash_embedder):
    _corpus(tmp_settings)
    pipe = QAPipeline(tmp_settings, embedder=hash_embedder)
    pipe.index()
    (tmp_settings.corpus_dir / "upload.txt").write_text(
        "新上传文件\n第一章 即墨区规划\n即墨区2025年海洋经济增加值达到300亿元。\n" + (SEEDS / "002_01b067afedf0f53f.txt").read_text(encoding="utf-8") * 3,
        encoding="utf-8",
    )
    errors, answered = [], []
    pipe.retrieve("高密市地区生产总值是多少？")  # loaded as the app loads it at start: index, corpus profile, tokenizers
    worker = threading.Thread(target=lambda: answered.append(pipe.index()))
    worker.start()
    during = 0
    while worker.is_alive():
        try:
            passages = pipe.retrieve("高密市地区生产总值是多少？")
            assert passages and all(p.chunk.doc_id in {GAOMI[:-4], PINGDU[:-4], "upload"} for p in passages)
            during += worker.is_alive()
        except Exception as exc:  # noqa: BLE001 - any failure while indexing is the finding
            errors.append(exc)
        time.sleep(0.01)
    worker.join()
    assert not errors and during >= 3, (errors, during)
    assert answered[0].added == ["upload.txt"]
    assert any("300亿元" in p.chunk.text for p in pipe.retrieve("即墨区2025年海洋经济增加值"))  # new version in use


def test_reader_never_sees_a_half_switched_index(tmp_settings, hash_embedder):
    """Another process may write versions while we load: the old folder can vanish under the reader."""
    _corpus(tmp_settings)
    build_index(tmp_settings, hash_embedder)
    stop, errors, loads = threading.Event(), [], []

    def writer() -> None:
        for i in range(8):
            (tmp_settings.corpus_dir / "churn.txt").write_text(f"第一章 第{i}版\n内容{i}。\n" * (i + 1), encoding="utf-8")
            build_index(tmp_settings, HashEmbedder())
        stop.set()

    thread = threading.Thread(target=writer)
    thread.start()
    while not stop.is_set():
        try:
            loads.append(len(load_index(tmp_settings.index_dir).chunks))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
    thread.join()
    assert not errors and len(loads) > 3, errors[:3]

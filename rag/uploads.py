"""Documents added from the page: checked and saved into the corpus folder, then indexed incrementally in a
background thread while questions keep being answered against the previous index version."""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path

from rag.config import Settings
from rag.errors import IndexStateError, InputError, RagError
from rag.formats import DESCRIPTION, SUFFIXES
from rag.loaders import STAGING_PREFIX, read_isolated
from rag.pipeline import QAPipeline

log = logging.getLogger(__name__)
UPLOAD_FOLDER = "uploads"
NAME_BYTES = 150  # a saved name's UTF-8 length: file systems allow 255, the checking folder's prefix and a margin included


def safe_name(name: str) -> str:
    """Keep letters (any script), digits, '-', '_' and '.'; nothing that could leave the folder. A long
    name is shortened (counted in UTF-8 bytes, as file systems count) keeping its extension."""
    cleaned = re.sub(r"[^\w.\-]+", "_", Path(name).name).strip("._") or "document"
    stem, suffix = (cleaned, "") if "." not in cleaned else cleaned.rsplit(".", 1)
    suffix = "." + suffix if suffix else ""
    if len(suffix.encode()) > 16:
        stem, suffix = cleaned, ""
    budget = NAME_BYTES - len(suffix.encode())
    stem = stem.encode()[:budget].decode("utf-8", errors="ignore").rstrip("._") or "document"
    return stem + suffix


def save_upload(src: Path, original_name: str, corpus_dir: Path, max_mb: float, settings: Settings | None = None) -> Path:
    """Accept only readable files of a supported format under the limits indexing applies (checked in a
    worker process, as indexing reads them); an upload with an existing name replaces it, but only once
    the new file has passed the check."""
    try:
        return _save_checked(src, original_name, corpus_dir, max_mb, settings or Settings(corpus_dir=corpus_dir))
    except OSError as exc:  # a name the file system refuses, a full disk: said in Chinese, never a traceback
        log.info("saving upload %r failed", original_name, exc_info=exc)
        raise InputError(f"无法保存文件：{exc.strerror or '文件系统错误'}；请缩短文件名或检查磁盘空间后重试。") from exc


def _save_checked(src: Path, original_name: str, corpus_dir: Path, max_mb: float, settings: Settings) -> Path:
    suffix = Path(original_name).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"不支持的文件类型 {suffix or '（无扩展名）'}：只能上传 {DESCRIPTION} 文件。")
    size = src.stat().st_size
    if size > max_mb * 2**20:
        raise InputError(f"文件有 {size / 2**20:.1f} MB，超过上限 {max_mb:g} MB。")
    folder = corpus_dir / UPLOAD_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    name = safe_name(Path(original_name).stem + suffix)
    with tempfile.TemporaryDirectory(dir=folder, prefix=STAGING_PREFIX) as tmp:
        staged = Path(tmp) / name
        shutil.copyfile(src, staged)
        # refuses empty, binary, undecodable, encrypted, damaged, inflating and parser-choking files now
        read_isolated(staged, Path(tmp), settings.with_overrides(max_file_mb=max_mb), check=True).result()
        dest = folder / name
        staged.replace(dest)
    return dest


class IndexJob:
    """One index build at a time, in a thread; `status()` is what the page shows while it runs."""

    def __init__(self, pipeline: QAPipeline):
        self.pipeline = pipeline
        self.ready = False  # an index is loaded and questions can be answered
        self.message = "正在加载索引……"
        self._started = 0.0
        self._label = ""
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, label: str, first: bool = False) -> bool:
        """Start a build unless one is running; `first` loads an existing index before building."""
        with self._lock:
            if self.running:
                return False
            self._label, self._started = label, time.monotonic()
            self._thread = threading.Thread(target=self._run, args=(first,), daemon=True, name="index-job")
            self._thread.start()
            return True

    def _run(self, first: bool) -> None:
        try:
            if first and self._load_existing():
                return
            report = self.pipeline.index()
            self.pipeline.retriever  # load the new version now, not on the next question
            self.ready = True
            skipped = "".join(f"；跳过 {name}：{reason}" for name, reason in report.skipped)
            self.message = (
                f"{self._label}完成：新增 {len(report.added)}，更新 {len(report.updated)}，共 {report.chunks} 个片段，"
                f"用时 {report.seconds:.0f} 秒{skipped}"
            )
        except RagError as exc:
            self.message = f"{self._label}失败：{exc}"
        except Exception:  # shown on the page, so never a traceback
            log.exception("index job failed")
            self.message = f"{self._label}失败：系统内部错误，请查看服务日志。"

    def _load_existing(self) -> bool:
        try:
            stored = self.pipeline.retriever.stored
        except IndexStateError:
            self._label = "首次建立索引"
            return False
        self.ready = True
        self.message = f"索引就绪：{len(stored.documents)} 个文档，{len(stored.chunks)} 个片段。"
        return True

    def status(self) -> str:
        if self.running:
            return f"… {self._label}中……已用 {time.monotonic() - self._started:.0f} 秒（问答{'照常可用' if self.ready else '将在完成后可用'}）"
        return ("✓ " if self.ready else "⚠ ") + self.message

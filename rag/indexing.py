"""Corpus folder -> persisted index, incrementally: unchanged files keep their chunks and vectors,
changed or new files are re-chunked and re-embedded, deleted files drop out."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from rag import derived
from rag.chunking import VERSION as CHUNKS_VERSION, chunk_document
from rag.config import Settings
from rag.embedding import Embedder
from rag.errors import IndexStateError, InputError, os_reason
from rag.formats.base import file_sha256
from rag.lexical import tokenize
from rag.loaders import corpus_files, display_path, hidden_entries, load_isolated
from rag.store import StoredIndex, load_index, save_index, writer_lock
from rag.stores import build_store, same_place
from rag.types import Chunk, Document

log = logging.getLogger(__name__)
EMBED_BATCH = 256  # chunks per embedding call
LARGE_FILE_CHUNKS = 5000  # warn up front: ~4 minutes of e5 embedding on 2 cores (~19 chunks/s)


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    chunks: int = 0
    seconds: float = 0.0
    written: bool = False


def _claim(seen: dict[str, str], key: str, rel: str, message: str) -> None:
    if key in seen:
        raise InputError(message)
    seen[key] = rel


def _check_unique(doc: Document, rel: str, seen: dict[str, str], docs: dict[str, Document]) -> None:
    """The same text in another encoding, or a.txt beside a.md, would answer twice from one source."""
    if doc.doc_id in docs:
        raise InputError(f"与 {docs[doc.doc_id].path} 的文档编号 {doc.doc_id} 相同（只有扩展名不同），只索引前者；请重命名。")
    key = "text:" + hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
    _claim(seen, key, rel, f"与 {seen.get(key)} 的文字内容相同（编码或格式不同），只索引一次。")


def _chunker(settings: Settings) -> dict:
    return {"size": settings.chunk_size, "overlap": settings.chunk_overlap, "version": CHUNKS_VERSION}


def read_differently(manifest: dict, settings: Settings) -> bool:
    """The index was cut by another chunker (sizes, or a version that read or split documents otherwise),
    or its figure and section records derived by other builders: its chunks or records are not what this
    version would make of the same files (a rebuild re-embeds only for the chunker)."""
    return manifest.get("chunker") != _chunker(settings) or manifest.get("derived") != derived.versions()


def _compatible(manifest: dict, settings: Settings, embedder_name: str) -> bool:
    """Built by this embedder and chunker: its chunks and vectors can be carried over as they are."""
    return (manifest.get("embedder") or {}).get("name") == embedder_name and manifest.get("chunker") == _chunker(settings)


def _previous(settings: Settings, embedder: Embedder, rebuild: bool) -> StoredIndex | None:
    """The live version if its chunks and vectors can be reused. Compared by embedder name, so the
    embedder itself (seconds to load) is only loaded when some file has to be embedded."""
    if rebuild:
        return None
    try:
        old = load_index(settings.index_dir, settings)
    except IndexStateError as exc:
        log.info("starting a fresh index: %s", exc)
        return None
    if not _compatible(old.manifest, settings, embedder.name):
        log.warning("embedder or chunker changed since the last build; re-embedding everything")
        return None
    return old


def _fresh(doc: Document, settings: Settings, embedder: Embedder) -> tuple[list[Chunk], list[list[str]], np.ndarray]:
    """Embed in batches: bounded working set, and a visible pace for a large file (hours with a real model)."""
    chunks = chunk_document(doc, settings.chunk_size, settings.chunk_overlap)
    if len(chunks) >= LARGE_FILE_CHUNKS:
        log.warning("%s: %d chunks to embed, this can take a long time (progress: rag -v index)", doc.path, len(chunks))
    tokens: list[list[str]] = []
    parts = [np.zeros((0, embedder.dim), dtype="float32")]
    for start in range(0, len(chunks), EMBED_BATCH):
        texts = [c.embedding_text() for c in chunks[start : start + EMBED_BATCH]]
        tokens += [tokenize(t) for t in texts]
        parts.append(np.asarray(embedder.encode_passages(texts), dtype="float32"))
        log.info("embedded %s: %d/%d chunks", doc.path, start + len(texts), len(chunks))
    return chunks, tokens, np.vstack(parts)


@contextmanager
def _waiting_for(lock: FileLock) -> Iterator[None]:
    """Take the writer lock, saying so when another build holds it (else the command looks hung)."""
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.warning("another index build is running (%s); waiting for it to finish", lock.lock_file)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


@dataclass
class _Previous:
    """The last version, so unchanged (or momentarily unreadable) files carry over without re-embedding.
    Its vectors are read only when a new version is written (a no-change run reads none)."""

    stored: StoredIndex | None

    def __post_init__(self) -> None:
        self.files: dict[str, dict] = self.stored.manifest.get("files", {}) if self.stored else {}
        self._matrix: np.ndarray | None = None

    def has(self, rel: str, sha: str | None = None) -> bool:
        return rel in self.files and (sha is None or self.files[rel].get("sha256") == sha)

    def document(self, rel: str) -> Document:
        return self.stored.documents[self.files[rel]["doc_id"]]

    def parts(self, doc_id: str) -> tuple[list[Chunk], list[list[str]], np.ndarray]:
        if self._matrix is None:
            self._matrix = self.stored.vector_matrix()
        rows = self.stored.rows_of([doc_id])
        return self.stored.chunks.get_many(rows), self.stored.chunks.tokens_of(rows), self._matrix[rows]


def _take(path: Path, rel: str, prev: _Previous, settings: Settings, embedder: Embedder, seen: dict[str, str],
          docs: dict[str, Document], report: IndexReport, root: Path) -> tuple[Document, tuple | None]:
    """One file's document and its fresh (chunks, tokens, vectors), or None when the last version's
    can be carried over; raises InputError / OSError to skip it."""
    sha = file_sha256(path)
    _claim(seen, sha, rel, f"与 {seen.get(sha)} 内容完全相同，只索引一次。")
    unchanged = prev.has(rel, sha)
    doc = prev.document(rel) if unchanged else load_isolated(path, root, settings)  # a worker process: no file can crash this one
    _check_unique(doc, rel, seen, docs)
    parts = None if unchanged else _fresh(doc, settings, embedder)
    (report.unchanged if unchanged else report.updated if prev.has(rel) else report.added).append(rel)
    return doc, parts


def _nothing_indexable(root: Path, report: IndexReport) -> InputError:
    if not report.skipped:
        return InputError(f"文档目录 {root} 中没有可索引的 .txt 或 .md 文件；索引未建立或更新。")
    reasons = "；".join(f"{name}：{reason}" for name, reason in report.skipped[:5])
    more = f"等 {len(report.skipped)} 个文件" if len(report.skipped) > 5 else ""
    return InputError(f"所有文件都被跳过，没有可索引的内容（{reasons}{more}）；索引未建立或更新。")


def build_index(settings: Settings, embedder: Embedder, rebuild: bool = False, root: Path | None = None) -> IndexReport:
    """Bring the index in line with the corpus folder; writes a new version only if something changed.
    `embedder` may load lazily: it is used only when a file must be embedded (its name is read always)."""
    started = time.perf_counter()
    root = root or settings.corpus_dir
    report = IndexReport()
    with _waiting_for(writer_lock(settings.index_dir)):
        prev = _Previous(_previous(settings, embedder, rebuild))
        files, docs, entries = {}, {}, []
        seen: dict[str, str] = {}  # raw-bytes and cleaned-text hashes -> the file indexed under them
        report.skipped += hidden_entries(root)
        for path in corpus_files(root):
            rel = display_path(path, root)  # a name that is not UTF-8 is indexed under a readable one
            try:
                doc, parts = _take(path, rel, prev, settings, embedder, seen, docs, report, root)
            except InputError as exc:
                report.skipped.append((rel, str(exc)))
                continue
            except OSError as exc:  # unreadable now (locked, being replaced): keep what the last build read
                kept = prev.has(rel)
                report.skipped.append((rel, f"无法读取：{os_reason(exc)}" + ("；保留上次索引的内容" if kept else "")))
                if not kept:
                    continue
                doc, parts = prev.document(rel), None
            docs[doc.doc_id] = doc
            entries.append((rel, doc, parts))
        report.removed = sorted(set(prev.files) - {rel for rel, _, _ in entries})
        if not docs:
            raise _nothing_indexable(root, report)
        same_store = prev.stored is not None and same_place(prev.stored.manifest.get("vector_store", {}), settings)
        current = same_store and prev.stored.manifest.get("derived") == derived.versions()  # else re-derive records
        if current and not (report.added or report.updated or report.removed):
            report.chunks = len(prev.stored.chunks)
            report.seconds = time.perf_counter() - started
            return report
        _write(settings, embedder.name, entries, prev, files, report)
    report.seconds = time.perf_counter() - started
    return report


def _write(settings: Settings, embedder_name: str, entries: list, prev: _Previous, files: dict, report: IndexReport) -> None:
    """Carry over the unchanged files' parts, then write the new version (vectors, table, BM25)."""
    chunks, tokens, matrices, docs, records = [], [], [], [], []
    for rel, doc, parts in entries:
        carried = parts is None
        parts = parts or prev.parts(doc.doc_id)
        records += derived.carried(doc, parts[0], prev.stored) if carried else derived.fresh(doc, parts[0])
        files[rel] = {"sha256": doc.sha256, "doc_id": doc.doc_id, "title": doc.title, "chunks": len(parts[0])}
        chunks += parts[0]
        tokens += parts[1]
        matrices.append(parts[2])
        docs.append(doc)
    vectors = np.vstack(matrices)
    dim = vectors.shape[1]
    manifest = {"embedder": {"name": embedder_name, "dim": dim}, "chunker": _chunker(settings), "files": files,
                "derived": derived.versions()}
    save_index(settings.index_dir, manifest, build_store(vectors, dim, settings, chunks), chunks, tokens, docs, records)
    report.chunks = len(chunks)
    report.written = True

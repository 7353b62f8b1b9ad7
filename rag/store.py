"""The persisted index: a self-describing folder. `index/CURRENT` names the live version folder, which
holds manifest.json, the chunk table (table.sqlite: chunks, their BM25 tokens, documents), the BM25
postings (bm25/, memory-mapped; absent when the vector store ranks text itself) and the vector store's
files (vectors.faiss; a Milvus collection lives in Milvus and the manifest names it). A new version is
written beside the old one and CURRENT is swapped with one atomic rename, so a killed run leaves the
previous index intact. Loading reads no chunk into memory: rows are read from disk when retrieved."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import time
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from filelock import FileLock

from rag.chunktable import TABLE_FILE, ChunkTable, write_table
from rag.config import Settings
from rag.errors import IndexStateError
from rag.lexical import LexicalIndex
from rag.stores import VectorStore, load_store
from rag.types import Chunk, Document, Passage

FORMAT_VERSION = 2  # 1: chunks.jsonl + documents.jsonl, read whole into memory
POINTER = "CURRENT"
FULL_HASH_BYTES = 64 * 2**20  # files above this are checked by size and a sampled hash (opening stays fast)
SAMPLES = 64


@dataclass
class StoredIndex:
    """A loaded version. `chunks` is a lazy sequence over the chunk table (len, [row], iteration that
    streams from disk); `lexical` is our BM25, None when the vector store ranks text itself (Milvus)."""

    manifest: dict
    vectors: VectorStore
    chunks: ChunkTable
    documents: Mapping[str, Document]
    lexical: LexicalIndex | None = None
    version: Path | None = None

    def iter_chunks(self) -> Iterator[Chunk]:
        """Every chunk in row order, streamed (a few thousand rows in memory at a time)."""
        return iter(self.chunks)

    def rows_of(self, doc_ids: Iterable[str]) -> np.ndarray:
        """Rows of these documents' chunks (an indexed query, not a scan in Python)."""
        return self.chunks.rows_of(doc_ids)

    def naming(self, doc_ids: Iterable[str], words: list[str], limit: int = 40) -> list[Passage]:
        """Chunks of these documents whose text names one of the words, in document order, as unranked
        passages (only these documents' rows are read, at most the first 5,000)."""
        found: list[Passage] = []
        for row in self.rows_of(doc_ids)[:5000]:
            chunk = self.chunks[int(row)]
            text = re.sub(r"[ \t\r\u3000]+", "", unicodedata.normalize("NFKC", chunk.text))
            if any(w in text for w in words):
                found.append(Passage(chunk, 0.0))
                if len(found) >= limit:
                    break
        return found

    def chunks_by_id(self, chunk_ids: list[str]) -> list[Chunk]:
        """The chunks with these ids, in the order asked (ids not in the index are left out)."""
        wanted, found = set(chunk_ids), {}
        for row in self.rows_of({c.split("#", 1)[0] for c in chunk_ids}):
            chunk = self.chunks[int(row)]
            if chunk.chunk_id in wanted:
                found[chunk.chunk_id] = chunk
        return [found[c] for c in chunk_ids if c in found]

    def records(self, kind: str) -> list[dict]:
        """The records of one kind derived from the documents at index time ('figures'), as dicts."""
        return self.chunks.records(kind)

    def vector_matrix(self) -> np.ndarray:
        """All vectors, in chunk order, so unchanged documents can be carried into the next version."""
        return self.vectors.reconstruct()


def writer_lock(index_dir: Path) -> FileLock:
    """Serialises index writers (two `rag index` runs, an upload during a rebuild)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(index_dir / ".lock"))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_index(index_dir: Path, manifest: dict, vectors: VectorStore, chunks: Sequence[Chunk],
               tokens: Sequence[list[str]], documents: Iterable[Document], records: Iterable[tuple[str, str, str]] = ()) -> Path:
    """Write a complete new version, then point CURRENT at it; call under writer_lock."""
    version = index_dir / f"v-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = version.with_name(version.name + ".partial")
    tmp.mkdir(parents=True)
    vectors.save(tmp)
    write_table(tmp / TABLE_FILE, chunks, tokens, documents, records)
    if not vectors.ranks_text:
        LexicalIndex.build(tokens).save(tmp)
    checksums = {f.relative_to(tmp).as_posix(): _checksum(f) for f in _data_files(tmp)}  # hand edits, torn files
    manifest = manifest | {
        "format": FORMAT_VERSION, "chunks": len(chunks), "written": time.time(), "checksums": checksums,
        "vector_store": vectors.describe(),
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    for f in _data_files(tmp):
        with f.open("rb") as fh:
            os.fsync(fh.fileno())
    previous = _store_info(current_version(index_dir))
    tmp.rename(version)
    pointer_tmp = index_dir / f".{POINTER}.{os.getpid()}"
    pointer_tmp.write_text(version.name, encoding="utf-8")
    os.replace(pointer_tmp, index_dir / POINTER)
    _fsync_dir(index_dir)
    _remove_stale(index_dir, keep=version.name)
    vectors.prune(keep=[manifest["vector_store"]] + ([previous] if previous else []))  # readers may still use it
    return version


def _store_info(version: Path | None) -> dict | None:
    try:
        return json.loads((version / "manifest.json").read_text(encoding="utf-8")).get("vector_store")
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def _data_files(folder: Path) -> list[Path]:
    """Every file of a version, in subfolders too (bm25/); not a lock file."""
    return sorted(f for f in folder.rglob("*") if f.is_file() and f.name != ".lock")


def _remove_stale(index_dir: Path, keep: str) -> None:
    """Older versions go; a reader that has one open keeps reading it (unlinked files stay readable)."""
    for path in index_dir.glob("v-*"):
        if path.name != keep and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def current_version(index_dir: Path) -> Path | None:
    pointer = index_dir / POINTER
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8", errors="replace").strip()
    if not name.startswith("v-") or "/" in name or name.endswith(".partial"):
        return None  # an empty or hand-edited pointer names no version
    version = index_dir / name
    return version if version.is_dir() else None


def _checksum(path: Path) -> str:
    """sha256 of the whole file, or for a large one of its size and SAMPLES evenly spaced 64 KiB blocks:
    at 1M chunks a version holds ~4 GB, and hashing all of it would take most of the time to open."""
    digest = hashlib.sha256()
    size = path.stat().st_size
    with path.open("rb") as fh:
        if size <= FULL_HASH_BYTES:
            while block := fh.read(1 << 20):
                digest.update(block)
            return digest.hexdigest()
        digest.update(str(size).encode())
        for i in range(SAMPLES):
            fh.seek((size - (1 << 16)) * i // (SAMPLES - 1))
            digest.update(fh.read(1 << 16))
    return "sampled:" + digest.hexdigest()


def load_index(index_dir: Path, settings: Settings | None = None) -> StoredIndex:
    """Load the live version; anything missing or inconsistent is a clear error, never a half index.
    `settings` gives what the manifest must not hold (a Milvus server's token)."""
    version = current_version(index_dir)
    if version is None:
        raise IndexStateError(f"索引 {index_dir} 不存在；请先运行 `rag index` 建立索引。")
    for _ in range(3):
        try:
            return _load_version(version, settings)
        except IndexStateError:
            newer = current_version(index_dir)
            if newer is None or newer == version:
                raise
            version = newer  # a writer switched versions (and removed ours) while we read
    return _load_version(version, settings)


def _verify(version: Path, manifest: dict) -> None:
    for name, expected in manifest.get("checksums", {}).items():
        if not (version / name).is_file() or _checksum(version / name) != expected:
            raise IndexStateError(
                f"索引文件 {version / name} 已损坏：缺失或与清单记录不符（可能被手工修改或写入中断）；请运行 `rag index --rebuild` 重建。"
            )


def _load_version(version: Path, settings: Settings | None = None) -> StoredIndex:
    try:
        manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexStateError(f"索引 {version} 是旧格式（{manifest.get('format')}），不能再读取；请运行 `rag index --rebuild` 重建。")
        _verify(version, manifest)
        vectors = load_store(version, manifest.get("vector_store", {}), int(manifest.get("embedder", {}).get("dim", 0)), settings)
        chunks = ChunkTable(version / TABLE_FILE)
        lexical = None if vectors.ranks_text else LexicalIndex.load(version)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RuntimeError, sqlite3.Error) as exc:
        raise IndexStateError(f"索引 {version} 已损坏（{exc}）；请运行 `rag index --rebuild` 重建。") from exc
    sizes = {vectors.ntotal, len(chunks), manifest.get("chunks")} | ({lexical.size} if lexical else set())
    if len(sizes) != 1:
        raise IndexStateError(f"索引 {version} 的文件互不一致；请运行 `rag index --rebuild` 重建。")
    return StoredIndex(manifest, vectors, chunks, chunks.documents, lexical, version)

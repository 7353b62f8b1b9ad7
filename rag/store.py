"""The persisted index: a self-describing folder. `index/CURRENT` names the live version folder, which
holds manifest.json, the vector store's files (vectors.faiss, or a qdrant/ folder; the manifest says which),
chunks.jsonl and documents.jsonl. A new version is written
beside the old one and CURRENT is swapped with one atomic rename, so a killed run leaves the
previous index intact."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock

from rag.errors import IndexStateError
from rag.types import Chunk, Document
from rag.vectors import VectorStore, load_store

FORMAT_VERSION = 1
POINTER = "CURRENT"


@dataclass
class StoredIndex:
    manifest: dict
    vectors: VectorStore
    chunks: list[Chunk]
    tokens: list[list[str]]
    documents: dict[str, Document] = field(default_factory=dict)

    def vector_matrix(self) -> np.ndarray:
        """All vectors, in chunk order, so unchanged documents can be carried into the next version."""
        return self.vectors.reconstruct()


def writer_lock(index_dir: Path) -> FileLock:
    """Serialises index writers (two `rag index` runs, an upload during a rebuild)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(index_dir / ".lock"))


def _write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_index(index_dir: Path, stored: StoredIndex) -> Path:
    """Write a complete new version, then point CURRENT at it; call under writer_lock."""
    version = index_dir / f"v-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = version.with_name(version.name + ".partial")
    tmp.mkdir(parents=True)
    stored.vectors.save(tmp)
    _write_jsonl(tmp / "chunks.jsonl", (asdict(c) | {"tokens": t} for c, t in zip(stored.chunks, stored.tokens)))
    _write_jsonl(tmp / "documents.jsonl", (asdict(d) for d in stored.documents.values()))
    checksums = {f.relative_to(tmp).as_posix(): _sha256(f) for f in _data_files(tmp)}  # hand edits, torn files
    manifest = stored.manifest | {
        "format": FORMAT_VERSION, "chunks": len(stored.chunks), "written": time.time(), "checksums": checksums,
        "vector_store": stored.vectors.describe(),
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    for f in _data_files(tmp):
        with f.open("rb") as fh:
            os.fsync(fh.fileno())
    tmp.rename(version)
    pointer_tmp = index_dir / f".{POINTER}.{os.getpid()}"
    pointer_tmp.write_text(version.name, encoding="utf-8")
    os.replace(pointer_tmp, index_dir / POINTER)
    _fsync_dir(index_dir)
    _remove_stale(index_dir, keep=version.name)
    return version


def _data_files(folder: Path) -> list[Path]:
    """Every file of a version, in subfolders too (Qdrant writes a folder); not a store's lock file."""
    return sorted(f for f in folder.rglob("*") if f.is_file() and f.name != ".lock")


def _remove_stale(index_dir: Path, keep: str) -> None:
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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _read_chunks(path: Path) -> tuple[list[Chunk], list[list[str]]]:
    """Row by row, interning tokens as they come: parsed whole, a 50 MB document's tokens take ~1 GB."""
    chunks, tokens = [], []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                tokens.append([sys.intern(t) for t in row.pop("tokens")])
                chunks.append(Chunk(**row))
    return chunks, tokens


def load_index(index_dir: Path) -> StoredIndex:
    """Load the live version; anything missing or inconsistent is a clear error, never a half index."""
    version = current_version(index_dir)
    if version is None:
        raise IndexStateError(f"索引 {index_dir} 不存在；请先运行 `rag index` 建立索引。")
    for _ in range(3):
        try:
            return _load_version(version)
        except IndexStateError:
            newer = current_version(index_dir)
            if newer is None or newer == version:
                raise
            version = newer  # a writer switched versions (and removed ours) while we read
    return _load_version(version)


def _verify(version: Path, manifest: dict) -> None:
    for name, expected in manifest.get("checksums", {}).items():
        if not (version / name).is_file() or _sha256(version / name) != expected:
            raise IndexStateError(
                f"索引文件 {version / name} 已损坏：缺失或与清单记录不符（可能被手工修改或写入中断）；请运行 `rag index --rebuild` 重建。"
            )


def _load_version(version: Path) -> StoredIndex:
    try:
        manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
        _verify(version, manifest)
        vectors = load_store(version, manifest.get("vector_store", {}), int(manifest.get("embedder", {}).get("dim", 0)))
        chunks, tokens = _read_chunks(version / "chunks.jsonl")
        docs = [Document(**d) for d in _read_jsonl(version / "documents.jsonl")]
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RuntimeError) as exc:
        raise IndexStateError(f"索引 {version} 已损坏（{exc}）；请运行 `rag index --rebuild` 重建。") from exc
    if manifest.get("format") != FORMAT_VERSION or vectors.ntotal != len(chunks) or manifest.get("chunks") != len(chunks):
        raise IndexStateError(f"索引 {version} 的文件互不一致；请运行 `rag index --rebuild` 重建。")
    return StoredIndex(manifest, vectors, chunks, tokens, {d.doc_id: d for d in docs})
